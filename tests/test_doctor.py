"""``archive-repo doctor``: what it reports, what it cleans, and what it must leave alone.

Most tests start from a copy of one repository (two storage locations, one ingested dossier), change
one thing, and run the command as a user would (a subprocess).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from archive_repo.catalog.models import File, IngestRun, Package, StorageCopy, StorageIntent, Submission
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import Settings, load_settings
from archive_repo.i18n import translate
from archive_repo.ingest.handover import receipt_paths
from archive_repo.storage.local import INCOMING
from helpers import (
    EXAMPLES,
    NO_VIRUS_SCAN,
    all_text,
    allow_unsigned_documents,
    catalog,
    run_cli,
    tree_state,
    trust_examples,
)

EXAMPLE_SIP = EXAMPLES / "submissions" / "uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6"
OTHER_SIP = EXAMPLES / "submissions" / "uuid-7A6B5C4D-3E2F-4109-8A7B-6C5D4E3F2A1B"  # another dossier
SCRUBBED = ("ARCHIVE_REPO_CRASH_AT", "ARCHIVE_REPO_DB", "ARCHIVE_REPO_HOME", "ARCHIVE_REPO_WORKERS")
FIXED = translate("doctor.fixed", "en")
ATTENTION = translate("doctor.attention", "en")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)


def make_repository(folder: Path, *stores: str) -> Settings:
    args = ["init", "-R", str(folder), "--archive-code", "LTLSHG", *NO_VIRUS_SCAN]
    for store in stores:
        args += ["--store", store]
    assert guarded(cli, args) == 0
    allow_unsigned_documents(folder)
    trust_examples(folder)
    return load_settings(folder)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with two locations and one accepted dossier (made once, copied by each test)."""
    folder = tmp_path_factory.mktemp("doctor") / "repo"
    with pytest.MonkeyPatch.context() as patch:
        for name in SCRUBBED:
            patch.delenv(name, raising=False)
        make_repository(folder, "a", "b")
        result = run_cli(
            "ingest", "-R", folder, EXAMPLE_SIP, "--workers", "1", "--no-progress", "--lang", "en"
        )
    assert result.returncode == 0, all_text(result)
    return folder


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Settings:
    folder = tmp_path / "repo"
    shutil.copytree(template, folder)
    settings = load_settings(folder)
    with catalog(settings) as session:
        assert len(session.scalars(select(Package)).all()) == 1
    return settings


def doctor(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return run_cli("doctor", "-R", settings.home, *args)


def line(mark: str, key: str, /, **params: object) -> str:
    return f"{mark} {translate(key, 'en', **params)}"


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)
    return process.pid


def the_package(settings: Settings) -> Package:
    with catalog(settings) as session:
        return session.scalars(select(Package)).one()


# --------------------------------------------------------------------------------------------------


def test_healthy_repository(repo: Settings) -> None:
    result = doctor(repo)
    assert (result.returncode, result.stdout) == (0, translate("doctor.healthy", "vi") + "\n"), all_text(
        result
    )
    result = doctor(repo, "--lang", "en")
    assert (result.returncode, result.stdout) == (0, translate("doctor.healthy", "en") + "\n"), all_text(
        result
    )
    assert translate("doctor.healthy", "en") != translate("doctor.healthy", "vi")


