"""Hash many files once, in parallel, with every algorithm the checks will need.

hashlib releases the GIL on large buffers, so a small thread pool keeps both cores busy while the
disk streams. Each file is read exactly once, whatever the number of algorithms.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1024 * 1024
_BATCH = 256
_ALGORITHM_ALIASES = {
    "SHA-256": "sha256",
    "SHA256": "sha256",
    "SHA-1": "sha1",
    "SHA1": "sha1",
    "MD5": "md5",
    "SHA-512": "sha512",
    "SHA512": "sha512",
    "SHA-384": "sha384",
    "SHA384": "sha384",
}


def normalise_algorithm(name: str) -> str | None:
    """hashlib's name for a METS CHECKSUMTYPE or BagIt manifest algorithm, or None if unknown."""
    upper = name.strip().upper()
    if upper in _ALGORITHM_ALIASES:
        return _ALGORITHM_ALIASES[upper]
    lower = name.strip().lower()
    return lower if lower in hashlib.algorithms_guaranteed else None


def hash_file(path: Path, algorithms: Iterable[str] = ("sha256",)) -> tuple[int, dict[str, str]]:
    """Size and hex digests of one file, reading it once."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    size = 0
    buffer = _buffer()
    view = memoryview(buffer)
    with _open_regular(path) as handle:
        while read := handle.readinto(buffer):
            size += read
            for hasher in hashers.values():
                hasher.update(view[:read])
    return size, {name: h.hexdigest() for name, h in hashers.items()}


_local = threading.local()


def _buffer() -> bytearray:
    """One read buffer per thread, reused for every file (allocating 1 MiB per file costs time)."""
    buffer = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = _local.buffer = bytearray(CHUNK)
    return buffer


def _open_regular(path: Path):  # noqa: ANN202 - a binary file object
    """Open for reading without following a symlink or blocking on a FIFO; refuse anything but a file."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OSError(f"not a regular file: {path}")
    return os.fdopen(descriptor, "rb", buffering=0)


def default_workers() -> int:
    return max(2, min(8, os.cpu_count() or 2))


@dataclass
class DigestCache:
    """Digests of files under one root, computed in bulk and looked up by path."""

    algorithms: set[str] = field(default_factory=lambda: {"sha256"})
    _digests: dict[Path, dict[str, str]] = field(default_factory=dict)
    _errors: dict[Path, str] = field(default_factory=dict)

    def compute(self, paths: Iterable[Path], workers: int | None = None) -> None:
        todo = [p for p in paths if p not in self._digests]
        algorithms = tuple(sorted(self.algorithms))
        with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
            # In batches: pool.map would create a future per file up front, and memory would grow with them.
            for start in range(0, len(todo), _BATCH):
                batch = todo[start : start + _BATCH]
                for path, outcome in zip(
                    batch, pool.map(lambda p: _safe_hash(p, algorithms), batch), strict=True
                ):
                    if isinstance(outcome, str):
                        self._errors[path] = outcome
                    else:
                        self._digests[path] = outcome

    def digest(self, path: Path, algorithm: str = "sha256") -> str | None:
        """The hex digest, computing it (and caching) when it was not part of the bulk run."""
        known = self._digests.get(path)
        if known is not None and algorithm in known:
            return known[algorithm]
        if path in self._errors:
            return None
        outcome = _safe_hash(path, (algorithm,))
        if isinstance(outcome, str):
            self._errors[path] = outcome
            return None
        self._digests.setdefault(path, {}).update(outcome)
        return outcome[algorithm]

    def error(self, path: Path) -> str | None:
        return self._errors.get(path)


def _safe_hash(path: Path, algorithms: tuple[str, ...]) -> dict[str, str] | str:
    try:
        return hash_file(path, algorithms)[1]
    except OSError as exc:
        return str(exc)


def copy_with_digest(source: Path, destination: Path) -> tuple[int, str]:
    """Copy a file and return its size and SHA-256, reading the source once."""
    hasher = hashlib.sha256()
    size = 0
    with open(source, "rb") as reader, open(destination, "xb") as writer:
        while chunk := reader.read(CHUNK):
            hasher.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return size, hasher.hexdigest()


def write_with_digest(data: bytes, destination: Path) -> tuple[int, str]:
    with open(destination, "xb") as writer:
        writer.write(data)
    return len(data), hashlib.sha256(data).hexdigest()
