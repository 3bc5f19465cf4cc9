"""One fixity audit run as the TT05 annex VII records an archive files: the inspection record (biên bản kiểm
tra) and, when the run found incidents, the incident-and-recovery record (biên bản sự cố và khôi phục).

Both are drawn from the plain record of :func:`archive_repo.fixity.report.run_record` (the extra keys
``fixity audit`` adds - ``not_checked``, ``locations_down`` - are used when present), in Vietnamese by
default or in English, as text (terminal, ``.txt`` for the file) or as an A4 PDF with an embedded Unicode
font. The facts are composed once (:func:`_compose`) so the text and the PDF always say the same thing.
The PDF is reproducible: the same record, language and font give the same bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)

from archive_repo.durable import fsync_dir
from archive_repo.errors import ArchiveRepoError
from archive_repo.i18n import LANGUAGES, has_message, translate

# The handover record's font lookup, font embedding, "page X of Y" canvas and atomic write, reused as is.
from archive_repo.ingest.receipt import ReceiptError, find_bold_font, find_unicode_font, write_atomically
from archive_repo.ingest.receipt_pdf import WIDTH, NumberedCanvas, a4_document, register_font

TEXT_WIDTH = 96
UNRECOVERABLE_MARK = "!!"
_OK, _NOTICE, _ALARM = "ok", "notice", "alarm"
_ALARM_COLOR = colors.HexColor("#b00020")
_ALARM_BACKGROUND = colors.HexColor("#fde4e4")
_GRID = [
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
]
_HEADER_ROW = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8"))]


class Annex7Error(ArchiveRepoError):
    """The annex VII records cannot be produced (no usable font, cannot write the PDF)."""


def render_annex7_text(
    record: dict[str, Any], lang: str, archive_name: str, *, place: str | None = None
) -> str:
    """The inspection record, then (when the run has incidents) the incident-and-recovery record, as text.

    ``place`` is the place name of the "place, date" line; without it a blank is left to fill in by hand.
    """
    facts = _compose(record, lang, archive_name, place)
    lines = _text_inspection(facts)
    if facts.incidents:
        lines += ["", "=" * TEXT_WIDTH, ""]
        lines += _text_incidents(facts)
    return "\n".join(lines).rstrip() + "\n"


def render_annex7_pdf(
    record: dict[str, Any], lang: str, archive_name: str, destination: Path, *, place: str | None = None
) -> None:
    """Write both records as one A4 PDF to ``destination``, atomically (a temporary file, then a rename)."""
    destination = Path(destination)
    facts = _compose(record, lang, archive_name, place)
    data = _pdf_bytes(facts)  # before touching the destination
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(destination, data)
        fsync_dir(destination.parent)
    except OSError as exc:
        raise Annex7Error("annex7.io_failed", path=str(destination), detail=str(exc)) from None


# --------------------------------------------------------------------------------------------------
# the facts, composed once for both renderings


class _Texts:
    """``annex7.*`` messages in one language, and numbers, sizes and times written its way."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r} is not one of {LANGUAGES}")
        self.lang = lang
        self.dash = self("annex7.dash")

    def __call__(self, key: str, **params: Any) -> str:
        return translate(key, self.lang, **params)

    def optional(self, key: str, fallback: str, **params: Any) -> str:
        """The message ``key`` if it exists (an unknown kind, status…: the raw value instead)."""
        return self(key, **params) if has_message(key, "en") else fallback

    def number(self, value: int | float | None) -> str:
        text = f"{int(value or 0):,}"
        return text.replace(",", ".") if self.lang == "vi" else text

    def decimal(self, text: str) -> str:
        return text.replace(".", ",") if self.lang == "vi" else text

    def size(self, value: int | None) -> str:
        value = int(value or 0)
        amount, unit = float(value), "B"
        for bigger in ("kB", "MB", "GB", "TB", "PB"):
            if amount < 1000:
                break
            amount, unit = amount / 1000, bigger
        return f"{value} B" if unit == "B" else self.decimal(f"{amount:.1f}") + f" {unit}"

    def size_with_bytes(self, value: int | None) -> str:
        return self("annex7.size", size=self.size(value), bytes=self.number(value))

    def duration(self, seconds: float | None) -> str:
        seconds = max(0.0, float(seconds or 0))
        if seconds < 60:
            return self("annex7.seconds", seconds=self.decimal(f"{seconds:.3f}".rstrip("0").rstrip(".")))
        whole = int(round(seconds))
        if whole < 3600:
            return self("annex7.minutes", minutes=whole // 60, seconds=whole % 60)
        return self("annex7.hours", hours=whole // 3600, minutes=whole % 3600 // 60)

    def moment(self, iso: str | None) -> str:
        when = _parse_time(iso)
        if when is None:
            return self.dash
        date = f"{when:%d/%m/%Y}" if self.lang == "vi" else f"{when:%Y-%m-%d}"
        return self("annex7.time", time=f"{when:%H:%M:%S}", date=date)

    def dated(self, iso: str | None, place: str | None) -> str:
        when = _parse_time(iso)
        place = (place or "").strip() or self("annex7.place_blank")
        if when is None:
            return self("annex7.dated", place=place, day="…", month="…", year="……")
        day, month = f"{when.day:02d}", f"{when.month:02d}"
        if self.lang == "vi" and when.month >= 3:
            month = str(when.month)  # Nghị định 30/2020/NĐ-CP: 0 before days 1-9 and months 1-2 only
        return self("annex7.dated", place=place, day=day, month=month, year=when.year)


def _parse_time(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _Incident:
    number: int
    unrecoverable: bool
    objid: str
    path: str
    location: str
    found: str
    detail: str
    detected: str
    recovery: str
    recovered_at: str
    outcome: str


@dataclass
class _Facts:
    t: _Texts
    archive: str
    run: str
    dated: str
    inspection_number: str
    incident_number: str
    span: str
    run_fields: list[tuple[str, str]]
    totals: list[tuple[str, str]]
    location_columns: list[str]
    location_rows: list[list[str]]  # the last one is the total row
    verdict: str
    verdict_level: str
    unrecoverable_files: list[str]
    notes: list[str]
    footer: str
    operator: str
    incidents: list[_Incident] = field(default_factory=list)
    incident_counts: str = ""
    incident_warning: str = ""


def _compose(record: dict[str, Any], lang: str, archive_name: str, place: str | None) -> _Facts:
    t = _Texts(lang)
    archive = (archive_name or "").strip() or t("annex7.place_blank")
    run = str(record.get("run", "")) or t.dash
    incidents = list(record.get("incidents") or [])
    span = t(
        "annex7.time_span", start=t.moment(record.get("started_at")), end=t.moment(record.get("finished_at"))
    )
    status = str(record.get("status") or "")
    status_text = t.optional(f"annex7.status_{status}", status or t.dash)

    recovered = [i for i in incidents if i.get("outcome") == "recovered"]
    lost = [i for i in incidents if i.get("outcome") == "unrecoverable"]
    still_open = [i for i in incidents if i.get("outcome") not in ("recovered", "unrecoverable")]
    lost_files: dict[str, list[str]] = {}
    for incident in lost:
        name = f"{incident.get('objid') or ''}/{incident.get('path') or ''}"
        lost_files.setdefault(name, []).append(str(incident.get("location") or t.dash))

    facts = _Facts(
        t=t,
        archive=archive,
        run=run,
        dated=t.dated(record.get("finished_at") or record.get("started_at"), place),
        inspection_number=t("annex7.inspection_symbol", run=run),
        incident_number=t("annex7.incident_symbol", run=run),
        span=span,
        run_fields=[
            (t("annex7.run_number"), run),
            (t("annex7.run_time"), span),
            (t("annex7.run_duration"), t.duration(record.get("seconds"))),
            (t("annex7.run_scope"), _scope(t, str(record.get("scope") or ""))),
            (t("annex7.run_status"), status_text),
            (t("annex7.run_operator"), str(record.get("operator") or t.dash)),
            (t("annex7.run_host"), str(record.get("host") or t.dash)),
        ],
        totals=[
            (t("annex7.total_checked"), t.number(record.get("checked"))),
            (t("annex7.total_volume"), t.size_with_bytes(record.get("bytes_checked"))),
            (t("annex7.total_ok"), t.number(record.get("ok"))),
            (t("annex7.total_failed"), t.number(record.get("failed"))),
            (t("annex7.total_unreachable"), t.number(record.get("unreachable"))),
            (t("annex7.total_incidents"), t.number(len(incidents))),
            (t("annex7.total_repaired"), t.number(record.get("repaired"))),
            (t("annex7.total_unrecoverable"), t.number(record.get("unrecoverable"))),
        ],
        location_columns=[
            t(key)
            for key in (
                "annex7.col_location",
                "annex7.col_checked",
                "annex7.col_ok",
                "annex7.col_corrupt",
                "annex7.col_missing",
                "annex7.col_unreachable",
                "annex7.col_volume",
            )
        ],
        location_rows=_location_rows(t, record.get("locations") or {}),
        verdict="",
        verdict_level=_OK,
        unrecoverable_files=[
            t("annex7.unrecoverable_file", file=name, locations=", ".join(sorted(where)))
            for name, where in lost_files.items()
        ],
        notes=[],
        footer=t("annex7.footer", archive=archive, run=run),
        operator=str(record.get("operator") or ""),
    )

    checked = int(record.get("checked") or 0)
    unreachable = int(record.get("unreachable") or 0)
    not_checked = int(record.get("not_checked") or 0)
    down = record.get("locations_down") or {}
    incomplete = bool(unreachable or not_checked or status != "finished")
    if lost_files:
        facts.verdict, facts.verdict_level = t("annex7.verdict_unrecoverable", files=len(lost_files)), _ALARM
        if recovered:
            facts.notes.append(t("annex7.note_recovered", count=len(recovered)))
        if still_open:
            facts.notes.append(t("annex7.note_open", count=len(still_open)))
    elif still_open:
        facts.verdict, facts.verdict_level = t("annex7.verdict_open", count=len(still_open)), _ALARM
        if recovered:
            facts.notes.append(t("annex7.note_recovered", count=len(recovered)))
    elif recovered:
        facts.verdict, facts.verdict_level = t("annex7.verdict_recovered", count=len(recovered)), _NOTICE
    elif checked == 0:
        facts.verdict, facts.verdict_level = t("annex7.verdict_none"), _ALARM
    elif incomplete:
        facts.verdict, facts.verdict_level = t("annex7.verdict_intact_partial"), _NOTICE
    else:
        facts.verdict = t("annex7.verdict_intact", checked=t.number(checked))
    if unreachable:
        facts.notes.append(t("annex7.note_unreachable", count=t.number(unreachable)))
    if down:
        facts.notes.append(t("annex7.note_locations_down", locations=", ".join(sorted(down))))
    if not_checked:
        facts.notes.append(t("annex7.note_not_checked", count=t.number(not_checked)))
    if status != "finished":
        facts.notes.append(t("annex7.note_not_finished", status=status_text))
    if incidents:
        facts.notes.append(t("annex7.see_incident_record", number=facts.incident_number))
        facts.incidents = [_incident(t, n, i) for n, i in enumerate(incidents, start=1)]
        facts.incident_counts = t(
            "annex7.incident_counts", recovered=len(recovered), unrecoverable=len(lost), open=len(still_open)
        )
        if lost_files:
            facts.incident_warning = t(
                "annex7.incident_warning", files=len(lost_files), mark=UNRECOVERABLE_MARK
            )
    return facts


def _scope(t: _Texts, scope: str) -> str:
    """``AuditScope.describe()`` (``all``, ``due``, ``aip=OBJID``, then ``locations=a,b``) in words."""
    parts = scope.split()
    if not parts:
        return t.dash
    head, rest = parts[0], parts[1:]
    if head in ("all", "due"):
        text = t(f"annex7.scope_{head}")
    elif head.startswith("aip="):
        text = t("annex7.scope_aip", objid=head[len("aip=") :])
    else:
        text = head
    for part in rest:
        if part.startswith("locations="):
            names = ", ".join(x for x in part[len("locations=") :].split(",") if x)
            text = t("annex7.scope_locations", scope=text, locations=names)
        else:
            text = f"{text} {part}"
    return text


def _location_rows(t: _Texts, locations: dict[str, dict[str, int]]) -> list[list[str]]:
    if not locations:
        return []
    keys = ("ok", "corrupt", "missing", "unreachable")
    rows, totals = [], dict.fromkeys((*keys, "bytes"), 0)
    for name in sorted(locations):
        entry = {key: int(locations[name].get(key) or 0) for key in (*keys, "bytes")}
        for key, value in entry.items():
            totals[key] += value
        rows.append(_location_row(t, name, entry, keys))
    rows.append(_location_row(t, t("annex7.total_row"), totals, keys))
    return rows


def _location_row(t: _Texts, name: str, entry: dict[str, int], keys: Iterable[str]) -> list[str]:
    counts = [entry[key] for key in keys]
    return [name, t.number(sum(counts)), *(t.number(c) for c in counts), t.size(entry["bytes"])]


def _incident(t: _Texts, number: int, incident: dict[str, Any]) -> _Incident:
    kind = str(incident.get("kind") or "")
    outcome = str(incident.get("outcome") or "")
    source = incident.get("source_location")
    if outcome == "recovered":
        recovery = t("annex7.recovery_from", source=source or t.dash)
    elif outcome == "unrecoverable":
        recovery = t("annex7.recovery_none_left")
    elif kind == "catalog_mismatch":
        recovery = t("annex7.recovery_catalog")
    else:
        recovery = t("annex7.recovery_open")
    return _Incident(
        number=number,
        unrecoverable=outcome == "unrecoverable",
        objid=str(incident.get("objid") or t.dash),
        path=str(incident.get("path") or t.dash),
        location=str(incident.get("location") or t.dash),
        found=t.optional(f"annex7.kind_{kind}", kind or t.dash),
        detail=str(incident.get("detail") or ""),
        detected=t.moment(incident.get("detected_at")),
        recovery=recovery,
        recovered_at=t.moment(incident.get("recovered_at")),
        outcome=t.optional(f"annex7.outcome_{outcome}", outcome or t.dash),
    )


# --------------------------------------------------------------------------------------------------
# text


def _text_inspection(facts: _Facts) -> list[str]:
    t = facts.t
    lines = _text_header(facts, t("annex7.number", number=facts.inspection_number))
    lines += _centered(
        [
            t("annex7.inspection_title"),
            t("annex7.inspection_subtitle", run=facts.run),
            t("annex7.legal_basis"),
        ]
    )
    lines += ["", *_wrapped(t("annex7.inspection_intro", archive=facts.archive)), ""]
    lines += [t("annex7.section_run"), *_text_fields(facts.run_fields), ""]
    lines += [t("annex7.section_totals"), *_text_fields(facts.totals), ""]
    if facts.location_rows:
        lines += [t("annex7.by_location"), "", *_pipe_table(facts.location_columns, facts.location_rows), ""]
    else:
        lines += [t("annex7.no_copies"), ""]
    lines.append(t("annex7.section_conclusion"))
    alarm = facts.verdict_level == _ALARM
    lines += _wrapped(facts.verdict, prefix="!!! " if alarm else "", indent="    " if alarm else "")
    for name in facts.unrecoverable_files:
        lines += _wrapped(name, prefix=f"  {UNRECOVERABLE_MARK} ", indent="     ")
    for note in facts.notes:
        lines += _wrapped(note, prefix="- ", indent="  ")
    lines += ["", *_text_signatures(facts)]
    return lines


def _text_incidents(facts: _Facts) -> list[str]:
    t = facts.t
    lines = _text_header(facts, t("annex7.number", number=facts.incident_number))
    subtitle = t("annex7.incident_subtitle", number=facts.inspection_number)
    lines += _centered([t("annex7.incident_title"), subtitle, t("annex7.legal_basis")])
    intro = t(
        "annex7.incident_intro",
        run=facts.run,
        span=facts.span,
        archive=facts.archive,
        count=len(facts.incidents),
    )
    lines += ["", *_wrapped(intro), "", *_wrapped(facts.incident_counts)]
    if facts.incident_warning:
        lines += ["", *_wrapped(facts.incident_warning, prefix="!!! ", indent="    ")]
    for incident in facts.incidents:
        mark = f"{UNRECOVERABLE_MARK} " if incident.unrecoverable else ""
        lines += ["", f"{mark}{t('annex7.col_no')} {incident.number}. {incident.outcome}"]
        fields = [
            (t("annex7.aip"), incident.objid),
            (t("annex7.file"), incident.path),
            (t("annex7.col_location"), incident.location),
            (t("annex7.col_found"), incident.found),
            (t("annex7.col_detail"), incident.detail or t.dash),
            (t("annex7.col_detected"), incident.detected),
            (t("annex7.col_recovery"), incident.recovery),
            (t("annex7.col_recovered_at"), incident.recovered_at),
            (t("annex7.col_outcome"), incident.outcome),
        ]
        lines += _text_fields(fields, bullet="   ")
    lines += ["", *_text_signatures(facts)]
    return lines


def _text_header(facts: _Facts, number: str) -> list[str]:
    t = facts.t
    left = textwrap.wrap(facts.archive.upper(), 42) or [""]
    right = [t("annex7.nation"), t("annex7.motto")]
    while len(left) < len(right):
        left.append("")
    while len(right) < len(left):
        right.append("")
    rows = [*zip(left, right, strict=True), (number, facts.dated)]
    return [_two_columns(a, b) for a, b in rows] + [""]


def _two_columns(left: str, right: str, split: int = 44) -> str:
    return (left.center(split) + right.center(TEXT_WIDTH - split)).rstrip()


def _centered(texts: Iterable[str]) -> list[str]:
    return [line.center(TEXT_WIDTH).rstrip() for text in texts for line in textwrap.wrap(text, TEXT_WIDTH)]


def _wrapped(text: str, prefix: str = "", indent: str = "") -> list[str]:
    return textwrap.wrap(
        text, TEXT_WIDTH, initial_indent=prefix, subsequent_indent=indent, break_on_hyphens=False
    ) or [prefix.rstrip()]


def _text_fields(fields: Iterable[tuple[str, str]], bullet: str = "- ") -> list[str]:
    lines: list[str] = []
    for label, value in fields:
        lines += _wrapped(f"{label}: {value}", prefix=bullet, indent=" " * (len(bullet) + 2))
    return lines


def _pipe_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table; numbers right-aligned, the first column left-aligned."""
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths))
    return [line(header), rule + "|", *(line(row) for row in rows)]


def _text_signatures(facts: _Facts) -> list[str]:
    t = facts.t
    return [
        _two_columns(t("annex7.sign_inspector"), t("annex7.sign_head"), TEXT_WIDTH // 2),
        _two_columns(t("annex7.sign_hint"), t("annex7.sign_hint_head"), TEXT_WIDTH // 2),
        "",
        "",
        "",
        _two_columns(facts.operator, "", TEXT_WIDTH // 2),
    ]


# --------------------------------------------------------------------------------------------------
# PDF


def _pdf_bytes(facts: _Facts) -> bytes:
    font, bold = _fonts()
    s = _Styles(font, bold)
    t = facts.t
    buffer = BytesIO()
    document = a4_document(
        buffer,
        title=t("annex7.inspection_title"),
        author=facts.archive,
        subject=facts.footer,
        lang=t.lang,
        font=font,
    )

    def canvas(*args: Any, **kwargs: Any) -> Canvas:
        return NumberedCanvas(
            *args,
            font=font,
            left=facts.footer,
            right=lambda n, of: t("annex7.page", page=n, pages=of),
            **kwargs,
        )

    story = _pdf_inspection(facts, s)
    if facts.incidents:
        story += [PageBreak(), *_pdf_incidents(facts, s)]
    document.build(story, canvasmaker=canvas)
    return buffer.getvalue()


def _fonts() -> tuple[str, str]:
    """The handover record's Unicode font (and its bold face), registered; its errors in our words."""
    try:
        regular = find_unicode_font()
        return register_font(regular), register_font(find_bold_font(regular) or regular)
    except ReceiptError as exc:
        key = exc.message_key.replace("receipt.", "annex7.", 1)
        raise Annex7Error(key if has_message(key, "en") else exc.message_key, **exc.params) from None


class _Styles:
    def __init__(self, font: str, bold: str) -> None:
        # bullets too: their font is Helvetica (not embedded) unless told otherwise
        self.body = ParagraphStyle("body", fontName=font, bulletFontName=font, fontSize=9.5, leading=12.5)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=bold)
        self.center = ParagraphStyle("center", parent=self.body, alignment=TA_CENTER)
        self.center_bold = ParagraphStyle("center-bold", parent=self.bold, alignment=TA_CENTER)
        self.title = ParagraphStyle(
            "title", parent=self.center_bold, fontSize=13.5, leading=17, spaceBefore=4
        )
        self.heading = ParagraphStyle("heading", parent=self.bold, fontSize=10.5, spaceBefore=8, spaceAfter=3)
        self.alarm = ParagraphStyle("alarm", parent=self.bold, textColor=_ALARM_COLOR)
        self.listed = ParagraphStyle("listed", parent=self.alarm, leftIndent=7 * mm, bulletIndent=1 * mm)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=7.5, leading=9.5)
        self.cell_bold = ParagraphStyle("cell-bold", parent=self.cell, fontName=bold)
        self.number = ParagraphStyle("number", parent=self.cell, alignment=TA_RIGHT)
        self.number_bold = ParagraphStyle("number-bold", parent=self.number, fontName=bold)
        self.cell_alarm = ParagraphStyle("cell-alarm", parent=self.cell_bold, textColor=_ALARM_COLOR)
        # tables set each cell's font, paragraphs too: without this, Helvetica (not embedded) is pulled in
        self.cell_font = [("FONTNAME", (0, 0), (-1, -1), font)]


def _p(text: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "—"), style)