def test_single_location_needs_attention(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    assert len(settings.locations) == 1
    result = doctor(settings, "--lang", "en")
    assert result.returncode == 1, all_text(result)
    assert result.stdout.splitlines() == [line(ATTENTION, "doctor.one_location")]


def test_unknown_folder_in_storage_is_reported_not_deleted(repo: Settings) -> None:
    stray = repo.locations[0].path / "urn_X_uuid-STRAY"
    (stray / "data").mkdir(parents=True)
    (stray / "data" / "letter.pdf").write_bytes(b"%PDF-1.4 kept")
    before = tree_state(repo.locations[0].path)
    for _ in range(2):  # reported every time: never "fixed"
        result = doctor(repo, "--lang", "en")
        assert result.returncode == 1, all_text(result)
        expected = line(
            ATTENTION, "doctor.unknown_in_storage", location=repo.locations[0].name, prefix=stray.name
        )
        assert result.stdout.splitlines() == [expected], all_text(result)
    assert tree_state(repo.locations[0].path) == before


def catalog_rows(settings: Settings) -> dict[str, list[tuple]]:
    with catalog(settings) as session:
        return {
            "runs": [(r.id, r.status, r.pid) for r in session.scalars(select(IngestRun))],
            "intents": [
                (i.objid, i.location, i.prefix, i.pid) for i in session.scalars(select(StorageIntent))
            ],
            "packages": [(p.objid, p.status) for p in session.scalars(select(Package))],
            "submissions": [(s.digest, s.status) for s in session.scalars(select(Submission))],
        }


def repository_files(settings: Settings) -> dict[str, str]:
    """Everything in the repository folder except the catalog database file itself (compared by rows)."""
    return {k: v for k, v in tree_state(settings.home).items() if not k.startswith("catalog.sqlite")}


def test_dry_run_reports_but_changes_nothing(repo: Settings, tmp_path: Path) -> None:
    # A real crash after storing another dossier: a running run, intents with their objects in both
    # stores, the staging folder left behind.
    source = tmp_path / "submission"
    shutil.copytree(OTHER_SIP, source)
    crashed = run_cli(
        "ingest",
        "-R",
        repo.home,
        source,
        "--workers",
        "1",
        "--no-progress",
        env={"ARCHIVE_REPO_CRASH_AT": "after-store"},
    )
    assert crashed.returncode == -9, all_text(crashed)
    rows, files = catalog_rows(repo), repository_files(repo)
    assert rows["intents"] and any(status == "running" for _id, status, _pid in rows["runs"])

    result = doctor(repo, "--dry-run", "--lang", "en")
    assert result.returncode == 1, all_text(result)
    lines = result.stdout.splitlines()
    assert lines and all(text.startswith(ATTENTION) for text in lines), all_text(result)
    prefixes = [
        translate(key, "en").split("{")[0] for key in ("doctor.run_interrupted", "doctor.work_removed")
    ]
    for prefix in prefixes:
        assert any(prefix in text for text in lines), all_text(result)
    roots = {loc.name: loc.path for loc in repo.locations}
    for objid, location, prefix, _pid in rows["intents"]:  # found and counted, nothing removed
        count = sum(1 for path in (roots[location] / prefix).rglob("*") if path.is_file())
        assert count > 0
        assert line(ATTENTION, "doctor.orphans_found", objid=objid, location=location, count=count) in lines
    assert catalog_rows(repo) == rows
    assert repository_files(repo) == files

    # The same state really needed cleaning.
    result = doctor(repo, "--lang", "en")
    assert result.returncode == 0, all_text(result)
    after = catalog_rows(repo)
    assert after["intents"] == [] and all(status != "running" for _id, status, _pid in after["runs"])
    assert repository_files(repo) != files


def test_missing_handover_pdf_is_written_again(repo: Settings) -> None:
    with catalog(repo) as session:
        submission = session.scalars(select(Submission)).one()
        json_path, pdf_path = receipt_paths(repo, submission)
    assert pdf_path.is_file() and json_path.is_file()
    record = json_path.read_text(encoding="utf-8")
    pdf_path.unlink()

    result = doctor(repo, "--lang", "en")
    assert result.returncode == 0, all_text(result)
    assert result.stdout.splitlines() == [line(FIXED, "doctor.receipt_written", path=pdf_path)]
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    assert json_path.read_text(encoding="utf-8") == record
    assert doctor(repo, "--lang", "en").stdout == translate("doctor.healthy", "en") + "\n"


def add_intent(settings: Settings, objid: str, pid: int, host: str) -> list[Path]:
    """An intent per location, as an ingest commits it before storing, and one stored object under each."""
    folder = objid.replace(":", "_")
    stored = []
    with catalog(settings) as session, session.begin():
        for location in settings.locations:
            session.add(
                StorageIntent(objid=objid, location=location.name, prefix=folder + "/", host=host, pid=pid)
            )
            path = location.path / folder / "METS.xml"
            path.parent.mkdir(parents=True)
            path.write_bytes(b"<mets/>")
            stored.append(path)
    return stored


def intents(settings: Settings) -> list[tuple[str, str]]:
    with catalog(settings) as session:
        return [(i.objid, i.location) for i in session.scalars(select(StorageIntent))]


def test_intent_of_a_live_process_is_not_cleaned(repo: Settings) -> None:
    objid = "urn:G09:uuid-11111111-2222-4333-8444-555555555555"
    stored = add_intent(repo, objid, os.getpid(), socket.gethostname())
    before = intents(repo)

    result = doctor(repo, "--lang", "en")
    assert result.returncode == 0, all_text(result)
    assert result.stdout == translate("doctor.healthy", "en") + "\n"  # pending: not an unknown folder either
    assert intents(repo) == before
    assert all(path.read_bytes() == b"<mets/>" for path in stored)


def test_intent_of_another_host_is_not_cleaned(repo: Settings) -> None:
    objid = "urn:G09:uuid-11111111-2222-4333-8444-666666666666"
    stored = add_intent(repo, objid, dead_pid(), "another-host.invalid")
    before = intents(repo)

    doctor(repo, "--lang", "en")
    assert intents(repo) == before
    assert all(path.is_file() for path in stored)


def test_intent_of_a_dead_process_is_cleaned(repo: Settings) -> None:
    objid = "urn:G09:uuid-11111111-2222-4333-8444-777777777777"
    stored = add_intent(repo, objid, dead_pid(), socket.gethostname())

    result = doctor(repo, "--lang", "en")
    assert result.returncode == 0, all_text(result)
    assert result.stdout.splitlines() == [
        line(FIXED, "doctor.orphans_removed", objid=objid, location=location.name, count=1)
        for location in repo.locations
    ]
    assert intents(repo) == []
    assert not any(path.exists() or path.parent.exists() for path in stored)
    assert (repo.locations[0].path / the_package(repo).objid.replace(":", "_") / "METS.xml").is_file()


def add_run(settings: Settings, pid: int) -> int:
    with catalog(settings) as session, session.begin():
        run = IngestRun(operator="test", host=socket.gethostname(), pid=pid, status="running")
        session.add(run)
        session.flush()
        return run.id


def run_status(settings: Settings, run_id: int) -> str:
    with catalog(settings) as session:
        return session.get_one(IngestRun, run_id).status


def test_temporary_files_of_a_running_ingest_are_kept(repo: Settings) -> None:
    run_id = add_run(repo, os.getpid())
    temporary = repo.locations[0].path / INCOMING / "0123456789abcdef"
    temporary.write_bytes(b"half")

    result = doctor(repo, "--lang", "en")
    assert result.returncode == 0, all_text(result)
    assert temporary.read_bytes() == b"half"
    assert run_status(repo, run_id) == "running"


def test_temporary_files_are_removed_when_no_ingest_runs(repo: Settings) -> None:
    run_id = add_run(repo, dead_pid())
    temporary = repo.locations[1].path / INCOMING / "0123456789abcdef"
    temporary.write_bytes(b"half")

    result = doctor(repo, "--lang", "en")
    assert result.returncode == 0, all_text(result)
    assert not temporary.exists()
    assert run_status(repo, run_id) == "interrupted"
    expected = line(
        FIXED, "doctor.temporary_removed", location=repo.locations[1].name, key=f"{INCOMING}/{temporary.name}"
    )
    assert expected in result.stdout.splitlines(), all_text(result)


@pytest.mark.parametrize("damage", ["row deleted", "status missing"])
def test_missing_copy_in_the_catalog_is_reported(repo: Settings, damage: str) -> None:
    with catalog(repo) as session, session.begin():
        copy = session.scalars(
            select(StorageCopy)
            .join(File)
            .where(StorageCopy.location == repo.locations[1].name)
            .order_by(File.path)
        ).first()
        assert copy is not None
        if damage == "row deleted":
            session.delete(copy)
        else:
            copy.status = "missing"
    objid = the_package(repo).objid

    result = doctor(repo, "--lang", "en")
    assert result.returncode == 1, all_text(result)
    wanted = len(repo.locations)
    assert result.stdout.splitlines() == [
        line(ATTENTION, "doctor.missing_copies", objid=objid, files=1, wanted=wanted)
    ]


def test_copy_file_deleted_from_a_store_is_reported(repo: Settings) -> None:
    package = the_package(repo)
    folder = repo.locations[1].path / package.objid.replace(":", "_")
    victim = folder / "METS.xml"
    assert victim.is_file()
    victim.unlink()

    result = doctor(repo, "--lang", "en")
    assert result.returncode == 1, all_text(result)
    assert line(ATTENTION, "doctor.missing_copies", objid=package.objid, files=1, wanted=2) in result.stdout
