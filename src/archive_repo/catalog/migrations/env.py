"""Alembic environment, used programmatically by ``archive_repo.catalog.db`` (no alembic.ini).

``catalog.db`` passes an open connection, in a transaction, as ``config.attributes["connection"]``.
To write a new migration from a checkout::

    python -c "from alembic import command; from archive_repo.catalog.db import alembic_config; \\
        command.revision(alembic_config(), 'what changed', autogenerate=True)"

with ``ARCHIVE_REPO_DB`` set to a database at the current head (autogenerate compares against it).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from archive_repo.catalog.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=os.environ.get("ARCHIVE_REPO_DB", "sqlite://"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        from archive_repo.catalog.db import engine_for

        engine = engine_for(os.environ.get("ARCHIVE_REPO_DB", "sqlite://"))
        try:
            with engine.connect() as connection, connection.begin():
                run_with(connection)
        finally:
            engine.dispose()
    else:
        run_with(connection)
