"""The certificate that goes with a certified DIP (TT05 art. 42.2, annex V): "Giấy chứng nhận bản sao tài
liệu lưu trữ", an A4 PDF/A-2b signed by the archive.

It lists the eleven items of art. 42.2, each labelled and numbered as the article numbers them: (1) the
archive's authentication code, (2) the archive's name, (3) the recipient's name and citizen ID, (4) the
archival code of each original, (5) its number and notation, (6) its document type, (7) its abstract or
title, (8) the purpose of use, (9) the issue date, (10) the validity period, (11) the number of copies.
With several originals, items 4-7 become one table with a row per original. Labels come from the
``access_dip.cert_*`` messages (Vietnamese by default, English on request); the values are the records'
own (Vietnamese) text, code labels from ``profiles/codes.toml``.

How it is made:

- reportlab draws it in the serif font of copies (Times New Roman or Liberation Serif, and its bold face),
  embedded as TrueType subsets; the header is the national-motto header of Vietnamese administrative
  records, as in the annex VII records. A blank flowable in the signature area records where it landed
  on the page, and that is where the visible signature goes.
- pikepdf turns it into PDF/A-2b: XMP metadata with ``pdfaid:part`` 2 and ``pdfaid:conformance`` B,
  built from the Info dictionary so the two agree, and an OutputIntent ``GTS_PDFA1`` with an sRGB ICC
  profile (Pillow's). The Info ``/Producer`` and ``/Trapped`` entries are dropped: pyHanko rewrites the
  producer in the Info dictionary and in the XMP differently when an incremental update is signed,
  unless it starts from none (then both become "pyHanko <version>"), and PDF/A wants them equal.
- :func:`archive_repo.access.signing.sign_pdf` signs it as an incremental update, visible in the
  signature area (archive name and signing time), so the PDF/A revision stays intact under the signature.

No veraPDF here: :func:`archive_repo.authenticity.pdfa.pdf_facts` is the triage the tests apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name
from PIL import ImageCms
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table

from archive_repo import SOFTWARE_NAME, __version__
from archive_repo.access.errors import AccessError
from archive_repo.access.fonts import find_serif_font, nfc_text, registered_font
from archive_repo.access.signing import ArchiveSigner, ready_for_signing, sign_pdf, signing_time_text
from archive_repo.errors import ArchiveRepoError
from archive_repo.i18n import LANGUAGES, translate
from archive_repo.ingest.receipt_pdf import NumberedCanvas
from archive_repo.packages.mets_writer import VIETNAM
from archive_repo.validation.profiles import load_codes

SIGNATURE_FIELD = "ArchiveCertification"
TYPE_TABLES = {"doc": "typeName", "pic": "typePic", "media": "typeMedia"}
MARGIN = 20 * mm
WIDTH = A4[0] - 2 * MARGIN
LABEL_WIDTH = 62 * mm
SIGNATURE_SIZE = (72 * mm, 16 * mm)
DASH = "—"
SRGB = "sRGB IEC61966-2.1"
_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]
_HEADER_ROW = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8"))]


@dataclass(frozen=True)
class CertifiedOriginal:
    """Items 4-7 for one original: its DIP record's code, number, notation, type code and title."""

    kind: str  # doc | pic | media: which code table the type comes from
    arc_doc_code: str
    number: str | None
    notation: str | None
    type_code: str | None
    title: str | None


@dataclass(frozen=True)
class CertificateFacts:
    """What the certificate states; codes are turned into labels in the certificate's language."""

    authentication_code: str
    archive_name: str
    dip_objid: str
    request_id: str
    recipient_name: str
    recipient_id: str
    purpose: str  # code of the ``purpose`` table
    purpose_content: str | None
    issued_on: date
    valid_until: date
    copies: int
    originals: tuple[CertifiedOriginal, ...]
    recipient_id_kind: str = "cccd"  # cccd | passport | other


@dataclass(frozen=True)
class SignatureSpot:
    page: int  # 0-based
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the page's default user space


