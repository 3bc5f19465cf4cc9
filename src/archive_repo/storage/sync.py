"""``archive-repo storage sync``: give every AIP file a good copy in every configured location.

A location added to the settings (``storage add-location``) starts empty; sync copies every file there
from a copy that verifies while it is read (see ``replicate``). A copy the audit marked missing or corrupt
is replaced the same way. Each copy made is a PREMIS ``replication`` event, recorded in the catalog and in
the stores' event logs; the run is an ``AuditRun`` of kind ``sync``. Files are planned a page at a time
and copies are recorded in batches, so a new location for millions of files needs bounded memory; a
location that stops answering is skipped for the rest of the run instead of timing out on every file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, select

from archive_repo.catalog.browse import aip_folder
from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import AuditRun, File, Package, StorageCopy, utcnow
from archive_repo.config import Settings
from archive_repo.fixity.event_logs import write_event_logs
from archive_repo.fixity.record import new_event, software_agent_row, start_run
from archive_repo.ingest.catalog_access import sessions, writer_sessions
from archive_repo.packages.premis import SUCCESS
from archive_repo.storage.base import StorageError, Store, StoredObject, aip_key
from archive_repo.storage.policy import retain_until
from archive_repo.storage.registry import open_stores
from archive_repo.storage.replicate import copy_as_is, replicate

Progress = Callable[[int], None]
_PAGE = 1000
_BATCH = 100
# Errors that say a whole location cannot be used now (see fixity/check.py).
EVENT_LOGS = "_events"
_LOCATION_DOWN = ("storage.unreachable", "storage.credentials", "storage.denied", "storage.no_bucket")


@dataclass(frozen=True)
class _Copy:
    location: str
    key: str
    version_id: str | None
    status: str
    retain_until: datetime | None


@dataclass(frozen=True)
class SyncTask:
    file_id: int
    package_id: int
    objid: str
    maintenance: str | None
    path: str
    size: int
    sha256: str
    target: str
    existing_copy_id: int | None  # a missing/corrupt copy row to replace, else None (a new copy)
    sources: tuple[_Copy, ...]


@dataclass
class SyncReport:
    run_id: int | None
    planned: int = 0
    planned_bytes: int = 0
    copied: int = 0
    copied_bytes: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    under_replicated: int = 0  # files with fewer good copies than [storage] copies, after the run
    seconds: float = 0.0
    status: str = "running"
    locations_down: dict[str, str] = field(default_factory=dict)
    logs_copied: int = 0  # earlier runs' event logs copied to a location that lacked them

    @property
    def exit_code(self) -> int:
        return 1 if self.failures or self.under_replicated or self.status != "finished" else 0


def _wanted(settings: Settings, targets: tuple[str, ...]) -> list[str]:
    return [loc.name for loc in settings.locations if not targets or loc.name in targets]


def sync_size(settings: Settings, targets: tuple[str, ...] = ()) -> tuple[int, int]:
    """How many copies a sync would make, and their bytes (computed in the catalog)."""
    count = total = 0
    with sessions(settings.catalog_url)() as session:
        for location in _wanted(settings, targets):
            good_here = exists().where(
                and_(
                    StorageCopy.file_id == File.id,
                    StorageCopy.location == location,
                    StorageCopy.status == "ok",
                )
            )
            n, size = session.execute(
                select(func.count(), func.coalesce(func.sum(File.size), 0)).where(~good_here)
            ).one()
            count, total = count + int(n), total + int(size)
    return count, total


def sync_tasks(settings: Settings, targets: tuple[str, ...] = ()) -> Iterator[SyncTask]:
    """Every (file, location) pair lacking a good copy, with the good copies it can come from."""
    wanted = _wanted(settings, targets)
    factory = sessions(settings.catalog_url)
    last = 0
    while True:
        with factory() as session:
            files = session.execute(
                select(
                    File.id,
                    File.package_id,
                    Package.objid,
                    Package.maintenance,
                    File.path,
                    File.size,
                    File.sha256,
                )
                .join(Package, File.package_id == Package.id)
                .where(File.id > last)
                .order_by(File.id)
                .limit(_PAGE)
            ).all()
            copies: dict[int, dict[str, tuple[int, _Copy]]] = {}
            if files:
                query = select(
                    StorageCopy.file_id,
                    StorageCopy.id,
                    StorageCopy.location,
                    StorageCopy.key,
                    StorageCopy.version_id,
                    StorageCopy.status,
                    StorageCopy.retain_until,
                ).where(StorageCopy.file_id.in_([row[0] for row in files]))
                for file_id, copy_id, location, key, version, status, until in session.execute(query):
                    copies.setdefault(file_id, {})[location] = (
                        copy_id,
                        _Copy(location, key, version, status, until),
                    )
        for file_id, package_id, objid, maintenance, path, size, sha256 in files:
            held = copies.get(file_id, {})
            good = tuple(c for _, c in held.values() if c.status == "ok")
            for location in wanted:
                present = held.get(location)
                if present is not None and present[1].status == "ok":
                    continue
                existing = present[0] if present else None
                yield SyncTask(
                    file_id, package_id, objid, maintenance, path, size, sha256, location, existing, good
                )
        if len(files) < _PAGE:
            return
        last = files[-1][0]


def run_sync(
    settings: Settings,
    targets: tuple[str, ...] = (),
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    planned, planned_bytes = sync_size(settings, targets)
    if dry_run:
        report = SyncReport(None, planned, planned_bytes, status="finished")
        report.under_replicated = under_replicated(settings)
        return report
    stores = {store.name: store for store in open_stores(settings)}
    with transaction(writer_sessions(settings.catalog_url)) as session:
        run = start_run(session, "sync", settings.operator, "sync " + ",".join(targets or ("all",)))
        report = SyncReport(run.id, planned, planned_bytes)
    started = time.perf_counter()
    workers = max(1, settings.fixity.workers)
    try:
        done_batch: list[tuple[SyncTask, StoredObject]] = []
        pending: dict[Future[StoredObject | str], SyncTask] = {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for task in sync_tasks(settings, targets):
                pending[pool.submit(_copy_one, settings, stores, task, report.locations_down)] = task
                if len(pending) >= 4 * workers:
                    _collect(settings, report, pending, done_batch, progress, FIRST_COMPLETED)
            _collect(settings, report, pending, done_batch, progress, ALL_COMPLETED)
        _record(settings, report, done_batch)
        _copy_event_logs(settings, stores, _wanted(settings, targets), report)
        write_event_logs(
            settings,
            stores,
            report.run_id,
            f"{utcnow():%Y%m%dT%H%M%SZ}-sync-{report.run_id}.xml",
            set(report.locations_down),
            workers,
        )
        report.status = "finished"
    except KeyboardInterrupt:
        report.status = "interrupted"
        raise
    finally:
        report.seconds = time.perf_counter() - started
        with transaction(writer_sessions(settings.catalog_url)) as session:
            run = session.get(AuditRun, report.run_id)
            run.status = report.status if report.status != "running" else "failed"
            run.finished_at, run.seconds = utcnow(), report.seconds
            run.checked_count, run.repaired_count = report.planned, report.copied
            run.failed_count, run.bytes_checked = len(report.failures), report.copied_bytes
    report.under_replicated = under_replicated(settings)
    return report


def _collect(
    settings: Settings,
    report: SyncReport,
    pending: dict[Future[StoredObject | str], SyncTask],
    done_batch: list[tuple[SyncTask, StoredObject]],
    progress: Progress | None,
    return_when: str,
) -> None:
    done, _ = wait(pending, return_when=return_when)
    for future in done:
        task = pending.pop(future)
        outcome = future.result()
        if isinstance(outcome, StoredObject):
            done_batch.append((task, outcome))
        else:
            report.failures.append(
                {"objid": task.objid, "path": task.path, "location": task.target, "detail": outcome}
            )
        if progress is not None:
            progress(task.size)
    if len(done_batch) >= _BATCH:
        _record(settings, report, done_batch)
        done_batch.clear()


def _copy_event_logs(
    settings: Settings, stores: dict[str, Store], wanted: list[str], report: SyncReport
) -> None:
    """Give every wanted location the event logs the others hold (a new location starts without the
    history of earlier audits)."""
    readable = [store for store in stores.values() if store.name not in report.locations_down]
    for name in wanted:
        target = stores.get(name)
        if target is None or name in report.locations_down:
            continue
        try:
            held = set(target.keys(EVENT_LOGS + "/"))
            for source in readable:
                if source is target:
                    continue
                for key in source.keys(EVENT_LOGS + "/"):
                    if key not in held:
                        copy_as_is(source, key, target, key, settings.work_dir / "sync")
                        held.add(key)
                        report.logs_copied += 1
        except StorageError as exc:
            failure = {"objid": "-", "path": EVENT_LOGS, "location": name, "detail": exc.message("en")}
            report.failures.append(failure)


def _copy_one(
    settings: Settings, stores: dict[str, Store], task: SyncTask, down: dict[str, str]
) -> StoredObject | str:
    target = stores.get(task.target)
    if target is None:
        return f"location {task.target} is not configured"
    if task.target in down:
        return down[task.target]
    key = aip_key(aip_folder(task.objid), task.path)
    policy = settings.storage_policy
    until = retain_until(
        task.maintenance,
        utcnow(),
        lock_years_permanent=policy.lock_years_permanent,
        lock_years_max=policy.lock_years_max,
    )
    problems = []
    for source in task.sources:
        store = stores.get(source.location)
        if store is None or source.location in down:
            continue
        try:
            return replicate(
                store,
                source.key,
                target,
                size=task.size,
                sha256=task.sha256,
                work_dir=settings.work_dir / "sync",
                source_version=source.version_id,
                retain_until=source.retain_until or until,
                target_key=key,
            )
        except StorageError as exc:
            message = exc.message("en")
            if exc.message_key in _LOCATION_DOWN:
                where = str(exc.params.get("location", ""))
                at_target = where == task.target or where.startswith(task.target + " ")
                failing = task.target if at_target else source.location
                down.setdefault(failing, message)
                if failing == task.target:
                    return message
            problems.append(f"{source.location}: {message}")
    return "; ".join(problems) or "no good copy to copy from"


def _record(settings: Settings, report: SyncReport, done: list[tuple[SyncTask, StoredObject]]) -> None:
    if not done:
        return
    now = utcnow()
    with transaction(writer_sessions(settings.catalog_url)) as session:
        agent = software_agent_row(session)
        for task, stored in done:
            copy = session.get(StorageCopy, task.existing_copy_id) if task.existing_copy_id else None
            if copy is None:
                copy = StorageCopy(file_id=task.file_id, location=task.target, key=stored.key)
                session.add(copy)
            copy.key, copy.status, copy.verified_at = stored.key, "ok", now
            copy.version_id, copy.retain_until = stored.version_id, stored.retain_until
            detail = f"copy created at {task.target} ({stored.key}) from a verified copy"
            session.add(
                new_event(
                    task.package_id,
                    task.file_id,
                    "replication",
                    SUCCESS,
                    detail,
                    agent,
                    now,
                    run_id=report.run_id,
                    location=task.target,
                )
            )
            report.copied += 1
            report.copied_bytes += task.size


def under_replicated(settings: Settings) -> int:
    """How many files have fewer good copies than the policy's ``copies``."""
    wanted = settings.storage_policy.copies
    good = (
        select(StorageCopy.file_id, func.count().label("n"))
        .where(StorageCopy.status == "ok")
        .group_by(StorageCopy.file_id)
        .subquery()
    )
    query = (
        select(func.count())
        .select_from(File)
        .outerjoin(good, good.c.file_id == File.id)
        .where(func.coalesce(good.c.n, 0) < wanted)
    )
    with sessions(settings.catalog_url)() as session:
        return int(session.scalar(query) or 0)
