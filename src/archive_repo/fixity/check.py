"""Check one copy: stream it back from its store and compare size and SHA-256 with the catalog.

Only a digest or size that differs, or an object that is not there, is a failed copy. A store that
cannot be read (down, refusing our credentials, a missing bucket, a stream cut mid-read, a server error)
says nothing about the copy: it is *unreachable*, never repaired. A location whose answer means every
read will fail (down, credentials, denied, no bucket) is marked down for the rest of the run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from archive_repo.fixity.plan import CopyTask
from archive_repo.i18n import translate
from archive_repo.storage.base import StorageError, Store, StoredObject

OK, CORRUPT, MISSING, UNREACHABLE = "ok", "corrupt", "missing", "unreachable"

# What a StorageError means for the copy being checked, and whether the whole location is down.
_OUTCOME_OF_ERROR = {
    "storage.missing": (MISSING, False),
    "storage.unreachable": (UNREACHABLE, True),
    "storage.credentials": (UNREACHABLE, True),
    "storage.denied": (UNREACHABLE, True),
    "storage.no_bucket": (UNREACHABLE, True),
    "storage.s3_error": (UNREACHABLE, False),
    "storage.stream_broken": (UNREACHABLE, False),
}

MetsCheck = Callable[[bytes, CopyTask], list[tuple[int, str, str]]]
# A METS file up to this size is read into memory once, to be hashed and then compared with the catalog.
METS_IN_MEMORY = 64 * 1024 * 1024


@dataclass(frozen=True)
class CheckResult:
    task: CopyTask
    outcome: str  # ok | corrupt | missing | unreachable
    found_size: int | None = None
    found_sha256: str | None = None
    seconds: float = 0.0
    detail: str | None = None  # an i18n-free technical detail (the store's message, in English)
    location_down: bool = False
    # For an AIP METS file that verified: (file id, path, what differs) for every catalog row it contradicts.
    mets_mismatches: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.outcome in (CORRUPT, MISSING)


def check_copy(store: Store | None, task: CopyTask, mets_check: MetsCheck | None = None) -> CheckResult:
    """What the store holds for ``task`` now; never raises for a storage problem."""
    if store is None:
        detail = f"location {task.location} is not configured"
        return CheckResult(task, UNREACHABLE, detail=detail, location_down=True)
    started = time.perf_counter()
    keep = mets_check is not None and task.role == "mets" and task.size <= METS_IN_MEMORY
    data = b""
    try:
        if keep:
            data, found = _read_whole(store, task)
        else:
            found = store.digest(task.key, task.version_id)
    except StorageError as exc:
        outcome, down = _OUTCOME_OF_ERROR.get(exc.message_key, (CORRUPT, False))  # local read errors
        detail = translate(exc.message_key, "en", **exc.params)
        return CheckResult(
            task, outcome, seconds=time.perf_counter() - started, detail=detail, location_down=down
        )
    seconds = time.perf_counter() - started
    if found.size != task.size or found.sha256 != task.sha256:
        detail = f"expected {task.size} B sha256 {task.sha256}, found {found.size} B sha256 {found.sha256}"
        return CheckResult(task, CORRUPT, found.size, found.sha256, seconds, detail)
    mismatches = mets_check(data, task) if keep and mets_check is not None else []
    return CheckResult(task, OK, found.size, found.sha256, seconds, mets_mismatches=mismatches)


def _read_whole(store: Store, task: CopyTask) -> tuple[bytes, StoredObject]:
    """A small object's bytes (at most one byte more than the catalog says) and what they hash to."""
    with store.open(task.key, task.version_id) as stream:
        data = stream.read(task.size + 1)
    return data, StoredObject(task.key, len(data), hashlib.sha256(data).hexdigest())
