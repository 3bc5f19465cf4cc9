"""Which copies an audit checks: all of them, one AIP's, or what is due.

"Due" spreads the load over the audit period: every copy not verified within ``period_days`` (overdue),
plus the least recently verified others until this run has done its share of the archive's bytes
(``total bytes × days since the last audit ÷ period``). Run daily, that keeps every copy within the period
while each day reads about the same amount.

A plan holds only the chosen copies' ids (8 bytes each, in order); their details are read from the
catalog a few hundred at a time while the audit runs, so an archive of millions of files is planned in
bounded memory and no read transaction stays open for the length of an audit.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from archive_repo.catalog.models import AuditRun, File, Package, StorageCopy

SCOPES = ("all", "due", "aip")
_CHUNK = 500


@dataclass(frozen=True)
class CopyTask:
    """One copy to check, with what the catalog says it must be."""

    copy_id: int
    file_id: int
    package_id: int
    objid: str
    path: str
    role: str
    location: str
    key: str
    version_id: str | None
    size: int
    sha256: str
    verified_at: datetime | None
    retain_until: datetime | None


@dataclass(frozen=True)
class AuditScope:
    kind: str = "due"  # all | due | aip
    objid: str | None = None
    locations: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [self.kind if self.kind != "aip" else f"aip={self.objid}"]
        if self.locations:
            parts.append("locations=" + ",".join(self.locations))
        return " ".join(parts)


@dataclass
class Plan:
    copy_ids: array  # array("q"), in checking order
    total_bytes: int

    def __len__(self) -> int:
        return len(self.copy_ids)


def _task_columns() -> Select:
    return (
        select(
            StorageCopy.id,
            File.id,
            Package.id,
            Package.objid,
            File.path,
            File.role,
            StorageCopy.location,
            StorageCopy.key,
            StorageCopy.version_id,
            File.size,
            File.sha256,
            StorageCopy.verified_at,
            StorageCopy.retain_until,
        )
        .join(File, StorageCopy.file_id == File.id)
        .join(Package, File.package_id == Package.id)
    )


def _in_scope(query: Select, scope: AuditScope) -> Select:
    if scope.kind == "aip":
        query = query.where(Package.objid == scope.objid)
    if scope.locations:
        query = query.where(StorageCopy.location.in_(scope.locations))
    return query


_OLDEST_FIRST = (StorageCopy.verified_at.is_not(None), StorageCopy.verified_at, StorageCopy.id)


def last_audit(session: Session) -> datetime | None:
    """When the last whole-archive audit (all or due, every location) started."""
    return session.scalar(
        select(func.max(AuditRun.started_at)).where(
            AuditRun.kind == "audit", AuditRun.status == "finished", AuditRun.scope.in_(["all", "due"])
        )
    )


def share_of_period(total_bytes: int, period_days: int, since_last: timedelta | None) -> int:
    """The bytes one run must read to keep pace: at least a day's share, at most everything."""
    days = 1.0 if since_last is None else max(1.0, since_last.total_seconds() / 86400)
    return min(total_bytes, int(total_bytes * days / period_days) + 1)


def is_overdue(task: CopyTask, now: datetime, period_days: int) -> bool:
    return task.verified_at is None or task.verified_at <= now - timedelta(days=period_days)


def plan_copies(session: Session, scope: AuditScope, period_days: int, now: datetime) -> Plan:
    """The ids of the copies to check, least recently verified first, and their total size."""
    ids: array = array("q")
    total = 0
    if scope.kind != "due":
        query = _in_scope(_task_columns(), scope).with_only_columns(StorageCopy.id, File.size)
        for copy_id, size in session.execute(query.order_by(*_OLDEST_FIRST)):
            ids.append(copy_id)
            total += size
        return Plan(ids, total)
    everything = _in_scope(
        select(func.coalesce(func.sum(File.size), 0))
        .select_from(StorageCopy)
        .join(File, StorageCopy.file_id == File.id)
        .join(Package, File.package_id == Package.id),
        scope,
    )
    previous = last_audit(session)
    share = share_of_period(
        int(session.scalar(everything) or 0), period_days, None if previous is None else now - previous
    )
    running = func.sum(File.size).over(order_by=_OLDEST_FIRST)
    ranked = (
        _in_scope(_task_columns(), scope)
        .with_only_columns(
            StorageCopy.id.label("copy_id"),
            File.size.label("size"),
            StorageCopy.verified_at.label("verified_at"),
            running.label("running"),
        )
        .subquery()
    )
    cutoff = now - timedelta(days=period_days)
    chosen = (
        select(ranked.c.copy_id, ranked.c.size)
        .where(
            or_(
                ranked.c.verified_at.is_(None),
                ranked.c.verified_at <= cutoff,
                ranked.c.running - ranked.c.size < share,
            )
        )
        .order_by(ranked.c.running, ranked.c.copy_id)
    )
    for copy_id, size in session.execute(chosen):
        ids.append(copy_id)
        total += size
    return Plan(ids, total)


def tasks_of(factory: sessionmaker[Session], copy_ids: array) -> Iterator[CopyTask]:
    """The copies ``copy_ids`` in that order, read from the catalog a chunk at a time."""
    for start in range(0, len(copy_ids), _CHUNK):
        chunk = list(copy_ids[start : start + _CHUNK])
        with factory() as session:
            rows = {
                row[0]: CopyTask(*row)
                for row in session.execute(_task_columns().where(StorageCopy.id.in_(chunk)))
            }
        for copy_id in chunk:
            if copy_id in rows:  # a copy removed since the plan was made is simply not checked
                yield rows[copy_id]


def copies_of_file(session: Session, file_id: int) -> list[CopyTask]:
    return [CopyTask(*row) for row in session.execute(_task_columns().where(File.id == file_id))]
