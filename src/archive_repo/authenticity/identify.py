"""Format identification with Siegfried (pygfried, PRONOM signatures built in; nothing is downloaded).

``identify`` says what a file is; ``declared_mismatch`` and ``in_tt05_table`` compare that with what the
package declares and with what TT05 accepts, using the PUID families of ``profiles/pronom.toml``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pygfried

from archive_repo.authenticity.results import FormatIdentification
from archive_repo.resources import profiles_dir

UNKNOWN = "UNKNOWN"
NO_CLAIM_MIMETYPE = "application/octet-stream"  # declares nothing, so it contradicts nothing
EMPTY_FILE_WARNING = "empty file"
_XML_MIMETYPES = frozenset({"application/xml", "text/xml"})


@dataclass(frozen=True)
class FormatFamily:
    key: str
    name: str
    tt05: bool
    mimetypes: frozenset[str]
    puids: frozenset[str]


@dataclass(frozen=True)
class PronomTable:
    families: dict[str, FormatFamily]
    by_puid: dict[str, FormatFamily]
    tt05_mimetypes: frozenset[str]  # every declared type a TT05 family accepts


# --------------------------------------------------------------------------------------------------
# Siegfried
# --------------------------------------------------------------------------------------------------


@cache
def _scanner() -> pygfried.Scanner:
    """Loading the signatures costs ~80 ms; once loaded, one identification costs 0.1-0.5 ms."""
    return pygfried.Scanner()


def identify(path: Path, display_path: str | None = None) -> FormatIdentification:
    """What Siegfried says ``path`` is (PRONOM namespace). Never raises for unreadable or empty files:
    they come back with ``puid=None`` and a warning saying why."""
    shown = display_path if display_path is not None else str(path)
    try:
        result = _scanner().identify(str(path), detailed=True)
        entry = result["files"][0]
    except (pygfried.GoError, OSError, KeyError, IndexError, TypeError, ValueError) as exc:
        return FormatIdentification(path=shown, puid=None, warning=f"not identified: {exc}")
    return _from_entry(shown, entry)


def identify_all(
    files: list[tuple[Path, str]], workers: int | None = None
) -> dict[str, FormatIdentification]:
    """Identify many files in one call, by their shown name. Siegfried scans them on its own (Go) threads
    and releases the GIL meanwhile, so the caller can do other work in parallel; the answers are the
    same as :func:`identify`'s (a file the batch cannot answer for is identified on its own)."""
    if not files:
        return {}
    shown_of = {str(path): shown for path, shown in files}
    found: dict[str, FormatIdentification] = {}
    try:
        result = _scanner().identify_many(list(shown_of), workers=workers or os.cpu_count() or 1)
        for entry in result.get("files") or ():
            shown = shown_of.get(str(entry.get("filename")))
            if shown is not None:
                found[shown] = _from_entry(shown, entry)
    except (pygfried.GoError, OSError, KeyError, TypeError, ValueError):
        found = {}
    for path, shown in files:
        if shown not in found:
            found[shown] = identify(path, shown)
    return found


def _from_entry(shown: str, entry: dict[str, Any]) -> FormatIdentification:
    errors = (entry.get("errors") or "").strip()
    match = next((m for m in entry.get("matches") or () if m.get("ns") == "pronom"), None)
    if match is None:  # unreadable (missing, a directory, no permission): Siegfried says why in errors
        return FormatIdentification(path=shown, puid=None, warning=errors or "no PRONOM match")
    if entry.get("filesize") == 0:
        # Siegfried still "matches" an empty file on its extension alone: that says nothing about content.
        return FormatIdentification(path=shown, puid=None, warning=EMPTY_FILE_WARNING)
    puid = match.get("id") or None
    warning = "; ".join(part for part in (errors, match.get("warning") or "") if part) or None
    return FormatIdentification(
        path=shown,
        puid=None if puid == UNKNOWN else puid,
        name=match.get("format") or None,
        version=match.get("version") or None,
        mimetype=match.get("mime") or None,
        basis=match.get("basis") or None,
        warning=warning,
    )