def write_certificate(
    facts: CertificateFacts,
    target: Path,
    signer: ArchiveSigner,
    *,
    lang: str = "vi",
    signing_time: datetime | None = None,
) -> None:
    """Draw, make PDF/A-2b and sign the certificate into ``target``; AccessError when it cannot."""
    if lang not in LANGUAGES:
        raise AccessError("access_dip.bad_language", lang=lang)
    moment = (signing_time or datetime.now(VIETNAM)).replace(microsecond=0)
    unsigned = target.with_name(f".{target.name}.unsigned")
    try:
        drawn, spot = render_certificate(facts, lang)
        unsigned.write_bytes(to_pdfa(drawn))
        sign_pdf(
            unsigned,
            target,
            signer,
            field_name=SIGNATURE_FIELD,
            lines=[nfc_text(facts.archive_name), signing_time_text(moment)],
            page=spot.page,
            box=spot.box,
            reason=translate("access_dip.cert_reason", lang),
            signing_time=moment,
        )
    except ArchiveRepoError:
        raise
    except Exception as exc:  # reportlab, pikepdf and pyHanko raise many kinds; all mean "no certificate"
        raise AccessError("access_dip.certificate_failed", detail=str(exc) or type(exc).__name__) from exc
    finally:
        unsigned.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------------
# drawing


def render_certificate(facts: CertificateFacts, lang: str) -> tuple[bytes, SignatureSpot]:
    """The unsigned certificate (plain PDF) and where its signature box sits."""
    regular, bold = _fonts()
    t = _Texts(lang, regular, bold)
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=15 * mm,
        bottomMargin=20 * mm,
        title=nfc_text(t("access_dip.cert_title").capitalize()),
        author=nfc_text(facts.archive_name),
        subject=nfc_text(t("access_dip.cert_subject", request=facts.request_id, objid=facts.dip_objid)),
        creator=f"{SOFTWARE_NAME} {__version__}",
        lang=lang,
        initialFontName=regular,  # else the canvas starts with Helvetica, which is not embedded
    )
    footer = nfc_text(t("access_dip.cert_footer", archive=facts.archive_name, code=facts.authentication_code))

    def canvas(*args: Any, **kwargs: Any) -> Canvas:
        return NumberedCanvas(
            *args,
            font=regular,
            left=footer,
            right=lambda n, of: t("access_dip.cert_page", page=n, pages=of),
            **kwargs,
        )

    spot = _SignatureArea(*SIGNATURE_SIZE)
    document.build(_story(facts, t, spot), canvasmaker=canvas)
    if spot.placed is None:  # a flowable in the story is always drawn; this would be a layout bug
        raise AccessError("access_dip.certificate_failed", detail="the signature area was not placed")
    return buffer.getvalue(), spot.placed


def _fonts() -> tuple[str, str]:
    regular = find_serif_font()
    return registered_font(regular), registered_font(_bold_face(regular) or regular)


def _bold_face(regular: Path) -> Path | None:
    """LiberationSerif-Regular.ttf → LiberationSerif-Bold.ttf; Times_New_Roman.ttf → …_Bold.ttf."""
    name = regular.name
    candidates = [name.replace("Regular", "Bold"), name.replace(regular.suffix, "_Bold" + regular.suffix)]
    return next(
        (regular.with_name(c) for c in candidates if c != name and regular.with_name(c).is_file()), None
    )


