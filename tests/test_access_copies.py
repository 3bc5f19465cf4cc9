"""Copies for researchers (issue #6, TT05 art. 37, 40, 41): reading copies, "BẢN SAO" copies and certified
copies of PDFs and images, made from real files and checked with independent readers: pdfplumber and
poppler (pdftotext, pdftoppm) for the stamps, the repository's own verifier for the archive's signature,
Pillow for the images. Everything is made once per module."""

from __future__ import annotations

import hashlib
import io
import re
import socket
import subprocess
import tomllib
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from PIL import Image, ImageCms, ImageSequence
from pyhanko.sign.timestamps import HTTPTimeStamper
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

import pki as test_pki
from archive_repo.access.copies import COPY_KINDS, RenderedCopy, render_copy
from archive_repo.access.errors import AccessError
from archive_repo.access.signing import (
    SIGNING_TIME,
    ArchiveSigner,
    load_archive_signer,
    sign_pdf,
    signing_time_text,
)
from archive_repo.access.stamp import make_certified_copy, make_plain_copy, make_reading_copy
from archive_repo.access.watermark import image_to_pdf, watermark_image
from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
from archive_repo.authenticity.pdfa import pdf_facts
from archive_repo.authenticity.results import SignatureOutcome
from archive_repo.authenticity.trust import TrustStore

ARCHIVE = test_pki.ARCHIVE_NAME
PASSPHRASE = b"mat-khau-luu-tru"
AGENCY = "Sở Nội vụ tỉnh Hà Giang"
MARK = "BẢN SAO"
NEAR = 15 * mm  # "top right" / "bottom": within this of the edges
PASSED = SignatureOutcome.TOTAL_PASSED
LOCALES = Path(__file__).resolve().parents[1] / "src" / "archive_repo" / "locales"
ISO_VIETNAM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
# The four pages of the multi-page source: (rotation, MediaBox, CropBox or None)
PAGES = (
    (0, (0, 0, 595.28, 841.89), None),
    (90, (0, 0, 595.28, 841.89), None),
    (0, (0, 0, 595.28, 841.89), (40, 50, 520, 760)),
    (270, (100, 200, 695.28, 1041.89), (130, 240, 660, 1000)),
)


# --------------------------------------------------------------------------------------------------
# Sources and outputs, made once
# --------------------------------------------------------------------------------------------------


def text_pdf(path: Path, pages: int, text: str = "Trang") -> Path:
    """Helvetica text in the middle left of each A4 page: the top right and the bottom stay blank."""
    canvas = Canvas(str(path), pagesize=A4)
    for number in range(1, pages + 1):
        canvas.setFont("Helvetica", 14)
        canvas.drawString(72, 400, f"{text} {number}")
        canvas.showPage()
    canvas.save()
    return path


def multi_page_pdf(path: Path) -> Path:
    text_pdf(path, len(PAGES))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for page, (rotation, media, crop) in zip(pdf.pages, PAGES, strict=True):
            page.mediabox = pikepdf.Array(media)
            if crop:
                page.cropbox = pikepdf.Array(crop)
            if media[0]:  # move the content with the box
                page.contents_add(pdf.make_stream(b"q 1 0 0 1 %g %g cm" % media[:2]), prepend=True)
                page.contents_add(pdf.make_stream(b"Q"))
            page.rotate(rotation, relative=False)
        pdf.save(path)
    return path


def rotated_first_page_pdf(path: Path) -> Path:
    """Page 1 turned 90° with a MediaBox that does not start at 0, 0."""
    text_pdf(path, 2)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].mediabox = pikepdf.Array([20, 30, 615.28, 871.89])
        pdf.pages[0].rotate(90, relative=False)
        pdf.save(path)
    return path


def pdfa_2b(path: Path) -> Path:
    """A PDF/A-2b as the DIP certificate is made: reportlab draws (embedded font), pikepdf adds the
    XMP claim and the sRGB output intent."""
    from archive_repo.access.signing import serif_canvas

    buffer = io.BytesIO()
    canvas = serif_canvas(buffer, A4)
    canvas.drawString(72, 760, "Giấy chứng nhận")
    canvas.showPage()
    canvas.save()
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        with pdf.open_metadata() as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        icc = pdf.make_stream(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), N=3)
        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier="sRGB",
            DestOutputProfile=icc,
        )
        pdf.Root.OutputIntents = pikepdf.Array([intent])
        pdf.save(path)
    return path


def pkcs12_of(issued: test_pki.Issued, path: Path, *, with_key: bool = True) -> Path:
    if with_key:
        data = pkcs12.serialize_key_and_certificates(
            b"x", issued.key, issued.cert, None, serialization.NoEncryption()
        )
    else:
        data = pkcs12.serialize_key_and_certificates(
            b"x", None, None, [issued.cert], serialization.NoEncryption()
        )
    path.write_bytes(data)
    return path


