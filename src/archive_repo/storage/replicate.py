"""Copy one object from a store whose copy just verified to another store (repair and sync).

The object is streamed into a temporary file in the repository's work folder while it is hashed, so a
source that changes under us is caught before anything is written; the target store then hashes what it
writes once more and refuses a mismatch (see ``Store.put_file``). Memory stays constant for any size.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from archive_repo.hashing import CHUNK
from archive_repo.storage.base import Store, StoredObject, check_stored


@contextlib.contextmanager
def _downloaded(
    source: Store, key: str, work_dir: Path, version_id: str | None
) -> Iterator[tuple[Path, StoredObject]]:
    """``key`` of ``source`` in a temporary file of ``work_dir`` (removed afterwards), hashed on the way:
    the file and what was read (size, SHA-256)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="copy-", dir=work_dir)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary, download(source, key, temporary, version_id)
    finally:
        temporary.unlink(missing_ok=True)


def download(source: Store, key: str, target: Path, version_id: str | None = None) -> StoredObject:
    """``key`` of ``source`` written to ``target`` and hashed on the way: what was read (size, SHA-256)."""
    hasher = hashlib.sha256()
    read = 0
    with open(target, "wb") as writer, source.open(key, version_id) as reader:
        while chunk := reader.read(CHUNK):
            hasher.update(chunk)
            writer.write(chunk)
            read += len(chunk)
    return StoredObject(key, read, hasher.hexdigest())


def replicate(
    source: Store,
    key: str,
    target: Store,
    *,
    size: int,
    sha256: str,
    work_dir: Path,
    source_version: str | None = None,
    retain_until: datetime | None = None,
    target_key: str | None = None,
) -> StoredObject:
    """Copy ``key`` from ``source`` to ``target_key`` (default: the same key) in ``target``; both ends are
    checked against size/sha256."""
    with _downloaded(source, key, work_dir, source_version) as (local, read):
        check_stored(source.name, read, size, sha256)
        locked = retain_until if target.supports_object_lock() else None
        stored = target.put_file(target_key or key, local, size=size, sha256=sha256, retain_until=locked)
    return check_stored(target.name, stored, size, sha256)


def copy_as_is(
    source: Store, key: str, target: Store, target_key: str, work_dir: Path, version_id: str | None = None
) -> None:
    """Copy ``key`` of ``source`` to ``target_key`` of ``target`` byte for byte, with no digest to check
    against (the repository's own logs, or a copy set aside); the target checks what it wrote."""
    with _downloaded(source, key, work_dir, version_id) as (local, read):
        target.put_file(target_key, local, size=read.size, sha256=read.sha256)


def set_aside(store: Store, key: str, aside_key: str, work_dir: Path, version_id: str | None = None) -> None:
    """Keep what ``store`` holds under ``key`` as ``aside_key`` in the same store, as it is: a copy about
    to be replaced is kept, in case it was the good one after all."""
    copy_as_is(store, key, store, aside_key, work_dir, version_id)
