"""Fixity of METS references (fixity.*) and holey references (.fetch.txt, holey.*)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from helpers import (
    DATA,
    FILE_CODE,
    HREF,
    NS,
    REP1,
    assert_rule,
    build_sip_hoso,
    describe,
    doc_file,
    edit_xml,
    findings_of,
    m,
    one,
    refresh_fixity,
    refresh_mets,
    rules,
    sha256,
    validate,
)

HOLEY_ID = "H49.64.33.2023.7.1"
HOLEY_FILE = f"{DATA}/{FILE_CODE}.2.fetch.txt"


def rep_mets(package: Path) -> Path:
    return package / REP1 / "METS.xml"


def _file_element(root: etree._Element, href: str) -> etree._Element:
    return one(root, f"//mets:file[mets:FLocat/@xlink:href='{href}']")


# --------------------------------------------------------------------------------------------------
# fixity


def test_flipped_byte_breaks_the_checksum(sip: Path) -> None:
    pdf = doc_file(sip, 1)
    content = bytearray(pdf.read_bytes())
    content[len(content) // 2] ^= 0x01
    pdf.write_bytes(bytes(content))
    report = validate(sip)
    hits = assert_rule(report, "fixity.checksum", path_endswith=f"{REP1}/METS.xml")
    assert hits[0].params["href"] == f"data/{FILE_CODE}.1.pdf"
    assert hits[0].params["actual"].lower() == sha256(pdf)
    assert "fixity.size" not in rules(report)
    assert hits[0].location.line is not None


@pytest.mark.parametrize("case", ["lower", "mixed"])
def test_checksum_compared_case_insensitively(sip: Path, case: str) -> None:
    def recase(value: str) -> str:
        return value.lower() if case == "lower" else value[:32].lower() + value[32:].upper()

    def rewrite(root: etree._Element) -> None:
        for element in root.iter(m("file"), m("mdRef")):
            element.set("CHECKSUM", recase(element.get("CHECKSUM")))

    edit_xml(rep_mets(sip), rewrite)
    written = [e.get("CHECKSUM") for e in etree.parse(str(rep_mets(sip))).iter(m("file"), m("mdRef"))]
    assert written and all(any(c in "abcdef" for c in value) for value in written)
    refresh_mets(sip / "METS.xml", sip)  # only the root METS is re-measured: the rep METS keeps its case
    report = validate(sip)
    assert not report.findings, describe(report)


def test_wrong_size(sip: Path) -> None:
    href = f"data/{FILE_CODE}.2.pdf"
    actual = doc_file(sip, 2).stat().st_size
    edit_xml(rep_mets(sip), lambda root: _file_element(root, href).set("SIZE", str(actual + 1)))
    refresh_mets(sip / "METS.xml", sip)
    report = validate(sip)
    hits = assert_rule(report, "fixity.size", message_key="fixity.size_mismatch", href=href)
    assert (hits[0].params["declared"], hits[0].params["actual"]) == (str(actual + 1), actual)


def test_size_not_a_number(sip: Path) -> None:
    href = f"data/{FILE_CODE}.2.pdf"
    edit_xml(rep_mets(sip), lambda root: _file_element(root, href).set("SIZE", "12kB"))
    refresh_mets(sip / "METS.xml", sip)
    assert_rule(validate(sip), "fixity.size", message_key="fixity.size_not_number")


def test_dangling_reference(sip: Path) -> None:
    doc_file(sip, 3).unlink()
    report = validate(sip)
    hits = assert_rule(report, "fixity.dangling", href=f"data/{FILE_CODE}.3.pdf")
    assert hits[0].path.endswith(f"{REP1}/METS.xml")


def test_unreferenced_extra_file(sip: Path) -> None:
    extra = sip / "documentation/ghi-chu.txt"
    extra.parent.mkdir()
    extra.write_text("Ghi chú của cơ quan nộp lưu\n", encoding="utf-8")
    report = validate(sip)
    hits = assert_rule(report, "fixity.unreferenced")
    assert [h.path for h in hits] == ["documentation/ghi-chu.txt"]


@pytest.mark.parametrize("href", ["../x", "../../etc/passwd", "/etc/passwd", "file:///etc/passwd"])
def test_reference_outside_the_package(sip: Path, href: str) -> None:
    def point_outside(root: etree._Element) -> None:
        root.xpath("//mets:fileGrp[@USE='Schemas']/mets:file/mets:FLocat", namespaces=NS)[0].set(HREF, href)

    edit_xml(sip / "METS.xml", point_outside)
    (sip.parent / "x").write_text("outside", encoding="utf-8")
    report = validate(sip)
    hits = assert_rule(report, "fixity.outside", href=href)
    assert hits[0].path == "METS.xml"
    assert "fixity.dangling" not in rules(report)


def test_reference_outside_from_representation(sip: Path) -> None:
    href = "../../../x"
    edit_xml(rep_mets(sip), lambda root: one(root, "//mets:dmdSec[1]/mets:mdRef").set(HREF, href))
    refresh_mets(sip / "METS.xml", sip)
    assert_rule(validate(sip), "fixity.outside", href=href, path_endswith=f"{REP1}/METS.xml")


# --------------------------------------------------------------------------------------------------
# holey references


@pytest.fixture
def holey_sip(tmp_path: Path) -> Path:
    return build_sip_hoso(tmp_path, holey={2: HOLEY_ID})


def test_sip_with_holey_reference_is_valid(holey_sip: Path) -> None:
    fetch = holey_sip / HOLEY_FILE
    assert fetch.read_text(encoding="utf-8").strip() == HOLEY_ID
    report = validate(holey_sip)
    assert report.verdict == "valid", describe(report)
    assert not report.findings, describe(report)


@pytest.mark.parametrize(
    ("content", "count"),
    [(f"{HOLEY_ID}\nH49.64.33.2023.7.2\n", 2), ("", 0), ("\n \n", 0)],
)
def test_holey_reference_holds_one_line(holey_sip: Path, content: str, count: int) -> None:
    (holey_sip / HOLEY_FILE).write_text(content, encoding="utf-8")
    refresh_fixity(holey_sip)
    report = validate(holey_sip)
    assert_rule(report, "holey.format", message_key="holey.one_line", count=count, path_endswith=HOLEY_FILE)


def test_holey_reference_with_spaces_is_not_an_identifier(holey_sip: Path) -> None:
    (holey_sip / HOLEY_FILE).write_text("văn bản số 7 năm 2023\n", encoding="utf-8")
    refresh_fixity(holey_sip)
    assert_rule(validate(holey_sip), "holey.format", message_key="holey.sip_format")


def test_holey_reference_not_utf8(holey_sip: Path) -> None:
    (holey_sip / HOLEY_FILE).write_bytes(b"H49.\xff\xfe.1\n")
    refresh_fixity(holey_sip)
    assert_rule(validate(holey_sip), "holey.format", message_key="holey.unreadable")


def test_holey_reference_in_data_group(holey_sip: Path) -> None:
    def move_to_data(root: etree._Element) -> None:
        holey_group = one(root, "mets:fileSec/mets:fileGrp[@USE='Holeyfile']")
        data_group = one(root, "mets:fileSec/mets:fileGrp[@USE='Data']")
        for element in list(holey_group):
            data_group.append(element)
        holey_group.getparent().remove(holey_group)

    edit_xml(rep_mets(holey_sip), move_to_data)
    refresh_fixity(holey_sip)
    report = validate(holey_sip)
    assert_rule(report, "holey.group", found="Data", path_endswith=HOLEY_FILE)


def test_holey_reference_without_holey_division(holey_sip: Path) -> None:
    edit_xml(
        rep_mets(holey_sip),
        lambda root: one(root, "//mets:div[@LABEL='MetadataLink/Holey']").set("LABEL", "MetadataLink/File"),
    )
    refresh_fixity(holey_sip)
    assert_rule(validate(holey_sip), "holey.structmap")


# AIP holey lines are checked through a forced AIP_hoso profile on the SIP: the package then breaks many
# AIP rules, so these tests look only at the holey.* findings.

AIP_LINE = (
    "urn_G09_uuid-9C13A2B4-5D6E-4F70-8192-A3B4C5D6E7F8_representations/rep1/data/H49.64.33.2023.7.1.pdf "
    "52311 representations/rep1/data/H49.64.33.2024.15.2.pdf H49.64.33.2023.7.1"
)


def _holey_findings(report) -> list:
    return [f for f in report.findings if f.rule.startswith("holey.")]


def test_aip_profile_rejects_a_sip_holey_line(holey_sip: Path) -> None:
    report = validate(holey_sip, "AIP_hoso")
    assert report.profile == "AIP_hoso"
    assert_rule(report, "holey.format", message_key="holey.aip_format", path_endswith=HOLEY_FILE)


def test_aip_profile_accepts_an_aip_holey_line(holey_sip: Path) -> None:
    (holey_sip / HOLEY_FILE).write_text(AIP_LINE + "\n", encoding="utf-8")
    refresh_fixity(holey_sip)
    report = validate(holey_sip, "AIP_hoso")
    assert report.verdict == "invalid"  # a SIP is no AIP: the check ran under the forced profile
    assert not _holey_findings(report), describe(report)


def test_aip_holey_line_into_another_fonds(holey_sip: Path) -> None:
    (holey_sip / HOLEY_FILE).write_text(AIP_LINE.replace("urn_G09_", "urn_G10_") + "\n", encoding="utf-8")
    refresh_fixity(holey_sip)
    report = validate(holey_sip, "AIP_hoso")
    assert_rule(report, "holey.fonds", found="G10", expected="G09")
    assert not findings_of(report, "holey.format"), describe(report)
