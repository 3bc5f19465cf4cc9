"""Issuing what an approved request asked for.

The originals are read from storage and checked against the catalog (``fetch``), turned into the kind of
output asked for (``copies`` for reading copies, copies and certified copies; ``dip`` for a certified
DIP), and kept in the access area ``<access_dir>/<request code>/`` until their period ends:

- reading copy: readable until the end of the last day of the reading period (at most 15 days), deleted
  5 days later;
- copy, certified copy, DIP: downloadable until the end of the last of ``[access] download_days`` (15 by
  default), then deleted.

Three steps, so that no transaction is held while originals are read, stamped and signed:

1. claim: in one short transaction the request, still approved and still allowed by the regime of its
   records as the catalog says now, becomes ``issuing`` by this process (host, pid): a second issue of
   it is refused, and only this process records or releases it;
2. make: in a staging folder ``.<code>.<pid>@<host>.partial`` (what ``doctor`` removes if the process
   dies), then moved into place (files an earlier, killed issue left there unrecorded are removed first);
3. record: in one short transaction the outputs, the events, and ``issued``.

A failure after the claim removes whatever was made and puts the request back to ``approved``.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from archive_repo.access.copies import render_copy
from archive_repo.access.dip import DipDocument, DipFile, DipRequest, build_dip
from archive_repo.access.errors import AccessError
from archive_repo.access.events import record_event
from archive_repo.access.fetch import SourceFile, fetch_verified
from archive_repo.access.items import data_files
from archive_repo.access.requests import load_request, recheck_before_issue
from archive_repo.access.rules import READING_GRACE_DAYS
from archive_repo.access.signing import ArchiveSigner, load_archive_signer
from archive_repo.catalog.browse import VIETNAM
from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import AccessOutput, AccessRequest, utcnow
from archive_repo.config import Settings
from archive_repo.hashing import hash_file
from archive_repo.ingest.catalog_access import writer_sessions
from archive_repo.storage.base import Store

STAGING_SUFFIX = ".partial"  # see staging_name: what doctor removes once its process is gone
CERTIFICATE_LANGUAGE = "vi"  # the certificate is an official record of a Vietnamese archive
_SUFFIX = {"reading": "ban-doc", "copy": "ban-sao", "certified": "ban-sao-chung-thuc"}
_END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class _Item:
    """One document asked for, as the catalog described it at the claim."""

    package_id: int
    objid: str
    arc_file_code: str
    dossier_fields: dict[str, str]
    document_id: int
    name: str  # docCode, else docId: names the output files
    kind: str
    fields: dict[str, str]
    files: tuple[SourceFile, ...]


@dataclass(frozen=True)
class _Plan:
    code: str
    kind: str
    reading_days: int | None
    dip_request: dict[str, Any]  # DipRequest fields known at the claim
    items: tuple[_Item, ...]


@dataclass(frozen=True)
class _Made:
    """An output in place in the access area, not yet in the catalog."""

    kind: str
    path: Path
    mimetype: str
    document_id: int | None
    source_files: dict[int, int | None]  # package id -> the file it was made from
    dip_objid: str | None = None
    size: int = 0
    sha256: str = ""


def issue_request(settings: Settings, code: str, stores: Sequence[Store], actor: str) -> str:
    """Make and record every output of the approved request ``code``; returns its status afterwards
    (``issued``, or ``refused`` / ``pending`` when the regime of its records changed since the decision).
    Raises AccessError, with nothing issued, when it cannot be done."""
    signer = None
    now = utcnow()
    host, pid = socket.gethostname(), os.getpid()
    writers = writer_sessions(settings.catalog_url)
    with transaction(writers) as session:
        request = load_request(session, code, for_update=True)
        if request.status != "approved":
            raise AccessError("access.not_approved", code=request.code, status=request.status)
        if request.copy_kind in ("certified", "dip"):
            signer = archive_signer(settings)
        if not recheck_before_issue(session, settings, request):
            return request.status
        plan = _plan(request, settings, now)
        known = {output.path for output in request.outputs}
        request.status, request.issuing_host, request.issuing_pid = "issuing", host, pid
    made: list[_Made] = []
    recorded = False
    try:
        made = _make(settings, plan, stores, signer, known)
        with transaction(writers) as session:
            request = load_request(session, code, for_update=True)
            if (request.status, request.issuing_host, request.issuing_pid) != ("issuing", host, pid):
                raise AccessError("access.claim_lost", code=request.code, status=request.status)
            _release(request, "issued")
            if not recheck_before_issue(session, settings, request):
                _remove(made, settings.access_dir / code)
            else:
                for item in made:
                    _record(session, settings, request, item, now, actor)
            status = request.status
        recorded = True
        return status
    except BaseException:
        if not recorded:
            _remove(made, settings.access_dir / code)
            with transaction(writers) as session:
                request = load_request(session, code, for_update=True)
                if (request.status, request.issuing_host, request.issuing_pid) == ("issuing", host, pid):
                    _release(request, "approved")
        raise


def _release(request: AccessRequest, status: str) -> None:
    request.status, request.issuing_host, request.issuing_pid = status, None, None


def archive_signer(settings: Settings) -> ArchiveSigner:
    access = settings.access
    if access.signing_pkcs12 is None:
        raise AccessError("access.no_signing_key")
    passphrase = os.environ.get(access.signing_passphrase_env)
    return load_archive_signer(
        access.signing_pkcs12,
        passphrase.encode() if passphrase is not None else None,
        name=settings.archive_name or settings.archive_code,
        timestamp_url=access.timestamp_url,
    )


def periods(
    settings: Settings, kind: str, reading_days: int | None, start: datetime
) -> tuple[datetime, datetime]:
    """(available until, delete after) of an output of ``kind`` made at ``start``: the end of the
    period's last day in Viet Nam, then the grace of a reading copy."""
    if kind == "reading":
        until = _end_of_day(start, reading_days or settings.access.reading_days)
        return until, until + timedelta(days=READING_GRACE_DAYS)
    until = _end_of_day(start, settings.access.download_days)
    return until, until


