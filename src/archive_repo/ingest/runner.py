"""Ingest a batch of submissions: workers process them in parallel, this process commits each result.

Only this process writes packages to the catalog, one transaction per submission, so the batch is as
consistent as each of its parts. A bad submission is rejected with its report and the others go on; a
submission that cannot be processed at all (unreadable path, storage failure) is reported as failed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import IngestRun, Submission, utcnow
from archive_repo.config import Settings
from archive_repo.findings import Finding, Severity
from archive_repo.ingest.catalog_access import sessions, writer_sessions
from archive_repo.ingest.commit import AlreadyHeld, commit_accepted, record_submission
from archive_repo.ingest.crashpoints import crash_point
from archive_repo.ingest.handover import write_handover
from archive_repo.ingest.outcome import Outcome, SubmissionOutcome
from archive_repo.ingest.rejected import write_rejection
from archive_repo.ingest.versions import VersionConflict
from archive_repo.ingest.worker import IngestJob, discard_stored, process_submission


@dataclass
class ProcessedSubmission:
    outcome: SubmissionOutcome
    objid: str | None = None
    version: int | None = None
    receipt: Path | None = None  # the PDF
    rejected_folder: Path | None = None


@dataclass
class RunSummary:
    run_id: int
    results: list[ProcessedSubmission] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome.outcome is outcome)


def ingest_batch(
    sources: list[Path],
    settings: Settings,
    *,
    workers: int | None = None,
    lang: str = "vi",
    on_result: Callable[[ProcessedSubmission], None] | None = None,
    skip_virus_scan: bool = False,
) -> RunSummary:
    """Raises (before anything is recorded) ``VirusScanError`` when a scan is required and no scanner
    works, and ``TrustStoreError`` when a trust anchor cannot be read."""
    job = IngestJob(settings, None, skip_virus_scan)
    job.authenticity  # noqa: B018 - fail now, not once per submission in the workers
    writer = writer_sessions(settings.catalog_url)
    with transaction(writer) as session:
        run = IngestRun(
            operator=settings.operator,
            host=socket.gethostname(),
            pid=os.getpid(),
            status="running",
            submitted_count=len(sources),
        )
        session.add(run)
        session.flush()
        run_id = run.id
    summary = RunSummary(run_id)
    job = IngestJob(settings, run_id, skip_virus_scan)
    status = "failed"
    try:
        with _worker_pool(workers or settings.workers, len(sources)) as pool:
            receipts: list[tuple[ProcessedSubmission, Future[Path]]] = []
            for outcome in _outcomes(sources, job, pool):
                processed = _finish(outcome, settings, run_id, lang)
                if processed.outcome.outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
                    assert outcome.digest is not None
                    if pool is None:
                        processed.receipt = write_receipt_of(settings, outcome.digest, lang)
                        crash_point("after-receipt")
                    else:  # PDF rendering is CPU work: the workers share it
                        receipts.append(
                            (processed, pool.submit(write_receipt_of, settings, outcome.digest, lang))
                        )
                summary.results.append(processed)
                if on_result is not None:
                    on_result(processed)
            for processed, future in receipts:
                processed.receipt = future.result()
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        with transaction(writer) as session:
            run = session.get_one(IngestRun, run_id)
            run.status = status
            run.finished_at = utcnow()
            run.accepted_count = summary.count(Outcome.ACCEPTED)
            run.rejected_count = summary.count(Outcome.REJECTED)
            run.failed_count = summary.count(Outcome.FAILED)
    return summary


@contextlib.contextmanager
def _worker_pool(workers: int, count: int) -> Iterator[ProcessPoolExecutor | None]:
    if workers <= 1 or count <= 1:
        yield None
        return
    # spawn: a forked child would inherit this process's open SQLite connection (and its locks).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, count), mp_context=context) as pool:
        yield pool


def _outcomes(
    sources: list[Path], job: IngestJob, pool: ProcessPoolExecutor | None
) -> Iterator[SubmissionOutcome]:
    if pool is None:
        for source in sources:
            yield process_submission(source, job)
        return
    futures = [pool.submit(process_submission, source, job) for source in sources]
    for future in as_completed(futures):
        yield future.result()


def write_receipt_of(settings: Settings, digest: str, lang: str) -> Path:
    """Write the handover record of the submission with this content digest; returns the PDF's path."""
    with sessions(settings.catalog_url)() as session:
        submission = session.scalars(select(Submission).where(Submission.digest == digest)).one()
        return write_handover(submission, settings, lang)[1]


def _finish(outcome: SubmissionOutcome, settings: Settings, run_id: int, lang: str) -> ProcessedSubmission:
    processed = ProcessedSubmission(outcome)
    if outcome.outcome in (Outcome.FAILED, Outcome.DUPLICATE) or outcome.digest is None:
        return processed
    if outcome.outcome is Outcome.ACCEPTED:
        _commit(outcome, settings, run_id, processed)
    if outcome.outcome is Outcome.REJECTED:
        _record_rejection(outcome, settings, run_id, lang, processed)
    return processed


def _commit(
    outcome: SubmissionOutcome, settings: Settings, run_id: int, processed: ProcessedSubmission
) -> None:
    info = outcome.package
    assert info is not None
    try:
        with transaction(writer_sessions(settings.catalog_url)) as session:
            package = commit_accepted(session, outcome, session.get(IngestRun, run_id))
            processed.objid, processed.version = package.objid, package.version
        crash_point("after-commit")
    except AlreadyHeld as held:
        discard_stored(settings, info.objid, info.folder)
        outcome.outcome, outcome.duplicate_of, outcome.package = Outcome.DUPLICATE, held.objid, None
    except VersionConflict as conflict:
        discard_stored(settings, info.objid, info.folder)
        findings = (outcome.report or {}).setdefault("findings", [])
        findings.append(
            Finding(
                "ingest.version", Severity.ERROR, "METS.xml", conflict.message_key, conflict.params
            ).as_record()
        )
        (outcome.report or {})["verdict"] = "invalid"
        outcome.outcome, outcome.package = Outcome.REJECTED, None


def _record_rejection(
    outcome: SubmissionOutcome, settings: Settings, run_id: int, lang: str, processed: ProcessedSubmission
) -> None:
    assert outcome.digest is not None
    try:
        with transaction(writer_sessions(settings.catalog_url)) as session:
            submission = record_submission(session, outcome, session.get(IngestRun, run_id))
            session.flush()
            received_at = submission.received_at
    except AlreadyHeld as held:
        outcome.outcome, outcome.duplicate_of = Outcome.DUPLICATE, held.objid
        return
    processed.rejected_folder = write_rejection(
        settings.rejected_dir, outcome.source, outcome.digest, outcome.report or {}, received_at, lang
    )
