"""What an audit writes to the catalog: the run, one check row and one PREMIS event per copy checked,
the copy's new state, and incidents with their recovery."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from archive_repo.catalog.models import (
    AuditRun,
    FixityCheck,
    Incident,
    PremisAgent,
    PremisEvent,
    StorageCopy,
    utcnow,
)
from archive_repo.fixity.check import OK, UNREACHABLE, CheckResult
from archive_repo.ingest.commit import agent_row
from archive_repo.packages.premis import FAILURE, SUCCESS, software_agent


def start_run(session: Session, kind: str, operator: str, scope: str) -> AuditRun:
    run = AuditRun(
        kind=kind,
        operator=operator,
        host=socket.gethostname(),
        pid=os.getpid(),
        scope=scope,
        status="running",
    )
    session.add(run)
    session.flush()
    return run


def software_agent_row(session: Session) -> PremisAgent:
    row = agent_row(session, software_agent())
    session.flush()
    return row


def new_event(
    package_id: int,
    file_id: int | None,
    event_type: str,
    outcome: str,
    detail: str,
    agent: PremisAgent,
    when: datetime | None = None,
    *,
    run_id: int | None = None,
    location: str | None = None,
) -> PremisEvent:
    return PremisEvent(
        run_id=run_id,
        location=location,
        identifier=str(uuid.uuid4()),
        package_id=package_id,
        file_id=file_id,
        type=event_type,
        occurred_at=when or utcnow(),
        outcome=outcome,
        detail=detail,
        agent_id=agent.id,
    )


def record_check(
    session: Session, run: AuditRun, result: CheckResult, agent: PremisAgent
) -> PremisEvent | None:
    """Store one check; returns its PREMIS event (none for a copy that could not be reached)."""
    task = result.task
    now = utcnow()
    session.add(
        FixityCheck(
            run_id=run.id,
            copy_id=task.copy_id,
            checked_at=now,
            outcome=result.outcome,
            found_size=result.found_size,
            found_sha256=result.found_sha256,
            seconds=result.seconds,
            detail=result.detail,
        )
    )
    if result.outcome == UNREACHABLE:
        return None
    copy = session.get(StorageCopy, task.copy_id)
    if copy is not None:
        copy.status = result.outcome
        if result.outcome == OK:
            copy.verified_at = now
    detail = f"location {task.location}, key {task.key}: SHA-256 {result.outcome}"
    if result.detail:
        detail += f" ({result.detail})"
    event = new_event(
        task.package_id,
        task.file_id,
        "fixity check",
        SUCCESS if result.outcome == OK else FAILURE,
        detail,
        agent,
        now,
        run_id=run.id,
        location=task.location,
    )
    session.add(event)
    return event


def open_incident(session: Session, run: AuditRun, result: CheckResult) -> Incident:
    incident = Incident(
        run_id=run.id,
        file_id=result.task.file_id,
        location=result.task.location,
        kind=result.outcome,
        outcome="open",
        detail=result.detail,
    )
    session.add(incident)
    session.flush()
    return incident