def _end_of_day(start: datetime, days: int) -> datetime:
    last_day = start.astimezone(VIETNAM).date() + timedelta(days=days)
    return datetime.combine(last_day, _END_OF_DAY, VIETNAM).astimezone(UTC)


def _plan(request: AccessRequest, settings: Settings, now: datetime) -> _Plan:
    items = []
    for item in request.items:
        document, package = item.document, item.package
        files = tuple(SourceFile.of(file) for file in data_files(document))
        if not files:
            raise AccessError("access.no_data_file", item=document.code or item.asked_as)
        dossier = {
            name: value
            for name, value in (("maintenance", package.maintenance), ("mode", package.mode))
            if value
        }
        items.append(
            _Item(
                package_id=package.id,
                objid=package.objid,
                arc_file_code=package.arc_file_code or "",
                dossier_fields=dossier,
                document_id=document.id,
                name=document.code or document.doc_id or str(document.id),
                kind=document.kind,
                fields={name: str(value) for name, value in document.fields.items() if value is not None},
                files=files,
            )
        )
    until, _ = periods(settings, request.copy_kind, request.reading_days, now)
    dip_request = {
        "request_id": request.code,
        "request_date": request.created_at.astimezone(VIETNAM).date(),
        "purpose": request.purpose,
        "purpose_content": request.purpose_content,
        "fee_object_type": request.fee_object_type,
        "research_topic": request.research_topic,
        "description": request.description,
        "recipient_name": request.requester_name,
        "recipient_id": request.identity_number,
        "recipient_id_kind": request.identity_kind,
        "issued_on": now.astimezone(VIETNAM).date(),
        "valid_until": until.astimezone(VIETNAM).date(),
        "copies": request.copies,
    }
    return _Plan(request.code, request.copy_kind, request.reading_days, dip_request, tuple(items))


def _make(
    settings: Settings, plan: _Plan, stores: Sequence[Store], signer: ArchiveSigner | None, known: set[str]
) -> list[_Made]:
    staging = settings.access_dir / staging_name(plan.code, socket.gethostname(), os.getpid())
    final = settings.access_dir / plan.code
    _remove_unrecorded(settings, final, known)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        (staging / "originals").mkdir()
        if plan.kind == "dip":
            made = [_make_dip(settings, plan, stores, staging, signer)]
        else:
            made = _make_copies(settings, plan, stores, staging, signer)
        final.mkdir(parents=True, exist_ok=True)
        placed: list[_Made] = []
        try:
            for item in made:
                placed.append(_move(item, final))
        except BaseException:
            _remove(placed, final)
            raise
        return placed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _make_copies(
    settings: Settings, plan: _Plan, stores: Sequence[Store], staging: Path, signer: ArchiveSigner | None
) -> list[_Made]:
    made = []
    for item in plan.items:
        for index, source in enumerate(item.files, start=1):
            original = staging / "originals" / f"{source.file_id}{Path(source.path).suffix}"
            fetch_verified(source, stores, original)
            rendered = render_copy(
                plan.kind,
                original,
                source.mimetype,
                staging,
                _base_name(item.name, index, plan.kind),
                archive_name=settings.archive_name or settings.archive_code,
                signer=signer,
            )
            sources = {item.package_id: source.file_id}
            made.append(_Made(plan.kind, rendered.path, rendered.mimetype, item.document_id, sources))
    return made


