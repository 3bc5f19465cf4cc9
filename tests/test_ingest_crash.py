"""Crash safety of the ingest with a real ``kill -9``: at every named crash point, and from outside.

Each test ingests into a fresh repository with two storage locations, kills the ingest, and checks that
nothing half-done is visible (every catalogued package is complete in every location, every folder in a
store that the catalog does not know is named by a storage intent), that the submission is untouched,
that ``archive-repo doctor`` cleans everything up (and needs no attention), and that the same ingest
run again ends with exactly one active package and its handover record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import helpers
from archive_repo.catalog.models import IngestRun, Package, StorageIntent, Submission
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import Settings, load_settings
from archive_repo.i18n import translate
from archive_repo.ingest.crashpoints import POINTS
from archive_repo.ingest.handover import receipt_paths
from archive_repo.samples.minimal_pdf import make_pdf
from archive_repo.storage.local import INCOMING
from archive_repo.storage.registry import open_stores
from helpers import (
    EXAMPLES,
    NO_VIRUS_SCAN,
    allow_unsigned_documents,
    build_sip_hoso,
    catalog,
    tree_state,
    trust_examples,
    zip_package,
)

EXAMPLE_SIP = EXAMPLES / "submissions" / "uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6"
BEFORE_COMMIT = ("after-unpack", "after-validate", "after-convert", "mid-store", "after-store")
# What doctor may do after a crash: all of it cleaning, none of it needing a person.
CLEANING = {
    "doctor.run_interrupted",
    "doctor.orphans_removed",
    "doctor.work_removed",
    "doctor.temporary_removed",
    "doctor.receipt_written",
}
# Per crash point, what doctor must at least have cleaned.
MUST_CLEAN = {
    "after-unpack": {"doctor.run_interrupted"},
    "after-validate": {"doctor.run_interrupted"},
    "after-convert": {"doctor.run_interrupted", "doctor.work_removed"},
    "mid-store": {"doctor.run_interrupted", "doctor.orphans_removed", "doctor.work_removed"},
    "after-store": {"doctor.run_interrupted", "doctor.orphans_removed", "doctor.work_removed"},
    "after-commit": {"doctor.run_interrupted", "doctor.receipt_written"},
    "after-receipt": {"doctor.run_interrupted"},
}
SCRUBBED = (
    "ARCHIVE_REPO_CRASH_AT",
    "ARCHIVE_REPO_DB",
    "ARCHIVE_REPO_HOME",
    "ARCHIVE_REPO_WORKERS",
    "ARCHIVE_REPO_LANG",
    "ARCHIVE_REPO_DEBUG",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository's own settings only: no catalog URL, crash point or language from outside."""
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------------------------------
# running the command line


