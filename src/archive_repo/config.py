"""Settings of one repository: a TOML file in the repository folder, then ``ARCHIVE_REPO_*`` variables.

The repository folder (``--repository``, else ``$ARCHIVE_REPO_HOME``, else the current folder) holds
``archive-repo.toml``, written by ``archive-repo init``. Embedded defaults: the SQLite catalog
``catalog.sqlite`` and one local store ``store/`` inside the folder. Environment variables override the
file: ``ARCHIVE_REPO_DB`` (catalog URL), ``ARCHIVE_REPO_WORKERS``, ``ARCHIVE_REPO_OPERATOR``.
Relative paths in the file are relative to the repository folder.

Storage locations are local folders (``type = "local"``) or S3 buckets (``type = "s3"``, any S3 server:
SeaweedFS, Ceph RGW, MinIO, a cloud). S3 credentials come from the environment variables the location
names (``access_key_env`` / ``secret_key_env``, read when the settings are loaded), else from keys
written in the file, else from boto3's own chain (``AWS_ACCESS_KEY_ID``, ``~/.aws``, instance roles).
``[storage]`` holds the copy count and object-lock retention, ``[fixity]`` the audit schedule.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive_repo.authenticity.policy import AuthenticityPolicy, PolicyError, load_policy
from archive_repo.authenticity.virus import VirusScanConfig, VirusScanError
from archive_repo.errors import ArchiveRepoError

CONFIG_FILE = "archive-repo.toml"
DEFAULT_STORE = "store"
DEFAULT_TRUST_DIR = "trust"
DEFAULT_VIRUS_DATABASE = "clamav"
TRUST_SUBFOLDERS = ("anchors", "intermediates", "crls")
LOCATION_KINDS = ("local", "s3")
OBJECT_LOCK_MODES = ("compliance", "governance", "off")
ADDRESSING_STYLES = ("path", "virtual", "auto")
S3_MIN_PART_MB = 5  # the S3 minimum part size (every part but the last)
S3_MAX_PART_MB = 1024  # a part is held in memory while it is sent (S3 itself allows 5 GiB)
MAX_FIXITY_PERIOD_DAYS = 1095  # TT05: every copy checked at least once every three years
DEFAULT_FIXITY_PERIOD_DAYS = 365
DEFAULT_LOCK_YEARS_PERMANENT = 10
DEFAULT_LOCK_YEARS_MAX = 70
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(ArchiveRepoError):
    """The repository's settings are missing or wrong."""


@dataclass(frozen=True)
class S3Location:
    """Where and how to reach one S3 bucket (``[[storage.locations]]`` with ``type = "s3"``).

    Credentials are ``None`` when neither the file nor named variables give them: boto3's default chain
    (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, ``~/.aws``, instance roles) applies then. They are
    left out of ``repr`` so they never reach a log or a report."""

    bucket: str
    endpoint: str = ""  # empty: the AWS default endpoint of the region
    prefix: str = ""  # keys are stored under "<prefix>/" when set
    region: str = "us-east-1"
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    addressing_style: str = "path"  # path | virtual | auto
    verify_tls: bool | str = True  # or the path of a CA bundle
    object_lock: str = "compliance"  # compliance | governance | off
    part_size_mb: int = 16  # multipart part size, and the largest file sent in one PUT
    max_attempts: int = 5
    connect_timeout: float = 10
    read_timeout: float = 60
    access_key_env: str = ""  # the variable names the keys came from, for messages
    secret_key_env: str = ""


@dataclass(frozen=True)
class StorageLocation:
    name: str
    kind: str  # "local" | "s3"
    path: Path | None  # the folder of a local location; None for S3
    s3: S3Location | None = None


@dataclass(frozen=True)
class StoragePolicy:
    """``[storage]``: how many copies every AIP file must have, and object-lock retention."""

    copies: int = 1
    lock_years_permanent: int = DEFAULT_LOCK_YEARS_PERMANENT  # "Vĩnh viễn": retain now + N years
    lock_years_max: int = DEFAULT_LOCK_YEARS_MAX  # cap for records with a fixed retention period


