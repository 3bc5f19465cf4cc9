"""Ingest end to end: examples in, AIPs stored and catalogued, rejections reported, duplicates recognised,
versions made from RECORDSTATUS, a bad submission never stopping the batch; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive_repo.catalog.models import File, Package, StorageCopy, StorageIntent, Submission
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import Settings, load_settings
from archive_repo.ingest.catalog_access import sessions
from archive_repo.ingest.outcome import Outcome
from archive_repo.ingest.runner import RunSummary, ingest_batch
from archive_repo.packages.premis import read_premis
from archive_repo.validation.validator import validate_path
from helpers import (
    FILE_CODE,
    NO_VIRUS_SCAN,
    all_text,
    allow_unsigned_documents,
    build_sip_hoso,
    run_cli,
    tree_state,
    trust_examples,
    zip_package,
)
from pg import pg_url  # noqa: F401 - fixture

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
ACCEPTED_EXAMPLES = {
    "bag-H49.64.33.2024.31",
    "uuid-0C9B8A7D-6E5F-4A3B-9C2D-1E0F9A8B7C6D.zip",
    "uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6",
    "uuid-7A6B5C4D-3E2F-4109-8A7B-6C5D4E3F2A1B",
}


def make_repository(folder: Path, *extra: str) -> Settings:
    assert guarded(cli, ["init", "-R", str(folder), "--archive-code", "LTLSHG", *NO_VIRUS_SCAN, *extra]) == 0
    allow_unsigned_documents(folder)
    trust_examples(folder)
    return load_settings(folder)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def by_name(summary: RunSummary) -> dict[str, Outcome]:
    return {Path(r.outcome.source).name: r.outcome.outcome for r in summary.results}


def packages(settings: Settings) -> list[Package]:
    with sessions(settings.catalog_url)() as session:
        found = session.scalars(select(Package).order_by(Package.id)).all()
        for package in found:
            _ = [(f.copies, f.document) for f in package.files], package.documents, package.events
            _ = package.submission
        return list(found)


def assert_stored_intact(settings: Settings) -> None:
    """Every catalogued file has one copy per location, and each copy's bytes match the catalog."""
    locations = {loc.name: loc.path for loc in settings.locations}
    for package in packages(settings):
        for file in package.files:
            assert sorted(c.location for c in file.copies) == sorted(locations), file.path
            for copy in file.copies:
                stored = locations[copy.location] / copy.key
                assert stored.stat().st_size == file.size
                assert sha256(stored) == file.sha256, copy.key


@pytest.fixture(scope="module")
def examples_ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunSummary]:
    settings = make_repository(tmp_path_factory.mktemp("repo"), "--store", "a", "--store", "b")
    summary = ingest_batch(
        sorted(p for p in EXAMPLES.iterdir() if p.name != "defective")
        + sorted((EXAMPLES / "defective").iterdir()),
        settings,
        workers=2,
    )
    return settings, summary


def test_examples_accepted_and_rejected(examples_ingested: tuple[Settings, RunSummary]) -> None:
    settings, summary = examples_ingested
    outcomes = by_name(summary)
    accepted = {name for name, outcome in outcomes.items() if outcome is Outcome.ACCEPTED}
    assert accepted == ACCEPTED_EXAMPLES
    assert summary.count(Outcome.REJECTED) == len(outcomes) - len(ACCEPTED_EXAMPLES) == 7
    assert {p.objid for p in packages(settings)} == {r.objid for r in summary.results if r.objid}
    assert_stored_intact(settings)


def test_every_stored_aip_validates_under_the_aip_profile(
    examples_ingested: tuple[Settings, RunSummary],
) -> None:
    settings, _ = examples_ingested
    for package in packages(settings):
        for location in settings.locations:
            report = validate_path(location.path / package.objid.replace(":", "_"))
            assert report.is_valid, [f.as_dict("en") for f in report.findings if str(f.severity) == "error"]
            assert report.profile in ("AIP_hoso", "AIP_tailieu")
            assert package.arc_file_code.startswith("LTLSHG.")


