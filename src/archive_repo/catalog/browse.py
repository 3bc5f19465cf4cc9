"""Read-only views of what the repository holds, for ``archive-repo aip``: lists, search, a package, history.

Every function takes an open session and returns plain, JSON-ready dictionaries (the command renders them
as tables or prints them as JSON), so nothing here writes to the catalog. Timestamps are given in Vietnam
time (UTC+07:00, no daylight saving), the time archive staff read. Labels of codes (access mode, document
type) come from ``profiles/codes.toml``; labels of PREMIS event types and outcomes from the message
catalogs (``aip.event_*``, ``aip.outcome_*``), falling back to the stored value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload

from archive_repo.catalog.models import Document, File, Package, PremisEvent, StorageCopy
from archive_repo.catalog.normalise import date_range, fold
from archive_repo.catalog.queries import (
    latest_version,
    package_by_objid,
    package_query,
    search_packages,
    versions,
)
from archive_repo.errors import ArchiveRepoError
from archive_repo.i18n import has_message, translate
from archive_repo.storage.export import CopyRef, ExportFile, ExportPlan

VIETNAM = timezone(timedelta(hours=7), "ICT")
SORTS = ("newest", "code")


class BrowseError(ArchiveRepoError):
    """A package that cannot be found, or a criterion that cannot be understood (exit 2)."""


def aip_folder(objid: str) -> str:
    """The AIP's folder name in storage and in exports: the OBJID with every ``:`` replaced by ``_``."""
    return objid.replace(":", "_")


def vn_time(moment: datetime | None) -> str | None:
    """``moment`` in Vietnam time, ISO 8601 with its offset (``2025-03-10T09:15:00+07:00``)."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # the catalog returns aware datetimes; be safe with anything else
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


def parse_date(text: str, *, end: bool) -> date:
    """A search bound: ``YYYY``, ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (also ``MM/YYYY``, ``YYYY-MM``);
    the first day it can mean for a lower bound, the last day for an upper one (``--to 2024`` = 31/12)."""
    found = date_range(text)
    if found is None:
        raise BrowseError("aip.bad_date", value=text)
    return found[1] if end else found[0]


def code_label(field: str, code: str | None, lang: str) -> str | None:
    """The label of ``code`` in the code table ``field`` of profiles/codes.toml, or None if unknown."""
    if not code:
        return None
    from archive_repo.validation.profiles import load_codes

    entry = load_codes().get(field, {}).get(code)
    if not isinstance(entry, dict):
        return None
    return entry.get(lang) or entry.get("en")


def _label(prefix: str, value: str | None, lang: str) -> str:
    """The catalog's label for a stored value (``aip.<prefix>_<value>``), else the value itself."""
    if not value:
        return ""
    slug = "".join(ch if ch.isalnum() else "_" for ch in value.lower())
    key = f"aip.{prefix}_{slug}"
    return translate(key, lang) if has_message(key, "en") else value


def event_label(event_type: str, lang: str) -> str:
    return _label("event", event_type, lang)


def outcome_label(outcome: str | None, lang: str) -> str:
    return _label("outcome", outcome, lang)


def status_label(status: str, lang: str) -> str:
    return _label("status", status, lang)


def record_status_label(status: str | None, lang: str) -> str:
    return _label("record_status", status, lang)


# --------------------------------------------------------------------------------------------------
# finding one package


def resolve(
    session: Session, ident: str, version: int | None = None, archive_code: str | None = None
) -> Package:
    """The package named by ``ident``: an AIP OBJID, its storage folder name, or an arcFileCode (with or
    without the archive's own prefix) for its newest version, or version ``version`` of it."""
    ident = ident.strip()
    package = package_by_objid(session, ident)
    if package is None and ident.startswith("urn_"):
        by_folder = select(Package).where(func.replace(Package.objid, ":", "_") == ident)
        package = session.scalars(by_folder).first()
    code = package.arc_file_code if package is not None else None
    if package is None:
        candidates = [ident] + ([f"{archive_code}.{ident}"] if archive_code else [])
        for candidate in candidates:
            package = latest_version(session, candidate)
            if package is not None:
                code = candidate
                break
    if package is None:
        raise BrowseError("aip.not_found", id=ident)
    if version is not None and package.version != version:
        chosen = next((p for p in versions(session, code or "") if p.version == version), None)
        if chosen is None:
            raise BrowseError("aip.version_not_found", id=ident, version=version, latest=package.version)
        package = chosen
    return package


