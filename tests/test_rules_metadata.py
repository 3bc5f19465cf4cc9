"""Metadata field rules (md.*) and cross-field rules (cross.*) of the TT05 records."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from helpers import (
    FILE_CODE,
    PACKAGE_EAD,
    REP1,
    assert_rule,
    build_sip_hoso,
    describe,
    doc_record,
    edit_xml,
    findings_of,
    refresh_fixity,
    rules,
    set_fields,
    validate,
)

EAD = PACKAGE_EAD


def build(tmp_path: Path, **kwargs) -> Path:
    return build_sip_hoso(tmp_path, **kwargs)


def errors(report) -> list:
    return [f for f in report.findings if f.severity == "error"]


# --------------------------------------------------------------------------------------------------
# md.required and its conditional form


def test_required_field_missing(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"title": None}))
    hits = assert_rule(report, "md.required", message_key="md.required", field="title", path_endswith=EAD)
    assert hits[0].location.element == "<title>"


@pytest.mark.parametrize("value", ["", "   "])
def test_required_field_present_but_empty(tmp_path: Path, value: str) -> None:
    package = build(tmp_path)
    set_fields(package / EAD, title=value)
    refresh_fixity(package)
    report = validate(package)
    hits = assert_rule(report, "md.required", message_key="md.required_empty", field="title")
    assert hits[0].location.line is not None
    assert len(findings_of(report, "md.required")) == 1, describe(report)


def test_paper_file_code_required_when_digitised(tmp_path: Path) -> None:
    package = build(tmp_path, package={"confidenceLevel": "02", "numberOfPaper": "9"})
    report = validate(package)
    hits = assert_rule(
        report, "md.required", message_key="md.required_when", field="paperFileCode", path_endswith=EAD
    )
    assert hits[0].params["condition"] == "confidenceLevel=02"


def test_paper_file_code_given_when_digitised(tmp_path: Path) -> None:
    package = build(
        tmp_path, package={"confidenceLevel": "02", "numberOfPaper": "9", "paperFileCode": "G09.K1.15"}
    )
    report = validate(package)
    assert not [f for f in findings_of(report, "md.required") if f.path.endswith(EAD)], describe(report)


def test_risk_recovery_status_required_when_backed_up(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"riskRecovery": "1", "riskRecoveryStatus": None}))
    hits = assert_rule(
        report, "md.required", message_key="md.required_when", field="riskRecoveryStatus", path_endswith=EAD
    )
    assert hits[0].params["condition"] == "riskRecovery=1"


def test_risk_recovery_status_not_required_without_backup(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"riskRecovery": "0", "riskRecoveryStatus": None}))
    assert "md.required" not in rules(report), describe(report)
    assert report.verdict == "valid"


@pytest.mark.parametrize("level", ["01", "03"])
def test_process_required_for_born_digital_and_mixed(tmp_path: Path, level: str) -> None:
    report = validate(build(tmp_path, docs={2: {"confidenceLevel": level, "process": None}}))
    hits = assert_rule(report, "md.required", message_key="md.required_when", field="process")
    assert [h.path.rsplit("/", 1)[-1] for h in hits] == [f"EAD_DOC_{FILE_CODE}.2.xml"]


def test_process_not_required_for_digitised(tmp_path: Path) -> None:
    report = validate(build(tmp_path, docs={2: {"confidenceLevel": "02", "process": None}}))
    assert not [f for f in findings_of(report, "md.required") if f.params.get("field") == "process"]


# --------------------------------------------------------------------------------------------------
# value rules


def test_too_long(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"title": "x" * 1001}))
    hits = assert_rule(report, "md.length", field="title", path_endswith=EAD)
    assert hits[0].params["length"] == 1001
    assert hits[0].params["max"] == 1000


def test_longest_allowed_is_accepted(tmp_path: Path) -> None:
    assert "md.length" not in rules(validate(build(tmp_path, package={"title": "x" * 1000})))


def test_not_an_integer(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"numberOfPage": "chín"}))
    assert_rule(report, "md.integer", message_key="md.not_integer", field="numberOfPage")


def test_too_many_digits(tmp_path: Path) -> None:
    report = validate(build(tmp_path, docs={1: {"numberOfPage": "12345"}}))
    assert_rule(report, "md.integer", message_key="md.too_many_digits", field="numberOfPage")


def test_unknown_code(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"mode": "09"}))
    hits = assert_rule(report, "md.code", message_key="md.unknown_code", field="mode", path_endswith=EAD)
    assert hits[0].params["table"] == "mode"


def test_code_known_but_not_allowed_for_transfer(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"maintenance": "02"}))
    hits = assert_rule(report, "md.code", message_key="md.code_not_allowed", field="maintenance")
    assert [h.path for h in hits] == [EAD]


def test_several_language_codes(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"language": "01, 02"}))
    assert "md.code" not in rules(report), describe(report)
    report = validate(build(tmp_path / "bad", package={"language": "01, 99"}))
    assert_rule(report, "md.code", field="language", code="99")


@pytest.mark.parametrize("value", ["31/02/2024", "2024-11-05", "5/11/2024"])
def test_bad_date(tmp_path: Path, value: str) -> None:
    report = validate(build(tmp_path, package={"startDate": value}))
    hits = assert_rule(report, "md.date", field="startDate", path_endswith=EAD)
    assert hits[0].params["value"] == value


def test_leap_day_is_a_date(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"startDate": "29/02/2024"}))
    assert "md.date" not in rules(report), describe(report)


@pytest.mark.parametrize("value", ["2", "yes", "true"])
def test_not_boolean(tmp_path: Path, value: str) -> None:
    report = validate(build(tmp_path, package={"riskRecovery": value, "riskRecoveryStatus": None}))
    assert_rule(report, "md.boolean", field="riskRecovery", path_endswith=EAD)


def test_repeated_field(tmp_path: Path) -> None:
    package = build(tmp_path)

    def add_second_title(root: etree._Element) -> None:
        etree.SubElement(root, "title").text = "Tiêu đề thứ hai"

    edit_xml(package / EAD, add_second_title)
    refresh_fixity(package)
    report = validate(package)
    assert_rule(report, "md.repeated", field="title")


def test_unknown_element_fails_the_record_schema(tmp_path: Path) -> None:
    package = build(tmp_path, docs={2: {"soTrang": "4"}})
    report = validate(package)
    hits = assert_rule(report, "md.schema", path_endswith=f"EAD_DOC_{FILE_CODE}.2.xml")
    assert "soTrang" in hits[0].params["detail"]
    assert not [f for f in findings_of(report, "md.schema") if not f.path.endswith(".2.xml")]


def test_namespaced_record_is_a_warning(tmp_path: Path) -> None:
    package = build(tmp_path)
    record = doc_record(package, 1)
    text = record.read_text(encoding="utf-8")
    record.write_text(
        text.replace("<simpledc>", '<simpledc xmlns="http://purl.org/dc/elements/1.1/">'), encoding="utf-8"
    )
    refresh_fixity(package)
    report = validate(package)
    hits = assert_rule(report, "md.namespace", "warning")
    assert hits[0].params["namespace"] == "http://purl.org/dc/elements/1.1/"
    assert report.verdict == "valid-with-warnings", describe(report)


def test_package_schema_disagreeing_with_data_is_a_warning(tmp_path: Path) -> None:
    # A real SIP shipped an ead_doc.xsd declaring arcDocCode while its records used docCode.
    package = build(tmp_path)
    shipped = package / "schemas/ead_doc.xsd"
    text = shipped.read_text(encoding="utf-8")
    assert 'name="docCode"' in text
    shipped.write_text(text.replace('name="docCode"', 'name="arcDocCode"'), encoding="utf-8")
    refresh_fixity(package)
    report = validate(package)
    hits = assert_rule(report, "md.package-schema", "warning", path_endswith="schemas/ead_doc.xsd")
    assert "docCode" in hits[0].params["fields"]
    assert report.verdict == "valid-with-warnings", describe(report)


# --------------------------------------------------------------------------------------------------
# cross-field rules


def test_doccode_with_wrong_year(tmp_path: Path) -> None:
    docs = {i: {"docCode": f"H49.64.33.2023.15.{i:07d}"} for i in (1, 2, 3)}
    report = validate(build(tmp_path, docs=docs))
    hits = findings_of(report, "cross.doccode-prefix")
    assert len(hits) == 3, describe(report)
    assert {h.params["expected"] for h in hits} == {FILE_CODE}


def test_ordinal_gap(tmp_path: Path) -> None:
    report = validate(build(tmp_path, docs={3: {"docCode": f"{FILE_CODE}.0000004"}}))
    hits = assert_rule(report, "cross.ordinal", message_key="cross.ordinal_gaps")
    assert hits[0].params["missing"] == "3"
    assert hits[0].params["beyond"] == "4"


def test_ordinal_duplicate(tmp_path: Path) -> None:
    report = validate(build(tmp_path, docs={3: {"docCode": f"{FILE_CODE}.0000002"}}))
    hits = assert_rule(report, "cross.ordinal", message_key="cross.ordinal_duplicate")
    assert hits[0].params["value"] == 2


def test_total_doc_disagrees(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"totalDoc": "5"}))
    hits = assert_rule(report, "cross.totaldoc", path_endswith=EAD)
    assert (hits[0].params["declared"], hits[0].params["actual"]) == ("5", 3)


def test_start_after_end(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"startDate": "31/12/2024", "endDate": "01/01/2024"}))
    assert_rule(report, "cross.date-order", path_endswith=EAD)


def test_issued_date_outside_dossier_is_only_a_warning(tmp_path: Path) -> None:
    report = validate(build(tmp_path, docs={2: {"issuedDate": "02/01/2025"}}))
    hits = assert_rule(report, "cross.issued-date", "warning")
    assert [h.path.rsplit("/", 1)[-1] for h in hits] == [f"EAD_DOC_{FILE_CODE}.2.xml"]
    assert not errors(report), describe(report)
    assert report.verdict == "valid-with-warnings"


def test_document_more_open_than_dossier_is_a_warning(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"mode": "02"}, docs={1: {"mode": "01"}}))
    hits = assert_rule(report, "cross.mode", "warning")
    assert len(hits) == 1
    assert not errors(report), describe(report)
    assert report.verdict == "valid-with-warnings"


def test_document_more_restricted_than_dossier_is_fine(tmp_path: Path) -> None:
    report = validate(build(tmp_path, package={"mode": "01"}, docs={1: {"mode": "03"}}))
    assert "cross.mode" not in rules(report)


def test_doc_id_disagrees_with_file_name(tmp_path: Path) -> None:
    package = build(tmp_path)
    set_fields(doc_record(package, 1), docId=f"{FILE_CODE}.9")
    refresh_fixity(package)
    report = validate(package)
    hits = assert_rule(report, "cross.names", path_endswith=f"{REP1}/METS.xml")
    assert f"docId={FILE_CODE}.9" in hits[0].params["names"]
    assert hits[0].location.line is not None
