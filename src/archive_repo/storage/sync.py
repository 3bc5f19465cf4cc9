"""``archive-repo storage sync``: give every AIP file a good copy in every configured location.

A location added to the settings (``storage add-location``) starts empty; sync copies every file there
from a copy that verifies while it is read (see ``replicate``). A copy the audit marked missing or corrupt
is replaced the same way. Each copy made is a PREMIS ``replication`` event, recorded in the catalog and in
the stores' event logs; the run is an ``AuditRun`` of kind ``sync``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

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
from archive_repo.storage.replicate import replicate

Progress = Callable[[int], None]


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
    folder: str
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
    event_identifiers: dict[str, str | None] = field(default_factory=dict)  # event → its location

    @property
    def exit_code(self) -> int:
        return 1 if self.failures or self.under_replicated else 0


def plan_sync(settings: Settings, targets: tuple[str, ...] = ()) -> list[SyncTask]:
    """Every (file, location) pair lacking a good copy, with the good copies it can come from."""
    wanted = [loc.name for loc in settings.locations if not targets or loc.name in targets]
    rows = select(File.id, File.package_id, Package.objid, File.path, File.size, File.sha256).join(
        Package, File.package_id == Package.id
    )
    copies_query = select(
        StorageCopy.file_id,
        StorageCopy.id,
        StorageCopy.location,
        StorageCopy.key,
        StorageCopy.version_id,
        StorageCopy.status,
        StorageCopy.retain_until,
    )
    with sessions(settings.catalog_url)() as session:
        by_file: dict[int, dict[str, tuple[int, _Copy]]] = {}
        for file_id, copy_id, location, key, version, status, until in session.execute(copies_query):
            by_file.setdefault(file_id, {})[location] = (
                copy_id,
                _Copy(location, key, version, status, until),
            )
        tasks = []
        for file_id, package_id, objid, path, size, sha256 in session.execute(rows.order_by(File.id)):
            copies = by_file.get(file_id, {})
            good = tuple(c for _, c in copies.values() if c.status == "ok")
            for location in wanted:
                present = copies.get(location)
                if present is not None and present[1].status == "ok":
                    continue
                tasks.append(
                    SyncTask(
                        file_id,
                        package_id,
                        objid,
                        aip_folder(objid),
                        path,
                        size,
                        sha256,
                        location,
                        present[0] if present else None,
                        good,
                    )
                )
    return tasks


def run_sync(
    settings: Settings,
    targets: tuple[str, ...] = (),
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    stores = {store.name: store for store in open_stores(settings)}
    tasks = plan_sync(settings, targets)
    started = time.perf_counter()
    if dry_run:
        report = SyncReport(None, len(tasks), sum(t.size for t in tasks))
        report.under_replicated = under_replicated(settings)
        return report
    with transaction(writer_sessions(settings.catalog_url)) as session:
        run = start_run(session, "sync", settings.operator, "sync " + ",".join(targets or ("all",)))
        report = SyncReport(run.id, len(tasks), sum(t.size for t in tasks))
    try:
        with ThreadPoolExecutor(max_workers=settings.fixity.workers) as pool:
            for task, outcome in zip(
                tasks, pool.map(lambda t: _copy_one(settings, stores, t), tasks), strict=True
            ):
                if isinstance(outcome, StoredObject):
                    _record(settings, report, task, outcome)
                else:
                    report.failures.append(
                        {"objid": task.objid, "path": task.path, "location": task.target, "detail": outcome}
                    )
                if progress is not None:
                    progress(task.size)
        write_event_logs(
            settings,
            stores,
            report.event_identifiers,
            f"{utcnow():%Y%m%dT%H%M%SZ}-sync-{report.run_id}.xml",
            set(),
        )
    finally:
        report.seconds = time.perf_counter() - started
        report.under_replicated = under_replicated(settings)
        with transaction(writer_sessions(settings.catalog_url)) as session:
            run = session.get(AuditRun, report.run_id)
            run.status, run.finished_at, run.seconds = "finished", utcnow(), report.seconds
            run.checked_count, run.repaired_count = report.planned, report.copied
            run.failed_count, run.bytes_checked = len(report.failures), report.copied_bytes
    return report


def _copy_one(settings: Settings, stores: dict[str, Store], task: SyncTask) -> StoredObject | str:
    target = stores.get(task.target)
    if target is None:
        return f"location {task.target} is not configured"
    key = aip_key(task.folder, task.path)
    policy = settings.storage_policy
    problems = []
    for source in task.sources:
        store = stores.get(source.location)
        if store is None:
            continue
        until = source.retain_until or retain_until(
            None,
            utcnow(),
            lock_years_permanent=policy.lock_years_permanent,
            lock_years_max=policy.lock_years_max,
        )
        try:
            return replicate(
                store,
                source.key,
                target,
                size=task.size,
                sha256=task.sha256,
                work_dir=settings.work_dir / "sync",
                source_version=source.version_id,
                retain_until=until,
                target_key=key,
            )
        except StorageError as exc:
            problems.append(f"{source.location}: {exc.message_key} {exc.params}")
    return "; ".join(problems) or "no good copy to copy from"


def _record(settings: Settings, report: SyncReport, task: SyncTask, stored: StoredObject) -> None:
    now = utcnow()
    with transaction(writer_sessions(settings.catalog_url)) as session:
        copy = session.get(StorageCopy, task.existing_copy_id) if task.existing_copy_id else None
        if copy is None:
            copy = StorageCopy(file_id=task.file_id, location=task.target, key=stored.key)
            session.add(copy)
        copy.key, copy.status, copy.verified_at = stored.key, "ok", now
        copy.version_id, copy.retain_until = stored.version_id, stored.retain_until
        agent = software_agent_row(session)
        detail = f"copy created at {task.target} ({stored.key}) from a verified copy"
        event = new_event(task.package_id, task.file_id, "replication", SUCCESS, detail, agent, now)
        session.add(event)
    report.event_identifiers[event.identifier] = task.target
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
