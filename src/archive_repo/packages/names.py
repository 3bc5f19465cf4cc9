"""Checks on member names of a container: what may become a path on our disk."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_reason(name: str, max_length: int, max_depth: int) -> str | None:
    """Why ``name`` must not be written below a quarantine folder, or None when it is safe."""
    if not name or "\x00" in name:
        return "empty_or_nul"
    if any(ord(ch) < 32 for ch in name):
        return "control_character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "absolute"
    parts = re.split(r"[\\/]", name.rstrip("/\\"))
    if any(part == ".." for part in parts):
        return "traversal"
    if len(name) > max_length or len(parts) > max_depth:
        return "too_long"
    return None


def normalised_parts(name: str) -> PurePosixPath:
    """The name as a relative POSIX path, backslashes read as separators, '.' parts dropped."""
    parts = [p for p in re.split(r"[\\/]", name) if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def collision_key(path: str) -> str:
    """Two names with the same key would overwrite each other on some file systems."""
    return unicodedata.normalize("NFC", path).casefold()
