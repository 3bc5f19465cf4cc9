"""PDF/A triage (pikepdf): claims, risks and the digitised "two-layer" structure, on PDFs made here."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from PIL import Image, ImageCms
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from archive_repo.authenticity.pdfa import pdf_facts

WIDTH, HEIGHT = A4


# --------------------------------------------------------------------------------------------------
# Making PDFs
# --------------------------------------------------------------------------------------------------


def two_layer_pdf(path: Path, pages: int = 2) -> Path:
    """What a scanner + OCR produces: each page one full-page image, and the OCR text invisible on top."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    scan = ImageReader(Image.new("RGB", (120, 170), "beige"))
    for number in range(1, pages + 1):
        pdf.drawImage(scan, 0, 0, width=WIDTH, height=HEIGHT)
        text = pdf.beginText(72, 720)
        text.setTextRenderMode(3)
        text.setFont("Helvetica", 12)
        text.textLine(f"Cong van so {number}/UBND-VP ngay 05/11/2024")
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return path


def born_digital_pdf(path: Path) -> Path:
    """Visible text in Helvetica: a base-14 font reportlab does not embed."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica", 12)
    pdf.drawString(72, 720, "Ke hoach to chuc hoi nghi tong ket")
    pdf.showPage()
    pdf.save()
    return path


def claim_pdfa_2b(source: Path, target: Path) -> Path:
    """A copy of ``source`` with XMP pdfaid 2B and an sRGB GTS_PDFA1 OutputIntent."""
    with pikepdf.open(source) as pdf:
        with pdf.open_metadata() as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        intent = Dictionary(
            Type=Name.OutputIntent,
            S=Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String("sRGB"),
            DestOutputProfile=pdf.make_stream(icc, N=3),
        )
        pdf.Root.OutputIntents = Array([pdf.make_indirect(intent)])
        pdf.save(target)
    return target


def edited(source: Path, target: Path, edit: Callable[[pikepdf.Pdf], None]) -> Path:
    with pikepdf.open(source) as pdf:
        edit(pdf)
        pdf.save(target)
    return target


def raw_pdf(path: Path, contents: bytes, resources: Dictionary | None = None, size: int = 200) -> Path:
    """One page with hand-written content, for structures reportlab does not write."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(size, size))
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(contents)
    if resources is not None:
        page.obj.Resources = resources
    pdf.save(path)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------------
# Digitised documents
# --------------------------------------------------------------------------------------------------


def test_pdfa_2b_two_layer(tmp_path: Path) -> None:
    path = claim_pdfa_2b(two_layer_pdf(tmp_path / "raw.pdf"), tmp_path / "H49.64.33.2024.15.0000001.pdf")
    before = sha256(path)
    facts = pdf_facts(path, "representations/rep1/data/H49.64.33.2024.15.0000001.pdf")
    assert sha256(path) == before  # read only
    assert facts.path == "representations/rep1/data/H49.64.33.2024.15.0000001.pdf"
    assert facts.error is None
    assert facts.pdfa_claim == "2B"
    assert facts.output_intent is True
    assert facts.encrypted is False
    assert facts.javascript == ()
    assert (facts.pages, facts.pages_analyzed) == (2, 2)
    assert (facts.image_pages, facts.invisible_text_pages, facts.visible_text_pages) == (2, 2, 0)
    assert facts.two_layer is True
    # Helvetica is not embedded, but PDF/A exempts fonts used only for invisible text.
    assert facts.unembedded_fonts == ()
    assert facts.signature_fields == 0
    assert facts.warnings == ()


def test_two_layer_without_claim_has_no_claim_and_no_output_intent(tmp_path: Path) -> None:
    facts = pdf_facts(two_layer_pdf(tmp_path / "scan.pdf", pages=3))
    assert facts.pdfa_claim is None
    assert facts.output_intent is False
    assert (facts.pages, facts.image_pages, facts.invisible_text_pages) == (3, 3, 3)
    assert facts.two_layer is True