class _Texts:
    """``access_dip.*`` messages in one language, the certificate's styles, and values written its way."""

    def __init__(self, lang: str, font: str, bold: str) -> None:
        self.lang = lang
        self.codes = load_codes()
        self.body = ParagraphStyle("body", fontName=font, bulletFontName=font, fontSize=11, leading=14.5)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=bold)
        self.center = ParagraphStyle("center", parent=self.body, alignment=TA_CENTER)
        self.center_bold = ParagraphStyle("center-bold", parent=self.bold, alignment=TA_CENTER)
        self.header = ParagraphStyle("header", parent=self.center, fontSize=10.5, leading=13)
        self.header_bold = ParagraphStyle("header-bold", parent=self.header, fontName=bold)
        self.title = ParagraphStyle("title", parent=self.center_bold, fontSize=14, leading=18, spaceBefore=4)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=10, leading=12.5)
        self.cell_bold = ParagraphStyle("cell-bold", parent=self.cell, fontName=bold)
        self.row = ParagraphStyle("row", parent=self.cell, fontSize=9, leading=11)
        self.row_bold = ParagraphStyle("row-bold", parent=self.row, fontName=bold)
        self.small = ParagraphStyle(
            "small", parent=self.body, fontSize=8.5, leading=10.5, textColor=colors.black
        )
        # tables set each cell's font, paragraphs too: without this, Helvetica (not embedded) is pulled in
        self.cell_font = [("FONTNAME", (0, 0), (-1, -1), font)]

    def __call__(self, key: str, **params: Any) -> str:
        return translate(key, self.lang, **params)

    def p(self, text: str | None, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(nfc_text(text)) if text else DASH, style)

    def label(self, table: str, code: str | None) -> str | None:
        """The code's label in this language; an unknown code is shown as it is."""
        if not code:
            return None
        entry = self.codes.get(table, {}).get(code)
        return (entry.get(self.lang) or entry.get("vi")) if entry else code

    def day(self, value: date) -> str:
        return f"{value:%d/%m/%Y}" if self.lang == "vi" else value.isoformat()

    def dated(self, value: date) -> str:
        # Nghị định 30/2020/NĐ-CP: a leading 0 for days 1-9 and months 1-2 only
        month = f"{value.month:02d}" if self.lang != "vi" or value.month < 3 else str(value.month)
        return self("access_dip.cert_dated", day=f"{value.day:02d}", month=month, year=value.year)


class _SignatureArea(Flowable):
    """A blank box that remembers the page and position it was drawn at: the visible signature's place."""

    def __init__(self, width: float, height: float) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.placed: SignatureSpot | None = None

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        page = self.canv.getPageNumber() - 1
        self.placed = SignatureSpot(page, (x, y, x + self.width, y + self.height))


def _story(facts: CertificateFacts, t: _Texts, spot: _SignatureArea) -> list[Flowable]:
    story: list[Flowable] = [
        _header(facts, t),
        Spacer(0, 8 * mm),
        t.p(t("access_dip.cert_title"), t.title),
        t.p(t("access_dip.cert_legal_basis"), t.center),
        Spacer(0, 5 * mm),
        t.p(
            t(
                "access_dip.cert_intro",
                archive=facts.archive_name,
                objid=facts.dip_objid,
                request=facts.request_id,
            ),
            t.body,
        ),
        Spacer(0, 4 * mm),
        _items(t, _items_before(facts, t)),
    ]
    if len(facts.originals) == 1:
        story.append(_items(t, _single_original(facts.originals[0], t)))
    else:
        story.append(_caption(t, t("access_dip.cert_item_originals", count=len(facts.originals))))
        story.append(_originals_table(facts.originals, t))
    story += [
        _items(t, _items_after(facts, t)),
        Spacer(0, 3 * mm),
        t.p(t("access_dip.cert_verify"), t.small),
        Spacer(0, 8 * mm),
        KeepTogether(_signature_block(facts, t, spot)),
    ]
    return story


def _header(facts: CertificateFacts, t: _Texts) -> Table:
    return Table(
        [
            [t.p(facts.archive_name.upper(), t.header_bold), t.p(t("access_dip.cert_nation"), t.header_bold)],
            [
                t.p(t("access_dip.cert_number", request=facts.request_id), t.header),
                t.p(t("access_dip.cert_motto"), t.header_bold),
            ],
            ["", t.p(t.dated(facts.issued_on), t.header)],
        ],
        colWidths=[WIDTH * 0.42, WIDTH * 0.58],
        style=t.cell_font,
    )


def _items_before(facts: CertificateFacts, t: _Texts) -> list[tuple[str, str | None]]:
    return [
        (t("access_dip.cert_item_code"), facts.authentication_code),
        (t("access_dip.cert_item_archive"), facts.archive_name),
        (
            t("access_dip.cert_item_recipient"),
            t(
                f"access_dip.cert_recipient_{facts.recipient_id_kind}",
                name=facts.recipient_name,
                id=facts.recipient_id,
            ),
        ),
    ]


def _single_original(original: CertifiedOriginal, t: _Texts) -> list[tuple[str, str | None]]:
    return [
        (t("access_dip.cert_item_arc_code"), original.arc_doc_code),
        (t("access_dip.cert_item_number"), number_and_notation(original)),
        (t("access_dip.cert_item_type"), t.label(TYPE_TABLES[original.kind], original.type_code)),
        (t("access_dip.cert_item_title"), original.title),
    ]


