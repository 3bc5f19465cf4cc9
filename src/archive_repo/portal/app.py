"""The portal's Flask application: ``create_app(settings)`` and what every view shares.

- configuration: the cookie-signing key (from the environment variable ``[portal] secret_key_env`` names,
  else ``<repository>/portal-secret``, made with mode 0600 on first use), session cookies that are
  HttpOnly, SameSite=Lax and Secure unless ``[portal] secure_cookies = false``, CSRF protection on every
  POST, rate limits (login, registration, search) per client address, security headers;
- the language of the page: ``?lang=`` (remembered in the ``lang`` cookie), else that cookie, else
  Vietnamese; templates call ``t(key, **params)``;
- the account signed in (``g.account``, re-read from the catalog on every request: an account disabled
  meanwhile is signed out) and the decorators ``login_required``, ``researcher_required`` and
  ``staff_required``;
- catalog sessions for views (``reading()``, ``writing()``);
- error pages (400, 403, 404, 410, 429, 500…) rendered from a template, never a traceback.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, g, redirect, render_template, request, session, url_for
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from archive_repo.config import Settings
from archive_repo.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from archive_repo.portal.errors import PortalError

SECRET_FILE = "portal-secret"
SESSION_HOURS = 8
MIN_SECRET = 32  # characters of the cookie-signing key
LANG_COOKIE = "lang"
REGISTER_LIMIT = "5/minute"
ERROR_CODES = (400, 403, 404, 405, 410, 413, 429, 500)
_SETTINGS = "archive_repo.settings"
_LOG = logging.getLogger("archive_repo.portal")
_CSP = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class CurrentAccount:
    """The account signed in, as read at the start of the request (no catalog object leaves a session)."""

    id: int
    email: str
    full_name: str
    identity_kind: str
    identity_number: str
    role: str
    approver: bool

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def is_researcher(self) -> bool:
        return self.role == "researcher"

    @property
    def actor(self) -> str:
        """Who did it, in the access events: ``portal:<email>``."""
        return f"portal:{self.email}"[:200]


def create_app(settings: Settings, *, testing: bool = False) -> Flask:
    """The portal for the repository ``settings`` describe. ``testing`` turns CSRF checks off (the test
    client posts forms without a token) and allows a throw-away cookie key."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(settings, testing=testing),
        SESSION_COOKIE_NAME="archive_repo_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.portal.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        PROPAGATE_EXCEPTIONS=False,
        TESTING=testing,
        WTF_CSRF_ENABLED=not testing,
        MAX_CONTENT_LENGTH=256 * 1024,
        RATELIMIT_HEADERS_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,  # a form stays usable as long as the session
    )
    app.extensions[_SETTINGS] = settings
    if settings.portal.trusted_proxies:
        # Behind the archive's TLS proxy every client has the proxy's address: take the client's from the
        # X-Forwarded-* headers the configured number of proxies add (never more, or a client could forge it).
        hops = settings.portal.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    CSRFProtect(app)
    _register_views(app)
    _limit(app, settings)
    _register_hooks(app)
    _register_errors(app)
    return app


def secret_key(settings: Settings, *, testing: bool = False) -> str:
    """The key signing session cookies: the environment variable ``[portal] secret_key_env`` names, else
    ``<repository>/portal-secret`` (made, readable by its owner only, when missing; a test app uses a
    throw-away key instead of making it)."""
    from_env = os.environ.get(settings.portal.secret_key_env, "").strip()
    if from_env:
        if len(from_env) < MIN_SECRET:
            raise PortalError("portal.weak_secret", env=settings.portal.secret_key_env, minimum=MIN_SECRET)
        return from_env
    path = settings.home / SECRET_FILE
    if path.is_file():
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            raise PortalError("portal.secret_readable", path=str(path))
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_SECRET:
            raise PortalError("portal.weak_secret", env=str(path), minimum=MIN_SECRET)
        return key
    if testing:
        return secrets.token_hex(32)
    return _new_secret_file(path)


def _new_secret_file(path: Path) -> str:
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _register_views(app: Flask) -> None:
    from archive_repo.portal import views_auth, views_public, views_requests, views_staff

    for module in (views_public, views_auth, views_requests, views_staff):
        app.register_blueprint(module.blueprint)


def _limit(app: Flask, settings: Settings) -> None:
    """Per client address, in memory: login and registration POSTs, searches."""
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", default_limits=[])
    limits = {
        "auth.login": (f"{settings.portal.login_per_minute}/minute", ["POST"]),
        "auth.register": (REGISTER_LIMIT, ["POST"]),
        "public.search": (f"{settings.portal.search_per_minute}/minute", None),
    }
    for endpoint, (limit, methods) in limits.items():
        app.view_functions[endpoint] = limiter.limit(limit, methods=methods)(app.view_functions[endpoint])


# --------------------------------------------------------------------------------------------------
# every request


