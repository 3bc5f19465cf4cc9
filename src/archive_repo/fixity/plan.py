"""Which copies an audit checks: all of them, one AIP's, or what is due.

"Due" spreads the load over the audit period: every copy not verified within ``period_days`` (overdue),
plus the least recently verified others until this run has done its share of the archive's bytes
(``total bytes × days since the last audit ÷ period``). Run daily, that keeps every copy within the period
while each day reads about the same amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive_repo.catalog.models import AuditRun, File, Package, StorageCopy

SCOPES = ("all", "due", "aip")


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


def _copy_rows(session: Session, scope: AuditScope) -> list[CopyTask]:
    query = (
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
        .order_by(StorageCopy.verified_at.is_not(None), StorageCopy.verified_at, StorageCopy.id)
    )
    if scope.kind == "aip":
        query = query.where(Package.objid == scope.objid)
    if scope.locations:
        query = query.where(StorageCopy.location.in_(scope.locations))
    return [CopyTask(*row) for row in session.execute(query)]


def last_audit(session: Session) -> datetime | None:
    return session.scalar(
        select(func.max(AuditRun.started_at)).where(AuditRun.kind == "audit", AuditRun.status == "finished")
    )


def share_of_period(total_bytes: int, period_days: int, since_last: timedelta | None) -> int:
    """The bytes one run must read to keep pace: at least a day's share, at most everything."""
    days = 1.0 if since_last is None else max(1.0, since_last.total_seconds() / 86400)
    return min(total_bytes, int(total_bytes * days / period_days) + 1)


def is_overdue(task: CopyTask, now: datetime, period_days: int) -> bool:
    return task.verified_at is None or task.verified_at <= now - timedelta(days=period_days)


def select_copies(session: Session, scope: AuditScope, period_days: int, now: datetime) -> list[CopyTask]:
    """The copies to check, least recently verified first."""
    tasks = _copy_rows(session, scope)
    if scope.kind != "due":
        return tasks
    previous = last_audit(session)
    share = share_of_period(
        sum(task.size for task in tasks), period_days, None if previous is None else now - previous
    )
    chosen, taken = [], 0
    for task in tasks:
        if not is_overdue(task, now, period_days) and taken >= share:
            break
        chosen.append(task)
        taken += task.size
    return chosen
