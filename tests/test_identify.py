"""Format identification (Siegfried/PRONOM via pygfried) and the judgement of declared MIME types."""

from __future__ import annotations

import os
import tomllib
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from archive_repo.authenticity.identify import (
    EMPTY_FILE_WARNING,
    declared_mismatch,
    extension_only,
    family_of,
    identifier_version,
    identify,
    in_tt05_table,
    load_pronom_table,
    pronom_table,
)
from archive_repo.authenticity.results import FormatIdentification
from archive_repo.resources import profiles_dir

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Tờ trình</w:t></w:r></w:p></w:body></w:document>"
)


def make_pdf(path: Path) -> Path:
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, "Quyet dinh so 12/QD-UBND")
    pdf.save()
    return path


def make_image(path: Path, image_format: str) -> Path:
    Image.new("RGB", (32, 24), "navy").save(path, format=image_format)
    return path


def make_docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("word/document.xml", _DOCUMENT)
    return path


def make_odt(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(zipfile.ZipInfo("mimetype"), ODT)  # first and stored, as ODF requires
        package.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content office:version="1.2" '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        )
        package.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest manifest:version="1.2" '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT}"/>'
            "</manifest:manifest>",
        )
    return path


# --------------------------------------------------------------------------------------------------
# identify()
# --------------------------------------------------------------------------------------------------


def test_pdf_is_identified_as_pdf(tmp_path: Path) -> None:
    ident = identify(make_pdf(tmp_path / "van-ban.pdf"), "representations/rep1/data/van-ban.pdf")
    assert ident.path == "representations/rep1/data/van-ban.pdf"
    assert family_of(ident).key == "pdf"
    assert ident.puid.startswith("fmt/")
    assert ident.mimetype == "application/pdf"
    assert "byte match" in ident.basis
    assert ident.warning is None
    assert in_tt05_table(ident)
    assert not declared_mismatch("application/pdf", ident)
    assert declared_mismatch("image/jpeg", ident)


def test_jpeg_renamed_pdf_is_a_jpeg_and_contradicts_the_declared_pdf(tmp_path: Path) -> None:
    ident = identify(make_image(tmp_path / "scan.pdf", "JPEG"))
    assert ident.puid == "fmt/43"
    assert ident.name == "JPEG File Interchange Format"
    assert ident.version == "1.01"
    assert ident.mimetype == "image/jpeg"
    assert ident.warning == "extension mismatch"
    assert declared_mismatch("application/pdf", ident)
    assert not declared_mismatch("image/jpeg", ident)
    assert not declared_mismatch("IMAGE/JPEG; q=1", ident)  # case and parameters do not matter
    assert in_tt05_table(ident)  # a JPEG is acceptable, only not as a PDF


@pytest.mark.parametrize(
    ("name", "image_format", "family", "mimetype"),
    [("anh.png", "PNG", "png", "image/png"), ("anh.tif", "TIFF", "tiff", "image/tiff")],
)
def test_raster_images(tmp_path: Path, name: str, image_format: str, family: str, mimetype: str) -> None:
    ident = identify(make_image(tmp_path / name, image_format))
    assert family_of(ident).key == family
    assert ident.mimetype == mimetype
    assert in_tt05_table(ident)
    assert not declared_mismatch(mimetype, ident)
    assert declared_mismatch("application/pdf", ident)


def test_docx_is_identified_from_its_container(tmp_path: Path) -> None:
    ident = identify(make_docx(tmp_path / "to-trinh.docx"))
    assert ident.puid == "fmt/412"
    assert ident.mimetype == DOCX
    assert "container" in ident.basis
    assert in_tt05_table(ident)
    assert not declared_mismatch(DOCX, ident)
    assert declared_mismatch("application/msword", ident)
    assert declared_mismatch("application/pdf", ident)


def test_plain_zip_named_docx_is_not_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("note.txt", "not a word document")
    ident = identify(path)
    assert ident.puid == "x-fmt/263"
    assert ident.warning == "extension mismatch"
    assert declared_mismatch(DOCX, ident)
    assert not in_tt05_table(ident)


def test_odt_is_identified_from_its_container(tmp_path: Path) -> None:
    ident = identify(make_odt(tmp_path / "bien-ban.odt"))
    assert ident.puid == "fmt/291"
    assert ident.version == "1.2"
    assert family_of(ident).key == "odt"
    assert not declared_mismatch(ODT, ident)
    assert declared_mismatch(DOCX, ident)


def test_text_csv_and_xml_are_interchangeable_but_not_pdf(tmp_path: Path) -> None:
    text = tmp_path / "ghi-chu.txt"
    text.write_text("Ghi chú: hồ sơ gồm 3 văn bản.\n", encoding="utf-8")
    csv = tmp_path / "danh-muc.csv"
    csv.write_text("so,ngay,trich_yeu\n1,05/11/2024,Ke hoach\n", encoding="utf-8")
    xml = tmp_path / "EAD.xml"
    xml.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<simpledc><title>x</title></simpledc>\n')

    text_id, csv_id, xml_id = identify(text), identify(csv), identify(xml)
    assert (text_id.puid, text_id.mimetype) == ("x-fmt/111", "text/plain")
    assert "UTF-8" in text_id.basis
    assert (csv_id.puid, csv_id.mimetype) == ("x-fmt/18", "text/csv")
    assert extension_only(csv_id) and not extension_only(text_id)
    assert (xml_id.puid, xml_id.mimetype) == ("fmt/101", "application/xml")
    assert all(in_tt05_table(i) for i in (text_id, csv_id, xml_id))

    assert not declared_mismatch("text/csv", text_id)
    assert not declared_mismatch("text/plain", csv_id)
    assert not declared_mismatch("text/xml", xml_id)
    assert not declared_mismatch("application/xml; charset=UTF-8", xml_id)
    assert not declared_mismatch("application/octet-stream", xml_id)  # how packages declare schemas
    for ident in (text_id, csv_id, xml_id):
        assert declared_mismatch("application/pdf", ident)


