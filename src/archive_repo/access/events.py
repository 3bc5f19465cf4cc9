"""The audit trail of access: every request, decision, issue, delivery and deletion is an ``AccessEvent``
(who, what, when; the purpose is the request's) and a PREMIS ``dissemination`` event on each package
concerned, so the records' own history says who was given what."""

from __future__ import annotations

from sqlalchemy.orm import Session

from archive_repo.catalog.models import AccessEvent, AccessOutput, AccessRequest, utcnow
from archive_repo.fixity.record import new_event, software_agent_row
from archive_repo.packages.premis import FAILURE, SUCCESS

DISSEMINATION = "dissemination"
_FAILED_ACTIONS = frozenset({"denied", "refused"})


def record_event(
    session: Session,
    request: AccessRequest,
    action: str,
    actor: str,
    detail: str | None = None,
    *,
    output: AccessOutput | None = None,
    file_ids: dict[int, int | None] | None = None,
) -> AccessEvent:
    """Record ``action`` on ``request``; ``file_ids`` maps a package id to the file the event is about
    (default: every package of the request's items, no file)."""
    when = utcnow()
    event = AccessEvent(
        request_id=request.id,
        output_id=output.id if output is not None else None,
        occurred_at=when,
        actor=actor,
        action=action,
        detail=detail,
    )
    session.add(event)
    targets = file_ids if file_ids is not None else {item.package_id: None for item in request.items}
    agent = software_agent_row(session)
    outcome = FAILURE if action in _FAILED_ACTIONS else SUCCESS
    text = _premis_detail(request, action, actor, detail)
    for package_id, file_id in targets.items():
        session.add(new_event(package_id, file_id, DISSEMINATION, outcome, text, agent, when))
    return event


def _premis_detail(request: AccessRequest, action: str, actor: str, detail: str | None) -> str:
    parts = [
        f"access request {request.code}",
        f"{action} by {actor}",
        f"output {request.copy_kind}",
        f"purpose {request.purpose}",
    ]
    if detail:
        parts.append(detail)
    return "; ".join(parts)
