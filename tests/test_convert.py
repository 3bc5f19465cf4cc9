"""SIP → AIP conversion (TT05 annexes I, II) and the PREMIS 3 writer it uses."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from archive_repo.errors import ArchiveRepoError
from archive_repo.packages import convert as convert_module
from archive_repo.packages.convert import (
    NIL_UUID,
    ConversionError,
    ConvertedAip,
    FixityMismatch,
    InvalidSip,
    UnresolvedHoleyReference,
    convert_sip_to_aip,
    is_unresolved_holey,
)
from archive_repo.packages.ead import read_record
from archive_repo.packages.premis import (
    FILE,
    ID_OBJID,
    NOT_PERFORMED,
    ROLE_OUTCOME,
    ROLE_SOURCE,
    Format,
    Identifier,
    PremisAgent,
    PremisDocument,
    PremisError,
    PremisEvent,
    PremisObject,
    linking,
    premis_xml,
    read_premis,
    read_premis_bytes,
    software_agent,
    subset_errors,
)
from archive_repo.sip.builder import build_sip
from archive_repo.sip.description import DocumentDescription, load_description
from archive_repo.validation.validator import validate_path
from archive_repo.xmlsafe import parse_xml, parse_xml_bytes

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "examples" / "sources"
ARCHIVE = "LTLSHG"
REP1 = "representations/rep1"
HOLEY_DOC = "H49.64.33.2022.40.4"  # the document the salary dossier references instead of re-sending
EARLIER_AIP = "urn:G09:uuid-1E2D3C4B-5A69-4788-9766-A5B4C3D2E1F0"
EARLIER_PATH = f"{REP1}/data/{HOLEY_DOC}.pdf"
VIETNAM = timezone(timedelta(hours=7))


def build_example(name: str, out: Path, **changes: str) -> Path:
    description = load_description(SOURCES / name / "description.toml")
    for key, value in changes.items():
        setattr(description, key, value)
    return build_sip(description, out).folder


def resolver(document_id: str) -> tuple[str, str, int] | None:
    return (EARLIER_AIP, EARLIER_PATH, 48213) if document_id == HOLEY_DOC else None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}


def fields(path: Path) -> dict[str, str]:
    record = read_record(parse_xml(path))
    return {name: record.get(name) or "" for name in record.values}


def assert_valid_aip(aip: ConvertedAip, profile: str) -> None:
    report = validate_path(aip.folder)
    problems = [f"{f.severity} {f.rule} {f.path}: {f.message('en')}" for f in report.findings]
    assert report.profile == profile, problems
    assert report.verdict == "valid", problems


def assert_nothing_left(out: Path) -> None:
    assert not out.exists() or list(out.iterdir()) == []


@pytest.fixture
def salary_sip(tmp_path: Path) -> Path:
    """The salary-raise dossier: SIP_hoso with three PDFs and one holey reference."""
    return build_example("hoso-nang-luong-2023", tmp_path / "sips")


@pytest.fixture
def loose_sip(tmp_path: Path) -> Path:
    """The outgoing-letters batch: SIP_tailieu with three PDFs."""
    return build_example("tailieu-van-ban-di-2024", tmp_path / "sips")


# --------------------------------------------------------------------------------------------------
# SIP_hoso → AIP_hoso


def test_hoso_with_holey_reference_becomes_a_valid_aip(salary_sip: Path, tmp_path: Path) -> None:
    now = datetime(2025, 7, 15, 10, 30, tzinfo=VIETNAM)
    aip = convert_sip_to_aip(
        salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver, now=now
    )
    assert_valid_aip(aip, "AIP_hoso")
    assert aip.profile == "AIP_hoso"
    assert re.fullmatch(r"urn:G09:uuid-[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", aip.objid)
    assert aip.folder == tmp_path / "aips" / aip.objid.replace(":", "_")
    assert aip.folder.name.startswith("urn_G09_uuid-")
    assert aip.sip_objid == salary_sip.name
    assert aip.unresolved_holey == []
    mets = parse_xml(aip.folder / "METS.xml").getroot()
    assert mets.get("OBJID") == aip.objid
    assert mets.get("PROFILE") == "http://www.ra.ee/METS/v01/IP.xml"
    header = mets.find("{http://www.loc.gov/METS/}metsHdr")
    assert header.get("CREATEDATE") == "2025-07-15T10:30:00.000+07:00"
    assert header.get("RECORDSTATUS") == "NEW"


def test_data_files_are_byte_identical(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver)
    sip_data = {p.name: p for p in (salary_sip / REP1 / "data").iterdir() if p.suffix == ".pdf"}
    aip_data = {p.name: p for p in (aip.folder / REP1 / "data").iterdir() if p.suffix == ".pdf"}
    assert sorted(sip_data) == sorted(aip_data) and len(sip_data) == 3
    for name, source in sip_data.items():
        assert aip_data[name].read_bytes() == source.read_bytes()


def test_returned_file_list_matches_the_folder(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver)
    on_disk = tree_files(aip.folder)
    assert sorted(f.path for f in aip.files) == sorted(on_disk)
    for entry in aip.files:
        assert entry.size == on_disk[entry.path].stat().st_size
        assert entry.sha256 == sha256(on_disk[entry.path])
    by_path = {f.path: f for f in aip.files}
    assert by_path[f"{REP1}/data/H49.64.33.2023.42.1.pdf"].mimetype == "application/pdf"
    assert "metadata/preservation/PREMIS.xml" in by_path
    assert f"{REP1}/metadata/preservation/PREMIS_rep1.xml" in by_path


def test_dossier_and_document_records_take_the_aip_form(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver)
    assert aip.arc_file_code == "LTLSHG.H49.64.33.2023.42"
    dossier = fields(aip.folder / "metadata/descriptive/EAD.xml")
    assert dossier["arcFileCode"] == "LTLSHG.H49.64.33.2023.42"
    assert "fileCode" not in dossier
    assert dossier["totalDoc"] == "4" and dossier["maintenance"] == "01"
    docs = aip.folder / REP1 / "metadata/descriptive"
    for ordinal in (1, 2, 3, 4):
        record = fields(docs / f"EAD_DOC_H49.64.33.2023.42.{ordinal}.xml")
        assert record["arcFileCode"] == "LTLSHG.H49.64.33.2023.42"
        assert record["docOrdinal"] == str(ordinal)
        assert record["docCode"] == f"H49.64.33.2023.42.{ordinal:07d}"
        for dropped in ("docId", "maintenance", "riskRecovery", "riskRecoveryStatus"):
            assert dropped not in record
    # the 19 AIP fields, in the profile's order
    names = list(fields(docs / "EAD_DOC_H49.64.33.2023.42.1.xml"))
    assert names[:3] == ["arcFileCode", "mode", "language"]
    assert names.index("docCode") < names.index("docOrdinal") < names.index("typeName")


def test_holey_reference_is_rewritten_to_the_aip_form(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver)
    line = (aip.folder / REP1 / "data/H49.64.33.2023.42.4.fetch.txt").read_text(encoding="utf-8").strip()
    assert line == (
        f"urn_G09_uuid-1E2D3C4B-5A69-4788-9766-A5B4C3D2E1F0_{EARLIER_PATH} 48213 "
        f"{REP1}/data/H49.64.33.2023.42.4.pdf {HOLEY_DOC}"
    )
    assert not is_unresolved_holey(line)
    rep_mets = (aip.folder / REP1 / "METS.xml").read_text(encoding="utf-8")
    assert 'USE="Holeyfile"' in rep_mets and 'LABEL="MetadataLink/Holey"' in rep_mets


def test_unresolved_holey_reference_keeps_a_nil_target(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE)
    assert_valid_aip(aip, "AIP_hoso")
    assert aip.unresolved_holey == [HOLEY_DOC]
    line = (aip.folder / REP1 / "data/H49.64.33.2023.42.4.fetch.txt").read_text(encoding="utf-8").strip()
    assert line == f"urn_G09_{NIL_UUID}_{HOLEY_DOC} 0 {REP1}/data/H49.64.33.2023.42.4 {HOLEY_DOC}"
    assert is_unresolved_holey(line)
    creation = read_premis(aip.folder / "metadata/preservation/PREMIS.xml").events_of_type(
        "information package creation"
    )[0]
    assert HOLEY_DOC in (creation.outcome_detail or "")


def test_strict_holey_refuses_and_leaves_nothing(salary_sip: Path, tmp_path: Path) -> None:
    out = tmp_path / "aips"
    with pytest.raises(UnresolvedHoleyReference) as caught:
        convert_sip_to_aip(salary_sip, out, archive_code=ARCHIVE, strict_holey=True)
    assert HOLEY_DOC in caught.value.message("en")
    assert_nothing_left(out)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        (
            ("urn:H01:uuid-1E2D3C4B-5A69-4788-9766-A5B4C3D2E1F0", EARLIER_PATH, 10),
            "convert.holey_other_fonds",
        ),
        (("uuid-1E2D3C4B-5A69-4788-9766-A5B4C3D2E1F0", EARLIER_PATH, 10), "convert.holey_bad_target"),
        ((EARLIER_AIP, "../outside.pdf", 10), "convert.holey_bad_target"),
        ((EARLIER_AIP, EARLIER_PATH, -1), "convert.holey_bad_target"),
    ],
)
def test_holey_targets_outside_the_rules_are_refused(
    salary_sip: Path, tmp_path: Path, target: tuple[str, str, int], error: str
) -> None:
    out = tmp_path / "aips"
    with pytest.raises(ConversionError) as caught:
        convert_sip_to_aip(salary_sip, out, archive_code=ARCHIVE, resolve_holey=lambda _doc: target)
    assert caught.value.message_key == error
    assert_nothing_left(out)


# --------------------------------------------------------------------------------------------------
# PREMIS


def test_premis_records_creation_with_source_and_outcome(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver)
    premis = read_premis(aip.folder / "metadata/preservation/PREMIS.xml")
    [creation] = premis.events_of_type("information package creation")
    assert creation.outcome == "success"
    assert creation.objects_with_role(ROLE_SOURCE) == [Identifier(ID_OBJID, salary_sip.name)]
    assert creation.objects_with_role(ROLE_OUTCOME) == [Identifier(ID_OBJID, aip.objid)]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00", creation.date_time)
    assert creation.identifier.type == "UUID"
    [validation] = premis.events_of_type("validation")
    assert validation.outcome == "success"
    categories = sorted(o.category for o in premis.objects)
    assert categories == ["intellectualEntity", "representation"]
    entity = next(o for o in premis.objects if o.category == "intellectualEntity")
    assert Identifier("TT05 arcFileCode", "LTLSHG.H49.64.33.2023.42") in entity.identifiers
    software = next(a for a in premis.agents if a.type == "software")
    assert software.name == "archive-repo" and software.version
    assert any(a.type == "organization" and a.name == ARCHIVE for a in premis.agents)
    # every agent an event links is described
    described = {a.identifier for a in premis.agents}
    assert all(link.identifier in described for e in premis.events for link in e.agents)


def test_representation_premis_has_file_objects_and_fixity_checks(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver)
    premis = read_premis(aip.folder / REP1 / "metadata/preservation/PREMIS_rep1.xml")
    files = {o.identifier.value: o for o in premis.objects}
    assert all(o.category == FILE for o in premis.objects)
    assert len(files) == 4  # three PDFs and the holey reference
    for path in (aip.folder / REP1 / "data").iterdir():
        obj = files[f"{aip.objid}/{REP1}/data/{path.name}"]
        assert obj.sha256 == sha256(path)
        assert obj.size == path.stat().st_size
    pdf = files[f"{aip.objid}/{REP1}/data/H49.64.33.2023.42.1.pdf"]
    assert pdf.format is not None and pdf.format.name and pdf.format.puid is None
    checks = premis.events_of_type("fixity check")
    assert len(checks) == 3 and all(e.outcome == "success" for e in checks)


def test_premis_files_conform_to_the_subset_schema(salary_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, resolve_holey=resolver)
    for relative in ("metadata/preservation/PREMIS.xml", f"{REP1}/metadata/preservation/PREMIS_rep1.xml"):
        assert subset_errors(parse_xml(aip.folder / relative)) == []


def test_caller_events_are_recorded_and_linked_to_the_sip(salary_sip: Path, tmp_path: Path) -> None:
    scanner = PremisAgent(Identifier("local", "clamav/1.3"), "ClamAV", "software", version="1.3.0")
    virus = PremisEvent(
        "virus check",
        "2025-07-15T09:00:00.000+07:00",
        outcome=NOT_PERFORMED,
        outcome_detail="No virus scanner configured",
    )
    signature = PremisEvent("digital signature validation", "2025-07-15T09:01:00.000+07:00", "success")
    aip = convert_sip_to_aip(
        salary_sip,
        tmp_path / "aips",
        archive_code=ARCHIVE,
        events=[virus, signature],
        agents=[scanner],
        resolve_holey=resolver,
    )
    premis = read_premis(aip.folder / "metadata/preservation/PREMIS.xml")
    [recorded] = premis.events_of_type("virus check")
    assert recorded.outcome == "not performed"
    assert recorded.outcome_detail == "No virus scanner configured"
    assert recorded.objects_with_role(ROLE_SOURCE) == [Identifier(ID_OBJID, salary_sip.name)]
    assert [e.type for e in premis.events] == [
        "validation",
        "virus check",
        "digital signature validation",
        "information package creation",
    ]
    assert any(a.name == "ClamAV" for a in premis.agents)


def test_an_event_linking_an_undescribed_agent_is_refused_before_writing(
    salary_sip: Path, tmp_path: Path
) -> None:
    ghost = PremisAgent(Identifier("local", "ghost"), "ghost", "software")
    event = PremisEvent(
        "virus check",
        "2025-07-15T09:00:00.000+07:00",
        "success",
        agents=(linking(ghost, "executing program"),),
    )
    with pytest.raises(PremisError):
        convert_sip_to_aip(salary_sip, tmp_path / "aips", archive_code=ARCHIVE, events=[event])
    assert_nothing_left(tmp_path / "aips")


def test_premis_writer_round_trip_and_refusals() -> None:
    obj = PremisObject(
        (Identifier("local", "x/data/a.pdf"),),
        FILE,
        sha256="AB" * 32,
        size=5,
        format=Format("PDF", puid="fmt/95"),
    )
    event = PremisEvent("fixity check", "2025-07-15T09:00:00.000+07:00", "success")
    data = premis_xml(PremisDocument([obj], [event], [software_agent()]))
    assert subset_errors(parse_xml_bytes(data)) == []
    back = read_premis_bytes(data)
    assert back.objects[0].sha256 == "ab" * 32
    assert back.objects[0].format == Format("PDF", puid="fmt/95")
    assert back.events[0].type == "fixity check"
    root = etree.fromstring(data)
    event_type = root.find("{http://www.loc.gov/premis/v3}event/{http://www.loc.gov/premis/v3}eventType")
    assert event_type.get("valueURI") == "http://id.loc.gov/vocabulary/preservation/eventType/fix"
    with pytest.raises(PremisError):
        premis_xml(PremisDocument([obj], [PremisEvent("made up", event.date_time)], []))
    with pytest.raises(PremisError):
        premis_xml(PremisDocument([PremisObject((Identifier("local", "y"),), FILE)], [], []))
    # the subset schema checks element order: an agent before an object is not PREMIS
    agent = root.find("{http://www.loc.gov/premis/v3}agent")
    root.insert(0, agent)
    assert subset_errors(root.getroottree())


# --------------------------------------------------------------------------------------------------
# SIP_tailieu → AIP_tailieu


def test_tailieu_becomes_a_valid_aip_tailieu(loose_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(loose_sip, tmp_path / "aips", archive_code=ARCHIVE)
    assert_valid_aip(aip, "AIP_tailieu")
    batch = fields(aip.folder / "metadata/descriptive/EAD.xml")
    assert batch == {
        "arcFileCode": "LTLSHG.H49.64.33.2024.01.0000001",
        "title": "Văn bản đi của Sở Nội vụ không lập hồ sơ, quý IV năm 2024",
        "source": "Văn bản đi",
        "description": "Nộp lưu theo danh mục tài liệu nộp lưu số 01/2025.",
    }
    docs = aip.folder / REP1 / "metadata/descriptive"
    expected = {"H49.64.33.2024.410": "1", "H49.64.33.2024.77": "2", "H49.64.33.2024.1502": "3"}
    for doc_id, ordinal in expected.items():
        record = fields(docs / f"EAD_DOC_{doc_id}.xml")
        assert record["docOrdinal"] == ordinal
        assert record["arcFileCode"] == "LTLSHG.H49.64.33.2024.01.0000001"
        assert "docId" not in record and "riskRecovery" not in record
        assert (aip.folder / REP1 / f"data/{doc_id}.pdf").read_bytes() == (
            loose_sip / REP1 / f"data/{doc_id}.pdf"
        ).read_bytes()
    mets = parse_xml(aip.folder / "METS.xml").getroot()
    assert mets.get("TYPE") == "Collection"


def test_incoming_batch_source_label(tmp_path: Path) -> None:
    description = load_description(SOURCES / "tailieu-van-ban-di-2024" / "description.toml")
    description.package["source"] = "1"
    sip = build_sip(description, tmp_path / "sips").folder
    aip = convert_sip_to_aip(sip, tmp_path / "aips", archive_code=ARCHIVE)
    assert fields(aip.folder / "metadata/descriptive/EAD.xml")["source"] == "Văn bản đến"
    assert_valid_aip(aip, "AIP_tailieu")


def test_record_status_is_carried(tmp_path: Path) -> None:
    sip = build_example("hoso-hoi-nghi-van-thu-2024", tmp_path / "sips", record_status="SUPPLEMENT")
    aip = convert_sip_to_aip(sip, tmp_path / "aips", archive_code=ARCHIVE)
    assert_valid_aip(aip, "AIP_hoso")
    for mets in (aip.folder / "METS.xml", aip.folder / REP1 / "METS.xml"):
        header = parse_xml(mets).getroot().find("{http://www.loc.gov/METS/}metsHdr")
        assert header.get("RECORDSTATUS") == "SUPPLEMENT"
        assert header.get("{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}OAISPACKAGETYPE") == "AIP"


def test_pictures_get_arc_codes_too(tmp_path: Path) -> None:
    description = load_description(SOURCES / "hoso-hoi-nghi-van-thu-2024" / "description.toml")
    photo = tmp_path / "anh-hoi-nghi.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    pic = {"typePic": "02", "imageTitle": "Ảnh hội nghị tổng kết", "mode": "01", "riskRecovery": "0"}
    description.documents.append(DocumentDescription("pic", pic, file=photo, where="pic"))
    sip = build_sip(description, tmp_path / "sips").folder
    aip = convert_sip_to_aip(sip, tmp_path / "aips", archive_code=ARCHIVE)
    assert_valid_aip(aip, "AIP_hoso")
    record = fields(aip.folder / REP1 / "metadata/descriptive/EAD_PIC_H49.64.33.2024.15.0000004.xml")
    assert record == {
        "arcFileCode": "LTLSHG.H49.64.33.2024.15",
        "docCode": "H49.64.33.2024.15.0000004",
        "docOrdinal": "4",
        "typePic": "02",
        "imageTitle": "Ảnh hội nghị tổng kết",
        "mode": "01",
    }
    assert (aip.folder / "schemas/ead_pic.xsd").is_file()


# --------------------------------------------------------------------------------------------------
# refusals: typed errors, nothing left behind


def test_invalid_sip_raises_a_typed_error(salary_sip: Path, tmp_path: Path) -> None:
    pdf = salary_sip / REP1 / "data/H49.64.33.2023.42.1.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"tampered")
    out = tmp_path / "aips"
    with pytest.raises(InvalidSip) as caught:
        convert_sip_to_aip(salary_sip, out, archive_code=ARCHIVE)
    assert isinstance(caught.value, ArchiveRepoError)
    assert caught.value.message_key == "convert.invalid_sip"
    assert caught.value.report is not None and not caught.value.report.is_valid
    assert caught.value.message("vi") and caught.value.message("en")
    assert_nothing_left(out)


def test_an_aip_is_not_converted_again(loose_sip: Path, tmp_path: Path) -> None:
    aip = convert_sip_to_aip(loose_sip, tmp_path / "aips", archive_code=ARCHIVE)
    with pytest.raises(InvalidSip) as caught:
        convert_sip_to_aip(aip.folder, tmp_path / "again", archive_code=ARCHIVE)
    assert caught.value.message_key == "convert.not_a_sip"


def test_bad_archive_code_is_refused(loose_sip: Path, tmp_path: Path) -> None:
    for code in ("", "LT LS", "a/b", "x" * 90):
        with pytest.raises(ConversionError):
            convert_sip_to_aip(loose_sip, tmp_path / "aips", archive_code=code)
    assert_nothing_left(tmp_path / "aips")


def test_failure_in_the_middle_leaves_no_staging(
    salary_sip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = convert_module.write_with_digest

    def failing(data: bytes, destination: Path) -> tuple[int, str]:
        if destination.name == "PREMIS.xml":
            raise OSError(28, "No space left on device", str(destination))
        return real(data, destination)

    monkeypatch.setattr(convert_module, "write_with_digest", failing)
    out = tmp_path / "aips"
    with pytest.raises(ConversionError) as caught:
        convert_sip_to_aip(salary_sip, out, archive_code=ARCHIVE, resolve_holey=resolver)
    assert caught.value.message_key == "convert.io_failed"
    assert list(out.iterdir()) == []  # neither the AIP nor a .partial staging folder


def test_sip_changed_after_validation_is_refused(salary_sip: Path, tmp_path: Path) -> None:
    report = validate_path(salary_sip)
    assert report.is_valid
    pdf = salary_sip / REP1 / "data/H49.64.33.2023.42.3.pdf"
    pdf.write_bytes(pdf.read_bytes()[:-1] + b"X")  # same size, different bytes
    out = tmp_path / "aips"
    with pytest.raises(FixityMismatch):
        convert_sip_to_aip(salary_sip, out, archive_code=ARCHIVE, report=report)
    assert list(out.iterdir()) == []


def test_two_conversions_give_two_aips(loose_sip: Path, tmp_path: Path) -> None:
    first = convert_sip_to_aip(loose_sip, tmp_path / "aips", archive_code=ARCHIVE)
    second = convert_sip_to_aip(loose_sip, tmp_path / "aips", archive_code=ARCHIVE)
    assert first.objid != second.objid
    assert sorted(p.name for p in (tmp_path / "aips").iterdir()) == sorted(
        [first.folder.name, second.folder.name]
    )
