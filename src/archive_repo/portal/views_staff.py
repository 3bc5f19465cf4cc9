"""Staff's side of the portal: activating researchers' accounts (TT05: within 1 working day), the requests
waiting for a decision and those past the 6-working-day deadline, deciding a request and issuing what it
asks for. The access services decide exactly as at the command line; what the approver role is checked
against here is the approver flag of the staff account signed in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from archive_repo.access.errors import AccessError
from archive_repo.access.issue import issue_request
from archive_repo.access.present import request_as_dict
from archive_repo.access.requests import approve, deny, load_request, pending_requests, today_in_vietnam
from archive_repo.catalog.browse import vn_time
from archive_repo.catalog.models import AccessEvent, AccessRequest
from archive_repo.portal.accounts import activate, pending_accounts
from archive_repo.portal.app import (
    audit,
    current_language,
    current_settings,
    reading,
    remote_addr,
    staff_required,
    t,
    writing,
)
from archive_repo.portal.errors import PortalError
from archive_repo.storage.registry import open_stores

blueprint = Blueprint("staff", __name__, url_prefix="/staff")

TO_ISSUE_LIMIT = 200
NOTE_LIMIT = 2000


@blueprint.get("/")
@staff_required
def home() -> Response:
    return redirect(url_for("staff.requests"))


@blueprint.get("/accounts")
@staff_required
def accounts() -> str:
    with reading() as db:
        pending = [
            {
                "id": account.id,
                "email": account.email,
                "full_name": account.full_name,
                "identity_kind": account.identity_kind,
                "identity_number": account.identity_number,
                "created_at": vn_time(account.created_at),
                "due_on": due.isoformat(),
                "overdue": due < today_in_vietnam(),
            }
            for account, due in pending_accounts(db, current_settings().access.holidays)
        ]
    return render_template("staff_accounts.html", pending=pending)


@blueprint.post("/accounts/<int:account_id>/activate")
@staff_required
def activate_account(account_id: int) -> Response:
    try:
        with writing() as db:
            email = activate(db, account_id, g.account.actor, remote_addr()).email
    except PortalError as exc:
        flash(exc.message(current_language()), "error")
    else:
        flash(t("portal.account_activated", email=email), "success")
    return redirect(url_for("staff.accounts"))


@blueprint.get("/requests")
@staff_required
def requests() -> str:
    lang = current_language()
    with reading() as db:
        pending = [request_as_dict(r, lang) for r in pending_requests(db)]
        overdue = [request_as_dict(r, lang) for r in pending_requests(db, overdue_on=today_in_vietnam())]
        to_issue = [request_as_dict(r, lang) for r in _approved(db)]
    return render_template("staff_requests.html", pending=pending, overdue=overdue, to_issue=to_issue)


def _approved(db: Session) -> list[AccessRequest]:
    """Approved requests not issued yet, oldest first."""
    query = select(AccessRequest).where(AccessRequest.status == "approved")
    return list(db.scalars(query.order_by(AccessRequest.created_at, AccessRequest.id).limit(TO_ISSUE_LIMIT)))


@blueprint.get("/requests/<code>")
@staff_required
def request_detail(code: str) -> str:
    lang = current_language()
    with reading() as db:
        found = _load(db, code)
        data = request_as_dict(found, lang)
        events = _events(db, found.id, lang)
    return render_template("staff_request.html", request_data=data, events=events)


@blueprint.post("/requests/<code>/approve")
@staff_required
def approve_request(code: str) -> Response:
    note = request.form.get("note", "").strip()[:NOTE_LIMIT] or None
    return _decide(code, "approve", note)


@blueprint.post("/requests/<code>/deny")
@staff_required
def deny_request(code: str) -> Response:
    return _decide(code, "deny", request.form.get("reason", "").strip()[:NOTE_LIMIT])


def _decide(code: str, decision: str, text: str | None) -> Response:
    account = g.account
    try:
        with writing() as db:
            _load(db, code)
            if decision == "approve":
                decided = approve(
                    db, current_settings(), code, account.actor, text, approver=account.approver
                )
            else:
                decided = deny(db, code, account.actor, text or "", approver=account.approver)
            status = decided.status
            audit("decide", f"{code}: {status}", db)
    except AccessError as exc:
        flash(exc.message(current_language()), "error")
    else:
        flash(t(f"portal.decided_{status}", code=code), "success" if status == "approved" else "info")
    return redirect(url_for("staff.request_detail", code=code))


@blueprint.post("/requests/<code>/issue")
@staff_required
def issue(code: str) -> Response:
    settings = current_settings()
    with reading() as db:
        _load(db, code)
    try:
        status = issue_request(settings, code, open_stores(settings), g.account.actor)
    except AccessError as exc:
        flash(exc.message(current_language()), "error")
    else:
        audit("issue", f"{code}: {status}")
        flash(t(f"portal.issued_{status}", code=code), "success" if status == "issued" else "error")
    return redirect(url_for("staff.request_detail", code=code))


def _load(db: Session, code: str) -> AccessRequest:
    try:
        return load_request(db, code)
    except AccessError:
        abort(404)


def _events(db: Session, request_id: int, lang: str) -> list[dict[str, Any]]:
    from archive_repo.i18n import translate

    rows = db.scalars(
        select(AccessEvent).where(AccessEvent.request_id == request_id).order_by(AccessEvent.id)
    )
    return [
        {
            "occurred_at": vn_time(event.occurred_at),
            "actor": event.actor,
            "action": translate(f"access.action_{event.action}", lang),
            "detail": event.detail or "",
        }
        for event in rows
    ]
