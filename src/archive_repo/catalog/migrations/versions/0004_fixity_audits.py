"""Fixity audits and replicas: the object version and retention of each copy (and each package's TT05
retention code, which the object lock follows), audit runs, one row per copy checked, and incidents
(corrupted or missing copies) with their recovery.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("packages") as batch:
        batch.add_column(sa.Column("maintenance", sa.String(length=8), nullable=True))
    with op.batch_alter_table("storage_copies") as batch:
        batch.add_column(sa.Column("version_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("retain_until", _MOMENT, nullable=True))
    op.create_table(
        "audit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", _MOMENT, nullable=False),
        sa.Column("finished_at", _MOMENT, nullable=True),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checked_count", sa.Integer(), nullable=False),
        sa.Column("ok_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("unreachable_count", sa.Integer(), nullable=False),
        sa.Column("repaired_count", sa.Integer(), nullable=False),
        sa.Column("unrecoverable_count", sa.Integer(), nullable=False),
        sa.Column("bytes_checked", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'failed', 'interrupted')", name=op.f("ck_audit_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_runs")),
    )
    op.create_index(op.f("ix_audit_runs_started_at"), "audit_runs", ["started_at"], unique=False)
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detected_at", _MOMENT, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("recovered_at", _MOMENT, nullable=True),
        sa.Column("source_location", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('corrupt', 'missing', 'catalog_mismatch')", name=op.f("ck_incidents_kind")
        ),
        sa.CheckConstraint(
            "outcome IN ('open', 'recovered', 'unrecoverable')", name=op.f("ck_incidents_outcome")
        ),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_incidents_file_id")),
        sa.ForeignKeyConstraint(["run_id"], ["audit_runs.id"], name=op.f("fk_incidents_run_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    for column in ("detected_at", "file_id", "outcome", "run_id"):
        op.create_index(op.f(f"ix_incidents_{column}"), "incidents", [column], unique=False)
    op.create_table(
        "fixity_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("copy_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", _MOMENT, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("found_size", sa.BigInteger(), nullable=True),
        sa.Column("found_sha256", sa.String(length=64), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('ok', 'corrupt', 'missing', 'unreachable')", name=op.f("ck_fixity_checks_outcome")
        ),
        sa.ForeignKeyConstraint(["copy_id"], ["storage_copies.id"], name=op.f("fk_fixity_checks_copy_id")),
        sa.ForeignKeyConstraint(["run_id"], ["audit_runs.id"], name=op.f("fk_fixity_checks_run_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixity_checks")),
    )
    for column in ("copy_id", "outcome", "run_id"):
        op.create_index(op.f(f"ix_fixity_checks_{column}"), "fixity_checks", [column], unique=False)
    with op.batch_alter_table("premis_events") as batch:
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("location", sa.String(length=100), nullable=True))
        batch.create_foreign_key(op.f("fk_premis_events_run_id"), "audit_runs", ["run_id"], ["id"])
        batch.create_index(op.f("ix_premis_events_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("premis_events") as batch:
        batch.drop_index(op.f("ix_premis_events_run_id"))
        batch.drop_constraint(op.f("fk_premis_events_run_id"), type_="foreignkey")
        batch.drop_column("location")
        batch.drop_column("run_id")
    op.drop_table("fixity_checks")
    op.drop_table("incidents")
    op.drop_index(op.f("ix_audit_runs_started_at"), table_name="audit_runs")
    op.drop_table("audit_runs")
    with op.batch_alter_table("storage_copies") as batch:
        batch.drop_column("retain_until")
        batch.drop_column("version_id")
    with op.batch_alter_table("packages") as batch:
        batch.drop_column("maintenance")
