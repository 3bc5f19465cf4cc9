"""An audit run as a plain record (JSON), read back from the catalog or from a finished ``AuditReport``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive_repo.catalog.browse import vn_time
from archive_repo.catalog.models import AuditRun, File, FixityCheck, Incident, Package, StorageCopy
from archive_repo.errors import ArchiveRepoError


class AuditNotFound(ArchiveRepoError):
    """No audit run with that number (exit 2)."""


def run_record(session: Session, run_id: int | None = None) -> dict[str, Any]:
    """The audit run ``run_id`` (default: the latest) with its incidents and per-location totals."""
    query = select(AuditRun).where(AuditRun.kind == "audit")
    run = (
        session.scalars(query.where(AuditRun.id == run_id)).first()
        if run_id is not None
        else session.scalars(query.order_by(AuditRun.id.desc()).limit(1)).first()
    )
    if run is None:
        raise AuditNotFound("audit.not_found", run=run_id if run_id is not None else "-")
    by_location = session.execute(
        select(StorageCopy.location, FixityCheck.outcome, func.count(), func.sum(File.size))
        .join(StorageCopy, FixityCheck.copy_id == StorageCopy.id)
        .join(File, StorageCopy.file_id == File.id)
        .where(FixityCheck.run_id == run.id)
        .group_by(StorageCopy.location, FixityCheck.outcome)
    ).all()
    locations: dict[str, dict[str, int]] = {}
    for location, outcome, count, size in by_location:
        entry = locations.setdefault(
            location, {"ok": 0, "corrupt": 0, "missing": 0, "unreachable": 0, "bytes": 0}
        )
        entry[outcome] = count
        entry["bytes"] += int(size or 0)
    incidents = session.execute(
        select(Incident, File.path, Package.objid)
        .join(File, Incident.file_id == File.id)
        .join(Package, File.package_id == Package.id)
        .where(Incident.run_id == run.id)
        .order_by(Incident.id)
    ).all()
    return {
        "run": run.id,
        "scope": run.scope,
        "status": run.status,
        "operator": run.operator,
        "host": run.host,
        "started_at": vn_time(run.started_at),
        "finished_at": vn_time(run.finished_at),
        "seconds": round(run.seconds, 3),
        "checked": run.checked_count,
        "ok": run.ok_count,
        "failed": run.failed_count,
        "unreachable": run.unreachable_count,
        "repaired": run.repaired_count,
        "unrecoverable": run.unrecoverable_count,
        "bytes_checked": run.bytes_checked,
        "locations": locations,
        "incidents": [
            {
                "id": incident.id,
                "kind": incident.kind,
                "objid": objid,
                "path": path,
                "location": incident.location,
                "detected_at": vn_time(incident.detected_at),
                "outcome": incident.outcome,
                "recovered_at": vn_time(incident.recovered_at),
                "source_location": incident.source_location,
                "detail": incident.detail,
            }
            for incident, path, objid in incidents
        ],
    }
