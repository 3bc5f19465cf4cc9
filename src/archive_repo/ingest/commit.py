"""Record one processed submission in the catalog, in one transaction: the moment a package becomes visible.

Accepted: submission, agency and fonds, package (with its version), documents, files, storage copies,
PREMIS events and agents, and the removal of its storage intents. The version and duplicate checks are
made again here, inside the transaction, because another worker or another ingest may have committed the
same dossier since the worker looked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from archive_repo.catalog.models import (
    Agency,
    Document,
    File,
    Fonds,
    IngestRun,
    Package,
    PremisAgent,
    PremisEvent,
    SignatureCheck,
    StorageCopy,
    StorageIntent,
    Submission,
    utcnow,
)
from archive_repo.catalog.queries import submission_by_digest
from archive_repo.ingest.outcome import Outcome, PackageInfo, SubmissionOutcome
from archive_repo.ingest.versions import VersionPlan, plan_version
from archive_repo.packages import premis


class AlreadyHeld(Exception):
    """The same content was committed meanwhile (another worker or another ingest)."""

    def __init__(self, objid: str) -> None:
        super().__init__(objid)
        self.objid = objid


def record_submission(session: Session, outcome: SubmissionOutcome, run: IngestRun | None) -> Submission:
    """Insert or refresh the submission row (a rejected submission sent again is processed again)."""
    assert outcome.digest is not None
    submission = submission_by_digest(session, outcome.digest)
    if submission is not None and submission.status == "accepted" and submission.package is not None:
        raise AlreadyHeld(submission.package.objid)
    if submission is None:
        submission = Submission(digest=outcome.digest)
        session.add(submission)
    submission.source_name = outcome.source
    submission.received_at = utcnow()
    submission.verdict = str((outcome.report or {}).get("verdict", "invalid"))
    submission.status = "accepted" if outcome.outcome is Outcome.ACCEPTED else "rejected"
    submission.report = outcome.report
    submission.run = run
    return submission


def commit_accepted(session: Session, outcome: SubmissionOutcome, run: IngestRun | None) -> Package:
    info = outcome.package
    assert info is not None
    submission = record_submission(session, outcome, run)
    plan = plan_version(session, info.arc_file_code, info.record_status)  # may raise VersionConflict
    package, _files_by_id = add_package(session, info, plan, submission)
    session.execute(delete(StorageIntent).where(StorageIntent.objid == info.objid))
    session.flush()
    return package


def add_package(
    session: Session, info: PackageInfo, plan: VersionPlan, submission: Submission | None = None
) -> tuple[Package, dict[str, File]]:
    """Add the package ``info`` as version ``plan`` with its documents, files, copies and events (also
    used by ``catalog rebuild``); returns it and its files by PREMIS identifier."""
    if plan.previous is not None and plan.supersede_previous:
        plan.previous.status = "superseded"
    agency = _agency(session, info)
    package = Package(
        objid=info.objid,
        sip_objid=info.sip_objid,
        submission=submission,
        agency=agency,
        fonds=_fonds(session, info.fonds_code, agency),
        arc_file_code=info.arc_file_code,
        title=info.title,
        variant=info.variant,
        record_status=info.record_status,
        version=plan.version,
        supersedes=plan.previous,
        status="active",
        start_date=info.start_date,
        end_date=info.end_date,
        mode=info.mode,
        maintenance=info.fields.get("maintenance") or None,
    )
    session.add(package)
    documents_by_path = _documents(package, info)
    files_by_id = _files(package, info, documents_by_path)
    _events(session, package, info, files_by_id)
    return package, files_by_id


def _agency(session: Session, info: PackageInfo) -> Agency | None:
    if not info.agency_code:
        return None
    agency = session.scalars(select(Agency).where(Agency.code == info.agency_code)).one_or_none()
    if agency is None:
        agency = Agency(code=info.agency_code, name=info.agency_name or info.agency_code)
        session.add(agency)
    return agency


def _fonds(session: Session, code: str, agency: Agency | None) -> Fonds:
    fonds = session.scalars(select(Fonds).where(Fonds.code == code)).one_or_none()
    if fonds is None:
        fonds = Fonds(code=code, name=code, agency=agency)
        session.add(fonds)
    return fonds


def _documents(package: Package, info: PackageInfo) -> dict[str, Document]:
    by_path: dict[str, Document] = {}
    for item in info.documents:
        document = Document(
            ordinal=item.ordinal,
            code=item.code,
            doc_id=item.fields.get("docId"),
            kind=item.kind,
            title=item.title,
            type_code=item.type_code,
            issued_date=item.issued_date,
            mode=item.mode,
            fields=item.fields,
        )
        package.documents.append(document)
        by_path[item.record_path] = document
        by_path[item.content_path] = document
    return by_path


def _files(package: Package, info: PackageInfo, documents: dict[str, Document]) -> dict[str, File]:
    now = utcnow()
    by_identifier: dict[str, File] = {}
    for item in info.files:
        file = File(
            path=item.path,
            size=item.size,
            sha256=item.sha256,
            mimetype=item.mimetype,
            role=item.role,
            document=documents.get(item.path),
            puid=item.puid,
            format_name=item.format_name,
            format_version=item.format_version,
            characteristics=item.characteristics,
        )
        file.signatures.extend(_signature_check(record) for record in item.signatures)
        for copy in item.copies:
            file.copies.append(
                StorageCopy(
                    location=copy.location,
                    key=copy.key,
                    status="ok",
                    verified_at=now,
                    version_id=copy.version_id,
                    retain_until=copy.retain_until,
                )
            )
        package.files.append(file)
        by_identifier[f"{info.objid}/{item.path}"] = file
    return by_identifier


def _signature_check(record: dict[str, Any]) -> SignatureCheck:
    def moment(name: str) -> datetime | None:
        value = record.get(name)
        return datetime.fromisoformat(value) if value else None

    return SignatureCheck(
        ordinal=record["index"],
        kind=record["kind"],
        outcome=record["outcome"],
        subindication=record.get("subindication"),
        field=record.get("field"),
        signer=record.get("signer"),
        issuer=record.get("issuer"),
        serial=record.get("serial"),
        signing_time=moment("signing_time"),
        timestamp_time=moment("timestamp_time"),
        level=record.get("level"),
        details={
            "coverage": record.get("coverage"),
            "modification_level": record.get("modification_level"),
            "reasons": record.get("reasons", []),
        },
    )


def _events(session: Session, package: Package, info: PackageInfo, files: dict[str, File]) -> None:
    agents = {a.identifier.value: agent_row(session, a) for a in info.agents}
    for event in info.events:
        first_agent = event.agents[0].identifier.value if event.agents else None
        linked_file = next(
            (files[o.identifier.value] for o in event.objects if o.identifier.value in files), None
        )
        detail = "; ".join(part for part in (event.detail, event.outcome_detail) if part)
        package.events.append(
            PremisEvent(
                identifier=event.identifier.value,
                file=linked_file,
                type=event.type,
                occurred_at=datetime.fromisoformat(event.date_time),
                outcome=event.outcome or "",
                detail=detail or None,
                agent=agents.get(first_agent) if first_agent else None,
            )
        )


def agent_row(session: Session, agent: premis.PremisAgent) -> PremisAgent:
    """The catalog row of a PREMIS agent, added when it is new."""
    found = session.scalars(
        select(PremisAgent).where(PremisAgent.identifier == agent.identifier.value)
    ).one_or_none()
    if found is None:
        found = PremisAgent(
            identifier=agent.identifier.value, name=agent.name, type=agent.type, version=agent.version
        )
        session.add(found)
    return found
