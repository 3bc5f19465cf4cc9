"""Unpack a ZIP submission into quarantine, refusing everything that could harm the machine.

Refused: absolute names, '..' traversal, symlinks, device files and FIFOs, duplicate names, more entries
or bytes than the limits allow, and entries whose compression ratio betrays a bomb. Sizes are enforced
on the bytes actually written, not on what the ZIP header claims.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from pathlib import Path

from archive_repo.findings import Findings
from archive_repo.packages.limits import UnpackLimits
from archive_repo.packages.names import collision_key, normalised_parts, unsafe_reason

_CHUNK = 1024 * 1024


class UnpackAborted(Exception):
    """Raised when a limit makes continuing pointless; the findings say why."""


def _decoded_name(info: zipfile.ZipInfo) -> tuple[str, bool]:
    """The entry's name, and whether it had to be guessed (not flagged UTF-8, not decodable as UTF-8)."""
    if info.flag_bits & 0x800:
        return info.filename, False
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return info.filename, True


def _entry_kind(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode:  # Unix attributes are meaningful
        if stat.S_ISLNK(mode):
            return "symlink"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            return "device"
    return "dir" if info.is_dir() else "file"


def unpack_zip(archive: Path, target: Path, limits: UnpackLimits, findings: Findings) -> None:
    """Extract ``archive`` below ``target``; hostile entries become findings and are not written."""
    label = archive.name
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        findings.error("reader.zip-corrupt", label, "reader.zip_corrupt", detail=str(exc))
        raise UnpackAborted from None
    with handle:
        infos = handle.infolist()
        if len(infos) > limits.max_entries:
            findings.error(
                "reader.zip-too-many-entries",
                label,
                "reader.zip_too_many_entries",
                count=len(infos),
                limit=limits.max_entries,
            )
            raise UnpackAborted
        declared_total = sum(i.file_size for i in infos)
        if declared_total > limits.max_total_bytes:
            findings.error(
                "reader.zip-too-large",
                label,
                "reader.zip_too_large",
                size=declared_total,
                limit=limits.max_total_bytes,
            )
            raise UnpackAborted
        seen: dict[str, str] = {}
        written_total = 0
        for info in infos:
            name, guessed = _decoded_name(info)
            if guessed:
                findings.warning("reader.zip-name-encoding", label, "reader.zip_name_encoding", name=name)
            reason = unsafe_reason(name, limits.max_path_length, limits.max_depth)
            if reason:
                findings.error("reader.zip-unsafe-name", label, f"reader.zip_unsafe_{reason}", name=name)
                continue
            kind = _entry_kind(info)
            if kind in ("symlink", "device"):
                findings.error(f"reader.zip-{kind}", label, f"reader.zip_{kind}", name=name)
                continue
            relative = normalised_parts(name)
            if str(relative) == ".":
                continue
            key = collision_key(str(relative))
            if key in seen:
                findings.error(
                    "reader.zip-duplicate-name",
                    label,
                    "reader.zip_duplicate_name",
                    name=name,
                    other=seen[key],
                )
                continue
            seen[key] = name
            destination = target.joinpath(*relative.parts)
            if kind == "dir":
                destination.mkdir(parents=True, exist_ok=True)
                continue
            if (
                info.file_size > limits.ratio_applies_above_bytes
                and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
            ):
                findings.error(
                    "reader.zip-bomb",
                    label,
                    "reader.zip_bomb",
                    name=name,
                    ratio=round(info.file_size / max(info.compress_size, 1)),
                )
                raise UnpackAborted
            if info.file_size > limits.max_entry_bytes:
                findings.error(
                    "reader.zip-too-large",
                    label,
                    "reader.zip_entry_too_large",
                    name=name,
                    size=info.file_size,
                    limit=limits.max_entry_bytes,
                )
                raise UnpackAborted
            destination.parent.mkdir(parents=True, exist_ok=True)
            written_total += _copy_entry(handle, info, destination, name, limits, written_total, findings)


def _copy_entry(
    handle: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    destination: Path,
    name: str,
    limits: UnpackLimits,
    written_before: int,
    findings: Findings,
) -> int:
    written = 0
    try:
        with handle.open(info) as source, open(destination, "xb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size or written_before + written > limits.max_total_bytes:
                    findings.error("reader.zip-bomb", handle.filename or "", "reader.zip_size_lie", name=name)
                    raise UnpackAborted
                sink.write(chunk)
    except UnpackAborted:
        destination.unlink(missing_ok=True)
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        NotImplementedError,
        ValueError,
        RuntimeError,
    ) as exc:
        destination.unlink(missing_ok=True)
        findings.error(
            "reader.zip-corrupt",
            Path(handle.filename or "").name,
            "reader.zip_entry_corrupt",
            name=name,
            detail=str(exc),
        )
        return 0
    return written


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
