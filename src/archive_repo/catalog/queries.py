"""The catalog look-ups the commands need: find packages, their versions, a submission by its digest.

Text search compares folded text (lowercase, Vietnamese diacritics removed, ``đ`` → ``d``) with the
``search_text`` columns the models fill on insert, so ``hoi nghi`` finds ``Hội nghị`` on SQLite and on
PostgreSQL alike. Every word of the query must appear, in the package's own text (arcFileCode, title,
OBJIDs) or all of them in one of its documents' (code, title).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from archive_repo.catalog.models import Agency, Document, Fonds, Package, Submission
from archive_repo.catalog.normalise import fold


def _like(words: list[str], column: InstrumentedAttribute[str]) -> list[ColumnElement[bool]]:
    return [contains(column, word) for word in words]


def contains(column: InstrumentedAttribute[str], word: str) -> ColumnElement[bool]:
    """``column`` holds ``word`` (LIKE, with the wildcards in ``word`` taken literally)."""
    return column.like(f"%{_escape(word)}%", escape="\\")


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def package_query(
    text: str | None = None,
    fonds: str | None = None,
    agency: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    modes: Collection[str] | None = None,
    include_superseded: bool = False,
) -> Select[Package]:
    """The SELECT behind ``search_packages`` (without order or limit), for callers that page or count."""
    query = select(Package)
    words = fold(text).split() if text else []
    if words:
        in_document = exists().where(Document.package_id == Package.id, *_like(words, Document.search_text))
        query = query.where(or_(and_(*_like(words, Package.search_text)), in_document))
    if fonds:
        query = query.where(Package.fonds_id.in_(select(Fonds.id).where(Fonds.code == fonds)))
    if agency:
        agency_ids = select(Agency.id).where(Agency.code == agency)
        fonds_of_agency = select(Fonds.id).where(Fonds.agency_id.in_(agency_ids))
        query = query.where(or_(Package.agency_id.in_(agency_ids), Package.fonds_id.in_(fonds_of_agency)))
    # Overlap of [start_on, end_on] with [date_from, date_to]; packages without dates never match a range.
    if date_from is not None:
        query = query.where(func.coalesce(Package.end_on, Package.start_on) >= date_from)
    if date_to is not None:
        query = query.where(func.coalesce(Package.start_on, Package.end_on) <= date_to)
    if modes is not None:
        query = query.where(Package.mode.in_(list(modes)))
    if not include_superseded:
        query = query.where(Package.status == "active")
    return query


def search_packages(
    session: Session,
    text: str | None = None,
    fonds: str | None = None,
    agency: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    *,
    modes: Collection[str] | None = None,
    include_superseded: bool = False,
) -> Sequence[Package]:
    """Packages matching every given criterion, newest version of each by default, in arcFileCode order.

    ``text``: words that must all appear (case and diacritics ignored); ``fonds`` / ``agency``: codes;
    ``date_from`` / ``date_to``: the package's date range must overlap them; ``modes``: access regimes
    (``01`` public, ``02`` conditional, ``03`` secret) to keep; ``include_superseded``: older versions too.
    """
    query = package_query(text, fonds, agency, date_from, date_to, modes, include_superseded)
    query = query.order_by(Package.arc_file_code, Package.version.desc(), Package.id).limit(limit)
    return session.scalars(query).all()


def package_by_objid(session: Session, objid: str) -> Package | None:
    """The package (any version) whose AIP OBJID is ``objid``."""
    return session.scalars(select(Package).where(Package.objid == objid)).one_or_none()


def latest_version(session: Session, arc_file_code: str) -> Package | None:
    """The newest version of the dossier or batch ``arc_file_code``, or None if the catalog has none."""
    query = (
        select(Package)
        .where(Package.arc_file_code == arc_file_code)
        .order_by(Package.version.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def versions(session: Session, arc_file_code: str) -> Sequence[Package]:
    """Every version of ``arc_file_code``, oldest first."""
    query = select(Package).where(Package.arc_file_code == arc_file_code).order_by(Package.version)
    return session.scalars(query).all()


def submission_by_digest(session: Session, digest: str) -> Submission | None:
    """The submission whose content digest (SHA-256, hex) is ``digest``: a submission seen before."""
    return session.scalars(select(Submission).where(Submission.digest == digest.lower())).one_or_none()
