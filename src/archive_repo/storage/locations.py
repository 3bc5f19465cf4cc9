"""Add or remove a storage location in ``archive-repo.toml`` (``storage add-location|remove-location``).

A new location is opened and probed first (a small object written, read back, removed; the bucket made
when asked), then its ``[[storage.locations]]`` table is appended to the settings file; the file is
loaded again and restored byte for byte if it no longer loads. The file is edited as text so the staff's
comments stay where they are.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from archive_repo.catalog.models import StorageCopy
from archive_repo.config import (
    CONFIG_FILE,
    ConfigError,
    Settings,
    StorageLocation,
    load_settings,
    render_location,
)
from archive_repo.ingest.catalog_access import sessions
from archive_repo.storage.base import StorageError, Store
from archive_repo.storage.registry import open_store

_TABLE = re.compile(r"^\s*\[")
_NAME = re.compile(r"""^\s*name\s*=\s*(["'])(.*?)\1\s*(#.*)?$""")


def probe(store: Store) -> None:
    """Write, read back and remove a small object: the location works and we may write there."""
    data = f"archive-repo probe {uuid.uuid4()}\n".encode()
    key = "_probe/" + uuid.uuid4().hex
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        store.put_file(key, Path(handle.name), size=len(data), sha256=hashlib.sha256(data).hexdigest())
    try:
        found = store.digest(key)
        if found.sha256 != hashlib.sha256(data).hexdigest():
            raise StorageError("storage.probe_mismatch", location=store.name)
    finally:
        store.delete(key)


def add_location(
    settings: Settings, name: str, fields: dict[str, Any], *, create_bucket: bool = False
) -> StorageLocation:
    """Probe the location described by ``fields`` (``type`` local with ``path``, or s3 keys) and add it."""
    if any(location.name == name for location in settings.locations):
        raise ConfigError("storage.location_exists", name=name)
    config = settings.home / CONFIG_FILE
    before = config.read_bytes()
    block = render_location({"name": name, **fields})
    _write(config, before + ("\n" + block).encode("utf-8"))
    try:
        added = next(loc for loc in load_settings(settings.home).locations if loc.name == name)
        if added.path is not None:
            added.path.mkdir(parents=True, exist_ok=True)
        store = open_store(added)
        if create_bucket and added.s3 is not None:
            store.ensure_bucket(object_lock=added.s3.object_lock != "off")  # type: ignore[attr-defined]
        probe(store)
    except BaseException:
        _write(config, before)
        raise
    return added


def remove_location(settings: Settings, name: str) -> None:
    """Remove an empty location from the settings (refused while the catalog lists copies there)."""
    if not any(location.name == name for location in settings.locations):
        known = ", ".join(location.name for location in settings.locations)
        raise ConfigError("storage.unknown_location", name=name, known=known)
    with sessions(settings.catalog_url)() as session:
        held = session.scalar(select(func.count()).where(StorageCopy.location == name)) or 0
    if held:
        raise ConfigError("storage.location_not_empty", name=name, copies=held)
    if len(settings.locations) - 1 < max(1, settings.storage_policy.copies):
        raise ConfigError("storage.too_few_locations", name=name, copies=settings.storage_policy.copies)
    config = settings.home / CONFIG_FILE
    before = config.read_bytes()
    _write(config, _without_location(before.decode("utf-8"), name).encode("utf-8"))
    try:
        load_settings(settings.home)
    except BaseException:
        _write(config, before)
        raise


def _without_location(text: str, name: str) -> str:
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _TABLE.match(line)] + [len(lines)]
    for start, end in zip(starts, starts[1:], strict=False):
        if lines[start].strip() != "[[storage.locations]]":
            continue
        found = [_NAME.match(line) for line in lines[start:end]]
        if any(match and match.group(2) == name for match in found):
            while end - 1 > start and lines[end - 1].lstrip().startswith("#"):
                end -= 1  # comments just above the next table belong to it
            return "".join(lines[:start] + lines[end:])
    raise ConfigError("storage.location_not_editable", name=name)


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
