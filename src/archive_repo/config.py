"""Settings of one repository: a TOML file in the repository folder, then ``ARCHIVE_REPO_*`` variables.

The repository folder (``--repository``, else ``$ARCHIVE_REPO_HOME``, else the current folder) holds
``archive-repo.toml``, written by ``archive-repo init``. Embedded defaults: the SQLite catalog
``catalog.sqlite`` and one local store ``store/`` inside the folder. Environment variables override the
file: ``ARCHIVE_REPO_DB`` (catalog URL), ``ARCHIVE_REPO_WORKERS``, ``ARCHIVE_REPO_OPERATOR``.
Relative paths in the file are relative to the repository folder.
"""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive_repo.authenticity.policy import AuthenticityPolicy, PolicyError, load_policy
from archive_repo.authenticity.virus import VirusScanConfig, VirusScanError
from archive_repo.errors import ArchiveRepoError

CONFIG_FILE = "archive-repo.toml"
DEFAULT_STORE = "store"
DEFAULT_TRUST_DIR = "trust"
DEFAULT_VIRUS_DATABASE = "clamav"
TRUST_SUBFOLDERS = ("anchors", "intermediates", "crls")
LOCATION_KINDS = ("local",)


class ConfigError(ArchiveRepoError):
    """The repository's settings are missing or wrong."""


@dataclass(frozen=True)
class StorageLocation:
    name: str
    kind: str  # "local" (S3 arrives with #5)
    path: Path


@dataclass(frozen=True)
class Settings:
    home: Path
    archive_code: str
    archive_name: str
    catalog_url: str
    locations: tuple[StorageLocation, ...]
    workers: int = 2
    operator: str = field(default_factory=lambda: _login_name())
    trust_dir: Path | None = None  # anchors/, intermediates/, crls/ (see authenticity/trust.py)
    policy: AuthenticityPolicy = field(default_factory=load_policy)
    virus_scan: VirusScanConfig = field(default_factory=lambda: VirusScanConfig(mode="off"))

    @property
    def work_dir(self) -> Path:
        """Quarantine and staging of running ingests; anything left here after a crash is garbage."""
        return self.home / "work"

    @property
    def rejected_dir(self) -> Path:
        return self.home / "rejected"

    @property
    def receipts_dir(self) -> Path:
        return self.home / "receipts"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def default_home() -> Path:
    return Path(os.environ.get("ARCHIVE_REPO_HOME") or ".")


def load_settings(home: Path | None = None) -> Settings:
    """The settings of the repository at ``home``; raises :class:`ConfigError` when it is not one."""
    home = (home or default_home()).resolve()
    path = home / CONFIG_FILE
    if not path.is_file():
        raise ConfigError("config.not_initialised", path=str(home))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("config.unreadable", path=str(path), detail=str(exc)) from None
    return _settings_from(home, data, path)


def _setting(section: str, key: str) -> str:
    """A setting's dotted name, for messages."""
    return f"{section}.{key}"


def _text(data: dict[str, Any], section: str, key: str, path: Path, default: str | None = None) -> str:
    value = data.get(section, {}).get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ConfigError("config.bad_value", path=str(path), key=_setting(section, key))
    return value