def _lines(texts: Iterable[str], style: ParagraphStyle) -> Paragraph:
    return Paragraph("<br/>".join(escape(text) for text in texts if text), style)


def _pdf_header(facts: _Facts, s: _Styles, number: str, title: str, subtitle: str) -> list[Flowable]:
    t = facts.t
    header = Table(
        [
            [_p(facts.archive.upper(), s.center_bold), _p(t("annex7.nation"), s.center_bold)],
            [_p(t("annex7.number", number=number), s.center), _p(t("annex7.motto"), s.center_bold)],
            ["", _p(facts.dated, s.center)],
        ],
        colWidths=[WIDTH * 0.42, WIDTH * 0.58],
        style=s.cell_font,
    )
    return [
        header,
        Spacer(0, 6 * mm),
        _p(title, s.title),
        _p(subtitle, s.center),
        _p(t("annex7.legal_basis"), s.center),
        Spacer(0, 4 * mm),
    ]


def _pdf_inspection(facts: _Facts, s: _Styles) -> list[Flowable]:
    t = facts.t
    story = _pdf_header(
        facts,
        s,
        facts.inspection_number,
        t("annex7.inspection_title"),
        t("annex7.inspection_subtitle", run=facts.run),
    )
    story.append(_p(t("annex7.inspection_intro", archive=facts.archive), s.body))
    story += [_p(t("annex7.section_run"), s.heading), _fields(facts.run_fields, s)]
    story += [_p(t("annex7.section_totals"), s.heading), _fields(facts.totals, s)]
    story.append(Spacer(0, 3 * mm))
    if facts.location_rows:
        story.append(_p(t("annex7.by_location"), s.body))
        story.append(Spacer(0, 1.5 * mm))
        widths = [None, 22 * mm, 22 * mm, 16 * mm, 16 * mm, 26 * mm, 24 * mm]
        last = len(facts.location_rows) - 1  # the total row, in bold
        rows = [
            [
                _p(
                    cell,
                    (s.cell_bold if c == 0 else s.number_bold)
                    if r == last
                    else (s.cell if c == 0 else s.number),
                )
                for c, cell in enumerate(row)
            ]
            for r, row in enumerate(facts.location_rows)
        ]
        story.append(_table(facts.location_columns, rows, widths, s))
    else:
        story.append(_p(t("annex7.no_copies"), s.body))
    # the conclusion stays on the page of the signatures: never a page with signatures alone
    conclusion = [
        _p(t("annex7.section_conclusion"), s.heading),
        _p(facts.verdict, s.alarm if facts.verdict_level == _ALARM else s.bold),
    ]
    for name in facts.unrecoverable_files:
        conclusion.append(Paragraph(escape(name), s.listed, bulletText=UNRECOVERABLE_MARK))
    for note in facts.notes:
        conclusion.append(Paragraph(escape(note), s.body, bulletText="–"))
    story.append(KeepTogether([*conclusion, Spacer(0, 8 * mm), *_signatures(facts, s)]))
    return story