def images(folder: Path) -> dict[str, Path]:
    paths = {
        "jpeg": folder / "photo.jpg",
        "png": folder / "dark.png",
        "tiff": folder / "scan.tif",
        "gif": folder / "map.gif",
    }
    Image.new("RGB", (1200, 800), (110, 140, 170)).save(paths["jpeg"], dpi=(300, 300), quality=95)
    Image.new("RGBA", (800, 600), (15, 15, 15, 255)).save(paths["png"])  # no resolution: 200 dpi
    frames = [Image.new("L", (1000, 1400), 255) for _ in range(2)]
    frames[0].save(paths["tiff"], dpi=(200, 200), save_all=True, append_images=frames[1:])
    Image.new("P", (400, 300), 7).save(paths["gif"])
    return paths


@dataclass(frozen=True)
class Made:
    folder: Path
    sources: dict[str, Path]
    digests: dict[str, str]  # of every source, before anything was made
    out: dict[str, Path]
    pages: dict[str, int | None]
    signer: ArchiveSigner
    trust: TrustStore
    signed_at: datetime  # just before the certified copies were signed

    def pdf(self, name: str) -> Path:
        return self.out[name]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    folder = tmp_path_factory.mktemp("copies")
    src = folder / "src"
    src.mkdir()
    pki = test_pki.make_pki()
    signer = load_archive_signer(
        test_pki.archive_signer_files(folder / "keys", PASSPHRASE), PASSPHRASE, name=ARCHIVE
    )
    signer = replace(signer, timestamper=test_pki.timestamper(pki))
    agency = load_archive_signer(pkcs12_of(pki.org_signer, folder / "agency.p12"), None, name=AGENCY)
    sources = {
        "multi": multi_page_pdf(src / "multi.pdf"),
        "rotated": rotated_first_page_pdf(src / "rotated.pdf"),
        "pdfa": pdfa_2b(src / "certificate.pdf"),
        **images(src),
    }
    sign_pdf(
        text_pdf(folder / "unsigned.pdf", 1),
        src / "agency.pdf",
        agency,
        field_name="AgencySignature",
        lines=[AGENCY, SIGNING_TIME],
        box=(72, 600, 272, 640),
    )
    sources["agency"] = src / "agency.pdf"
    digests = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in sources.items()}
    out_dir = folder / "out"
    signed_at = datetime.now(UTC).replace(microsecond=0)
    rendered: dict[str, RenderedCopy] = {}
    for kind in COPY_KINDS:
        for name, mimetype in (
            ("multi", "application/pdf"),
            ("rotated", "application/pdf"),
            ("agency", "application/pdf"),
            ("jpeg", "image/jpeg"),
            ("png", "image/png"),
            ("tiff", "image/tiff"),
            ("gif", "image/gif"),
        ):
            rendered[f"{name}-{kind}"] = render_copy(
                kind, sources[name], mimetype, out_dir, f"{name}-{kind}", archive_name=ARCHIVE, signer=signer
            )
    trust = TrustStore.load(pki.write_trust_dir(folder / "trust"))
    return Made(
        folder=folder,
        sources=sources,
        digests=digests,
        out={key: copy.path for key, copy in rendered.items()},
        pages={key: copy.pages for key, copy in rendered.items()},
        signer=signer,
        trust=trust,
        signed_at=signed_at,
    )


# --------------------------------------------------------------------------------------------------
# Reading what was drawn
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    chars: tuple[dict[str, Any], ...]


def serif_lines(page: Any) -> list[Line]:
    """The text lines pdfplumber finds in the copies' serif font (the sources use Helvetica)."""
    chars = [c for c in page.chars if "LiberationSerif" in c["fontname"] or "TimesNewRoman" in c["fontname"]]
    by_top: dict[float, list[dict[str, Any]]] = {}
    for char in chars:
        by_top.setdefault(round(char["top"]), []).append(char)
    lines = []
    for group in by_top.values():
        group.sort(key=lambda c: c["x0"])
        lines.append(
            Line(
                text="".join(c["text"] for c in group).strip(),
                x0=min(c["x0"] for c in group),
                x1=max(c["x1"] for c in group),
                top=min(c["top"] for c in group),
                bottom=max(c["bottom"] for c in group),
                chars=tuple(group),
            )
        )
    return lines


def is_black(colour: Any) -> bool:
    values = tuple(colour or ())
    return values in ((0,), (0, 0, 0), (0, 0, 0, 1))


