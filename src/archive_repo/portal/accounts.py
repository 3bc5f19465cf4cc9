"""Portal accounts: researchers register and wait for staff to activate them (TT05: within 1 working
day); staff accounts are made at the command line. Passwords are stored as Argon2id hashes; five failed
logins in a row lock an account for 15 minutes (with the same message as any failed login, so the form
tells nobody which addresses have accounts). Every step goes to the portal's audit log."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_repo.access.requests import CCCD
from archive_repo.access.rules import add_working_days
from archive_repo.catalog.browse import VIETNAM
from archive_repo.catalog.models import IDENTITY_KINDS, PortalAccount, PortalEvent, utcnow
from archive_repo.portal.errors import PortalError

MAX_FAILED_LOGINS = 5
LOCK_TIME = timedelta(minutes=15)
ACTIVATION_WORKING_DAYS = 1  # TT05: a user account is granted within 1 working day
MIN_PASSWORD = 10
MAX_PASSWORD = 256
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_HASHER = PasswordHasher()
# Verified against when the e-mail is unknown, so that a wrong address costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("archive-repo: no such account")


@dataclass(frozen=True)
class NewAccount:
    email: str
    full_name: str
    identity_kind: str
    identity_number: str
    password: str


def register(session: Session, new: NewAccount, remote_addr: str | None = None) -> PortalAccount:
    """A researcher's account, waiting for activation; PortalError names what is wrong with the form."""
    email = _email(new.email)
    _check_person(new.full_name, new.identity_kind, new.identity_number)
    _check_password(new.password, email)
    if session.scalars(select(PortalAccount.id).where(PortalAccount.email == email)).first() is not None:
        raise PortalError("portal_account.email_taken")
    account = PortalAccount(
        email=email,
        full_name=" ".join(new.full_name.split()),
        identity_kind=new.identity_kind,
        identity_number=new.identity_number.strip(),
        password_hash=_HASHER.hash(new.password),
        role="researcher",
        approver=False,
        status="pending",
        failed_logins=0,
        session_epoch=0,
    )
    session.add(account)
    session.flush()
    record_event(session, account.id, "register", None, remote_addr)
    return account


def activate(session: Session, account_id: int, actor: str, remote_addr: str | None = None) -> PortalAccount:
    account = session.get(PortalAccount, account_id)
    if account is None:
        raise PortalError("portal_account.account_not_found")
    if account.status != "pending":
        raise PortalError("portal_account.account_not_pending", status=account.status)
    account.status = "active"
    account.activated_at = utcnow()
    account.activated_by = actor
    record_event(session, account.id, "activate", f"by {actor}", remote_addr)
    return account