def _pdf_incidents(facts: _Facts, s: _Styles) -> list[Flowable]:
    t = facts.t
    story = _pdf_header(
        facts,
        s,
        facts.incident_number,
        t("annex7.incident_title"),
        t("annex7.incident_subtitle", number=facts.inspection_number),
    )
    intro = t(
        "annex7.incident_intro",
        run=facts.run,
        span=facts.span,
        archive=facts.archive,
        count=len(facts.incidents),
    )
    story += [_p(intro, s.body), Spacer(0, 1.5 * mm), _p(facts.incident_counts, s.bold)]
    if facts.incident_warning:
        story += [Spacer(0, 1.5 * mm), _p(facts.incident_warning, s.alarm)]
    story.append(Spacer(0, 3 * mm))
    columns = [
        t(key)
        for key in (
            "annex7.col_no",
            "annex7.col_file",
            "annex7.col_location",
            "annex7.col_found",
            "annex7.col_detected",
            "annex7.col_recovery",
            "annex7.col_recovered_at",
            "annex7.col_outcome",
        )
    ]
    rows, alarms = [], []
    for row, incident in enumerate(facts.incidents, start=1):
        number = f"{UNRECOVERABLE_MARK} {incident.number}" if incident.unrecoverable else str(incident.number)
        found = escape(incident.found)
        if incident.detail:
            found += f'<br/><font size="6">{escape(incident.detail)}</font>'
        rows.append(
            [
                _p(number, s.cell_alarm if incident.unrecoverable else s.cell),
                _lines([incident.objid, incident.path], s.cell),
                _p(incident.location, s.cell),
                Paragraph(found, s.cell),
                _p(incident.detected, s.cell),
                _p(incident.recovery, s.cell),
                _p(incident.recovered_at, s.cell),
                _p(incident.outcome, s.cell_alarm if incident.unrecoverable else s.cell_bold),
            ]
        )
        if incident.unrecoverable:
            alarms.append(("BACKGROUND", (0, row), (-1, row), _ALARM_BACKGROUND))
    widths = [8 * mm, None, 16 * mm, 33 * mm, 20 * mm, 22 * mm, 20 * mm, 22 * mm]
    table = _table(columns, rows, widths, s)
    table.setStyle(alarms)
    story += [table, Spacer(0, 10 * mm), KeepTogether(_signatures(facts, s))]
    return story