@dataclass(frozen=True)
class FixityConfig:
    """``[fixity]``: every copy is read back and checked at least once per ``period_days``."""

    period_days: int = DEFAULT_FIXITY_PERIOD_DAYS
    workers: int = 2
    max_rate_mb: float = 0  # MB/s read from the stores by audits; 0 = unlimited


MAX_READING_DAYS = 15  # TT05 art. 37: a reading period is at most 15 days
DEFAULT_DOWNLOAD_DAYS = 15  # TT05 art. 40: a copy is downloadable for 15 days
DEFAULT_ACCESS_DIR = "access"
DEFAULT_SIGNING_PASSPHRASE_ENV = "ARCHIVE_REPO_SIGNING_PASSPHRASE"
SYSTEM_ACTOR = "archive-repo"  # who records the decisions the access rules make on their own


@dataclass(frozen=True)
class AccessConfig:
    """Researchers' access (TT05 ch. VI): where issued outputs are kept, who may approve, how the
    archive signs certified copies, and the calendar of the review deadline."""

    output_dir: Path | None = None  # None: <home>/access
    approvers: tuple[str, ...] = ()
    auto_approve_public: bool = True
    reading_days: int = MAX_READING_DAYS
    download_days: int = DEFAULT_DOWNLOAD_DAYS
    signing_pkcs12: Path | None = None
    signing_passphrase_env: str = DEFAULT_SIGNING_PASSPHRASE_ENV
    timestamp_url: str | None = None
    holidays: tuple[date, ...] = ()
    downloads: S3Location | None = None  # a bucket for time-limited download links (no object lock)


DEFAULT_PORTAL_SECRET_ENV = "ARCHIVE_REPO_PORTAL_SECRET"


@dataclass(frozen=True)
class PortalConfig:
    """``[portal]``: the researcher portal served by ``archive-repo serve``."""

    host: str = "127.0.0.1"
    port: int = 8080
    secret_key_env: str = DEFAULT_PORTAL_SECRET_ENV  # else a key generated into <repository>/portal-secret
    secure_cookies: bool = True  # cookies only over HTTPS (behind the archive's TLS proxy)
    page_dpi: int = 100  # resolution of the page images of reading copies
    login_per_minute: int = 10  # per client address
    search_per_minute: int = 60
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For is believed


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
    storage_policy: StoragePolicy = field(default_factory=StoragePolicy)
    fixity: FixityConfig = field(default_factory=FixityConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)

    @property
    def work_dir(self) -> Path:
        """Quarantine and staging of running ingests; anything left here after a crash is garbage."""
        return self.home / "work"

    @property
    def access_dir(self) -> Path:
        """Where issued copies and DIPs wait for the researcher until their period ends."""
        return self.access.output_dir or self.home / DEFAULT_ACCESS_DIR

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
    storage = data.get("storage", {})
    if not isinstance(storage, dict):
        raise ConfigError("config.bad_value", path=str(path), key="storage")
    locations = _locations(home, storage.get("locations", []), path)
    storage_policy = _storage_policy(storage, len(locations), path)
    fixity = _fixity(data.get("fixity", {}), path)
    access = _access(home, data.get("access", {}), path)
    portal = _portal(data.get("portal", {}), path)
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
        storage_policy=storage_policy,
        fixity=fixity,
        access=access,
        portal=portal,
    )


_STORAGE_KEYS = ("locations", "copies", "lock_years_permanent", "lock_years_max")
_FIXITY_KEYS = ("period_days", "workers", "max_rate_mb")
_S3_KEYS = (
    "name",
    "type",
    "endpoint",
    "bucket",
    "prefix",
    "region",
    "access_key_env",
    "secret_key_env",
    "access_key",
    "secret_key",
    "object_lock",
    "addressing_style",
    "verify_tls",
    "part_size_mb",
    "max_attempts",
    "connect_timeout",
    "read_timeout",
)


