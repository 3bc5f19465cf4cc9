"""The catalog's tables: what the repository holds, where its copies are, and what happened to it.

SQLAlchemy 2 typed declarative models; the schema itself is created by the Alembic migrations in
``migrations/versions`` (a test checks that they match these models exactly, on SQLite and PostgreSQL).

- ``Agency`` and ``Fonds`` (phông lưu trữ): who produced the records.
- ``IngestRun``: one run of the ingest command over one or more submissions.
- ``Submission``: one submission as received, identified by the SHA-256 of its content (unique, so the
  same submission sent twice is recognised), with the verdict and the validation report.
- ``Package``: one AIP version. A ``SUPPLEMENT`` or ``REPLACEMENT`` creates a new row with ``version`` + 1
  that ``supersedes`` the previous one; the old row stays (status ``superseded``) and stays retrievable.
- ``Document``: one document of a package with its descriptive metadata (all fields in ``fields``).
- ``File``: every file of the AIP (path, size, SHA-256, PRONOM PUID, MIME type, role).
- ``StorageCopy``: one copy of a file in one storage location.
- ``PremisEvent`` and ``PremisAgent``: the preservation history.
- ``StorageIntent``: what a running ingest is writing to storage before its package is committed.
- ``SignatureCheck``: one digital signature of one file and its validation outcome (ETSI EN 319 102-1).
- ``AuditRun``, ``FixityCheck`` and ``Incident``: fixity audits (TT05 ch. V), one row per copy checked,
  and every corrupted or missing copy found with its recovery (the annex VII inspection and
  incident-and-recovery records are made from them).
- ``PortalAccount`` and ``PortalEvent``: researchers' and staff accounts on the portal and its audit log.
- ``AccessRequest``, ``AccessItem``, ``AccessOutput`` and ``AccessEvent``: researchers' requests (TT05
  ch. VI), the documents each asks for with the access regime that applied, what was issued (reading
  copies, copies, certified copies, DIPs) until its period ends, and the audit trail of every step.

Crash safety: the ingest writes storage first and adds a package with its files, copies and events in one
transaction, the last step; nothing of a package is visible before that commit.

Timestamps are timezone-aware and stored as UTC. ``search_text`` and the normalised date columns are
filled here, in Python, whenever a package or document is inserted or updated (see ``_normalise``), so
search behaves the same on every database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator

from archive_repo.catalog.normalise import first_day, last_day, search_text

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

PACKAGE_STATUSES = ("active", "superseded")
SUBMISSION_STATUSES = ("accepted", "rejected")
RUN_STATUSES = ("running", "finished", "failed", "interrupted")
FILE_ROLES = ("data", "metadata", "schema", "premis", "mets", "documentation")
COPY_STATUSES = ("pending", "ok", "missing", "corrupt")
SIGNATURE_OUTCOMES = ("TOTAL-PASSED", "TOTAL-FAILED", "INDETERMINATE")
CHECK_OUTCOMES = ("ok", "corrupt", "missing", "unreachable")
INCIDENT_KINDS = ("corrupt", "missing", "catalog_mismatch")
INCIDENT_OUTCOMES = ("open", "recovered", "unrecoverable")
MODES = ("01", "02", "03")
REQUEST_STATUSES = ("pending", "approved", "denied", "refused", "issuing", "issued")
OUTPUT_KINDS = ("reading", "copy", "certified", "dip")
OUTPUT_STATUSES = ("available", "deleted")
IDENTITY_KINDS = ("cccd", "passport", "other")
ACCOUNT_ROLES = ("researcher", "staff")
ACCOUNT_STATUSES = ("pending", "active", "disabled")
PORTAL_ACTIONS = (
    "register",
    "activate",
    "login",
    "login_failed",
    "logout",
    "search",
    "request",
    "view",
    "download",
    "decide",
    "issue",
)
ACCESS_ACTIONS = (
    "requested",
    "approved",
    "denied",
    "refused",
    "issued",
    "delivered",
    "viewed",
    "linked",
    "expired",
    "reopened",
    "withdrawn",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored as UTC; naive datetimes are refused (their zone is unknown)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the catalog stores timezone-aware timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Agency(Base):
    """An agency that produces records and submits them (cơ quan nộp lưu)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(500))

    fonds: Mapped[list[Fonds]] = relationship(back_populates="agency")


class Fonds(Base):
    """An archival fonds (phông lưu trữ), identified by its code (mã phông)."""

    __tablename__ = "fonds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)

    agency: Mapped[Agency | None] = relationship(back_populates="fonds")


