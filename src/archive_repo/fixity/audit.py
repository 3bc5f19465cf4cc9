"""``archive-repo fixity audit``: re-verify copies in parallel, record every check, repair what failed.

Reading and hashing run on a thread pool (hashlib and the stores' I/O release the GIL, so N threads keep N
cores busy); a METS file that verifies is also compared with the catalog on the same thread. The catalog
is written by this thread only, in batches, and nothing but the failures is kept in memory, so an audit of
millions of copies runs in bounded memory. A location that does not answer is marked down after its first
failure: its remaining copies are reported *unreachable* (not checked, not repaired, never counted as
verified). After the checks, every corrupted or missing copy is repaired from a copy of the same file that
verified in this run (or that is verified now; a sibling found bad then is handled the same way), the bad
bytes first set aside under ``_quarantine/<run>/`` in their store, and an incident is recorded; when no
good copy exists the incident is *unrecoverable* and the run says so loudly.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import AuditRun, FixityCheck, Incident, StorageCopy, utcnow
from archive_repo.config import Settings
from archive_repo.fixity.check import CORRUPT, OK, UNREACHABLE, CheckResult, MetsCheck, check_copy
from archive_repo.fixity.event_logs import write_event_logs
from archive_repo.fixity.mets_check import mets_checker
from archive_repo.fixity.plan import AuditScope, CopyTask, copies_of_file, plan_copies, tasks_of
from archive_repo.fixity.record import new_event, open_incident, record_check, software_agent_row, start_run
from archive_repo.ingest.catalog_access import sessions, writer_sessions
from archive_repo.packages.premis import FAILURE, SUCCESS
from archive_repo.storage.base import StorageError, Store
from archive_repo.storage.registry import open_stores
from archive_repo.storage.replicate import replicate, set_aside

EXIT_UNRECOVERABLE = 3
_BATCH = 200
# Copies queued per worker thread: enough that the pool keeps reading while this thread writes a batch to
# the catalog (tens of ms), few enough bytes that a run stopped by --max-time ends soon after.
_QUEUED_PER_WORKER = 16
_QUEUED_BYTES_PER_WORKER = 64 * 1024 * 1024
QUARANTINE = "_quarantine"

Progress = Callable[[int, int], None]  # (bytes just checked, copies just checked)


@dataclass(frozen=True)
class AuditOptions:
    scope: AuditScope = field(default_factory=AuditScope)
    workers: int = 2
    max_bytes: int | None = None
    max_seconds: float | None = None
    repair: bool = True
    max_rate_mb: float = 0  # MB/s over the whole run; 0 = as fast as the stores give


@dataclass
class AuditReport:
    run_id: int
    scope: str
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"
    planned: int = 0
    planned_bytes: int = 0
    checked: int = 0
    ok: int = 0
    failed: int = 0
    unreachable: int = 0
    repaired: int = 0
    unrecoverable: int = 0
    bytes_checked: int = 0
    seconds: float = 0.0
    not_checked: int = 0  # left for a later run by --max-bytes / --max-time
    stopped_by: str | None = None  # max-bytes | max-time | interrupted
    locations_down: dict[str, str] = field(default_factory=dict)
    incidents: list[dict[str, object]] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.unrecoverable:
            return EXIT_UNRECOVERABLE
        open_incidents = any(i["outcome"] == "open" for i in self.incidents)
        problems = self.unreachable or open_incidents or self.failed > self.repaired
        return 1 if problems or self.status != "finished" else 0

    @property
    def throughput(self) -> float:
        return self.bytes_checked / self.seconds if self.seconds else 0.0


class _Limits:
    def __init__(self, options: AuditOptions) -> None:
        self.max_bytes = options.max_bytes
        self.started = time.monotonic()
        self.deadline = None if options.max_seconds is None else self.started + options.max_seconds
        self.submitted_bytes = 0
        self.rate = options.max_rate_mb * 1e6

    def reached(self) -> str | None:
        if self.max_bytes is not None and self.submitted_bytes >= self.max_bytes:
            return "max-bytes"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "max-time"
        return None

    def pace(self) -> None:
        """Sleep while the bytes submitted so far are ahead of ``max_rate_mb``."""
        if self.rate > 0:
            ahead = self.submitted_bytes / self.rate - (time.monotonic() - self.started)
            if ahead > 0:
                time.sleep(ahead)


def run_audit(
    settings: Settings,
    options: AuditOptions,
    progress: Progress | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> AuditReport:
    """Run one audit; ``on_plan`` hears the planned bytes, ``progress`` each copy checked."""
    stores = {store.name: store for store in open_stores(settings)}
    factory = sessions(settings.catalog_url)
    with factory() as session:
        plan = plan_copies(session, options.scope, settings.fixity.period_days, utcnow())
    with transaction(writer_sessions(settings.catalog_url)) as session:
        run = start_run(session, "audit", settings.operator, options.scope.describe())
        report = AuditReport(run.id, run.scope, run.started_at)
    report.planned, report.planned_bytes = len(plan), plan.total_bytes
    if on_plan is not None:
        on_plan(report.planned_bytes)
    started = time.perf_counter()
    failed: list[CheckResult] = []
    try:
        checks = _check_all(
            stores,
            tasks_of(factory, plan.copy_ids),
            options,
            report,
            progress,
            mets_checker(settings.catalog_url),
        )
        seen_mismatches: set[tuple[int, str]] = set()
        for batch in _batches(checks):
            _record(settings, report, batch)
            failed.extend(result for result in batch if result.failed)
            _record_mismatches(settings, report, batch, seen_mismatches)
        if failed:
            _repair_all(settings, stores, report, failed, options.repair)
        report.log_problems = write_event_logs(
            settings,
            stores,
            report.run_id,
            f"{report.started_at:%Y%m%dT%H%M%SZ}-audit-{report.run_id}.xml",
            set(report.locations_down),
            options.workers,
        )
        report.status = "finished"
    except KeyboardInterrupt:
        report.status, report.stopped_by = "interrupted", "interrupted"
        raise
    finally:
        report.seconds = time.perf_counter() - started
        _finish(settings, report)
    return report


def _check_all(
    stores: dict[str, Store],
    tasks: Iterable[CopyTask],
    options: AuditOptions,
    report: AuditReport,
    progress: Progress | None,
    mets_check: MetsCheck,
) -> Iterator[CheckResult]:
    """Check ``tasks`` on ``options.workers`` threads, keeping enough queued (``_room``) that they go on
    reading while this thread records a batch in the catalog."""
    limits = _Limits(options)
    pending: set[Future[CheckResult]] = set()
    order: dict[Future[CheckResult], int] = {}
    sequence = itertools.count()
    queued_bytes = 0
    queue = iter(tasks)
    workers = max(1, options.workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            while True:
                while _room(len(pending), queued_bytes, workers) and report.stopped_by is None:
                    task = next(queue, None)
                    if task is None:
                        break
                    report.stopped_by = limits.reached()
                    if report.stopped_by is not None:
                        report.not_checked += 1
                        break
                    if task.location in report.locations_down:
                        yield CheckResult(task, UNREACHABLE, detail=report.locations_down[task.location])
                        continue
                    limits.pace()
                    limits.submitted_bytes += task.size
                    queued_bytes += task.size
                    store = stores.get(task.location)
                    future = pool.submit(_check, store, task, mets_check, report.locations_down)
                    order[future] = next(sequence)
                    pending.add(future)
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=order.pop):  # those done together, in the order of the plan
                    result = future.result()
                    queued_bytes -= result.task.size
                    if result.location_down:
                        report.locations_down.setdefault(result.task.location, result.detail or "")
                    if progress is not None:
                        progress(result.task.size, 1)
                    yield result
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            raise
    report.not_checked += sum(1 for _ in queue)


def _room(pending: int, queued_bytes: int, workers: int) -> bool:
    """Whether to queue one more copy: at least two per worker, then up to the queue's limits."""
    if pending < 2 * workers:
        return True
    return pending < _QUEUED_PER_WORKER * workers and queued_bytes < _QUEUED_BYTES_PER_WORKER * workers


