"""An original, read from storage into a local file and checked against the catalog on the way: the
first configured location whose copy is marked ok and reads back with the recorded size and SHA-256."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from archive_repo.access.errors import AccessError
from archive_repo.catalog.models import File
from archive_repo.storage.base import StorageError, Store
from archive_repo.storage.replicate import download


@dataclass(frozen=True)
class StoredCopy:
    location: str
    key: str
    version_id: str | None


@dataclass(frozen=True)
class SourceFile:
    """What the catalog says of one original, read once so no transaction is held while it is fetched."""

    file_id: int
    path: str  # inside the AIP
    size: int
    sha256: str  # lowercase hex
    mimetype: str
    puid: str | None
    format_name: str | None
    copies: tuple[StoredCopy, ...]  # those marked ok

    @classmethod
    def of(cls, file: File) -> SourceFile:
        good = tuple(StoredCopy(c.location, c.key, c.version_id) for c in file.copies if c.status == "ok")
        return cls(
            file.id,
            file.path,
            file.size,
            file.sha256.lower(),
            file.mimetype,
            file.puid,
            file.format_name,
            good,
        )


def fetch_verified(source: SourceFile, stores: Sequence[Store], target: Path) -> str:
    """Write ``source`` to ``target``; returns the location it came from. A copy that is missing,
    unreadable or different is passed over; when none is good, AccessError names the file and why."""
    copies = {copy.location: copy for copy in source.copies}
    reasons: list[str] = []
    for store in stores:
        copy = copies.get(store.name)
        if copy is None:
            continue
        try:
            read = download(store, copy.key, target, copy.version_id)
        except (StorageError, OSError) as exc:
            reasons.append(f"{store.name}: {exc}")
            continue
        if read.size == source.size and read.sha256 == source.sha256:
            return store.name
        reasons.append(f"{store.name}: {read.size} bytes, SHA-256 {read.sha256}")
    target.unlink(missing_ok=True)
    raise AccessError("access.no_good_copy", path=source.path, reasons="; ".join(reasons) or "-")
