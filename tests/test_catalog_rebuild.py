"""Rebuilding the catalog from the AIPs in storage (and the event logs beside them): what ingest recorded
comes back, damaged copies are passed over and said so, unreadable AIPs are reported, never a traceback;
and the PREMIS event-log format round-trips exactly."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive_repo.catalog.backup import BackupError
from archive_repo.catalog.db import default_url, engine_for
from archive_repo.catalog.event_log import (
    EventLogError,
    LoggedEvent,
    event_log_key,
    parse_event_log,
    read_event_log,
    render_event_log,
)
from archive_repo.catalog.models import File, Package, PremisEvent, SignatureCheck, StorageCopy, Submission
from archive_repo.catalog.rebuild import NOT_RECOVERED, RebuildSummary, rebuild_catalog
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import Settings
from archive_repo.i18n import message_keys
from archive_repo.packages.premis import PREMIS_NS, subset_errors
from archive_repo.storage.base import StorageError
from archive_repo.storage.local import LocalStore
from archive_repo.storage.registry import open_stores
from archive_repo.xmlsafe import parse_xml_bytes
from catalog_repo import LOCATIONS, catalog_state, copy_repository, folders, ingested_repository
from helpers import all_text, edit_xml, refresh_mets, run_cli
from pg import pg_url  # noqa: F401 - fixture

ICT = timezone(timedelta(hours=7))


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The ingested repository; tests that damage it work on a copy (``repository``)."""
    return ingested_repository(tmp_path_factory.mktemp("rebuild"))


@pytest.fixture
def repository(original: Settings, tmp_path: Path) -> Settings:
    return copy_repository(original, tmp_path / "copy")


def rebuild(settings: Settings, url: str) -> RebuildSummary:
    return rebuild_catalog(settings, list(open_stores(settings)), url)


def describe(summary: RebuildSummary) -> str:
    return "\n".join(f"{p.severity}: {p.render('en')}" for p in summary.problems) or "(no problems)"


def with_copy_status(state: dict[str, list[tuple]], changes: dict[tuple[str, str, str], str]) -> list[tuple]:
    """The original's copies, with the status of the (objid, path, location) in ``changes`` replaced."""
    return sorted(
        ((*row[:4], changes.get((row[0], row[1], row[2]), row[4]), *row[5:]) for row in state["copies"]),
        key=repr,
    )


def objid_of(folder: str) -> str:
    return folder.replace("_", ":", 2)


# --------------------------------------------------------------------------------------------------
# a full rebuild


def test_rebuild_restores_what_ingest_recorded(original: Settings, tmp_path: Path) -> None:
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(original, target)
    assert not summary.problems, describe(summary)
    before, after = catalog_state(original.catalog_url), catalog_state(target)
    # the fixture holds what the comparison must cover: a version chain, signatures, both variants
    assert {row[6] for row in before["packages"]} == {1, 2, 3}
    assert {row[8] for row in before["packages"]} == {"active", "superseded"}
    assert {row[4] for row in before["packages"]} == {"AIP_hoso", "AIP_tailieu"}
    assert before["signatures"] and any(row[4] for row in before["files"])  # PUIDs
    assert {row[2] for row in before["copies"]} == set(LOCATIONS)
    for table in before:
        assert after[table] == before[table], table
    assert summary.packages == len(before["packages"]) == summary.aips_found
    assert summary.files == len(before["files"]) and summary.events == len(before["events"])
    assert summary.copies == {"ok": len(before["copies"])}
    assert summary.not_recovered == NOT_RECOVERED


def test_what_the_aips_do_not_hold_is_absent_not_invented(original: Settings, tmp_path: Path) -> None:
    target = default_url(tmp_path / "rebuilt")
    rebuild(original, target)
    engine = engine_for(target)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0
        assert session.scalar(select(func.count()).where(Package.submission_id.is_not(None))) == 0
        checks = session.scalars(select(SignatureCheck)).all()
        assert checks and all(c.issuer is None and c.serial is None for c in checks)
        assert all(c.details["restored_from"] == "PREMIS signatureInformation" for c in checks)
        assert all(f.characteristics is None for f in session.scalars(select(File)))
        # a package is dated by its METS header (written just before ingest committed it), not by the rebuild
        rebuilt = {p.objid: p.created_at for p in session.scalars(select(Package))}
    engine.dispose()
    engine = engine_for(original.catalog_url)
    with Session(engine) as session:
        committed = {p.objid: p.created_at for p in session.scalars(select(Package))}
    assert rebuilt.keys() == committed.keys()
    assert all(committed[o] - timedelta(seconds=30) < rebuilt[o] <= committed[o] for o in rebuilt)
    engine.dispose()