def _check(store: Store | None, task: CopyTask, mets_check: MetsCheck, down: dict[str, str]) -> CheckResult:
    """``check_copy`` on a worker thread; a copy queued before its location was found down is not read
    (it would only wait for the same failure) but reported unreachable, as the later ones are."""
    if task.location in down:
        return CheckResult(task, UNREACHABLE, detail=down[task.location])
    result = check_copy(store, task, mets_check)
    if result.location_down:
        down.setdefault(task.location, result.detail or "")
    return result


def _batches(results: Iterator[CheckResult]) -> Iterator[list[CheckResult]]:
    batch: list[CheckResult] = []
    for result in results:
        batch.append(result)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _record(settings: Settings, report: AuditReport, batch: list[CheckResult]) -> None:
    with transaction(writer_sessions(settings.catalog_url)) as session:
        run = session.get(AuditRun, report.run_id)
        agent = software_agent_row(session)
        # The batch's copies in one query, held here (the identity map only keeps weak references):
        # record_check's session.get() then finds each in the map instead of a SELECT and an autoflush.
        ids = [result.task.copy_id for result in batch]
        _held = session.scalars(select(StorageCopy).where(StorageCopy.id.in_(ids))).all()
        for result in batch:
            record_check(session, run, result, agent)
            _count(report, result)