def test_empty_file_is_not_identified(tmp_path: Path) -> None:
    empty = tmp_path / "trong.pdf"
    empty.write_bytes(b"")
    ident = identify(empty)
    assert ident.puid is None
    assert ident.warning == EMPTY_FILE_WARNING
    assert not declared_mismatch("application/pdf", ident)  # unknown is reported separately
    assert not in_tt05_table(ident)


def test_unrecognisable_content_is_unknown_not_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "hong.pdf"
    path.write_bytes(bytes(range(256)) * 8)
    ident = identify(path)
    assert ident.puid is None
    assert ident.warning.startswith("no match; possibilities based on extension are fmt/14")
    assert not declared_mismatch("application/pdf", ident)
    assert not in_tt05_table(ident)


@pytest.mark.parametrize("kind", ["missing", "directory", "unreadable"])
def test_unreadable_paths_do_not_raise(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.pdf"
    if kind == "directory":
        path.mkdir()
    elif kind == "unreadable":
        make_pdf(path)
        path.chmod(0)
        if os.access(path, os.R_OK):  # root reads anything
            pytest.skip("running with permission to read mode-000 files")
    ident = identify(path, "x.pdf")
    assert ident.path == "x.pdf"
    assert ident.puid is None
    expected = {"missing": "no such file", "directory": "is a directory", "unreadable": "permission denied"}
    assert expected[kind] in ident.warning.lower()


def test_identifier_version_names_siegfried_and_the_pronom_signature_files() -> None:
    version = identifier_version()
    assert version.startswith("siegfried 1.")
    assert "(pygfried " in version
    assert "DROID_SignatureFile_V" in version
    assert "container-signature-" in version


# --------------------------------------------------------------------------------------------------
# declared_mismatch() and profiles/pronom.toml without files
# --------------------------------------------------------------------------------------------------


def _ident(puid: str | None, mimetype: str | None = None) -> FormatIdentification:
    return FormatIdentification(path="f", puid=puid, mimetype=mimetype)


@pytest.mark.parametrize(
    ("declared", "puid", "pronom_mime", "mismatch"),
    [
        ("application/pdf", "fmt/477", "application/pdf", False),  # PDF/A-2b is a PDF
        ("application/pdf", "fmt/43", "image/jpeg", True),
        ("application/msword", "fmt/50", "application/rtf", False),  # RTF saved as .doc
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "fmt/1828", DOCX, False),
        ("video/mpeg", "fmt/199", "application/mp4", False),  # MPEG-4 declared as MPEG
        ("video/x-ms-wmv", "fmt/131", "application/vnd.ms-asf", False),  # the ASF container only
        ("image/gif", "fmt/3", "image/gif", False),
        ("application/pdf", "x-fmt/411", "", True),  # an executable, no PRONOM MIME: still not a PDF
        ("application/xml", "fmt/875", "application/rdf+xml", False),  # an XML vocabulary not listed
        ("audio/x-wav", "fmt/1", "audio/x-wav", False),  # not a TT05 type: PRONOM's MIME decides
        ("audio/x-wav", "fmt/43", "image/jpeg", True),
        ("application/x-unknown", "fmt/9999", "", False),  # nothing to compare with
        ("application/pdf", None, None, False),
        ("", "fmt/43", "image/jpeg", False),
    ],
)
def test_declared_mismatch_table(declared: str, puid: str | None, pronom_mime: str, mismatch: bool) -> None:
    assert declared_mismatch(declared, _ident(puid, pronom_mime)) is mismatch


def test_macro_enabled_and_encrypted_office_files_match_but_are_not_tt05() -> None:
    for puid in ("fmt/523", "fmt/494"):
        ident = _ident(puid)
        assert not declared_mismatch(DOCX, ident)
        assert not in_tt05_table(ident)


def test_every_tt05_mimetype_of_formats_toml_has_a_family() -> None:
    with open(profiles_dir() / "formats.toml", "rb") as handle:
        groups = tomllib.load(handle)
    declared = {mime for group in groups.values() for mime in group.values()}
    table = pronom_table()
    missing = sorted(declared - table.tt05_mimetypes - {"application/octet-stream"})
    assert missing == []
    assert len(table.by_puid) > 150


def test_a_puid_in_two_families_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "pronom.toml"
    bad.write_text(
        '[family.a]\nname="a"\ntt05=true\nmimetypes=["image/png"]\npuids=["fmt/11"]\n'
        '[family.b]\nname="b"\ntt05=true\nmimetypes=["image/png"]\npuids=["fmt/11"]\n'
    )
    with pytest.raises(ValueError, match="fmt/11 is in both 'a' and 'b'"):
        load_pronom_table(bad)
