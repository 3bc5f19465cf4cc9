"""Named points where the crash-safety tests kill the ingest with a real SIGKILL.

``ARCHIVE_REPO_CRASH_AT=<point>`` (test suites only) makes the process that reaches ``<point>`` kill
itself with SIGKILL, exactly as ``kill -9`` would: no cleanup handler, no ``finally`` runs.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "after-unpack",
    "after-validate",
    "after-convert",
    "mid-store",
    "after-store",
    "after-commit",
    "after-receipt",
)


def crash_point(name: str) -> None:
    if os.environ.get("ARCHIVE_REPO_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