def _count(report: AuditReport, result: CheckResult) -> None:
    report.checked += 1
    if result.outcome == OK:
        report.ok += 1
        report.bytes_checked += result.found_size or 0
    elif result.outcome == UNREACHABLE:
        report.unreachable += 1
    else:
        report.failed += 1
        report.bytes_checked += result.found_size or 0


def _repair_all(
    settings: Settings,
    stores: dict[str, Store],
    report: AuditReport,
    failed: list[CheckResult],
    repair: bool,
) -> None:
    queue = deque(failed)
    handled = {result.task.copy_id for result in failed}
    while queue:
        result = queue.popleft()
        with transaction(writer_sessions(settings.catalog_url)) as session:
            incident_id = open_incident(session, session.get(AuditRun, report.run_id), result).id
        sources, bad_siblings = _sources(settings, stores, report, result.task)
        for sibling in bad_siblings:
            if sibling.task.copy_id not in handled:
                handled.add(sibling.task.copy_id)
                queue.append(sibling)
        if not repair:
            _note_incident(report, result, incident_id, "open", None, "repair not requested (--no-repair)")
        elif not sources:
            _unrecoverable(settings, report, result, incident_id)
        else:
            _repair_one(settings, stores, report, result, sources, incident_id)


def _sources(
    settings: Settings, stores: dict[str, Store], report: AuditReport, task: CopyTask
) -> tuple[list[CopyTask], list[CheckResult]]:
    """The file's other copies that verified in this run, or that verify now (checked and recorded);
    and those found bad now."""
    with sessions(settings.catalog_url)() as session:
        siblings = [t for t in copies_of_file(session, task.file_id) if t.copy_id != task.copy_id]
        outcomes = dict(
            session.execute(
                select(FixityCheck.copy_id, FixityCheck.outcome)
                .where(
                    FixityCheck.run_id == report.run_id,
                    FixityCheck.copy_id.in_([t.copy_id for t in siblings]),
                )
                .order_by(FixityCheck.id)
            ).all()
        )
    good = [t for t in siblings if outcomes.get(t.copy_id) == OK]
    unchecked = [t for t in siblings if t.copy_id not in outcomes and t.location not in report.locations_down]
    fresh = [check_copy(stores.get(t.location), t) for t in unchecked]
    if fresh:
        _record(settings, report, fresh)
    for result in fresh:
        if result.location_down:
            report.locations_down.setdefault(result.task.location, result.detail or "")
    return good + [r.task for r in fresh if r.outcome == OK], [r for r in fresh if r.failed]


