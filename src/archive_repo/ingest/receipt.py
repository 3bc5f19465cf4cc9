"""The handover record (biên bản giao nhận) of an ingest: what was received, from whom, and the outcome.

It is written twice, side by side: ``<receipt_id>.json`` for machines and ``<receipt_id>.pdf`` (A4,
Vietnamese by default) that both parties can print and sign. The PDF layout is in ``receipt_pdf``.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from archive_repo.durable import fsync_dir
from archive_repo.errors import ArchiveRepoError
from archive_repo.i18n import LANGUAGES

SCHEMA = "archive-repo/handover-record/1"
VERDICTS = ("accepted", "accepted-with-warnings", "rejected", "duplicate")
MAX_FINDINGS_IN_PDF = 50
# Viet Nam (Asia/Ho_Chi_Minh) has kept UTC+07:00 without daylight saving since 1975: no tz database needed.
VIETNAM = timezone(timedelta(hours=7))
FONT_ENV = "ARCHIVE_REPO_FONT"
# Debian: fonts-dejavu-core, fonts-liberation, fonts-liberation2, fonts-noto-core. All cover Vietnamese.
FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
)


class ReceiptError(ArchiveRepoError):
    """The handover record cannot be produced (no usable font, cannot write)."""


@dataclass(frozen=True)
class ReceiptDocument:
    """One document of the dossier."""

    code: str | None  # docCode / arcDocCode
    title: str
    path: str  # file path inside the AIP
    size: int
    sha256: str
    signatures: str = ""  # the outcome of its digital signatures in words, e.g. "2 hợp lệ"


@dataclass(frozen=True)
class ReceiptFinding:
    severity: str  # "error" | "warning" | "info"
    rule: str  # e.g. "fixity.checksum-mismatch"
    location: str  # e.g. "METS.xml:12"
    message: str  # already translated


@dataclass(frozen=True)
class ReceiptCheck:
    """An authenticity or other check, e.g. ("virus check", "not performed", "no scanner configured")."""

    name: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class HandoverRecord:
    receipt_id: str  # e.g. "BBGN-20261121-0001-3f2a9c1d"; also the file name
    received_at: datetime  # timezone-aware
    archive_code: str
    archive_name: str
    agency_code: str | None  # unknown for a submission that could not be read
    agency_name: str | None
    source_name: str  # the submission's file/folder name as received
    submission_digest: str  # SHA-256 hex of the submission content
    verdict: str  # one of VERDICTS
    operator: str
    sip_objid: str | None = None
    aip_objid: str | None = None
    arc_file_code: str | None = None
    title: str | None = None  # dossier title
    version: int | None = None
    record_status: str | None = None  # NEW | SUPPLEMENT | REPLACEMENT
    date_range: str | None = None  # e.g. "2024-01-05 – 2024-12-20"
    documents: tuple[ReceiptDocument, ...] = ()
    total_files: int = 0
    total_size: int = 0
    errors: int = 0
    warnings: int = 0
    findings: tuple[ReceiptFinding, ...] = ()  # all of them; the PDF lists the first MAX_FINDINGS_IN_PDF
    checks: tuple[ReceiptCheck, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")
        if self.received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware")
        if (
            not self.receipt_id
            or self.receipt_id.startswith(".")
            or any(c in self.receipt_id for c in "/\\\0")
        ):
            raise ValueError(f"receipt_id {self.receipt_id!r} cannot be used as a file name")


def receipt_as_dict(record: HandoverRecord) -> dict[str, Any]:
    """The record as JSON-ready data; the time is ISO 8601 in Viet Nam time (+07:00)."""
    data = asdict(record)
    data["received_at"] = record.received_at.astimezone(VIETNAM).isoformat()
    for name in ("documents", "findings", "checks"):
        data[name] = list(data[name])
    return {"schema": SCHEMA, **data}


def find_unicode_font() -> Path:
    """A TrueType font that covers Vietnamese: ``$ARCHIVE_REPO_FONT``, else the first of FONT_CANDIDATES."""
    configured = os.environ.get(FONT_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if path.is_file():
            return path
        raise ReceiptError("receipt.font_env_missing", path=configured)
    for candidate in FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise ReceiptError("receipt.no_font", searched=", ".join(str(p) for p in FONT_CANDIDATES) or "-")


def find_bold_font(regular: Path) -> Path | None:
    """The bold face next to ``regular`` (DejaVuSans-Bold.ttf, LiberationSans-Bold.ttf…), if installed."""
    stems = [regular.stem.replace("Regular", "Bold")] if "Regular" in regular.stem else []
    stems.append(f"{regular.stem}-Bold")
    for stem in stems:
        candidate = regular.with_name(stem + regular.suffix)
        if candidate != regular and candidate.is_file():
            return candidate
    return None


def write_receipt(record: HandoverRecord, folder: Path, lang: str = "vi") -> tuple[Path, Path]:
    """Write ``<receipt_id>.json`` and ``<receipt_id>.pdf`` into ``folder``, each atomically."""
    from archive_repo.ingest.receipt_pdf import render_receipt_pdf

    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {LANGUAGES}")
    regular = find_unicode_font()
    pdf = render_receipt_pdf(record, lang, regular, find_bold_font(regular))  # before writing anything
    text = json.dumps(receipt_as_dict(record), ensure_ascii=False, indent=2) + "\n"
    json_path = folder / f"{record.receipt_id}.json"
    pdf_path = folder / f"{record.receipt_id}.pdf"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(json_path, text.encode("utf-8"))
        write_atomically(pdf_path, pdf)
        fsync_dir(folder)
    except OSError as exc:
        raise ReceiptError("receipt.io_failed", path=str(folder), detail=str(exc)) from None
    return json_path, pdf_path


def write_atomically(target: Path, data: bytes) -> None:
    """Write a temporary file next to ``target`` and rename it: never a half file under the final name."""
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