class IngestRun(Base):
    """One run of the ingest over one or more submissions."""

    __tablename__ = "ingest_runs"
    __table_args__ = (_one_of("status", RUN_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    operator: Mapped[str] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    submitted_count: Mapped[int] = mapped_column(default=0)
    accepted_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)

    submissions: Mapped[list[Submission]] = relationship(back_populates="run")


class Submission(Base):
    """A submission as received; ``digest`` (SHA-256 of its content) recognises a second sending."""

    __tablename__ = "submissions"
    __table_args__ = (_one_of("status", SUBMISSION_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    source_name: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    verdict: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    report: Mapped[dict[str, Any] | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"), index=True)

    run: Mapped[IngestRun | None] = relationship(back_populates="submissions")
    package: Mapped[Package | None] = relationship(back_populates="submission")

    @validates("digest")
    def _lowercase_digest(self, _key: str, value: str) -> str:
        return value.lower()


class Package(Base):
    """One version of an AIP."""

    __tablename__ = "packages"
    __table_args__ = (
        _one_of("status", PACKAGE_STATUSES),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("arc_file_code", "version"),
        Index(None, "start_on", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    objid: Mapped[str] = mapped_column(String(255), unique=True)
    sip_objid: Mapped[str | None] = mapped_column(String(255), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    fonds_id: Mapped[int | None] = mapped_column(ForeignKey("fonds.id"), index=True)
    arc_file_code: Mapped[str | None] = mapped_column(String(255))  # indexed by the unique (code, version)
    title: Mapped[str] = mapped_column(Text, default="")
    variant: Mapped[str] = mapped_column(String(32))
    record_status: Mapped[str] = mapped_column(String(32), default="NEW")
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    start_date: Mapped[str | None] = mapped_column(String(32))
    end_date: Mapped[str | None] = mapped_column(String(32))
    start_on: Mapped[date | None] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    mode: Mapped[str | None] = mapped_column(String(8), index=True)
    maintenance: Mapped[str | None] = mapped_column(String(8))  # TT05 retention code (01 permanent, …)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission | None] = relationship(back_populates="package")
    agency: Mapped[Agency | None] = relationship()
    fonds: Mapped[Fonds | None] = relationship()
    supersedes: Mapped[Package | None] = relationship(
        remote_side=[id], back_populates="superseded_by", foreign_keys=[supersedes_id]
    )
    superseded_by: Mapped[Package | None] = relationship(back_populates="supersedes")
    documents: Mapped[list[Document]] = relationship(
        back_populates="package", order_by="Document.ordinal", cascade="all, delete-orphan"
    )
    files: Mapped[list[File]] = relationship(
        back_populates="package", order_by="File.path", cascade="all, delete-orphan"
    )
    events: Mapped[list[PremisEvent]] = relationship(
        back_populates="package", order_by="PremisEvent.occurred_at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Package {self.objid} {self.arc_file_code} v{self.version} {self.status}>"


class Document(Base):
    """One document of a package; ``fields`` holds every descriptive metadata field as read."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("package_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    ordinal: Mapped[int]
    code: Mapped[str | None] = mapped_column(String(255), index=True)
    doc_id: Mapped[str | None] = mapped_column(String(255), index=True)  # the SIP docId
    kind: Mapped[str] = mapped_column(String(16), default="text")
    title: Mapped[str] = mapped_column(Text, default="")
    type_code: Mapped[str | None] = mapped_column(String(8))
    issued_date: Mapped[str | None] = mapped_column(String(32))
    issued_on: Mapped[date | None] = mapped_column(Date, index=True)
    mode: Mapped[str | None] = mapped_column(String(8), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="")

    package: Mapped[Package] = relationship(back_populates="documents")
    files: Mapped[list[File]] = relationship(back_populates="document")


class File(Base):
    """One file of an AIP, at ``path`` relative to the package root."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("package_id", "path"), _one_of("role", FILE_ROLES))

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    puid: Mapped[str | None] = mapped_column(String(32))
    mimetype: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    format_name: Mapped[str | None] = mapped_column(String(255))
    format_version: Mapped[str | None] = mapped_column(String(64))
    # What the authenticity checks found beyond the format: PDF/A triage, identification warnings.
    characteristics: Mapped[dict[str, Any] | None] = mapped_column(JSON())

    package: Mapped[Package] = relationship(back_populates="files")
    document: Mapped[Document | None] = relationship(back_populates="files")
    copies: Mapped[list[StorageCopy]] = relationship(back_populates="file", cascade="all, delete-orphan")
    signatures: Mapped[list[SignatureCheck]] = relationship(
        back_populates="file", cascade="all, delete-orphan", order_by="SignatureCheck.ordinal"
    )


class StorageCopy(Base):
    """One copy of a file in one storage location (``key`` is the object key or path there)."""

    __tablename__ = "storage_copies"
    __table_args__ = (UniqueConstraint("file_id", "location"), _one_of("status", COPY_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    location: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(index=True)
    # The object version the store gave this copy (S3 VersionId): audits read exactly that version.
    version_id: Mapped[str | None] = mapped_column(String(255))
    retain_until: Mapped[datetime | None]  # object lock (WORM) retention, where the store has it

    file: Mapped[File] = relationship(back_populates="copies")


class SignatureCheck(Base):
    """One digital signature of one file, as validated (offline, against the archive's trust anchors)."""

    __tablename__ = "signature_checks"
    __table_args__ = (UniqueConstraint("file_id", "ordinal"), _one_of("outcome", SIGNATURE_OUTCOMES))

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    ordinal: Mapped[int]  # 1-based, in the order the signatures were applied
    kind: Mapped[str] = mapped_column(String(32))  # PAdES | PKCS7 | XAdES | XMLDSig | document timestamp
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    subindication: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(255))
    signer: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    serial: Mapped[str | None] = mapped_column(String(128))
    signing_time: Mapped[datetime | None]
    timestamp_time: Mapped[datetime | None]
    level: Mapped[str | None] = mapped_column(String(16))
    validated_at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # coverage, modification level, reasons

    file: Mapped[File] = relationship(back_populates="signatures")


class AuditRun(Base):
    """One run of ``archive-repo fixity audit`` (or of the storage sync), with its totals."""

    __tablename__ = "audit_runs"
    __table_args__ = (_one_of("status", RUN_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="audit")  # audit | sync
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    operator: Mapped[str] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    scope: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    checked_count: Mapped[int] = mapped_column(default=0)
    ok_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    unreachable_count: Mapped[int] = mapped_column(default=0)
    repaired_count: Mapped[int] = mapped_column(default=0)
    unrecoverable_count: Mapped[int] = mapped_column(default=0)
    bytes_checked: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)


class FixityCheck(Base):
    """One copy checked by one audit: what the catalog expected and what the store gave back."""

    __tablename__ = "fixity_checks"
    __table_args__ = (_one_of("outcome", CHECK_OUTCOMES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id"), index=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("storage_copies.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    found_size: Mapped[int | None] = mapped_column(BigInteger)
    found_sha256: Mapped[str | None] = mapped_column(String(64))
    seconds: Mapped[float] = mapped_column(default=0.0)
    detail: Mapped[str | None] = mapped_column(Text)

    copy: Mapped[StorageCopy] = relationship()


class Incident(Base):
    """A copy found corrupted or missing (or a catalog that disagrees with the AIP), and its recovery."""

    __tablename__ = "incidents"
    __table_args__ = (_one_of("kind", INCIDENT_KINDS), _one_of("outcome", INCIDENT_OUTCOMES))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("audit_runs.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    location: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    detected_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="open", index=True)
    recovered_at: Mapped[datetime | None]
    source_location: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)

    file: Mapped[File] = relationship()


class StorageIntent(Base):
    """Written (and committed) before an ingest stores anything under ``prefix`` in ``location``; removed in
    the transaction that commits the package. A row left behind names exactly the objects a crash
    orphaned, so ``archive-repo doctor`` removes them without guessing."""

    __tablename__ = "storage_intents"
    __table_args__ = (UniqueConstraint("objid", "location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objid: Mapped[str] = mapped_column(String(255))
    location: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"), index=True)


class PremisAgent(Base):
    """A PREMIS agent: software (with its version), a person or an organisation."""

    __tablename__ = "premis_agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(64))


class PremisEvent(Base):
    """A PREMIS event about a package (and, if ``file`` is set, about one of its files)."""

    __tablename__ = "premis_events"
    __table_args__ = (Index(None, "package_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), index=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    occurred_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("premis_agents.id"), index=True)
    # Preservation events after ingest: the audit or sync run that made them, and the storage location
    # of the copy they are about (what the stores' event logs carry).
    run_id: Mapped[int | None] = mapped_column(ForeignKey("audit_runs.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(100))

    package: Mapped[Package] = relationship(back_populates="events")
    file: Mapped[File | None] = relationship()
    agent: Mapped[PremisAgent | None] = relationship()


class AccessRequest(Base):
    """A researcher's request to use records (TT05 art. 36-42), the output wanted, and its decision."""

    __tablename__ = "access_requests"
    __table_args__ = (
        _one_of("status", REQUEST_STATUSES),
        _one_of("copy_kind", OUTPUT_KINDS),
        _one_of("identity_kind", IDENTITY_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    requester_name: Mapped[str] = mapped_column(String(200))
    identity_kind: Mapped[str] = mapped_column(String(16))
    identity_number: Mapped[str] = mapped_column(String(50))
    purpose: Mapped[str] = mapped_column(String(8))
    purpose_content: Mapped[str | None] = mapped_column(Text)
    fee_object_type: Mapped[str] = mapped_column(String(8))
    research_topic: Mapped[str | None] = mapped_column(String(250))
    description: Mapped[str | None] = mapped_column(Text)
    copy_kind: Mapped[str] = mapped_column(String(16))
    reading_days: Mapped[int | None]
    copies: Mapped[int] = mapped_column(default=1)
    mode: Mapped[str] = mapped_column(String(8))  # the strictest regime of the records asked for
    status: Mapped[str] = mapped_column(String(16), index=True)
    review_due_on: Mapped[date] = mapped_column(Date, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_accounts.id"), index=True
    )  # via the portal
    # While status is "issuing": the process making the outputs (doctor resets it once that is gone).
    issuing_host: Mapped[str | None] = mapped_column(String(255))
    issuing_pid: Mapped[int | None]

    items: Mapped[list[AccessItem]] = relationship(back_populates="request", order_by="AccessItem.id")
    outputs: Mapped[list[AccessOutput]] = relationship(back_populates="request", order_by="AccessOutput.id")


class AccessItem(Base):
    """One document a request asks for (a dossier asked for is one item per document), with the access
    regime that applied: the stricter of the document's and the dossier's."""

    __tablename__ = "access_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    asked_as: Mapped[str] = mapped_column(Text)  # the identifier the researcher gave
    mode: Mapped[str] = mapped_column(String(8))

    request: Mapped[AccessRequest] = relationship(back_populates="items")
    package: Mapped[Package] = relationship()
    document: Mapped[Document] = relationship()


class AccessOutput(Base):
    """Something issued for a request: a file in the access area until ``delete_after``."""

    __tablename__ = "access_outputs"
    __table_args__ = (_one_of("kind", OUTPUT_KINDS), _one_of("status", OUTPUT_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)  # None: a DIP
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), index=True)  # the original copied
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)  # relative to the access area
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    mimetype: Mapped[str] = mapped_column(String(255))
    dip_objid: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_until: Mapped[datetime]
    delete_after: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="available", index=True)
    deleted_at: Mapped[datetime | None]

    request: Mapped[AccessRequest] = relationship(back_populates="outputs")
    document: Mapped[Document | None] = relationship()
    file: Mapped[File | None] = relationship()


class AccessEvent(Base):
    """One step of a request's audit trail: who did what, when (the purpose is the request's)."""

    __tablename__ = "access_events"
    __table_args__ = (_one_of("action", ACCESS_ACTIONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    output_id: Mapped[int | None] = mapped_column(ForeignKey("access_outputs.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)

    request: Mapped[AccessRequest] = relationship()


class PortalAccount(Base):
    """A researcher's (or a staff member's) account on the portal. Researchers register themselves and
    wait for staff to activate them (TT05: within 1 working day); staff accounts are made at the CLI."""

    __tablename__ = "portal_accounts"
    __table_args__ = (
        _one_of("role", ACCOUNT_ROLES),
        _one_of("status", ACCOUNT_STATUSES),
        _one_of("identity_kind", IDENTITY_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lowercased
    full_name: Mapped[str] = mapped_column(String(200))
    identity_kind: Mapped[str] = mapped_column(String(16))
    identity_number: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="researcher")
    approver: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    activated_by: Mapped[str | None] = mapped_column(String(254))
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    session_epoch: Mapped[int] = mapped_column(default=0)  # raised to end every session of the account


class PortalEvent(Base):
    """The portal's audit log: registrations, activations, logins (and failures), logouts, views and
    downloads, with the address they came from."""

    __tablename__ = "portal_events"
    __table_args__ = (_one_of("action", PORTAL_ACTIONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("portal_accounts.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(Package, "before_insert")
@event.listens_for(Package, "before_update")
def _normalise_package(mapper: Any, connection: Any, package: Package) -> None:
    package.search_text = search_text(
        [package.arc_file_code, package.title, package.objid, package.sip_objid]
    )
    package.start_on = first_day(package.start_date)
    package.end_on = last_day(package.end_date or package.start_date)


@event.listens_for(Document, "before_insert")
@event.listens_for(Document, "before_update")
def _normalise_document(mapper: Any, connection: Any, document: Document) -> None:
    document.search_text = search_text([document.code, document.title])
    document.issued_on = first_day(document.issued_date)
