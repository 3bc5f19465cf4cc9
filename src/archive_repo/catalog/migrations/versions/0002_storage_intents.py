"""Storage intents (what an ingest writes before its commit), the process id of an ingest run, and the
SIP docId of each document (holey references name documents by it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_runs") as batch:
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
    op.create_table(
        "storage_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objid", sa.String(length=255), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_runs.id"], name=op.f("fk_storage_intents_run_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_intents")),
        sa.UniqueConstraint("objid", "location", name=op.f("uq_storage_intents_objid_location")),
    )
    op.create_index(op.f("ix_storage_intents_run_id"), "storage_intents", ["run_id"], unique=False)
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("doc_id", sa.String(length=255), nullable=True))
        batch.create_index(batch.f("ix_documents_doc_id"), ["doc_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index(batch.f("ix_documents_doc_id"))
        batch.drop_column("doc_id")
    op.drop_index(op.f("ix_storage_intents_run_id"), table_name="storage_intents")
    op.drop_table("storage_intents")
    with op.batch_alter_table("ingest_runs") as batch:
        batch.drop_column("pid")
