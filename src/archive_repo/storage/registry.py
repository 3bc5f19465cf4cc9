"""Open the stores a repository's settings name."""

from __future__ import annotations

from archive_repo.config import Settings, StorageLocation
from archive_repo.storage.local import LocalStore


def open_store(location: StorageLocation) -> LocalStore:
    return LocalStore(location.name, location.path)


def open_stores(settings: Settings) -> list[LocalStore]:
    return [open_store(location) for location in settings.locations]
