"""Structure and METS rules: one damaged package per rule id, each built fresh from a valid SIP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from archive_repo.samples.minimal_pdf import make_pdf
from helpers import (
    CONTENTINFORMATIONTYPE,
    DATA,
    HREF,
    NOTETYPE,
    NS,
    OAISPACKAGETYPE,
    REP1,
    assert_rule,
    describe,
    edit_xml,
    m,
    one,
    refresh_fixity,
    rules,
    validate,
)

RULES = [
    "structure.package-metadata",
    "structure.one-representation",
    "structure.no-data",
    "structure.premis-unexpected",
    "structure.schemas-folder",
    "structure.folder-name",
    "structure.no-mets",
    "mets.schema",
    "mets.id-unique",
    "mets.idref",
    "mets.objid",
    "mets.type",
    "mets.profile",
    "mets.oaispackagetype",
    "mets.agent",
    "mets.filegrp-use",
    "mets.file-attributes",
    "mets.structmap",
    "mets.metadatalink",
    "mets.content-information-type",
    "mets.record-status",
]


def root_mets(package: Path) -> Path:
    return package / "METS.xml"


def rep_mets(package: Path) -> Path:
    return package / REP1 / "METS.xml"


def test_good_package_is_valid_without_findings(sip: Path) -> None:
    report = validate(sip)
    assert report.profile == "SIP_hoso"
    assert str(report.verdict) == "valid", describe(report)
    assert not report.findings, describe(report)


@pytest.mark.parametrize("rule", RULES)
def test_good_package_has_none_of_the_rules(sip: Path, rule: str) -> None:
    assert rule not in rules(validate(sip))


# --------------------------------------------------------------------------------------------------
# structure


def test_package_metadata_missing(sip: Path) -> None:
    (sip / "metadata/descriptive/EAD.xml").unlink()
    report = validate(sip, "SIP_hoso")
    assert_rule(report, "structure.package-metadata", path_endswith="metadata/descriptive/EAD.xml")
    assert report.verdict == "invalid"


def test_package_metadata_missing_is_invalid_even_when_auto_detected(sip: Path) -> None:
    # Without EAD.xml nothing TT05-specific is left to detect; the dangling METS reference still fails it.
    (sip / "metadata/descriptive/EAD.xml").unlink()
    report = validate(sip)
    assert report.verdict == "invalid", describe(report)
    assert_rule(report, "fixity.dangling")


def test_two_representations(sip: Path) -> None:
    shutil.copytree(sip / REP1, sip / "representations/rep2")
    report = validate(sip)
    hits = assert_rule(report, "structure.one-representation")
    assert "rep2" in hits[0].params["found"]


def test_no_data(sip: Path) -> None:
    for pdf in (sip / DATA).iterdir():
        pdf.unlink()
    report = validate(sip)
    assert_rule(report, "structure.no-data", path_endswith=f"{DATA}/")


def _add_premis(package: Path) -> None:
    premis = package / "metadata/preservation/PREMIS.xml"
    premis.parent.mkdir(parents=True)
    premis.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<premis:premis xmlns:premis="http://www.loc.gov/premis/v3" version="3.0"/>\n',
        encoding="utf-8",
    )

    def reference(root: etree._Element) -> None:
        amd = one(root, "mets:amdSec")
        digiprov = etree.SubElement(amd, m("digiprovMD"), ID="uuid-0F0F0F0F-0000-4000-8000-000000000001")
        ref = etree.SubElement(digiprov, m("mdRef"), LOCTYPE="URL", MDTYPE="PREMIS")
        ref.set(HREF, "metadata/preservation/PREMIS.xml")
        ref.set("MIMETYPE", "application/xml")

    edit_xml(root_mets(package), reference)
    refresh_fixity(package)


def test_premis_in_sip_is_only_a_warning(sip: Path) -> None:
    _add_premis(sip)
    report = validate(sip)
    assert_rule(report, "structure.premis-unexpected", "warning")
    assert "structure.premis-unexpected" not in {f.rule for f in report.findings if f.severity == "error"}
    assert report.verdict == "valid-with-warnings", describe(report)


def test_schemas_folder_missing(sip: Path) -> None:
    shutil.rmtree(sip / "schemas")

    def drop_schema_references(root: etree._Element) -> None:
        group = one(root, "mets:fileSec/mets:fileGrp[@USE='Schemas']")
        group.getparent().remove(group)
        div = one(root, "mets:structMap//mets:div[@LABEL='Schemas']")
        div.getparent().remove(div)

    edit_xml(root_mets(sip), drop_schema_references)
    report = validate(sip)
    assert_rule(report, "structure.schemas-folder", "warning")


def test_folder_name_differs_from_objid(sip: Path) -> None:
    renamed = sip.with_name("ho-so-nop-luu")
    sip.rename(renamed)
    report = validate(renamed)
    hits = assert_rule(report, "structure.folder-name", "warning")
    assert hits[0].params["expected"] == sip.name
    assert report.verdict == "valid-with-warnings", describe(report)


def test_no_root_mets(sip: Path) -> None:
    root_mets(sip).unlink()
    report = validate(sip)
    assert_rule(report, "structure.no-mets")
    assert report.verdict == "invalid"


def test_empty_folder_has_no_mets(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_rule(validate(empty), "structure.no-mets")


# --------------------------------------------------------------------------------------------------
# METS


def test_mets_schema_violation(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: one(root, "mets:metsHdr").set("BOGUS", "x"))
    report = validate(sip)
    hits = assert_rule(report, "mets.schema", path_endswith="METS.xml")
    assert all(h.location.line for h in hits)


def test_mets_schema_unknown_element_in_representation(sip: Path) -> None:
    edit_xml(rep_mets(sip), lambda root: etree.SubElement(one(root, "mets:metsHdr"), m("bogus")))
    refresh_fixity(sip)
    assert_rule(validate(sip), "mets.schema", path_endswith=f"{REP1}/METS.xml")


def test_duplicate_id(sip: Path) -> None:
    def duplicate(root: etree._Element) -> None:
        file_sec = one(root, "mets:fileSec")
        one(root, "mets:structMap").set("ID", file_sec.get("ID"))

    edit_xml(rep_mets(sip), duplicate)
    refresh_fixity(sip)
    report = validate(sip)
    assert_rule(report, "mets.id-unique", path_endswith=f"{REP1}/METS.xml")


def test_dangling_idref(sip: Path) -> None:
    def dangle(root: etree._Element) -> None:
        root.xpath("//mets:div[@LABEL='Data']/mets:fptr", namespaces=NS)[0].set(
            "FILEID", "ID-00000000-0000-4000-8000-00000000DEAD"
        )

    edit_xml(rep_mets(sip), dangle)
    refresh_fixity(sip)
    hits = assert_rule(validate(sip), "mets.idref")
    assert hits[0].params["id"] == "ID-00000000-0000-4000-8000-00000000DEAD"
    assert hits[0].params["attribute"] == "FILEID"


def test_objid_wrong_form(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: root.set("OBJID", "H49-ho-so-15"))
    report = validate(sip)
    assert_rule(report, "mets.objid", message_key="mets.objid_pattern")


def test_objid_missing(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: root.attrib.pop("OBJID"))
    assert_rule(validate(sip), "mets.objid", message_key="mets.missing_attribute")


def test_mets_type_not_allowed(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: root.set("TYPE", "Textual"))
    hits = assert_rule(validate(sip), "mets.type", message_key="mets.value_not_allowed")
    assert hits[0].params["value"] == "Textual"


def test_mets_profile_not_allowed(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: root.set("PROFILE", "http://example.org/profile.xml"))
    assert_rule(validate(sip), "mets.profile", message_key="mets.value_not_allowed")


def test_mets_profile_missing(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: root.attrib.pop("PROFILE"))
    assert_rule(validate(sip), "mets.profile", message_key="mets.missing_attribute")


def test_oaispackagetype_missing(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: one(root, "mets:metsHdr").attrib.pop(OAISPACKAGETYPE))
    report = validate(sip)
    assert report.profile == "SIP_hoso"
    assert_rule(report, "mets.oaispackagetype", message_key="mets.missing_attribute")


def test_oaispackagetype_wrong_for_forced_profile(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: one(root, "mets:metsHdr").set(OAISPACKAGETYPE, "DIP"))
    report = validate(sip, "SIP_hoso")
    hits = assert_rule(report, "mets.oaispackagetype", message_key="mets.value_not_allowed")
    assert hits[0].params["value"] == "DIP"


def test_no_software_agent(sip: Path) -> None:
    def drop_agent(root: etree._Element) -> None:
        header = one(root, "mets:metsHdr")
        header.remove(one(header, "mets:agent"))

    edit_xml(root_mets(sip), drop_agent)
    assert_rule(validate(sip), "mets.agent", message_key="mets.no_software_agent")


def test_agent_without_identification_code(sip: Path) -> None:
    def drop_note(root: etree._Element) -> None:
        agent = one(root, "mets:metsHdr/mets:agent")
        for note in agent.findall(m("note")):
            assert note.get(NOTETYPE) == "IDENTIFICATIONCODE"
            agent.remove(note)

    edit_xml(root_mets(sip), drop_note)
    assert_rule(validate(sip), "mets.agent", message_key="mets.no_fonds_code")


def test_filegrp_use_not_allowed(sip: Path) -> None:
    edit_xml(rep_mets(sip), lambda root: one(root, "mets:fileSec/mets:fileGrp").set("USE", "Payload"))
    refresh_fixity(sip)
    report = validate(sip)
    assert_rule(report, "mets.filegrp-use", message_key="mets.value_not_allowed", value="Payload")
    assert_rule(report, "mets.filegrp-use", message_key="mets.missing_file_group", use="Data")


def test_file_without_mimetype(sip: Path) -> None:
    edit_xml(rep_mets(sip), lambda root: root.xpath("//mets:file", namespaces=NS)[0].attrib.pop("MIMETYPE"))
    refresh_fixity(sip)
    assert_rule(validate(sip), "mets.file-attributes", attribute="MIMETYPE")


def test_no_csip_structmap(sip: Path) -> None:
    edit_xml(rep_mets(sip), lambda root: one(root, "mets:structMap").set("LABEL", "Physical"))
    refresh_fixity(sip)
    hits = assert_rule(validate(sip), "mets.structmap", message_key="mets.csip_structmap_count")
    assert hits[0].params["count"] == 0


def test_missing_metadatalink_division(sip: Path) -> None:
    def drop(root: etree._Element) -> None:
        div = one(root, "mets:structMap//mets:div[@LABEL='MetadataLink']")
        div.getparent().remove(div)

    edit_xml(rep_mets(sip), drop)
    refresh_fixity(sip)
    assert_rule(validate(sip), "mets.structmap", message_key="mets.missing_division", label="MetadataLink")


def test_record_not_linked(sip: Path) -> None:
    def drop_last_link(root: etree._Element) -> None:
        div = root.xpath("//mets:div[@LABEL='MetadataLink/File']", namespaces=NS)[-1]
        div.getparent().remove(div)

    edit_xml(rep_mets(sip), drop_last_link)
    refresh_fixity(sip)
    report = validate(sip)
    assert_rule(report, "mets.metadatalink", message_key="mets.record_not_linked", path_endswith=".3.xml")
    assert_rule(report, "mets.metadatalink", message_key="mets.file_not_linked", path_endswith=".3.pdf")


def test_data_file_not_linked(sip: Path) -> None:
    extra = sip / DATA / "phu-luc.pdf"
    extra.write_bytes(make_pdf(["Phu luc"]))

    def list_in_data_group(root: etree._Element) -> None:
        group = one(root, "mets:fileSec/mets:fileGrp[@USE='Data']")
        element = etree.SubElement(
            group, m("file"), ID="ID-0A0A0A0A-0000-4000-8000-000000000001", MIMETYPE="application/pdf"
        )
        flocat = etree.SubElement(element, m("FLocat"), LOCTYPE="URL")
        flocat.set(HREF, "data/phu-luc.pdf")

    edit_xml(rep_mets(sip), list_in_data_group)
    refresh_fixity(sip)
    report = validate(sip)
    hits = assert_rule(report, "mets.metadatalink", message_key="mets.file_not_linked")
    assert [h.path for h in hits] == [f"{DATA}/phu-luc.pdf"]
    assert "fixity.unreferenced" not in rules(report), describe(report)


def test_content_information_type_missing_in_representation(sip: Path) -> None:
    edit_xml(rep_mets(sip), lambda root: root.attrib.pop(CONTENTINFORMATIONTYPE))
    refresh_fixity(sip)
    assert_rule(validate(sip), "mets.content-information-type", path_endswith=f"{REP1}/METS.xml")


def test_record_status_not_allowed(sip: Path) -> None:
    edit_xml(root_mets(sip), lambda root: one(root, "mets:metsHdr").set("RECORDSTATUS", "VERSION"))
    hits = assert_rule(validate(sip), "mets.record-status")
    assert hits[0].params["value"] == "VERSION"


@pytest.mark.parametrize("status", ["NEW", "SUPPLEMENT", "REPLACEMENT", "TEST", "OTHER"])
def test_record_status_accepted(sip: Path, status: str) -> None:
    edit_xml(root_mets(sip), lambda root: one(root, "mets:metsHdr").set("RECORDSTATUS", status))
    assert "mets.record-status" not in rules(validate(sip))
