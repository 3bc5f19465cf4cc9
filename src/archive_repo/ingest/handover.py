"""Build a submission's handover record from the catalog, so it can always be made again
(``archive-repo doctor`` rewrites a record that a crash prevented)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePosixPath

from archive_repo.catalog.browse import event_label, outcome_label
from archive_repo.catalog.models import Submission
from archive_repo.config import Settings
from archive_repo.findings import Finding
from archive_repo.i18n import translate
from archive_repo.ingest.receipt import (
    HandoverRecord,
    ReceiptCheck,
    ReceiptDocument,
    ReceiptFinding,
    write_receipt,
)

_CHECK_EVENTS = (
    "quarantine",
    "virus check",
    "format identification",
    "digital signature validation",
    "validation",
)


def receipt_id(submission: Submission) -> str:
    return f"BBGN-{submission.received_at:%Y%m%d}-{submission.id:06d}"


def receipt_paths(settings: Settings, submission: Submission) -> tuple[Path, Path]:
    name = receipt_id(submission)
    return settings.receipts_dir / f"{name}.json", settings.receipts_dir / f"{name}.pdf"


def _verdict(submission: Submission) -> str:
    if submission.status == "rejected":
        return "rejected"
    return "accepted-with-warnings" if submission.verdict == "valid-with-warnings" else "accepted"


def _findings(submission: Submission, lang: str) -> list[ReceiptFinding]:
    findings = (Finding.from_record(r) for r in (submission.report or {}).get("findings", []))
    return [ReceiptFinding(str(f.severity), f.rule, f.where(lang), f.message(lang)) for f in findings]


def signature_summary(outcomes: list[str], lang: str) -> str:
    """``["TOTAL-PASSED", "TOTAL-PASSED"]`` → "2 hợp lệ"; no signature → "không có"."""
    if not outcomes:
        return translate("receipt.signatures_none", lang)
    counts = Counter(outcomes)
    return ", ".join(
        translate(f"receipt.signatures_{key}", lang, count=counts[outcome])
        for outcome, key in _SIGNATURE_WORDS
        if counts.get(outcome)
    )


_SIGNATURE_WORDS = (
    ("TOTAL-PASSED", "passed"),
    ("INDETERMINATE", "indeterminate"),
    ("TOTAL-FAILED", "failed"),
)


def handover_record(submission: Submission, settings: Settings, lang: str) -> HandoverRecord:
    package = submission.package
    findings = _findings(submission, lang)
    documents: list[ReceiptDocument] = []
    checks: list[ReceiptCheck] = []
    total_files = total_size = 0
    if package is not None:
        data_files = {
            f.document_id: f for f in package.files if f.role == "data" and f.document_id is not None
        }
        for document in package.documents:
            file = data_files.get(document.id)
            documents.append(
                ReceiptDocument(
                    code=document.code,
                    title=document.title,
                    path=file.path if file else "",
                    size=file.size if file else 0,
                    sha256=file.sha256 if file else "",
                    signatures=signature_summary([c.outcome for c in file.signatures], lang) if file else "",
                )
            )
        total_files = len(package.files)
        total_size = sum(f.size for f in package.files)
        seen: set[str] = set()
        for event in package.events:
            if event.type in _CHECK_EVENTS and event.file is None and event.type not in seen:
                seen.add(event.type)
                checks.append(
                    ReceiptCheck(
                        event_label(event.type, lang),
                        outcome_label(event.outcome, lang),
                        event.detail or "",
                    )
                )
    dates = None
    if package is not None and (package.start_date or package.end_date):
        dates = f"{package.start_date or '?'} – {package.end_date or '?'}"
    return HandoverRecord(
        receipt_id=receipt_id(submission),
        received_at=submission.received_at,
        archive_code=settings.archive_code,
        archive_name=settings.archive_name or settings.archive_code,
        agency_code=package.agency.code if package is not None and package.agency else None,
        agency_name=package.agency.name if package is not None and package.agency else None,
        source_name=PurePosixPath(submission.source_name).name or submission.source_name,
        submission_digest=submission.digest,
        verdict=_verdict(submission),
        operator=submission.run.operator if submission.run is not None else settings.operator,
        sip_objid=package.sip_objid if package is not None else None,
        aip_objid=package.objid if package is not None else None,
        arc_file_code=package.arc_file_code if package is not None else None,
        title=package.title if package is not None else None,
        version=package.version if package is not None else None,
        record_status=package.record_status if package is not None else None,
        date_range=dates,
        documents=tuple(documents),
        total_files=total_files,
        total_size=total_size,
        errors=sum(1 for f in findings if f.severity == "error"),
        warnings=sum(1 for f in findings if f.severity == "warning"),
        findings=tuple(findings),
        checks=tuple(checks),
    )


def write_handover(submission: Submission, settings: Settings, lang: str) -> tuple[Path, Path]:
    return write_receipt(handover_record(submission, settings, lang), settings.receipts_dir, lang)
