"""What a worker hands back for one submission (plain, picklable data: workers may be other processes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from archive_repo.packages.premis import PremisAgent, PremisEvent


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    FAILED = "failed"  # could not be processed at all (unreadable path, storage down…); nothing kept


@dataclass
class DocumentInfo:
    ordinal: int
    code: str | None
    kind: str  # doc | pic | media
    title: str
    type_code: str | None
    issued_date: str | None
    mode: str | None
    fields: dict[str, str]
    record_path: str  # the document's metadata record inside the AIP
    content_path: str  # its data file (or holey reference) inside the AIP


@dataclass(frozen=True)
class CopyInfo:
    """One stored copy of an AIP file: where, under which key, which object version, locked until when."""

    location: str
    key: str
    version_id: str | None = None
    retain_until: datetime | None = None


@dataclass
class FileInfo:
    path: str
    size: int
    sha256: str
    mimetype: str
    role: str
    copies: list[CopyInfo] = field(default_factory=list)
    puid: str | None = None
    format_name: str | None = None
    format_version: str | None = None
    characteristics: dict[str, Any] | None = None
    signatures: list[dict[str, Any]] = field(default_factory=list)  # SignatureResult.as_record()


@dataclass
class PackageInfo:
    objid: str
    sip_objid: str
    folder: str
    variant: str  # AIP_hoso | AIP_tailieu
    arc_file_code: str
    record_status: str
    fonds_code: str
    agency_code: str | None
    agency_name: str | None
    title: str
    start_date: str | None
    end_date: str | None
    mode: str | None
    fields: dict[str, str]
    documents: list[DocumentInfo]
    files: list[FileInfo]
    events: list[PremisEvent]
    agents: list[PremisAgent]
    unresolved_holey: list[str]
    supersedes_objid: str | None = None


@dataclass
class SubmissionOutcome:
    source: str
    outcome: Outcome
    digest: str | None = None
    report: dict[str, Any] | None = None  # {"package", "profile", "verdict", "findings": [Finding records]}
    package: PackageInfo | None = None
    duplicate_of: str | None = None  # the AIP OBJID already holding this submission
    message_key: str | None = None  # why it failed, for FAILED
    message_params: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return self._count("error")

    @property
    def warnings(self) -> int:
        return self._count("warning")

    def _count(self, severity: str) -> int:
        findings = (self.report or {}).get("findings", [])
        return sum(1 for f in findings if f.get("severity") == severity)