def _check_known(table: dict[str, Any], known: tuple[str, ...], section: str, path: Path) -> None:
    for name in table:
        if name not in known:
            raise ConfigError(
                "config.unknown_setting", path=str(path), key=_setting(section, name), known=", ".join(known)
            )


def _integer(
    table: dict[str, Any], section: str, name: str, path: Path, default: int, low: int, high: int
) -> int:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError("config.bad_value", path=str(path), key=_setting(section, name))
    return _in_range(value, section, name, path, low, high)


def _number(
    table: dict[str, Any], section: str, name: str, path: Path, default: float, low: float, high: float
) -> float:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError("config.bad_value", path=str(path), key=_setting(section, name))
    return _in_range(value, section, name, path, low, high)


def _in_range(value: Any, section: str, name: str, path: Path, low: float, high: float) -> Any:
    if not low <= value <= high:
        key = _setting(section, name)
        raise ConfigError("config.out_of_range", path=str(path), key=key, value=value, low=low, high=high)
    return value


def _choice(table: dict[str, Any], section: str, name: str, path: Path, default: str, allowed: tuple) -> str:
    value = table.get(name, default)
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise ConfigError(
            "config.bad_choice",
            path=str(path),
            key=_setting(section, name),
            value=value,
            allowed=", ".join(allowed),
        )
    return value.strip().lower()


def _string(table: dict[str, Any], section: str, name: str, path: Path, default: str | None = None) -> str:
    """A text setting; required (non-empty) when there is no default."""
    value = table.get(name, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ConfigError("config.bad_value", path=str(path), key=_setting(section, name))
    return value.strip()


def _locations(home: Path, raw_locations: Any, path: Path) -> list[StorageLocation]:
    if not isinstance(raw_locations, list) or not raw_locations:
        raise ConfigError("config.bad_value", path=str(path), key=_setting("storage", "locations"))
    locations: list[StorageLocation] = []
    for index, raw in enumerate(raw_locations):
        key = "".join((_setting("storage", "locations"), "[", str(index), "]"))
        if not isinstance(raw, dict) or raw.get("type") not in LOCATION_KINDS:
            raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "type"))
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "name"))
        if raw["type"] == "s3":
            location = StorageLocation(name, "s3", None, _s3_location(home, raw, key, path))
        else:
            folder = raw.get("path")
            if not isinstance(folder, str) or not folder:
                raise ConfigError("config.bad_value", path=str(path), key=key)
            location = StorageLocation(name, raw["type"], (home / folder).resolve())
        for number, other in enumerate(locations):
            if _same_place(location, other):
                raise ConfigError(
                    "config.same_place",
                    path=str(path),
                    key=key,
                    other="".join((_setting("storage", "locations"), "[", str(number), "]")),
                )
        locations.append(location)
    if len({loc.name for loc in locations}) != len(locations):
        raise ConfigError(
            "config.bad_value", path=str(path), key=_setting("storage", "locations") + " (name)"
        )
    return locations


def _same_place(one: StorageLocation, other: StorageLocation) -> bool:
    """Whether two locations overlap (one holds the other's objects): they would not be two copies."""
    if one.kind != other.kind:
        return False
    if one.path is not None and other.path is not None:
        return one.path.is_relative_to(other.path) or other.path.is_relative_to(one.path)
    a, b = one.s3, other.s3
    if a is None or b is None or (a.endpoint.rstrip("/"), a.bucket) != (b.endpoint.rstrip("/"), b.bucket):
        return False
    first, second = f"{a.prefix}/" if a.prefix else "", f"{b.prefix}/" if b.prefix else ""
    return first.startswith(second) or second.startswith(first)


