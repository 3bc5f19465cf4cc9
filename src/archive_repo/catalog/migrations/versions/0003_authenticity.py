"""What the authenticity checks found: each file's identified format and characteristics, and every
digital signature with its validation outcome.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("format_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("format_version", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("characteristics", sa.JSON(), nullable=True))
    op.create_table(
        "signature_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("subindication", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("signer", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("serial", sa.String(length=128), nullable=True),
        sa.Column("signing_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timestamp_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('TOTAL-PASSED', 'TOTAL-FAILED', 'INDETERMINATE')",
            name=op.f("ck_signature_checks_outcome"),
        ),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_signature_checks_file_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_checks")),
        sa.UniqueConstraint("file_id", "ordinal", name=op.f("uq_signature_checks_file_id_ordinal")),
    )
    op.create_index(op.f("ix_signature_checks_outcome"), "signature_checks", ["outcome"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_signature_checks_outcome"), table_name="signature_checks")
    op.drop_table("signature_checks")
    with op.batch_alter_table("files") as batch:
        batch.drop_column("characteristics")
        batch.drop_column("format_version")
        batch.drop_column("format_name")
