"""A researcher's request from its recording to its decision (TT05 art. 36-42).

- Recorded: who asks (name, identity document), why (purpose code and text, research topic), the fee
  category, the documents or dossiers wanted and the kind of output (reading copy, copy, certified copy,
  certified DIP).
- Decided by the strictest access regime of the records asked for: 03 (secret) is refused at once and
  can never be approved; 01 (public) is approved automatically (unless the archive turned that off);
  anything else waits for a staff member with the approver role, who approves or denies it.
- The answer is due within 6 working days of the request (weekends and configured holidays excluded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from archive_repo.access.errors import AccessError
from archive_repo.access.events import record_event
from archive_repo.access.items import current_mode, find_wanted
from archive_repo.access.rules import (
    PUBLIC,
    REVIEW_WORKING_DAYS,
    add_working_days,
    approvable_automatically,
    fee_treatment,
    is_secret,
    strictest,
)
from archive_repo.catalog.browse import VIETNAM, code_label
from archive_repo.catalog.models import AccessItem, AccessRequest, utcnow
from archive_repo.config import Settings

SYSTEM_ACTOR = "archive-repo"
MEDIA_KIND = "media"
_LIMITS = {"requester_name": 200, "identity_number": 50, "purpose_content": 500, "research_topic": 250}
_DESCRIPTION_LIMIT = 2000


@dataclass(frozen=True)
class NewRequest:
    requester_name: str
    identity_kind: str
    identity_number: str
    purpose: str
    fee_object_type: str
    copy_kind: str
    items: tuple[str, ...]
    purpose_content: str | None = None
    research_topic: str | None = None
    description: str | None = None
    reading_days: int | None = None
    copies: int = 1


def today_in_vietnam() -> date:
    return utcnow().astimezone(VIETNAM).date()


def create_request(session: Session, settings: Settings, new: NewRequest, actor: str) -> AccessRequest:
    """Record ``new`` and decide what the rules decide on their own (refusal of secret records, automatic
    approval of public ones); raises AccessError, recording nothing, when the request is malformed."""
    _check_fields(new, settings)
    wanted = find_wanted(session, new.items, settings.archive_code)
    if new.copy_kind != "dip" and any(w.document.kind == MEDIA_KIND for w in wanted):
        media = next(w for w in wanted if w.document.kind == MEDIA_KIND)
        raise AccessError("access.av_no_copy", item=media.asked_as, kind=new.copy_kind)
    mode = strictest(w.mode for w in wanted)
    request = AccessRequest(
        code="pending-" + utcnow().strftime("%H%M%S%f"),
        created_by=actor,
        requester_name=new.requester_name.strip(),
        identity_kind=new.identity_kind,
        identity_number=new.identity_number.strip(),
        purpose=new.purpose,
        purpose_content=_blank_to_none(new.purpose_content),
        fee_object_type=new.fee_object_type,
        research_topic=_blank_to_none(new.research_topic),
        description=_blank_to_none(new.description),
        copy_kind=new.copy_kind,
        reading_days=(new.reading_days or settings.access.reading_days)
        if new.copy_kind == "reading"
        else None,
        copies=new.copies,
        mode=mode,
        status="pending",
        review_due_on=add_working_days(today_in_vietnam(), REVIEW_WORKING_DAYS, settings.access.holidays),
    )
    session.add(request)
    session.flush()
    request.code = f"YC-{request.created_at.astimezone(VIETNAM).year}-{request.id:06d}"
    for w in wanted:
        session.add(
            AccessItem(
                request=request,
                package_id=w.package.id,
                document_id=w.document.id,
                asked_as=w.asked_as,
                mode=w.mode,
            )
        )
    session.flush()
    record_event(session, request, "requested", actor)
    if is_secret(mode):
        _decide(session, request, "refused", SYSTEM_ACTOR, "mode 03")
    elif approvable_automatically(mode) and settings.access.auto_approve_public:
        _decide(session, request, "approved", SYSTEM_ACTOR, "mode 01")
    return request


def approve(
    session: Session, settings: Settings, code: str, actor: str, note: str | None = None
) -> AccessRequest:
    request = load_request(session, code)
    _require_pending(request)
    if refuse_if_secret_now(session, request):
        return request
    if request.mode != PUBLIC and actor not in settings.access.approvers:
        raise AccessError("access.not_approver", actor=actor, code=request.code)
    _decide(session, request, "approved", actor, note)
    return request


def deny(session: Session, settings: Settings, code: str, actor: str, reason: str) -> AccessRequest:
    request = load_request(session, code)
    if request.status not in ("pending", "approved"):
        raise AccessError("access.not_open", code=request.code, status=request.status)
    if not reason.strip():
        raise AccessError("access.reason_required", code=request.code)
    if request.mode != PUBLIC and actor not in settings.access.approvers:
        raise AccessError("access.not_approver", actor=actor, code=request.code)
    _decide(session, request, "denied", actor, reason.strip())
    return request


def refuse_if_secret_now(session: Session, request: AccessRequest) -> bool:
    """Re-read the regime of every document asked for: a record made secret since the request was
    recorded turns the request into a refusal (True), whatever was decided before."""
    modes = [current_mode(item.document) for item in request.items]
    if not any(is_secret(mode) for mode in modes):
        return False
    request.mode = strictest(modes)
    _decide(session, request, "refused", SYSTEM_ACTOR, "mode 03")
    return True


def load_request(session: Session, code: str) -> AccessRequest:
    request = session.scalars(
        select(AccessRequest)
        .where(AccessRequest.code == code.strip())
        .options(selectinload(AccessRequest.items), selectinload(AccessRequest.outputs))
    ).one_or_none()
    if request is None:
        raise AccessError("access.request_not_found", code=code)
    return request


def pending_requests(session: Session, *, overdue_on: date | None = None) -> list[AccessRequest]:
    """Requests waiting for a decision, oldest first; with ``overdue_on``, only those whose deadline is
    before that day."""
    query = select(AccessRequest).where(AccessRequest.status == "pending")
    if overdue_on is not None:
        query = query.where(AccessRequest.review_due_on < overdue_on)
    return list(session.scalars(query.order_by(AccessRequest.created_at, AccessRequest.id)))


def _decide(session: Session, request: AccessRequest, status: str, actor: str, note: str | None) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = utcnow()
    request.decision_note = note
    record_event(session, request, status, actor, note)


def _require_pending(request: AccessRequest) -> None:
    if request.status != "pending":
        raise AccessError("access.not_pending", code=request.code, status=request.status)


def _check_fields(new: NewRequest, settings: Settings) -> None:
    for field_name, limit in _LIMITS.items():
        value = getattr(new, field_name) or ""
        if field_name in ("requester_name", "identity_number") and not value.strip():
            raise AccessError("access.field_required", field=field_name)
        if len(value) > limit:
            raise AccessError("access.field_too_long", field=field_name, limit=limit, length=len(value))
    if len(new.description or "") > _DESCRIPTION_LIMIT:
        raise AccessError(
            "access.field_too_long",
            field="description",
            limit=_DESCRIPTION_LIMIT,
            length=len(new.description or ""),
        )
    if new.identity_kind == "cccd" and not (
        new.identity_number.strip().isdigit() and len(new.identity_number.strip()) == 12
    ):
        raise AccessError("access.bad_cccd", value=new.identity_number)
    for field_name, value in (("purpose", new.purpose), ("feeObjectType", new.fee_object_type)):
        if code_label(field_name, value, "vi") is None:
            raise AccessError("access.unknown_code", field=field_name, value=value)
    fee_treatment(new.fee_object_type)
    if not new.items:
        raise AccessError("access.no_items")
    days = new.reading_days
    if new.copy_kind == "reading" and days is not None and not 1 <= days <= settings.access.reading_days:
        raise AccessError(
            "access.bad_reading_days", days=new.reading_days, limit=settings.access.reading_days
        )
    if not 1 <= new.copies <= 100:
        raise AccessError("access.bad_copies", copies=new.copies)


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