# --------------------------------------------------------------------------------------------------
# lists and search


def _counts(session: Session, ids: list[int]) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """(documents per package, (files, bytes) per package) for the packages ``ids``."""
    if not ids:
        return {}, {}
    documents = session.execute(
        select(Document.package_id, func.count())
        .where(Document.package_id.in_(ids))
        .group_by(Document.package_id)
    )
    files = session.execute(
        select(File.package_id, func.count(), func.coalesce(func.sum(File.size), 0))
        .where(File.package_id.in_(ids))
        .group_by(File.package_id)
    )
    return (
        {package_id: count for package_id, count in documents},
        {package_id: (count, int(size)) for package_id, count, size in files},
    )


def summary(package: Package, documents: int, files: int, size: int, lang: str) -> dict[str, Any]:
    return {
        "objid": package.objid,
        "arc_file_code": package.arc_file_code,
        "version": package.version,
        "status": package.status,
        "status_label": status_label(package.status, lang),
        "record_status": package.record_status,
        "variant": package.variant,
        "title": package.title,
        "start_date": package.start_date,
        "end_date": package.end_date,
        "mode": package.mode,
        "fonds": package.fonds.code if package.fonds else None,
        "agency": package.agency.code if package.agency else None,
        "documents": documents,
        "files": files,
        "size": size,
        "created_at": vn_time(package.created_at),
    }


def _summaries(session: Session, packages: Sequence[Package], lang: str) -> list[dict[str, Any]]:
    documents, files = _counts(session, [p.id for p in packages])
    rows = []
    for package in packages:
        file_count, size = files.get(package.id, (0, 0))
        rows.append(summary(package, documents.get(package.id, 0), file_count, size, lang))
    return rows


def _with_relations(query: Select[Any]) -> Select[Any]:
    return query.options(selectinload(Package.fonds), selectinload(Package.agency))


