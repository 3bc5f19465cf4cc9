"""One catalog engine per process (workers may be separate processes; connections never cross a fork)."""

from __future__ import annotations

import functools

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from archive_repo.catalog.db import check_current, engine_for, session_factory


@functools.cache
def catalog_engine(url: str) -> Engine:
    engine = engine_for(url)
    check_current(engine)
    return engine


def sessions(url: str) -> sessionmaker[Session]:
    return session_factory(catalog_engine(url))


def writer_sessions(url: str) -> sessionmaker[Session]:
    """Sessions whose transactions take SQLite's write lock at BEGIN (read-then-write without deadlock)."""
    return session_factory(catalog_engine(url).execution_options(sqlite_begin="IMMEDIATE"))