def _s3_location(home: Path, raw: dict[str, Any], key: str, path: Path) -> S3Location:
    _check_known(raw, _S3_KEYS, key, path)
    bucket = _string(raw, key, "bucket", path)
    if not _BUCKET_NAME.match(bucket) or ".." in bucket:
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "bucket"))
    endpoint = _string(raw, key, "endpoint", path, "")
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "endpoint"))
    prefix = _string(raw, key, "prefix", path, "").strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")) or "\\" in prefix:
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "prefix"))
    region = _string(raw, key, "region", path, "us-east-1")
    if not region:
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "region"))
    verify = raw.get("verify_tls", True)
    if isinstance(verify, str) and verify.strip():
        bundle = (home / verify.strip()).resolve()
        if not bundle.is_file():
            raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "verify_tls"))
        verify = str(bundle)
    elif not isinstance(verify, bool):
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "verify_tls"))
    access_key, access_env = _credential(raw, key, "access_key", path)
    secret_key, secret_env = _credential(raw, key, "secret_key", path)
    if (access_key is None) != (secret_key is None):
        missing = "secret_key" if secret_key is None else "access_key"
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, missing))
    return S3Location(
        bucket=bucket,
        endpoint=endpoint,
        prefix=prefix,
        region=region,
        access_key=access_key,
        secret_key=secret_key,
        addressing_style=_choice(raw, key, "addressing_style", path, "path", ADDRESSING_STYLES),
        verify_tls=verify,
        object_lock=_choice(raw, key, "object_lock", path, "compliance", OBJECT_LOCK_MODES),
        part_size_mb=_integer(raw, key, "part_size_mb", path, 16, S3_MIN_PART_MB, S3_MAX_PART_MB),
        max_attempts=_integer(raw, key, "max_attempts", path, 5, 1, 20),
        connect_timeout=_number(raw, key, "connect_timeout", path, 10, 0.1, 600),
        read_timeout=_number(raw, key, "read_timeout", path, 60, 0.1, 3600),
        access_key_env=access_env,
        secret_key_env=secret_env,
    )


def _credential(raw: dict[str, Any], key: str, name: str, path: Path) -> tuple[str | None, str]:
    """(the credential, the variable it came from) from ``<name>_env`` or ``<name>``, else (None, "")."""
    variable = _string(raw, key, f"{name}_env", path, "")
    direct = raw.get(name)
    if variable and direct is not None:
        raise ConfigError("config.s3_credential_twice", path=str(path), key=_setting(key, name))
    if variable:
        if not _ENV_NAME.match(variable):
            raise ConfigError("config.bad_value", path=str(path), key=_setting(key, f"{name}_env"))
        value = os.environ.get(variable, "").strip()
        if not value:
            raise ConfigError(
                "config.s3_env_missing", path=str(path), key=_setting(key, f"{name}_env"), variable=variable
            )
        return value, variable
    if direct is None:
        return None, ""
    if not isinstance(direct, str) or not direct.strip():
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, name))
    return direct.strip(), ""


def _storage_policy(storage: dict[str, Any], location_count: int, path: Path) -> StoragePolicy:
    _check_known(storage, _STORAGE_KEYS, "storage", path)
    copies = _integer(storage, "storage", "copies", path, location_count, 1, 1000)
    if copies > location_count:
        raise ConfigError(
            "config.copies_exceed",
            path=str(path),
            key=_setting("storage", "copies"),
            copies=copies,
            locations=location_count,
        )
    return StoragePolicy(
        copies=copies,
        lock_years_permanent=_integer(
            storage, "storage", "lock_years_permanent", path, DEFAULT_LOCK_YEARS_PERMANENT, 1, 100
        ),
        lock_years_max=_integer(storage, "storage", "lock_years_max", path, DEFAULT_LOCK_YEARS_MAX, 1, 100),
    )


