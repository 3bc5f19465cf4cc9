"""Initial catalog schema: agencies, fonds, ingest runs, submissions, packages, documents, files,
storage copies, PREMIS events and agents.

Revision ID: 0001
Revises:
Create Date: 2025-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_count", sa.Integer(), nullable=False),
        sa.Column("accepted_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'failed', 'interrupted')", name=op.f("ck_ingest_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    op.create_table(
        "premis_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premis_agents")),
        sa.UniqueConstraint("identifier", name=op.f("uq_premis_agents_identifier")),
    )
    op.create_table(
        "fonds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_fonds_agency_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fonds")),
        sa.UniqueConstraint("code", name=op.f("uq_fonds_code")),
    )
    op.create_index(op.f("ix_fonds_agency_id"), "fonds", ["agency_id"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('accepted', 'rejected')", name=op.f("ck_submissions_status")),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_runs.id"], name=op.f("fk_submissions_run_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("digest", name=op.f("uq_submissions_digest")),
    )
    op.create_index(op.f("ix_submissions_run_id"), "submissions", ["run_id"])
    op.create_table(
        "packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objid", sa.String(length=255), nullable=False),
        sa.Column("sip_objid", sa.String(length=255), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("fonds_id", sa.Integer(), nullable=True),
        sa.Column("arc_file_code", sa.String(length=255), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("record_status", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.String(length=32), nullable=True),
        sa.Column("end_date", sa.String(length=32), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'superseded')", name=op.f("ck_packages_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_packages_version_positive")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_packages_agency_id")),
        sa.ForeignKeyConstraint(["fonds_id"], ["fonds.id"], name=op.f("fk_packages_fonds_id")),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_packages_submission_id")
        ),
        sa.ForeignKeyConstraint(["supersedes_id"], ["packages.id"], name=op.f("fk_packages_supersedes_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
        sa.UniqueConstraint("arc_file_code", "version", name=op.f("uq_packages_arc_file_code_version")),
        sa.UniqueConstraint("objid", name=op.f("uq_packages_objid")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_packages_submission_id")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_packages_supersedes_id")),
    )
    op.create_index(op.f("ix_packages_agency_id"), "packages", ["agency_id"])
    op.create_index(op.f("ix_packages_fonds_id"), "packages", ["fonds_id"])
    op.create_index(op.f("ix_packages_mode"), "packages", ["mode"])
    op.create_index(op.f("ix_packages_sip_objid"), "packages", ["sip_objid"])
    op.create_index(op.f("ix_packages_start_on_end_on"), "packages", ["start_on", "end_on"])
    op.create_index(op.f("ix_packages_status"), "packages", ["status"])
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("type_code", sa.String(length=8), nullable=True),
        sa.Column("issued_date", sa.String(length=32), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], name=op.f("fk_documents_package_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("package_id", "ordinal", name=op.f("uq_documents_package_id_ordinal")),
    )
    op.create_index(op.f("ix_documents_code"), "documents", ["code"])
    op.create_index(op.f("ix_documents_issued_on"), "documents", ["issued_on"])
    op.create_index(op.f("ix_documents_mode"), "documents", ["mode"])
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("puid", sa.String(length=32), nullable=True),
        sa.Column("mimetype", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "role IN ('data', 'metadata', 'schema', 'premis', 'mets', 'documentation')",
            name=op.f("ck_files_role"),
        ),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_files_document_id")),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], name=op.f("fk_files_package_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("package_id", "path", name=op.f("uq_files_package_id_path")),
    )
    op.create_index(op.f("ix_files_document_id"), "files", ["document_id"])
    op.create_index(op.f("ix_files_sha256"), "files", ["sha256"])
    op.create_table(
        "premis_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=100), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["premis_agents.id"], name=op.f("fk_premis_events_agent_id")),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_premis_events_file_id")),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], name=op.f("fk_premis_events_package_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premis_events")),
        sa.UniqueConstraint("identifier", name=op.f("uq_premis_events_identifier")),
    )
    op.create_index(op.f("ix_premis_events_agent_id"), "premis_events", ["agent_id"])
    op.create_index(op.f("ix_premis_events_file_id"), "premis_events", ["file_id"])
    op.create_index(
        op.f("ix_premis_events_package_id_occurred_at"), "premis_events", ["package_id", "occurred_at"]
    )
    op.create_index(op.f("ix_premis_events_type"), "premis_events", ["type"])
    op.create_table(
        "storage_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'ok', 'missing', 'corrupt')", name=op.f("ck_storage_copies_status")
        ),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_storage_copies_file_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_copies")),
        sa.UniqueConstraint("file_id", "location", name=op.f("uq_storage_copies_file_id_location")),
    )
    op.create_index(op.f("ix_storage_copies_location"), "storage_copies", ["location"])
    op.create_index(op.f("ix_storage_copies_verified_at"), "storage_copies", ["verified_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_storage_copies_verified_at"), table_name="storage_copies")
    op.drop_index(op.f("ix_storage_copies_location"), table_name="storage_copies")
    op.drop_table("storage_copies")
    op.drop_index(op.f("ix_premis_events_type"), table_name="premis_events")
    op.drop_index(op.f("ix_premis_events_package_id_occurred_at"), table_name="premis_events")
    op.drop_index(op.f("ix_premis_events_file_id"), table_name="premis_events")
    op.drop_index(op.f("ix_premis_events_agent_id"), table_name="premis_events")
    op.drop_table("premis_events")
    op.drop_index(op.f("ix_files_sha256"), table_name="files")
    op.drop_index(op.f("ix_files_document_id"), table_name="files")
    op.drop_table("files")
    op.drop_index(op.f("ix_documents_mode"), table_name="documents")
    op.drop_index(op.f("ix_documents_issued_on"), table_name="documents")
    op.drop_index(op.f("ix_documents_code"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_packages_status"), table_name="packages")
    op.drop_index(op.f("ix_packages_start_on_end_on"), table_name="packages")
    op.drop_index(op.f("ix_packages_sip_objid"), table_name="packages")
    op.drop_index(op.f("ix_packages_mode"), table_name="packages")
    op.drop_index(op.f("ix_packages_fonds_id"), table_name="packages")
    op.drop_index(op.f("ix_packages_agency_id"), table_name="packages")
    op.drop_table("packages")
    op.drop_index(op.f("ix_submissions_run_id"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_index(op.f("ix_fonds_agency_id"), table_name="fonds")
    op.drop_table("fonds")
    op.drop_table("premis_agents")
    op.drop_table("ingest_runs")
    op.drop_table("agencies")
