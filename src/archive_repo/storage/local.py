"""A store in a local folder (or a mounted disk): one file per key, written atomically.

``put_file`` copies into ``<root>/.incoming/<random>`` while hashing, flushes it to disk (fsync), compares,
then renames it to its key: a reader never sees a half-written object, and a crash leaves only files in
``.incoming/`` (removed by ``cleanup_temporary``, which ``archive-repo doctor`` calls).

A folder has no versions and no object lock: ``version_id`` is ignored, ``retain_until`` too (protect
such a folder with the file system's or the medium's own means).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from archive_repo.durable import fsync_dir
from archive_repo.hashing import CHUNK, hash_file
from archive_repo.storage.base import StorageError, StoredObject, check_key, check_stored

INCOMING = ".incoming"


class LocalStore:
    kind = "local"

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def supports_object_lock(self) -> bool:
        return False

    def presigned_url(self, key: str, expires_in: int, download_name: str | None = None) -> str | None:
        return None

    def path_of(self, key: str) -> Path:
        return self.root / check_key(key)

    def _ensure_root(self) -> None:
        # The root itself is made by init / add-location only: a missing root is an unmounted disk, and
        # writing there would fill the disk underneath.
        if not self.root.is_dir():
            detail = f"{self.root} is not there"
            raise StorageError("storage.unreachable", location=self.name, detail=detail)
        try:
            (self.root / INCOMING).mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=".", detail=str(exc)) from None

    def put_file(
        self,
        key: str,
        source: Path,
        *,
        size: int | None = None,
        sha256: str | None = None,
        retain_until: datetime | None = None,
    ) -> StoredObject:
        target = self.path_of(key)
        self._ensure_root()
        temporary = self.root / INCOMING / uuid.uuid4().hex
        hasher = hashlib.sha256()
        written = 0
        try:
            with open(source, "rb") as reader, open(temporary, "xb") as writer:
                while chunk := reader.read(CHUNK):
                    hasher.update(chunk)
                    writer.write(chunk)
                    written += len(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            stored = check_stored(self.name, StoredObject(key, written, hasher.hexdigest()), size, sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None
        finally:
            temporary.unlink(missing_ok=True)
        return stored

    def flush(self, prefix: str) -> None:
        """fsync the folders under ``prefix`` so the renames into them survive a power cut."""
        top = self.path_of(prefix.rstrip("/"))
        for folder, _dirs, _files in os.walk(top):
            fsync_dir(Path(folder))
        fsync_dir(self.root)

    def _not_found(self, key: str) -> StorageError:
        """A missing object, or (when the root itself is gone: an unmounted disk) a location that is down."""
        if not self.root.is_dir():
            return StorageError("storage.unreachable", location=self.name, detail=f"{self.root} is not there")
        return StorageError("storage.missing", location=self.name, key=key)

    def open(self, key: str, version_id: str | None = None) -> BinaryIO:
        try:
            return open(self.path_of(key), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise self._not_found(key) from None
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None

    def stat(self, key: str, version_id: str | None = None) -> int | None:
        try:
            return self.path_of(key).stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None

    def digest(self, key: str, version_id: str | None = None) -> StoredObject:
        try:
            size, digests = hash_file(self.path_of(key))
        except FileNotFoundError:
            raise self._not_found(key) from None
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None
        return StoredObject(key, size, digests["sha256"])

    def delete(self, key: str) -> None:
        path = self.path_of(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError("storage.io", location=self.name, key=key, detail=str(exc)) from None
        self._prune_empty(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under the folder ``prefix``; returns how many there were."""
        top = self.path_of(prefix.rstrip("/"))
        count = sum(1 for _ in self.keys(prefix.rstrip("/") + "/"))
        shutil.rmtree(top, ignore_errors=True)
        return count

    def _prune_empty(self, folder: Path) -> None:
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def keys(self, prefix: str = "") -> Iterator[str]:
        start = self.path_of(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if not start.is_dir():
            return
        for folder, dirs, files in os.walk(start):
            here = Path(folder)
            if here == self.root:
                dirs[:] = [d for d in dirs if d != INCOMING]
            dirs.sort()
            for name in sorted(files):
                yield (here / name).relative_to(self.root).as_posix()

    def prefixes(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for entry in sorted(self.root.iterdir()):
            # "_events" and other "_" folders are the repository's own logs, not AIPs.
            if entry.is_dir() and not entry.name.startswith(("_", ".")):
                yield entry.name

    def cleanup_temporary(self) -> list[str]:
        incoming = self.root / INCOMING
        removed = []
        if incoming.is_dir():
            for entry in sorted(incoming.iterdir()):
                entry.unlink(missing_ok=True)
                removed.append(f"{INCOMING}/{entry.name}")
        return removed
