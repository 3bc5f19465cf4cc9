"""Back up the whole catalog to one file, and restore it into an empty catalog.

The file is gzip-compressed JSON Lines (UTF-8):

- line 1, the header: ``{"format": "archive-repo-catalog", "version": 1, "schema_revision": <Alembic
  revision>, "exported_at": <ISO 8601 UTC>, "tables": {<table>: <row count>, …}}``;
- then one line per row, ``{"table": <name>, "row": {<column>: <value>, …}}``, table by table in the
  order of ``Base.metadata.sorted_tables`` (a table after the tables it refers to), rows by primary key.
  Values are JSON: timestamps and dates as ISO 8601 strings (timestamps in UTC, with their offset),
  JSON columns as they are, bytes as base64. A JSON column can hold SQL NULL or the JSON value
  ``null``, which read back the same in Python; a row lists the columns holding JSON ``null`` in
  ``"json_null": [...]`` so that the restored database is the same at the SQL level too.

**Export** (:func:`export_catalog`) reads every table in one read-only transaction (one snapshot:
REPEATABLE READ on PostgreSQL, SQLite's WAL snapshot) and streams rows (server-side cursors on
PostgreSQL), so memory stays constant whatever the catalog's size. It writes ``.<name>.<random>.partial``
beside the destination, fsyncs it and renames it into place: the destination is either the previous
file or the complete new one. The SHA-256 of the written file is computed while writing.

**Import** (:func:`import_catalog`) refuses a file that is not such an export, an export of another
schema revision than this software's, and a target catalog that is not empty (a target database
without any schema is created first). Every row is inserted in one transaction with its primary key;
nothing is kept if anything goes wrong (a truncated or damaged file, a row the schema refuses, row
counts that differ from the header). On PostgreSQL the target tables are locked for writing while the
import runs, and the sequences of the primary keys are moved past the restored keys afterwards.
Self-references (a package's ``supersedes_id``) are set after all rows are in, whatever their order.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import JSON, Connection, Table, bindparam, func, null, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator

from archive_repo.catalog.db import (
    CatalogError,
    check_current,
    current_revision,
    engine_for,
    head_revision,
    safe_url,
    upgrade,
)
from archive_repo.catalog.models import Base
from archive_repo.durable import fsync_dir
from archive_repo.errors import ArchiveRepoError

FORMAT = "archive-repo-catalog"
FORMAT_VERSION = 1
PARTIAL_SUFFIX = ".partial"
BATCH = 1000
_CHUNK = 1 << 20


class BackupError(ArchiveRepoError):
    """A catalog export or import that cannot be made; nothing was written or imported."""


@dataclass
class ExportSummary:
    path: Path
    sha256: str  # of the file as written (what `sha256sum FILE` prints)
    size: int  # bytes of the file
    schema_revision: str
    exported_at: str
    tables: dict[str, int]  # rows per table

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass
class ImportSummary:
    path: Path
    sha256: str  # of the file as read
    schema_revision: str
    exported_at: str
    tables: dict[str, int] = field(default_factory=dict)  # rows imported per table

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def tables() -> list[Table]:
    """Every table of the catalog, each after the tables it refers to."""
    return list(Base.metadata.sorted_tables)


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0) for table in tables()
    }


# --------------------------------------------------------------------------------------------------
# values


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _python_type(column: Any) -> type | None:
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, JSON):
        return None
    try:
        return column_type.python_type
    except NotImplementedError:
        return None


def _decoder(column: Any) -> Any:
    kind = _python_type(column)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat
    if kind is dt.date:
        return dt.date.fromisoformat
    if kind is dt.time:
        return dt.time.fromisoformat
    if kind is bytes:
        return lambda value: base64.b64decode(value, validate=True)
    if kind is Decimal:
        return lambda value: Decimal(str(value))
    if kind is uuid.UUID:
        return uuid.UUID
    return None


def _json_columns(table: Table) -> list[str]:
    result = []
    for column in table.columns:
        column_type = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(column_type, JSON):
            result.append(column.name)
    return result


# --------------------------------------------------------------------------------------------------
# export


class _HashingWriter(io.RawIOBase):
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.hasher = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.hasher.update(view)
        self.raw.write(view)
        self.size += len(view)
        return len(view)

    def flush(self) -> None:
        self.raw.flush()


def _line(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


@contextlib.contextmanager
def _snapshot(url: str) -> Iterator[Connection]:
    """One read-only transaction over the whole catalog (one consistent snapshot)."""
    found = current_revision(url)  # first: a SQLite file that is not there is not created
    if found != head_revision():
        raise CatalogError("db.not_upgraded", url=safe_url(url), found=found or "-", expected=head_revision())
    engine = engine_for(url)
    try:
        check_current(engine)
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SET TRANSACTION READ ONLY"))
                yield connection
    finally:
        engine.dispose()


def _rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    json_columns = _json_columns(table)
    null_tests = [table.c[name].is_(None).label(f"__sql_null_{name}") for name in json_columns]
    statement = select(table, *null_tests).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=BATCH).execute(statement)
    names = [column.name for column in table.columns]
    for row in result:
        mapping = row._mapping
        line: dict[str, Any] = {"table": table.name, "row": {name: _encode(mapping[name]) for name in names}}
        json_null = [
            name for name in json_columns if mapping[name] is None and not mapping[f"__sql_null_{name}"]
        ]
        if json_null:
            line["json_null"] = json_null
        yield line


def export_catalog(url: str, destination: Path, *, force: bool = False) -> ExportSummary:
    """Write the whole catalog at ``url`` to ``destination`` (see the module notes)."""
    destination = Path(destination)
    if destination.is_dir():
        raise BackupError("backup.export_is_folder", path=str(destination))
    if destination.exists() and not force:
        raise BackupError("backup.export_exists", path=str(destination))
    if not destination.parent.is_dir():
        raise BackupError("backup.export_no_folder", path=str(destination.parent))
    partial = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:12]}{PARTIAL_SUFFIX}")
    revision = head_revision()
    exported_at = dt.datetime.now(dt.UTC).isoformat()
    try:
        with _snapshot(url) as connection, open(partial, "xb") as raw:
            counts = row_counts(connection)
            writer = _HashingWriter(raw)
            with gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=6, mtime=0, filename="") as archive:
                header = {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "schema_revision": revision,
                    "exported_at": exported_at,
                    "tables": counts,
                }
                archive.write(_line(header))
                for table in tables():
                    written = 0
                    for line in _rows(connection, table):
                        archive.write(_line(line))
                        written += 1
                    if written != counts[table.name]:  # cannot happen inside one snapshot
                        raise BackupError(
                            "backup.export_changed",
                            table=table.name,
                            expected=counts[table.name],
                            found=written,
                        )
            raw.flush()
            os.fsync(raw.fileno())
        if destination.exists() and not force:  # appeared while we were writing
            raise BackupError("backup.export_exists", path=str(destination))
        os.replace(partial, destination)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError("backup.export_io", path=str(destination), detail=str(exc)) from None
    except SQLAlchemyError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError("backup.export_db", url=safe_url(url), detail=_first_line(exc)) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync_dir(destination.parent)
    return ExportSummary(
        path=destination,
        sha256=writer.hasher.hexdigest(),
        size=writer.size,
        schema_revision=revision,
        exported_at=exported_at,
        tables=counts,
    )


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


# --------------------------------------------------------------------------------------------------
# import


class _HashingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.hasher = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.hasher.update(data)
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while chunk := self.raw.read(_CHUNK):
            self.hasher.update(chunk)


class _ExportReader:
    """The lines of an export file; any damage becomes :class:`BackupError` ``backup.corrupt``."""

    def __init__(self, path: Path, raw: IO[bytes]) -> None:
        self.path = path
        self.hashing = _HashingReader(raw)
        self.text = io.TextIOWrapper(
            gzip.GzipFile(fileobj=io.BufferedReader(self.hashing, _CHUNK), mode="rb"), encoding="utf-8"
        )
        self.number = 0

    def corrupt(self, detail: str) -> BackupError:
        return BackupError("backup.corrupt", path=str(self.path), line=self.number, detail=detail)

    def next_object(self) -> dict[str, Any] | None:
        try:
            line = self.text.readline()
        except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:  # BadGzipFile is an OSError
            raise self.corrupt(str(exc) or type(exc).__name__) from None
        if not line:
            return None
        self.number += 1
        if not line.endswith("\n"):
            raise self.corrupt("incomplete last line")
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise self.corrupt(str(exc)) from None
        if not isinstance(data, dict):
            raise self.corrupt("not a JSON object")
        return data

    def finish(self) -> str:
        self.hashing.drain()
        return self.hashing.hasher.hexdigest()


def _read_header(reader: _ExportReader) -> dict[str, Any]:
    header = reader.next_object()
    if header is None or header.get("format") != FORMAT:
        raise BackupError("backup.not_an_export", path=str(reader.path))
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(
            "backup.unsupported_version", path=str(reader.path), version=header.get("version"), supported=1
        )
    counts = header.get("tables")
    if (
        not isinstance(header.get("schema_revision"), str)
        or not isinstance(counts, dict)
        or not all(isinstance(n, int) and n >= 0 for n in counts.values())
    ):
        raise reader.corrupt("header without schema_revision or table counts")
    return header


@dataclass
class _TablePlan:
    table: Table
    columns: set[str]
    decoders: dict[str, Any]
    json_columns: set[str]
    self_references: list[str]
    batch: list[dict[str, Any]] = field(default_factory=list)
    deferred: list[dict[str, Any]] = field(default_factory=list)  # self-references, set at the end
    count: int = 0


def _plans() -> dict[str, _TablePlan]:
    plans = {}
    for table in tables():
        self_references = sorted({fk.parent.name for fk in table.foreign_keys if fk.column.table is table})
        decoders = {column.name: d for column in table.columns if (d := _decoder(column)) is not None}
        plans[table.name] = _TablePlan(
            table, {c.name for c in table.columns}, decoders, set(_json_columns(table)), self_references
        )
    return plans


def _decode_row(reader: _ExportReader, plan: _TablePlan, data: dict[str, Any]) -> dict[str, Any]:
    row = data.get("row")
    if not isinstance(row, dict) or set(row) != plan.columns:
        found = sorted(row) if isinstance(row, dict) else "-"
        raise reader.corrupt(
            f"row of {plan.table.name} with columns {found}, expected {sorted(plan.columns)}"
        )
    json_null = data.get("json_null", [])
    if not isinstance(json_null, list) or not set(json_null) <= plan.json_columns:
        raise reader.corrupt(f"bad json_null {json_null!r}")
    values = dict(row)
    for name, decode in plan.decoders.items():
        if values[name] is not None:
            try:
                values[name] = decode(values[name])
            except (TypeError, ValueError) as exc:
                raise reader.corrupt(f"{plan.table.name}.{name}: {exc}") from None
    for name in plan.json_columns:
        if values[name] is None:
            values[name] = JSON.NULL if name in json_null else null()
    if plan.self_references:
        pending = {name: values[name] for name in plan.self_references if values[name] is not None}
        if pending:
            keys = {column.name: values[column.name] for column in plan.table.primary_key.columns}
            plan.deferred.append({**{f"pk_{k}": v for k, v in keys.items()}, **pending})
        for name in plan.self_references:
            values[name] = None
    return values


def _flush(connection: Connection, plan: _TablePlan) -> None:
    if plan.batch:
        connection.execute(plan.table.insert(), plan.batch)
        plan.batch = []


def _apply_deferred(connection: Connection, plan: _TablePlan) -> None:
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for item in plan.deferred:
        columns = tuple(sorted(k for k in item if not k.startswith("pk_")))
        by_columns.setdefault(columns, []).append(item)
    for columns, items in by_columns.items():
        condition = [column == bindparam(f"pk_{column.name}") for column in plan.table.primary_key.columns]
        statement = update(plan.table).where(*condition).values({c: bindparam(c) for c in columns})
        for start in range(0, len(items), BATCH):
            connection.execute(statement, items[start : start + BATCH])


def _lock_for_import(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.format_table(t) for t in tables())
        connection.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


def reset_sequences(connection: Connection) -> None:
    """PostgreSQL: the next generated primary key of every table follows the largest one present."""
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        quoted_table, quoted_column = preparer.format_table(table), preparer.quote(column.name)
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT MAX({quoted_column}) FROM {quoted_table}), 0) + 1, false)"
            ),
            {"table": quoted_table, "column": column.name},
        )


def ensure_schema(url: str) -> None:
    """A database without any catalog schema gets one (the newest); otherwise it must be the newest."""
    if current_revision(url) is None:
        upgrade(url)
    engine = engine_for(url)
    try:
        check_current(engine)
    finally:
        engine.dispose()


def refuse_unless_empty(connection: Connection, url: str) -> None:
    counts = {name: count for name, count in row_counts(connection).items() if count}
    if counts:
        held = ", ".join(f"{name} {count}" for name, count in counts.items())
        raise BackupError("backup.target_not_empty", url=safe_url(url), tables=held)


def import_catalog(url: str, source: Path) -> ImportSummary:
    """Restore the export ``source`` into the empty catalog at ``url`` (see the module notes)."""
    source = Path(source)
    try:
        raw = open(source, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise BackupError("backup.import_unreadable", path=str(source), detail=str(exc)) from None
    with raw:
        reader = _ExportReader(source, raw)
        header = _read_header(reader)
        revision = header["schema_revision"]
        if revision != head_revision():
            raise BackupError(
                "backup.revision_mismatch", path=str(source), found=revision, expected=head_revision()
            )
        unknown = sorted(set(header["tables"]) - {t.name for t in tables()})
        if unknown:
            raise reader.corrupt(f"unknown tables {', '.join(unknown)}")
        ensure_schema(url)
        engine = engine_for(url).execution_options(sqlite_begin="IMMEDIATE")
        try:
            with engine.connect() as connection, connection.begin():
                _lock_for_import(connection)
                refuse_unless_empty(connection, url)
                plans = _import_rows(connection, reader)
                for plan in plans.values():
                    _apply_deferred(connection, plan)
                counts = {name: plan.count for name, plan in plans.items()}
                expected = {name: header["tables"].get(name, 0) for name in plans}
                if counts != expected:
                    differing = ", ".join(
                        f"{name} {counts[name]}/{expected[name]}"
                        for name in plans
                        if counts[name] != expected[name]
                    )
                    raise reader.corrupt(f"rows found/announced differ: {differing}")
                digest = reader.finish()
                reset_sequences(connection)
        except SQLAlchemyError as exc:
            raise BackupError(
                "backup.import_failed", url=safe_url(url), line=reader.number, detail=_first_line(exc)
            ) from None
        finally:
            engine.dispose()
    return ImportSummary(
        path=source,
        sha256=digest,
        schema_revision=revision,
        exported_at=str(header.get("exported_at", "")),
        tables=counts,
    )


def _import_rows(connection: Connection, reader: _ExportReader) -> dict[str, _TablePlan]:
    plans = _plans()
    current: _TablePlan | None = None
    while (data := reader.next_object()) is not None:
        plan = plans.get(data.get("table"))  # type: ignore[arg-type]
        if plan is None:
            raise reader.corrupt(f"unknown table {data.get('table')!r}")
        if plan is not current and current is not None:
            _flush(connection, current)
        current = plan
        plan.batch.append(_decode_row(reader, plan, data))
        plan.count += 1
        if len(plan.batch) >= BATCH:
            _flush(connection, plan)
    if current is not None:
        _flush(connection, current)
    return plans
