"""What anyone may see, signed in or not: the search over the public description of the holdings and the
description of one document. Secret (03) records never appear: the search service leaves them out and a
secret document's page is a 404, exactly like an unknown one."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive_repo.catalog.browse import BrowseError, parse_date
from archive_repo.portal.app import audit, current_language, reading, t
from archive_repo.portal.search import Criteria, fonds_choices, public_document, public_search, type_choices

blueprint = Blueprint("public", __name__)

PER_PAGE = 20
MAX_PAGE = 10_000
MAX_QUERY = 200


@blueprint.get("/")
def home() -> Response:
    return redirect(url_for("public.search"))


@blueprint.get("/search")
def search() -> str:
    lang = current_language()
    form = {name: request.args.get(name, "").strip() for name in ("q", "fonds", "from", "to", "type")}
    form["q"] = form["q"][:MAX_QUERY]
    errors: list[str] = []
    date_from = _date(form["from"], end=False, errors=errors)
    date_to = _date(form["to"], end=True, errors=errors)
    page = _page(request.args.get("page"))
    asked = any(form.values())
    hits: list[Any] = []
    total = 0
    with reading() as db:
        fonds = fonds_choices(db)
        if asked and not errors:  # the bare page asks for criteria first: no search of everything
            criteria = Criteria(
                text=form["q"],
                fonds=form["fonds"] or None,
                date_from=date_from,
                date_to=date_to,
                type_code=form["type"] or None,
                page=page,
                per_page=PER_PAGE,
            )
            hits, total = public_search(db, criteria, lang)
    if g.account is not None and asked and not errors:
        audit("search", _summary(form))
    pages = max(1, math.ceil(total / PER_PAGE))
    return render_template(
        "search.html",
        form=form,
        errors=errors,
        hits=hits,
        total=total,
        page=page,
        pages=pages,
        fonds=fonds,
        types=type_choices(lang),
        can_request=g.account is not None and g.account.is_researcher,
        page_url=lambda number: url_for("public.search", **_query(form, number)),
    )


@blueprint.get("/documents/<int:document_id>")
def document(document_id: int) -> str:
    with reading() as db:
        found = public_document(db, document_id, current_language())
    if found is None:
        abort(404)
    return render_template(
        "document.html",
        document=found,
        can_request=g.account is not None and g.account.is_researcher,
    )


def _date(text: str, *, end: bool, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        return parse_date(text, end=end)
    except BrowseError:
        errors.append(t("portal.bad_date", value=text))
        return None


def _page(value: str | None) -> int:
    try:
        return min(max(1, int(value or "1")), MAX_PAGE)
    except ValueError:
        return 1


def _query(form: dict[str, str], page: int) -> dict[str, Any]:
    query: dict[str, Any] = {name: value for name, value in form.items() if value}
    if page > 1:
        query["page"] = page
    return query


def _summary(form: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in form.items() if value)[:500]
