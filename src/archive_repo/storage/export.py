"""Export one AIP from storage as a TT05 ZIP, verifying every file against the catalog while it is written.

The ZIP holds a single top folder named as the AIP folder (the OBJID with ``:`` → ``_``), entries in path
order, ZIP64 when needed; formats that are already compressed (PDF, JPEG, PNG, MP4, ZIP, Office Open
XML, …) are stored, everything else (XML, text, schemas) is deflated.

Each file is read from the first configured location whose copy the catalog marks ``ok``; its size is
checked before reading (a missing or truncated object is passed over at no cost) and its size and SHA-256
while it streams into the ZIP. When they differ from the catalog, the entry is cut off the ZIP again and
the next location's copy is tried. If no location holds a good copy the export stops: nothing is left
behind, since the ZIP is written to ``<output>.partial`` and renamed to ``<output>`` only when complete.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from archive_repo.durable import fsync_dir
from archive_repo.errors import ArchiveRepoError
from archive_repo.hashing import CHUNK, hash_file
from archive_repo.i18n import translate
from archive_repo.storage.base import StorageError, Store

PARTIAL_SUFFIX = ".partial"
# Already compressed: deflating them again costs time and gains nothing.
STORED_EXTENSIONS = frozenset(
    {
        *("pdf", "jpg", "jpeg", "jpe", "jp2", "png", "gif", "webp"),
        *("mp4", "m4v", "m4a", "mpg", "mpeg", "avi", "wmv", "mov", "mkv", "webm"),
        *("mp3", "wma", "aac", "ogg", "oga", "ogv", "flac"),
        *("zip", "gz", "tgz", "bz2", "xz", "7z", "rar"),
        *("docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"),
    }
)
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ExportError(ArchiveRepoError):
    """The AIP could not be exported; nothing was written at the output path."""

    def __init__(self, message_key: str, problems: Sequence[Problem] = (), **params: Any) -> None:
        super().__init__(message_key, **params)
        self.problems = list(problems)

    def message(self, lang: str) -> str:
        tried = "; ".join(problem.render(lang) for problem in self.problems) or "-"
        return translate(self.message_key, lang, tried=tried, **self.params)


@dataclass(frozen=True)
class CopyRef:
    location: str
    key: str
    status: str


@dataclass(frozen=True)
class ExportFile:
    path: str
    size: int
    sha256: str
    copies: tuple[CopyRef, ...]


@dataclass(frozen=True)
class ExportPlan:
    objid: str
    folder: str
    files: tuple[ExportFile, ...]
    created: datetime | None = None  # entry timestamps (local time of the caller's choosing)


@dataclass(frozen=True)
class Problem:
    """A copy passed over: ``key`` is a message key (``aip.copy_*``) rendered with ``params``."""

    path: str
    location: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        params = {
            name: value.message(lang) if isinstance(value, ArchiveRepoError) else value
            for name, value in self.params.items()
        }
        return f"{self.location}: " + translate(self.key, lang, **params)


@dataclass
class ExportResult:
    output: Path
    files: int
    size: int  # bytes of content
    zip_size: int
    sha256: str  # of the ZIP
    used: dict[str, int]  # files read from each location
    passed_over: list[Problem]  # copies that were missing or damaged (a good copy elsewhere was used)


def compression_for(path: str) -> int:
    extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return zipfile.ZIP_STORED if extension in STORED_EXTENSIONS else zipfile.ZIP_DEFLATED


def target_path(output: Path, folder: str) -> Path:
    """``output``, or ``<output>/<folder>.zip`` when ``output`` is an existing folder."""
    return output / f"{folder}.zip" if output.is_dir() else output


def export_aip(
    plan: ExportPlan, stores: Mapping[str, Store], output: Path, *, force: bool = False
) -> ExportResult:
    """Write the AIP ``plan`` describes to ``output`` (see the module's description); ``stores``: the
    configured locations by name, in the order they are tried."""
    output = target_path(output, plan.folder)
    if output.is_dir():
        raise ExportError("aip.export_is_folder", path=str(output))
    if output.exists() and not force:
        raise ExportError("aip.export_exists", path=str(output))
    if not output.parent.is_dir():
        raise ExportError("aip.export_no_folder", path=str(output.parent))
    partial = output.with_name(output.name + PARTIAL_SUFFIX)
    date_time = _zip_time(plan.created)
    used: dict[str, int] = {}
    passed_over: list[Problem] = []
    try:
        with open(partial, "wb") as raw:
            with zipfile.ZipFile(raw, "w", allowZip64=True) as archive:
                for file in sorted(plan.files, key=lambda f: f.path):
                    location = _write_file(archive, raw, plan.folder, file, stores, date_time, passed_over)
                    used[location] = used.get(location, 0) + 1
            raw.flush()
            os.fsync(raw.fileno())
        # Read back once: zipfile seeks back to patch entry headers, so the bytes cannot be hashed as written.
        zip_size, digests = hash_file(partial)
        digest = digests["sha256"]
        if output.exists() and not force:  # appeared while we were writing
            raise ExportError("aip.export_exists", path=str(output))
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExportError("aip.export_io", path=str(output), detail=str(exc)) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    fsync_dir(output.parent)
    return ExportResult(
        output=output,
        files=len(plan.files),
        size=sum(f.size for f in plan.files),
        zip_size=zip_size,
        sha256=digest,
        used=used,
        passed_over=passed_over,
    )


def _write_file(
    archive: zipfile.ZipFile,
    raw: BinaryIO,
    folder: str,
    file: ExportFile,
    stores: Mapping[str, Store],
    date_time: tuple[int, int, int, int, int, int],
    passed_over: list[Problem],
) -> str:
    """Write ``file`` from the first good copy; returns the location it came from."""
    problems: list[Problem] = []
    by_location = {copy.location: copy for copy in file.copies}
    for name, store in stores.items():
        copy = by_location.get(name)
        if copy is None:
            problems.append(Problem(file.path, name, "aip.copy_none"))
            continue
        if copy.status != "ok":
            problems.append(Problem(file.path, name, "aip.copy_status", {"status": copy.status}))
            continue
        problem = _try_copy(archive, raw, folder, file, store, copy, date_time)
        if problem is None:
            passed_over.extend(p for p in problems if p.key not in ("aip.copy_none", "aip.copy_status"))
            return name
        problems.append(problem)
    for copy in file.copies:
        if copy.location not in stores:
            problems.append(Problem(file.path, copy.location, "aip.copy_not_configured"))
    raise ExportError("aip.export_no_good_copy", problems, path=file.path)


def _try_copy(
    archive: zipfile.ZipFile,
    raw: BinaryIO,
    folder: str,
    file: ExportFile,
    store: Store,
    copy: CopyRef,
    date_time: tuple[int, int, int, int, int, int],
) -> Problem | None:
    """Stream one copy into the ZIP while hashing it; on any difference, cut the entry off again."""
    try:
        size = store.stat(copy.key)
    except StorageError as exc:
        return Problem(file.path, copy.location, "aip.copy_unreadable", {"detail": exc})
    if size is None:
        return Problem(file.path, copy.location, "aip.copy_missing")
    if size != file.size:
        return Problem(file.path, copy.location, "aip.copy_size", {"found": size, "expected": file.size})
    info = zipfile.ZipInfo(f"{folder}/{file.path}", date_time)
    info.compress_type = compression_for(file.path)
    info.file_size = file.size  # lets zipfile choose ZIP64 for the entry up front
    info.external_attr = 0o100644 << 16
    try:
        reader = store.open(copy.key)
    except StorageError as exc:
        return Problem(file.path, copy.location, "aip.copy_unreadable", {"detail": exc})
    hasher = hashlib.sha256()
    read = 0
    problem: Problem | None = None
    # Once open, the entry exists in the ZIP: if the copy turns out bad, it is cut off below. Errors
    # writing the ZIP itself are not the copy's fault: they propagate and end the export.
    with reader, archive.open(info, "w") as writer:
        while True:
            try:
                chunk = reader.read(CHUNK)
            except OSError as exc:
                problem = Problem(file.path, copy.location, "aip.copy_unreadable", {"detail": str(exc)})
                break
            if not chunk:
                break
            read += len(chunk)
            if read > file.size:
                break
            hasher.update(chunk)
            writer.write(chunk)
    if problem is None and read != file.size:
        problem = Problem(file.path, copy.location, "aip.copy_size", {"found": read, "expected": file.size})
    if problem is None and hasher.hexdigest() != file.sha256.lower():
        problem = Problem(
            file.path,
            copy.location,
            "aip.copy_digest",
            {"found": hasher.hexdigest(), "expected": file.sha256.lower()},
        )
    if problem is not None:
        _cut_last_entry(archive, raw, info)
    return problem


def _cut_last_entry(archive: zipfile.ZipFile, raw: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Remove the entry just written (it is the last one): truncate the file at its local header and
    forget it, so the central directory written at close does not list it."""
    if archive.filelist and archive.filelist[-1] is info:
        archive.filelist.pop()
        archive.NameToInfo.pop(info.filename, None)
    raw.seek(info.header_offset)
    raw.truncate()
    # Where zipfile writes the next entry and, at close, the central directory.
    archive.start_dir = info.header_offset


def _zip_time(created: datetime | None) -> tuple[int, int, int, int, int, int]:
    if created is None:
        return _ZIP_EPOCH
    stamp = (created.year, created.month, created.day, created.hour, created.minute, created.second)
    return max(stamp, _ZIP_EPOCH)
