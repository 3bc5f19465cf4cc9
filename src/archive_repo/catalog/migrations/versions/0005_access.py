"""Access (TT05 ch. VI): researchers' requests, the documents they ask for with the access regime that
applied, the outputs issued (reading copies, copies, certified copies, DIPs) and the audit trail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENT = sa.DateTime(timezone=True)
_KINDS = "'reading', 'copy', 'certified', 'dip'"


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("identity_kind", sa.String(length=16), nullable=False),
        sa.Column("identity_number", sa.String(length=50), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("purpose_content", sa.Text(), nullable=True),
        sa.Column("fee_object_type", sa.String(length=8), nullable=False),
        sa.Column("research_topic", sa.String(length=250), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("copy_kind", sa.String(length=16), nullable=False),
        sa.Column("reading_days", sa.Integer(), nullable=True),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_due_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", _MOMENT, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("issuing_host", sa.String(length=255), nullable=True),
        sa.Column("issuing_pid", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'refused', 'issuing', 'issued')",
            name=op.f("ck_access_requests_status"),
        ),
        sa.CheckConstraint(f"copy_kind IN ({_KINDS})", name=op.f("ck_access_requests_copy_kind")),
        sa.CheckConstraint(
            "identity_kind IN ('cccd', 'passport', 'other')", name=op.f("ck_access_requests_identity_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
        sa.UniqueConstraint("code", name=op.f("uq_access_requests_code")),
    )
    for column in ("status", "review_due_on"):
        op.create_index(op.f(f"ix_access_requests_{column}"), "access_requests", [column], unique=False)
    op.create_table(
        "access_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("asked_as", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_access_items_document_id")),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], name=op.f("fk_access_items_package_id")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["access_requests.id"], name=op.f("fk_access_items_request_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_items")),
    )
    for column in ("document_id", "package_id", "request_id"):
        op.create_index(op.f(f"ix_access_items_{column}"), "access_items", [column], unique=False)
    op.create_table(
        "access_outputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mimetype", sa.String(length=255), nullable=False),
        sa.Column("dip_objid", sa.String(length=255), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("available_until", _MOMENT, nullable=False),
        sa.Column("delete_after", _MOMENT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deleted_at", _MOMENT, nullable=True),
        sa.CheckConstraint(f"kind IN ({_KINDS})", name=op.f("ck_access_outputs_kind")),
        sa.CheckConstraint("status IN ('available', 'deleted')", name=op.f("ck_access_outputs_status")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_access_outputs_document_id")
        ),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_access_outputs_file_id")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["access_requests.id"], name=op.f("fk_access_outputs_request_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_outputs")),
    )
    for column in ("delete_after", "document_id", "file_id", "request_id", "status"):
        op.create_index(op.f(f"ix_access_outputs_{column}"), "access_outputs", [column], unique=False)
    op.create_table(
        "access_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("output_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", _MOMENT, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('requested', 'approved', 'denied', 'refused', 'issued', 'delivered', 'viewed', "
            "'linked', 'expired', 'reopened', 'withdrawn')",
            name=op.f("ck_access_events_action"),
        ),
        sa.ForeignKeyConstraint(
            ["output_id"], ["access_outputs.id"], name=op.f("fk_access_events_output_id")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["access_requests.id"], name=op.f("fk_access_events_request_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_events")),
    )
    for column in ("occurred_at", "output_id", "request_id"):
        op.create_index(op.f(f"ix_access_events_{column}"), "access_events", [column], unique=False)


def downgrade() -> None:
    for table in ("access_events", "access_outputs", "access_items", "access_requests"):
        op.drop_table(table)
