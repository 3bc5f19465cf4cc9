"""A researcher's side of access (TT05 ch. VI): a new request for documents found in the search, the list
of their own requests and one request's status, reading copies shown page by page as images, and
downloads of issued copies within their period.

Everything is decided by the access services, as at the command line: ``create_request`` (secret
records refused, public ones approved automatically), ``readable`` and ``download`` (re-checked at every
use: period, records made secret since). A researcher only ever reaches requests whose ``account_id`` is
theirs; anything else is a 404, as if it did not exist."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wsgi import wrap_file

from archive_repo.access.delivery import download, download_link, readable
from archive_repo.access.errors import AccessError, RecordedRefusal
from archive_repo.access.present import request_as_dict
from archive_repo.access.requests import NewRequest, create_request, load_request
from archive_repo.catalog.models import AccessOutput, AccessRequest, Document, Package
from archive_repo.portal.app import (
    audit,
    current_language,
    current_settings,
    error_page,
    reading,
    researcher_required,
    t,
    writing,
)
from archive_repo.portal.pages import PageError, page_count, render_png
from archive_repo.portal.search import public_document
from archive_repo.validation.profiles import load_codes

blueprint = Blueprint("researcher", __name__)

KINDS = ("reading", "copy", "certified", "dip")
MAX_DOCUMENTS = 50
_BINARY = "application/octet-stream"
_FORM_FIELDS = ("kind", "purpose", "purpose_text", "fee", "topic", "reading_days")


# --------------------------------------------------------------------------------------------------
# new request


@blueprint.route("/requests/new", methods=["GET", "POST"])
@researcher_required
def new_request() -> str | Response | tuple[str, int]:
    wanted = _unique(request.values.getlist("doc"))
    form = {name: request.form.get(name, "").strip() for name in _FORM_FIELDS}
    with reading() as db:
        documents, unavailable = _visible(db, wanted)
    if request.method == "GET":
        if unavailable:
            flash(t("portal.documents_unavailable", count=len(unavailable)), "error")
        return _request_page(documents, {"kind": "reading", "purpose": "01", "fee": "01"})
    if unavailable or not documents:
        key = "portal.documents_unavailable" if unavailable else "portal.no_documents"
        flash(t(key, count=len(unavailable)), "error")
        return _request_page(documents, form, 400)
    days = form["reading_days"]
    if days and not re.fullmatch(r"[0-9]{1,3}", days):
        flash(t("portal.bad_reading_days"), "error")
        return _request_page(documents, form, 400)
    account = g.account
    new = NewRequest(
        requester_name=account.full_name,
        identity_kind=account.identity_kind,
        identity_number=account.identity_number,
        purpose=form["purpose"],
        fee_object_type=form["fee"],
        copy_kind=form["kind"],
        items=tuple(document["code"] for document in documents),
        purpose_content=form["purpose_text"] or None,
        research_topic=form["topic"] or None,
        reading_days=int(days) if days and form["kind"] == "reading" else None,
    )
    if new.copy_kind not in KINDS:
        flash(t("portal.bad_kind"), "error")
        return _request_page(documents, form, 400)
    try:
        with writing() as db:
            made, left_out = create_request(db, current_settings(), new, account.actor, account_id=account.id)
            code, status = made.code, made.status
            audit("request", code, db)
    except AccessError as exc:
        flash(exc.message(current_language()), "error")
        return _request_page(documents, form, 400)
    flash(t(f"portal.requested_{status}", code=code), "success" if status != "refused" else "error")
    if left_out:
        flash(t("portal.left_out", documents=", ".join(left_out)), "info")
    return redirect(url_for("researcher.request_detail", code=code))


def _request_page(documents: list[dict], form: dict[str, str], status: int = 200) -> tuple[str, int]:
    lang = current_language()
    codes = load_codes()
    page = render_template(
        "request_new.html",
        documents=documents,
        form=form,
        kinds=[(kind, t(f"access.kind_{kind}")) for kind in KINDS],
        purposes=_choices(codes.get("purpose", {}), lang),
        fees=_choices(codes.get("feeObjectType", {}), lang),
        max_days=current_settings().access.reading_days,
    )
    return page, status


def _choices(table: dict, lang: str) -> list[tuple[str, str]]:
    return [(code, entry.get(lang) or entry.get("en") or code) for code, entry in sorted(table.items())]


def _unique(values: list[str]) -> list[str]:
    """The first MAX_DOCUMENTS distinct codes (a longer list is cut first: it costs nothing to send)."""
    stripped = (value.strip() for value in values[: MAX_DOCUMENTS * 4])
    return list(dict.fromkeys(value for value in stripped if value))[:MAX_DOCUMENTS]


def _visible(db: Session, codes: list[str]) -> tuple[list[dict], list[str]]:
    """The public descriptions of the documents ``codes`` name, and the codes that name nothing a
    researcher may see (unknown and secret alike: the page does not tell which)."""
    found: list[dict] = []
    unavailable: list[str] = []
    for code in codes:
        ids = db.scalars(
            select(Document.id)
            .join(Document.package)
            .where(Document.code == code, Package.status == "active")
            .order_by(Package.version.desc(), Document.id.desc())
        ).all()
        described = next(
            (d for d in (public_document(db, i, current_language()) for i in ids) if d is not None), None
        )
        if described is None:
            unavailable.append(code)
        else:
            found.append(described)
    return found, unavailable


# --------------------------------------------------------------------------------------------------
# own requests


@blueprint.get("/requests")
@researcher_required
def my_requests() -> str:
    lang = current_language()
    with reading() as db:
        rows = db.scalars(
            select(AccessRequest)
            .where(AccessRequest.account_id == g.account.id)
            .order_by(AccessRequest.id.desc())
        ).all()
        requests = [request_as_dict(row, lang) for row in rows]
    return render_template("requests.html", requests=requests)


@blueprint.get("/requests/<code>")
def request_detail(code: str) -> str | Response | tuple[str, int]:
    if g.account is None:
        return redirect(url_for("auth.login", next=request.path))
    with reading() as db:
        try:
            found = load_request(db, code)
        except AccessError:
            abort(404)
        if not _may_see(found):
            abort(404)
        if g.account.is_staff:
            return redirect(url_for("staff.request_detail", code=found.code))
        data = request_as_dict(found, current_language())
    return render_template("request.html", request_data=data, owner=True)


def _may_see(found: AccessRequest) -> bool:
    return g.account.is_staff or (found.account_id is not None and found.account_id == g.account.id)


# --------------------------------------------------------------------------------------------------
# outputs: reading copies as page images, downloads


@dataclass(frozen=True)
class _Owned:
    id: int
    kind: str
    mimetype: str
    request_code: str


def _own_output(output_id: int) -> _Owned:
    """The output, if it belongs to a request of the researcher signed in (else 404)."""
    with reading() as db:
        output = db.get(AccessOutput, output_id)
        if output is None or output.request.account_id != g.account.id:
            abort(404)
        return _Owned(output.id, output.kind, output.mimetype, output.request.code)


def _own_reading(output_id: int) -> _Owned:
    """The researcher's own reading copy (anything else is a 404)."""
    output = _own_output(output_id)
    if output.kind != "reading":
        abort(404)
    return output


