"""The example documents as PDFs, reproducibly: a born-digital administrative document (text PDF with an
embedded Unicode font from fonts-dejavu, ready to be signed) and a digitised one (PDF/A-2b "two-layer":
a 200-dpi colour page scan with an invisible OCR text layer on top, as TT05 art. 8 asks).

Both are drawn from one layout (lines of text placed in PDF points), so the invisible text of a
digitised page lies where the scanned words are. Everything is fixed: reportlab runs with
``invariant=1``, the scan has no random noise, and pikepdf writes deterministic IDs and fixed dates.
"""

from __future__ import annotations

import io
import struct
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import pikepdf
from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageFont
from reportlab import rl_config
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from archive_repo.resources import profiles_dir

FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed.ttf")
FONT = "DejaVuSerifCondensed"  # one embedded subset per PDF; bold is drawn by stroking the outline too
BOLD_STROKE = 0.35  # points (PDF) ...
BOLD_STROKE_PX = 1  # ... and pixels (scan)
PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89  # A4 in points
MARGIN_LEFT, MARGIN_RIGHT = 70.0, 50.0
SCAN_DPI = 200
# JPEG 2000 (allowed in PDF/A-2): a page costs about a fifth of a JPEG of the same look.
SCAN_JPX_QUALITY_DB = 28
ICC_DATE = (2024, 1, 1, 0, 0, 0)  # the profile header's creation time (LittleCMS writes the current one)
VIETNAM = timezone(timedelta(hours=7))
SIGNER_NAME = "Nguyễn Văn An"
PRODUCER = "archive-repo tools/make_examples.py"


@dataclass(frozen=True)
class Line:
    """One line of text: ``x`` is its left end (``centre``: its middle), ``y`` its baseline, in points
    from the bottom left of the page."""

    text: str
    x: float
    y: float
    size: float
    bold: bool = False
    centre: bool = False


@dataclass(frozen=True)
class DocumentText:
    """What the page shows, from the document's metadata record."""

    organ: str
    type_code: str
    subject: str
    issued: str  # DD/MM/YYYY
    code_number: str = ""
    code_notation: str = ""
    pages: int = 1

    @classmethod
    def from_row(cls, row: dict[str, str]) -> DocumentText:
        return cls(
            organ=row.get("organName", ""),
            type_code=row.get("typeName", ""),
            subject=row.get("subject", ""),
            issued=row.get("issuedDate", ""),
            code_number=row.get("codeNumber", ""),
            code_notation=row.get("codeNotation", ""),
            pages=max(1, int(row.get("numberOfPage") or 1)),
        )

    @property
    def title(self) -> str:
        return self.subject or type_label(self.type_code)


def issued_at(issued: str, hour: int, minute: int = 0) -> datetime:
    """``DD/MM/YYYY`` at ``hour:minute`` Vietnam time."""
    day, month, year = (int(part) for part in issued.split("/"))
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM)


@cache
def _type_labels() -> dict[str, str]:
    with open(profiles_dir() / "codes.toml", "rb") as handle:
        return {code: entry["vi"] for code, entry in tomllib.load(handle)["typeName"].items()}


def type_label(code: str) -> str:
    return _type_labels().get(code, "")


# --------------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------------


@cache
def _register_font() -> None:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))


def _wrap(text: str, size: float, width: float) -> list[str]:
    _register_font()
    return simpleSplit(text, FONT, size, width)


def _organ_header(organ: str) -> tuple[str | None, str]:
    """Superior authority and issuing body, as Nghị định 30/2020 places them at the top left."""
    head, sep, province = organ.partition(" tỉnh ")
    if sep:
        return f"UBND TỈNH {province}".upper(), head.upper()
    return None, organ.upper()


def _number_line(text: DocumentText) -> str | None:
    if not text.code_notation:
        return None
    return f"Số: {text.code_number or '      '}/{text.code_notation}"


def _place_date(issued: str) -> str:
    day, month, year = issued.split("/")
    return f"Hà Giang, ngày {day} tháng {month} năm {year}"


