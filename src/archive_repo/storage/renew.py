"""``archive-repo storage renew-locks``: extend the object lock of permanent records before it ends.

A permanent record (TT05 ``maintenance`` 01, or no code) is locked for ``lock_years_permanent`` years when
it is written; run this (e.g. monthly, from the same timer as the audits) to move every lock that ends
within ``within_days`` to now + ``lock_years_permanent`` years. Records with a fixed retention period keep
the lock they got at ingest, which ends with their period. S3 only ever allows a later date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import File, Package, StorageCopy, utcnow
from archive_repo.config import Settings
from archive_repo.ingest.catalog_access import sessions, writer_sessions
from archive_repo.storage.base import StorageError
from archive_repo.storage.policy import RETENTION_YEARS, add_years
from archive_repo.storage.registry import open_stores


@dataclass
class RenewReport:
    due: int = 0
    extended: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def renew_locks(settings: Settings, within_days: int, *, dry_run: bool = False) -> RenewReport:
    now = utcnow()
    until = add_years(now, settings.storage_policy.lock_years_permanent)
    query = (
        select(StorageCopy.id, StorageCopy.location, StorageCopy.key, StorageCopy.version_id)
        .join(File, StorageCopy.file_id == File.id)
        .join(Package, File.package_id == Package.id)
        .where(
            StorageCopy.retain_until.is_not(None),
            StorageCopy.retain_until < now + timedelta(days=within_days),
            (Package.maintenance.is_(None)) | (Package.maintenance.not_in(list(RETENTION_YEARS))),
        )
        .order_by(StorageCopy.retain_until)
    )
    with sessions(settings.catalog_url)() as session:
        rows = session.execute(query).all()
    report = RenewReport(due=len(rows))
    if dry_run:
        return report
    stores = {store.name: store for store in open_stores(settings)}
    for copy_id, location, key, version_id in rows:
        store = stores.get(location)
        extend = getattr(store, "extend_retention", None)
        if extend is None:
            report.failures.append({"location": location, "key": key, "detail": "no object lock there"})
            continue
        try:
            new_until = extend(key, version_id, until)
        except StorageError as exc:
            report.failures.append({"location": location, "key": key, "detail": exc.message("en")})
            continue
        if new_until is None:
            continue
        with transaction(writer_sessions(settings.catalog_url)) as session:
            session.get(StorageCopy, copy_id).retain_until = new_until
        report.extended += 1
    return report
