"""The catalog: migrations, models, transactions and queries, on SQLite and on a real PostgreSQL.

PostgreSQL tests run when ARCHIVE_REPO_TEST_PG_URL names a server (``scripts/test.sh`` starts one);
otherwise they are skipped, except under CI=true, where ``test_ci_runs_postgresql`` fails instead.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from archive_repo.catalog.db import (
    CatalogError,
    alembic_config,
    check_current,
    current_revision,
    default_url,
    engine_for,
    head_revision,
    session_factory,
    transaction,
    upgrade,
)
from archive_repo.catalog.models import (
    Agency,
    Base,
    Document,
    File,
    Fonds,
    IngestRun,
    Package,
    PremisAgent,
    PremisEvent,
    StorageCopy,
    Submission,
)
from archive_repo.catalog.normalise import date_range, fold
from archive_repo.catalog.queries import (
    latest_version,
    package_by_objid,
    search_packages,
    submission_by_digest,
    versions,
)
from helpers import all_text, run_cli

pytest_plugins = ["pg"]

TABLES = {
    "agencies",
    "fonds",
    "ingest_runs",
    "submissions",
    "packages",
    "documents",
    "files",
    "storage_copies",
    "premis_events",
    "premis_agents",
}
ICT = timezone(timedelta(hours=7))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return default_url(tmp_path / "repository")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def catalog(db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(db_url)
    engine = engine_for(db_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def make_package(
    objid: str,
    arc_file_code: str | None = "G09.H49.2024.01",
    title: str = "Hồ sơ Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
    *,
    fonds: Fonds | None = None,
    agency: Agency | None = None,
    version: int = 1,
    supersedes: Package | None = None,
    start_date: str | None = "15/01/2024",
    end_date: str | None = "20/12/2024",
    mode: str = "01",
    documents: int = 2,
    submission: Submission | None = None,
    agent: PremisAgent | None = None,
) -> Package:
    """A package with its documents, files (one per document plus METS), two copies each, one event."""
    package = Package(
        objid=objid,
        sip_objid=f"uuid-SIP-{objid.rsplit('-', 1)[-1]}",
        arc_file_code=arc_file_code,
        title=title,
        variant="AIP_hoso",
        record_status="NEW" if supersedes is None else "SUPPLEMENT",
        version=version,
        supersedes=supersedes,
        fonds=fonds,
        agency=agency,
        start_date=start_date,
        end_date=end_date,
        mode=mode,
        submission=submission,
    )
    for ordinal in range(1, documents + 1):
        code = f"{arc_file_code}.{ordinal:07d}"
        document = Document(
            ordinal=ordinal,
            code=code,
            title=f"Báo cáo số {ordinal} về công tác lưu trữ điện tử",
            type_code="14",
            issued_date=f"{ordinal:02d}/03/2024",
            mode="02" if ordinal == 2 else "01",
            fields={"docCode": code, "subject": "Báo cáo", "organName": "Sở Nội vụ", "typeName": "14"},
        )
        package.documents.append(document)
        data = File(
            path=f"representations/rep1/data/{code}.pdf",
            size=1000 + ordinal,
            sha256=digest(code),
            puid="fmt/354",
            mimetype="application/pdf",
            role="data",
            document=document,
        )
        package.files.append(data)
    package.files.append(
        File(path="METS.xml", size=5000, sha256=digest(objid), mimetype="application/xml", role="mets")
    )
    for file in package.files:
        for location in ("primary", "replica"):
            file.copies.append(StorageCopy(location=location, key=f"{objid}/{file.path}", status="ok"))
    package.events.append(
        PremisEvent(
            identifier=str(uuid.uuid4()),
            type="information package creation",
            occurred_at=datetime(2025, 7, 1, 9, 30, tzinfo=ICT),
            outcome="success",
            detail="SIP → AIP",
            agent=agent,
        )
    )
    return package


def counts(session: Session) -> dict[str, int]:
    models = (Package, Document, File, StorageCopy, PremisEvent, Submission, Fonds, Agency)
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) for model in models}


# --- schema and migrations ---------------------------------------------------------------------------


def test_upgrade_from_empty(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert upgrade(db_url) == head_revision()
    assert current_revision(db_url) == head_revision()
    assert upgrade(db_url) == head_revision()  # a second upgrade changes nothing
    engine = engine_for(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        check_current(engine)
    finally:
        engine.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    upgrade(db_url)
    engine = engine_for(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    upgrade(db_url)
    engine = engine_for(db_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert upgrade(db_url) == head_revision()


def test_concurrent_upgrades_are_serialised(db_url: str) -> None:
    results: list[str | None] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(upgrade(db_url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert results == [head_revision()] * 3


def test_not_upgraded_catalog_is_reported(db_url: str) -> None:
    engine = engine_for(db_url)
    try:
        with pytest.raises(CatalogError) as raised:
            check_current(engine)
        assert raised.value.message_key == "db.not_upgraded"
        assert "archive-repo db upgrade" in raised.value.message("en")
    finally:
        engine.dispose()


def test_sqlite_settings(tmp_path: Path) -> None:
    url = default_url(tmp_path / "deep" / "repository")
    assert url.endswith("/deep/repository/catalog.sqlite")
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        engine.dispose()


def test_bad_urls_are_typed_errors() -> None:
    for url, key in (("nonsense", "db.bad_url"), ("mysql://x/y", "db.unsupported")):
        with pytest.raises(CatalogError) as raised:
            engine_for(url)
        assert raised.value.message_key == key
    with pytest.raises(CatalogError) as raised:
        current_revision("postgresql://user:secret@127.0.0.1:1/none")
    assert raised.value.message_key == "db.cannot_connect"
    assert "secret" not in raised.value.message("en")


def test_postgresql_urls_use_psycopg3(db_url: str) -> None:
    engine = engine_for(db_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert engine.dialect.name in ("sqlite", "postgresql")
        if engine.dialect.name == "postgresql":
            assert engine.dialect.driver == "psycopg"
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


# --- writing and reading -----------------------------------------------------------------------------


def test_package_written_in_one_transaction_reads_back(catalog: sessionmaker[Session]) -> None:
    received = datetime(2025, 7, 1, 8, 0, tzinfo=ICT)
    with transaction(catalog) as session:
        agency = Agency(code="H49", name="Sở Nội vụ tỉnh Hà Nam")
        fonds = Fonds(code="G09", name="Phông Sở Nội vụ", agency=agency)
        run = IngestRun(operator="nguyen.van.a", started_at=received, submitted_count=1, accepted_count=1)
        submission = Submission(
            digest=digest("sip-1").upper(),
            source_name="hoso-hoi-nghi.zip",
            received_at=received,
            verdict="valid_with_warnings",
            status="accepted",
            report={
                "verdict": "valid_with_warnings",
                "findings": [{"rule": "md.code", "message": "Mã hồ sơ"}],
            },
            run=run,
        )
        agent = PremisAgent(
            identifier="archive-repo-0.1.0", name="archive-repo", type="software", version="0.1"
        )
        session.add(
            make_package("urn:G09:uuid-AAA", fonds=fonds, agency=agency, submission=submission, agent=agent)
        )
    with catalog() as session:
        package = package_by_objid(session, "urn:G09:uuid-AAA")
        assert package is not None
        assert package.fonds is not None and package.fonds.code == "G09"
        assert package.fonds.agency is not None and package.fonds.agency.code == "H49"
        assert package.start_on == date(2024, 1, 15) and package.end_on == date(2024, 12, 20)
        assert package.status == "active" and package.version == 1
        assert package.created_at.tzinfo is not None and package.created_at.utcoffset() == timedelta(0)
        assert [d.ordinal for d in package.documents] == [1, 2]
        assert package.documents[0].fields["organName"] == "Sở Nội vụ"
        assert package.documents[0].issued_on == date(2024, 3, 1)
        assert len(package.files) == 3
        data = [f for f in package.files if f.role == "data"]
        assert data[0].document is package.documents[0] and data[0].puid == "fmt/354"
        assert {c.location for c in package.files[0].copies} == {"primary", "replica"}
        (event,) = package.events
        assert event.occurred_at == datetime(2025, 7, 1, 2, 30, tzinfo=UTC)
        assert event.agent is not None and event.agent.version == "0.1"
        assert package.submission is not None
        assert package.submission.digest == digest("sip-1")  # stored lowercase
        assert package.submission.received_at == received
        assert package.submission.report is not None
        assert package.submission.report["findings"][0]["message"] == "Mã hồ sơ"
        assert package.submission.run is not None and package.submission.run.status == "running"


def test_naive_datetimes_are_refused(catalog: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError), transaction(catalog) as session:
        session.add(IngestRun(operator="x", started_at=datetime(2025, 1, 1, 12, 0)))


def test_submission_digest_is_unique(catalog: sessionmaker[Session]) -> None:
    with transaction(catalog) as session:
        session.add(
            Submission(digest=digest("same"), source_name="a.zip", verdict="invalid", status="rejected")
        )
    with pytest.raises(IntegrityError), transaction(catalog) as session:
        session.add(
            Submission(digest=digest("same"), source_name="b.zip", verdict="valid", status="accepted")
        )
    with catalog() as session:
        found = submission_by_digest(session, digest("same").upper())
        assert found is not None and found.source_name == "a.zip" and found.status == "rejected"
        assert submission_by_digest(session, digest("other")) is None


def test_check_constraints(catalog: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), transaction(catalog) as session:
        session.add(Submission(digest=digest("x"), source_name="x", verdict="valid", status="maybe"))
    with pytest.raises(IntegrityError), transaction(catalog) as session:
        package = make_package("urn:G09:uuid-BAD")
        package.files[0].role = "junk"
        session.add(package)


def test_foreign_keys_are_enforced(catalog: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), transaction(catalog) as session:
        session.add(Document(package_id=987654, ordinal=1, fields={}))
    with pytest.raises(IntegrityError), transaction(catalog) as session:
        session.execute(text("INSERT INTO fonds (code, name, agency_id) VALUES ('F1', 'x', 424242)"))
    with catalog() as session:
        assert counts(session)["documents"] == 0 and counts(session)["fonds"] == 0


def test_rolled_back_transaction_leaves_nothing(catalog: sessionmaker[Session]) -> None:
    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction(catalog) as session:
        session.add(
            Submission(digest=digest("crash"), source_name="c.zip", verdict="valid", status="accepted")
        )
        session.add(make_package("urn:G09:uuid-CRASH", fonds=Fonds(code="G09", name="Phông")))
        session.flush()  # the rows were sent to the database ...
        raise Crash  # ... and the process dies before the commit
    with catalog() as session:
        assert set(counts(session).values()) == {0}
        assert submission_by_digest(session, digest("crash")) is None


def test_uncommitted_package_is_invisible_to_others(catalog: sessionmaker[Session]) -> None:
    with catalog() as writer, writer.begin():
        writer.add(make_package("urn:G09:uuid-PENDING"))
        writer.flush()
        with catalog() as reader:
            assert package_by_objid(reader, "urn:G09:uuid-PENDING") is None
            assert counts(reader)["files"] == 0
    with catalog() as reader:
        package = package_by_objid(reader, "urn:G09:uuid-PENDING")
        assert package is not None and len(package.files) == 3 and len(package.events) == 1


# --- versions ----------------------------------------------------------------------------------------


def test_versions_supersede_and_stay_retrievable(catalog: sessionmaker[Session]) -> None:
    code = "G09.H49.2024.07"
    with transaction(catalog) as session:
        session.add(make_package("urn:G09:uuid-V1", code, "Hồ sơ đề án"))
    with transaction(catalog) as session:
        previous = latest_version(session, code)
        assert previous is not None and previous.version == 1
        previous.status = "superseded"
        session.add(
            make_package("urn:G09:uuid-V2", code, "Hồ sơ đề án (bổ sung)", version=2, supersedes=previous)
        )
    with catalog() as session:
        newest = latest_version(session, code)
        assert (
            newest is not None and newest.objid == "urn:G09:uuid-V2" and newest.record_status == "SUPPLEMENT"
        )
        assert newest.supersedes is not None and newest.supersedes.objid == "urn:G09:uuid-V1"
        old = package_by_objid(session, "urn:G09:uuid-V1")
        assert old is not None and old.status == "superseded" and old.superseded_by is newest
        assert len(old.files) == 3  # the old version is still there, whole
        assert [p.version for p in versions(session, code)] == [1, 2]
        assert [p.objid for p in search_packages(session, "de an")] == ["urn:G09:uuid-V2"]
        every = search_packages(session, "de an", include_superseded=True)
        assert [p.version for p in every] == [2, 1]
        assert latest_version(session, "G09.NONE") is None
    # Two packages cannot both be version 2 of the same dossier, nor supersede the same package.
    with pytest.raises(IntegrityError), transaction(catalog) as session:
        session.add(make_package("urn:G09:uuid-V2b", code, version=2))
    with pytest.raises(IntegrityError), transaction(catalog) as session:
        first = package_by_objid(session, "urn:G09:uuid-V1")
        session.add(make_package("urn:G09:uuid-V3", code, version=3, supersedes=first))


# --- search ------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(catalog: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(catalog) as session:
        h49 = Agency(code="H49", name="Sở Nội vụ tỉnh Hà Nam")
        k12 = Agency(code="K12", name="Ủy ban nhân dân tỉnh Điện Biên")
        g09 = Fonds(code="G09", name="Phông Sở Nội vụ", agency=h49)
        g10 = Fonds(code="G10", name="Phông UBND tỉnh", agency=k12)
        session.add_all(
            [
                make_package(
                    "urn:G09:uuid-1", "G09.H49.2024.01", fonds=g09, start_date="2024", end_date="2024"
                ),
                make_package(
                    "urn:G09:uuid-2",
                    "G09.H49.2019.05",
                    "Hồ sơ Đại hội đại biểu Đảng bộ",
                    fonds=g09,
                    start_date="03/2019",
                    end_date="05/2019",
                    mode="03",
                ),
                make_package(
                    "urn:G10:uuid-3",
                    "G10.K12.2021.02",
                    "Hồ sơ xây dựng đường giao thông nông thôn tỉnh Điện Biên",
                    fonds=g10,
                    start_date="01/02/2021",
                    end_date="30/11/2022",
                    mode="02",
                ),
                make_package(
                    "urn:G10:uuid-4",
                    "G10.K12.2020.100%",
                    "Hồ sơ không có ngày",
                    agency=k12,
                    start_date=None,
                    end_date=None,
                ),
            ]
        )
    return catalog


def objids(packages: Sequence[Package]) -> list[str]:
    return sorted(p.objid for p in packages)


def test_search_ignores_case_and_diacritics(searchable: sessionmaker[Session]) -> None:
    with searchable() as session:
        for query in ("hoi nghi", "Hội nghị", "HỘI NGHỊ", "  hoi   NGHI "):
            assert objids(search_packages(session, query)) == ["urn:G09:uuid-1"], query
        for query in ("dien bien", "Điện Biên", "DIEN BIEN", "đường giao thông", "duong"):
            assert objids(search_packages(session, query)) == ["urn:G10:uuid-3"], query
        assert objids(search_packages(session, "dai hoi dang")) == ["urn:G09:uuid-2"]
        assert objids(search_packages(session, "hoi dong")) == []  # every word must appear
        assert objids(search_packages(session, "g09.h49.2019")) == ["urn:G09:uuid-2"]  # by arcFileCode
        assert objids(search_packages(session, "G10.K12.2021.02.0000002")) == ["urn:G10:uuid-3"]  # docCode
        assert objids(search_packages(session, "bao cao luu tru dien tu")) == objids(
            search_packages(session)
        )  # document titles
        assert objids(search_packages(session, "uuid-2")) == ["urn:G09:uuid-2"]  # OBJID
        # LIKE wildcards in the query are literal characters.
        assert objids(search_packages(session, "%")) == ["urn:G10:uuid-4"]
        assert objids(search_packages(session, "h_s")) == []


def test_search_by_fonds_agency_and_mode(searchable: sessionmaker[Session]) -> None:
    with searchable() as session:
        assert objids(search_packages(session, fonds="G09")) == ["urn:G09:uuid-1", "urn:G09:uuid-2"]
        assert objids(search_packages(session, fonds="G10")) == ["urn:G10:uuid-3"]
        assert objids(search_packages(session, "dai hoi", fonds="G10")) == []
        assert objids(search_packages(session, agency="H49")) == ["urn:G09:uuid-1", "urn:G09:uuid-2"]
        assert objids(search_packages(session, agency="K12")) == ["urn:G10:uuid-3", "urn:G10:uuid-4"]
        assert objids(search_packages(session, agency="NONE")) == []
        assert objids(search_packages(session, modes=["03"])) == ["urn:G09:uuid-2"]
        assert len(search_packages(session, modes=["01", "02", "03"])) == 4
        assert len(search_packages(session, limit=2)) == 2
        secret_documents = session.scalars(select(Document).where(Document.mode == "02")).all()
        assert len(secret_documents) == 4  # document modes are queryable too


def test_search_by_date_range(searchable: sessionmaker[Session]) -> None:
    with searchable() as session:

        def between(start: date | None, end: date | None) -> list[str]:
            return objids(search_packages(session, date_from=start, date_to=end))

        assert between(date(2019, 4, 1), date(2019, 4, 30)) == ["urn:G09:uuid-2"]  # inside 03-05/2019
        assert between(date(2019, 6, 1), date(2020, 12, 31)) == []
        assert between(date(2022, 11, 30), None) == ["urn:G09:uuid-1", "urn:G10:uuid-3"]
        assert between(None, date(2019, 3, 1)) == ["urn:G09:uuid-2"]
        assert between(date(2024, 12, 31), date(2025, 1, 1)) == ["urn:G09:uuid-1"]  # "2024" = the whole year
        assert between(date(2000, 1, 1), date(2030, 1, 1)) == [
            "urn:G09:uuid-1",
            "urn:G09:uuid-2",
            "urn:G10:uuid-3",
        ]  # undated packages never match a range
        combined = search_packages(session, "ho so", fonds="G09", date_from=date(2024, 6, 1))
        assert objids(combined) == ["urn:G09:uuid-1"]


def test_fold_and_date_range() -> None:
    assert fold("Hội nghị ĐẠI BIỂU   đường") == "hoi nghi dai bieu duong"
    assert fold("Ủy ban Nhân dân") == fold("ủy ban nhân dân") == "uy ban nhan dan"
    assert fold(None) == ""
    assert date_range("15/03/2024") == (date(2024, 3, 15), date(2024, 3, 15))
    assert date_range("02/2024") == (date(2024, 2, 1), date(2024, 2, 29))
    assert date_range("2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert date_range("2024-03") == (date(2024, 3, 1), date(2024, 3, 31))
    assert date_range("2024-03-05T10:00:00+07:00") == (date(2024, 3, 5), date(2024, 3, 5))
    for bad in ("31/02/2024", "13/2024", "", None, "sometime", "0000"):
        assert date_range(bad) is None, bad


# --- the command and CI ------------------------------------------------------------------------------


def test_db_upgrade_command(tmp_path: Path) -> None:
    url = default_url(tmp_path / "repository")
    created = run_cli("db", "upgrade", "--db", url)
    assert created.returncode == 0, all_text(created)
    assert "đã tạo lược đồ" in created.stdout and head_revision() in created.stdout
    again = run_cli("db", "upgrade", "--db", url, "--lang", "en")
    assert again.returncode == 0 and "already at the newest revision" in again.stdout
    current = run_cli("db", "current", "--lang", "en", env={"ARCHIVE_REPO_DB": url})
    assert current.returncode == 0 and f"revision {head_revision()}" in current.stdout
    # Without --db: the repository's own SQLite file.
    home = tmp_path / "home"
    by_home = run_cli("db", "upgrade", "--lang", "en", env={"ARCHIVE_REPO_HOME": str(home)})
    assert by_home.returncode == 0 and (home / "catalog.sqlite").is_file(), all_text(by_home)


def test_db_upgrade_command_errors(tmp_path: Path) -> None:
    for url, expected in (
        ("nonsense", "Invalid catalog database URL"),
        ("mysql://x/y", "is not supported"),
        ("postgresql://user:secret@127.0.0.1:1/none", "Cannot connect to the catalog database"),
    ):
        result = run_cli("db", "upgrade", "--db", url, "--lang", "en")
        assert result.returncode == 2, all_text(result)
        assert expected in result.stderr and "Traceback" not in all_text(result)
        assert "secret" not in all_text(result)
    vietnamese = run_cli("db", "upgrade", "--db", "nonsense")
    assert "không hợp lệ" in vietnamese.stderr
    empty = run_cli("db", "current", "--repository", str(tmp_path / "none"))
    assert empty.returncode == 0 and "chưa có lược đồ" in empty.stdout
    assert not (tmp_path / "none").exists()  # looking does not create a catalog


def test_db_upgrade_command_on_postgresql(pg_url: str) -> None:
    result = run_cli("db", "upgrade", "--db", pg_url, "--lang", "en")
    assert result.returncode == 0, all_text(result)
    assert head_revision() in result.stdout and "schema created" in result.stdout
    assert pg_url.split("@")[0].split(":")[-1] not in result.stdout  # the password is not shown


def test_ci_runs_postgresql(pg_server_url: str | None) -> None:
    """CI must run the PostgreSQL tests, never skip them: scripts/test.sh provides the server."""
    if os.environ.get("CI", "").lower() == "true":
        assert pg_server_url, (
            "CI=true but ARCHIVE_REPO_TEST_PG_URL is not set: run the tests with scripts/test.sh"
        )