@cache
def identifier_version() -> str:
    """For the PREMIS agent, e.g. "siegfried 1.11.9 (pygfried 2.2.0); default.sig 2026-09-27;
    DROID_SignatureFile_V125.xml; container-signature-20260119.xml"."""
    result = _scanner().identify(__file__, detailed=True)
    parts = [f"siegfried {result.get('siegfried') or pygfried.version()} (pygfried {_pygfried_version()})"]
    signature = result.get("signature")
    if signature:
        created = str(result.get("created") or "")[:10]
        parts.append(f"{signature} {created}".strip())
    parts += [i["details"] for i in result.get("identifiers") or () if i.get("name") == "pronom"]
    return "; ".join(parts)


def _pygfried_version() -> str:
    try:
        return metadata.version("pygfried")
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------------------------------
# Judging an identification
# --------------------------------------------------------------------------------------------------


def normalize_mimetype(value: str | None) -> str:
    """``Text/XML; charset=utf-8`` -> ``text/xml``."""
    return (value or "").split(";", 1)[0].strip().lower()


def _pronom_mimetypes(ident: FormatIdentification) -> set[str]:
    """PRONOM may give several, comma-separated."""
    return {normalize_mimetype(m) for m in (ident.mimetype or "").split(",") if m.strip()}


def family_of(ident: FormatIdentification) -> FormatFamily | None:
    return pronom_table().by_puid.get(ident.puid) if ident.puid else None


def declared_mismatch(declared_mime: str, ident: FormatIdentification) -> bool:
    """True when the identified format clearly contradicts the declared MIMETYPE (a JPEG declared as
    application/pdf). Nothing identified, or a declaration of nothing (octet-stream), is never a mismatch:
    report unknown formats separately."""
    declared = normalize_mimetype(declared_mime)
    if ident.puid is None or declared in ("", NO_CLAIM_MIMETYPE):
        return False
    table = pronom_table()
    family = table.by_puid.get(ident.puid)
    if family is not None:
        return declared not in family.mimetypes
    pronom = _pronom_mimetypes(ident)
    if declared in _XML_MIMETYPES and any(m in _XML_MIMETYPES or m.endswith("+xml") for m in pronom):
        return False  # an XML vocabulary the table does not list, declared as generic XML
    if declared in table.tt05_mimetypes:
        return True  # every PUID that can carry a TT05 type is in a family
    return bool(pronom) and declared not in pronom


def in_tt05_table(ident: FormatIdentification) -> bool:
    """The identified format is one TT05 accepts (False when nothing was identified)."""
    family = family_of(ident)
    return family is not None and family.tt05


def extension_only(ident: FormatIdentification) -> bool:
    """Siegfried matched the file name's extension, not the content: a weak identification."""
    return ident.puid is not None and "match on extension only" in (ident.warning or "")


# --------------------------------------------------------------------------------------------------
# profiles/pronom.toml
# --------------------------------------------------------------------------------------------------


@cache
def pronom_table() -> PronomTable:
    return load_pronom_table(profiles_dir() / "pronom.toml")


def load_pronom_table(path: Path) -> PronomTable:
    """Raise ValueError on a malformed table (a PUID in two families, a family without PUIDs)."""
    with open(path, "rb") as handle:
        raw = tomllib.load(handle)
    families: dict[str, FormatFamily] = {}
    by_puid: dict[str, FormatFamily] = {}
    for key, spec in (raw.get("family") or {}).items():
        family = FormatFamily(
            key=key,
            name=str(spec.get("name", key)),
            tt05=bool(spec.get("tt05", False)),
            mimetypes=frozenset(normalize_mimetype(m) for m in spec.get("mimetypes", ())),
            puids=frozenset(spec.get("puids", ())),
        )
        if not family.puids or not family.mimetypes:
            raise ValueError(f"{path}: family {key!r} needs puids and mimetypes")
        for puid in family.puids:
            if puid in by_puid:
                raise ValueError(f"{path}: {puid} is in both {by_puid[puid].key!r} and {key!r}")
            by_puid[puid] = family
        families[key] = family
    tt05_mimetypes = frozenset(m for f in families.values() if f.tt05 for m in f.mimetypes)
    return PronomTable(families, by_puid, tt05_mimetypes)
