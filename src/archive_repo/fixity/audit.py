"""``archive-repo fixity audit``: re-verify copies in parallel, record every check, repair what failed.

Reading and hashing run on a thread pool (hashlib and the stores' I/O release the GIL, so N threads keep N
cores busy); the catalog is written by this thread only, in batches. A location that does not answer is
marked down after its first failure: its remaining copies are reported *unreachable* (not checked, not
repaired, never counted as verified). After the checks, every corrupted or missing copy is repaired from
a copy of the same file that verified in this run (or that is verified now), and an incident is recorded;
when no good copy exists the incident is *unrecoverable* and the run says so loudly.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import AuditRun, Incident, StorageCopy, utcnow
from archive_repo.config import Settings
from archive_repo.fixity.check import OK, UNREACHABLE, CheckResult, check_copy
from archive_repo.fixity.event_logs import write_event_logs
from archive_repo.fixity.mets_check import catalog_mismatches
from archive_repo.fixity.plan import AuditScope, CopyTask, select_copies
from archive_repo.fixity.record import (
    new_event,
    open_incident,
    record_check,
    software_agent_row,
    start_run,
)
from archive_repo.ingest.catalog_access import sessions, writer_sessions
from archive_repo.packages.premis import FAILURE, SUCCESS
from archive_repo.storage.base import StorageError, Store
from archive_repo.storage.registry import open_stores
from archive_repo.storage.replicate import replicate

EXIT_UNRECOVERABLE = 3
_BATCH = 200

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
    event_identifiers: dict[str, str | None] = field(default_factory=dict)  # event → its location
    log_problems: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.unrecoverable:
            return EXIT_UNRECOVERABLE
        open_incidents = any(i["outcome"] == "open" for i in self.incidents)
        return 1 if self.unreachable or open_incidents or self.status != "finished" else 0

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

    def pace(self) -> None:
        """Sleep while the bytes submitted so far are ahead of ``max_rate_mb``."""
        if self.rate > 0:
            ahead = self.submitted_bytes / self.rate - (time.monotonic() - self.started)
            if ahead > 0:
                time.sleep(ahead)

    def reached(self) -> str | None:
        if self.max_bytes is not None and self.submitted_bytes >= self.max_bytes:
            return "max-bytes"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "max-time"
        return None


def run_audit(
    settings: Settings,
    options: AuditOptions,
    progress: Progress | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> AuditReport:
    """Run one audit; ``on_plan`` hears the planned bytes, ``progress`` each copy checked."""
    stores = {store.name: store for store in open_stores(settings)}
    now = utcnow()
    with sessions(settings.catalog_url)() as session:
        tasks = select_copies(session, options.scope, settings.fixity.period_days, now)
    with transaction(writer_sessions(settings.catalog_url)) as session:
        run = start_run(session, "audit", settings.operator, options.scope.describe())
        report = AuditReport(run.id, run.scope, run.started_at)
    report.planned, report.planned_bytes = len(tasks), sum(t.size for t in tasks)
    if on_plan is not None:
        on_plan(report.planned_bytes)
    results: list[CheckResult] = []
    started = time.perf_counter()
    try:
        for batch in _batches(_check_all(stores, tasks, options, report, progress)):
            _record(settings, report, batch)
            results.extend(batch)
        failed = [r for r in results if r.failed]
        if failed:
            _repair_all(settings, stores, report, results, failed, options.repair)
        _check_catalog_against_mets(settings, stores, report, results)
        report.log_problems = write_event_logs(
            settings,
            stores,
            report.event_identifiers,
            f"{report.started_at:%Y%m%dT%H%M%SZ}-audit-{report.run_id}.xml",
            set(report.locations_down),
        )
        report.status = "finished" if report.stopped_by != "interrupted" else "interrupted"
    except KeyboardInterrupt:
        report.status, report.stopped_by = "interrupted", "interrupted"
        raise
    finally:
        report.seconds = time.perf_counter() - started
        _finish(settings, report)
    return report


def _check_all(
    stores: dict[str, Store],
    tasks: list[CopyTask],
    options: AuditOptions,
    report: AuditReport,
    progress: Progress | None,
) -> Iterator[CheckResult]:
    """Check ``tasks`` on ``options.workers`` threads, keeping a few in flight per worker."""
    limits = _Limits(options)
    pending: set[Future[CheckResult]] = set()
    queue = iter(tasks)
    with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
        try:
            while True:
                while len(pending) < 2 * options.workers and report.stopped_by is None:
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
                    pending.add(pool.submit(check_copy, stores.get(task.location), task))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    if result.outcome == UNREACHABLE:
                        report.locations_down.setdefault(result.task.location, result.detail or "")
                    if progress is not None:
                        progress(result.task.size, 1)
                    yield result
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            raise
    report.not_checked += sum(1 for _ in queue)


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
        for result in batch:
            event = record_check(session, run, result, agent)
            if event is not None:
                report.event_identifiers[event.identifier] = result.task.location
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
    results: list[CheckResult],
    failed: list[CheckResult],
    repair: bool,
) -> None:
    good: dict[int, list[CopyTask]] = defaultdict(list)
    checked = {result.task.copy_id for result in results}
    for result in results:
        if result.outcome == OK:
            good[result.task.file_id].append(result.task)
    for result in failed:
        with transaction(writer_sessions(settings.catalog_url)) as session:
            run = session.get(AuditRun, report.run_id)
            incident = open_incident(session, run, result)
            incident_id = incident.id
        sources = good[result.task.file_id] or _verify_other_copies(
            settings, stores, report, result.task, checked
        )
        good[result.task.file_id] = sources
        if not repair:
            _note_incident(report, result, incident_id, "open", None, "repair not requested (--no-repair)")
        elif not sources:
            _unrecoverable(settings, report, result, incident_id)
        else:
            _repair_one(settings, stores, report, result, sources, incident_id)


def _verify_other_copies(
    settings: Settings, stores: dict[str, Store], report: AuditReport, task: CopyTask, checked: set[int]
) -> list[CopyTask]:
    """Check now the file's other copies this run did not check; those that verify can be sources."""
    with sessions(settings.catalog_url)() as session:
        siblings = [
            t
            for t in select_copies(
                session, AuditScope("aip", task.objid), settings.fixity.period_days, utcnow()
            )
            if t.file_id == task.file_id and t.copy_id not in checked
        ]
    checked.update(t.copy_id for t in siblings)
    results = [
        check_copy(stores.get(t.location), t) for t in siblings if t.location not in report.locations_down
    ]
    _record(settings, report, results)
    return [r.task for r in results if r.outcome == OK]


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
            )
        except StorageError as exc:
            problem = f"{source.location} → {task.location}: {exc.message_key} {exc.params}"
            continue
        detail = f"copy at {task.location} ({task.key}) restored from {source.location}"
        with transaction(writer_sessions(settings.catalog_url)) as session:
            copy = session.get(StorageCopy, task.copy_id)
            copy.status, copy.verified_at = OK, utcnow()
            copy.version_id, copy.retain_until = stored.version_id, stored.retain_until
            incident = session.get(Incident, incident_id)
            incident.outcome, incident.recovered_at = "recovered", utcnow()
            incident.source_location = source.location
            agent = software_agent_row(session)
            event = new_event(task.package_id, task.file_id, "recovery", SUCCESS, detail, agent)
            session.add(event)
        report.event_identifiers[event.identifier] = task.location
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
        agent = software_agent_row(session)
        event = new_event(task.package_id, task.file_id, "recovery", FAILURE, detail, agent)
        session.add(event)
    report.event_identifiers[event.identifier] = task.location
    report.unrecoverable += 1
    _note_incident(report, result, incident_id, "unrecoverable", None, detail)


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


def _check_catalog_against_mets(
    settings: Settings, stores: dict[str, Store], report: AuditReport, results: list[CheckResult]
) -> None:
    """The AIP's own METS files (verified in this run) must agree with the catalog's size and SHA-256."""
    verified_mets = {}
    for result in results:
        if result.outcome == OK and result.task.role == "mets":
            verified_mets.setdefault((result.task.package_id, result.task.path), result.task)
    for task in verified_mets.values():
        with sessions(settings.catalog_url)() as session:
            mismatches = catalog_mismatches(session, stores[task.location], task)
        for file_id, path, detail in mismatches:
            with transaction(writer_sessions(settings.catalog_url)) as session:
                incident = Incident(
                    run_id=report.run_id,
                    file_id=file_id,
                    location=task.location,
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
                    "objid": task.objid,
                    "path": path,
                    "location": task.location,
                    "key": task.key,
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
