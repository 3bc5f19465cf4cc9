"""Find and clean what an interrupted ingest left behind, and check that the catalog and storage agree.

Cleaned (unless ``dry_run``):
- ingest runs, fixity audits and storage syncs still marked *running* whose process is gone →
  *interrupted*;
- storage intents of dead processes: the objects they name are deleted from every location (their
  package was never committed, so nothing visible refers to them), then the intent;
- quarantine and staging folders of dead processes under ``work/``; the stores' temporary files when no
  ingest is running on this machine;
- handover records that a crash prevented: written again from the catalog.
Reported, never deleted: folders in storage that the catalog does not know (perhaps a lost catalog: the
AIPs are the source of truth), and files of packages without a copy in every configured location.

Only processes of this machine can be checked; an intent or run of another host is reported, not touched.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import (
    AuditRun,
    File,
    IngestRun,
    Package,
    StorageCopy,
    StorageIntent,
    Submission,
)
from archive_repo.config import Settings
from archive_repo.ingest.catalog_access import writer_sessions
from archive_repo.ingest.handover import receipt_paths, write_handover
from archive_repo.storage.registry import open_stores


@dataclass
class Problem:
    key: str  # message key
    params: dict[str, object]
    fixed: bool


@dataclass
class DoctorReport:
    problems: list[Problem] = field(default_factory=list)

    def add(self, key: str, fixed: bool, /, **params: object) -> None:
        # Positional-only: a message may have a {key} parameter of its own (doctor.temporary_removed).
        self.problems.append(Problem(key, params, fixed))

    @property
    def needs_attention(self) -> bool:
        return any(not p.fixed for p in self.problems)


def process_alive(pid: int | None, host: str | None) -> bool:
    """Whether the process may still run; processes of other hosts are assumed alive (cannot check)."""
    if pid is None or host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_doctor(settings: Settings, lang: str, dry_run: bool = False) -> DoctorReport:
    report = DoctorReport()
    live_here = _interrupted_runs(settings, report, dry_run)
    _orphaned_intents(settings, report, dry_run)
    _work_leftovers(settings, report, dry_run)
    if not live_here:
        for store in open_stores(settings):
            for leftover in store.cleanup_temporary() if not dry_run else []:
                report.add("doctor.temporary_removed", True, location=store.name, key=leftover)
    _unknown_in_storage(settings, report)
    _missing_copies(settings, report)
    _missing_receipts(settings, report, lang, dry_run)
    _access_leftovers(settings, report, dry_run)
    if len(settings.locations) < 2:
        report.add("doctor.one_location", False)
    return report


def _interrupted_runs(settings: Settings, report: DoctorReport, dry_run: bool) -> bool:
    """Mark dead running runs interrupted; returns whether an ingest runs on this machine now."""
    live_here = False
    with transaction(writer_sessions(settings.catalog_url)) as session:
        for run in session.scalars(select(IngestRun).where(IngestRun.status == "running")):
            if process_alive(run.pid, run.host):
                live_here = live_here or run.host == socket.gethostname()
                if run.host != socket.gethostname():
                    report.add("doctor.run_elsewhere", False, run=run.id, host=run.host or "?")
                continue
            if not dry_run:
                run.status = "interrupted"
            report.add("doctor.run_interrupted", not dry_run, run=run.id, pid=run.pid or "?")
        for audit in session.scalars(select(AuditRun).where(AuditRun.status == "running")):
            if audit.host == socket.gethostname() and not process_alive(audit.pid, audit.host):
                if not dry_run:
                    audit.status = "interrupted"
                report.add("doctor.audit_interrupted", not dry_run, run=audit.id, kind=audit.kind)
    return live_here


def _orphaned_intents(settings: Settings, report: DoctorReport, dry_run: bool) -> None:
    stores = {store.name: store for store in open_stores(settings)}
    with transaction(writer_sessions(settings.catalog_url)) as session:
        committed = set(session.scalars(select(Package.objid)))
        for intent in session.scalars(select(StorageIntent)).all():
            if process_alive(intent.pid, intent.host):
                if intent.host != socket.gethostname():
                    report.add("doctor.intent_elsewhere", False, objid=intent.objid, host=intent.host or "?")
                continue
            store = stores.get(intent.location)
            if intent.objid in committed:
                if not dry_run:
                    session.delete(intent)
                continue
            if dry_run:
                found = sum(1 for _ in store.keys(intent.prefix)) if store is not None else 0
                report.add(
                    "doctor.orphans_found", False, objid=intent.objid, location=intent.location, count=found
                )
                continue
            removed = store.delete_prefix(intent.prefix) if store is not None else 0
            session.delete(intent)
            report.add(
                "doctor.orphans_removed", True, objid=intent.objid, location=intent.location, count=removed
            )


def _work_leftovers(settings: Settings, report: DoctorReport, dry_run: bool) -> None:
    for area in ("quarantine", "staging"):
        parent = settings.work_dir / area
        if not parent.is_dir():
            continue
        for folder in sorted(parent.iterdir()):
            pid = int(folder.name) if folder.name.isdigit() else None
            if pid is not None and process_alive(pid, socket.gethostname()):
                continue
            if not dry_run:
                _remove(folder)
            report.add("doctor.work_removed", not dry_run, path=str(folder))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _unknown_in_storage(settings: Settings, report: DoctorReport) -> None:
    with writer_sessions(settings.catalog_url)() as session:
        known = {objid.replace(":", "_") for objid in session.scalars(select(Package.objid))}
        pending = {prefix.rstrip("/") for prefix in session.scalars(select(StorageIntent.prefix))}
    for store in open_stores(settings):
        for prefix in store.prefixes():
            if prefix not in known and prefix not in pending:
                report.add("doctor.unknown_in_storage", False, location=store.name, prefix=prefix)


def _missing_copies(settings: Settings, report: DoctorReport) -> None:
    """Files with fewer good copies than locations: no copy row with status ok, or its object is gone
    from the store or has the wrong size (a cheap look; fixity audits compare the bytes)."""
    wanted = len(settings.locations)
    stores = {store.name: store for store in open_stores(settings)}
    good: dict[int, int] = {}
    owner: dict[int, str] = {}
    with writer_sessions(settings.catalog_url)() as session:
        rows = session.execute(
            select(Package.objid, File.id, File.size, StorageCopy.location, StorageCopy.key)
            .join(File, File.package_id == Package.id)
            .outerjoin(StorageCopy, (StorageCopy.file_id == File.id) & (StorageCopy.status == "ok"))
            .execution_options(yield_per=1000)
        )
        for objid, file_id, size, location, key in rows:
            owner[file_id] = objid
            good.setdefault(file_id, 0)
            store = stores.get(location) if location is not None else None
            if store is not None and store.stat(key) == size:
                good[file_id] += 1
    short: dict[str, int] = {}
    for file_id, count in good.items():
        if count < wanted:
            short[owner[file_id]] = short.get(owner[file_id], 0) + 1
    for objid, count in sorted(short.items()):
        report.add("doctor.missing_copies", False, objid=objid, files=count, wanted=wanted)


def _missing_receipts(settings: Settings, report: DoctorReport, lang: str, dry_run: bool) -> None:
    with writer_sessions(settings.catalog_url)() as session:
        for submission in session.scalars(select(Submission).order_by(Submission.id)):
            json_path, pdf_path = receipt_paths(settings, submission)
            if json_path.is_file() and pdf_path.is_file():
                continue
            if not dry_run:
                write_handover(submission, settings, lang)
            report.add("doctor.receipt_written", not dry_run, path=str(pdf_path))


def _access_leftovers(settings: Settings, report: DoctorReport, dry_run: bool) -> None:
    """Staging folders of access issues whose process died, the requests such a process left
    ``issuing`` (back to ``approved``; processes of other hosts are left alone), and outputs past their
    period that ``access expire`` has not deleted yet (reported: the daily timer may not be set up)."""
    from archive_repo.access.issue import STAGING_SUFFIX, parse_staging_name
    from archive_repo.catalog.models import AccessOutput, AccessRequest, utcnow

    if settings.access_dir.is_dir():
        for folder in sorted(settings.access_dir.glob(f".*{STAGING_SUFFIX}")):
            owner = parse_staging_name(folder.name)
            if owner is None or process_alive(owner[1], owner[2]):
                continue
            if not dry_run:
                _remove(folder)
            report.add("doctor.work_removed", not dry_run, path=str(folder))
    with transaction(writer_sessions(settings.catalog_url)) as session:
        issuing = select(AccessRequest).where(AccessRequest.status == "issuing").with_for_update()
        for request in session.scalars(issuing):
            if request.issuing_pid is not None and process_alive(request.issuing_pid, request.issuing_host):
                if request.issuing_host != socket.gethostname():
                    report.add(
                        "doctor.access_issue_elsewhere", False, code=request.code, host=request.issuing_host
                    )
                continue
            if not dry_run:
                request.status, request.issuing_host, request.issuing_pid = "approved", None, None
            report.add("doctor.access_issue_interrupted", not dry_run, code=request.code)
        due = session.scalars(
            select(AccessOutput.id).where(
                AccessOutput.status == "available", AccessOutput.delete_after < utcnow()
            )
        ).all()
    if due:
        report.add("doctor.access_expire_due", False, count=len(due))