def _make_dip(
    settings: Settings, plan: _Plan, stores: Sequence[Store], staging: Path, signer: ArchiveSigner | None
) -> _Made:
    if signer is None:
        raise AccessError("access.no_signing_key")
    documents = []
    for item in plan.items:
        files = []
        for source in item.files:
            local = staging / "originals" / str(source.file_id) / Path(source.path).name
            local.parent.mkdir()
            fetch_verified(source, stores, local)
            files.append(
                DipFile(
                    local,
                    source.path,
                    source.size,
                    source.sha256,
                    source.mimetype,
                    source.puid,
                    source.format_name,
                )
            )
        documents.append(
            DipDocument(
                source_objid=item.objid,
                arc_file_code=item.arc_file_code,
                kind=item.kind,
                fields=item.fields,
                dossier_fields=item.dossier_fields,
                files=tuple(files),
            )
        )
    built = build_dip(
        DipRequest(**plan.dip_request),
        documents,
        staging / "dip",
        archive_code=settings.archive_code,
        archive_name=settings.archive_name or settings.archive_code,
        signer=signer,
        lang=CERTIFICATE_LANGUAGE,
    )
    sources: dict[int, int | None] = {item.package_id: None for item in plan.items}
    return _Made("dip", built.zip_path, "application/zip", None, sources, dip_objid=built.objid)


def _base_name(name: str, index: int, kind: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in name)
    numbered = safe if index == 1 else f"{safe}-{index}"
    return f"{numbered}-{_SUFFIX[kind]}"


def _move(item: _Made, final: Path) -> _Made:
    """Into place, hashed there (before the record step, which should hold its lock briefly)."""
    target = final / item.path.name
    if target.exists():
        raise AccessError("access.output_exists", path=str(target))
    os.replace(item.path, target)
    try:
        size, digests = hash_file(target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return replace(item, path=target, size=size, sha256=digests["sha256"])


def staging_name(code: str, host: str, pid: int) -> str:
    """``.<code>.<pid>@<host>.partial``: whose staging folder it is, for doctor."""
    return f".{code}.{pid}@{host}{STAGING_SUFFIX}"


def parse_staging_name(name: str) -> tuple[str, int, str] | None:
    """(code, pid, host) of a staging folder's name, or None."""
    if not (name.startswith(".") and name.endswith(STAGING_SUFFIX)):
        return None
    code, _, owner = name[1 : -len(STAGING_SUFFIX)].rpartition(".")
    pid_text, _, host = owner.partition("@")
    return (code, int(pid_text), host) if code and pid_text.isdigit() and host else None


def _remove_unrecorded(settings: Settings, final: Path, known: set[str]) -> None:
    """Files of an earlier issue of this request that died between making and recording them."""
    if final.is_dir():
        for path in final.iterdir():
            if path.relative_to(settings.access_dir).as_posix() not in known:
                path.unlink(missing_ok=True)


def _remove(made: Sequence[_Made], final: Path) -> None:
    for item in made:
        item.path.unlink(missing_ok=True)
    if final.is_dir() and not any(final.iterdir()):
        final.rmdir()


def _record(
    session: Session, settings: Settings, request: AccessRequest, item: _Made, now: datetime, actor: str
) -> AccessOutput:
    until, delete_after = periods(settings, item.kind, request.reading_days, now)
    output = AccessOutput(
        document_id=item.document_id,
        file_id=next(iter(item.source_files.values())) if item.document_id is not None else None,
        kind=item.kind,
        path=item.path.relative_to(settings.access_dir).as_posix(),
        size=item.size,
        sha256=item.sha256,
        mimetype=item.mimetype,
        dip_objid=item.dip_objid,
        created_at=now,
        available_until=until,
        delete_after=delete_after,
        status="available",
    )
    request.outputs.append(output)
    session.flush()
    record_event(session, request, "issued", actor, output.path, output=output, file_ids=item.source_files)
    return output
