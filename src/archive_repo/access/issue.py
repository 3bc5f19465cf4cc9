"""Issuing what an approved request asked for, and delivering it.

The originals are read from storage and checked against the catalog (``fetch``), turned into the kind of
output asked for (``copies`` for reading copies, copies and certified copies; ``dip`` for a certified
DIP), and kept in the access area ``<access_dir>/<request code>/`` until their period ends:

- reading copy: readable for the reading period (at most 15 days), deleted 5 days after it ends;
- copy, certified copy, DIP: downloadable for ``[access] download_days`` (15 by default), then deleted.

Everything is made in a staging folder first and moved into place only when every output is ready, so a
failure leaves nothing half-issued; the catalog rows and events are committed by the caller.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from archive_repo.access.copies import render_copy
from archive_repo.access.dip import DipDocument, DipFile, DipRequest, build_dip
from archive_repo.access.errors import AccessError
from archive_repo.access.events import record_event
from archive_repo.access.fetch import fetch_verified
from archive_repo.access.requests import refuse_if_secret_now
from archive_repo.access.rules import READING_GRACE_DAYS
from archive_repo.access.signing import ArchiveSigner, load_archive_signer
from archive_repo.catalog.browse import VIETNAM
from archive_repo.catalog.models import AccessItem, AccessOutput, AccessRequest, File, utcnow
from archive_repo.config import Settings
from archive_repo.hashing import hash_file
from archive_repo.storage.base import Store

STAGING_SUFFIX = ".partial"  # .<request code>.<pid>.partial: what doctor removes once the process is gone
_SUFFIX = {"reading": "ban-doc", "copy": "ban-sao", "certified": "ban-sao-chung-thuc"}


@dataclass(frozen=True)
class _Made:
    """An output made in the staging folder, not yet in the catalog."""

    kind: str
    path: Path
    mimetype: str
    document_id: int | None
    source_files: dict[int, int | None]  # package id -> the file it was made from
    dip_objid: str | None = None


def issue_request(
    session: Session,
    settings: Settings,
    request: AccessRequest,
    stores: Sequence[Store],
    actor: str,
    lang: str,
) -> list[AccessOutput]:
    """Make every output of the approved ``request``; raises AccessError (nothing issued) otherwise."""
    if request.status != "approved":
        raise AccessError("access.not_approved", code=request.code, status=request.status)
    if refuse_if_secret_now(session, request):
        return []
    signer = archive_signer(settings) if request.copy_kind in ("certified", "dip") else None
    final = settings.access_dir / request.code
    staging = settings.access_dir / f".{request.code}.{os.getpid()}{STAGING_SUFFIX}"
    staging.mkdir(parents=True)
    try:
        made = _make_outputs(settings, request, stores, staging, signer, lang)
        final.mkdir(parents=True, exist_ok=True)
        moved = [_move(item, staging, final) for item in made]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    now = utcnow()
    outputs = [_output_row(session, settings, request, item, now, actor) for item in moved]
    request.status = "issued"
    return outputs


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
    """(available until, delete after) of an output of ``kind`` made at ``start``."""
    if kind == "reading":
        until = start + timedelta(days=reading_days or settings.access.reading_days)
        return until, until + timedelta(days=READING_GRACE_DAYS)
    until = start + timedelta(days=settings.access.download_days)
    return until, until


def _make_outputs(
    settings: Settings,
    request: AccessRequest,
    stores: Sequence[Store],
    staging: Path,
    signer: ArchiveSigner | None,
    lang: str,
) -> list[_Made]:
    originals = staging / "originals"
    originals.mkdir()
    if request.copy_kind == "dip":
        return [_make_dip(settings, request, stores, originals, staging, signer, lang)]
    made = []
    for item in request.items:
        for index, file in enumerate(_data_files(item), start=1):
            source = originals / f"{file.id}{Path(file.path).suffix}"
            fetch_verified(file, stores, source)
            base = _base_name(item, index, request.copy_kind)
            rendered = render_copy(
                request.copy_kind,
                source,
                file.mimetype,
                staging,
                base,
                archive_name=settings.archive_name or settings.archive_code,
                signer=signer,
            )
            made.append(
                _Made(
                    request.copy_kind,
                    rendered.path,
                    rendered.mimetype,
                    item.document_id,
                    {item.package_id: file.id},
                )
            )
    return made


def _make_dip(
    settings: Settings,
    request: AccessRequest,
    stores: Sequence[Store],
    originals: Path,
    staging: Path,
    signer: ArchiveSigner | None,
    lang: str,
) -> _Made:
    assert signer is not None
    documents = []
    for item in request.items:
        files = []
        for file in _data_files(item):
            local = originals / str(file.id) / Path(file.path).name
            local.parent.mkdir()
            fetch_verified(file, stores, local)
            files.append(
                DipFile(
                    local,
                    file.path,
                    file.size,
                    file.sha256.lower(),
                    file.mimetype,
                    file.puid,
                    file.format_name,
                )
            )
        package = item.package
        documents.append(
            DipDocument(
                source_objid=package.objid,
                arc_file_code=package.arc_file_code or "",
                kind=item.document.kind,
                fields={k: str(v) for k, v in item.document.fields.items() if v is not None},
                dossier_fields={
                    k: v for k, v in (("maintenance", package.maintenance), ("mode", package.mode)) if v
                },
                files=tuple(files),
            )
        )
    now = utcnow()
    until, _ = periods(settings, "dip", None, now)
    dip_request = DipRequest(
        request_id=request.code,
        request_date=request.created_at.astimezone(VIETNAM).date(),
        purpose=request.purpose,
        purpose_content=request.purpose_content,
        fee_object_type=request.fee_object_type,
        research_topic=request.research_topic,
        description=request.description,
        recipient_name=request.requester_name,
        recipient_id=request.identity_number,
        issued_on=now.astimezone(VIETNAM).date(),
        valid_until=until.astimezone(VIETNAM).date(),
        copies=request.copies,
    )
    built = build_dip(
        dip_request,
        documents,
        staging / "dip",
        archive_code=settings.archive_code,
        archive_name=settings.archive_name or settings.archive_code,
        signer=signer,
        lang=lang,
    )
    sources = {item.package_id: None for item in request.items}
    return _Made("dip", built.zip_path, "application/zip", None, sources, dip_objid=built.objid)


def _data_files(item: AccessItem) -> list[File]:
    files = sorted((f for f in item.document.files if f.role == "data"), key=lambda f: f.path)
    if not files:
        raise AccessError("access.no_data_file", item=item.document.code or item.asked_as)
    return files


def _base_name(item: AccessItem, index: int, kind: str) -> str:
    code = item.document.code or item.document.doc_id or str(item.document_id)
    safe = "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in code)
    numbered = safe if index == 1 else f"{safe}-{index}"
    return f"{numbered}-{_SUFFIX[kind]}"


def _move(item: _Made, staging: Path, final: Path) -> _Made:
    target = final / item.path.name
    if target.exists():
        raise AccessError("access.output_exists", path=str(target))
    os.replace(item.path, target)
    return _Made(item.kind, target, item.mimetype, item.document_id, item.source_files, item.dip_objid)


def _output_row(
    session: Session, settings: Settings, request: AccessRequest, item: _Made, now: datetime, actor: str
) -> AccessOutput:
    size, digests = hash_file(item.path)
    until, delete_after = periods(settings, item.kind, request.reading_days, now)
    output = AccessOutput(
        request=request,
        document_id=item.document_id,
        kind=item.kind,
        path=item.path.relative_to(settings.access_dir).as_posix(),
        size=size,
        sha256=digests["sha256"],
        mimetype=item.mimetype,
        dip_objid=item.dip_objid,
        created_at=now,
        available_until=until,
        delete_after=delete_after,
        status="available",
    )
    session.add(output)
    session.flush()
    record_event(session, request, "issued", actor, output.path, output=output, file_ids=item.source_files)
    return output