def test_rebuild_into_postgresql(original: Settings, pg_url: str) -> None:  # noqa: F811
    summary = rebuild(original, pg_url)
    assert not summary.problems, describe(summary)
    assert catalog_state(pg_url) == catalog_state(original.catalog_url)


def test_a_non_empty_catalog_is_refused(original: Settings) -> None:
    before = catalog_state(original.catalog_url)
    with pytest.raises(BackupError) as refused:
        rebuild(original, original.catalog_url)
    assert refused.value.message_key == "backup.target_not_empty"
    assert "packages" in refused.value.message("en")
    assert catalog_state(original.catalog_url) == before


# --------------------------------------------------------------------------------------------------
# damaged storage


def test_mets_missing_in_one_location_is_read_from_the_other(repository: Settings, tmp_path: Path) -> None:
    folder = folders(repository)[0]
    a, b = repository.locations
    (a.path / folder / "METS.xml").unlink()
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(repository, target)
    assert not summary.errors, describe(summary)
    assert [(w.message.key, w.aip, w.location) for w in summary.warnings] == [
        ("backup.rebuild.copy_unreadable", folder, a.name)
    ]
    assert "METS.xml" in summary.warnings[0].render("en") and b.name in summary.warnings[0].render("en")
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert after["packages"] == before["packages"] and after["events"] == before["events"]
    assert after["copies"] == with_copy_status(before, {(objid_of(folder), "METS.xml", a.name): "missing"})


def test_damaged_metadata_in_one_location_marks_that_copy_corrupt(
    repository: Settings, tmp_path: Path
) -> None:
    folder = folders(repository)[1]
    a = repository.locations[0]
    premis = a.path / folder / "metadata/preservation/PREMIS.xml"
    data = premis.read_bytes()
    premis.write_bytes(data.replace(b"success", b"failure", 1))  # same size, other content
    assert premis.stat().st_size == len(data)
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(repository, target)
    assert not summary.errors, describe(summary)
    assert "metadata/preservation/PREMIS.xml" in summary.warnings[0].render("en")
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    path = "metadata/preservation/PREMIS.xml"
    assert after["copies"] == with_copy_status(before, {(objid_of(folder), path, a.name): "corrupt"})
    assert after["events"] == before["events"]


def test_a_data_file_missing_everywhere_is_restored_as_missing(repository: Settings, tmp_path: Path) -> None:
    folder = folders(repository)[2]
    data = sorted((repository.locations[0].path / folder / "representations/rep1/data").iterdir())[0]
    relative = data.relative_to(repository.locations[0].path / folder).as_posix()
    for location in repository.locations:
        (location.path / folder / relative).unlink()
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(repository, target)
    assert not summary.errors, describe(summary)
    assert [w.message.key for w in summary.warnings] == ["backup.rebuild.incomplete_everywhere"]
    assert relative in summary.warnings[0].render("vi")
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    changes = {(objid_of(folder), relative, name): "missing" for name in LOCATIONS}
    assert after["copies"] == with_copy_status(before, changes)
    assert after["files"] == before["files"]


def test_malformed_mets_everywhere_is_reported_and_the_others_restored(
    repository: Settings, tmp_path: Path
) -> None:
    broken = folders(repository)[0]
    for location in repository.locations:
        (location.path / broken / "METS.xml").write_bytes(
            b"<mets:mets xmlns:mets='http://www.loc.gov/METS/'><oops"
        )
    target = default_url(tmp_path / "rebuilt")
    result = run_cli("catalog", "rebuild", "-R", repository.home, "--db", target, "--lang", "en")
    text = all_text(result)
    assert result.returncode == 1, text
    assert "Traceback" not in text
    assert f"AIP {broken} was not restored" in text
    assert all(name in text for name in LOCATIONS) and "METS.xml" in text
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    restored = {row[0] for row in after["packages"]}
    assert restored == {row[0] for row in before["packages"]} - {objid_of(broken)}
    assert f"restored: {len(restored)}, not restored: 1" in text
    assert "{" not in text  # every placeholder filled, nested reasons included