def cli_env(**extra: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONIOENCODING"] = "utf-8"
    environment.update(extra)
    return environment


def start_cli(*args: str | Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "archive_repo", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=cli_env(**env),
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, stdout, stderr


def ingest(repo: Path, source: Path, **env: str) -> subprocess.Popen[str]:
    return start_cli(
        "ingest",
        "-R",
        repo,
        source,
        "--workers",
        "1",
        "--no-progress",
        "--format",
        "json",
        "--lang",
        "en",
        **env,
    )


def make_repository(folder: Path) -> Settings:
    assert (
        guarded(
            cli,
            [
                "init",
                "-R",
                str(folder),
                "--archive-code",
                "LTLSHG",
                "--store",
                "a",
                "--store",
                "b",
                *NO_VIRUS_SCAN,
            ],
        )
        == 0
    )
    allow_unsigned_documents(folder)
    trust_examples(folder)
    settings = load_settings(folder)
    assert len(settings.locations) == 2
    return settings


def _pattern(key: str) -> re.Pattern[str]:
    """A regex matching any rendering of the English message ``key``."""
    template = translate(key, "en")
    pieces = re.split(r"\{[A-Za-z_][A-Za-z0-9_]*\}", template)
    return re.compile(".+?".join(re.escape(piece) for piece in pieces))


DOCTOR_KEYS = (
    "doctor.run_interrupted",
    "doctor.run_elsewhere",
    "doctor.orphans_removed",
    "doctor.work_removed",
    "doctor.temporary_removed",
    "doctor.unknown_in_storage",
    "doctor.missing_copies",
    "doctor.receipt_written",
    "doctor.one_location",
)


def run_doctor(repo: Path, *args: str) -> tuple[int, list[tuple[bool, str]], str]:
    """Exit code, the problems reported as (fixed, message key), and all output."""
    code, stdout, stderr = finish(start_cli("doctor", "-R", repo, "--lang", "en", *args))
    fixed_mark = translate("doctor.fixed", "en").strip()
    attention_mark = translate("doctor.attention", "en").strip()
    problems = []
    for line in stdout.splitlines():
        if not line.startswith((fixed_mark, attention_mark)):
            continue
        keys = [key for key in DOCTOR_KEYS if _pattern(key).search(line)]
        assert len(keys) == 1, f"doctor line not recognised: {line!r}"
        problems.append((line.startswith(fixed_mark), keys[0]))
    return code, problems, stdout + stderr


# --------------------------------------------------------------------------------------------------
# looking at the repository


def stored_keys(settings: Settings) -> dict[str, set[str]]:
    """Every object in every location (the temporary area excluded), by location name."""
    return {store.name: set(store.keys()) for store in open_stores(settings)}


def incoming_files(settings: Settings) -> list[Path]:
    return [p for location in settings.locations for p in (location.path / INCOMING).glob("*")]


def work_leftovers(settings: Settings) -> list[Path]:
    return [p for area in ("quarantine", "staging") for p in (settings.work_dir / area).glob("*")]


def assert_nothing_half_visible(settings: Settings) -> None:
    """Catalogued packages are complete everywhere; anything else in a store is named by an intent."""
    keys = stored_keys(settings)
    claimed: dict[str, set[str]] = {name: set() for name in keys}
    with catalog(settings) as session:
        for package in session.scalars(select(Package)):
            assert ".partial" not in package.objid
            folder = package.objid.replace(":", "_")
            assert package.files, f"package {package.objid} has no files"
            for file in package.files:
                assert ".partial" not in file.path
                copies = {copy.location: copy for copy in file.copies}
                assert set(copies) == set(keys), f"{package.objid}/{file.path}: copies in {sorted(copies)}"
                for location in settings.locations:
                    copy = copies[location.name]
                    assert copy.status == "ok"
                    assert copy.key.startswith(folder + "/")
                    path = location.path / copy.key
                    assert path.is_file(), f"{location.name}: {copy.key} is missing"
                    assert path.stat().st_size == file.size
                    assert helpers.sha256(path) == file.sha256, f"{location.name}: {copy.key} differs"
                    claimed[location.name].add(copy.key)
        intents = {(i.location, i.prefix.rstrip("/")) for i in session.scalars(select(StorageIntent))}
    for name, present in keys.items():
        for key in present:
            assert ".partial" not in key, f"{name}: staging folder visible as {key}"
            top = key.split("/", 1)[0]
            if key in claimed[name]:
                continue
            # A package folder holds exactly its catalogued files; anything else awaits doctor via an intent.
            assert (name, top) in intents, f"{name}: {key} is neither catalogued nor named by an intent"


def assert_clean_after_doctor(settings: Settings) -> None:
    with catalog(settings) as session:
        assert session.scalars(select(StorageIntent)).all() == []
        assert session.scalars(select(IngestRun).where(IngestRun.status == "running")).all() == []
        known = {objid.replace(":", "_") for objid in session.scalars(select(Package.objid))}
    for store in open_stores(settings):
        unknown = set(store.prefixes()) - known
        assert not unknown, f"{store.name} holds folders the catalog does not know: {sorted(unknown)}"
    assert work_leftovers(settings) == []
    assert incoming_files(settings) == []


def assert_crash_cleaned(settings: Settings, point: str, problems: list[tuple[bool, str]], code: int) -> None:
    reported = {key for _fixed, key in problems}
    assert all(fixed for fixed, _key in problems), problems
    assert code == 0, problems
    assert reported <= CLEANING, problems
    assert MUST_CLEAN[point] <= reported, problems


def outcome_of(stdout: str) -> dict:
    results = json.loads(stdout)["results"]
    assert len(results) == 1, results
    return results[0]


def assert_ingested_once(settings: Settings, result: dict) -> None:
    """Exactly one active package for the dossier, the one the run names, with its handover record."""
    objid = result["objid"] or result["duplicate_of"]
    assert objid
    with catalog(settings) as session:
        package = session.scalars(select(Package).where(Package.objid == objid)).one()
        assert package.status == "active"
        same_dossier = session.scalars(
            select(Package).where(Package.arc_file_code == package.arc_file_code, Package.status == "active")
        ).all()
        assert [p.objid for p in same_dossier] == [objid]
        assert len(session.scalars(select(Package)).all()) == 1
        submission = session.scalars(select(Submission).where(Submission.digest == result["digest"])).one()
        assert submission.status == "accepted"
        assert submission.package is not None and submission.package.objid == objid
        json_path, pdf_path = receipt_paths(settings, submission)
    assert json.loads(json_path.read_text(encoding="utf-8"))
    assert pdf_path.read_bytes().startswith(b"%PDF-")


def assert_healthy(repo: Path) -> None:
    code, problems, output = run_doctor(repo)
    assert (code, problems) == (0, []), output
    assert translate("doctor.healthy", "en") in output


# --------------------------------------------------------------------------------------------------
# the crash points


@pytest.mark.parametrize("point", POINTS)
def test_crash_point_leaves_nothing_half_done(tmp_path: Path, point: str) -> None:
    settings = make_repository(tmp_path / "repo")
    source = tmp_path / "submission"
    shutil.copytree(EXAMPLE_SIP, source)
    before = tree_state(source)

    process = ingest(settings.home, source, ARCHIVE_REPO_CRASH_AT=point)
    code, stdout, stderr = finish(process)
    assert code == -signal.SIGKILL, f"exit {code}\n{stdout}\n{stderr}"

    assert tree_state(source) == before
    assert_nothing_half_visible(settings)
    with catalog(settings) as session:
        runs = session.scalars(select(IngestRun)).all()
        assert [(r.status, r.pid) for r in runs] == [("running", process.pid)]
        packages = session.scalars(select(Package)).all()
        submissions = session.scalars(select(Submission)).all()
        intents = session.scalars(select(StorageIntent)).all()
    if point in BEFORE_COMMIT:
        assert packages == [] and submissions == []
    else:
        assert len(packages) == 1 and intents == []
    if point in ("mid-store", "after-store"):
        assert {i.location for i in intents} == {loc.name for loc in settings.locations}
        assert all(i.pid == process.pid for i in intents)
        assert any(stored_keys(settings).values()), "the crash came after storing, yet the stores are empty"

    code, problems, output = run_doctor(settings.home)
    assert_crash_cleaned(settings, point, problems, code)
    assert_clean_after_doctor(settings)
    with catalog(settings) as session:
        assert [r.status for r in session.scalars(select(IngestRun))] == ["interrupted"]
    assert_nothing_half_visible(settings)

    code, stdout, stderr = finish(ingest(settings.home, source))
    assert code == 0, stdout + stderr
    result = outcome_of(stdout)
    expected = "accepted" if point in BEFORE_COMMIT else "duplicate"
    assert result["outcome"] == expected, result
    assert_ingested_once(settings, result)
    assert_nothing_half_visible(settings)
    assert tree_state(source) == before
    assert_healthy(settings.home)


def test_zip_crash_after_unpack_leaves_quarantine_for_doctor(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    sip = build_sip_hoso(tmp_path / "build", 2)
    archive = zip_package(sip, tmp_path / "submission.zip")
    digest = helpers.sha256(archive)

    process = ingest(settings.home, archive, ARCHIVE_REPO_CRASH_AT="after-unpack")
    code, stdout, stderr = finish(process)
    assert code == -signal.SIGKILL, f"exit {code}\n{stdout}\n{stderr}"
    assert helpers.sha256(archive) == digest
    left = work_leftovers(settings)
    assert left == [settings.work_dir / "quarantine" / str(process.pid)]
    assert any(p.name == "METS.xml" for p in left[0].rglob("*")), "the ZIP was not unpacked in quarantine"
    assert_nothing_half_visible(settings)

    code, problems, output = run_doctor(settings.home)
    assert_crash_cleaned(settings, "after-unpack", problems, code)
    assert "doctor.work_removed" in {key for _fixed, key in problems}
    assert str(left[0]) in output
    assert_clean_after_doctor(settings)

    code, stdout, stderr = finish(ingest(settings.home, archive))
    assert code == 0, stdout + stderr
    result = outcome_of(stdout)
    assert result["outcome"] == "accepted", result
    assert_ingested_once(settings, result)
    assert work_leftovers(settings) == []
    assert helpers.sha256(archive) == digest
    assert_healthy(settings.home)


# --------------------------------------------------------------------------------------------------
# killed from outside, while storing a big submission


def _stored_something(settings: Settings) -> bool:
    return any(path.is_file() for location in settings.locations for path in location.path.rglob("*"))


def test_external_kill_while_storing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n_docs, size = 40, 2_000_000
    monkeypatch.setattr(helpers, "make_pdf", lambda lines: make_pdf(lines, padding_bytes=size))
    docs = {i: {"issuedDate": f"{10 + i % 17:02d}/12/2024"} for i in range(1, n_docs + 1)}
    sip = build_sip_hoso(tmp_path / "build", n_docs, docs=docs)
    assert sum(p.stat().st_size for p in sip.rglob("*.pdf")) >= n_docs * size * 0.9
    before = tree_state(sip)
    settings = make_repository(tmp_path / "repo")

    process = ingest(settings.home, sip)
    deadline = time.monotonic() + 30
    while not _stored_something(settings):
        assert process.poll() is None, f"the ingest ended before anything was stored: {finish(process)}"
        assert time.monotonic() < deadline, "nothing was stored within 30 s"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    code, stdout, stderr = finish(process)
    assert code == -signal.SIGKILL, (
        f"the ingest ended by itself (exit {code}) before the kill\n{stdout}{stderr}"
    )

    assert tree_state(sip) == before
    assert_nothing_half_visible(settings)
    with catalog(settings) as session:
        intents = session.scalars(select(StorageIntent)).all()
        committed = session.scalars(select(Package)).all()
    # Files were seen in a store, so the intents were committed first (or the package already was).
    assert intents or committed

    code, problems, output = run_doctor(settings.home)
    reported = {key for _fixed, key in problems}
    assert code == 0 and all(fixed for fixed, _key in problems), output
    assert reported <= CLEANING and "doctor.run_interrupted" in reported, output
    if intents:
        assert "doctor.orphans_removed" in reported, output
    assert_clean_after_doctor(settings)
    assert_nothing_half_visible(settings)

    code, stdout, stderr = finish(ingest(settings.home, sip), timeout=120)
    assert code == 0, stdout + stderr
    result = outcome_of(stdout)
    assert result["outcome"] == ("duplicate" if committed else "accepted"), result
    assert_ingested_once(settings, result)
    assert_nothing_half_visible(settings)
    assert_healthy(settings.home)
