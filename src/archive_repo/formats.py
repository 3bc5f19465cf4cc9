"""MIME types of the formats TT05 accepts, read from profiles/formats.toml."""

from __future__ import annotations

import tomllib
from functools import cache

from archive_repo.resources import profiles_dir

FALLBACK_MIMETYPE = "application/octet-stream"


@cache
def _by_extension() -> dict[str, str]:
    with open(profiles_dir() / "formats.toml", "rb") as handle:
        groups = tomllib.load(handle)
    return {ext.lower(): mime for group in groups.values() for ext, mime in group.items()}


def mimetype_for(file_name: str) -> str:
    lower = file_name.lower()
    table = _by_extension()
    if lower.endswith(".fetch.txt"):
        return table.get("fetch.txt", "text/plain")
    extension = lower.rsplit(".", 1)[-1] if "." in lower else ""
    return table.get(extension, FALLBACK_MIMETYPE)


def is_accepted(file_name: str) -> bool:
    lower = file_name.lower()
    return (
        lower.endswith(".fetch.txt") or (lower.rsplit(".", 1)[-1] if "." in lower else "") in _by_extension()
    )
