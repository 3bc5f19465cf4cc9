"""Connecting to the catalog and bringing its schema up to date.

- ``engine_for(url)``: SQLite (the embedded default, ``sqlite:///<repository>/catalog.sqlite``) or
  PostgreSQL through psycopg 3 (``postgresql://`` and ``postgres://`` URLs are taken to mean
  ``postgresql+psycopg://``).
- SQLite is set up for safety with several processes: WAL journal, foreign keys enforced, a busy timeout,
  and real transactions: the driver's own implicit transaction handling is switched off and every
  SQLAlchemy transaction starts with ``BEGIN``, so reads inside a transaction see one snapshot and a
  rollback undoes everything since it began, DDL included. A transaction that reads and then writes
  while other processes write too should take the write lock first, or it may fail with "database is
  locked": ``engine.execution_options(sqlite_begin="IMMEDIATE")`` gives an engine whose transactions
  start with ``BEGIN IMMEDIATE`` (ignored on PostgreSQL).
- ``upgrade(url)`` runs the Alembic migrations shipped inside this package (``migrations/``) to head,
  programmatically (no alembic.ini); on PostgreSQL it holds an advisory lock so that several workers
  starting at once upgrade one after the other.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.exc import OperationalError as SAOperationalError
from sqlalchemy.orm import Session, sessionmaker

from archive_repo.errors import ArchiveRepoError

CATALOG_FILE = "catalog.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Arbitrary, fixed: the key of the PostgreSQL advisory lock that serialises schema upgrades.
_UPGRADE_LOCK_KEY = 0x41524348_49564531
_MIGRATIONS = "archive_repo.catalog:migrations"
_SQLITE_BEGIN_MODES = ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")


class CatalogError(ArchiveRepoError):
    """The catalog database cannot be used (bad URL, cannot connect, schema not up to date)."""


def default_url(repository: Path) -> str:
    """The embedded catalog of a repository folder: a SQLite file inside it."""
    return f"sqlite:///{(Path(repository) / CATALOG_FILE).resolve()}"


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; PostgreSQL URLs without a driver get psycopg 3. Bad URLs raise ``CatalogError``."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CatalogError("db.bad_url", url=str(url), detail=str(exc)) from None
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise CatalogError("db.unsupported", url=safe_url(parsed), backend=parsed.get_backend_name())
    return parsed


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def engine_for(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for the catalog at ``url``, with the per-database settings described above."""
    parsed = normalise_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if _file_database(parsed):
                Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, **kwargs)
            _configure_sqlite(engine)
        else:
            kwargs.setdefault("pool_pre_ping", True)
            engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise CatalogError("db.bad_url", url=safe_url(parsed), detail=str(exc)) from None
    return engine


def _file_database(url: URL) -> bool:
    """A SQLite URL naming a plain file (not in-memory, not a ``file:`` URI)."""
    database = url.database or ""
    return bool(database) and database != ":memory:" and not database.startswith("file:")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _use_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in _SQLITE_BEGIN_MODES:
            raise ValueError(f"sqlite_begin={mode!r}: expected one of {_SQLITE_BEGIN_MODES}")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _use_wal(cursor: Any) -> None:
    """WAL journal, set once per database file. Switching needs the file to itself, which the busy
    timeout does not wait for: while another process holds a transaction (a migration, an ingest) the
    switch is retried; a database already in WAL mode is left alone."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``; objects stay readable after commit (no reload on attribute access)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed if the block ends normally, rolled back otherwise."""
    with factory() as session, session.begin():
        yield session


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the migrations inside this package (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the catalog has no migrations"
    return head


def upgrade(url: str | URL, revision: str = "head") -> str | None:
    """Migrate the catalog at ``url`` to ``revision`` (default: the newest); returns the revision reached."""
    engine = engine_for(url).execution_options(sqlite_begin="IMMEDIATE")
    try:
        with _connected(engine, url) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
            try:
                command.upgrade(alembic_config(connection), revision)
            except CommandError as exc:
                raise CatalogError("db.unknown_revision", url=safe_url(url), detail=str(exc)) from None
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The catalog's schema revision, or None for an empty database (a missing SQLite file is not created)."""
    parsed = normalise_url(url)
    if (
        parsed.get_backend_name() == "sqlite"
        and _file_database(parsed)
        and not Path(str(parsed.database)).exists()
    ):
        return None
    engine = engine_for(url)
    try:
        with _connected(engine, url) as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def check_current(engine: Engine) -> None:
    """Raise ``CatalogError`` unless the catalog's schema is at the newest revision."""
    with _connected(engine, engine.url) as connection:
        found = MigrationContext.configure(connection).get_current_revision()
    if found != head_revision():
        raise CatalogError(
            "db.not_upgraded", url=safe_url(engine.url), found=found or "-", expected=head_revision()
        )


@contextlib.contextmanager
def _connected(engine: Engine, url: str | URL) -> Iterator[Connection]:
    """One connection in one transaction; connection failures become ``CatalogError``."""
    try:
        connection = engine.connect()
    except SAOperationalError as exc:
        detail = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else ""
        raise CatalogError("db.cannot_connect", url=safe_url(url), detail=detail) from None
    with connection, connection.begin():
        yield connection