def test_catalog_rows_describe_the_aip(examples_ingested: tuple[Settings, RunSummary]) -> None:
    settings, _ = examples_ingested
    for package in packages(settings):
        assert package.status == "active" and package.version == 1
        assert package.submission is not None and package.submission.status == "accepted"
        data = [f for f in package.files if f.role == "data"]
        assert data and all(f.document is not None for f in data)
        assert len(package.documents) == len(data)
        assert {f.role for f in package.files} >= {"mets", "premis", "metadata", "schema", "data"}
    with sessions(settings.catalog_url)() as session:
        assert session.scalar(select(func.count()).select_from(StorageIntent)) == 0


def test_premis_records_every_ingest_event(examples_ingested: tuple[Settings, RunSummary]) -> None:
    settings, _ = examples_ingested
    package = packages(settings)[0]
    root = settings.locations[0].path / package.objid.replace(":", "_")
    premis = read_premis(root / "metadata/preservation/PREMIS.xml")
    outcomes = {e.type: e.outcome for e in premis.events}
    assert outcomes["virus check"] == "not performed"  # the test repository opts out (no ClamAV database)
    assert outcomes["digital signature validation"] == "success"  # the examples are signed (examples/trust)
    assert outcomes["format identification"] == "success"
    for kind in ("quarantine", "validation", "ingestion", "information package creation"):
        assert outcomes[kind] == "success", kind
    assert any(a.type == "software" and a.version for a in premis.agents)
    rep = read_premis(root / "representations/rep1/metadata/preservation/PREMIS_rep1.xml")
    copied = [f for f in package.files if f.role == "data" and not f.path.endswith(".fetch.txt")]
    assert copied and len(rep.events_of_type("fixity check")) == len(copied)
    assert {e.type for e in package.events} >= {"validation", "ingestion", "virus check", "fixity check"}


def test_handover_records_and_rejected_reports(examples_ingested: tuple[Settings, RunSummary]) -> None:
    settings, summary = examples_ingested
    for result in summary.results:
        assert result.receipt is not None and result.receipt.is_file()
        record = json.loads(result.receipt.with_suffix(".json").read_text(encoding="utf-8"))
        assert record["submission_digest"] == result.outcome.digest
        if result.outcome.outcome is Outcome.ACCEPTED:
            assert record["verdict"].startswith("accepted") and record["aip_objid"] == result.objid
            assert record["documents"] and all(len(d["sha256"]) == 64 for d in record["documents"])
        else:
            assert record["verdict"] == "rejected"
            assert result.rejected_folder is not None
            report = json.loads((result.rejected_folder / "report.json").read_text(encoding="utf-8"))
            assert any(f["severity"] == "error" for f in report["findings"])
            assert (result.rejected_folder / "report.txt").read_text(encoding="utf-8").strip()
    with sessions(settings.catalog_url)() as session:
        rejected = session.scalars(select(Submission).where(Submission.status == "rejected")).all()
        assert len(rejected) == 7 and all(s.package is None for s in rejected)


def test_plain_eark_sip_is_rejected_naming_the_missing_tt05_metadata(
    examples_ingested: tuple[Settings, RunSummary],
) -> None:
    _, summary = examples_ingested
    result = next(r for r in summary.results if Path(r.outcome.source).name == "eark-csip-sip")
    rules = {f["rule"]: f for f in result.outcome.report["findings"]}
    assert "EAD.xml" in rules["ingest.not-tt05-sip"]["params"]["missing"]


