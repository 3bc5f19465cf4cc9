"""The catalog: SQLAlchemy 2 models, queries, Alembic migrations; SQLite default, PostgreSQL for scale."""
