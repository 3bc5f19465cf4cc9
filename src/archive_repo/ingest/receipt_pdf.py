"""The PDF layout of the handover record: A4 portrait, an embedded Unicode font, "page X of Y" footers.

The PDF is reproducible: the same record, language and font give the same bytes (reportlab's
``invariant`` mode fixes the dates and the document ID).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table

from archive_repo.i18n import translate
from archive_repo.ingest.receipt import MAX_FINDINGS_IN_PDF, VIETNAM, HandoverRecord, ReceiptError

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN
DASH = "—"
_VERDICT_KEYS = {
    "accepted": "receipt.verdict_accepted",
    "accepted-with-warnings": "receipt.verdict_accepted_with_warnings",
    "rejected": "receipt.verdict_rejected",
    "duplicate": "receipt.verdict_duplicate",
}
_SEVERITY_KEYS = {
    "error": "receipt.severity_error",
    "warning": "receipt.severity_warning",
    "info": "receipt.severity_info",
}
_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]
_HEADER_ROW = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8"))]


def a4_document(
    buffer: BytesIO, *, title: str, author: str, subject: str, lang: str, font: str
) -> SimpleDocTemplate:
    """The A4 page layout of the repository's records (margins, metadata, reproducible bytes)."""
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=20 * mm,
        title=title,
        author=author,
        subject=subject,
        creator="archive-repo",
        lang=lang,
        initialFontName=font,  # else the canvas starts with Helvetica, which is not embedded
        invariant=1,
    )


def render_receipt_pdf(record: HandoverRecord, lang: str, regular: Path, bold: Path | None = None) -> bytes:
    """The handover record as PDF bytes, in ``lang``, with the given TrueType font(s) embedded."""
    font, font_bold = register_font(regular), register_font(bold or regular)
    t = _Texts(lang, font, font_bold)
    buffer = BytesIO()
    document = a4_document(
        buffer,
        title=t("receipt.title"),
        author=record.archive_name,
        subject=record.receipt_id,
        lang=lang,
        font=font,
    )
    footer = f"{record.receipt_id}  ·  SHA-256 {record.submission_digest[:16]}…"

    def canvas(*args: Any, **kwargs: Any) -> Canvas:
        return NumberedCanvas(
            *args, font=font, left=footer, right=lambda n, of: t("receipt.page", page=n, pages=of), **kwargs
        )

    document.build(_story(record, t), canvasmaker=canvas)
    return buffer.getvalue()


def register_font(path: Path) -> str:
    name = "ArchiveRepo-" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except Exception as exc:  # whatever the parser trips on, the font file is unusable
            raise ReceiptError(
                "receipt.bad_font", path=str(path), detail=str(exc) or type(exc).__name__
            ) from None
    return name


