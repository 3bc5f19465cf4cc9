"""The public description of the holdings, as researchers may see it: documents of held (active)
packages, never a secret (03) one — nor one whose dossier or whose document was made secret by a later
version — searched without regard to case or Vietnamese diacritics, filtered by fonds, date of issue and
document type, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager

from archive_repo.access.items import current_mode
from archive_repo.access.rules import SECRET
from archive_repo.catalog.browse import code_label
from archive_repo.catalog.models import Document, Fonds, Package
from archive_repo.catalog.normalise import fold
from archive_repo.catalog.queries import contains
from archive_repo.validation.profiles import load_codes

MAX_PER_PAGE = 100
_EAGER = contains_eager(Document.package).contains_eager(Package.fonds)
_NEWER = contains_eager(Document.package).selectinload(Package.superseded_by)  # for current_mode, one query
MAX_WORDS = 12


@dataclass(frozen=True)
class Criteria:
    text: str = ""
    fonds: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    type_code: str | None = None
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    document_id: int
    code: str
    arc_code: str
    title: str
    issued_date: str | None
    type_code: str | None
    type_label: str | None
    mode: str
    mode_label: str
    dossier_code: str
    dossier_title: str
    fonds_code: str | None


def public_search(session: Session, criteria: Criteria, lang: str) -> tuple[list[Hit], int]:
    """One page of the documents matching ``criteria`` (every word, in the document's code or title or its
    dossier's), in dossier then ordinal order, and how many match in all."""
    query = _matching(criteria)
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Document.id).subquery()))
    per_page = max(1, min(criteria.per_page, MAX_PER_PAGE))
    page = max(1, criteria.page)
    rows = session.scalars(
        query.options(_EAGER)
        .order_by(Package.arc_file_code, Document.ordinal)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    hits = [_hit(document, lang) for document in rows]
    # A secret made by a chain of several later versions escapes the SQL filter: never shown all the same.
    return [hit for hit in hits if hit.mode != SECRET], int(total or 0)


def public_document(session: Session, document_id: int, lang: str) -> dict[str, Any] | None:
    """The public description of one document; None when it is unknown, not held, or secret."""
    document = session.scalars(
        _matching(Criteria()).where(Document.id == document_id).options(_EAGER)
    ).first()
    if document is None:
        return None
    hit = _hit(document, lang)
    if hit.mode == SECRET:
        return None
    fields = document.fields or {}
    return {
        **hit.__dict__,
        "code_number": fields.get("codeNumber"),
        "code_notation": fields.get("codeNotation"),
        "organ": fields.get("organName"),
        "pages": fields.get("numberOfPage"),
        "language": code_label("language", fields.get("language"), lang),
        "dossier_dates": (document.package.start_date, document.package.end_date),
        "keywords": fields.get("keyword"),
    }


def fonds_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every fonds with a document researchers may see (a fonds that holds only secret
    records is not named); one EXISTS probe per fonds, which stops at its first visible document."""
    visible = (
        select(Document.id)
        .join(Document.package)
        .where(Package.fonds_id == Fonds.id, Package.status == "active", *_not_secret())
        .exists()
    )
    rows = session.execute(select(Fonds.code, Fonds.name).where(visible).order_by(Fonds.code)).all()
    return [(code, name) for code, name in rows]


def type_choices(lang: str) -> list[tuple[str, str]]:
    """(code, label) of the document types (typeName)."""
    table = load_codes().get("typeName", {})
    return [(code, entry.get(lang) or entry.get("en") or code) for code, entry in sorted(table.items())]


def _matching(criteria: Criteria) -> Select[Any]:
    query = (
        select(Document)
        .join(Document.package)
        .outerjoin(Fonds, Package.fonds)
        .where(Package.status == "active", *_not_secret())
    )
    words = fold(criteria.text).split()[:MAX_WORDS]
    for word in words:
        query = query.where(or_(contains(Document.search_text, word), contains(Package.search_text, word)))
    if criteria.fonds:
        query = query.where(Fonds.code == criteria.fonds)
    if criteria.type_code:
        query = query.where(Document.type_code == criteria.type_code)
    if criteria.date_from:
        query = query.where(Document.issued_on >= criteria.date_from)
    if criteria.date_to:
        query = query.where(Document.issued_on <= criteria.date_to)
    return query


def _not_secret() -> list[ColumnElement[bool]]:
    """Neither the document nor its dossier is secret, nor made secret by a later version (a newer package
    superseding this one, or the same document code marked secret in any package)."""
    newer = aliased(Package)
    # The secret codes are collected once (SQLite and PostgreSQL hash them); a correlated NOT EXISTS made
    # SQLite walk every secret document for every row (100,000 × 33,000 in the load check).
    secret_codes = select(Document.code).where(Document.mode == SECRET, Document.code.is_not(None))
    return [
        or_(Document.mode.is_(None), Document.mode != SECRET),
        or_(Package.mode.is_(None), Package.mode != SECRET),
        not_(select(newer.id).where(and_(newer.supersedes_id == Package.id, newer.mode == SECRET)).exists()),
        or_(Document.code.is_(None), Document.code.not_in(secret_codes)),
    ]


def _hit(document: Document, lang: str) -> Hit:
    package = document.package
    mode = current_mode(document)
    arc_code = (
        f"{package.arc_file_code}.{document.ordinal:07d}" if package.arc_file_code else (document.code or "")
    )
    return Hit(
        document_id=document.id,
        code=document.code or "",
        arc_code=arc_code,
        title=document.title,
        issued_date=document.issued_date,
        type_code=document.type_code,
        type_label=code_label("typeName", document.type_code, lang),
        mode=mode,
        mode_label=code_label("mode", mode, lang) or mode,
        dossier_code=package.arc_file_code or "",
        dossier_title=package.title,
        fonds_code=package.fonds.code if package.fonds is not None else None,
    )
