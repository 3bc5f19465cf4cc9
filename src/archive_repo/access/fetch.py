"""An original, read from storage into a local file and checked against the catalog on the way: the
first configured location whose copy is marked ok and reads back with the recorded size and SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from archive_repo.access.errors import AccessError
from archive_repo.catalog.models import File
from archive_repo.hashing import CHUNK
from archive_repo.storage.base import StorageError, Store


def fetch_verified(file: File, stores: Sequence[Store], target: Path) -> str:
    """Write ``file`` to ``target``; returns the location it came from. A copy that is missing, unreadable
    or different is passed over; when none is good, AccessError names the file and every reason."""
    copies = {copy.location: copy for copy in file.copies if copy.status == "ok"}
    reasons: list[str] = []
    for store in stores:
        copy = copies.get(store.name)
        if copy is None:
            continue
        try:
            size, digest = _download(store, copy.key, copy.version_id, target)
        except (StorageError, OSError) as exc:
            reasons.append(f"{store.name}: {exc}")
            continue
        if size == file.size and digest == file.sha256.lower():
            return store.name
        reasons.append(f"{store.name}: {size} bytes, SHA-256 {digest}")
    target.unlink(missing_ok=True)
    raise AccessError("access.no_good_copy", path=file.path, reasons="; ".join(reasons) or "-")


def _download(store: Store, key: str, version_id: str | None, target: Path) -> tuple[int, str]:
    hasher = hashlib.sha256()
    size = 0
    with store.open(key, version_id) as reader, open(target, "wb") as writer:
        while chunk := reader.read(CHUNK):
            hasher.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return size, hasher.hexdigest()