def _register_hooks(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.lang = _language()
        g.account = None
        if request.endpoint != "static":
            g.account = _signed_in()

    @app.after_request
    def _finish(response: Response) -> Response:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES:
            remember_language(response, chosen)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", _CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if getattr(g, "account", None) is not None and request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _template_helpers() -> dict[str, Any]:
        return {
            "t": t,
            "lang": current_language(),
            "languages": LANGUAGES,
            "account": getattr(g, "account", None),
            "archive_name": current_settings().archive_name,
            "here": _here(),
        }


def _here() -> str:
    """The current page's path and query, without ``lang`` (for the language links)."""
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "lang"])
    return f"{request.path}?{query}" if query else request.path


def _language() -> str:
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def current_language() -> str:
    return getattr(g, "lang", DEFAULT_LANGUAGE)


def t(key: str, /, **params: Any) -> str:
    """Message ``key`` in the page's language."""
    return translate(key, current_language(), **params)


def current_settings() -> Settings:
    return current_app.extensions[_SETTINGS]


def remote_addr() -> str | None:
    return request.remote_addr


def _signed_in() -> CurrentAccount | None:
    """The account of the session cookie, if it is still active (else the session is cleared)."""
    from archive_repo.catalog.models import PortalAccount

    account_id, epoch, since = session.get("account_id"), session.get("epoch"), session.get("since")
    if not (isinstance(account_id, int) and isinstance(epoch, int) and isinstance(since, int)):
        return None
    if not 0 <= time.time() - since < SESSION_HOURS * 3600:  # an absolute limit: activity does not extend it
        session.clear()
        return None
    with reading() as db:
        account = db.get(PortalAccount, account_id)
        if account is None or account.status != "active" or account.session_epoch != epoch:
            session.clear()
            return None
        return CurrentAccount(
            id=account.id,
            email=account.email,
            full_name=account.full_name,
            identity_kind=account.identity_kind,
            identity_number=account.identity_number,
            role=account.role,
            approver=bool(account.approver),
        )


def sign_in(account_id: int, epoch: int) -> None:
    """A fresh session (no fixation) for ``account_id``, valid for SESSION_HOURS from now and until the
    account's sessions are ended (``epoch``)."""
    session.clear()
    session.permanent = True
    session["account_id"] = account_id
    session["epoch"] = epoch
    session["since"] = int(time.time())


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site (no scheme, no host, no ``//``), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


# --------------------------------------------------------------------------------------------------
# authorisation


def login_required(view: View) -> View:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.account is None:
            here = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=here))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def researcher_required(view: View) -> View:
    """Signed in with an active researcher account (only those may request and read)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not g.account.is_researcher:
            return error_page(403)
        return view(*args, **kwargs)

    return login_required(wrapped)  # type: ignore[return-value]


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not g.account.is_staff:
            return error_page(403)
        return view(*args, **kwargs)

    return login_required(wrapped)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------
# catalog sessions


@contextmanager
def reading() -> Iterator[Session]:
    """A read-only session (it never waits for, nor holds, the catalog's write lock)."""
    from archive_repo.ingest.catalog_access import sessions

    with sessions(current_settings().catalog_url)() as db:
        yield db


@contextmanager
def writing() -> Iterator[Session]:
    """A session whose work is committed when the block ends without an error, or with a refusal whose
    reasons were recorded (RecordedRefusal); rolled back otherwise."""
    from archive_repo.access.errors import RecordedRefusal
    from archive_repo.ingest.catalog_access import writer_sessions

    with writer_sessions(current_settings().catalog_url)() as db:
        try:
            yield db
        except RecordedRefusal:
            db.commit()
            raise
        except BaseException:
            db.rollback()
            raise
        db.commit()


def audit(action: str, detail: str | None = None, db: Session | None = None) -> None:
    """One entry in the portal's audit log: in ``db``'s transaction (with the action it records), else in
    a short transaction of its own."""
    from archive_repo.portal.accounts import record_event

    account = getattr(g, "account", None)
    if db is not None:
        record_event(db, account.id if account else None, action, detail, remote_addr())
        return
    with writing() as own:
        record_event(own, account.id if account else None, action, detail, remote_addr())


# --------------------------------------------------------------------------------------------------
# errors


def error_page(code: int, message: str | None = None) -> tuple[str, int]:
    shown = code if code in ERROR_CODES else 400
    return (
        render_template(
            "error.html",
            code=code,
            title=t(f"portal.error_{shown}_title"),
            message=message or t(f"portal.error_{shown}"),
        ),
        code,
    )


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_: CSRFError) -> tuple[str, int]:
        return error_page(400, t("portal.csrf_failed"))

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_: RateLimitExceeded) -> tuple[str, int]:
        return error_page(429)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        return error_page(exc.code)

    @app.errorhandler(Exception)
    def _internal(exc: Exception) -> tuple[str, int]:
        _LOG.exception("portal: unexpected error on %s %s", request.method, request.path)
        try:
            return error_page(500)
        except Exception:  # noqa: BLE001 - the error page itself failed: plain text, still no traceback
            return "500 Internal Server Error", 500