def _fields(rows: Iterable[tuple[str, str]], s: _Styles) -> Table:
    data = [[_p(label, s.cell_bold), _p(value, s.cell)] for label, value in rows]
    table = Table(data, colWidths=[60 * mm, WIDTH - 60 * mm])
    table.setStyle([*s.cell_font, *_GRID])
    return table


def _table(columns: list[str], rows: list[list[Any]], widths: list[float | None], s: _Styles) -> LongTable:
    """A grid that repeats its header row on every page it runs over."""
    fixed = sum(w for w in widths if w is not None)
    flexible = (WIDTH - fixed) / max(1, sum(1 for w in widths if w is None))
    header = [_p(column, s.cell_bold) for column in columns]
    table = LongTable([header, *rows], colWidths=[w or flexible for w in widths], repeatRows=1)
    table.setStyle([*s.cell_font, *_GRID, *_HEADER_ROW])
    return table


def _signatures(facts: _Facts, s: _Styles) -> list[Flowable]:
    t = facts.t
    table = Table(
        [
            [_p(t("annex7.sign_inspector"), s.center_bold), _p(t("annex7.sign_head"), s.center_bold)],
            [_p(t("annex7.sign_hint"), s.center), _p(t("annex7.sign_hint_head"), s.center)],
            ["", ""],
            [Paragraph(escape(facts.operator), s.center), ""],
        ],
        colWidths=[WIDTH / 2, WIDTH / 2],
        rowHeights=[None, None, 22 * mm, None],
        style=s.cell_font,
    )
    return [table]
