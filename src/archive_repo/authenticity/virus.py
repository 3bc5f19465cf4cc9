"""Virus scan of a whole submission with ClamAV: clamd over its socket, or one clamscan process.

The archive supplies its own signature database; nothing is ever downloaded (no freshclam). A file the
engine could not scan completely (size or time limits, unreadable, refused stream) is reported as
``not_scanned``, never as clean, and any failure of the scanner itself raises :class:`VirusScanError`.

Settings (``[virus_scan]`` in archive-repo.toml), read by :meth:`VirusScanConfig.from_mapping`:

- ``mode``: "auto" (clamd if it answers PING, else clamscan with a non-empty ``database``), "clamd",
  "clamscan" or "off".
- ``clamd_socket``: clamd's unix socket (LocalSocket); ``clamd_address``: "host:port" (TCPSocket).
- ``database``: folder of .cvd/.cld/.hdb/.ndb/… files for clamscan (clamd uses its own DatabaseDirectory).
- ``clamscan``: the program (name on PATH, or a path).
- ``timeout_s``: the longest one scan of a submission may take.

clamd only reports what its own clamd.conf lets it: it should have ``AlertExceedsMax yes`` (otherwise
files beyond MaxFileSize/MaxScanSize/MaxScanTime inside the stream are silently "OK") and
``StreamMaxLength`` no larger than ``MaxFileSize`` (a longer file is then refused and reported here as
not scanned).
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import struct
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from archive_repo.authenticity.results import VirusHit, VirusScan
from archive_repo.errors import ArchiveRepoError

MODES = ("auto", "clamd", "clamscan", "off")
CONFIG_KEYS = ("mode", "clamd_socket", "clamd_address", "database", "clamscan", "timeout_s")
DEFAULT_TIMEOUT_S = 4 * 3600.0
PING_TIMEOUT_S = 5.0
STREAM_CHUNK = 256 * 1024
LIMITS_EXCEEDED = "Heuristics.Limits.Exceeded"

# clamscan cannot scan a file of 2 GiB or more; asking for more only prints a warning.
CLAMSCAN_MAX_FILESIZE = str(2**31 - 1)
CLAMSCAN_MAX_SCANSIZE = "4000M"
# Per file: a file that takes longer is reported (Heuristics.Limits.Exceeded.MaxScanTime), not assumed clean.
CLAMSCAN_MAX_SCANTIME_MS = str(10 * 60 * 1000)

# Files that carry signatures in a ClamAV database folder (signatures.md of the ClamAV manual).
CONTAINER_SUFFIXES = frozenset({".cvd", ".cld", ".cud"})
TEXT_SIGNATURE_SUFFIXES = frozenset(
    {
        ".hdb", ".hsb", ".hdu", ".hsu", ".mdb", ".msb", ".mdu", ".msu", ".ndb", ".ndu", ".ldb", ".ldu",
        ".idb", ".cdb", ".crb", ".cat", ".fp", ".sfp", ".ign", ".ign2", ".pdb", ".gdb", ".wdb", ".ftm",
        ".imp",
    }
)  # fmt: skip
OTHER_SIGNATURE_SUFFIXES = frozenset({".cbc", ".yar", ".yara", ".pwdb"})
SIGNATURE_SUFFIXES = CONTAINER_SUFFIXES | TEXT_SIGNATURE_SUFFIXES | OTHER_SIGNATURE_SUFFIXES


class VirusScanError(ArchiveRepoError):
    """The virus scan could not be done (no scanner, scanner failed, bad settings): nothing is 'clean'."""


# --- settings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VirusScanConfig:
    mode: str = "auto"
    clamd_socket: str | None = None  # unix socket path
    clamd_address: str | None = None  # "host:port" ("[::1]:3310" for IPv6)
    database: Path | None = None  # signature folder for clamscan
    clamscan: str = "clamscan"
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], home: Path) -> VirusScanConfig:
        """The ``[virus_scan]`` table; relative paths are relative to ``home``; empty strings mean unset."""
        unknown = sorted(set(data) - set(CONFIG_KEYS))
        if unknown:
            raise VirusScanError(
                "virus.config.unknown_key", key=_key(unknown[0]), known=", ".join(CONFIG_KEYS)
            )
        mode = _optional_text(data, "mode") or "auto"
        if mode not in MODES:
            raise VirusScanError(
                "virus.config.bad_mode", key=_key("mode"), value=mode, allowed=", ".join(MODES)
            )
        clamd_socket = _optional_text(data, "clamd_socket")
        clamd_address = _optional_text(data, "clamd_address")
        if clamd_address is not None:
            _parse_address(clamd_address)
        database = _optional_text(data, "database")
        clamscan = _optional_text(data, "clamscan") or "clamscan"
        config = cls(
            mode=mode,
            clamd_socket=str(home / clamd_socket) if clamd_socket else None,
            clamd_address=clamd_address,
            database=(home / database) if database else None,
            clamscan=str(home / clamscan) if os.sep in clamscan else clamscan,
            timeout_s=_timeout(data.get("timeout_s", DEFAULT_TIMEOUT_S)),
        )
        if mode == "clamd" and not config.endpoints():
            raise VirusScanError("virus.config.clamd_needs_endpoint", key=_key("mode"))
        if mode == "clamscan" and config.database is None:
            raise VirusScanError("virus.config.clamscan_needs_database", key=_key("database"))
        return config

    def endpoints(self) -> tuple[_Endpoint, ...]:
        found = []
        if self.clamd_socket:
            found.append(_Endpoint(socket.AF_UNIX, self.clamd_socket, f"unix:{self.clamd_socket}"))
        if self.clamd_address:
            host, port = _parse_address(self.clamd_address)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            found.append(_Endpoint(family, (host, port), f"tcp:{self.clamd_address}"))
        return tuple(found)


def _key(name: str) -> str:
    return f"virus_scan.{name}"


def _optional_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise VirusScanError("virus.config.not_text", key=_key(name), value=repr(value))
    return value.strip() or None


def _timeout(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not value > 0
        or value == float("inf")
    ):
        raise VirusScanError("virus.config.bad_timeout", key=_key("timeout_s"), value=repr(value))
    return float(value)


def _parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise VirusScanError("virus.config.bad_address", key=_key("clamd_address"), value=text)
    return host, int(port)


# --- choosing a scanner -------------------------------------------------------------------------------


def open_scanner(config: VirusScanConfig) -> VirusScanner | None:
    """The scanner the settings ask for, checked to be usable now; None when scanning is off."""
    if config.mode == "off":
        return None
    if config.mode == "clamd":
        return ClamdScanner.connect(config)
    if config.mode == "clamscan":
        return ClamscanScanner.check(config)
    problems = []
    try:
        return ClamdScanner.connect(config)
    except VirusScanError as exc:
        problems.append(f"clamd: {exc.params.get('detail', exc.message_key)}")
    try:
        return ClamscanScanner.check(config)
    except VirusScanError as exc:
        problems.append(f"clamscan: {_describe(exc)}")
    raise VirusScanError("virus.no_scanner", detail="; ".join(problems))


def _describe(exc: VirusScanError) -> str:
    """Technical English for the 'no scanner' detail."""
    params = ", ".join(f"{name}={value}" for name, value in sorted(exc.params.items()))
    return f"{exc.message_key} ({params})" if params else exc.message_key


class VirusScanner(ABC):
    """Scans every regular file under a folder; entries that are not regular files are 'not scanned'."""

    @abstractmethod
    def scan(self, folder: Path) -> VirusScan: ...

    @abstractmethod
    def version(self) -> tuple[str, str]:
        """(engine, database), e.g. ("ClamAV 1.4.6 (clamd)", "database 27000/Mon Jan  1 10:00:00 2024")."""


# --- what is in the folder ----------------------------------------------------------------------------


@dataclass
class _Inventory:
    root: Path
    files: dict[str, Path] = field(default_factory=dict)  # folder-relative POSIX path -> absolute path
    skipped: list[VirusHit] = field(default_factory=list)  # links, devices, unreadable folders


def _inventory(folder: Path) -> _Inventory:
    if not folder.is_dir():
        raise VirusScanError("virus.folder_missing", path=str(folder))
    root = folder.resolve()
    inventory = _Inventory(root)

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else root
        inventory.skipped.append(VirusHit(_relative(root, where), f"unreadable folder: {error.strerror}"))

    for directory, dirnames, filenames in os.walk(root, onerror=unreadable):
        base = Path(directory)
        for name in [*dirnames, *filenames]:
            path = base / name
            try:
                mode = path.lstat().st_mode
            except OSError as exc:
                inventory.skipped.append(VirusHit(_relative(root, path), f"unreadable: {exc.strerror}"))
                continue
            if stat.S_ISREG(mode):
                inventory.files[_relative(root, path)] = path
            elif not stat.S_ISDIR(mode):
                inventory.skipped.append(VirusHit(_relative(root, path), _not_regular(mode)))
    return inventory


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


def _not_regular(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link (not followed)"
    return "not a regular file"


class _Verdicts:
    """Per file the worst thing any scanner line said: infected > not scanned > clean."""

    def __init__(self) -> None:
        self.clean: set[str] = set()
        self.infected: dict[str, str] = {}
        self.not_scanned: dict[str, str] = {}

    def record(self, path: str, found: str | None, problem: str | None = None) -> None:
        if found is not None and not found.startswith(LIMITS_EXCEEDED):
            self.infected[path] = found
        elif found is not None or problem is not None:
            self.not_scanned.setdefault(path, found or problem or "")
        else:
            self.clean.add(path)

    @property
    def seen(self) -> int:
        return len(self.clean | set(self.infected) | set(self.not_scanned))

    def result(self, inventory: _Inventory, engine: str, database: str, missing: str) -> VirusScan:
        not_scanned = dict(self.not_scanned)
        for path in inventory.files:
            if path not in self.clean and path not in self.infected:
                not_scanned.setdefault(path, missing)
        for hit in inventory.skipped:
            not_scanned.setdefault(hit.path, hit.signature)
        for path in self.infected:
            not_scanned.pop(path, None)
        scanned = (self.clean | set(self.infected)) - set(not_scanned)
        return VirusScan(
            engine=engine,
            database=database,
            files_scanned=len(scanned),
            infected=tuple(VirusHit(path, name) for path, name in sorted(self.infected.items())),
            not_scanned=tuple(VirusHit(path, why) for path, why in sorted(not_scanned.items())),
        )


def _parse_found(status: str) -> str | None:
    """The signature name of a ClamAV "<name> FOUND" status (names never contain spaces)."""
    name, sep, rest = status.rpartition(" ")
    if sep and rest == "FOUND" and name and " " not in name:
        return name
    return None


# --- clamd ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Endpoint:
    family: int
    address: Any  # a path (unix) or (host, port)
    label: str

    def open(self, timeout: float) -> socket.socket:
        connection = socket.socket(self.family, socket.SOCK_STREAM)
        connection.settimeout(timeout)
        try:
            connection.connect(self.address)
        except BaseException:
            connection.close()
            raise
        return connection


class ClamdScanner(VirusScanner):
    """Sends each file to clamd with zINSTREAM: clamd needs no access to our folders."""

    def __init__(self, endpoint: _Endpoint, timeout_s: float) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s

    @classmethod
    def connect(cls, config: VirusScanConfig) -> ClamdScanner:
        """The first configured endpoint that answers PING."""
        endpoints = config.endpoints()
        if not endpoints:
            raise VirusScanError(
                "virus.clamd_unreachable", endpoint="-", detail="no clamd_socket or clamd_address"
            )
        problems = []
        for endpoint in endpoints:
            scanner = cls(endpoint, config.timeout_s)
            try:
                reply = scanner._command(b"PING", time.monotonic() + min(PING_TIMEOUT_S, config.timeout_s))
            except VirusScanError as exc:
                problems.append(f"{endpoint.label}: {exc.params.get('detail', exc.message_key)}")
                continue
            if reply == "PONG":
                return scanner
            problems.append(f"{endpoint.label}: unexpected PING reply {reply!r}")
        labels = ", ".join(endpoint.label for endpoint in endpoints)
        raise VirusScanError("virus.clamd_unreachable", endpoint=labels, detail="; ".join(problems))

    def version(self, deadline: float | None = None) -> tuple[str, str]:
        """(engine, database) from zVERSION: "ClamAV 1.4.6/27000/Mon Jan  1 10:00:00 2024"."""
        reply = self._command(b"VERSION", deadline or time.monotonic() + PING_TIMEOUT_S)
        engine, _, database = reply.partition("/")
        if not engine.startswith("ClamAV "):
            raise self._protocol_error(f"VERSION: {reply!r}")
        database = f"database {database}" if database else "custom database (clamd reports no version)"
        return f"{engine} (clamd)", database

    def scan(self, folder: Path) -> VirusScan:
        deadline = time.monotonic() + self.timeout_s
        engine, database = self.version(deadline)
        inventory = _inventory(folder)
        verdicts = _Verdicts()
        for relative, path in inventory.files.items():
            found, problem = self._scan_file(path, deadline)
            verdicts.record(relative, found, problem)
        return verdicts.result(inventory, engine, database, missing="no verdict from clamd")

    def _scan_file(self, path: Path, deadline: float) -> tuple[str | None, str | None]:
        """(signature found, reason not scanned); both None when clean."""
        try:
            handle = open(path, "rb")  # noqa: SIM115 - opened before connecting, closed by the with below
        except OSError as exc:
            return None, f"unreadable: {exc.strerror}"
        with handle, self._open(deadline) as connection:
            try:
                refused = self._send_stream(connection, handle, deadline)
            except _ReadError as exc:
                return None, f"unreadable: {exc}"
            reply = self._read_reply(connection)
        return self._interpret(reply, refused)

    def _send_stream(self, connection: socket.socket, handle: BinaryIO, deadline: float) -> bool:
        """Send the file as INSTREAM chunks; True when clamd stopped reading (its reply says why)."""
        try:
            connection.sendall(b"zINSTREAM\0")
            for chunk in _chunks(handle):
                connection.settimeout(self._remaining(deadline))
                connection.sendall(struct.pack(">I", len(chunk)) + chunk)
            connection.sendall(struct.pack(">I", 0))
        except (BrokenPipeError, ConnectionResetError):
            return True  # clamd closes the stream once it exceeds StreamMaxLength
        except TimeoutError:
            raise VirusScanError("virus.timeout", scanner="clamd", seconds=self.timeout_s) from None
        except OSError as exc:
            raise VirusScanError(
                "virus.clamd_unreachable", endpoint=self.endpoint.label, detail=str(exc)
            ) from None
        return False

    def _interpret(self, reply: str, refused: bool) -> tuple[str | None, str | None]:
        if reply == "stream: OK":
            return None, None
        if reply.startswith("stream: ") and (found := _parse_found(reply[len("stream: ") :])):
            return found, None
        if "size limit exceeded" in reply:
            return None, "clamd: INSTREAM size limit exceeded (StreamMaxLength)"
        if reply.endswith("ERROR"):
            return None, f"clamd: {reply}"
        if refused and not reply:
            return None, "clamd closed the connection while receiving the file"
        raise self._protocol_error(f"INSTREAM: {reply!r}")

    def _command(self, command: bytes, deadline: float) -> str:
        with self._open(deadline) as connection:
            try:
                connection.sendall(b"z" + command + b"\0")
            except OSError as exc:
                raise VirusScanError(
                    "virus.clamd_unreachable", endpoint=self.endpoint.label, detail=str(exc)
                ) from None
            return self._read_reply(connection)

    def _open(self, deadline: float) -> socket.socket:
        try:
            return self.endpoint.open(self._remaining(deadline))
        except TimeoutError:
            raise VirusScanError(
                "virus.clamd_unreachable", endpoint=self.endpoint.label, detail="timed out"
            ) from None
        except OSError as exc:
            detail = exc.strerror or str(exc)
            raise VirusScanError(
                "virus.clamd_unreachable", endpoint=self.endpoint.label, detail=detail
            ) from None

    def _read_reply(self, connection: socket.socket) -> str:
        """One null-terminated reply (or whatever came before clamd closed the connection)."""
        data = bytearray()
        try:
            while not data.endswith(b"\0"):
                part = connection.recv(4096)
                if not part:
                    break
                data += part
        except TimeoutError:
            raise VirusScanError("virus.timeout", scanner="clamd", seconds=self.timeout_s) from None
        except ConnectionResetError:
            pass  # after a refused stream; an empty reply is then handled by the caller
        except OSError as exc:
            raise VirusScanError(
                "virus.clamd_unreachable", endpoint=self.endpoint.label, detail=str(exc)
            ) from None
        return data.rstrip(b"\0").decode("utf-8", "replace").strip()

    def _remaining(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise VirusScanError("virus.timeout", scanner="clamd", seconds=self.timeout_s)
        return left

    def _protocol_error(self, detail: str) -> VirusScanError:
        return VirusScanError("virus.clamd_protocol", endpoint=self.endpoint.label, detail=detail)


class _ReadError(Exception):
    """Our own file could not be read while streaming it."""


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while True:
        try:
            chunk = handle.read(STREAM_CHUNK)
        except OSError as exc:
            raise _ReadError(exc.strerror or str(exc)) from None
        if not chunk:
            return
        yield chunk


# --- clamscan ------------------------------------------------------------------------------------------


class ClamscanScanner(VirusScanner):
    """One clamscan process per scan, with the archive's database folder."""

    def __init__(self, program: str, database: Path, timeout_s: float) -> None:
        self.program = program
        self.database = database
        self.timeout_s = timeout_s

    @classmethod
    def check(cls, config: VirusScanConfig) -> ClamscanScanner:
        program = shutil.which(config.clamscan)
        if program is None:
            raise VirusScanError("virus.clamscan_missing", program=config.clamscan)
        if config.database is None:
            raise VirusScanError("virus.database_missing", path="-")
        if not config.database.is_dir():
            raise VirusScanError("virus.database_missing", path=str(config.database))
        if not _database_files(config.database):
            raise VirusScanError("virus.database_empty", path=str(config.database))
        return cls(program, config.database.resolve(), config.timeout_s)

    def version(self) -> tuple[str, str]:
        """(engine, database): "ClamAV 1.4.6 (clamscan)" and the database version or its files."""
        output = self._run([self.program, "--version", f"--database={self.database}"], PING_TIMEOUT_S * 6)
        first = output.stdout.decode("utf-8", "replace").strip().splitlines()
        if output.returncode != 0 or not first or not first[0].startswith("ClamAV "):
            raise VirusScanError("virus.clamscan_failed", code=output.returncode, detail=_tail(output))
        engine, _, database = first[0].partition("/")
        described = describe_database(self.database)
        if database:
            described = f"database {database}; {described}"
        return f"{engine} (clamscan)", described

    def scan(self, folder: Path) -> VirusScan:
        started = time.monotonic()
        engine, database = self.version()
        inventory = _inventory(folder)
        command = [
            self.program,
            f"--database={self.database}",
            "--no-summary",
            "--recursive=yes",
            "--follow-dir-symlinks=0",
            "--follow-file-symlinks=0",
            f"--max-filesize={CLAMSCAN_MAX_FILESIZE}",
            f"--max-scansize={CLAMSCAN_MAX_SCANSIZE}",
            f"--max-scantime={CLAMSCAN_MAX_SCANTIME_MS}",
            "--alert-exceeds-max=yes",
            "--",
            str(inventory.root),
        ]
        output = self._run(command, self.timeout_s - (time.monotonic() - started))
        verdicts = _Verdicts()
        unattributed = _parse_clamscan(output.stdout, inventory, verdicts)
        self._check_outcome(output, verdicts, unattributed)
        return verdicts.result(inventory, engine, database, missing="no verdict from clamscan")

    def _check_outcome(
        self, output: subprocess.CompletedProcess[bytes], verdicts: _Verdicts, lost: int
    ) -> None:
        """Exit 0 clean, 1 found, 2 errors: an error that no file's line explains fails the whole scan."""
        code = output.returncode
        if code not in (0, 1, 2):
            raise VirusScanError("virus.clamscan_failed", code=code, detail=_tail(output))
        if code == 2 and (not verdicts.seen or not verdicts.not_scanned):
            raise VirusScanError("virus.clamscan_failed", code=code, detail=_tail(output))
        if lost or (code == 1 and not verdicts.infected and not verdicts.not_scanned):
            raise VirusScanError(
                "virus.unreadable_output", scanner="clamscan", detail=_tail(output) or "FOUND without a file"
            )

    def _run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
        if timeout <= 0:
            raise VirusScanError("virus.timeout", scanner="clamscan", seconds=self.timeout_s)
        try:
            return subprocess.run(
                command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise VirusScanError("virus.timeout", scanner="clamscan", seconds=self.timeout_s) from None
        except OSError as exc:
            raise VirusScanError(
                "virus.clamscan_missing", program=f"{self.program} ({exc.strerror})"
            ) from None


def _parse_clamscan(stdout: bytes, inventory: _Inventory, verdicts: _Verdicts) -> int:
    """Read clamscan's "<path>: <status>" lines into ``verdicts``; returns how many FOUND lines named no
    file of the folder. Paths may contain ": " and even newlines, so a line only counts once its path is
    a file of the folder; statuses never contain ": "."""
    prefix = f"{inventory.root}/"
    lost = 0
    pending = ""  # the start of a path that contains a newline

    def attribute(text: str, *, appeared: bool = False) -> bool:
        path, sep, status = text.rpartition(": ")
        if not sep or not path.startswith(prefix):
            return False
        relative = path[len(prefix) :]
        if relative in inventory.files:
            _record_status(verdicts, relative, status)
            return True
        if appeared and (found := _parse_found(status)):
            verdicts.record(relative, found)  # a file that appeared after our inventory
            return True
        return False

    for line in os.fsdecode(stdout).split("\n"):
        joined = f"{pending}\n{line}" if pending else None
        if attribute(line) or (joined and attribute(joined)) or attribute(line, appeared=True):
            pending = ""
        elif line.startswith(prefix):
            pending = line
        elif pending:
            pending = f"{pending}\n{line}"
        elif _parse_found(line.rpartition(": ")[2]):
            lost += 1
    return lost


def _record_status(verdicts: _Verdicts, relative: str, status: str) -> None:
    if status in ("OK", "Empty file"):
        verdicts.record(relative, None)
    elif found := _parse_found(status):
        verdicts.record(relative, found)
    else:
        verdicts.record(relative, None, f"clamscan: {status}")


def _tail(output: subprocess.CompletedProcess[bytes], limit: int = 500) -> str:
    text = (output.stderr or b"").decode("utf-8", "replace").strip()
    return text[-limit:]


def _database_files(folder: Path) -> list[Path]:
    try:
        return sorted(
            path
            for path in folder.iterdir()
            if path.suffix.lower() in SIGNATURE_SUFFIXES and path.is_file() and path.stat().st_size > 0
        )
    except OSError:
        return []


def describe_database(folder: Path) -> str:
    """The database files and what they hold: "daily.cvd version 27000 (…, 2065123 signatures); x.hdb 1
    signatures"."""
    parts = []
    for path in _database_files(folder):
        if path.suffix.lower() in CONTAINER_SUFFIXES:
            parts.append(f"{path.name} {_cvd_header(path)}")
        elif path.suffix.lower() in TEXT_SIGNATURE_SUFFIXES:
            parts.append(f"{path.name} {_count_lines(path)} signatures")
        else:
            parts.append(path.name)
    return "; ".join(parts) or "empty"


def _cvd_header(path: Path) -> str:
    """A .cvd/.cld starts with a 512-byte header "ClamAV-VDB:<built>:<version>:<signatures>:<level>:…"."""
    try:
        with open(path, "rb") as handle:
            fields = handle.read(512).decode("ascii", "replace").split(":")
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if fields[0] != "ClamAV-VDB":
        return "(no ClamAV-VDB header)"
    # The build time may itself contain ':', so look for the first two numeric fields after it.
    for index in range(2, len(fields) - 1):
        if fields[index].isdigit() and fields[index + 1].isdigit():
            built = ":".join(fields[1:index])
            return f"version {fields[index]} ({fields[index + 1]} signatures, built {built})"
    return "(unreadable ClamAV-VDB header)"


def _count_lines(path: Path) -> int:
    count = 0
    try:
        with open(path, "rb") as handle:
            for line in handle:
                stripped = line.strip()
                count += bool(stripped) and not stripped.startswith(b"#")
    except OSError:
        return 0
    return count
