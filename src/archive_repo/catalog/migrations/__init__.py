"""Alembic migrations of the catalog (run with ``archive-repo db upgrade``; see ``catalog.db.upgrade``)."""
