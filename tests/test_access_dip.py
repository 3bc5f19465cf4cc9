"""The certified DIP (TT05 art. 42, annex V) and its signed PDF/A certificate, built from real files: PDFs
drawn with reportlab (one signed by an agency with the throwaway PKI of pki.py), a PNG photo, AIP records
with the values a real dossier carries. Checked with the project's own validator, signature validation
and PDF/A triage, and read back with pypdf."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

import pki as test_pki
from archive_repo.access.dip import (
    CERTIFICATE,
    BuiltDip,
    DipDocument,
    DipFile,
    DipRequest,
    authentication_code,
    build_dip,
)
from archive_repo.access.errors import AccessError
from archive_repo.access.signing import ArchiveSigner
from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
from archive_repo.authenticity.pdfa import pdf_facts
from archive_repo.authenticity.results import SignatureOutcome
from archive_repo.authenticity.trust import TrustStore
from archive_repo.i18n import message_keys
from archive_repo.packages.premis import read_premis, subset_errors
from archive_repo.validation.validator import validate_path
from archive_repo.xmlsafe import parse_xml

ARCHIVE_CODE = "LTLSHG"
ARCHIVE_NAME = "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"
AIP_OBJID = "urn:G09:uuid-7067204B-3C1D-4E5F-9A8B-7C6D5E4F3A2B"
ARC_FILE_CODE = "LTLSHG.H49.64.33.2024.15"
REP1 = "representations/rep1"
METS = "{http://www.loc.gov/METS/}"
CSIP = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}"
SOURCE = Path(__file__).resolve().parents[1] / "src" / "archive_repo"

DOSSIER = {
    "arcFileCode": ARC_FILE_CODE,
    "title": "Hồ sơ về việc tổ chức Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024 của Sở Nội vụ",
    "maintenance": "01",
    "mode": "01",
    "language": "01",
    "startDate": "05/11/2024",
    "endDate": "27/12/2024",
    "totalDoc": "3",
    "numberOfPage": "9",
    "confidenceLevel": "01",
    "riskRecovery": "1",
    "riskRecoveryStatus": "01",
}
PLAN = {  # an AIP_hoso text document record, as the catalog stores it
    "arcFileCode": ARC_FILE_CODE,
    "mode": "01",
    "language": "01",
    "numberOfPage": "3",
    "confidenceLevel": "01",
    "docCode": "H49.64.33.2024.15.0000001",
    "docOrdinal": "1",
    "typeName": "10",
    "codeNumber": "215",
    "codeNotation": "KH-SNV",
    "issuedDate": "05/11/2024",
    "organName": "Sở Nội vụ tỉnh Hà Giang",
    "subject": "Kế hoạch tổ chức Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
    "autograph": "Giám đốc Sở ký số",
    "process": "0",
}
DECISION = {
    **PLAN,
    "numberOfPage": "4",
    "docCode": "H49.64.33.2024.15.0000002",
    "docOrdinal": "2",
    "typeName": "02",
    "codeNumber": "1502",
    "codeNotation": "QĐ-SNV",
    "issuedDate": "20/12/2024",
    "subject": "Quyết định khen thưởng tập thể, cá nhân có thành tích trong công tác văn thư, lưu trữ",
}
PHOTO = {  # an AIP_hoso photo record (no docOrdinal: the ordinal comes from docCode)
    "arcFileCode": ARC_FILE_CODE,
    "docCode": "H49.64.33.2024.15.0000003",
    "typePic": "02",
    "archivesNumber": "A15-03",
    "eventName": "Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
    "imageTitle": "Toàn cảnh Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
    "photographer": "Phạm Văn Dũng",
    "photoPlace": "Hội trường Sở Nội vụ tỉnh Hà Giang",
    "photoTime": "27/12/2024",
    "colour": "01",
    "mode": "01",
}
REQUEST = DipRequest(
    request_id="YC-2026-000012",
    request_date=date(2026, 3, 2),
    purpose="02",
    purpose_content="Phục vụ thanh tra công tác văn thư, lưu trữ",
    fee_object_type="01",
    research_topic="Công tác văn thư, lưu trữ tỉnh Hà Giang 2020-2025",
    description="Cấp bản sao có chứng thực theo Điều 42",
    recipient_name="Nguyễn Thị Hoa",
    recipient_id="002190012345",
    issued_on=date(2026, 3, 5),
    valid_until=date(2026, 4, 4),
    copies=2,
)


@dataclass(frozen=True)
class Built:
    dip: BuiltDip
    documents: tuple[DipDocument, ...]
    trust: TrustStore
    signer: ArchiveSigner
    folder: Path  # where the originals and other outputs live


# --------------------------------------------------------------------------------------------------
# fixtures


def _reportlab_pdf(path: Path, lines: list[str]) -> Path:
    canvas = Canvas(str(path), pagesize=A4)
    y = 780
    for line in lines:
        canvas.drawString(72, y, line)
        y -= 18
    canvas.showPage()
    canvas.save()
    return path


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (64, 48), (180, 40, 40))
    for x in range(64):
        image.putpixel((x, x % 48), (250, 250, 250))
    image.save(path, format="PNG")
    return path


def _dip_file(path: Path, name: str, mimetype: str, puid: str, format_name: str) -> DipFile:
    data = path.read_bytes()
    return DipFile(
        local_path=path,
        source_path=f"{REP1}/data/{name}",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        mimetype=mimetype,
        puid=puid,
        format_name=format_name,
    )


def _document(fields: dict[str, str], kind: str, original: DipFile) -> DipDocument:
    return DipDocument(AIP_OBJID, ARC_FILE_CODE, kind, dict(fields), dict(DOSSIER), (original,))


def _archive_signer(pki: test_pki.TestPki) -> ArchiveSigner:
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    chain = [translate_pyca_cryptography_cert_to_asn1(c.cert) for c in (pki.intermediate, pki.root)]
    signer = SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(pki.org_signer.cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(pki.org_signer.key),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    return ArchiveSigner(signer=signer, name=ARCHIVE_NAME)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("dip")
    pki = test_pki.make_pki()
    plan = _reportlab_pdf(folder / "plan.pdf", ["KE HOACH 215/KH-SNV", "Hoi nghi tong ket van thu, luu tru"])
    unsigned = _reportlab_pdf(folder / "decision.pdf", ["QUYET DINH 1502/QD-SNV", "Van ban co chu ky so"])
    signed = test_pki.sign_pdf(unsigned, folder / "decision-signed.pdf", pki.signer, pki)
    photo = _photo(folder / "photo.png")
    documents = (
        _document(
            PLAN, "doc", _dip_file(plan, "H49.64.33.2024.15.1.pdf", "application/pdf", "fmt/18", "PDF")
        ),
        _document(
            DECISION, "doc", _dip_file(signed, "H49.64.33.2024.15.2.pdf", "application/pdf", "fmt/18", "PDF")
        ),
        _document(PHOTO, "pic", _dip_file(photo, "H49.64.33.2024.15.3.png", "image/png", "fmt/12", "PNG")),
    )
    signer = _archive_signer(pki)
    dip = build_dip(
        REQUEST,
        documents,
        folder / "out",
        archive_code=ARCHIVE_CODE,
        archive_name=ARCHIVE_NAME,
        signer=signer,
    )
    trust = TrustStore.load(pki.write_trust_dir(folder / "trust"))
    return Built(dip, documents, trust, signer, folder)


def _fields(path: Path) -> list[tuple[str, str]]:
    return [(child.tag, child.text or "") for child in parse_xml(path).getroot()]


def _text(pdf: Path) -> str:
    """The page text with white space collapsed (table cells wrap), NFC."""
    raw = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", raw))


# --------------------------------------------------------------------------------------------------
# the package


def test_the_dip_folder_and_zip_pass_the_dip_profile_without_findings(built: Built) -> None:
    dip = built.dip
    assert re.fullmatch(r"uuid-[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", dip.objid)
    assert dip.folder.name == dip.objid
    assert sorted(p.name for p in dip.folder.parent.iterdir()) == sorted([dip.objid, f"{dip.objid}.zip"])
    for target in (dip.folder, dip.zip_path):
        report = validate_path(target, "DIP")
        assert report.is_valid, report.findings
        assert list(report.findings) == [], report.findings


def test_root_mets_is_an_eark_dip_with_the_certificate_as_documentation(built: Built) -> None:
    root = parse_xml(built.dip.folder / "METS.xml").getroot()
    assert root.get("OBJID") == built.dip.objid
    assert root.get("TYPE") == "MIXED"
    assert root.get("PROFILE") == "https://earkdip.dilcis.eu/profile/E-ARK-DIP.xml"
    header = root.find(f"{METS}metsHdr")
    assert header.get(f"{CSIP}OAISPACKAGETYPE") == "DIP"
    agent = header.find(f"{METS}agent")
    assert agent.get("OTHERTYPE") == "SOFTWARE"
    assert agent.findtext(f"{METS}note") == "G09"  # the fonds of the source AIP
    groups = {g.get("USE"): g for g in root.iter(f"{METS}fileGrp")}
    hrefs = [
        f.get("{http://www.w3.org/1999/xlink}href") for f in groups["Documentation"].iter(f"{METS}FLocat")
    ]
    assert hrefs == [CERTIFICATE]
    schemas = sorted(p.name for p in (built.dip.folder / "schemas").iterdir())
    assert schemas == [
        "DILCISExtensionMETS.xsd",
        "EAD.xsd",
        "ead_doc.xsd",
        "ead_pic.xsd",
        "mets.xsd",
        "xlink.xsd",
    ]


def test_originals_are_byte_identical_and_the_agency_signature_still_validates(built: Built) -> None:
    data = built.dip.folder / REP1 / "data"
    for document in built.documents:
        original = document.files[0]
        copied = data / Path(original.source_path).name
        assert copied.read_bytes() == original.local_path.read_bytes()
        assert hashlib.sha256(copied.read_bytes()).hexdigest() == original.sha256
    result = validate_pdf_signatures(data / "H49.64.33.2024.15.2.pdf", built.trust)
    assert result.error is None
    assert [s.outcome for s in result.signatures] == [SignatureOutcome.TOTAL_PASSED]
    assert "Nguyễn Văn An" in (result.signatures[0].signer or "")


def test_ead_holds_the_request_record_in_profile_order(built: Built) -> None:
    assert _fields(built.dip.folder / "metadata/descriptive/EAD.xml") == [
        ("requestID", "YC-2026-000012"),
        ("requestDate", "02/03/2026"),
        ("purpose", "02"),
        ("purposeContent", "Phục vụ thanh tra công tác văn thư, lưu trữ"),
        ("feeObjectType", "01"),
        ("researchTopic", "Công tác văn thư, lưu trữ tỉnh Hà Giang 2020-2025"),
        ("description", "Cấp bản sao có chứng thực theo Điều 42"),
    ]


def test_empty_optional_request_fields_are_left_out(tmp_path: Path, built: Built) -> None:
    request = replace(REQUEST, purpose_content=None, research_topic="  ", description="")
    dip = build_dip(
        request,
        built.documents[:1],
        tmp_path,
        archive_code=ARCHIVE_CODE,
        archive_name=ARCHIVE_NAME,
        signer=built.signer,
    )
    names = [name for name, _ in _fields(dip.folder / "metadata/descriptive/EAD.xml")]
    assert names == ["requestID", "requestDate", "purpose", "feeObjectType"]
    assert list(validate_path(dip.folder, "DIP").findings) == []


def test_document_records_carry_arcdoccode_and_no_organname(built: Built) -> None:
    descriptive = built.dip.folder / REP1 / "metadata/descriptive"
    assert sorted(p.name for p in descriptive.iterdir()) == [
        "EAD_DOC_H49.64.33.2024.15.1.xml",
        "EAD_DOC_H49.64.33.2024.15.2.xml",
        "EAD_PIC_H49.64.33.2024.15.3.xml",
    ]
    decision = dict(_fields(descriptive / "EAD_DOC_H49.64.33.2024.15.2.xml"))
    assert decision["arcDocCode"] == "LTLSHG.H49.64.33.2024.15.0000002"
    for dropped in ("organName", "docCode", "docOrdinal", "arcFileCode"):
        assert dropped not in decision
    assert decision["codeNumber"] == "1502" and decision["codeNotation"] == "QĐ-SNV"
    # what the AIP document lacks comes from the dossier
    assert (decision["maintenance"], decision["riskRecovery"], decision["riskRecoveryStatus"]) == (
        "01",
        "1",
        "01",
    )
    names = [name for name, _ in _fields(descriptive / "EAD_DOC_H49.64.33.2024.15.2.xml")]
    assert names[:4] == ["arcDocCode", "maintenance", "typeName", "codeNumber"]  # profile order
    photo = dict(_fields(descriptive / "EAD_PIC_H49.64.33.2024.15.3.xml"))
    assert photo["arcDocCode"] == "LTLSHG.H49.64.33.2024.15.0000003"  # ordinal taken from docCode
    assert photo["typePic"] == "02" and "docCode" not in photo


def test_premis_links_the_dip_back_to_the_source_aip(built: Built) -> None:
    dip = built.dip
    root_premis = dip.folder / "metadata/preservation/PREMIS.xml"
    rep_premis = dip.folder / REP1 / "metadata/preservation/PREMIS_rep1.xml"
    for path in (root_premis, rep_premis):
        assert subset_errors(parse_xml(path)) == []
    package = read_premis(root_premis)
    [event] = package.events_of_type("dissemination")
    assert event.outcome == "success"
    assert [i.value for i in event.objects_with_role("source")] == [AIP_OBJID]
    assert dip.objid in [i.value for i in event.objects_with_role("outcome")]
    assert dip.authentication_code in (event.detail or "")
    agents = {a.identifier.value: a for a in package.agents}
    assert agents[f"archive/{ARCHIVE_CODE}"].name == ARCHIVE_NAME
    assert {a.identifier.value for a in event.agents} == set(agents)
    entity = package.object_by_value(dip.objid)
    assert ("derivation", "has source", AIP_OBJID) in [
        (r.type, r.subtype, r.related.value) for r in entity.relationships
    ]
    certificate = package.object_by_value(f"{dip.objid}/{CERTIFICATE}")
    assert certificate.sha256 == hashlib.sha256(dip.certificate.read_bytes()).hexdigest()
    assert certificate.format.puid == "fmt/477"

    representation = read_premis(rep_premis)
    for document in built.documents:
        original = document.files[0]
        name = Path(original.source_path).name
        obj = representation.object_by_value(f"{dip.objid}/{REP1}/data/{name}")
        assert (obj.sha256, obj.size, obj.format.puid) == (original.sha256, original.size, original.puid)
        sources = [r.related.value for r in obj.relationships if r.type == "derivation"]
        assert sources == [f"{AIP_OBJID}/{original.source_path}"]
    assert len(representation.events_of_type("fixity check")) == len(built.documents)


# --------------------------------------------------------------------------------------------------
# the certificate


def test_certificate_states_the_eleven_items_in_vietnamese(built: Built) -> None:
    text = _text(built.dip.certificate)
    assert "GIẤY CHỨNG NHẬN BẢN SAO TÀI LIỆU LƯU TRỮ" in text
    expected = [
        "1. Mã xác thực của cơ quan lưu trữ",
        built.dip.authentication_code,
        ARCHIVE_NAME,
        "Nguyễn Thị Hoa",
        "002190012345",
        "LTLSHG.H49.64.33.2024.15.0000001",
        "LTLSHG.H49.64.33.2024.15.0000002",
        "LTLSHG.H49.64.33.2024.15.0000003",
        "215/KH-SNV",
        "1502/QĐ-SNV",
        "A15-03",
        "Kế hoạch",
        "Quyết định",
        "Ảnh",
        "Kế hoạch tổ chức Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
        "Toàn cảnh Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
        "Công vụ: Phục vụ thanh tra công tác văn thư, lưu trữ",
        "05/03/2026",
        "Đến hết ngày 04/04/2026",
        "2 bản",
        "11. Số lượng bản sao",
    ]
    missing = [value for value in expected if value not in text]
    assert missing == [], text


def test_the_authentication_code_can_be_recomputed_from_the_dip(built: Built) -> None:
    data = built.dip.folder / REP1 / "data"
    files = [
        (f"{REP1}/data/{p.name}", hashlib.sha256(p.read_bytes()).hexdigest()) for p in sorted(data.iterdir())
    ]
    code = authentication_code(built.dip.objid, files)
    assert code == built.dip.authentication_code
    assert re.fullmatch(r"[A-Z2-7]{5}(-[A-Z2-7]{5}){3}", code)
    assert authentication_code("uuid-OTHER", files) != code


def test_the_certificate_is_signed_by_the_archive(built: Built) -> None:
    result = validate_pdf_signatures(built.dip.certificate, built.trust)
    assert result.error is None
    [signature] = result.signatures
    assert signature.outcome is SignatureOutcome.TOTAL_PASSED, signature.reasons
    assert signature.field == "ArchiveCertification"
    assert "Sở Nội vụ tỉnh Hà Giang" in (signature.signer or "")  # the test PKI's organisation certificate


def test_the_certificate_is_pdfa_2b_as_far_as_the_triage_can_tell(built: Built) -> None:
    facts = pdf_facts(built.dip.certificate)
    assert facts.error is None
    assert facts.pdfa_claim == "2B"
    assert facts.output_intent
    assert facts.unembedded_fonts == ()
    assert facts.javascript == () and not facts.encrypted
    assert facts.signature_fields == 1
    with pikepdf.open(built.dip.certificate) as pdf:
        assert len(pdf.trailer.ID) == 2
        meta = pdf.open_metadata()
        info = pdf.docinfo
        # PDF/A: the Info entries and their XMP equivalents agree, also after pyHanko's incremental update
        assert str(info.Title) == meta["dc:title"] == "Giấy chứng nhận bản sao tài liệu lưu trữ"
        assert str(info.Author) == ARCHIVE_NAME and meta["dc:creator"] == [ARCHIVE_NAME]
        assert str(info.Producer) == meta["pdf:Producer"]
        assert str(info.Creator) == meta["xmp:CreatorTool"]
        assert "/Trapped" not in info
        for name in pdf.Root.AcroForm.Fields:
            assert int(name.F) & 4  # printable widget


def test_the_certificate_has_english_labels_on_request(tmp_path: Path, built: Built) -> None:
    dip = build_dip(
        REQUEST,
        built.documents[1:2],
        tmp_path,
        archive_code=ARCHIVE_CODE,
        archive_name=ARCHIVE_NAME,
        signer=built.signer,
        lang="en",
    )
    text = _text(dip.certificate)
    for value in (
        "CERTIFICATE OF COPY OF ARCHIVAL RECORDS",
        "1. Archive authentication code",
        dip.authentication_code,
        "3. Full name and citizen ID of the recipient",
        "Nguyễn Thị Hoa, citizen ID: 002190012345",
        "4. Archival code of the original",
        "LTLSHG.H49.64.33.2024.15.0000002",
        "1502/QĐ-SNV",
        "6. Document type Decision",
        "Official duty: Phục vụ thanh tra",
        "9. Issue date 2026-03-05",
        "Until the end of 2026-04-04",
        "11. Number of copies 2 copy(ies)",
    ):
        assert value in text, value
    assert "Mã xác thực" not in text


# --------------------------------------------------------------------------------------------------
# refusals: nothing is left behind


def _assert_refused(
    out_dir: Path, key: str, request: DipRequest, documents: list[DipDocument], built: Built
) -> AccessError:
    with pytest.raises(AccessError) as caught:
        build_dip(
            request,
            documents,
            out_dir,
            archive_code=ARCHIVE_CODE,
            archive_name=ARCHIVE_NAME,
            signer=built.signer,
        )
    assert caught.value.message_key == key
    assert not out_dir.exists() or list(out_dir.iterdir()) == []  # no folder, no .partial, no ZIP
    return caught.value


def test_a_digest_mismatch_is_refused_and_leaves_nothing(tmp_path: Path, built: Built) -> None:
    document = built.documents[1]
    wrong = replace(document.files[0], sha256="0" * 64)
    documents = [built.documents[0], replace(document, files=(wrong,))]
    error = _assert_refused(tmp_path / "out", "access_dip.digest_mismatch", REQUEST, documents, built)
    message = error.message("vi")
    for located in (wrong.source_path, AIP_OBJID, "0" * 64, document.files[0].sha256):
        assert located in message


@pytest.mark.parametrize(
    ("case", "key"),
    [
        ("no documents", "access_dip.no_documents"),
        ("unknown kind", "access_dip.unknown_kind"),
        ("unreadable original", "access_dip.unreadable"),
        ("no ordinal", "access_dip.no_ordinal"),
        ("missing subject", "access_dip.missing_field"),
        ("duplicate file name", "access_dip.duplicate_file"),
        ("unknown purpose", "access_dip.bad_code"),
        ("validity before issue", "access_dip.bad_validity"),
    ],
)
def test_bad_input_is_refused_with_a_located_message(
    tmp_path: Path, built: Built, case: str, key: str
) -> None:
    plan, decision = built.documents[0], built.documents[1]
    request, documents = REQUEST, [plan]
    if case == "no documents":
        documents = []
    elif case == "unknown kind":
        documents = [replace(plan, kind="map")]
    elif case == "unreadable original":
        documents = [replace(plan, files=(replace(plan.files[0], local_path=tmp_path / "gone.pdf"),))]
    elif case == "no ordinal":
        fields = {k: v for k, v in plan.fields.items() if k not in ("docOrdinal", "docCode")}
        documents = [replace(plan, fields=fields)]
    elif case == "missing subject":
        documents = [replace(plan, fields={**plan.fields, "subject": " "})]
    elif case == "duplicate file name":
        documents = [
            plan,
            replace(decision, files=(replace(decision.files[0], source_path=plan.files[0].source_path),)),
        ]
    elif case == "unknown purpose":
        request = replace(REQUEST, purpose="09")
    elif case == "validity before issue":
        request = replace(REQUEST, valid_until=date(2026, 3, 4))
    _assert_refused(tmp_path / "out", key, request, documents, built)


def test_every_message_key_exists_in_both_languages() -> None:
    vi = {k for k in message_keys("vi") if k.startswith("access_dip.")}
    en = {k for k in message_keys("en") if k.startswith("access_dip.")}
    assert vi == en
    used = set()
    for module in ("dip.py", "certificate.py"):
        used |= set(re.findall(r'"(access_dip\.[a-z_]+)"', (SOURCE / "access" / module).read_text()))
    assert used and used <= vi, used - vi