def authenticate(
    session: Session, email: str, password: str, remote_addr: str | None = None
) -> PortalAccount:
    """The active account with these credentials. One message for every failure (unknown address, wrong
    password, account not active), so the form tells nothing about who has an account; a locked
    account says so, as its owner needs to know why."""
    account = session.scalars(
        select(PortalAccount).where(PortalAccount.email == email.strip().lower())
    ).first()
    if account is None:
        _verify(_DUMMY_HASH, password)
        record_event(session, None, "login_failed", "unknown address", remote_addr)
        raise PortalError("portal_account.login_failed")
    now = utcnow()
    if account.locked_until is not None and account.locked_until > now:
        record_event(session, account.id, "login_failed", "locked", remote_addr)
        raise PortalError("portal_account.login_failed")  # the same words: nobody learns who has an account
    if not _verify(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = now + LOCK_TIME
            account.failed_logins = 0
        record_event(session, account.id, "login_failed", "wrong password", remote_addr)
        raise PortalError("portal_account.login_failed")
    account.failed_logins = 0
    account.locked_until = None
    if account.status != "active":
        record_event(session, account.id, "login_failed", f"account {account.status}", remote_addr)
        raise PortalError("portal_account.login_failed")
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    account.last_login_at = now
    record_event(session, account.id, "login", None, remote_addr)
    return account


def set_status(session: Session, email: str, status: str, actor: str) -> PortalAccount:
    """Disable an account (its sessions end at once) or enable it again."""
    account = _by_email(session, email)
    if status not in ("active", "disabled"):
        raise PortalError("portal_account.bad_status", status=status)
    account.status = status
    account.session_epoch += 1
    if status == "active" and account.activated_at is None:
        account.activated_at, account.activated_by = utcnow(), actor
    return account


def set_password(session: Session, email: str, password: str) -> PortalAccount:
    """A new password (an administrator's reset): every session ends, the lock is lifted."""
    account = _by_email(session, email)
    _check_password(password, account.email)
    account.password_hash = _HASHER.hash(password)
    account.session_epoch += 1
    account.failed_logins = 0
    account.locked_until = None
    return account


def _by_email(session: Session, email: str) -> PortalAccount:
    account = session.scalars(
        select(PortalAccount).where(PortalAccount.email == email.strip().lower())
    ).first()
    if account is None:
        raise PortalError("portal_account.account_not_found")
    return account


def end_sessions(session: Session, account_id: int) -> None:
    """Every session of the account ends (logout signs out everywhere; a stolen cookie dies with it)."""
    account = session.get(PortalAccount, account_id)
    if account is not None:
        account.session_epoch += 1


def pending_accounts(session: Session, holidays: Iterable[date] = ()) -> list[tuple[PortalAccount, date]]:
    """Accounts waiting for activation, oldest first, each with the day it is due by."""
    accounts = session.scalars(
        select(PortalAccount).where(PortalAccount.status == "pending").order_by(PortalAccount.created_at)
    ).all()
    closed = list(holidays)
    return [
        (a, add_working_days(a.created_at.astimezone(VIETNAM).date(), ACTIVATION_WORKING_DAYS, closed))
        for a in accounts
    ]


def add_staff(
    session: Session, email: str, full_name: str, password: str, *, approver: bool
) -> PortalAccount:
    """A staff account, active at once (made by an administrator at the command line)."""
    address = _email(email)
    if not full_name.strip() or len(full_name) > 200:
        raise PortalError("portal_account.bad_name")
    _check_password(password, address)
    if session.scalars(select(PortalAccount.id).where(PortalAccount.email == address)).first() is not None:
        raise PortalError("portal_account.email_taken")
    account = PortalAccount(
        email=address,
        full_name=" ".join(full_name.split()),
        identity_kind="other",
        identity_number="-",
        password_hash=_HASHER.hash(password),
        role="staff",
        approver=approver,
        status="active",
        activated_at=utcnow(),
        activated_by="command line",
        failed_logins=0,
        session_epoch=0,
    )
    session.add(account)
    session.flush()
    return account


def record_event(
    session: Session,
    account_id: int | None,
    action: str,
    detail: str | None = None,
    remote_addr: str | None = None,
) -> None:
    session.add(
        PortalEvent(
            account_id=account_id, action=action, detail=detail, remote_addr=(remote_addr or "")[:64] or None
        )
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _email(value: str) -> str:
    email = (value or "").strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise PortalError("portal_account.bad_email")
    return email


def _check_person(full_name: str, identity_kind: str, identity_number: str) -> None:
    if not (full_name or "").strip() or len(full_name) > 200:
        raise PortalError("portal_account.bad_name")
    if identity_kind not in IDENTITY_KINDS:
        raise PortalError("portal_account.bad_identity")
    number = (identity_number or "").strip()
    if not number or len(number) > 50 or (identity_kind == "cccd" and not CCCD.fullmatch(number)):
        raise PortalError("portal_account.bad_identity")


def _check_password(password: str, email: str) -> None:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD or password.strip().lower() == email:
        raise PortalError("portal_account.weak_password", minimum=MIN_PASSWORD)