def test_same_content_again_is_recognised_not_stored_twice(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    sip = build_sip_hoso(tmp_path / "sip")
    first = ingest_batch([sip], settings)
    assert by_name(first) == {sip.name: Outcome.ACCEPTED}
    store_before = tree_state(settings.locations[0].path)
    again = ingest_batch([sip, zip_package(sip, tmp_path / "same.zip")], settings, workers=2)
    assert set(by_name(again).values()) == {Outcome.DUPLICATE}
    assert {r.outcome.duplicate_of for r in again.results} == {first.results[0].objid}
    assert tree_state(settings.locations[0].path) == store_before
    assert len(packages(settings)) == 1


def test_a_bad_submission_never_stops_the_batch(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    sip = build_sip_hoso(tmp_path / "sip")
    not_a_zip = tmp_path / "notes.txt"
    not_a_zip.write_text("không phải gói tin")
    broken_zip = tmp_path / "broken.zip"
    broken_zip.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    summary = ingest_batch([tmp_path / "missing", not_a_zip, broken_zip, sip], settings, workers=2)
    outcomes = by_name(summary)
    assert outcomes[sip.name] is Outcome.ACCEPTED
    assert outcomes["missing"] is Outcome.FAILED and outcomes["notes.txt"] is Outcome.FAILED
    assert outcomes["broken.zip"] in (Outcome.FAILED, Outcome.REJECTED)
    result = run_cli("ingest", "-R", settings.home, tmp_path / "missing", "--no-progress", "--lang", "en")
    assert result.returncode == 2 and "Traceback" not in all_text(result)
    assert "missing" in all_text(result)


def _with_record_status(tmp_path: Path, name: str, status: str, n_docs: int, title: str) -> Path:
    sip = build_sip_hoso(tmp_path / name, n_docs, package={"title": title}, record_status=status)
    return sip


def test_versions_from_record_status(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    v1 = _with_record_status(tmp_path, "v1", "NEW", 2, "Hồ sơ bản đầu")
    assert by_name(ingest_batch([v1], settings))[v1.name] is Outcome.ACCEPTED

    clash = _with_record_status(tmp_path, "clash", "NEW", 3, "Hồ sơ gửi lại nhầm")
    result = ingest_batch([clash], settings).results[0]
    assert result.outcome.outcome is Outcome.REJECTED
    assert "ingest.version" in {f["rule"] for f in result.outcome.report["findings"]}

    replacement = _with_record_status(tmp_path, "v2", "REPLACEMENT", 3, "Hồ sơ thay thế")
    v2 = ingest_batch([replacement], settings).results[0]
    assert v2.outcome.outcome is Outcome.ACCEPTED and v2.version == 2

    supplement = _with_record_status(tmp_path, "v3", "SUPPLEMENT", 1, "Hồ sơ bổ sung")
    v3 = ingest_batch([supplement], settings).results[0]
    assert v3.outcome.outcome is Outcome.ACCEPTED and v3.version == 3

    by_version = {p.version: p for p in packages(settings)}
    assert by_version[1].status == "superseded"  # replaced
    assert by_version[2].status == "active" and by_version[3].status == "active"  # supplemented
    assert by_version[2].supersedes_id == by_version[1].id and by_version[3].supersedes_id == by_version[2].id
    assert {p.arc_file_code for p in by_version.values()} == {f"LTLSHG.{FILE_CODE}"}
    # the old version stays retrievable, byte for byte
    assert_stored_intact(settings)

    orphan = build_sip_hoso(
        tmp_path / "orphan",
        1,
        package={"fileCode": "H49.64.33.2024.99"},
        docs={1: {"docCode": "H49.64.33.2024.99.0000001"}},
        record_status="SUPPLEMENT",
    )
    result = ingest_batch([orphan], settings).results[0]
    assert result.outcome.outcome is Outcome.REJECTED


def test_storage_failure_fails_the_submission_and_leaves_nothing(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo", "--store", "good", "--store", "bad")
    bad = settings.locations[1].path
    shutil.rmtree(bad)
    bad.write_text("a file where a folder should be")
    sip = build_sip_hoso(tmp_path / "sip")
    result = ingest_batch([sip], settings).results[0]
    assert result.outcome.outcome is Outcome.FAILED
    assert packages(settings) == []
    assert list(settings.locations[0].path.iterdir()) in ([], [settings.locations[0].path / ".incoming"])
    with sessions(settings.catalog_url)() as session:
        assert session.scalar(select(func.count()).select_from(StorageIntent)) == 0


def test_cli_init_and_ingest_in_english(tmp_path: Path) -> None:
    home = tmp_path / "repo"
    result = run_cli("init", "-R", home, "--archive-code", "LTLSHG", "--lang", "en", *NO_VIRUS_SCAN)
    assert result.returncode == 0, all_text(result)
    assert "single storage location" in all_text(result)
    allow_unsigned_documents(home)
    sip = build_sip_hoso(tmp_path / "sip")
    result = run_cli("ingest", "-R", home, sip, "--lang", "en", "--format", "json")
    assert result.returncode == 0, all_text(result)
    data = json.loads(result.stdout)
    assert data["results"][0]["outcome"] == "accepted" and data["results"][0]["objid"].startswith("urn:G09:")
    result = run_cli("ingest", "-R", tmp_path / "nowhere", sip)
    assert result.returncode == 2 and "archive-repo init" in all_text(result)


def test_ingest_with_a_postgresql_catalog(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    settings = make_repository(tmp_path / "repo", "--db", pg_url)
    assert settings.catalog_url == pg_url
    sips = [
        build_sip_hoso(
            tmp_path / f"s{i}",
            package={"fileCode": f"H49.64.33.2024.{i}"},
            docs={d: {"docCode": f"H49.64.33.2024.{i}.{d:07d}"} for d in (1, 2, 3)},
        )
        for i in (41, 42)
    ]
    summary = ingest_batch([*sips, sips[0]], settings, workers=2)
    assert sorted(r.outcome.outcome for r in summary.results) == sorted(
        [Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.DUPLICATE]
    )
    assert len(packages(settings)) == 2
    assert_stored_intact(settings)
    with sessions(settings.catalog_url)() as session:
        assert session.scalar(select(func.count()).select_from(StorageCopy)) == session.scalar(
            select(func.count()).select_from(File)
        )


def _plain_bag(tmp_path: Path, sidecar: str | None) -> Path:
    """A BagIt bag of plain files (the example dossier's PDFs), with ``sidecar`` as its TT05 description."""
    import bagit

    source = Path(__file__).resolve().parents[1] / "examples/sources/bagit-hoso-dao-tao-2024"
    bag = tmp_path / "plain-bag"
    shutil.copytree(source / "files", bag / "files")
    if sidecar is not None:
        (bag / "tt05-description.toml").write_text(sidecar, encoding="utf-8")
    bagit.make_bag(str(bag), checksums=["sha256"])
    return bag


def test_plain_bag_with_a_tt05_sidecar_is_ingested(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    description = (
        Path(__file__).resolve().parents[1] / "examples/sources/bagit-hoso-dao-tao-2024/description.toml"
    ).read_text(encoding="utf-8")
    bag = _plain_bag(tmp_path, description)
    result = ingest_batch([bag], settings).results[0]
    assert result.outcome.outcome is Outcome.ACCEPTED, result.outcome.report
    assert "tt05-description.toml" in result.outcome.report["profile"]
    package = packages(settings)[0]
    assert package.arc_file_code == "LTLSHG.H49.64.33.2024.31"
    assert validate_path(settings.locations[0].path / package.objid.replace(":", "_")).is_valid
    assert list((settings.work_dir / "staging").glob("*/*")) == []


def test_plain_bag_without_tt05_metadata_is_rejected_naming_what_is_missing(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    result = ingest_batch([_plain_bag(tmp_path, None)], settings).results[0]
    assert result.outcome.outcome is Outcome.REJECTED
    finding = next(f for f in result.outcome.report["findings"] if f["rule"] == "ingest.not-tt05-sip")
    assert "EAD.xml" in finding["params"]["missing"] and "METS.xml" in finding["params"]["missing"]


def test_a_sidecar_cannot_reach_outside_the_bag(tmp_path: Path) -> None:
    settings = make_repository(tmp_path / "repo")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 not yours")
    description = (
        Path(__file__).resolve().parents[1] / "examples/sources/bagit-hoso-dao-tao-2024/description.toml"
    ).read_text(encoding="utf-8")
    hostile = description.replace('files = "files"', 'files = "../.."').replace(
        'file = "quyet-dinh-mo-lop.pdf"', 'file = "secret.pdf"'
    )
    assert hostile != description
    result = ingest_batch([_plain_bag(tmp_path, hostile)], settings).results[0]
    assert result.outcome.outcome is Outcome.REJECTED
    assert any(f["rule"] == "ingest.sidecar" for f in result.outcome.report["findings"])
    assert packages(settings) == []