class _Texts:
    """Translated, escaped paragraphs in the receipt's styles."""

    def __init__(self, lang: str, font: str, bold: str) -> None:
        self.lang = lang
        self.body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=12.5)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=bold)
        self.center = ParagraphStyle("center", parent=self.body, alignment=TA_CENTER)
        self.center_bold = ParagraphStyle("center-bold", parent=self.bold, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", parent=self.center_bold, fontSize=14, leading=18, spaceBefore=6)
        self.heading = ParagraphStyle("heading", parent=self.bold, fontSize=11, spaceBefore=8, spaceAfter=3)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8, leading=10)
        self.cell_bold = ParagraphStyle("cell-bold", parent=self.cell, fontName=bold)
        self.digest = ParagraphStyle("digest", parent=self.cell, fontSize=6.5, leading=8)
        # tables set each cell's font, paragraphs too: without this, Helvetica (not embedded) is pulled in
        self.cell_font = [("FONTNAME", (0, 0), (-1, -1), font)]

    def __call__(self, key: str, **params: Any) -> str:
        return translate(key, self.lang, **params)

    def p(self, text: str | None, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(text if text not in (None, "") else DASH), style or self.body)

    def number(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", ".") if self.lang == "vi" else text

    def size(self, value: int) -> str:
        amount, unit = float(value), "B"
        for bigger in ("kB", "MB", "GB", "TB"):
            if amount < 1000:
                break
            amount, unit = amount / 1000, bigger
        text = f"{value} B" if unit == "B" else f"{amount:.1f} {unit}"
        return text.replace(".", ",") if self.lang == "vi" else text


def _story(record: HandoverRecord, t: _Texts) -> list[Flowable]:
    received = record.received_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") + " (UTC+07:00)"
    verdict = t(_VERDICT_KEYS[record.verdict])
    agency = " — ".join(x for x in (record.agency_code, record.agency_name) if x) or t(
        "receipt.agency_unknown"
    )
    header = Table(
        [
            [t.p(record.archive_name.upper(), t.center_bold), t.p(t("receipt.nation"), t.center_bold)],
            [
                t.p(t("receipt.number", number=record.receipt_id), t.center),
                t.p(t("receipt.motto"), t.center_bold),
            ],
            ["", t.p(t("receipt.dated", time=received), t.center)],
        ],
        colWidths=[WIDTH * 0.42, WIDTH * 0.58],
        style=t.cell_font,
    )
    story: list[Flowable] = [header, Spacer(0, 6 * mm), t.p(t("receipt.title"), t.title), Spacer(0, 3 * mm)]
    story.append(
        t.p(t("receipt.intro", time=received, archive=record.archive_name, agency=agency, verdict=verdict))
    )

    story.append(t.p(t("receipt.section_parties"), t.heading))
    story.append(
        _fields(
            t,
            [
                (t("receipt.agency"), agency if record.agency_code or record.agency_name else None),
                (t("receipt.archive"), f"{record.archive_code} — {record.archive_name}"),
                (t("receipt.operator"), record.operator),
            ],
        )
    )

    version = (
        " / ".join(str(x) for x in (record.version, record.record_status) if x not in (None, "")) or None
    )
    story.append(t.p(t("receipt.section_submission"), t.heading))
    story.append(
        _fields(
            t,
            [
                (t("receipt.source_name"), record.source_name),
                (t("receipt.digest"), record.submission_digest),
                (t("receipt.sip_objid"), record.sip_objid),
                (t("receipt.verdict"), verdict),
                (t("receipt.aip_objid"), record.aip_objid),
                (t("receipt.arc_file_code"), record.arc_file_code),
                (t("receipt.version_status"), version),
                (t("receipt.dossier_title"), record.title),
                (t("receipt.date_range"), record.date_range),
                (t("receipt.document_count"), t.number(len(record.documents))),
                (t("receipt.file_count"), t.number(record.total_files)),
                (
                    t("receipt.total_size"),
                    f"{t.size(record.total_size)} ({t('receipt.bytes', size=t.number(record.total_size))})",
                ),
            ],
        )
    )

    story.append(t.p(t("receipt.section_documents"), t.heading))
    if record.documents:
        rows = [
            [
                t.p(str(n), t.cell),
                t.p(d.code, t.cell),
                t.p(d.title, t.cell),
                t.p(t.size(d.size), t.cell),
                Paragraph(f"{escape(d.sha256[:32])}<br/>{escape(d.sha256[32:])}", t.digest),
                t.p(d.signatures, t.cell),
            ]
            for n, d in enumerate(record.documents, start=1)
        ]
        columns = (
            "receipt.col_no",
            "receipt.col_code",
            "receipt.col_title",
            "receipt.col_size",
            "receipt.col_sha256",
            "receipt.col_signatures",
        )
        widths = [10 * mm, 46 * mm, None, 16 * mm, 48 * mm, 22 * mm]
        story.append(_table(t, columns, rows, widths))
    else:
        story.append(t.p(t("receipt.no_documents")))

    story.append(t.p(t("receipt.section_checks"), t.heading))
    if record.checks:
        rows = [[t.p(c.name, t.cell), t.p(c.outcome, t.cell), t.p(c.detail, t.cell)] for c in record.checks]
        columns = ("receipt.col_check", "receipt.col_outcome", "receipt.col_detail")
        story.append(_table(t, columns, rows, [50 * mm, 40 * mm, None]))
    else:
        story.append(t.p(t("receipt.no_checks")))

    story.append(t.p(t("receipt.section_findings"), t.heading))
    total = len(record.findings)
    story.append(
        t.p(t("receipt.findings_counts", errors=record.errors, warnings=record.warnings, total=total))
    )
    shown = record.findings[:MAX_FINDINGS_IN_PDF]
    if shown:
        rows = [
            [
                t.p(t(_SEVERITY_KEYS[f.severity]) if f.severity in _SEVERITY_KEYS else f.severity, t.cell),
                t.p(f.rule, t.cell),
                t.p(f.location, t.cell),
                t.p(f.message, t.cell),
            ]
            for f in shown
        ]
        columns = ("receipt.col_severity", "receipt.col_rule", "receipt.col_location", "receipt.col_message")
        story.append(Spacer(0, 2 * mm))
        story.append(_table(t, columns, rows, [18 * mm, 40 * mm, 34 * mm, None]))
    if total > len(shown):
        story.append(t.p(t("receipt.findings_more", count=total - len(shown), shown=len(shown))))

    story.append(Spacer(0, 10 * mm))
    story.append(KeepTogether(_signatures(record, t)))
    return story


def _fields(t: _Texts, rows: Iterable[tuple[str, str | None]]) -> Table:
    data = [[t.p(label, t.cell_bold), t.p(value, t.cell)] for label, value in rows]
    table = Table(data, colWidths=[58 * mm, WIDTH - 58 * mm])
    table.setStyle([*t.cell_font, *_GRID])
    return table


def _table(t: _Texts, columns: Iterable[str], rows: list[list[Any]], widths: list[float | None]) -> LongTable:
    fixed = sum(w for w in widths if w is not None)
    flexible = (WIDTH - fixed) / max(1, sum(1 for w in widths if w is None))
    header = [t.p(t(key), t.cell_bold) for key in columns]
    table = LongTable([header, *rows], colWidths=[w or flexible for w in widths], repeatRows=1)
    table.setStyle([*t.cell_font, *_GRID, *_HEADER_ROW])
    return table


def _signatures(record: HandoverRecord, t: _Texts) -> list[Flowable]:
    table = Table(
        [
            [t.p(t("receipt.sign_submitter"), t.center_bold), t.p(t("receipt.sign_receiver"), t.center_bold)],
            [t.p(t("receipt.sign_hint"), t.center), t.p(t("receipt.sign_hint"), t.center)],
            ["", ""],
            [
                t.p(record.agency_name, t.center) if record.agency_name else "",
                t.p(record.operator, t.center),
            ],
        ],
        colWidths=[WIDTH / 2, WIDTH / 2],
        rowHeights=[None, None, 24 * mm, None],
        style=t.cell_font,
    )
    return [table]


class NumberedCanvas(Canvas):
    """Keeps every page until the end, then draws the footers once the page count is known."""

    def __init__(
        self, *args: Any, font: str, left: str, right: Callable[[int, int], str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._footer_font, self._footer_left, self._footer_right = font, left, right
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(self._footer_font, 7.5)
            self.setFillColor(colors.grey)
            self.drawString(MARGIN, 10 * mm, self._footer_left)
            self.drawRightString(A4[0] - MARGIN, 10 * mm, self._footer_right(number, total))
            super().showPage()
        super().save()
