"""The storage protocol: what every store (local folder, S3, …) offers the rest of the repository.

Keys are ``/``-separated relative paths, ``<AIP folder>/<path inside the AIP>``. A store computes the
SHA-256 of what it writes while it writes it, and ``put_file`` refuses (leaving nothing under the key)
when that digest or size differs from what the caller expected; callers compare again with what the
store reports, so an object is trusted only once two independent computations agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from archive_repo.errors import ArchiveRepoError


class StorageError(ArchiveRepoError):
    """A store could not do what was asked (I/O error, missing object, unsafe key)."""


class StoreIntegrityError(StorageError):
    """What the store wrote does not match the expected size or SHA-256; nothing was kept."""


class ObjectLockedError(StorageError):
    """The object is under retention (object lock, WORM) and the store refused to delete it."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    # The store's version of the object (S3 VersionId in a versioned or object-locked bucket), else None:
    # fixity audits read exactly the version that ingest wrote, not whatever was written on top later.
    version_id: str | None = None
    retain_until: datetime | None = None


def check_stored(
    location: str, stored: StoredObject, size: int | None = None, sha256: str | None = None
) -> StoredObject:
    """``stored`` if it has the expected size and SHA-256 (each checked only when given)."""
    if (size is not None and size != stored.size) or (sha256 is not None and sha256.lower() != stored.sha256):
        raise StoreIntegrityError(
            "storage.mismatch",
            location=location,
            key=stored.key,
            expected=f"{size} B, {sha256}",
            found=f"{stored.size} B, {stored.sha256}",
        )
    return stored


def check_key(key: str) -> str:
    """``key`` if it is a safe relative key (no ``..``, no absolute path, no empty part, no backslash)."""
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise StorageError("storage.bad_key", key=key)
    return key


def aip_key(aip_folder: str, relative: str) -> str:
    return check_key(str(PurePosixPath(aip_folder) / relative))


class Store(Protocol):
    name: str
    kind: str  # "local" | "s3"

    def put_file(
        self,
        key: str,
        source: Path,
        *,
        size: int | None = None,
        sha256: str | None = None,
        retain_until: datetime | None = None,
    ) -> StoredObject:
        """Copy ``source`` to ``key``, hashing while copying; refuse if it differs from size/sha256.

        ``retain_until``: where the store supports object lock, the object cannot be deleted or changed
        before then (ignored by stores without it; see ``supports_object_lock``)."""
        ...

    def supports_object_lock(self) -> bool:
        """True when ``put_file(..., retain_until=…)`` really locks the object (WORM)."""
        ...

    def open(self, key: str, version_id: str | None = None) -> BinaryIO:
        """A binary stream of the object, of its version ``version_id`` if given (the caller closes it)."""
        ...

    def stat(self, key: str, version_id: str | None = None) -> int | None:
        """The object's size, or None if there is no such object (version)."""
        ...

    def digest(self, key: str, version_id: str | None = None) -> StoredObject:
        """Read the object (version) back and return its size and SHA-256 (a fixity check); raises
        :class:`StorageError` with ``storage.missing`` when it is not there."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; no error if it is already gone; :class:`ObjectLockedError` if retained."""
        ...

    def presigned_url(self, key: str, expires_in: int, download_name: str | None = None) -> str | None:
        """A time-limited download link (seconds), or None where the store cannot make one (local)."""
        ...

    def describe(self) -> str:
        """Where the store is, for reports (a folder, or ``s3://bucket/prefix @ endpoint``; no secrets)."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under the folder ``prefix``; returns how many there were."""
        ...

    def flush(self, prefix: str) -> None:
        """Make what was written under ``prefix`` durable (no-op where ``put_file`` already is)."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under ``prefix`` (a folder-like prefix ending in ``/``, or empty for all)."""
        ...

    def prefixes(self) -> Iterator[str]:
        """The top-level folders (AIP folder names) held by the store."""
        ...

    def cleanup_temporary(self) -> list[str]:
        """Remove the store's own leftovers of interrupted writes; returns what was removed."""
        ...