def _repair_one(
    settings: Settings,
    stores: dict[str, Store],
    report: AuditReport,
    result: CheckResult,
    sources: list[CopyTask],
    incident_id: int,
) -> None:
    task = result.task
    target = stores.get(task.location)
    problem = "location not configured"
    if target is not None and result.outcome == CORRUPT and not target.supports_object_lock():
        aside = f"{QUARANTINE}/{report.run_id}/{task.key}"
        try:  # a locked store keeps the old version anyway; elsewhere keep the bytes we replace
            set_aside(target, task.key, aside, settings.work_dir / "repair", task.version_id)
        except StorageError as exc:
            problem = f"could not set the damaged copy aside first: {exc.message('en')}"
            target = None
    for source in sources:
        if target is None:
            break
        try:
            stored = replicate(
                stores[source.location],
                source.key,
                target,
                size=task.size,
                sha256=task.sha256,
                work_dir=settings.work_dir / "repair",
                source_version=source.version_id,
                retain_until=task.retain_until or source.retain_until,
                target_key=task.key,
            )
        except StorageError as exc:
            problem = f"{source.location} → {task.location}: {exc.message('en')}"
            continue
        detail = f"copy at {task.location} ({task.key}) restored from {source.location}"
        with transaction(writer_sessions(settings.catalog_url)) as session:
            copy = session.get(StorageCopy, task.copy_id)
            copy.status, copy.verified_at = OK, utcnow()
            copy.version_id, copy.retain_until = stored.version_id, stored.retain_until
            incident = session.get(Incident, incident_id)
            incident.outcome, incident.recovered_at = "recovered", utcnow()
            incident.source_location = source.location
            _add_recovery_event(session, report, task, SUCCESS, detail)
        report.repaired += 1
        _note_incident(report, result, incident_id, "recovered", source.location, detail)
        return
    with transaction(writer_sessions(settings.catalog_url)) as session:
        session.get(Incident, incident_id).detail = f"{result.detail}; repair failed: {problem}"
    _note_incident(report, result, incident_id, "open", None, f"repair failed: {problem}")


def _unrecoverable(settings: Settings, report: AuditReport, result: CheckResult, incident_id: int) -> None:
    task = result.task
    detail = f"no verified copy of {task.objid}/{task.path} is left to repair {task.location} from"
    with transaction(writer_sessions(settings.catalog_url)) as session:
        incident = session.get(Incident, incident_id)
        incident.outcome = "unrecoverable"
        _add_recovery_event(session, report, task, FAILURE, detail)
    report.unrecoverable += 1
    _note_incident(report, result, incident_id, "unrecoverable", None, detail)


def _add_recovery_event(
    session: Session, report: AuditReport, task: CopyTask, outcome: str, detail: str
) -> None:
    agent = software_agent_row(session)
    event_args = (task.package_id, task.file_id, "recovery", outcome, detail, agent)
    session.add(new_event(*event_args, run_id=report.run_id, location=task.location))


def _note_incident(
    report: AuditReport,
    result: CheckResult,
    incident_id: int,
    outcome: str,
    source: str | None,
    recovery: str,
) -> None:
    task = result.task
    report.incidents.append(
        {
            "id": incident_id,
            "kind": result.outcome,
            "objid": task.objid,
            "path": task.path,
            "location": task.location,
            "key": task.key,
            "found": result.detail,
            "outcome": outcome,
            "source_location": source,
            "recovery": recovery,
        }
    )


def _record_mismatches(
    settings: Settings, report: AuditReport, batch: list[CheckResult], seen: set[tuple[int, str]]
) -> None:
    """The AIP's own METS files (verified in this run) must agree with the catalog's size and SHA-256."""
    for result in batch:
        for file_id, path, detail in result.mets_mismatches:
            if (result.task.package_id, path) in seen:
                continue
            seen.add((result.task.package_id, path))
            with transaction(writer_sessions(settings.catalog_url)) as session:
                incident = Incident(
                    run_id=report.run_id,
                    file_id=file_id,
                    location=result.task.location,
                    kind="catalog_mismatch",
                    outcome="open",
                    detail=detail,
                )
                session.add(incident)
                session.flush()
                incident_id = incident.id
            report.incidents.append(
                {
                    "id": incident_id,
                    "kind": "catalog_mismatch",
                    "objid": result.task.objid,
                    "path": path,
                    "location": result.task.location,
                    "key": result.task.key,
                    "found": detail,
                    "outcome": "open",
                    "source_location": None,
                    "recovery": "the catalog disagrees with the AIP's METS: check the catalog (not repaired)",
                }
            )


def _finish(settings: Settings, report: AuditReport) -> None:
    report.finished_at = utcnow()
    with transaction(writer_sessions(settings.catalog_url)) as session:
        run = session.get(AuditRun, report.run_id)
        run.finished_at = report.finished_at
        run.status = report.status if report.status != "running" else "failed"
        report.status = run.status
        run.checked_count, run.ok_count, run.failed_count = report.checked, report.ok, report.failed
        run.unreachable_count, run.repaired_count = report.unreachable, report.repaired
        run.unrecoverable_count, run.bytes_checked = report.unrecoverable, report.bytes_checked
        run.seconds = report.seconds
