"""Catalog backup: export to one gzip JSON Lines file, import into an empty SQLite or PostgreSQL catalog,
every row back as it was; damaged files and non-empty targets refused with nothing imported."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, null, select
from sqlalchemy.orm import Session

from archive_repo.catalog.backup import BackupError, export_catalog, import_catalog
from archive_repo.catalog.db import CatalogError, default_url, engine_for, head_revision, upgrade
from archive_repo.catalog.models import Base, Package, PremisAgent
from archive_repo.config import Settings
from catalog_repo import all_rows, ingested_repository
from helpers import all_text, run_cli
from pg import pg_url  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return ingested_repository(tmp_path_factory.mktemp("backup"))


@pytest.fixture(scope="module")
def exported(original: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_catalog(original.catalog_url, tmp_path_factory.mktemp("export") / "catalog.jsonl.gz").path


def lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def write_lines(path: Path, items: list[dict]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


def empty(url: str) -> bool:
    return not any(all_rows(url).values())


# --------------------------------------------------------------------------------------------------
# the format


def test_export_file_format(original: Settings, exported: Path) -> None:
    header, *rows = lines(exported)
    assert header["format"] == "archive-repo-catalog" and header["version"] == 1
    assert header["schema_revision"] == head_revision()
    tables = [t.name for t in Base.metadata.sorted_tables]
    assert list(header["tables"]) == tables
    current = all_rows(original.catalog_url)
    assert header["tables"] == {name: len(current[name]) for name in tables}
    assert (
        header["tables"]["packages"] >= 6 and header["tables"]["submissions"] > header["tables"]["packages"]
    )
    # rows table by table, in dependency order, each with every column
    order = [row["table"] for row in rows]
    assert order == sorted(order, key=tables.index)
    package = next(row["row"] for row in rows if row["table"] == "packages")
    assert set(package) == {c.name for c in Base.metadata.tables["packages"].columns}
    assert package["created_at"].endswith("+00:00") and len(package["start_on"]) == 10
    # JSON columns: as they are, and JSON null told apart from SQL NULL
    submission = next(row for row in rows if row["table"] == "submissions")
    assert isinstance(submission["row"]["report"], dict)
    assert any("characteristics" in row.get("json_null", []) for row in rows if row["table"] == "files")


def test_export_reports_its_sha256_and_writes_atomically(original: Settings, tmp_path: Path) -> None:
    target = tmp_path / "catalog.jsonl.gz"
    summary = export_catalog(original.catalog_url, target)
    assert summary.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert summary.size == target.stat().st_size and summary.rows == sum(summary.tables.values())
    with pytest.raises(BackupError) as refused:
        export_catalog(original.catalog_url, target)
    assert refused.value.message_key == "backup.export_exists"
    again = export_catalog(original.catalog_url, target, force=True)
    assert again.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    # a catalog that cannot be read leaves nothing behind
    with pytest.raises(CatalogError) as refused:
        export_catalog(default_url(tmp_path / "no-catalog"), tmp_path / "other.jsonl.gz")
    assert refused.value.message_key == "db.not_upgraded"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.jsonl.gz"]  # no file, no empty catalog


# --------------------------------------------------------------------------------------------------
# import


def test_import_into_sqlite_restores_every_row(original: Settings, exported: Path, tmp_path: Path) -> None:
    target = default_url(tmp_path / "restored")
    summary = import_catalog(target, exported)
    assert summary.sha256 == hashlib.sha256(exported.read_bytes()).hexdigest()
    before, after = all_rows(original.catalog_url), all_rows(target)
    assert after == before
    assert summary.tables == {name: len(rows) for name, rows in before.items()}
    # exporting the restored catalog gives the same rows, line for line
    again = export_catalog(target, tmp_path / "again.jsonl.gz")
    assert lines(again.path)[1:] == lines(exported)[1:]


def test_import_into_postgresql_restores_every_row(
    original: Settings,
    exported: Path,
    pg_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    summary = import_catalog(pg_url, exported)
    assert all_rows(pg_url) == all_rows(original.catalog_url)
    assert summary.rows == sum(len(rows) for rows in all_rows(pg_url).values())
    # the sequences moved past the restored keys: new rows get fresh ids
    engine = engine_for(pg_url)
    with Session(engine) as session, session.begin():
        agent = PremisAgent(identifier="person/test", name="Người kiểm tra", type="person")
        session.add(agent)
        session.flush()
        assert agent.id == summary.tables["premis_agents"] + 1
    engine.dispose()
    again = export_catalog(pg_url, tmp_path / "from-pg.jsonl.gz")
    assert [line for line in lines(again.path)[1:] if line["table"] != "premis_agents"] == [
        line for line in lines(exported)[1:] if line["table"] != "premis_agents"
    ]


def test_rows_in_any_order_are_restored(original: Settings, exported: Path, tmp_path: Path) -> None:
    """A package that supersedes another may come before it (self-references are set at the end)."""
    header, *rows = lines(exported)
    packages = [row for row in rows if row["table"] == "packages"]
    assert any(row["row"]["supersedes_id"] for row in packages)
    others = [row for row in rows if row["table"] != "packages"]
    cut = next(i for i, row in enumerate(others) if row["table"] == "documents")
    reordered = write_lines(
        tmp_path / "reordered.jsonl.gz", [header, *others[:cut], *packages[::-1], *others[cut:]]
    )
    target = default_url(tmp_path / "restored")
    import_catalog(target, reordered)
    assert all_rows(target) == all_rows(original.catalog_url)


def test_sql_null_and_json_null_are_kept_apart(tmp_path: Path) -> None:
    source = default_url(tmp_path / "source")
    upgrade(source)
    submissions = Base.metadata.tables["submissions"]
    engine = engine_for(source)
    with engine.begin() as connection:
        common = {
            "source_name": "x",
            "received_at": datetime.now(UTC),
            "verdict": "valid",
            "status": "rejected",
        }
        connection.execute(
            submissions.insert(),
            [
                {**common, "id": 1, "digest": "1" * 64, "report": null()},
                {**common, "id": 2, "digest": "2" * 64, "report": JSON.NULL},
                {**common, "id": 3, "digest": "3" * 64, "report": {"findings": [], "note": None}},
            ],
        )
    engine.dispose()
    flags = [row[-1] for row in all_rows(source)["submissions"]]
    assert flags == [True, False, False]  # SQL NULL only in the first row
    target = default_url(tmp_path / "target")
    import_catalog(target, export_catalog(source, tmp_path / "nulls.jsonl.gz").path)
    assert all_rows(target) == all_rows(source)


def test_import_refuses_a_catalog_that_is_not_empty(original: Settings, exported: Path) -> None:
    before = all_rows(original.catalog_url)
    with pytest.raises(BackupError) as refused:
        import_catalog(original.catalog_url, exported)
    assert refused.value.message_key == "backup.target_not_empty"
    assert all_rows(original.catalog_url) == before


def damaged_files(exported: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    """Damaged variants of an export, each with the message key its import must fail with."""
    data = exported.read_bytes()
    header, *rows = lines(exported)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (folder / "truncated.gz").write_bytes(data[: len(data) * 2 // 3])
    (folder / "flipped.gz").write_bytes(bytes(flipped))
    (folder / "plain.txt").write_bytes(b"package,objid\n")
    other_revision = {**header, "schema_revision": "0000_other"}
    bad_value = [header, *rows[:-1], {**rows[-1], "row": {**rows[-1]["row"], "id": "not a number"}}]
    unknown_column = [header, {**rows[0], "row": {**rows[0]["row"], "extra": 1}}, *rows[1:]]
    return {
        "truncated": (folder / "truncated.gz", "backup.corrupt"),
        "flipped": (folder / "flipped.gz", "backup.corrupt"),
        "missing rows": (write_lines(folder / "missing.gz", [header, *rows[:-5]]), "backup.corrupt"),
        "not an export": (folder / "plain.txt", "backup.corrupt"),
        "other format": (write_lines(folder / "other.gz", [{"format": "something"}]), "backup.not_an_export"),
        "other revision": (
            write_lines(folder / "rev.gz", [other_revision, *rows]),
            "backup.revision_mismatch",
        ),
        "unknown column": (write_lines(folder / "column.gz", unknown_column), "backup.corrupt"),
        "bad value": (write_lines(folder / "value.gz", bad_value), "backup.import_failed"),
    }


def test_damaged_exports_are_refused_and_nothing_is_imported(exported: Path, tmp_path: Path) -> None:
    target = default_url(tmp_path / "target")
    upgrade(target)
    for name, (path, key) in damaged_files(exported, tmp_path).items():
        with pytest.raises(BackupError) as refused:
            import_catalog(target, path)
        assert refused.value.message_key == key, name
        assert "Nothing was imported" in refused.value.message("en"), name
        assert empty(target), name
    import_catalog(target, exported)  # the target is still usable
    assert not empty(target)


def test_damaged_export_on_postgresql_leaves_it_empty(exported: Path, pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    path, _ = damaged_files(exported, tmp_path)["missing rows"]
    with pytest.raises(BackupError):
        import_catalog(pg_url, path)
    assert empty(pg_url)


# --------------------------------------------------------------------------------------------------
# the commands


def test_export_and_import_commands(original: Settings, tmp_path: Path) -> None:
    backup = tmp_path / "catalog.jsonl.gz"
    vi = run_cli("catalog", "export", backup, "-R", original.home)
    assert vi.returncode == 0, all_text(vi)
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    assert "Đã xuất CSDL mục lục" in vi.stdout and digest in vi.stdout
    target = default_url(tmp_path / "restored")
    en = run_cli("catalog", "import", backup, "--db", target, "--lang", "en", "--format", "json")
    assert en.returncode == 0, all_text(en)
    report = json.loads(en.stdout)
    assert report["sha256"] == digest and report["rows"] == sum(len(r) for r in all_rows(target).values())
    engine = engine_for(target)
    with Session(engine) as session:
        assert session.scalars(select(Package.objid)).all()
    engine.dispose()
    again = run_cli("catalog", "import", backup, "--db", target, "--lang", "en")
    assert again.returncode == 2 and "is not empty" in all_text(again) and "Traceback" not in all_text(again)
    exists = run_cli("catalog", "export", backup, "-R", original.home)
    assert exists.returncode == 2 and "--force" in all_text(exists)


def test_a_truncated_file_is_refused_by_the_command(exported: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(exported.read_bytes()[:-40])
    target = default_url(tmp_path / "target")
    vi = run_cli("catalog", "import", truncated, "--db", target)
    en = run_cli("catalog", "import", truncated, "--db", target, "--lang", "en")
    assert vi.returncode == en.returncode == 2
    assert "bị hỏng hoặc bị cắt cụt" in all_text(vi) and "Không có gì được nhập" in all_text(vi)
    assert "damaged or truncated" in all_text(en) and "Traceback" not in all_text(en) + all_text(vi)
    assert empty(target)
