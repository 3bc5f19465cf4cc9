"""Open the stores a repository's settings name."""

from __future__ import annotations

from archive_repo.config import Settings, StorageLocation
from archive_repo.storage.base import Store
from archive_repo.storage.local import LocalStore


def open_store(location: StorageLocation) -> Store:
    """The store of one location: a :class:`LocalStore` or an :class:`S3Store` (its client is made on
    first use, so opening never touches the network)."""
    if location.kind == "s3":
        from archive_repo.storage.s3 import S3Store

        if location.s3 is None:
            raise ValueError(f"S3 location {location.name} without its S3 options")
        return S3Store(location.name, location.s3)
    if location.path is None:
        raise ValueError(f"local location {location.name} without a path")
    return LocalStore(location.name, location.path)


def open_stores(settings: Settings) -> list[Store]:
    return [open_store(location) for location in settings.locations]
