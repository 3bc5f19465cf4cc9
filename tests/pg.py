"""PostgreSQL for the tests: a fresh database per test on the server named by ARCHIVE_REPO_TEST_PG_URL.

``scripts/test.sh`` starts a throwaway server (``scripts/postgres.sh``) and sets the variable, so CI runs
the PostgreSQL tests; a plain ``pytest`` without it skips them (and ``test_ci_runs_postgresql`` fails
under CI=true, so CI cannot skip them silently). Each test gets its own database, created from the
server's URL (whose user may create databases) and dropped afterwards, so xdist workers never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from archive_repo.catalog.db import normalise_url

PG_URL_VARIABLE = "ARCHIVE_REPO_TEST_PG_URL"


def server_url() -> str | None:
    return os.environ.get(PG_URL_VARIABLE) or None


@pytest.fixture
def pg_server_url() -> str | None:
    """The server's URL from the environment, or None (for tests that check how the suite is run)."""
    return server_url()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (the test is skipped without a server)."""
    url = server_url()
    if url is None:
        pytest.skip(f"{PG_URL_VARIABLE} is not set (scripts/test.sh starts a PostgreSQL server and sets it)")
    server = normalise_url(url)
    name = f"test_{uuid.uuid4().hex[:20]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