def _body(text: DocumentText, page: int) -> list[str]:
    if page == 1:
        return [
            "Căn cứ Luật Lưu trữ số 33/2024/QH15 ngày 21 tháng 6 năm 2024;",
            "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
            f"{text.organ} ban hành văn bản này về nội dung: {_lower_first(text.subject)}.",
            "Văn bản mẫu do công cụ archive-repo tạo ra để minh họa; không có giá trị pháp lý.",
        ]
    return [
        f"{page - 1}. Nội dung chi tiết (phần {page - 1}): các đơn vị, cá nhân liên quan căn cứ chức năng, "
        "nhiệm vụ được giao tổ chức thực hiện; định kỳ báo cáo kết quả về Văn phòng Sở để tổng hợp.",
        "Trong quá trình thực hiện, nếu có vướng mắc, đề nghị phản ánh kịp thời để được hướng dẫn.",
    ]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _signer_title(organ: str) -> str:
    return "CHỦ TỊCH HỘI ĐỒNG" if organ.startswith("Hội đồng") else "GIÁM ĐỐC"


def layout(text: DocumentText) -> list[list[Line]]:
    """Every page's lines: the national heading and the subject on page 1, body text on every page,
    the signature block on the last one."""
    text_width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    pages: list[list[Line]] = []
    for number in range(1, text.pages + 1):
        lines: list[Line] = []
        y = PAGE_HEIGHT - 70
        if number == 1:
            y = _heading(text, lines, y, text_width)
        else:
            lines.append(Line(f"{number}", PAGE_WIDTH / 2, PAGE_HEIGHT - 40, 10, centre=True))
        for paragraph in _body(text, number):
            for index, part in enumerate(_wrap(paragraph, 12, text_width - 20)):
                lines.append(Line(part, MARGIN_LEFT + (20 if index == 0 else 0), y, 12))
                y -= 17
            y -= 6
        if number == text.pages:
            _signature_block(text, lines, y - 20)
        pages.append(lines)
    return pages


def _heading(text: DocumentText, lines: list[Line], y: float, text_width: float) -> float:
    left_x, right_x = 150.0, 400.0
    superior, organ = _organ_header(text.organ)
    left = [(superior, False)] if superior else []
    left += [(part, True) for part in _wrap(organ, 11, 190)]
    number = _number_line(text)
    left_y = y
    for part, bold in left:
        lines.append(Line(part, left_x, left_y, 11, bold=bold, centre=True))
        left_y -= 15
    if number:
        lines.append(Line(number, left_x, left_y - 6, 11, centre=True))
        left_y -= 21
    right = [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True), ("Độc lập - Tự do - Hạnh phúc", True)]
    right_y = y
    for part, bold in right:
        lines.append(Line(part, right_x, right_y, 10.5, bold=bold, centre=True))
        right_y -= 15
    lines.append(Line(_place_date(text.issued), right_x, right_y - 6, 11, centre=True))
    y = min(left_y, right_y - 21) - 30
    label = type_label(text.type_code)
    subject = text.subject
    if label and text.type_code != "32":
        lines.append(Line(label.upper(), PAGE_WIDTH / 2, y, 14, bold=True, centre=True))
        y -= 20
        if subject.lower().startswith(label.lower() + " "):  # "Kế hoạch tổ chức …" under "KẾ HOẠCH"
            rest = subject[len(label) + 1 :]
            subject = rest[:1].upper() + rest[1:]
    for part in _wrap(subject, 12.5, text_width - 40):
        lines.append(Line(part, PAGE_WIDTH / 2, y, 12.5, bold=True, centre=True))
        y -= 17
    return y - 20


def _signature_block(text: DocumentText, lines: list[Line], y: float) -> None:
    x = 420.0
    lines.append(Line(_signer_title(text.organ), x, y, 12, bold=True, centre=True))
    lines.append(Line(SIGNER_NAME, x, y - 80, 12, bold=True, centre=True))
    lines.append(Line("Nơi nhận:", MARGIN_LEFT, y, 10, bold=True))
    lines.append(Line("- Như trên;", MARGIN_LEFT, y - 14, 10))
    lines.append(Line("- Lưu: VT.", MARGIN_LEFT, y - 28, 10))


# --------------------------------------------------------------------------------------------------
# Born-digital: a text PDF
# --------------------------------------------------------------------------------------------------