def test_text_layer_inside_a_form_xobject_counts(tmp_path: Path) -> None:
    """OCRmyPDF grafts the OCR layer onto the page as a form XObject."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    image = pdf.make_stream(b"\x80\x80\x80", Type=Name.XObject, Subtype=Name.Image, Width=1, Height=1)
    image.ColorSpace, image.BitsPerComponent = Name.DeviceRGB, 8
    ocr = pdf.make_stream(
        b"BT 3 Tr /F1 10 Tf 20 100 Td (so hoa) Tj ET",
        Type=Name.XObject,
        Subtype=Name.Form,
        BBox=[0, 0, 200, 200],
        Resources=Dictionary(Font=Dictionary(F1=font)),
    )
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image, OCR=ocr))
    page.obj.Contents = pdf.make_stream(b"q 200 0 0 200 0 0 cm /Im0 Do Q q /OCR Do Q")
    pdf.save(tmp_path / "ocrmypdf-like.pdf")

    facts = pdf_facts(tmp_path / "ocrmypdf-like.pdf")
    assert (facts.image_pages, facts.invisible_text_pages, facts.visible_text_pages) == (1, 1, 0)
    assert facts.two_layer is True
    assert facts.unembedded_fonts == ()


def test_a_font_drawn_visibly_somewhere_must_be_embedded(tmp_path: Path) -> None:
    path = raw_pdf(
        tmp_path / "mixed.pdf",
        b"BT 3 Tr /F1 10 Tf 20 100 Td (an) Tj ET BT 0 Tr /F1 10 Tf 20 50 Td (hien) Tj ET",
        Dictionary(Font=Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Courier))),
    )
    facts = pdf_facts(path)
    assert (facts.invisible_text_pages, facts.visible_text_pages) == (1, 1)
    assert facts.unembedded_fonts == ("Courier",)


def test_render_mode_is_restored_by_Q(tmp_path: Path) -> None:  # noqa: N802 - the PDF operator's name
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Times)
    path = raw_pdf(
        tmp_path / "q.pdf",
        b"q 3 Tr Q BT /F1 10 Tf 20 50 Td (hien) Tj ET",
        Dictionary(Font=Dictionary(F1=font)),
    )
    facts = pdf_facts(path)
    assert (facts.invisible_text_pages, facts.visible_text_pages) == (0, 1)


def test_clip_only_text_is_neither_layer_and_its_font_must_be_embedded(tmp_path: Path) -> None:
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Times)
    path = raw_pdf(
        tmp_path / "clip.pdf", b"BT 7 Tr /F1 10 Tf 20 50 Td (cat) Tj ET", Dictionary(Font=Dictionary(F1=font))
    )
    facts = pdf_facts(path)
    assert (facts.invisible_text_pages, facts.visible_text_pages) == (0, 0)
    assert facts.unembedded_fonts == ("Times",)


def test_inline_and_small_images(tmp_path: Path) -> None:
    inline = raw_pdf(
        tmp_path / "inline.pdf", b"q 200 0 0 180 0 10 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \xff EI Q"
    )
    small = raw_pdf(tmp_path / "logo.pdf", b"q 40 0 0 40 10 150 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \xff EI Q")
    assert pdf_facts(inline).image_pages == 1  # 90 % of the page
    assert pdf_facts(small).image_pages == 0  # 4 % of the page


def test_a_form_that_draws_itself_does_not_loop(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    form = pdf.make_stream(b"/Me Do", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 10, 10])
    form.Resources = Dictionary(XObject=Dictionary(Me=form))
    pdf.add_blank_page(page_size=(100, 100))
    pdf.pages[0].obj.Resources = Dictionary(XObject=Dictionary(Me=form))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"/Me Do")
    pdf.save(tmp_path / "loop.pdf")
    facts = pdf_facts(tmp_path / "loop.pdf")
    assert facts.error is None
    assert (facts.pages, facts.image_pages, facts.visible_text_pages) == (1, 0, 0)


def test_layer_analysis_is_capped_on_long_documents(tmp_path: Path) -> None:
    facts = pdf_facts(two_layer_pdf(tmp_path / "long.pdf", pages=5), max_layer_pages=2)
    assert (facts.pages, facts.pages_analyzed) == (5, 2)
    assert (facts.image_pages, facts.invisible_text_pages) == (2, 2)


# --------------------------------------------------------------------------------------------------
# Born-digital documents and risks
# --------------------------------------------------------------------------------------------------


def test_born_digital_with_unembedded_standard_font(tmp_path: Path) -> None:
    facts = pdf_facts(born_digital_pdf(tmp_path / "born.pdf"))
    assert facts.error is None
    assert facts.pdfa_claim is None
    assert facts.pages == 1
    assert (facts.image_pages, facts.invisible_text_pages, facts.visible_text_pages) == (0, 0, 1)
    assert facts.two_layer is False
    assert facts.unembedded_fonts == ("Helvetica",)
    assert facts.javascript == ()


def test_javascript_in_open_action(tmp_path: Path) -> None:
    def add(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert('x');"))

    facts = pdf_facts(edited(born_digital_pdf(tmp_path / "born.pdf"), tmp_path / "js.pdf", add))
    assert facts.javascript == ("/Root/OpenAction", "/Root/OpenAction /S /JavaScript")


def test_javascript_in_names_tree(tmp_path: Path) -> None:
    def add(pdf: pikepdf.Pdf) -> None:
        script = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=pikepdf.String("this.print();")))
        pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([pikepdf.String("in"), script])))

    facts = pdf_facts(edited(born_digital_pdf(tmp_path / "born.pdf"), tmp_path / "js.pdf", add))
    assert facts.javascript[0] == "/Root/Names/JavaScript"
    assert len(facts.javascript) == 2
    assert facts.javascript[1].startswith("object ") and facts.javascript[1].endswith(" /S /JavaScript")


def test_actions_in_direct_dictionaries_of_a_page_annotation(tmp_path: Path) -> None:
    def add(pdf: pikepdf.Pdf) -> None:
        run = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.launchURL('x');"))
        annotation = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 10, 10], AA=Dictionary(E=run))
        pdf.pages[0].obj.Annots = Array([annotation])  # direct: not an object of its own

    facts = pdf_facts(edited(born_digital_pdf(tmp_path / "born.pdf"), tmp_path / "aa.pdf", add))
    assert facts.javascript == ("page 1/Annots[0] /AA", "page 1/Annots[0]/AA/E /S /JavaScript")


def test_launch_action_and_goto_open_action(tmp_path: Path) -> None:
    def add(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])  # a destination: harmless

    harmless = pdf_facts(edited(born_digital_pdf(tmp_path / "born.pdf"), tmp_path / "goto.pdf", add))
    assert harmless.javascript == ()

    def launch(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=pikepdf.String("cmd.exe"))

    facts = pdf_facts(edited(born_digital_pdf(tmp_path / "born2.pdf"), tmp_path / "launch.pdf", launch))
    assert facts.javascript == ("/Root/OpenAction", "/Root/OpenAction /S /Launch")


def test_signature_fields_are_counted(tmp_path: Path) -> None:
    def add(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0].obj
        widget = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, Rect=[0] * 4, P=page))
        signer = pdf.make_indirect(Dictionary(FT=Name.Sig, T=pikepdf.String("Signature1"), Kids=[widget]))
        widget.Parent = signer
        # two child fields inheriting /FT /Sig from their parent (a field, not a widget: it has no /Rect)
        seals = [
            pdf.make_indirect(
                Dictionary(T=pikepdf.String(f"Seal{n}"), Type=Name.Annot, Subtype=Name.Widget, Rect=[0] * 4)
            )
            for n in (1, 2)
        ]
        group = pdf.make_indirect(Dictionary(FT=Name.Sig, T=pikepdf.String("org"), Kids=seals))
        text = pdf.make_indirect(Dictionary(FT=Name.Tx, T=pikepdf.String("Note")))
        pdf.Root.AcroForm = Dictionary(Fields=Array([signer, group, text]), SigFlags=3)

    facts = pdf_facts(edited(born_digital_pdf(tmp_path / "born.pdf"), tmp_path / "signed.pdf", add))
    assert facts.signature_fields == 3


def test_encrypted_pdf_opens_with_empty_user_password(tmp_path: Path) -> None:
    source = born_digital_pdf(tmp_path / "born.pdf")
    target = tmp_path / "encrypted.pdf"
    with pikepdf.open(source) as pdf:
        pdf.save(target, encryption=pikepdf.Encryption(owner="chu-so-huu", user="", R=4))
    facts = pdf_facts(target)
    assert facts.encrypted is True
    assert facts.error is None
    assert (facts.pages, facts.visible_text_pages) == (1, 1)


def test_password_protected_pdf_is_reported_encrypted(tmp_path: Path) -> None:
    target = tmp_path / "locked.pdf"
    with pikepdf.open(born_digital_pdf(tmp_path / "born.pdf")) as pdf:
        pdf.save(target, encryption=pikepdf.Encryption(owner="o", user="mat-khau", R=4))
    facts = pdf_facts(target)
    assert facts.encrypted is True
    assert facts.error == "encrypted: a password is needed to open it"
    assert facts.pages == 0


# --------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>> garbage\n%%EOF", "PdfError"),
        (b"\xff\xd8\xff\xe0 not a pdf at all", "PdfError"),
        (b"", "PdfError"),
    ],
)
def test_corrupt_pdf_is_an_error_not_a_traceback(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "hong.pdf"
    path.write_bytes(content)
    facts = pdf_facts(path, "data/hong.pdf")
    assert facts.error.startswith(expected)
    assert str(tmp_path) not in facts.error  # named as the caller names it
    assert facts.pages == 0
    assert facts.two_layer is False


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    facts = pdf_facts(tmp_path / "absent.pdf", "absent.pdf")
    assert facts.error.startswith("FileNotFoundError")


def test_truncated_pdf_is_repaired_with_warnings(tmp_path: Path) -> None:
    whole = claim_pdfa_2b(two_layer_pdf(tmp_path / "raw.pdf"), tmp_path / "whole.pdf")
    truncated = tmp_path / "cut.pdf"
    shutil.copyfile(whole, truncated)
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])
    facts = pdf_facts(truncated, "data/cut.pdf")
    assert facts.error is None
    assert facts.warnings[0] == "data/cut.pdf: file is damaged"
    assert facts.pages == 2