def _total(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def list_packages(
    session: Session,
    *,
    fonds: str | None = None,
    agency: str | None = None,
    all_versions: bool = False,
    limit: int = 50,
    sort: str = "newest",
    lang: str = "vi",
) -> tuple[list[dict[str, Any]], int]:
    """(at most ``limit`` package summaries, how many packages match in all)."""
    query = package_query(fonds=fonds, agency=agency, include_superseded=all_versions)
    total = _total(session, query)
    if sort == "code":
        query = query.order_by(Package.arc_file_code, Package.version.desc(), Package.id)
    else:
        query = query.order_by(Package.created_at.desc(), Package.id.desc())
    packages = session.scalars(_with_relations(query).limit(limit)).all()
    return _summaries(session, packages, lang), total


def _words_in(words: list[str], column: Any) -> list[ColumnElement[bool]]:
    escaped = (w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words)
    return [column.like(f"%{word}%", escape="\\") for word in escaped]


def search(
    session: Session,
    text: str,
    *,
    fonds: str | None = None,
    agency: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    modes: Collection[str] | None = None,
    all_versions: bool = False,
    limit: int = 50,
    lang: str = "vi",
) -> tuple[list[dict[str, Any]], int]:
    """Packages matching ``text`` (every word, case and diacritics ignored) and the criteria, in
    arcFileCode order, each with ``matched_in`` ("package" and/or "documents") and the documents whose
    code or title holds every word; returns (results, how many match in all)."""
    modes = list(modes) if modes else None
    query = package_query(text, fonds, agency, date_from, date_to, modes, all_versions)
    total = _total(session, query)
    packages = search_packages(
        session,
        text,
        fonds,
        agency,
        date_from,
        date_to,
        limit,
        modes=modes,
        include_superseded=all_versions,
    )
    results = _summaries(session, packages, lang)
    words = fold(text).split()
    matched: dict[int, list[Document]] = {}
    if words and packages:
        documents = session.scalars(
            select(Document)
            .where(Document.package_id.in_([p.id for p in packages]), *_words_in(words, Document.search_text))
            .order_by(Document.package_id, Document.ordinal)
        )
        for document in documents:
            matched.setdefault(document.package_id, []).append(document)
    for package, result in zip(packages, results, strict=True):
        in_package = all(word in (package.search_text or "") for word in words)
        documents = matched.get(package.id, [])
        result["matched_in"] = [
            where for where, hit in (("package", in_package), ("documents", bool(documents))) if hit
        ]
        result["matched_documents"] = [
            {"ordinal": d.ordinal, "code": d.code, "title": d.title} for d in documents
        ]
    return results, total


# --------------------------------------------------------------------------------------------------
# one package


def _load(session: Session, package: Package) -> Package:
    """The package with its documents, files, copies, fonds, agency and submission loaded at once."""
    query = (
        select(Package)
        .where(Package.id == package.id)
        .options(
            selectinload(Package.documents),
            selectinload(Package.files).selectinload(File.copies),
            selectinload(Package.fonds),
            selectinload(Package.agency),
            selectinload(Package.submission),
            selectinload(Package.supersedes),
            selectinload(Package.superseded_by),
        )
    )
    return session.scalars(query).one()


def _file(file: File, documents: dict[int, int]) -> dict[str, Any]:
    return {
        "path": file.path,
        "size": file.size,
        "sha256": file.sha256,
        "role": file.role,
        "mimetype": file.mimetype,
        "puid": file.puid,
        "document": documents.get(file.document_id) if file.document_id is not None else None,
        "copies": [
            {
                "location": copy.location,
                "key": copy.key,
                "status": copy.status,
                "created_at": vn_time(copy.created_at),
                "verified_at": vn_time(copy.verified_at),
            }
            for copy in sorted(file.copies, key=lambda c: c.location)
        ],
    }


def _locations(files: Iterable[File], configured: Sequence[str]) -> list[dict[str, Any]]:
    """Per storage location: how many copies, their statuses, the oldest and newest verification."""
    by_location: dict[str, list[StorageCopy]] = {}
    for file in files:
        for copy in file.copies:
            by_location.setdefault(copy.location, []).append(copy)
    names = [n for n in configured if n in by_location] + sorted(set(by_location) - set(configured))
    names += [n for n in configured if n not in by_location]
    rows = []
    for name in names:
        copies = by_location.get(name, [])
        verified = sorted(c.verified_at for c in copies if c.verified_at is not None)
        rows.append(
            {
                "location": name,
                "configured": name in configured,
                "copies": len(copies),
                "statuses": dict(sorted(Counter(c.status for c in copies).items())),
                "oldest_verified_at": vn_time(verified[0]) if verified else None,
                "newest_verified_at": vn_time(verified[-1]) if verified else None,
                "never_verified": sum(1 for c in copies if c.verified_at is None),
            }
        )
    return rows


def _versions(session: Session, package: Package, lang: str) -> list[dict[str, Any]]:
    if not package.arc_file_code:
        return []
    return [
        {
            "objid": other.objid,
            "version": other.version,
            "status": other.status,
            "status_label": status_label(other.status, lang),
            "record_status": other.record_status,
            "created_at": vn_time(other.created_at),
            "current": other.id == package.id,
        }
        for other in versions(session, package.arc_file_code)
    ]


def package_detail(
    session: Session, package: Package, lang: str, configured_locations: Sequence[str] = ()
) -> dict[str, Any]:
    """Everything the catalog knows about one package (without its events: see :func:`history`)."""
    package = _load(session, package)
    ordinals = {d.id: d.ordinal for d in package.documents}
    files_of: dict[int, list[File]] = {}
    for file in package.files:
        if file.document_id is not None:
            files_of.setdefault(file.document_id, []).append(file)
    documents = []
    for document in package.documents:
        own = files_of.get(document.id, [])
        data = [f for f in own if f.role == "data"]
        documents.append(
            {
                "ordinal": document.ordinal,
                "code": document.code,
                "doc_id": document.doc_id,
                "kind": document.kind,
                "title": document.title,
                "type": document.type_code,
                "type_label": code_label("typeName", document.type_code, lang),
                "issued_date": document.issued_date,
                "mode": document.mode,
                "mode_label": code_label("mode", document.mode, lang),
                "data_files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in data],
                "files": [f.path for f in own],
                "fields": document.fields,
            }
        )
    submission = package.submission
    detail = summary(
        package, len(package.documents), len(package.files), sum(f.size for f in package.files), lang
    )
    detail.update(
        {
            "folder": aip_folder(package.objid),
            "sip_objid": package.sip_objid,
            "record_status_label": record_status_label(package.record_status, lang),
            "mode_label": code_label("mode", package.mode, lang),
            "fonds": (
                {"code": package.fonds.code, "name": package.fonds.name}
                if package.fonds is not None
                else None
            ),
            "agency": (
                {"code": package.agency.code, "name": package.agency.name}
                if package.agency is not None
                else None
            ),
            "supersedes": package.supersedes.objid if package.supersedes is not None else None,
            "superseded_by": package.superseded_by.objid if package.superseded_by is not None else None,
            "versions": _versions(session, package, lang),
            "submission": (
                {
                    "source_name": submission.source_name,
                    "digest": submission.digest,
                    "verdict": submission.verdict,
                    "status": submission.status,
                    "received_at": vn_time(submission.received_at),
                    "run": submission.run_id,
                }
                if submission is not None
                else None
            ),
            "documents": documents,
            "files_by_role": dict(sorted(Counter(f.role for f in package.files).items())),
            "file_list": [_file(f, ordinals) for f in package.files],
            "locations": _locations(package.files, configured_locations),
        }
    )
    return detail


# --------------------------------------------------------------------------------------------------
# history


def _event(event: PremisEvent, lang: str) -> dict[str, Any]:
    agent = event.agent
    return {
        "identifier": event.identifier,
        "type": event.type,
        "type_label": event_label(event.type, lang),
        "occurred_at": vn_time(event.occurred_at),
        "outcome": event.outcome,
        "outcome_label": outcome_label(event.outcome, lang),
        "agent": (
            {"name": agent.name, "version": agent.version, "type": agent.type, "identifier": agent.identifier}
            if agent is not None
            else None
        ),
        "file": event.file.path if event.file is not None else None,
        "detail": event.detail,
    }


def history(session: Session, package: Package, lang: str) -> dict[str, Any]:
    """The package's PREMIS events from the catalog, oldest first, and the other versions of its dossier."""
    query = (
        select(PremisEvent)
        .where(PremisEvent.package_id == package.id)
        .order_by(PremisEvent.occurred_at, PremisEvent.id)
        .options(selectinload(PremisEvent.agent), selectinload(PremisEvent.file))
    )
    events = [_event(e, lang) for e in session.scalars(query)]
    return {
        "objid": package.objid,
        "arc_file_code": package.arc_file_code,
        "version": package.version,
        "status": package.status,
        "title": package.title,
        "events": events,
        "versions": _versions(session, package, lang),
    }


def group_file_events(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of consecutive per-file events of one type become one row ``{"group": True, "type", "count",
    "outcomes": {outcome: n}, "first", "last", ...}``; package-level events are kept as they are."""
    rows: list[dict[str, Any]] = []
    for event in events:
        last = rows[-1] if rows else None
        if event["file"] is None:
            rows.append(event)
        elif last is not None and last.get("group") and last["type"] == event["type"]:
            last["count"] += 1
            last["outcomes"][event["outcome"]] = last["outcomes"].get(event["outcome"], 0) + 1
            last["last"] = event["occurred_at"]
            if last["agent"] != event["agent"]:
                last["agent"] = None
        else:
            rows.append(
                {
                    "group": True,
                    "type": event["type"],
                    "type_label": event["type_label"],
                    "occurred_at": event["occurred_at"],
                    "first": event["occurred_at"],
                    "last": event["occurred_at"],
                    "count": 1,
                    "outcomes": {event["outcome"]: 1},
                    "agent": event["agent"],
                }
            )
    return rows


# --------------------------------------------------------------------------------------------------
# export


def export_plan(session: Session, package: Package) -> ExportPlan:
    """What :func:`archive_repo.storage.export.export_aip` needs: every file with its copies."""
    package = _load(session, package)
    created = package.created_at.astimezone(VIETNAM) if package.created_at else None
    files = tuple(
        ExportFile(
            path=file.path,
            size=file.size,
            sha256=file.sha256,
            copies=tuple(CopyRef(c.location, c.key, c.status) for c in file.copies),
        )
        for file in package.files
    )
    return ExportPlan(objid=package.objid, folder=aip_folder(package.objid), files=files, created=created)