def _items_after(facts: CertificateFacts, t: _Texts) -> list[tuple[str, str | None]]:
    purpose = t.label("purpose", facts.purpose) or facts.purpose
    if facts.purpose_content:
        purpose = t("access_dip.cert_purpose", purpose=purpose, content=facts.purpose_content)
    return [
        (t("access_dip.cert_item_purpose"), purpose),
        (t("access_dip.cert_item_issued"), t.day(facts.issued_on)),
        (t("access_dip.cert_item_validity"), t("access_dip.cert_validity", until=t.day(facts.valid_until))),
        (t("access_dip.cert_item_copies"), t("access_dip.cert_copies", copies=facts.copies)),
    ]


def number_and_notation(original: CertifiedOriginal) -> str | None:
    """``1502/QĐ-SNV`` as Vietnamese documents write it; either part alone when the other is unknown."""
    parts = [part for part in (original.number, original.notation) if part]
    return "/".join(parts) or None


def _items(t: _Texts, rows: Sequence[tuple[str, str | None]]) -> Table:
    data = [[t.p(label, t.cell_bold), t.p(value, t.cell)] for label, value in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, WIDTH - LABEL_WIDTH])
    table.setStyle([*t.cell_font, *_GRID])
    return table


def _caption(t: _Texts, label: str) -> Table:
    """A full-width row of the items grid that introduces the table below it."""
    table = Table([[t.p(label, t.cell_bold)]], colWidths=[WIDTH])
    table.setStyle([*t.cell_font, *_GRID])
    return table


def _originals_table(originals: Sequence[CertifiedOriginal], t: _Texts) -> LongTable:
    columns = (
        "access_dip.cert_col_no",
        "access_dip.cert_col_arc_code",
        "access_dip.cert_col_number",
        "access_dip.cert_col_type",
        "access_dip.cert_col_title",
    )
    rows = [
        [
            t.p(str(number), t.row),
            t.p(original.arc_doc_code, t.row),
            t.p(number_and_notation(original), t.row),
            t.p(t.label(TYPE_TABLES[original.kind], original.type_code), t.row),
            t.p(original.title, t.row),
        ]
        for number, original in enumerate(originals, start=1)
    ]
    widths = [12 * mm, 54 * mm, 26 * mm, 22 * mm]
    widths.append(WIDTH - sum(widths))
    header = [t.p(t(key), t.row_bold) for key in columns]
    table = LongTable([header, *rows], colWidths=widths, repeatRows=1)
    table.setStyle([*t.cell_font, *_GRID, *_HEADER_ROW])
    return table


def _signature_block(facts: CertificateFacts, t: _Texts, spot: _SignatureArea) -> list[Flowable]:
    table = Table(
        [
            ["", t.p(t("access_dip.cert_sign_title"), t.center_bold)],
            ["", t.p(t("access_dip.cert_sign_hint"), t.center)],
            ["", spot],
        ],
        colWidths=[WIDTH * 0.45, WIDTH * 0.55],
        style=[*t.cell_font, ("ALIGN", (1, 2), (1, 2), "CENTER"), ("VALIGN", (1, 2), (1, 2), "MIDDLE")],
    )
    return [table]


# --------------------------------------------------------------------------------------------------
# PDF/A-2b


def to_pdfa(data: bytes) -> bytes:
    """The PDF made PDF/A-2b: XMP from the Info dictionary plus pdfaid, and an sRGB output intent."""
    with pikepdf.open(BytesIO(data)) as pdf:
        ready_for_signing(pdf)
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        pdf.Root.OutputIntents = Array([pdf.make_indirect(_srgb_output_intent(pdf))])
        output = BytesIO()
        pdf.save(output)
    return output.getvalue()


def _srgb_output_intent(pdf: pikepdf.Pdf) -> Dictionary:
    profile = pikepdf.Stream(pdf, ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile.N = 3
    return Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String(SRGB),
        Info=pikepdf.String(SRGB),
        RegistryName=pikepdf.String("http://www.color.org"),
        DestOutputProfile=profile,
    )