def test_premis_without_event_identifier_everywhere_is_reported(repository: Settings, tmp_path: Path) -> None:
    """Well-formed XML, consistent checksums, but not what PREMIS must hold: reported, not a traceback."""
    broken = folders(repository)[1]
    for location in repository.locations:
        root = location.path / broken
        premis = root / "metadata/preservation/PREMIS.xml"
        edit_xml(
            premis,
            lambda tree: tree.find(f"{{{PREMIS_NS}}}event").remove(
                tree.find(f"{{{PREMIS_NS}}}event/{{{PREMIS_NS}}}eventIdentifier")
            ),
        )
        refresh_mets(root / "METS.xml", root)
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(repository, target)
    assert [(p.message.key, p.aip) for p in summary.errors] == [("backup.rebuild.aip_unreadable", broken)]
    assert "AttributeError" in summary.errors[0].render("en")
    assert "lỗi không lường trước" in summary.errors[0].render("vi") and "{" not in summary.errors[0].render(
        "vi"
    )
    assert summary.packages == len(folders(repository)) - 1


def test_a_location_without_the_aip_is_named(repository: Settings, tmp_path: Path) -> None:
    folder = folders(repository)[3]
    a = repository.locations[0]
    shutil.rmtree(a.path / folder)
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(repository, target)
    assert not summary.errors, describe(summary)
    assert [(w.message.key, w.aip, w.location) for w in summary.warnings] == [
        ("backup.rebuild.not_in_location", folder, a.name)
    ]
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert after["copies"] == sorted(
        (row for row in before["copies"] if not (row[0] == objid_of(folder) and row[2] == a.name)), key=repr
    )


def damage_mets_label(settings: Settings, location: int, folder: str) -> None:
    """Change METS.xml in one location so that it still parses (and still describes the AIP)."""
    mets = settings.locations[location].path / folder / "METS.xml"
    data = mets.read_bytes()
    assert data.count(b'LABEL="CSIP"') == 1
    mets.write_bytes(data.replace(b'LABEL="CSIP"', b'LABEL="CSIQ"'))


def test_a_damaged_but_parsable_mets_in_the_first_location_is_outvoted(
    repository: Settings, tmp_path: Path
) -> None:
    """Three locations, METS.xml damaged (still well-formed) in the first: the two others hold the
    original, the catalog gets its SHA-256, and only the damaged copy is corrupt."""
    folder = folders(repository)[0]
    objid = objid_of(folder)
    shutil.copytree(repository.locations[1].path, tmp_path / "c")
    damage_mets_label(repository, 0, folder)
    stores = [*open_stores(repository), LocalStore("local-3", tmp_path / "c")]
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild_catalog(repository, stores, target)
    assert not summary.errors, describe(summary)
    assert [(w.message.key, w.aip, w.location) for w in summary.warnings] == [
        ("backup.rebuild.copy_unreadable", folder, "local-1")
    ]
    assert "local-2, local-3" in summary.warnings[0].render("en")
    assert "corrupt" in summary.warnings[0].render("en") and "{" not in summary.warnings[0].render("vi")
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert after["files"] == before["files"]  # METS.xml with the original's SHA-256
    assert after["packages"] == before["packages"] and after["events"] == before["events"]
    original = [row for row in after["copies"] if row[2] != "local-3"]
    assert original == with_copy_status(before, {(objid, "METS.xml", "local-1"): "corrupt"})
    third = [row for row in after["copies"] if row[2] == "local-3"]
    assert [row[:2] + row[3:] for row in third] == [
        row[:2] + row[3:] for row in before["copies"] if row[2] == "local-2"
    ]


