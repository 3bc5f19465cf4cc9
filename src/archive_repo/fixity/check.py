"""Check one copy: stream it back from its store and compare size and SHA-256 with the catalog."""

from __future__ import annotations

import time
from dataclasses import dataclass

from archive_repo.fixity.plan import CopyTask
from archive_repo.i18n import translate
from archive_repo.storage.base import StorageError, Store

OK, CORRUPT, MISSING, UNREACHABLE = "ok", "corrupt", "missing", "unreachable"


@dataclass(frozen=True)
class CheckResult:
    task: CopyTask
    outcome: str  # ok | corrupt | missing | unreachable
    found_size: int | None = None
    found_sha256: str | None = None
    seconds: float = 0.0
    detail: str | None = None  # an i18n-free technical detail (the store's message, in English)

    @property
    def failed(self) -> bool:
        return self.outcome in (CORRUPT, MISSING)


def check_copy(store: Store | None, task: CopyTask) -> CheckResult:
    """What the store holds for ``task`` now; never raises for a storage problem."""
    if store is None:
        return CheckResult(task, UNREACHABLE, detail=f"location {task.location} is not configured")
    started = time.perf_counter()
    try:
        found = store.digest(task.key, task.version_id)
    except StorageError as exc:
        outcome = {"storage.missing": MISSING, "storage.unreachable": UNREACHABLE}.get(
            exc.message_key, CORRUPT
        )
        detail = translate(exc.message_key, "en", **exc.params)
        return CheckResult(task, outcome, seconds=time.perf_counter() - started, detail=detail)
    seconds = time.perf_counter() - started
    if found.size != task.size or found.sha256 != task.sha256:
        detail = f"expected {task.size} B sha256 {task.sha256}, found {found.size} B sha256 {found.sha256}"
        return CheckResult(task, CORRUPT, found.size, found.sha256, seconds, detail)
    return CheckResult(task, OK, found.size, found.sha256, seconds)
