"""What happens to an issued output afterwards: a researcher receives a downloadable one (a copy written
to the folder staff give, e.g. a USB stick or an outgoing mail folder, or a time-limited download link
from the ``[access.downloads]`` bucket), views a reading copy in the reading room, and every output is
deleted when its period is over, in the access area and in that bucket. Each step is an audit event."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_repo.access.errors import AccessError, RecordedRefusal
from archive_repo.access.events import record_event
from archive_repo.access.items import current_mode
from archive_repo.access.rules import is_secret
from archive_repo.catalog.models import AccessOutput, utcnow
from archive_repo.config import Settings
from archive_repo.durable import fsync_dir
from archive_repo.storage.base import StorageError, Store

LINK_NAME = "downloads"
MAX_LINK_SECONDS = 7 * 24 * 3600  # the longest an S3 (SigV4) presigned link may live


def load_output(session: Session, output_id: int) -> AccessOutput:
    output = session.get(AccessOutput, output_id)
    if output is None:
        raise AccessError("access.output_not_found", output=output_id)
    return output


def output_path(settings: Settings, output: AccessOutput) -> Path:
    return settings.access_dir / output.path


def _usable(session: Session, settings: Settings, output: AccessOutput, actor: str) -> Path:
    """The output's file, if it may still be handed out: within its period, and none of its records made
    secret since it was issued (such an output is withdrawn on the spot: RecordedRefusal)."""
    if output.status != "available" or utcnow() > output.available_until:
        raise AccessError("access.output_expired", output=output.id, path=output.path)
    if _now_secret(output):
        _withdraw(session, settings, output, actor)
        raise RecordedRefusal("access.withdrawn", output=output.id)
    path = output_path(settings, output)
    if not path.is_file():
        raise AccessError("access.output_missing", output=output.id, path=str(path))
    return path


def _withdraw(session: Session, settings: Settings, output: AccessOutput, actor: str) -> str | None:
    """Delete an output whose records became secret; returns why its download copy could not be deleted
    (the output then stays listed as available, so that ``access expire`` tries again), or None."""
    problem = _delete_files(settings, output)
    if problem is None:
        output.status = "deleted"
        output.deleted_at = utcnow()
    detail = "record now secret (mode 03)" + (
        f"; download copy not deleted yet: {problem}" if problem else ""
    )
    record_event(
        session, output.request, "withdrawn", actor, detail, output=output, file_ids=_sources(output)
    )
    return problem


def _now_secret(output: AccessOutput) -> bool:
    documents = (
        [output.document] if output.document is not None else [i.document for i in output.request.items]
    )
    return any(is_secret(current_mode(document)) for document in documents)


def _delete_files(settings: Settings, output: AccessOutput) -> str | None:
    """Delete the output's file and its download copy; returns why the download copy could not be
    deleted (the local file is deleted in any case), or None."""
    store = downloads_store(settings)
    problem = None
    if store is not None and output.kind != "reading":
        try:
            store.delete(output.path)
        except StorageError as exc:
            problem = exc.message("en")
    path = output_path(settings, output)
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: other outputs of the request are still there
        path.parent.rmdir()
    return problem


def _sources(output: AccessOutput) -> dict[int, int | None] | None:
    """The package and file the PREMIS events of an output are about: the original it was made from;
    for a DIP (None) every package of the request."""
    if output.document is None:
        return None
    return {output.document.package_id: output.file_id}


def deliver(session: Session, settings: Settings, output_id: int, folder: Path, actor: str) -> Path:
    """Copy a downloadable output into ``folder`` (written whole or not at all)."""
    output = load_output(session, output_id)
    if output.kind == "reading":
        raise AccessError("access.reading_not_downloadable", output=output.id)
    source = _usable(session, settings, output, actor)
    if not folder.is_dir():
        raise AccessError("access.no_folder", path=str(folder))
    target = folder / source.name
    if target.exists():
        raise AccessError("access.output_exists", path=str(target))
    partial = target.with_name(target.name + ".partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise AccessError("access.deliver_failed", path=str(target), detail=str(exc)) from None
    fsync_dir(folder)
    record_event(
        session, output.request, "delivered", actor, str(target), output=output, file_ids=_sources(output)
    )
    return target


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


def download_link(
    session: Session, settings: Settings, output_id: int, actor: str, hours: float | None = None
) -> DownloadLink:
    """A presigned link to a downloadable output in the downloads bucket (uploaded on first use), valid
    for ``hours`` (default: until the output's period ends), never past that end nor past 7 days."""
    output = load_output(session, output_id)
    if output.kind == "reading":
        raise AccessError("access.reading_not_downloadable", output=output.id)
    source = _usable(session, settings, output, actor)
    store = downloads_store(settings)
    if store is None:
        raise AccessError("access.no_downloads")
    now = utcnow()
    seconds = (output.available_until - now).total_seconds()
    if hours is not None:
        seconds = min(seconds, hours * 3600)
    seconds = int(min(seconds, MAX_LINK_SECONDS))
    if seconds < 1:
        raise AccessError("access.output_expired", output=output.id, path=output.path)
    try:
        if store.stat(output.path) != output.size:
            store.put_file(output.path, source, size=output.size, sha256=output.sha256)
        url = store.presigned_url(output.path, seconds, download_name=source.name)
    except StorageError as exc:
        raise AccessError("access.link_failed", output=output.id, detail=exc.message("en")) from None
    if url is None:
        raise AccessError("access.no_downloads")
    expires_at = now + timedelta(seconds=seconds)
    detail = f"{output.path} until {expires_at.isoformat()}"
    record_event(session, output.request, "linked", actor, detail, output=output, file_ids=_sources(output))
    return DownloadLink(url, expires_at)


def downloads_store(settings: Settings) -> Store | None:
    if settings.access.downloads is None:
        return None
    from archive_repo.storage.s3 import S3Store

    return S3Store(LINK_NAME, settings.access.downloads)


def download(session: Session, settings: Settings, output_id: int, actor: str) -> Path:
    """The file of a downloadable output, for a server to send (recorded as delivered)."""
    output = load_output(session, output_id)
    if output.kind == "reading":
        raise AccessError("access.reading_not_downloadable", output=output.id)
    path = _usable(session, settings, output, actor)
    record_event(
        session, output.request, "delivered", actor, "download", output=output, file_ids=_sources(output)
    )
    return path


def readable(session: Session, settings: Settings, output_id: int, actor: str, *, record: bool) -> Path:
    """A reading copy that may still be shown (re-checked every time: a viewer asks for each page);
    recorded as viewed when ``record`` (once per opening, not per page)."""
    output = load_output(session, output_id)
    if output.kind != "reading":
        raise AccessError("access.view_reading_only", output=output.id)
    path = _usable(session, settings, output, actor)
    if record:
        record_event(
            session, output.request, "viewed", actor, output.path, output=output, file_ids=_sources(output)
        )
    return path


def view(session: Session, settings: Settings, output_id: int, actor: str) -> Path:
    """The reading copy to open on the reading-room workstation (recorded as viewed)."""
    return readable(session, settings, output_id, actor, record=True)


@dataclass(frozen=True)
class Expired:
    output_id: int
    request_code: str
    path: str
    problem: str | None = None  # why it could not be deleted yet


def expire_outputs(
    session: Session, settings: Settings, actor: str, now: datetime | None = None
) -> tuple[list[Expired], list[Expired]]:
    """Delete every output whose period (plus grace, for reading copies) is over, and withdraw every
    one whose records became secret: (deleted, those whose download copy could not be deleted, left
    for the next run)."""
    moment = now or utcnow()
    available = session.scalars(
        select(AccessOutput).where(AccessOutput.status == "available").order_by(AccessOutput.id)
    ).all()
    expired: list[Expired] = []
    failed: list[Expired] = []
    for output in available:
        if _now_secret(output):
            problem = _withdraw(session, settings, output, actor)
        elif output.delete_after <= moment:
            problem = _delete_files(settings, output)
            if problem is None:
                output.status = "deleted"
                output.deleted_at = moment
                record_event(
                    session,
                    output.request,
                    "expired",
                    actor,
                    output.path,
                    output=output,
                    file_ids=_sources(output),
                )
        else:
            continue
        if problem is not None:  # left as it is: the next run tries again
            failed.append(Expired(output.id, output.request.code, output.path, problem))
        else:
            expired.append(Expired(output.id, output.request.code, output.path))
    return expired, failed