def test_two_parsable_mets_copies_that_disagree_are_reported_not_guessed(
    repository: Settings, tmp_path: Path
) -> None:
    """Two locations whose METS.xml differ, both well-formed, nothing recorded at ingest to tell which is
    the original: the AIP is not restored (a person decides), nothing of it is recorded, exit 1."""
    folder = folders(repository)[0]
    damage_mets_label(repository, 0, folder)
    target = default_url(tmp_path / "rebuilt")
    result = run_cli("catalog", "rebuild", "-R", repository.home, "--db", target, "--format", "json")
    assert result.returncode == 1, all_text(result)
    import json

    report = json.loads(result.stdout)
    assert [(p["key"], p["severity"], p["aip"]) for p in report["problems"]] == [
        ("backup.rebuild.mets_disagree", "error", folder)
    ]
    message = report["problems"][0]["message"]
    good = hashlib.sha256((repository.locations[1].path / folder / "METS.xml").read_bytes()).hexdigest()
    bad = hashlib.sha256((repository.locations[0].path / folder / "METS.xml").read_bytes()).hexdigest()
    assert f"local-1: {bad}" in message and f"local-2: {good}" in message and "{" not in message
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert objid_of(folder) not in {row[0] for row in after["packages"]}
    assert not [row for row in after["copies"] if row[0] == objid_of(folder)]
    for table in ("packages", "files", "copies"):
        assert after[table] == [row for row in before[table] if row[0] != objid_of(folder)], table
    assert report["packages"] == report["aips_found"] - 1


class FailingStore(LocalStore):
    """A local location that answers listings but fails every read with ``error`` (under ``only``, if
    given), counting the reads it was asked for."""

    def __init__(self, name: str, root: Path, error: str, only: str | None = None) -> None:
        super().__init__(name, root)
        self.error, self.only, self.asked = error, only, 0

    def _fail(self, key: str) -> None:
        if self.only is None or key.startswith(self.only + "/"):
            self.asked += 1
            detail = "connection refused"
            raise StorageError(self.error, location=self.name, key=key, code="500", detail=detail)

    def stat(self, key: str, version_id: str | None = None) -> int | None:
        self._fail(key)
        return super().stat(key, version_id)

    def open(self, key: str, version_id: str | None = None):  # noqa: ANN201
        self._fail(key)
        return super().open(key, version_id)

    def digest(self, key: str, version_id: str | None = None):  # noqa: ANN201
        self._fail(key)
        return super().digest(key, version_id)


def test_a_location_that_cannot_be_read_gets_no_copies_and_one_warning(
    repository: Settings, tmp_path: Path
) -> None:
    """A location that answers the listing then cannot be read (down): not taken for a location where
    every copy is missing; said once, and not asked again."""
    a, b = repository.locations
    down = FailingStore(b.name, b.path, "storage.unreachable")
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild_catalog(repository, [LocalStore(a.name, a.path), down], target)
    assert not summary.errors, describe(summary)
    assert [(w.message.key, w.aip, w.location) for w in summary.warnings] == [
        ("backup.rebuild.location_unreadable", None, b.name)
    ]
    text = summary.warnings[0].render("en")
    assert "connection refused" in text and f"for {len(folders(repository))} AIP(s)" in text
    assert "{" not in summary.warnings[0].render("vi")
    assert down.asked == 1  # marked down at the first failure
    assert summary.unreadable == {b.name: sorted(folders(repository))}
    assert summary.copies == {"ok": summary.files}  # no "missing" copies made up for local-2
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert after["copies"] == [row for row in before["copies"] if row[2] == a.name]
    assert after["packages"] == before["packages"] and after["files"] == before["files"]


def test_a_read_error_on_one_aip_leaves_only_that_aips_copies_unrecorded(
    repository: Settings, tmp_path: Path
) -> None:
    """A read error that is not the location's as a whole (a server error): that AIP gets no copies in
    that location, the other AIPs are read there as usual."""
    a, b = repository.locations
    folder = folders(repository)[2]
    failing = FailingStore(b.name, b.path, "storage.s3_error", only=folder)
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild_catalog(repository, [LocalStore(a.name, a.path), failing], target)
    assert not summary.errors, describe(summary)
    assert [(w.message.key, w.location) for w in summary.warnings] == [
        ("backup.rebuild.location_unreadable", b.name)
    ]
    assert folder in summary.warnings[0].render("en") and "for 1 AIP(s)" in summary.warnings[0].render("en")
    assert summary.unreadable == {b.name: [folder]}
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert after["copies"] == [
        row for row in before["copies"] if not (row[0] == objid_of(folder) and row[2] == b.name)
    ]


