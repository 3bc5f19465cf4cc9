"""Ingest, audit and repair on two independent SeaweedFS servers (real S3, on loopback).

``s3-a`` is an object-locked bucket (WORM, versioned) on the first server, ``s3-b`` a plain bucket on
the second. Locations are added with ``storage add-location`` (credentials from environment variables)
after the default local location is removed, so the repository holds its AIPs in S3 only.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from archive_repo.catalog.models import File, Package, PremisEvent, StorageCopy
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from archive_repo.storage.base import ObjectLockedError
from archive_repo.storage.registry import open_stores
from helpers import EXAMPLES, NO_VIRUS_SCAN, catalog, trust_examples

HELD = EXAMPLES / "submissions" / "uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, seaweed_pair) -> None:  # noqa: ANN001
    monkeypatch.delenv("ARCHIVE_REPO_LANG", raising=False)
    monkeypatch.delenv("ARCHIVE_REPO_DB", raising=False)
    for index, server in enumerate(seaweed_pair):
        monkeypatch.setenv(f"TEST_S3_{index}_ACCESS", server.access_key)
        monkeypatch.setenv(f"TEST_S3_{index}_SECRET", server.secret_key)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    capsys.readouterr()
    code = guarded(cli, [str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def add_s3(capsys, home: Path, name: str, server, bucket: str, index: int, lock: str) -> None:  # noqa: ANN001
    code, out = run(
        capsys,
        "storage",
        "add-location",
        name,
        "-R",
        home,
        "--s3-endpoint",
        server.endpoint,
        "--bucket",
        bucket,
        "--access-key-env",
        f"TEST_S3_{index}_ACCESS",
        "--secret-key-env",
        f"TEST_S3_{index}_SECRET",
        "--object-lock",
        lock,
        "--create-bucket",
    )
    assert code == 0, out


@pytest.fixture
def repo(tmp_path: Path, seaweed_pair, bucket: str, capsys: pytest.CaptureFixture[str]) -> Path:  # noqa: ANN001
    home = tmp_path / "kho"
    assert guarded(cli, ["init", "-R", str(home), "--archive-code", "LTLSHG", *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    add_s3(capsys, home, "s3-a", seaweed_pair[0], bucket + "-a", 0, "compliance")
    add_s3(capsys, home, "s3-b", seaweed_pair[1], bucket + "-b", 1, "off")
    assert run(capsys, "storage", "remove-location", "local-1", "-R", home)[0] == 0
    config = home / "archive-repo.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("copies = 1", "copies = 2"), encoding="utf-8"
    )
    code, out = run(capsys, "ingest", "-R", home, HELD, "--no-progress")
    assert code == 0, out
    assert not [p for p in (home / "store").rglob("*") if p.is_file()]  # the removed location got nothing
    return home


def audit(capsys: pytest.CaptureFixture[str], home: Path, *more: str) -> tuple[int, dict]:
    code, out = run(capsys, "fixity", "audit", "-R", home, "--all", "--format", "json", *more)
    return code, json.loads(out)


def a_data_copy(home: Path, location: str) -> StorageCopy:
    with catalog(load_settings(home)) as session:
        query = (
            select(StorageCopy)
            .join(File)
            .where(StorageCopy.location == location, File.path.like("%.pdf"))
            .order_by(StorageCopy.id)
        )
        return session.scalars(query).first()


def test_ingest_writes_both_replicas_locked_where_the_bucket_allows(repo: Path) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        copies = session.scalars(select(StorageCopy)).all()
        files = session.scalars(select(File)).all()
    by_location = {name: [c for c in copies if c.location == name] for name in ("s3-a", "s3-b")}
    assert len(by_location["s3-a"]) == len(by_location["s3-b"]) == len(files) > 0
    assert all(c.version_id and c.retain_until for c in by_location["s3-a"])
    assert all(c.retain_until is None for c in by_location["s3-b"])
    stores = {store.name: store for store in open_stores(settings)}
    assert stores["s3-a"].supports_object_lock() and not stores["s3-b"].supports_object_lock()
    locked = by_location["s3-a"][0]
    with pytest.raises(ObjectLockedError):
        stores["s3-a"].delete(locked.key)
    sizes = {f.id: f.size for f in files}
    assert stores["s3-a"].stat(locked.key) == sizes[locked.file_id]


def test_audit_repairs_a_corrupted_and_a_missing_replica(
    repo: Path,
    seaweed_pair,
    capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    settings = load_settings(repo)
    stores = {store.name: store for store in open_stores(settings)}
    damaged = a_data_copy(repo, "s3-b")
    bucket_b = next(loc.s3.bucket for loc in settings.locations if loc.name == "s3-b")
    client = seaweed_pair[1].client()
    original = client.get_object(Bucket=bucket_b, Key=damaged.key)["Body"].read()
    client.put_object(Bucket=bucket_b, Key=damaged.key, Body=original[:-1] + bytes([original[-1] ^ 1]))
    with catalog(settings) as session:
        gone = session.scalars(
            select(StorageCopy).where(StorageCopy.location == "s3-b", StorageCopy.id != damaged.id)
        ).first()
    client.delete_object(Bucket=bucket_b, Key=gone.key)

    code, record = audit(capsys, repo)

    assert code == 0, record
    assert (record["failed"], record["repaired"]) == (2, 2)
    assert {(i["kind"], i["source_location"]) for i in record["incidents"]} == {
        ("corrupt", "s3-a"),
        ("missing", "s3-a"),
    }
    assert client.get_object(Bucket=bucket_b, Key=damaged.key)["Body"].read() == original
    assert stores["s3-b"].stat(gone.key) is not None
    assert audit(capsys, repo)[1]["failed"] == 0


def test_a_version_written_over_a_locked_copy_does_not_fool_the_audit(
    repo: Path,
    seaweed_pair,
    capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    settings = load_settings(repo)
    copy = a_data_copy(repo, "s3-a")
    bucket_a = next(loc.s3.bucket for loc in settings.locations if loc.name == "s3-a")
    seaweed_pair[0].client().put_object(Bucket=bucket_a, Key=copy.key, Body=b"forged")
    code, record = audit(capsys, repo)
    assert code == 0 and record["failed"] == 0  # the audit reads the version ingest wrote, still intact


def test_a_replica_down_is_reported_unreachable_not_verified(
    repo: Path,
    seaweed_pair,
    capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    config = repo / "archive-repo.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("max_attempts = 5", "max_attempts = 1").replace(
            "connect_timeout = 10", "connect_timeout = 2"
        ),
        encoding="utf-8",
    )
    with catalog(load_settings(repo)) as session:
        before = {
            c.id: c.verified_at
            for c in session.scalars(select(StorageCopy).where(StorageCopy.location == "s3-b"))
        }
    seaweed_pair[1].stop()
    try:
        code, record = audit(capsys, repo)
    finally:
        seaweed_pair[1].start()
    assert code == 1
    assert "s3-b" in record["locations_down"]
    assert record["locations"]["s3-b"]["unreachable"] == len(before)
    assert record["locations"]["s3-a"]["ok"] == len(before)
    assert record["incidents"] == [] and record["repaired"] == 0
    with catalog(load_settings(repo)) as session:
        after = {
            c.id: c.verified_at
            for c in session.scalars(select(StorageCopy).where(StorageCopy.location == "s3-b"))
        }
        assert after == before
    assert audit(capsys, repo)[0] == 0


def test_sync_to_a_new_s3_location_and_copy_to_local(
    repo: Path,
    seaweed_pair,
    bucket: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,  # noqa: ANN001
) -> None:
    code, out = run(capsys, "storage", "add-location", "local-x", "-R", repo, "--path", str(tmp_path / "x"))
    assert code == 0, out
    code, out = run(capsys, "storage", "sync", "-R", repo, "--format", "json")
    done = json.loads(out)
    assert code == 0 and done["copied"] > 0 and done["failures"] == []
    code, record = audit(capsys, repo, "--location", "local-x")
    assert code == 0 and record["ok"] == done["copied"]
    for aip in (tmp_path / "x").iterdir():  # the AIPs lost, the disk still there
        shutil.rmtree(aip)
    code, record = audit(capsys, repo, "--location", "local-x")
    assert code == 0 and record["repaired"] == done["copied"]


def test_catalog_rebuilt_from_the_s3_replicas(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit(capsys, repo)[0] == 0  # leaves event logs in both buckets
    target = f"sqlite:///{tmp_path / 'rebuilt.sqlite'}"
    code, out = run(
        capsys, "catalog", "rebuild", "-R", repo, "--db", target, "--format", "json", "--no-progress"
    )
    assert code == 0, out
    settings = load_settings(repo)
    with catalog(settings) as session:
        original = sorted(
            (f.path, f.sha256, c.location, c.key, c.status, c.version_id, _seconds(c.retain_until))
            for f, c in session.execute(select(File, StorageCopy).join(StorageCopy))
        )
        maintenance = set(session.scalars(select(Package.maintenance)))
    with catalog(replace(settings, catalog_url=target)) as session:
        rebuilt = sorted(
            (f.path, f.sha256, c.location, c.key, c.status, c.version_id, _seconds(c.retain_until))
            for f, c in session.execute(select(File, StorageCopy).join(StorageCopy))
        )
        fixity_events = session.scalar(
            select(func.count()).select_from(PremisEvent).where(PremisEvent.detail.like("location %"))
        )
        assert set(session.scalars(select(Package.maintenance))) == maintenance == {"01"}
    # the object-locked location's copies come back with the version ingest wrote and its lock date
    assert all(row[5] and row[6] for row in original if row[2] == "s3-a")
    assert all(row[6] is None for row in original if row[2] == "s3-b")
    assert rebuilt == original
    assert fixity_events == len(original)


def _seconds(moment: datetime | None) -> datetime | None:
    """A lock date as S3 keeps it (whole seconds, UTC); the catalog kept what ingest asked for."""
    if moment is None:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)


def test_renew_locks_extends_permanent_records_only(
    repo: Path,
    seaweed_pair,
    capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        assert set(session.scalars(select(Package.maintenance))) == {"01"}
        before = {
            c.id: c.retain_until
            for c in session.scalars(select(StorageCopy).where(StorageCopy.location == "s3-a"))
        }
    code, out = run(capsys, "storage", "renew-locks", "-R", repo, "--format", "json", "--within-days", "30")
    assert code == 0 and json.loads(out)["due"] == 0  # ten years left: nothing to do yet
    code, out = run(capsys, "storage", "renew-locks", "-R", repo, "--format", "json", "--within-days", "4000")
    result = json.loads(out)
    assert code == 0 and result["due"] == result["extended"] == len(before)
    bucket_a = next(loc.s3.bucket for loc in settings.locations if loc.name == "s3-a")
    client = seaweed_pair[0].client()
    with catalog(settings) as session:
        after = session.scalars(select(StorageCopy).where(StorageCopy.location == "s3-a")).all()
        for copy in after:
            assert copy.retain_until > before[copy.id]
            retention = client.get_object_retention(Bucket=bucket_a, Key=copy.key, VersionId=copy.version_id)
            assert retention["Retention"]["RetainUntilDate"] >= copy.retain_until.replace(microsecond=0)
        session.execute(update(Package).values(maintenance="04"))  # a 30-year record: its lock ends with it
        session.commit()
    code, out = run(
        capsys, "storage", "renew-locks", "-R", repo, "--format", "json", "--within-days", "36500"
    )
    assert code == 0 and json.loads(out)["due"] == 0


def test_refused_credentials_are_unreachable_not_corruption(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TEST_S3_1_SECRET", "not-the-secret")
    code, record = audit(capsys, repo)
    assert code == 1
    assert "s3-b" in record["locations_down"]
    assert record["failed"] == 0 and record["incidents"] == []
    with catalog(load_settings(repo)) as session:
        assert {c.status for c in session.scalars(select(StorageCopy))} == {"ok"}


def test_rebuild_takes_the_mets_whose_sha256_was_recorded_at_ingest(
    repo: Path,
    seaweed_pair,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    """METS.xml written over in the first location (still well-formed, a new version without the
    SHA-256 that ingest records): two locations disagree, the SHA-256 recorded with the other location's
    object tells which is the original; the damaged copy is corrupt, not the good one."""
    settings = load_settings(repo)
    with catalog(settings) as session:
        mets = session.scalars(
            select(StorageCopy).join(File).where(File.path == "METS.xml", StorageCopy.location == "s3-a")
        ).one()
        original = sorted(
            (f.path, f.sha256, c.location, c.key, c.status, c.version_id)
            for f, c in session.execute(select(File, StorageCopy).join(StorageCopy))
        )
    bucket_a = next(loc.s3.bucket for loc in settings.locations if loc.name == "s3-a")
    client = seaweed_pair[0].client()
    data = client.get_object(Bucket=bucket_a, Key=mets.key)["Body"].read()
    assert data.count(b'LABEL="CSIP"') == 1
    forged = client.put_object(Bucket=bucket_a, Key=mets.key, Body=data.replace(b'"CSIP"', b'"CSIQ"'))
    target = f"sqlite:///{tmp_path / 'rebuilt.sqlite'}"
    code, out = run(
        capsys, "catalog", "rebuild", "-R", repo, "--db", target, "--format", "json", "--lang", "en"
    )
    assert code == 0, out
    problems = json.loads(out)["problems"]
    assert [(p["key"], p["location"]) for p in problems] == [("backup.rebuild.copy_unreadable", "s3-a")]
    assert "recorded at ingest (s3-b)" in problems[0]["message"]
    with catalog(replace(settings, catalog_url=target)) as session:
        rebuilt = sorted(
            (f.path, f.sha256, c.location, c.key, c.status, c.version_id)
            for f, c in session.execute(select(File, StorageCopy).join(StorageCopy))
        )
    expected = [
        (*row[:4], "corrupt", forged["VersionId"]) if (row[0], row[2]) == ("METS.xml", "s3-a") else row
        for row in original
    ]
    assert rebuilt == expected  # the catalog's METS.xml SHA-256 is the original's
