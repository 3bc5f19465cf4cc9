"""Accounts on the portal: a researcher registers (the account waits for staff to activate it), signs in
and out; anyone switches the language. The account rules (password strength, lockout after five
failures, one message for every failed login) are those of ``portal.accounts``; each login, failed login
and logout goes to the portal's audit log."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from archive_repo.catalog.models import IDENTITY_KINDS
from archive_repo.i18n import LANGUAGES
from archive_repo.portal.accounts import NewAccount, authenticate, end_sessions, register
from archive_repo.portal.app import (
    audit,
    current_language,
    login_required,
    remember_language,
    remote_addr,
    safe_next,
    sign_in,
    t,
    writing,
)
from archive_repo.portal.errors import PortalError

blueprint = Blueprint("auth", __name__)

_REGISTER_FIELDS = ("full_name", "email", "identity_kind", "identity_number")


@blueprint.route("/register", methods=["GET", "POST"], endpoint="register")
def register_view() -> str | Response | tuple[str, int]:
    if g.account is not None:
        return redirect(url_for("public.search"))
    form = {name: request.form.get(name, "").strip() for name in _REGISTER_FIELDS}
    if request.method == "GET":
        return _register_page({"identity_kind": "cccd"})
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        flash(t("portal.passwords_differ"), "error")
        return _register_page(form, 400)
    new = NewAccount(
        email=form["email"],
        full_name=form["full_name"],
        identity_kind=form["identity_kind"],
        identity_number=form["identity_number"],
        password=password,
    )
    try:
        with writing() as db:
            register(db, new, remote_addr())
    except PortalError as exc:
        flash(exc.message(current_language()), "error")
        return _register_page(form, 400)
    flash(t("portal.registered"), "success")
    return redirect(url_for("auth.login"))


def _register_page(form: dict[str, str], status: int = 200) -> tuple[str, int]:
    page = render_template("register.html", form=form, identity_kinds=IDENTITY_KINDS)
    return page, status


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    target = safe_next(request.values.get("next"), "")
    if g.account is not None:
        return redirect(target or _home())
    if request.method == "GET":
        return render_template("login.html", email="", next=target)
    email = request.form.get("email", "").strip()
    failure: PortalError | None = None
    with writing() as db:  # a failure is recorded too (counter, lock, audit): committed either way
        try:
            account = authenticate(db, email, request.form.get("password", ""), remote_addr())
            account_id, staff, epoch = account.id, account.role == "staff", account.session_epoch
        except PortalError as exc:
            failure = exc
    if failure is not None:
        flash(failure.message(current_language()), "error")
        return render_template("login.html", email=email, next=target), 401
    sign_in(account_id, epoch)
    return redirect(target or url_for("staff.requests" if staff else "public.search"))


@blueprint.post("/logout")
@login_required
def logout() -> Response:
    audit("logout")
    with writing() as db:
        end_sessions(db, g.account.id)
    lang = current_language()
    session.clear()
    flash(t("portal.logged_out"), "success")
    response = redirect(url_for("public.search"))
    remember_language(response, lang)
    return response


@blueprint.get("/language/<code>")
def language(code: str) -> Response:
    """Switch the language (remembered in a cookie) and go back where the user was."""
    response = redirect(safe_next(request.args.get("next"), url_for("public.search")))
    if code in LANGUAGES:
        remember_language(response, code)
    return response


def _home() -> str:
    return url_for("staff.requests" if g.account.is_staff else "public.search")