def test_the_metadata_read_is_compared_in_every_location(repository: Settings, tmp_path: Path) -> None:
    """The EAD and PREMIS files are hashed in every location, not only where the AIP was read from: a
    same-size damage in the second location is found although the first one was complete."""
    folder = folders(repository)[1]
    b = repository.locations[1]
    path = "metadata/preservation/PREMIS.xml"
    premis = b.path / folder / path
    data = premis.read_bytes()
    premis.write_bytes(data.replace(b"success", b"failure", 1))
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(repository, target)
    assert not summary.problems, describe(summary)  # read from local-1, complete and intact
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert after["copies"] == with_copy_status(before, {(objid_of(folder), path, b.name): "corrupt"})


# --------------------------------------------------------------------------------------------------
# event logs written after ingest


def logged(
    path: str | None, when: datetime, outcome: str = "success", location: str | None = "local-1", **kw: object
) -> LoggedEvent:
    values: dict[str, object] = {
        "identifier": str(uuid.uuid4()),
        "type": "fixity check",
        "occurred_at": when,
        "outcome": outcome,
        "detail": f"SHA-256 compared at {location}",
        "file_path": path,
        "agent_identifier": "archive-repo/fixity",
        "agent_name": "archive-repo fixity audit",
        "agent_type": "software",
        "agent_version": "0.1.0",
        "location": location,
    }
    values.update(kw)
    return LoggedEvent(**values)  # type: ignore[arg-type]


def test_logged_events_are_restored_once_and_date_the_copies(repository: Settings, tmp_path: Path) -> None:
    folder = folders(repository)[0]
    objid = objid_of(folder)
    data = (
        "representations/rep1/data/"
        + sorted(
            p.name for p in (repository.locations[0].path / folder / "representations/rep1/data").iterdir()
        )[0]
    )
    checked = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    events = [
        logged(data, checked),  # local-1's copy verified
        logged("METS.xml", checked, "failure", "local-2"),  # local-2's METS.xml found damaged
        logged(None, checked + timedelta(minutes=1), location=None, type="replication", detail=None),
        logged(data, checked, agent_identifier="", agent_name="", agent_type="", agent_version=None),
    ]
    log = render_event_log(objid, events)
    for location in repository.locations:  # the same log in both locations: restored once
        (location.path / event_log_key(folder, "audit-1")).parent.mkdir(parents=True, exist_ok=True)
        (location.path / event_log_key(folder, "audit-1")).write_bytes(log)
    target = default_url(tmp_path / "rebuilt")
    summary = rebuild(repository, target)
    assert not summary.problems, describe(summary)  # `_events/` is not taken for an AIP folder
    assert summary.logged_events == len(events)
    before, after = catalog_state(repository.catalog_url), catalog_state(target)
    assert set(after["events"]) - set(before["events"]) == {
        (
            objid,
            e.identifier,
            e.type,
            e.occurred_at,
            e.outcome,
            e.detail,
            e.file_path,
            e.agent_identifier or None,
        )
        for e in events
    }
    assert ("archive-repo/fixity", "archive-repo fixity audit", "software", "0.1.0") in after["agents"]
    assert after["copies"] == with_copy_status(before, {(objid, "METS.xml", "local-2"): "corrupt"})
    engine = engine_for(target)
    with Session(engine) as session:
        copy = session.scalars(
            select(StorageCopy)
            .join(File)
            .join(Package)
            .where(Package.objid == objid, File.path == data, StorageCopy.location == "local-1")
        ).one()
        assert copy.verified_at == checked
        other = session.scalars(
            select(StorageCopy)
            .join(File)
            .join(Package)
            .where(Package.objid == objid, File.path == data, StorageCopy.location == "local-2")
        ).one()
        assert other.verified_at is not None and other.verified_at < checked  # the ingest's check
        unknown_agent = session.scalars(
            select(PremisEvent).where(PremisEvent.identifier == events[3].identifier)
        ).one()
        assert unknown_agent.agent_id is None
    engine.dispose()