def _settings_from(home: Path, data: dict[str, Any], path: Path) -> Settings:
    from archive_repo.catalog.db import default_url

    archive_code = _text(data, "archive", "code", path)
    archive_name = _text(data, "archive", "name", path, "")
    catalog_url = os.environ.get("ARCHIVE_REPO_DB") or _text(data, "catalog", "url", path, "")
    locations = []
    raw_locations = data.get("storage", {}).get("locations", [])
    if not isinstance(raw_locations, list) or not raw_locations:
        raise ConfigError("config.bad_value", path=str(path), key=_setting("storage", "locations"))
    for index, raw in enumerate(raw_locations):
        key = "".join((_setting("storage", "locations"), "[", str(index), "]"))
        if not isinstance(raw, dict) or raw.get("type") not in LOCATION_KINDS:
            raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "type"))
        name, folder = raw.get("name"), raw.get("path")
        if not isinstance(name, str) or not name or not isinstance(folder, str) or not folder:
            raise ConfigError("config.bad_value", path=str(path), key=key)
        locations.append(StorageLocation(name, raw["type"], (home / folder).resolve()))
    if len({loc.name for loc in locations}) != len(locations):
        raise ConfigError(
            "config.bad_value", path=str(path), key=_setting("storage", "locations") + " (name)"
        )
    workers = os.environ.get("ARCHIVE_REPO_WORKERS") or data.get("ingest", {}).get("workers", 2)
    try:
        workers = max(1, int(workers))
    except (TypeError, ValueError):
        raise ConfigError("config.bad_value", path=str(path), key=_setting("ingest", "workers")) from None
    operator = os.environ.get("ARCHIVE_REPO_OPERATOR") or data.get("ingest", {}).get("operator") or None
    authenticity = dict(data.get("authenticity", {}))
    trust_dir = authenticity.pop("trust_dir", DEFAULT_TRUST_DIR)
    if not isinstance(trust_dir, str) or not trust_dir.strip():
        raise ConfigError("config.bad_value", path=str(path), key=_setting("authenticity", "trust_dir"))
    try:
        policy = load_policy(authenticity, where=f"{path} [authenticity]")
        default_scan = {"mode": "auto", "database": DEFAULT_VIRUS_DATABASE}
        virus_scan = VirusScanConfig.from_mapping(data.get("virus_scan", default_scan), home)
    except (PolicyError, VirusScanError) as exc:
        raise ConfigError(exc.message_key, **exc.params) from None
    return Settings(
        home=home,
        archive_code=archive_code,
        archive_name=archive_name,
        catalog_url=catalog_url or default_url(home),
        locations=tuple(locations),
        workers=workers,
        operator=operator or _login_name(),
        trust_dir=(home / trust_dir).resolve(),
        policy=policy,
        virus_scan=virus_scan,
    )


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)


def render_settings(
    archive_code: str,
    archive_name: str,
    catalog_url: str = "",
    locations: list[tuple[str, str]] | None = None,
    workers: int = 2,
    virus_scan: str = "auto",
    virus_database: str = DEFAULT_VIRUS_DATABASE,
    clamd_socket: str = "",
) -> str:
    """The text of a new ``archive-repo.toml``."""
    locations = locations or [("local-1", DEFAULT_STORE)]
    lines = [
        "# archive-repo settings (ARCHIVE_REPO_DB, ARCHIVE_REPO_WORKERS, ARCHIVE_REPO_OPERATOR override)",
        "",
        "[archive]",
        "# Archive agency code: prefix of every arcFileCode (arcFileCode = code + '.' + fileCode).",
        f"code = {_toml_string(archive_code)}",
        f"name = {_toml_string(archive_name)}",
        "",
        "[catalog]",
        '# Empty: the embedded SQLite file catalog.sqlite here. PostgreSQL: "postgresql://user@host/db".',
        f"url = {_toml_string(catalog_url)}",
        "",
        "[ingest]",
        f"workers = {int(workers)}",
        "",
        "[authenticity]",
        "# Trust anchors for digital signatures (National Root CA, Government CA, …), never fetched:",
        "# <trust_dir>/anchors/*.pem|.cer, intermediates/, crls/ (CRLs the archive drops in).",
        f"trust_dir = {_toml_string(DEFAULT_TRUST_DIR)}",
        "# Policy keys (require_signature, on_failed_signature, …) override",
        "# profiles/authenticity-policy.toml; see that file for what each does.",
        "",
        "[virus_scan]",
        '# "auto": clamd if clamd_socket answers, else clamscan with the database folder below;',
        '# "clamd" | "clamscan" | "off" (no scan: every ingest records the virus check as not performed).',
        "# The archive supplies the ClamAV signature database; nothing is downloaded.",
        f"mode = {_toml_string(virus_scan)}",
        f"database = {_toml_string(virus_database)}",
        f"clamd_socket = {_toml_string(clamd_socket)}"
        if clamd_socket
        else '# clamd_socket = "/run/clamav/clamd.ctl"',
        "",
        "# Every ingest writes one copy of every AIP file to every location below.",
    ]
    for name, folder in locations:
        lines += [
            "[[storage.locations]]",
            f"name = {_toml_string(name)}",
            'type = "local"',
            f"path = {_toml_string(folder)}",
            "",
        ]
    return "\n".join(lines)
