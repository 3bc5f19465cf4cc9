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

import getpass
import os
import re
import uuid
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
    is_stricter,
    strictest,
)
from archive_repo.catalog.browse import VIETNAM, code_label
from archive_repo.catalog.models import AccessItem, AccessRequest, utcnow
from archive_repo.config import SYSTEM_ACTOR, Settings

ACTOR_LIMIT = 200
MAX_COPIES = 100  # item 11 of a DIP certificate; a digital copy is one file
CCCD = re.compile(r"[0-9]{12}")  # ASCII digits only (str.isdigit would take other scripts' digits)
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


def create_request(
    session: Session, settings: Settings, new: NewRequest, actor: str, account_id: int | None = None
) -> tuple[AccessRequest, list[str]]:
    """Record ``new`` and decide what the rules decide on their own (refusal of secret records, automatic
    approval of public ones): (the request, documents of a dossier left out as holey references).
    Raises AccessError, recording nothing, when the request is malformed."""
    _check_fields(new, settings)
    _check_actor(actor)
    wanted = find_wanted(session, new.items, settings.archive_code)
    if not wanted.documents:
        raise AccessError("access.nothing_held", items=", ".join(new.items))
    media = next((w for w in wanted.documents if w.document.kind == MEDIA_KIND), None)
    if new.copy_kind != "dip" and media is not None:
        raise AccessError("access.av_no_copy", item=media.asked_as, kind=new.copy_kind)
    mode = strictest(w.mode for w in wanted.documents)
    request = AccessRequest(
        code="new-" + uuid.uuid4().hex[:28],  # 32 characters at most; YC-<year>-<id> once the row has its id
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
        account_id=account_id,
    )
    session.add(request)
    session.flush()
    request.code = f"YC-{request.created_at.astimezone(VIETNAM).year}-{request.id:06d}"
    for w in wanted.documents:
        item = AccessItem(
            package_id=w.package.id, document_id=w.document.id, asked_as=w.asked_as, mode=w.mode
        )
        request.items.append(item)
    session.flush()
    left_out = "left out (holey references): " + ", ".join(wanted.references) if wanted.references else None
    record_event(session, request, "requested", actor, left_out)
    if is_secret(mode):
        _decide(session, request, "refused", SYSTEM_ACTOR, "mode 03")
    elif approvable_automatically(mode) and settings.access.auto_approve_public:
        _decide(session, request, "approved", SYSTEM_ACTOR, "mode 01")
    return request, wanted.references


def approve(
    session: Session, settings: Settings, code: str, actor: str, note: str | None = None, *, approver: bool
) -> AccessRequest:
    """Approve a pending request; ``approver``: whether ``actor`` holds the approver role (the CLI: the OS
    account is in ``[access] approvers``; the portal: the staff account's flag)."""
    request = load_request(session, code, for_update=True)
    _require_pending(request)
    mode = current_regime(request)
    if is_secret(mode):
        _decide(session, request, "refused", SYSTEM_ACTOR, "mode 03")
        return request
    _require_approver(request, actor, approver)
    _decide(session, request, "approved", actor, note)
    return request


def deny(session: Session, code: str, actor: str, reason: str, *, approver: bool) -> AccessRequest:
    request = load_request(session, code, for_update=True)
    if request.status not in ("pending", "approved"):
        raise AccessError("access.not_open", code=request.code, status=request.status)
    if not reason.strip():
        raise AccessError("access.reason_required", code=request.code)
    current_regime(request)
    _require_approver(request, actor, approver)
    _decide(session, request, "denied", actor, reason.strip())
    return request


def current_regime(request: AccessRequest) -> str:
    """The strictest regime of the documents asked for as the catalog says now (a record may have been
    reclassified since the request); kept on the request."""
    request.mode = strictest(current_mode(item.document) for item in request.items)
    return request.mode


def recheck_before_issue(session: Session, settings: Settings, request: AccessRequest) -> bool:
    """Whether an approved request may still be issued as decided: a record made secret since turns it
    into a refusal; any other tightening since the decision (the request keeps the regime it was
    decided on) sends it back for review. Either is recorded here (the caller commits) and answers
    False."""
    decided_on = request.mode
    mode = current_regime(request)
    if is_secret(mode):
        _decide(session, request, "refused", SYSTEM_ACTOR, "mode 03")
        return False
    if is_stricter(mode, decided_on):
        request.status = "pending"
        request.decided_by = request.decided_at = request.decision_note = None
        record_event(session, request, "reopened", SYSTEM_ACTOR, f"mode {decided_on} -> {mode}")
        return False
    return True


def is_approver(settings: Settings, login: str) -> bool:
    """Whether the OS account ``login`` holds the approver role at the CLI."""
    return login in settings.access.approvers


def staff_login() -> str:
    """The operating-system account running the command: what the approver role is checked against.
    ``ARCHIVE_REPO_OPERATOR`` names operators on records, but anybody can set it."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return getpass.getuser()


def load_request(session: Session, code: str, *, for_update: bool = False) -> AccessRequest:
    """The request ``code``; ``for_update`` locks its row until the transaction ends (PostgreSQL; SQLite
    writers are serialised anyway), so two decisions or two issues of one request cannot interleave."""
    query = (
        select(AccessRequest)
        .where(AccessRequest.code == code.strip())
        .options(selectinload(AccessRequest.items), selectinload(AccessRequest.outputs))
    )
    request = session.scalars(query.with_for_update(of=AccessRequest) if for_update else query).one_or_none()
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


def _require_approver(request: AccessRequest, actor: str, approver: bool) -> None:
    if request.mode != PUBLIC and not approver:
        raise AccessError("access.not_approver", actor=actor, code=request.code)


def _check_actor(actor: str) -> None:
    if not actor.strip() or len(actor) > ACTOR_LIMIT:
        raise AccessError("access.bad_actor", actor=actor[:ACTOR_LIMIT], limit=ACTOR_LIMIT)


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
    if new.identity_kind == "cccd" and not CCCD.fullmatch(new.identity_number.strip()):
        raise AccessError("access.bad_cccd", value=new.identity_number)
    for field_name, value in (("purpose", new.purpose), ("feeObjectType", new.fee_object_type)):
        if code_label(field_name, value, "vi") is None:
            raise AccessError("access.unknown_code", field=field_name, value=value)
    fee_treatment(new.fee_object_type)
    if not new.items:
        raise AccessError("access.no_items")
    days = new.reading_days
    if days is not None and (new.copy_kind != "reading" or not 1 <= days <= settings.access.reading_days):
        raise AccessError("access.bad_reading_days", days=days, limit=settings.access.reading_days)
    if not 1 <= new.copies <= MAX_COPIES or (new.copies != 1 and new.copy_kind != "dip"):
        raise AccessError("access.bad_copies", copies=new.copies, limit=MAX_COPIES)


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