def assert_ten_point_black_serif(line: Line) -> None:
    for char in line.chars:
        if char["text"].strip():
            assert abs(char["size"] - 10) <= 0.1, char
            assert is_black(char["non_stroking_color"]), char
            assert "LiberationSerif" in char["fontname"] or "TimesNewRoman" in char["fontname"]


def poppler_words(path: Path, page: int) -> list[dict[str, Any]]:
    """pdftotext -bbox -cropbox: word boxes in the coordinates of the page as the reader sees it."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-cropbox", "-f", str(page), "-l", str(page), str(path), "-"],
        check=True,
        capture_output=True,
    ).stdout
    root = etree.fromstring(html, etree.HTMLParser(encoding="utf-8"))
    return [
        {"text": w.text, **{k: float(w.get(k)) for k in ("xmin", "ymin", "xmax", "ymax")}}
        for w in root.iter("word")
    ]


def view_size(path: Path, index: int) -> tuple[float, float]:
    """Width and height of the visible box as the reader sees it, from the PDF itself."""
    with pikepdf.open(path) as pdf:
        page = pdf.pages[index]
        x0, y0, x1, y1 = (float(v) for v in page.cropbox)
        width, height = abs(x1 - x0), abs(y1 - y0)
        return (height, width) if page.rotation in (90, 270) else (width, height)


def render_first_page(pdf: Path, out: Path) -> Image.Image:
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out)], check=True
    )
    return Image.open(out.with_suffix(".png")).convert("L")


def dark_pixels(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    region = image.crop(tuple(round(v) for v in box))
    return sum(1 for value in region.tobytes() if value < 128)


def top_right_region(image: Image.Image) -> tuple[float, float, float, float]:
    """The rightmost 60 mm and the top 25 mm of a 50 dpi rendering."""
    px = 50 / 25.4
    return image.width - 60 * px, 0, image.width, 25 * px


# --------------------------------------------------------------------------------------------------
# PDF copies: stamps where the reader sees them
# --------------------------------------------------------------------------------------------------


def test_copy_has_the_archive_name_on_every_page_and_ban_sao_on_page_one_only(made: Made) -> None:
    with pdfplumber.open(made.pdf("multi-copy")) as pdf:
        assert len(pdf.pages) == len(PAGES)
        for index, page in enumerate(pdf.pages):
            lines = serif_lines(page)
            names = [line for line in lines if line.text == ARCHIVE]
            marks = [line for line in lines if line.text == MARK]
            assert len(names) == 1, (index, [line.text for line in lines])
            assert len(marks) == (1 if index == 0 else 0), (index, [line.text for line in lines])
            for line in names + marks:
                assert_ten_point_black_serif(line)


@pytest.mark.parametrize("index", [0, 1, 2])  # upright, turned 90°, CropBox off the origin
def test_positions_seen_by_pdfplumber(made: Made, index: int) -> None:
    with pdfplumber.open(made.pdf("multi-copy")) as pdf:
        page = pdf.pages[index]
        left, top, right, bottom = page.cropbox  # pdfplumber: the visible box, as the reader sees it
        lines = serif_lines(page)
    (name,) = [line for line in lines if line.text == ARCHIVE]
    assert abs((name.x0 + name.x1) / 2 - (left + right) / 2) <= 2
    assert 0 < bottom - name.bottom <= NEAR
    if index == 0:
        (mark,) = [line for line in lines if line.text == MARK]
        assert 0 < right - mark.x1 <= NEAR
        assert 0 < mark.top - top <= NEAR


@pytest.mark.parametrize("index", range(len(PAGES)))
def test_positions_cross_checked_with_poppler(made: Made, index: int) -> None:
    path = made.pdf("multi-copy")
    width, height = view_size(path, index)
    words = poppler_words(path, index + 1)
    name_words = [w for w in words if w["text"] in ARCHIVE.split()]
    assert " ".join(w["text"] for w in name_words) == ARCHIVE
    x0, x1 = min(w["xmin"] for w in name_words), max(w["xmax"] for w in name_words)
    assert abs((x0 + x1) / 2 - width / 2) <= 2
    assert all(0 < height - w["ymax"] <= NEAR for w in name_words)
    mark_words = [w for w in words if w["text"] in ("BẢN", "SAO")]
    assert len(mark_words) == (2 if index == 0 else 0)
    for word in mark_words:
        assert 0 < width - word["xmax"] <= NEAR + 25 and word["ymin"] <= NEAR


def test_ban_sao_is_top_right_of_a_turned_first_page(made: Made) -> None:
    path = made.pdf("rotated-copy")
    width, height = view_size(path, 0)
    assert width > height  # turned: the reader sees a landscape page
    mark = [w for w in poppler_words(path, 1) if w["text"] in ("BẢN", "SAO")]
    assert [w["text"] for w in mark] == ["BẢN", "SAO"]
    assert 0 < width - max(w["xmax"] for w in mark) <= NEAR
    assert 0 < min(w["ymin"] for w in mark) <= NEAR
    with pdfplumber.open(path) as pdf:
        (line,) = [line for line in serif_lines(pdf.pages[0]) if line.text == MARK]
        assert_ten_point_black_serif(line)
        assert all(c["upright"] for c in line.chars)


@pytest.mark.parametrize("name", ["multi", "rotated"])
def test_rendering_shows_the_mark_top_right_and_the_source_has_nothing_there(made: Made, name: str) -> None:
    copy = render_first_page(made.pdf(f"{name}-copy"), made.folder / f"render-{name}-copy")
    source = render_first_page(made.sources[name], made.folder / f"render-{name}-source")
    assert copy.size == source.size
    assert dark_pixels(copy, top_right_region(copy)) > 20
    assert dark_pixels(source, top_right_region(source)) == 0


def test_stamps_share_one_embedded_font_subset(made: Made) -> None:
    with pikepdf.open(made.pdf("multi-copy")) as pdf:
        font_files = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and "/Length1" in obj]
    assert len(font_files) == 1
    growth = made.pdf("multi-copy").stat().st_size - made.sources["multi"].stat().st_size
    assert growth < 60_000


def test_copy_is_not_encrypted(made: Made) -> None:
    with pikepdf.open(made.pdf("multi-copy")) as pdf:
        assert not pdf.is_encrypted


def test_reading_copy_opens_without_password_but_is_view_only(made: Made) -> None:
    path = made.pdf("multi-reading")
    with pikepdf.open(path) as pdf:  # the empty user password
        assert pdf.is_encrypted
        assert pdf.encryption.bits == 256 and pdf.encryption.R == 6
        assert pdf.encryption.stream_method.name == "aesv3"
        allow = pdf.allow
        assert not (allow.print_lowres or allow.print_highres)
        assert not (allow.extract or allow.modify_annotation or allow.modify_other or allow.modify_form)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            texts = [line.text for line in serif_lines(page)]
            assert texts == [ARCHIVE]
    assert made.pages["multi-reading"] == len(PAGES)


def test_reading_copy_owner_password_is_random(made: Made, tmp_path: Path) -> None:
    again = tmp_path / "again.pdf"
    make_reading_copy(made.sources["multi"], again, archive_name=ARCHIVE)
    owner_keys = []
    for path in (made.pdf("multi-reading"), again):
        with pikepdf.open(path) as pdf:
            owner_keys.append(bytes(pdf.trailer.Encrypt.O))
    assert owner_keys[0] != owner_keys[1]


def test_the_pdf_functions_return_the_page_count(made: Made, tmp_path: Path) -> None:
    assert make_plain_copy(made.sources["multi"], tmp_path / "p.pdf", archive_name=ARCHIVE) == len(PAGES)
    signer = made.signer
    assert (
        make_certified_copy(made.sources["rotated"], tmp_path / "c.pdf", archive_name=ARCHIVE, signer=signer)
        == 2
    )
    assert made.pages["multi-copy"] == made.pages["multi-certified"] == len(PAGES)


def test_decomposed_vietnamese_is_stamped_as_precomposed_letters(made: Made, tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", ARCHIVE)
    assert decomposed != ARCHIVE
    make_plain_copy(made.sources["rotated"], tmp_path / "nfd.pdf", archive_name=decomposed)
    with pdfplumber.open(tmp_path / "nfd.pdf") as pdf:
        assert ARCHIVE in [line.text for line in serif_lines(pdf.pages[1])]


def test_sources_are_never_modified(made: Made) -> None:
    for name, path in made.sources.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == made.digests[name], name


# --------------------------------------------------------------------------------------------------
# Certified copies: the archive's signature is the BẢN SAO mark
# --------------------------------------------------------------------------------------------------


def archive_signature(made: Made, key: str) -> Any:
    result = validate_pdf_signatures(made.pdf(key), made.trust, display_path=f"{key}.pdf")
    assert result.error is None
    assert len(result.signatures) == 1, [(s.field, s.outcome) for s in result.signatures]
    return result.signatures[0]


@pytest.mark.parametrize(
    "key", ["multi-certified", "rotated-certified", "agency-certified", "jpeg-certified"]
)
def test_certified_copy_passes_the_repository_verifier(made: Made, key: str) -> None:
    signature = archive_signature(made, key)
    assert (signature.outcome, signature.subindication) == (PASSED, None), signature.reasons
    assert signature.kind == "PAdES"
    assert signature.level == "B-T"  # the configured timestamper was used
    assert signature.signer == test_pki.archive_signer().cert.subject.rfc4514_string()
    assert signature.modification_level == "NONE"


def widget(path: Path) -> tuple[pikepdf.Object, tuple[float, float, float, float]]:
    with pikepdf.open(path) as pdf:
        widgets = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/FT") == "/Sig"]
        assert len(widgets) == 1
        return widgets[0], tuple(float(v) for v in widgets[0].Rect)


def test_certified_widget_is_top_right_of_page_one(made: Made) -> None:
    _, (x1, y1, x2, y2) = widget(made.pdf("multi-certified"))
    width, height = view_size(made.pdf("multi-certified"), 0)
    assert 0 < width - x2 <= NEAR and 0 < height - y2 <= NEAR
    assert 40 < x2 - x1 < 250 and 30 < y2 - y1 < 60
    with pikepdf.open(made.pdf("multi-certified")) as pdf:
        assert all(not page.get("/Annots") for page in pdf.pages[1:])


def test_certified_appearance_shows_ban_sao_the_archive_and_the_signing_time(
    made: Made, tmp_path: Path
) -> None:
    flattened = tmp_path / "flat.pdf"
    with pikepdf.open(made.pdf("multi-certified")) as pdf:
        pdf.flatten_annotations("all")  # the widget's appearance drawn into the page, so pdfplumber reads it
        pdf.save(flattened)
    with pdfplumber.open(flattened) as pdf:
        page = pdf.pages[0]
        lines = sorted(
            (line for line in serif_lines(page) if line.top < NEAR + 40), key=lambda line: line.top
        )
    assert [line.text for line in lines[:2]] == [MARK, ARCHIVE]
    assert ISO_VIETNAM.match(lines[2].text), lines[2].text
    for line in lines[:3]:
        assert_ten_point_black_serif(line)
    shown = datetime.fromisoformat(lines[2].text)
    claimed = archive_signature(made, "multi-certified").signing_time
    assert shown == claimed  # the appearance shows the time the signature claims
    assert made.signed_at <= shown <= datetime.now(UTC)


def test_certified_copy_draws_no_second_ban_sao_into_the_page(made: Made) -> None:
    with pdfplumber.open(made.pdf("multi-certified")) as pdf:
        for page in pdf.pages:
            assert [line.text for line in serif_lines(page)] == [ARCHIVE]


@pytest.mark.parametrize("name", ["multi", "rotated"])
def test_certified_rendering_shows_the_signature_in_the_widget_rect(made: Made, name: str) -> None:
    path = made.pdf(f"{name}-certified")
    image = render_first_page(path, made.folder / f"render-{name}-certified")
    source = render_first_page(made.sources[name], made.folder / f"render-{name}-source-c")
    assert dark_pixels(image, top_right_region(image)) > 60  # three lines
    assert dark_pixels(source, top_right_region(source)) == 0


def test_certified_widget_on_a_turned_page_is_top_right_as_the_reader_sees_it(made: Made) -> None:
    path = made.pdf("rotated-certified")
    _, (x1, y1, x2, y2) = widget(path)
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        assert page.rotation == 90
        mx0, my0, mx1, my1 = (float(v) for v in page.mediabox)
    # turned 90° clockwise: the reader's top edge is the user space's left (x0), right edge its top (y1)
    assert 0 < x1 - mx0 <= NEAR and 0 < my1 - y2 <= NEAR
    assert y2 - y1 > x2 - x1  # the lines run along the user space's y axis


def test_certified_copy_of_an_image_embeds_the_jpeg_unchanged(made: Made) -> None:
    with pikepdf.open(made.pdf("jpeg-certified")) as pdf:
        page = pdf.pages[0]
        images_found = [x for x in page.get_images().values() if x.get("/Filter") == "/DCTDecode"]
        assert len(images_found) == 1
        assert images_found[0].read_raw_bytes() == made.sources["jpeg"].read_bytes()
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 288, 192]  # 1200×800 px at 300 dpi
    assert made.pages["jpeg-certified"] == 1


def test_certified_without_a_signer_is_refused(made: Made, tmp_path: Path) -> None:
    with pytest.raises(AccessError) as caught:
        render_copy(
            "certified",
            made.sources["multi"],
            "application/pdf",
            tmp_path,
            "x",
            archive_name=ARCHIVE,
            signer=None,
        )
    assert caught.value.message_key == "access_copies.no_signer"
    assert "signing_pkcs12" in caught.value.message("vi")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------------------------------
# Originals signed by their agency
# --------------------------------------------------------------------------------------------------


def test_agency_source_is_validly_signed(made: Made) -> None:
    result = validate_pdf_signatures(made.sources["agency"], made.trust)
    assert [(s.field, s.outcome) for s in result.signatures] == [("AgencySignature", PASSED)]


@pytest.mark.parametrize("kind", ["reading", "copy"])
def test_copy_keeps_the_look_of_the_agency_signature_but_not_a_broken_signature(
    made: Made, kind: str
) -> None:
    path = made.pdf(f"agency-{kind}")
    result = validate_pdf_signatures(path, made.trust)
    assert result.error is None and result.signatures == ()
    with pikepdf.open(path) as pdf:
        assert not pdf.pages[0].get("/Annots")
        assert not [f for f in pdf.Root.get("/AcroForm", {}).get("/Fields", []) if f.get("/FT") == "/Sig"]
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        agency_lines = [line for line in serif_lines(page) if line.text == AGENCY]
        assert len(agency_lines) == 1
        # where the agency's visible signature was: x 72…272, y 600…640 (from the bottom)
        assert agency_lines[0].x0 >= 72 and page.height - 640 <= agency_lines[0].top <= page.height - 600


# --------------------------------------------------------------------------------------------------
# Signing a PDF/A (the DIP certificate)
# --------------------------------------------------------------------------------------------------


def test_signing_a_pdfa_is_an_incremental_update_that_stays_pdfa(made: Made, tmp_path: Path) -> None:
    source = made.sources["pdfa"]
    target = tmp_path / "signed.pdf"
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    sign_pdf(
        source,
        target,
        made.signer,
        field_name="ChungThuc",
        lines=[ARCHIVE, signing_time_text(moment)],
        box=(300, 80, 540, 120),
        reason="Chứng thực DIP",
        signing_time=moment,
    )
    assert target.read_bytes().startswith(source.read_bytes())
    facts = pdf_facts(target)
    assert (facts.pdfa_claim, facts.output_intent, facts.unembedded_fonts) == ("2B", True, ())
    result = validate_pdf_signatures(target, made.trust)
    (signature,) = result.signatures
    assert signature.outcome == PASSED, signature.reasons
    assert signature.signing_time == moment
    _, rect = widget(target)
    assert rect == (300, 80, 540, 120)


def test_signing_time_text_is_iso_8601_vietnam_time() -> None:
    assert signing_time_text(datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)) == "2025-01-01T07:00:00+07:00"
    with pytest.raises(ValueError):
        signing_time_text(datetime(2025, 1, 1))


# --------------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------------


def mean_difference(a: Image.Image, b: Image.Image, box: tuple[float, float, float, float]) -> float:
    box = tuple(round(v) for v in box)
    pa, pb = a.convert("L").crop(box).tobytes(), b.convert("L").crop(box).tobytes()
    return sum(abs(x - y) for x, y in zip(pa, pb, strict=True)) / len(pa)


def regions(image: Image.Image, dpi: float) -> dict[str, tuple[float, float, float, float]]:
    px = dpi / 25.4
    w, h = image.size
    return {
        "bottom": (w * 0.25, h - 20 * px, w * 0.75, h),
        "top_right": (w - 45 * px, 0, w, 20 * px),
    }


@pytest.mark.parametrize("kind", ["reading", "copy"])
def test_jpeg_derivative_keeps_size_and_format_and_is_marked_where_it_should(made: Made, kind: str) -> None:
    original = Image.open(made.sources["jpeg"])
    with Image.open(made.pdf(f"jpeg-{kind}")) as derivative:
        assert (derivative.format, derivative.size) == ("JPEG", original.size)
        assert round(derivative.info["dpi"][0]) == 300
        zones = regions(original, 300)
        assert mean_difference(original, derivative, zones["bottom"]) > 2
        top_right = mean_difference(original, derivative, zones["top_right"])
        assert top_right > 2 if kind == "copy" else top_right < 1
    assert made.pages[f"jpeg-{kind}"] is None


def text_height(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    """Rows of ``box`` holding dark (text) pixels."""
    region = image.convert("L").crop(tuple(round(v) for v in box))
    rows = [y for y in range(region.height) if any(region.getpixel((x, y)) < 80 for x in range(region.width))]
    return (rows[-1] - rows[0] + 1) if rows else 0


def test_mark_is_sized_like_ten_points_at_the_image_resolution(made: Made) -> None:
    with Image.open(made.pdf("jpeg-copy")) as derivative:
        height = text_height(derivative, regions(derivative, 300)["top_right"])
    ten_points = 10 * 300 / 72  # 41.7 px at 300 dpi
    assert 0.5 * ten_points <= height <= 1.2 * ten_points


def test_large_photo_declaring_72_dpi_still_gets_a_legible_mark(tmp_path: Path) -> None:
    photo = tmp_path / "camera.jpg"
    Image.new("RGB", (3000, 2000), (200, 200, 200)).save(photo, dpi=(72, 72))
    watermark_image(photo, tmp_path / "marked.jpg", archive_name=ARCHIVE, copy_mark=True)
    with Image.open(tmp_path / "marked.jpg") as marked:
        height = text_height(marked, (2000, 0, 3000, 150))
    assert height >= 0.015 * 2000 * 0.6  # 10 pt at 72 dpi would be 10 px


def test_dark_png_stays_legible_and_gets_the_default_resolution(made: Made) -> None:
    with Image.open(made.pdf("png-copy")) as derivative:
        assert (derivative.format, derivative.size) == ("PNG", (800, 600))
        assert round(derivative.info["dpi"][0]) == 200
        grey = derivative.convert("L")
        for box in regions(derivative, 200).values():
            values = grey.crop(tuple(round(v) for v in box)).tobytes()
            assert max(values) > 200  # the white halo around the black text
            assert sum(1 for v in values if v < 10) > 10


def test_multi_page_tiff_marks_every_page_and_ban_sao_on_the_first(made: Made) -> None:
    with Image.open(made.pdf("tiff-copy")) as derivative:
        assert derivative.format == "TIFF"
        frames = [frame.convert("L") for frame in ImageSequence.Iterator(derivative)]
    assert len(frames) == 2
    zones = regions(frames[0], 200)
    assert all(dark_pixels(frame, zones["bottom"]) > 50 for frame in frames)
    assert dark_pixels(frames[0], zones["top_right"]) > 50
    assert dark_pixels(frames[1], zones["top_right"]) == 0


def test_gif_becomes_a_marked_png(made: Made) -> None:
    path = made.pdf("gif-copy")
    assert path.suffix == ".png"
    with Image.open(path) as derivative:
        assert (derivative.format, derivative.size) == ("PNG", (400, 300))


def test_image_helpers_write_what_they_are_asked(made: Made, tmp_path: Path) -> None:
    watermark_image(made.sources["gif"], tmp_path / "m.png", archive_name=ARCHIVE, copy_mark=False)
    image_to_pdf(made.sources["tiff"], tmp_path / "scan.pdf")
    with pikepdf.open(tmp_path / "scan.pdf") as pdf:
        assert len(pdf.pages) == 2
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 360, 504]  # 1000×1400 px, 200 dpi
    assert Image.open(tmp_path / "m.png").format == "PNG"


# --------------------------------------------------------------------------------------------------
# What is refused
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mimetype", ["audio/mpeg", "video/mp4", "Video/Quicktime; codecs=x"])
@pytest.mark.parametrize("kind", COPY_KINDS)
def test_audio_and_video_are_never_copied(made: Made, tmp_path: Path, kind: str, mimetype: str) -> None:
    recording = tmp_path / "ghi-am.mp3"
    recording.write_bytes(b"ID3 not really audio")
    with pytest.raises(AccessError) as caught:
        render_copy(
            kind, recording, mimetype, tmp_path / "out", "x", archive_name=ARCHIVE, signer=made.signer
        )
    assert caught.value.message_key == "access_copies.av_not_copied"
    message = caught.value.message("vi")
    assert "ghi-am.mp3" in message and "Điều 40" in message and "DIP" in message
    assert not (tmp_path / "out").exists()


def test_other_formats_are_refused_naming_the_format(made: Made, tmp_path: Path) -> None:
    document = tmp_path / "to-trinh.docx"
    document.write_bytes(b"PK\x03\x04")
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    with pytest.raises(AccessError) as caught:
        render_copy("copy", document, docx, tmp_path, "x", archive_name=ARCHIVE, signer=None)
    assert caught.value.message_key == "access_copies.format_unsupported"
    assert docx in caught.value.message("vi") and "to-trinh.docx" in caught.value.message("en")


def test_unknown_kind_is_refused(made: Made, tmp_path: Path) -> None:
    with pytest.raises(AccessError) as caught:
        render_copy(
            "photocopy",
            made.sources["multi"],
            "application/pdf",
            tmp_path,
            "x",
            archive_name=ARCHIVE,
            signer=None,
        )
    assert caught.value.message_key == "access_copies.unknown_kind"


def bad_inputs(folder: Path) -> dict[str, tuple[Path, str, str]]:
    """name → (file, MIME type, expected message key)"""
    folder.mkdir(parents=True, exist_ok=True)
    broken = folder / "hong.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    locked, owner_only = folder / "khoa.pdf", folder / "chu-so-huu.pdf"
    text_pdf(folder / "plain.pdf", 1)
    with pikepdf.open(folder / "plain.pdf") as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="u"))
        pdf.save(owner_only, encryption=pikepdf.Encryption(owner="o", user=""))
    not_png = folder / "anh.png"
    not_png.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    truncated = folder / "cat-ngang.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 10, 10)).save(buffer, "JPEG")
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return {
        "broken": (broken, "application/pdf", "access_copies.pdf_unreadable"),
        "locked": (locked, "application/pdf", "access_copies.pdf_encrypted"),
        "owner_only": (owner_only, "application/pdf", "access_copies.pdf_encrypted"),
        "not_png": (not_png, "image/png", "access_copies.image_unreadable"),
        "truncated": (truncated, "image/jpeg", "access_copies.image_unreadable"),
        "missing": (folder / "khong-co.pdf", "application/pdf", "access_copies.source_missing"),
    }


@pytest.mark.parametrize("kind", COPY_KINDS)
def test_bad_input_is_a_located_error_and_leaves_nothing_behind(
    made: Made, tmp_path: Path, kind: str
) -> None:
    for name, (path, mimetype, key) in bad_inputs(tmp_path / "in").items():
        out = tmp_path / "out" / name
        with pytest.raises(AccessError) as caught:
            render_copy(kind, path, mimetype, out, "x", archive_name=ARCHIVE, signer=made.signer)
        assert caught.value.message_key == key, (name, caught.value.message("en"))
        assert path.name in caught.value.message("vi")
        assert str(path.parent) not in caught.value.message("vi")  # the file's name, not our paths
        assert not out.exists() or not list(out.iterdir()), name


def test_unreachable_timestamp_service_is_a_located_error(made: Made, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    signer = replace(made.signer, timestamper=HTTPTimeStamper(f"http://127.0.0.1:{port}/tsa"))
    with pytest.raises(AccessError) as caught:
        render_copy(
            "certified",
            made.sources["jpeg"],
            "image/jpeg",
            tmp_path,
            "x",
            archive_name=ARCHIVE,
            signer=signer,
        )
    assert caught.value.message_key == "access_copies.sign_failed"
    assert "photo.jpg" in caught.value.message("vi")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------------------------------
# The archive's key
# --------------------------------------------------------------------------------------------------


def test_loaded_signer_holds_the_archive_certificate(made: Made) -> None:
    cert = test_pki.archive_signer().cert
    assert made.signer.signer.signing_cert.dump() == cert.public_bytes(serialization.Encoding.DER)
    assert made.signer.name == ARCHIVE


@pytest.mark.parametrize(
    ("case", "key"),
    [
        ("missing", "access_copies.signer_missing"),
        ("wrong_passphrase", "access_copies.signer_bad_passphrase"),
        ("no_passphrase", "access_copies.signer_bad_passphrase"),
        ("not_pkcs12", "access_copies.signer_unreadable"),
        ("no_key", "access_copies.signer_no_key"),
    ],
)
def test_bad_signer_files_are_explained(tmp_path: Path, case: str, key: str) -> None:
    good = test_pki.archive_signer_files(tmp_path / "keys", PASSPHRASE)
    path, passphrase = good, PASSPHRASE
    if case == "missing":
        path = tmp_path / "khong-co.p12"
    elif case == "wrong_passphrase":
        passphrase = b"sai"
    elif case == "no_passphrase":
        passphrase = None
    elif case == "not_pkcs12":
        path = tmp_path / "rac.p12"
        path.write_bytes(b"this is not a PKCS#12 file")
    else:
        path = pkcs12_of(test_pki.archive_signer(), tmp_path / "cert-only.p12", with_key=False)
        passphrase = None
    with pytest.raises(AccessError) as caught:
        load_archive_signer(path, passphrase, name=ARCHIVE)
    assert caught.value.message_key == key
    assert path.name in caught.value.message("vi")


def test_unencrypted_pkcs12_loads_without_passphrase(tmp_path: Path) -> None:
    path = test_pki.archive_signer_files(tmp_path, None)
    assert load_archive_signer(path, None, name=ARCHIVE).name == ARCHIVE


# --------------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------------


def test_messages_exist_in_both_languages_with_the_same_placeholders() -> None:
    tables = {}
    for lang in ("vi", "en"):
        with open(LOCALES / lang / "access_copies.toml", "rb") as handle:
            tables[lang] = tomllib.load(handle)["access_copies"]
    assert tables["vi"].keys() == tables["en"].keys()
    for key, text in tables["vi"].items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", tables["en"][key])), key
        assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", text.lower()), key