def _fixity(table: Any, path: Path) -> FixityConfig:
    if not isinstance(table, dict):
        raise ConfigError("config.bad_value", path=str(path), key="fixity")
    _check_known(table, _FIXITY_KEYS, "fixity", path)
    return FixityConfig(
        period_days=_integer(
            table, "fixity", "period_days", path, DEFAULT_FIXITY_PERIOD_DAYS, 1, MAX_FIXITY_PERIOD_DAYS
        ),
        workers=_integer(table, "fixity", "workers", path, 2, 1, 64),
        max_rate_mb=_number(table, "fixity", "max_rate_mb", path, 0, 0, 1_000_000),
    )


_ACCESS_KEYS = (
    "output_dir",
    "approvers",
    "auto_approve_public",
    "reading_days",
    "download_days",
    "signing_pkcs12",
    "signing_passphrase_env",
    "timestamp_url",
    "holidays",
    "downloads",
)


def _access(home: Path, table: Any, path: Path) -> AccessConfig:
    if not isinstance(table, dict):
        raise ConfigError("config.bad_value", path=str(path), key="access")
    _check_known(table, _ACCESS_KEYS, "access", path)
    output_dir = _string(table, "access", "output_dir", path, "")
    pkcs12 = _string(table, "access", "signing_pkcs12", path, "")
    passphrase_env = _string(table, "access", "signing_passphrase_env", path, DEFAULT_SIGNING_PASSPHRASE_ENV)
    if not _ENV_NAME.match(passphrase_env):
        raise ConfigError(
            "config.bad_value", path=str(path), key=_setting("access", "signing_passphrase_env")
        )
    auto_approve = table.get("auto_approve_public", True)
    if not isinstance(auto_approve, bool):
        raise ConfigError("config.bad_value", path=str(path), key=_setting("access", "auto_approve_public"))
    return AccessConfig(
        output_dir=(home / output_dir).resolve() if output_dir else None,
        approvers=_approvers(table, path),
        auto_approve_public=auto_approve,
        reading_days=_integer(table, "access", "reading_days", path, MAX_READING_DAYS, 1, MAX_READING_DAYS),
        download_days=_integer(table, "access", "download_days", path, DEFAULT_DOWNLOAD_DAYS, 1, 365),
        signing_pkcs12=(home / pkcs12).resolve() if pkcs12 else None,
        signing_passphrase_env=passphrase_env,
        timestamp_url=_string(table, "access", "timestamp_url", path, "") or None,
        holidays=_holidays(table, path),
        downloads=_downloads(home, table.get("downloads"), path),
    )


def _downloads(home: Path, raw: Any, path: Path) -> S3Location | None:
    """``[access.downloads]``: the S3 bucket researchers download from. Its objects are deleted when their
    period ends, so it must not be object-locked."""
    if raw is None:
        return None
    key = _setting("access", "downloads")
    if not isinstance(raw, dict):
        raise ConfigError("config.bad_value", path=str(path), key=key)
    options = {name: value for name, value in raw.items() if name != "type"}
    if raw.get("type", "s3") != "s3":
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "type"))
    options.setdefault("object_lock", "off")
    location = _s3_location(home, options, key, path)
    if location.object_lock != "off":
        raise ConfigError("config.bad_value", path=str(path), key=_setting(key, "object_lock"))
    return location


def _approvers(table: dict[str, Any], path: Path) -> tuple[str, ...]:
    approvers = _names(table, "approvers", path)
    if SYSTEM_ACTOR in approvers:  # the name the rules decide under; no account may pass for them
        raise ConfigError("config.bad_value", path=str(path), key=_setting("access", "approvers"))
    return approvers


def _names(table: dict[str, Any], name: str, path: Path) -> tuple[str, ...]:
    value = table.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError("config.bad_value", path=str(path), key=_setting("access", name))
    return tuple(item.strip() for item in value)


def _holidays(table: dict[str, Any], path: Path) -> tuple[date, ...]:
    days = []
    for text in _names(table, "holidays", path):
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            raise ConfigError(
                "config.bad_date", path=str(path), key=_setting("access", "holidays"), value=text
            ) from None
    return tuple(sorted(set(days)))