def _canvas(buffer: io.BytesIO, title: str, author: str) -> canvas.Canvas:
    _register_font()
    rl_config.useA85 = 0  # plain Flate streams: a quarter smaller than ASCII85 over Flate
    pdf = canvas.Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        initialFontName=FONT,  # else every page selects Helvetica, an unembedded font
    )
    pdf.setTitle(title)
    pdf.setAuthor(author)
    pdf.setCreator(PRODUCER)
    return pdf


def _draw_line(pdf: canvas.Canvas, line: Line, *, invisible: bool = False) -> None:
    x = line.x - pdfmetrics.stringWidth(line.text, FONT, line.size) / 2 if line.centre else line.x
    text = pdf.beginText(x, line.y)
    if invisible:
        text.setTextRenderMode(3)
    elif line.bold:
        text.setTextRenderMode(2)  # fill and stroke
        pdf.setLineWidth(BOLD_STROKE)
    text.setFont(FONT, line.size)
    text.textOut(line.text)
    pdf.drawText(text)


def born_digital_pdf(text: DocumentText) -> bytes:
    """The document as its agency's system would export it: text, font embedded, unsigned."""
    buffer = io.BytesIO()
    pdf = _canvas(buffer, text.title, text.organ)
    for lines in layout(text):
        for line in lines:
            _draw_line(pdf, line)
        pdf.showPage()
    pdf.save()
    return _compact(buffer.getvalue())


def _compact(pdf_bytes: bytes, edit: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """Re-saved by qpdf: objects packed into compressed object streams, a deterministic /ID."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        if edit is not None:
            edit(pdf)
        output = io.BytesIO()
        pdf.save(
            output,
            deterministic_id=True,
            fix_metadata_version=False,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
    return output.getvalue()


# --------------------------------------------------------------------------------------------------
# Digitised: a PDF/A-2b two-layer scan
# --------------------------------------------------------------------------------------------------

PAPER = (247, 245, 238)
INK = (38, 38, 44)
SEAL_RED = (200, 30, 40)
PEN_BLUE = (20, 40, 120)


def _scan(lines: list[Line], seal: bool) -> Image.Image:
    """The page as a 200-dpi colour scan: slightly off-white paper, soft dark ink, a faint shadow at the
    binding edge, the red seal and the pen signature of the paper original when ``seal``."""
    scale = SCAN_DPI / 72
    size = (round(PAGE_WIDTH * scale), round(PAGE_HEIGHT * scale))
    image = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(image)
    for step in range(24):  # shadow of the binding edge
        shade = 200 + step * 2
        draw.line([(step, 0), (step, size[1])], fill=(shade, shade, shade - 6))
    fonts: dict[float, ImageFont.FreeTypeFont] = {}
    for line in lines:
        if line.size not in fonts:
            fonts[line.size] = ImageFont.truetype(str(FONT_FILE), round(line.size * scale))
        draw.text(
            (line.x * scale, (PAGE_HEIGHT - line.y) * scale),
            line.text,
            font=fonts[line.size],
            fill=INK,
            anchor="ms" if line.centre else "ls",
            stroke_width=BOLD_STROKE_PX if line.bold else 0,
            stroke_fill=INK,
        )
    if seal:
        _draw_seal(draw, lines, scale)
    return image.filter(ImageFilter.GaussianBlur(0.5))


def _draw_seal(draw: ImageDraw.ImageDraw, lines: list[Line], scale: float) -> None:
    """A red round seal over the left part of a pen signature, above the signer's name."""
    name = next(line for line in lines if line.text == SIGNER_NAME)
    sx, sy = name.x * scale, (PAGE_HEIGHT - name.y - 40) * scale
    stroke = [(sx - 90, sy + 20), (sx - 50, sy - 30), (sx - 20, sy + 15), (sx + 15, sy - 40)]
    draw.line([*stroke, (sx + 90, sy + 5)], fill=PEN_BLUE, width=4, joint="curve")
    cx, cy = sx - 95, sy - 10
    for radius, width in ((130, 7), (100, 3)):
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=SEAL_RED, width=width)
    draw.regular_polygon((cx, cy - 20, 34), 5, rotation=90, fill=SEAL_RED)
    small = ImageFont.truetype(str(FONT_FILE), 22)
    draw.text(
        (cx, cy + 45),
        "HÀ GIANG",
        font=small,
        fill=SEAL_RED,
        anchor="mm",
        stroke_width=1,
        stroke_fill=SEAL_RED,
    )