def test_an_unreadable_event_log_is_an_error_but_the_aip_is_restored(
    repository: Settings, tmp_path: Path
) -> None:
    folder = folders(repository)[0]
    key = event_log_key(folder, "broken")
    path = repository.locations[1].path / key
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<premis:premis xmlns:premis='http://www.loc.gov/premis/v3'>")
    orphan = repository.locations[0].path / event_log_key("urn_G09_uuid-gone", "audit")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(render_event_log("urn:G09:uuid-gone", [logged(None, datetime.now(UTC))]))
    target = default_url(tmp_path / "rebuilt")
    result = run_cli("catalog", "rebuild", "-R", repository.home, "--db", target, "--format", "json")
    assert result.returncode == 1, all_text(result)
    import json

    report = json.loads(result.stdout)
    keys = {(p["key"], p["severity"], p["aip"], p["location"]) for p in report["problems"]}
    assert keys == {
        ("backup.rebuild.event_log_unreadable", "error", folder, "local-2"),
        ("backup.rebuild.orphan_event_logs", "warning", "urn_G09_uuid-gone", "local-1"),
    }
    assert report["packages"] == report["aips_found"] == len(folders(repository))
    assert not any("{" in p["message"] for p in report["problems"])  # every placeholder filled
    assert key in next(p["message"] for p in report["problems"] if p["severity"] == "error")


# --------------------------------------------------------------------------------------------------
# the command in both languages


def test_rebuild_command_in_vietnamese_and_english(original: Settings, tmp_path: Path) -> None:
    vi = run_cli("catalog", "rebuild", "-R", original.home, "--db", default_url(tmp_path / "vi"))
    en = run_cli(
        "catalog", "rebuild", "-R", original.home, "--db", default_url(tmp_path / "en"), "--lang", "en"
    )
    assert vi.returncode == en.returncode == 0, all_text(vi) + all_text(en)
    count = len(folders(original))
    assert f"Gói AIP tìm thấy: {count}, đã khôi phục: {count}" in vi.stdout
    assert "Không khôi phục được từ các gói AIP" in vi.stdout and "Gói tin nộp lưu" in vi.stdout
    assert f"AIPs found: {count}, restored: {count}" in en.stdout
    assert "Not recoverable from the AIPs" in en.stdout and "Submissions" in en.stdout
    again = run_cli("catalog", "rebuild", "-R", original.home, "--db", default_url(tmp_path / "en"))
    assert again.returncode == 2 and "không trống" in all_text(again) and "Traceback" not in all_text(again)


def test_every_message_exists_in_both_languages() -> None:
    vi = {k for k in message_keys("vi") if k.startswith("backup.")}
    en = {k for k in message_keys("en") if k.startswith("backup.")}
    assert vi == en and len(vi) > 40
    assert {f"backup.not_recovered.{key}" for key in NOT_RECOVERED} <= vi


def test_the_group_is_registered() -> None:
    assert guarded(cli, ["catalog", "--help"]) == 0


# --------------------------------------------------------------------------------------------------
# the event-log format


def sample_events() -> list[LoggedEvent]:
    when = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    return [
        logged("representations/rep1/data/a b.pdf", when, detail=" spaces kept\r\nand line breaks \t"),
        logged(None, when, "failure", None, identifier="local-id-1", detail=None, type="migration"),
        logged("METS.xml", when, detail="", location="", type="a type outside the vocabulary"),
        logged(
            None, when, location=None, agent_identifier="", agent_name="", agent_type="", agent_version=None
        ),
        logged(
            None,
            when,
            agent_identifier="archive/LTLSHG",
            agent_name="LTLSHG",
            agent_type="organization",
            agent_version=None,
        ),
    ]


def test_event_log_round_trips_exactly() -> None:
    events = sample_events()
    data = render_event_log("urn:G09:uuid-1", events)
    assert parse_event_log(data) == events
    assert read_event_log(data).objid == "urn:G09:uuid-1"
    assert render_event_log("urn:G09:uuid-1", parse_event_log(data)) == data
    assert parse_event_log(render_event_log("urn:G09:uuid-1", [])) == []