_PORTAL_KEYS = (
    "host",
    "port",
    "secret_key_env",
    "secure_cookies",
    "page_dpi",
    "login_per_minute",
    "search_per_minute",
    "trusted_proxies",
)


def _portal(table: Any, path: Path) -> PortalConfig:
    if not isinstance(table, dict):
        raise ConfigError("config.bad_value", path=str(path), key="portal")
    _check_known(table, _PORTAL_KEYS, "portal", path)
    secret_env = _string(table, "portal", "secret_key_env", path, DEFAULT_PORTAL_SECRET_ENV)
    if not _ENV_NAME.match(secret_env):
        raise ConfigError("config.bad_value", path=str(path), key=_setting("portal", "secret_key_env"))
    secure = table.get("secure_cookies", True)
    if not isinstance(secure, bool):
        raise ConfigError("config.bad_value", path=str(path), key=_setting("portal", "secure_cookies"))
    host = _string(table, "portal", "host", path, "127.0.0.1")
    if not host:
        raise ConfigError("config.bad_value", path=str(path), key=_setting("portal", "host"))
    return PortalConfig(
        host=host,
        port=_integer(table, "portal", "port", path, 8080, 1, 65535),
        secret_key_env=secret_env,
        secure_cookies=secure,
        page_dpi=_integer(table, "portal", "page_dpi", path, 100, 50, 300),
        login_per_minute=_integer(table, "portal", "login_per_minute", path, 10, 1, 10_000),
        search_per_minute=_integer(table, "portal", "search_per_minute", path, 60, 1, 1_000_000),
        trusted_proxies=_integer(table, "portal", "trusted_proxies", path, 0, 0, 5),
    )


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _toml_string(str(value))


# Defaults written for an S3 location when the caller does not give them, in this order.
_S3_RENDERED = {
    "endpoint": "",
    "bucket": None,
    "prefix": "",
    "region": "us-east-1",
    "object_lock": "compliance",
    "addressing_style": "path",
    "verify_tls": True,
    "part_size_mb": 16,
    "max_attempts": 5,
    "connect_timeout": 10,
    "read_timeout": 60,
}


def _render_s3_location(location: dict[str, Any]) -> list[str]:
    unknown = sorted(set(location) - set(_S3_KEYS))
    if unknown or not location.get("name") or not location.get("bucket"):
        raise ValueError(
            f"S3 location needs a name and a bucket, and no other keys than {_S3_KEYS}: {location}"
        )
    lines = [
        "[[storage.locations]]",
        f"name = {_toml_string(location['name'])}",
        'type = "s3"',
        "# The S3 server: empty for AWS itself; SeaweedFS, Ceph RGW, MinIO: its URL.",
    ]
    for name, default in _S3_RENDERED.items():
        value = location.get(name, default)
        if name == "object_lock":
            lines += [
                "# compliance | governance | off. In a bucket created with object lock, every file is",
                "# written under retention (WORM) until the date [storage] lock_years_* give: nobody can",
                "# delete or overwrite it before then (governance: except with a special permission).",
            ]
        elif name == "part_size_mb":
            lines += [
                "# MiB (5-1024). Files up to this size go in one request, larger ones in parts of this",
                "# size; each upload holds about one part in memory.",
            ]
        lines.append(f"{name} = {_toml_value(value)}")
    if location.get("access_key_env") or location.get("secret_key_env"):
        lines += [
            "# Names of environment variables holding the credentials (read when the settings are loaded).",
            f"access_key_env = {_toml_string(location.get('access_key_env', ''))}",
            f"secret_key_env = {_toml_string(location.get('secret_key_env', ''))}",
        ]
    elif location.get("access_key") or location.get("secret_key"):
        lines += [
            "# Credentials written here: anyone who can read this file can use them. Prefer",
            "# access_key_env / secret_key_env (names of environment variables).",
            f"access_key = {_toml_string(location.get('access_key', ''))}",
            f"secret_key = {_toml_string(location.get('secret_key', ''))}",
        ]
    else:
        lines += [
            "# Credentials: boto3's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws),",
            "# or name the environment variables holding them:",
            '# access_key_env = "ARCHIVE_REPO_S3_ACCESS_KEY"',
            '# secret_key_env = "ARCHIVE_REPO_S3_SECRET_KEY"',
        ]
    return [*lines, ""]