@blueprint.get("/outputs/<int:output_id>/read")
@researcher_required
def read(output_id: int) -> Response | tuple[str, int]:
    _no_head()
    output = _own_reading(output_id)
    path = _readable(output_id, record=True)
    if isinstance(path, tuple):
        return path
    try:
        pages = page_count(path)
    except PageError:
        return error_page(410, t("portal.output_gone"))
    page = render_template("reader.html", output_id=output_id, pages=pages, code=output.request_code)
    return _no_store(Response(page, mimetype="text/html"))


@blueprint.get("/outputs/<int:output_id>/pages/<int:number>.png")
@researcher_required
def page_image(output_id: int, number: int) -> Response | tuple[str, int]:
    _own_reading(output_id)
    path = _readable(output_id, record=False)
    if isinstance(path, tuple):
        return path
    try:
        png = render_png(path, number, current_settings().portal.page_dpi)
    except PageError:
        abort(404)
    response = Response(png, mimetype="image/png")
    response.headers["Content-Disposition"] = f'inline; filename="page-{number}.png"'
    return _no_store(response)


def _no_head() -> None:
    """A HEAD request must not count as a view or a delivery, nor may a link on another site make one
    (browsers say where a request comes from in Sec-Fetch-Site)."""
    if request.method == "HEAD":
        abort(405)
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort(403)


def _readable(output_id: int, *, record: bool) -> Path | tuple[str, int]:
    """The reading copy's file, re-checked. A page image only reads the catalog (no write lock for every
    page); the opening of the viewer is recorded, and so is a withdrawal (its record became secret)."""
    try:
        if not record:
            with reading() as db:
                return readable(db, current_settings(), output_id, g.account.actor, record=False)
    except RecordedRefusal:
        pass  # withdrawn: done again below, where it is kept
    except AccessError as exc:
        return _output_refused(exc)
    try:
        with writing() as db:
            path = readable(db, current_settings(), output_id, g.account.actor, record=record)
            if record:
                audit("view", f"output {output_id}", db)
            return path
    except AccessError as exc:
        return _output_refused(exc)


@blueprint.get("/outputs/<int:output_id>/download")
@researcher_required
def download_output(output_id: int) -> Response | tuple[str, int]:
    _no_head()
    output = _own_output(output_id)
    if output.kind == "reading":
        return error_page(403, t("portal.reading_not_downloadable"))
    settings = current_settings()
    try:
        with writing() as db:
            if settings.access.downloads is not None:
                link = download_link(db, settings, output_id, g.account.actor)
            else:
                path = download(db, settings, output_id, g.account.actor)
            audit("download", f"output {output_id}", db)
    except AccessError as exc:
        return _output_refused(exc)
    if settings.access.downloads is not None:
        return _no_store(redirect(link.url))
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the response when it has been sent
    except OSError:
        return error_page(410, t("portal.output_gone"))
    size = os.fstat(handle.fileno()).st_size
    response = Response(wrap_file(request.environ, handle), mimetype=output.mimetype or _BINARY)
    response.direct_passthrough = True
    response.headers["Content-Disposition"] = _attachment(path.name)
    response.headers["Content-Length"] = str(size)
    return _no_store(response)


def _attachment(name: str) -> str:
    fallback = name.encode("ascii", "replace").decode("ascii").replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _output_refused(exc: AccessError) -> tuple[str, int]:
    """An output that can no longer be given: expired, deleted, withdrawn (410), or missing (404)."""
    if exc.message_key in ("access.output_expired", "access.withdrawn", "access.output_missing"):
        return error_page(410, t("portal.output_gone"))
    if exc.message_key == "access.reading_not_downloadable":
        return error_page(403, t("portal.reading_not_downloadable"))
    return error_page(404)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
