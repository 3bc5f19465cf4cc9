"""The researcher portal: accounts (researchers register, staff activate), the portal's audit log, and the
account a request came from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENT = sa.DateTime(timezone=True)
_ACTIONS = (
    "'register', 'activate', 'login', 'login_failed', 'logout', 'search', 'request', 'view', 'download', "
    "'decide', 'issue'"
)


def upgrade() -> None:
    op.create_table(
        "portal_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("identity_kind", sa.String(length=16), nullable=False),
        sa.Column("identity_number", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("approver", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("activated_at", _MOMENT, nullable=True),
        sa.Column("activated_by", sa.String(length=254), nullable=True),
        sa.Column("last_login_at", _MOMENT, nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _MOMENT, nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('researcher', 'staff')", name=op.f("ck_portal_accounts_role")),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'disabled')", name=op.f("ck_portal_accounts_status")
        ),
        sa.CheckConstraint(
            "identity_kind IN ('cccd', 'passport', 'other')", name=op.f("ck_portal_accounts_identity_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_portal_accounts_email")),
    )
    op.create_index(op.f("ix_portal_accounts_status"), "portal_accounts", ["status"], unique=False)
    op.create_table(
        "portal_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", _MOMENT, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.CheckConstraint(f"action IN ({_ACTIONS})", name=op.f("ck_portal_events_action")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["portal_accounts.id"], name=op.f("fk_portal_events_account_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_events")),
    )
    for column in ("account_id", "occurred_at"):
        op.create_index(op.f(f"ix_portal_events_{column}"), "portal_events", [column], unique=False)
    with op.batch_alter_table("access_requests") as batch:
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_access_requests_account_id"), "portal_accounts", ["account_id"], ["id"]
        )
        batch.create_index(op.f("ix_access_requests_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_requests") as batch:
        batch.drop_index(op.f("ix_access_requests_account_id"))
        batch.drop_constraint(op.f("fk_access_requests_account_id"), type_="foreignkey")
        batch.drop_column("account_id")
    op.drop_table("portal_events")
    op.drop_table("portal_accounts")