def render_location(fields: dict[str, Any]) -> str:
    """The ``[[storage.locations]]`` table of one location, with comments: ``type`` "local" with ``name``
    and ``path``, or "s3" with ``name``, ``bucket`` and any other S3 setting (``type`` may be left out:
    s3 when a bucket is given)."""
    kind = fields.get("type") or ("s3" if "bucket" in fields else "local")
    if kind == "s3":
        return "\n".join(_render_s3_location({k: v for k, v in fields.items() if k != "type"}))
    unknown = sorted(set(fields) - {"name", "type", "path"})
    if kind != "local" or unknown or not fields.get("name") or not fields.get("path"):
        raise ValueError(f"a local location needs a name and a path, and no other keys: {fields}")
    return "\n".join(
        [
            "[[storage.locations]]",
            f"name = {_toml_string(fields['name'])}",
            'type = "local"',
            f"path = {_toml_string(str(fields['path']))}",
            "",
        ]
    )


def render_settings(
    archive_code: str,
    archive_name: str,
    catalog_url: str = "",
    locations: list[tuple[str, str]] | None = None,
    workers: int = 2,
    virus_scan: str = "auto",
    virus_database: str = DEFAULT_VIRUS_DATABASE,
    clamd_socket: str = "",
    s3_locations: list[dict[str, Any]] | None = None,
    *,
    copies: int | None = None,
    lock_years_permanent: int = DEFAULT_LOCK_YEARS_PERMANENT,
    lock_years_max: int = DEFAULT_LOCK_YEARS_MAX,
    fixity_period_days: int = DEFAULT_FIXITY_PERIOD_DAYS,
    fixity_workers: int = 2,
    fixity_max_rate_mb: float = 0,
) -> str:
    """The text of a new ``archive-repo.toml``.

    ``locations``: (name, folder) of local locations; ``s3_locations``: one dict per S3 location with the
    keys of a ``[[storage.locations]]`` table (``name`` and ``bucket`` required). With neither, one local
    location ``store/`` in the repository folder. ``copies`` defaults to the number of locations."""
    s3_locations = list(s3_locations or [])
    locations = list(locations or ([] if s3_locations else [("local-1", DEFAULT_STORE)]))
    copies = len(locations) + len(s3_locations) if copies is None else copies
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
        "[fixity]",
        "# Fixity audits read every copy back and compare its SHA-256 with the catalog's: every copy is",
        "# checked at least once per period_days (1-1095: TT05 asks for a check at least every 3 years).",
        f"period_days = {int(fixity_period_days)}",
        f"workers = {int(fixity_workers)}",
        "# Read rate limit of the audits in MB/s over all stores (0 = unlimited).",
        f"max_rate_mb = {_toml_value(fixity_max_rate_mb)}",
        "",
        "[storage]",
        "# How many copies every AIP file must have, each in a different location below (TT05: at least 2).",
        f"copies = {int(copies)}",
        '# Object lock (WORM) for locations with object_lock other than "off": files of permanent records',
        "# (Vĩnh viễn) are retained for lock_years_permanent years from when they are written (extended by",
        "# archive-repo storage renew-locks); files of records with a fixed retention period until its end,",
        "# but never more than lock_years_max years.",
        f"lock_years_permanent = {int(lock_years_permanent)}",
        f"lock_years_max = {int(lock_years_max)}",
        "",
        "# Every ingest writes one copy of every AIP file to every location below.",
    ]
    for name, folder in locations:
        lines.append(render_location({"name": name, "type": "local", "path": folder}))
    for location in s3_locations:
        lines.append(render_location({**location, "type": "s3"}))
    return "\n".join(lines)