def _jpx(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG2000", irreversible=True, quality_mode="dB", quality_layers=[SCAN_JPX_QUALITY_DB])
    return buffer.getvalue()


def _ocr_layer_pdf(text: DocumentText, pages: list[list[Line]]) -> bytes:
    """Only the invisible text (render mode 3) of every page; the scans are put underneath later."""
    buffer = io.BytesIO()
    pdf = _canvas(buffer, text.title, text.organ)
    for lines in pages:
        for line in lines:
            _draw_line(pdf, line, invisible=True)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _place_scans(pdf: pikepdf.Pdf, scans: list[bytes], width: int, height: int) -> None:
    for page, scan in zip(pdf.pages, scans, strict=True):
        if "/Trans" in page.obj:  # reportlab's empty page transition, a key PDF/A checkers do not know
            del page.obj.Trans
        image = pdf.make_stream(
            scan,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=width,
            Height=height,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=pikepdf.Name.JPXDecode,
        )
        page.add_resource(image, pikepdf.Name.XObject, pikepdf.Name.Scan)  # a prefix would add random
        drawing = f"q {PAGE_WIDTH} 0 0 {PAGE_HEIGHT} 0 0 cm /Scan Do Q\n".encode()
        page.contents_add(pdf.make_stream(drawing), prepend=True)


def srgb_profile() -> bytes:
    """LittleCMS's sRGB profile with a fixed creation date in its header."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[24:36] = struct.pack(">6H", *ICC_DATE)
    if any(profile[84:100]):  # a profile ID (MD5) would no longer match; zero means "not computed"
        profile[84:100] = bytes(16)
    return bytes(profile)


def digitised_pdf(text: DocumentText, digitised_on: datetime) -> bytes:
    """The paper original, scanned and OCRed, as PDF/A-2b: XMP pdfaid 2/B, an sRGB OutputIntent."""
    pages = layout(text)
    images = [_scan(lines, seal=number == len(pages)) for number, lines in enumerate(pages, start=1)]
    scans = [_jpx(image) for image in images]
    width, height = images[0].size

    def make_pdfa(pdf: pikepdf.Pdf) -> None:
        _place_scans(pdf, scans, width, height)
        _describe(pdf, text, digitised_on)
        _add_output_intent(pdf)

    return _compact(_ocr_layer_pdf(text, pages), make_pdfa)


XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
   <xmp:CreatorTool>{creator}</xmp:CreatorTool>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
   <xmp:MetadataDate>{date}</xmp:MetadataDate>
   <pdf:Producer>{producer}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
DIGITISER = "Số hóa tài liệu giấy (quét 200 dpi, OCR)"


def _describe(pdf: pikepdf.Pdf, text: DocumentText, digitised_on: datetime) -> None:
    """Document information and the same in XMP (PDF/A wants both to agree), with the PDF/A claim.
    The XMP is written out rather than through pikepdf, which declares a namespace on every property:
    format identifiers (PRONOM fmt/476) look for ``pdfaid:part>2<`` in the bytes."""
    stamp = pikepdf.String(_pdf_date(digitised_on))
    pdf.docinfo = pdf.make_indirect(
        pikepdf.Dictionary(
            Title=pikepdf.String(text.title),
            Author=pikepdf.String(text.organ),
            Creator=pikepdf.String(DIGITISER),
            Producer=pikepdf.String(PRODUCER),
            CreationDate=stamp,
            ModDate=stamp,
        )
    )
    xmp = XMP.format(
        title=escape(text.title),
        author=escape(text.organ),
        creator=escape(DIGITISER),
        producer=escape(PRODUCER),
        date=digitised_on.isoformat(),
    )
    pdf.Root.Metadata = pdf.make_stream(
        xmp.encode("utf-8"), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
    )


def _add_output_intent(pdf: pikepdf.Pdf) -> None:
    profile = pdf.make_stream(srgb_profile(), N=3)
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
        Info=pikepdf.String("sRGB IEC61966-2.1"),
        DestOutputProfile=profile,
    )
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])


def _pdf_date(moment: datetime) -> str:
    offset = moment.strftime("%z")
    return moment.strftime("D:%Y%m%d%H%M%S") + f"{offset[:3]}'{offset[3:]}'"
