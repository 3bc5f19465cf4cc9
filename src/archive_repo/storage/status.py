"""What each storage location holds according to the catalog, and whether the copy policy is met."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from archive_repo.catalog.models import File, StorageCopy
from archive_repo.config import Settings
from archive_repo.ingest.catalog_access import sessions
from archive_repo.storage.base import StorageError
from archive_repo.storage.registry import open_stores
from archive_repo.storage.sync import under_replicated


def storage_status(settings: Settings) -> dict[str, Any]:
    with sessions(settings.catalog_url)() as session:
        rows = session.execute(
            select(
                StorageCopy.location, StorageCopy.status, func.count(), func.coalesce(func.sum(File.size), 0)
            )
            .join(File, StorageCopy.file_id == File.id)
            .group_by(StorageCopy.location, StorageCopy.status)
        ).all()
        files = int(session.scalar(select(func.count()).select_from(File)) or 0)
    counts: dict[str, dict[str, Any]] = {}
    for location, status, count, size in rows:
        entry = counts.setdefault(location, {"copies": 0, "bytes": 0, "statuses": {}})
        entry["copies"] += count
        entry["bytes"] += int(size)
        entry["statuses"][status] = count
    locations = []
    for store in open_stores(settings):
        entry = counts.pop(store.name, {"copies": 0, "bytes": 0, "statuses": {}})
        error = None
        try:
            locked = store.supports_object_lock()
        except StorageError as exc:
            locked, error = False, exc.message("en")
        locations.append(
            {
                "name": store.name,
                "kind": store.kind,
                "where": store.describe(),
                "object_lock": locked,
                "error": error,
            }
            | entry
        )
    return {
        "locations": locations,
        "unconfigured": {name: entry["copies"] for name, entry in counts.items()},
        "policy_copies": settings.storage_policy.copies,
        "files": files,
        "under_replicated": under_replicated(settings),
    }