def test_event_log_is_premis_3() -> None:
    events = sample_events()
    root = parse_xml_bytes(render_event_log("urn:G09:uuid-1", events)).getroot()
    ns = {"premis": PREMIS_NS}
    assert root.tag == f"{{{PREMIS_NS}}}premis" and root.get("version") == "3.0"
    assert root.xpath(
        "premis:object/premis:objectIdentifier/premis:objectIdentifierValue/text()", namespaces=ns
    ) == ["urn:G09:uuid-1"]
    assert len(root.xpath("premis:event", namespaces=ns)) == len(events)
    kinds = root.xpath("premis:event/premis:eventIdentifier/premis:eventIdentifierType/text()", namespaces=ns)
    assert kinds == ["UUID", "local", "UUID", "UUID", "UUID"]
    linked = root.xpath(
        "premis:event/premis:linkingObjectIdentifier/premis:linkingObjectIdentifierValue/text()",
        namespaces=ns,
    )
    assert linked[0] == "urn:G09:uuid-1/representations/rep1/data/a b.pdf" and linked[1] == "urn:G09:uuid-1"
    assert sorted(
        root.xpath("premis:agent/premis:agentIdentifier/premis:agentIdentifierValue/text()", namespaces=ns)
    ) == ["archive-repo/fixity", "archive/LTLSHG"]
    assert root.xpath("premis:event[1]/premis:eventType/@valueURI", namespaces=ns) == [
        "http://id.loc.gov/vocabulary/preservation/eventType/fix"
    ]
    # without storage locations (written as an eventDetailExtension, which full PREMIS 3 allows), a log
    # is also valid against the project's PREMIS subset schema
    plain = [dataclasses.replace(e, location=None, detail=e.detail or None) for e in events]
    assert subset_errors(parse_xml_bytes(render_event_log("urn:G09:uuid-1", plain))) == []
    # times are written in UTC, whatever zone they were given in
    local = logged(None, datetime(2031, 5, 6, 14, 8, 9, tzinfo=ICT))
    (back,) = parse_event_log(render_event_log("urn:G09:uuid-1", [local]))
    assert back == local and back.occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "change",
    [
        {"occurred_at": datetime(2031, 1, 1)},  # naive: its zone is unknown
        {"identifier": ""},
        {"agent_name": ""},
        {"agent_identifier": "", "agent_name": "x"},
        {"detail": "a control character \x01"},
    ],
)
def test_event_log_refuses_what_it_could_not_read_back(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_event_log("urn:G09:uuid-1", [logged(None, datetime.now(UTC), **change)])


def test_one_agent_described_two_ways_is_refused() -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValueError):
        render_event_log("urn:G09:uuid-1", [logged(None, now), logged(None, now, agent_version="9")])


@pytest.mark.parametrize(
    "data",
    [
        b"not xml",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'boom'>]><x>&e;</x>",
        b"<premis xmlns='urn:other'/>",
        b"<premis:premis xmlns:premis='http://www.loc.gov/premis/v3'/>",  # no OBJID
    ],
)
def test_unreadable_event_logs_raise_a_typed_error(data: bytes) -> None:
    with pytest.raises(EventLogError) as raised:
        parse_event_log(data)
    assert raised.value.message_key == "backup.event_log_invalid"


def test_an_event_about_another_aip_is_refused() -> None:
    data = render_event_log("urn:G09:uuid-1", [logged("METS.xml", datetime.now(UTC))])
    with pytest.raises(EventLogError):
        parse_event_log(data.replace(b"urn:G09:uuid-1/METS.xml", b"urn:G09:uuid-2/METS.xml"))


def test_event_log_keys() -> None:
    assert event_log_key("urn_G09_uuid-1", "audit-7") == "_events/urn_G09_uuid-1/audit-7.xml"
    assert event_log_key("urn_G09_uuid-1", "audit-7.xml") == "_events/urn_G09_uuid-1/audit-7.xml"
    for folder, name in (("a/b", "x"), ("_events", "x"), ("urn_G09_uuid-1", "../x"), ("urn_G09_uuid-1", "")):
        with pytest.raises(ValueError):
            event_log_key(folder, name)
