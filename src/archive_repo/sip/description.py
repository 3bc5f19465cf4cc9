"""Read a SIP description: a TOML file with the dossier fields and the documents (inline or as CSV)."""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive_repo.errors import ArchiveRepoError

SIP_VARIANTS = ("SIP_hoso", "SIP_tailieu")
_RESERVED = {"file", "kind", "holey"}


class DescriptionError(ArchiveRepoError):
    """The description cannot be turned into a package; the message says where."""


@dataclass
class DocumentDescription:
    kind: str  # doc | pic | media
    fields: dict[str, str]
    file: Path | None = None
    holey: str | None = None  # identifier of a document transferred earlier
    where: str = ""


@dataclass
class SipDescription:
    variant: str
    fonds_code: str
    package: dict[str, str]
    documents: list[DocumentDescription] = field(default_factory=list)
    objid: str | None = None
    record_status: str = "NEW"
    software: str | None = None
    created: str | None = None


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def load_description(path: Path, files_folder: Path | None = None) -> SipDescription:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise DescriptionError("sip.description_unreadable", path=str(path), detail=str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise DescriptionError("sip.description_invalid", path=str(path), detail=str(exc)) from None
    variant = _text(data.get("variant", "SIP_hoso"))
    if variant not in SIP_VARIANTS:
        raise DescriptionError(
            "sip.unknown_variant", path=str(path), variant=variant, allowed=", ".join(SIP_VARIANTS)
        )
    fonds = _text(data.get("fonds_code"))
    if not fonds:
        raise DescriptionError("sip.missing_key", path=str(path), key="fonds_code")
    package = {k: _text(v) for k, v in (data.get("package") or {}).items()}
    if not package:
        raise DescriptionError("sip.missing_key", path=str(path), key="[package]")
    folder = files_folder or (path.parent / _text(data.get("files", "files")))
    rows = _document_rows(path, data)
    documents = [_document(row, folder, f"{path.name}: {where}") for row, where in rows]
    if not documents:
        raise DescriptionError("sip.no_documents", path=str(path))
    return SipDescription(
        variant=variant,
        fonds_code=fonds,
        package=package,
        documents=documents,
        objid=_text(data.get("objid")) or None,
        record_status=_text(data.get("record_status", "NEW")),
        software=_text(data.get("software")) or None,
        created=_text(data.get("created")) or None,
    )


def _document_rows(path: Path, data: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    rows = [(row, f"[[documents]] #{i}") for i, row in enumerate(data.get("documents") or [], start=1)]
    csv_name = data.get("documents_csv")
    if csv_name:
        csv_path = path.parent / str(csv_name)
        try:
            with open(csv_path, encoding="utf-8-sig", newline="") as handle:
                for line_number, row in enumerate(csv.DictReader(handle), start=2):
                    rows.append(
                        ({k.strip(): v for k, v in row.items() if k}, f"{csv_path.name}:{line_number}")
                    )
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DescriptionError(
                "sip.description_unreadable", path=str(csv_path), detail=str(exc)
            ) from None
    return rows


def _document(row: dict[str, Any], folder: Path, where: str) -> DocumentDescription:
    kind = _text(row.get("kind")) or "doc"
    if kind not in ("doc", "pic", "media"):
        raise DescriptionError("sip.bad_kind", where=where, kind=kind)
    holey = _text(row.get("holey")) or None
    file_name = _text(row.get("file"))
    if not holey and not file_name:
        raise DescriptionError("sip.no_file", where=where)
    file_path = None
    if not holey:
        file_path = folder / file_name
        if not file_path.is_file():
            raise DescriptionError("sip.file_missing", where=where, file=str(file_path))
    fields = {k: _text(v) for k, v in row.items() if k not in _RESERVED and _text(v)}
    return DocumentDescription(kind=kind, fields=fields, file=file_path, holey=holey, where=where)
