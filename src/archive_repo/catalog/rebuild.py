"""Rebuild the catalog from the AIPs in storage (TT05: the AIPs are the source of truth).

Into an **empty** catalog (a database without any schema gets the newest one first; a catalog holding
any row is refused), in one transaction (an interrupted rebuild leaves the catalog empty, so it can
simply be run again):

1. **Find** every AIP folder: the union of ``store.prefixes()`` over the locations, names starting with
   ``_`` (``_events/``) or ``.`` left out.
2. **Agree on METS.xml**: every location's METS.xml is read and hashed. The one taken is one that parses
   as the AIP's METS and: has the SHA-256 recorded at ingest with the S3 objects (``x-amz-meta-sha256``,
   authoritative when the S3 locations holding one agree on it); else is the one every copy holds, or the
   one a strict majority of the copies hold. Otherwise nothing tells which copy is the original: the AIP
   is reported and not restored (a person decides). A copy of METS.xml other than the one taken is
   ``corrupt``, whatever else it holds.
3. **Order** the AIPs by the creation time in the METS taken (then by OBJID): versions of a dossier are
   made from RECORDSTATUS in the order the AIPs were made, as ingest made them.
4. **Read** each AIP from the first location holding the METS taken and a readable and complete copy
   (readable: the representation METS parses with the safe XML parser, every metadata record and PREMIS
   file they reference is there with the SIZE and SHA-256 the METS gives, and says what an AIP must say;
   complete: every file the METS list is there with its size). A location holding a damaged copy is
   reported and passed over; when no location holds a readable copy the AIP is reported (with what
   went wrong in each location) and skipped.
5. **Record** it as ingest would have: the AIP is described as a :class:`ConvertedAip` and turned into
   the ``PackageInfo`` ingest commits (:func:`archive_repo.ingest.describe.describe`), whose rows are
   made by the ingest's own builders (:mod:`archive_repo.ingest.commit`); versions by
   :func:`archive_repo.ingest.versions.plan_version`. PRONOM formats and digital signatures come from
   the file objects of ``PREMIS_rep1.xml``, events and agents from both PREMIS files.
6. **Copies**: for every location that holds the AIP folder, one row per file: ``ok`` when the object
   is there with the catalog's size (and, for the metadata files read, which are hashed in every
   location, the same content; for S3, the SHA-256 recorded with the object when there is one),
   ``missing`` when it is not there, ``corrupt`` when it is there with another size or content. An S3
   copy gets the VersionId and object-lock date of the object's current version (a local one none). A
   location that cannot be read (anything but an object not being there: down, credentials, denied, a
   server or I/O error) gets no row for the AIP concerned, and is named once in the summary
   (``RebuildSummary.unreadable``); one that will fail every read is not asked again.
7. **Events logged after ingest** (``_events/<folder>/*.xml``, :mod:`archive_repo.catalog.event_log`)
   in any location are added, deduplicated by identifier. A copy's ``verified_at`` is the latest
   successful fixity check, replication or recovery logged for it in its location (else the ingest
   time); a copy whose latest logged fixity check failed is ``corrupt``.

What cannot be recovered (see :data:`NOT_RECOVERED`) is absent or approximate, and said so in the
summary. Problems never stop the rebuild: each is reported with its AIP and location, and the AIP
concerned is skipped when it cannot be restored (``RebuildSummary.errors``).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive_repo.catalog.backup import ensure_schema, refuse_unless_empty
from archive_repo.catalog.db import engine_for, safe_url
from archive_repo.catalog.event_log import (
    EVENTS_PREFIX,
    EventLogError,
    LoggedEvent,
    event_log_prefix,
    read_event_log,
)
from archive_repo.catalog.models import (
    SIGNATURE_OUTCOMES,
    Document,
    File,
    Package,
    PremisAgent,
    PremisEvent,
    SignatureCheck,
    StorageCopy,
)
from archive_repo.config import Settings
from archive_repo.errors import ArchiveRepoError
from archive_repo.i18n import translate
from archive_repo.ingest import commit
from archive_repo.ingest.describe import describe
from archive_repo.ingest.outcome import PackageInfo
from archive_repo.ingest.versions import VersionConflict, VersionPlan, plan_version
from archive_repo.packages import premis
from archive_repo.packages.convert import PACKAGE_EAD, AipDocument, AipFile, ConvertedAip, FileFacts
from archive_repo.packages.ead import read_record, record_identifier, record_kind
from archive_repo.packages.mets import HREF, NOTETYPE, OAISPACKAGETYPE, m, references
from archive_repo.storage.base import StorageError, Store, aip_key
from archive_repo.validation.fixity import resolve
from archive_repo.validation.profiles import load_profile
from archive_repo.xmlsafe import XmlProblem, parse_xml_bytes

AIP_PROFILES = ("AIP_hoso", "AIP_tailieu")
MAX_METADATA_BYTES = 256 * 1024 * 1024  # one METS, EAD or PREMIS file (a bigger one is not ours)
STAT_THREADS = 8  # object stores answer stat() over the network: ask several at once
MISSING = "storage.missing"  # the only storage error that means an object is not there
# Storage errors after which every read of the location would fail: it is not asked again in this rebuild.
LOCATION_DOWN = frozenset(
    {"storage.unreachable", "storage.credentials", "storage.denied", "storage.no_bucket"}
)
_PAD_KINDS = {
    "PAdES (CMS, ETSI.CAdES.detached)": "PAdES",
    "PDF PKCS#7 (adbe.pkcs7.detached)": "PKCS7",
}
_VERIFYING_EVENTS = ("fixity check", "replication", "recovery")
# What the AIPs do not hold: message keys (backup.not_recovered.*), shown with every rebuild summary.
NOT_RECOVERED = (
    "submissions",
    "runs",
    "created_at",
    "characteristics",
    "signatures",
    "copies",
    "audits",
    "versions",
)

Progress = Callable[[str, int, int], None]  # (stage "scan" | "restore", done, total)


class RebuildError(ArchiveRepoError):
    """The catalog failed during the rebuild (nothing of it was kept)."""


@dataclass(frozen=True)
class Message:
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        params = {k: v.render(lang) if hasattr(v, "render") else v for k, v in self.params.items()}
        return translate(self.key, lang, **params)


@dataclass(frozen=True)
class RebuildProblem:
    severity: str  # "error": something could not be restored | "warning": restored, with a caveat
    message: Message
    aip: str | None = None  # the AIP folder
    location: str | None = None

    def render(self, lang: str) -> str:
        return self.message.render(lang)

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "aip": self.aip,
            "location": self.location,
            "key": self.message.key,
            "message": self.render(lang),
        }


@dataclass
class RebuildSummary:
    url: str
    locations: list[str] = field(default_factory=list)
    aips_found: int = 0
    packages: int = 0
    documents: int = 0
    files: int = 0
    copies: dict[str, int] = field(default_factory=dict)  # by status
    events: int = 0
    logged_events: int = 0  # of which restored from _events/ logs
    agents: int = 0
    signatures: int = 0
    problems: list[RebuildProblem] = field(default_factory=list)
    not_recovered: tuple[str, ...] = NOT_RECOVERED
    unlisted: set[str] = field(default_factory=set)  # locations whose content could not be listed
    # Locations that could not be read (down, denied, …) -> the AIP folders with no copy recorded there.
    unreadable: dict[str, list[str]] = field(default_factory=dict)

    @property
    def errors(self) -> list[RebuildProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[RebuildProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def skipped(self) -> int:
        return self.aips_found - self.packages

    def error(
        self, message_key: str, /, aip: str | None = None, location: str | None = None, **params: Any
    ) -> None:
        self.add("error", message_key, aip, location, params)

    def warning(
        self, message_key: str, /, aip: str | None = None, location: str | None = None, **params: Any
    ) -> None:
        self.add("warning", message_key, aip, location, params)

    def add(
        self, severity: str, key: str, aip: str | None, location: str | None, params: dict[str, Any]
    ) -> None:
        """A problem whose message may name ``{aip}`` and ``{location}`` besides its own ``params``."""
        message = Message(key, {**params, "aip": aip or "-", "location": location or "-"})
        self.problems.append(RebuildProblem(severity, message, aip, location))


# --------------------------------------------------------------------------------------------------
# reading one AIP from one store


class _Unreadable(Exception):
    """This location's copy of the AIP cannot be used; ``reason`` says why."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.reason = Message(f"backup.reason.{key}", params)


class _LocationError(Exception):
    """The location could not be read (down, credentials, denied, an I/O error…), which says nothing
    about its copy: no copy is recorded there for the AIP. ``down``: every later read would fail too."""

    def __init__(self, detail: str, down: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.down = down

    @classmethod
    def of(cls, exc: StorageError) -> _LocationError:
        return cls(exc.message("en"), exc.message_key in LOCATION_DOWN)


@dataclass(frozen=True)
class _Ref:
    """One file an AIP's METS lists, with the fixity the METS gives it."""

    path: str
    size: int
    sha256: str
    mimetype: str


@dataclass
class _Aip:
    store: Store
    folder: str
    objid: str
    created: datetime | None
    files: dict[str, _Ref]  # every file of the AIP, METS.xml included
    converted: ConvertedAip
    archive_code: str | None


@dataclass
class _Header:
    folder: str
    objid: str
    created: datetime | None


def _read_bytes(
    store: Store, folder: str, path: str, expected: _Ref | None = None, read: dict[str, str] | None = None
) -> bytes:
    """One metadata file; ``read`` (if given) records the SHA-256 of what was read, good or not.
    :class:`_LocationError` when the store cannot be read (anything but the object not being there)."""
    try:
        key = aip_key(folder, path)
        size = store.stat(key)
        if size is None:
            raise _Unreadable("missing", path=path)
        if size > MAX_METADATA_BYTES:
            raise _Unreadable("too_large", path=path, size=size)
        with store.open(key) as reader:
            data = reader.read(MAX_METADATA_BYTES + 1)
    except StorageError as exc:
        if exc.message_key == MISSING:
            raise _Unreadable("missing", path=path) from None
        raise _LocationError.of(exc) from None
    except OSError as exc:
        raise _Unreadable("io", path=path, detail=str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    if read is not None:
        read[path] = digest
    if expected is not None and (len(data) != expected.size or digest != expected.sha256):
        raise _Unreadable("mismatch", path=path)
    return data


def _parse(data: bytes, path: str) -> etree._Element:
    try:
        return parse_xml_bytes(data).getroot()
    except XmlProblem as problem:
        raise _Unreadable("invalid_xml", path=path, detail=str(problem)) from None


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _check_root(root: etree._Element, folder: str) -> tuple[str, etree._Element]:
    if root.tag != m("mets"):
        raise _Unreadable("not_mets", path="METS.xml")
    header = root.find(m("metsHdr"))
    objid = root.get("OBJID") or ""
    if header is None or header.get(OAISPACKAGETYPE) != "AIP" or not objid:
        raise _Unreadable(
            "not_an_aip", package_type=header.get(OAISPACKAGETYPE, "-") if header is not None else "-"
        )
    if objid.replace(":", "_") != folder:
        raise _Unreadable("folder_mismatch", objid=objid)
    return objid, header


def _refs(root: etree._Element, mets_path: str) -> list[tuple[_Ref, str | None, str]]:
    """Every file and mdRef of one METS: (fixity, group USE, kind file | mdRef)."""
    found = []
    for reference in references(root):
        if reference.kind == "mptr":
            continue
        path = resolve(mets_path, reference.href)
        if path is None or path.startswith("/"):
            raise _Unreadable("bad_reference", path=mets_path, href=reference.href)
        checksum_type = (reference.checksum_type or "").upper().replace("-", "")
        size = reference.size or ""
        if checksum_type != "SHA256" or not reference.checksum or not size.isdigit():
            raise _Unreadable("no_checksum", path=path)
        found.append(
            (
                _Ref(
                    path,
                    int(size),
                    reference.checksum.lower(),
                    reference.mimetype or "application/octet-stream",
                ),
                reference.group_use,
                reference.kind,
            )
        )
    return found


def _digiprov_paths(root: etree._Element, mets_path: str) -> list[str]:
    paths = []
    for ref in root.iterfind(f"{m('amdSec')}/{m('digiprovMD')}/{m('mdRef')}"):
        href = ref.get(HREF)
        target = resolve(mets_path, href) if href else None
        if target is not None:
            paths.append(target)
    return paths


def _fonds(header: etree._Element) -> str:
    for note in header.iterfind(f"{m('agent')}/{m('note')}"):
        if note.get(NOTETYPE) == "IDENTIFICATIONCODE" and (note.text or "").strip():
            return note.text.strip()
    raise _Unreadable("no_fonds")


def _variants() -> dict[str, str]:
    return {t.lower(): name for name in AIP_PROFILES for t in load_profile(name).mets.types}


def _variant(mets_type: str, creation: premis.PremisEvent | None, variants: dict[str, str]) -> str:
    found = variants.get(mets_type.lower())
    if found is None and creation is not None and creation.detail:
        match = re.search(r"→ (AIP_\w+)", creation.detail)
        found = match.group(1) if match and match.group(1) in AIP_PROFILES else None
    if found is None:
        raise _Unreadable("unknown_variant", type=mets_type or "-")
    return found


def _documents(
    rep_root: etree._Element, rep_mets: str, refs: dict[str, _Ref]
) -> list[tuple[str, str, str, bool]]:
    """(kind, record path, content path, holey) for every document the representation METS links."""
    records: dict[str | None, str] = {}
    for sec in rep_root.iter(m("dmdSec")):
        ref = sec.find(m("mdRef"))
        href = ref.get(HREF) if ref is not None else None
        target = resolve(rep_mets, href) if href else None
        if target is not None:
            records[sec.get("ID")] = target
    contents: dict[str | None, str] = {}
    for element in rep_root.iter(m("file")):
        flocat = element.find(m("FLocat"))
        href = flocat.get(HREF) if flocat is not None else None
        target = resolve(rep_mets, href) if href else None
        if target is not None:
            contents[element.get("ID")] = target
    link_root = None
    for struct_map in rep_root.iter(m("structMap")):
        if struct_map.get("LABEL") == "CSIP":
            link_root = struct_map.find(f"{m('div')}/{m('div')}[@LABEL='MetadataLink']")
    if link_root is None:
        raise _Unreadable("bad_structure", path=rep_mets, detail="no MetadataLink division")
    documents = []
    for div in link_root.findall(m("div")):
        label = div.get("LABEL") or ""
        dmd_ids = (div.get("DMDID") or "").split()
        file_ids = [f.get("FILEID") for f in div.findall(m("fptr"))]
        if (
            label not in ("MetadataLink/File", "MetadataLink/Holey")
            or len(dmd_ids) != 1
            or len(file_ids) != 1
        ):
            raise _Unreadable("bad_structure", path=rep_mets, detail=f"division {label!r}")
        record, content = records.get(dmd_ids[0]), contents.get(file_ids[0])
        kind = record_kind(posixpath.basename(record)) if record else None
        if record is None or content is None or kind is None or record not in refs or content not in refs:
            raise _Unreadable("bad_structure", path=rep_mets, detail=f"division {label!r} links nothing")
        documents.append((kind, record, content, label == "MetadataLink/Holey"))
    return documents


def _signature_record(index: int, signature: premis.Signature) -> dict[str, Any]:
    """The SignatureResult.as_record() ingest kept, as far as PREMIS signatureInformation carries it."""
    properties = {}
    for item in signature.properties:
        name, separator, value = item.partition(": ")
        if separator:
            properties[name.strip()] = value.strip()
    for name in ("signing time", "timestamp"):
        if properties.get(name) and _moment(properties[name]) is None:
            raise ValueError(f"{name} {properties[name]!r}")
    outcome = properties.get("outcome")
    if outcome not in SIGNATURE_OUTCOMES:
        raise ValueError(f"outcome {outcome!r}")
    return {
        "index": index,
        "kind": _PAD_KINDS.get(signature.encoding, signature.encoding),
        "outcome": outcome,
        "subindication": properties.get("subindication"),
        "field": properties.get("field"),
        "signer": signature.signer,
        "issuer": None,
        "serial": None,
        "signing_time": properties.get("signing time"),
        "timestamp_time": properties.get("timestamp"),
        "level": properties.get("level"),
        "coverage": properties.get("coverage"),
        "modification_level": properties.get("modification level"),
        "reasons": [],
    }


def _facts(
    objid: str, rep: premis.PremisDocument, summary: RebuildSummary, folder: str
) -> dict[str, FileFacts]:
    facts = {}
    prefix = f"{objid}/"
    for obj in rep.objects:
        if obj.category != premis.FILE or not obj.identifier.value.startswith(prefix):
            continue
        path = obj.identifier.value[len(prefix) :]
        records = []
        for index, signature in enumerate(obj.signatures, start=1):
            try:
                records.append(_signature_record(index, signature))
            except ValueError as exc:
                summary.warning(
                    "backup.rebuild.signature_lost", folder, path=path, index=index, detail=str(exc)
                )
        facts[path] = FileFacts(
            format=obj.format, signatures=obj.signatures, signature_records=tuple(records)
        )
    return facts


def _premis(
    store: Store, folder: str, paths: list[str], refs: dict[str, _Ref], read: dict[str, str]
) -> premis.PremisDocument:
    """The PREMIS files ``paths`` of the AIP, read and checked against the METS, as one document."""
    document = premis.PremisDocument()
    for path in paths:
        if path not in refs:
            raise _Unreadable("bad_reference", path=path, href=path)
        data = _read_bytes(store, folder, path, refs[path], read)
        try:
            found = premis.read_premis_tree(parse_xml_bytes(data))
        except (XmlProblem, premis.PremisError) as exc:
            raise _Unreadable("invalid_xml", path=path, detail=str(exc)) from None
        document.objects.extend(found.objects)
        document.events.extend(found.events)
        document.agents.extend(found.agents)
    return document


def _read_aip(
    store: Store,
    folder: str,
    mets: _Ref,
    summary: RebuildSummary,
    variants: dict[str, str],
    read: dict[str, str],
) -> _Aip:
    """Everything the catalog needs about the AIP ``folder``, read from ``store`` whose METS.xml must be
    ``mets`` (the one the locations agree on); :class:`_Unreadable` when this copy cannot be used,
    :class:`_LocationError` when the location cannot be read. ``read`` gets the SHA-256 of every file
    read, even when it fails."""
    mets_data = _read_bytes(store, folder, "METS.xml", mets, read)
    root = _parse(mets_data, "METS.xml")
    objid, header = _check_root(root, folder)
    files = {"METS.xml": mets}
    rep_mets_path = None
    package_ead = None
    for ref, group_use, kind in _refs(root, "METS.xml"):
        files[ref.path] = ref
        if kind == "file" and (group_use or "").startswith("Representations/"):
            if rep_mets_path is not None:
                raise _Unreadable("bad_structure", path="METS.xml", detail="more than one representation")
            rep_mets_path = ref.path
    for sec in root.iterfind(f"{m('dmdSec')}/{m('mdRef')}"):
        target = resolve("METS.xml", sec.get(HREF) or "")
        if target == PACKAGE_EAD or (package_ead is None and target is not None):
            package_ead = target
    if rep_mets_path is None or package_ead is None or package_ead not in files:
        raise _Unreadable("bad_structure", path="METS.xml", detail="no representation METS or no EAD.xml")
    rep_data = _read_bytes(store, folder, rep_mets_path, files[rep_mets_path], read)
    rep_root = _parse(rep_data, rep_mets_path)
    rep_refs = {ref.path: ref for ref, _use, _kind in _refs(rep_root, rep_mets_path)}
    files.update(rep_refs)

    package_data = _read_bytes(store, folder, package_ead, files[package_ead], read)
    package_record = read_record(_parse(package_data, package_ead).getroottree())
    package_fields = _present(package_record)
    arc_file_code = package_fields.get("arcFileCode")
    if not arc_file_code:
        raise _Unreadable("no_arc_file_code", path=package_ead)

    root_premis = _premis(store, folder, _digiprov_paths(root, "METS.xml"), files, read)
    rep_premis = _premis(store, folder, _digiprov_paths(rep_root, rep_mets_path), files, read)
    if not root_premis.objects and not rep_premis.objects:
        raise _Unreadable("no_premis")

    documents = []
    for kind, record_path, content_path, holey in _documents(rep_root, rep_mets_path, files):
        data = _read_bytes(store, folder, record_path, files[record_path], read)
        record = read_record(_parse(data, record_path).getroottree())
        documents.append(
            AipDocument(
                kind=kind,
                doc_id=record_identifier(PurePosixPath(record_path).name),
                record_path=record_path,
                content_path=content_path,
                holey=holey,
                fields=_present(record),
            )
        )

    creation = next(iter(root_premis.events_of_type("information package creation")), None)
    sources = creation.objects_with_role(premis.ROLE_SOURCE) if creation else []
    facts = _facts(objid, rep_premis, summary, folder)
    agents = list({a.identifier: a for a in [*root_premis.agents, *rep_premis.agents]}.values())
    converted = ConvertedAip(
        folder=Path(folder),
        objid=objid,
        sip_objid=sources[0].value if sources else None,  # type: ignore[arg-type]
        profile=_variant(root.get("TYPE") or "", creation, variants),
        arc_file_code=arc_file_code,
        files=[
            AipFile(ref.path, ref.size, ref.sha256, ref.mimetype, facts=facts.get(ref.path))
            for ref in sorted(files.values(), key=lambda r: r.path)
        ],
        events=[*root_premis.events, *rep_premis.events],
        fonds=_fonds(header),
        record_status=header.get("RECORDSTATUS") or "NEW",
        package_fields=package_fields,
        documents=documents,
        agents=agents,
    )
    created = _moment(header.get("CREATEDATE")) or (_moment(creation.date_time) if creation else None)
    return _Aip(store, folder, objid, created, files, converted, _archive_code(creation, agents))


def _present(record: Any) -> dict[str, str]:
    return {name: value for name in record.values if (value := record.get(name)) is not None}


def _archive_code(creation: premis.PremisEvent | None, agents: list[premis.PremisAgent]) -> str | None:
    """The archive agency code: the organisation that implemented the AIP's creation (``archive/<code>``)."""
    candidates = []
    if creation is not None:
        candidates = [a.identifier.value for a in creation.agents if premis.ROLE_IMPLEMENTER in a.roles]
    candidates += [a.identifier.value for a in agents if a.type == premis.AGENT_ORGANIZATION]
    for value in candidates:
        if value.startswith("archive/") and len(value) > len("archive/"):
            return value[len("archive/") :]
    return None


# --------------------------------------------------------------------------------------------------
# the rebuild


def _discover(stores: list[Store], summary: RebuildSummary) -> dict[str, list[Store]]:
    holders: dict[str, list[Store]] = {}
    for store in stores:
        try:
            names = [n for n in store.prefixes() if not n.startswith(("_", "."))]
        except StorageError as exc:
            summary.error("backup.rebuild.location_unlisted", location=store.name, detail=exc.message("en"))
            summary.unlisted.add(store.name)
            continue
        for name in names:
            holders.setdefault(name, []).append(store)
    return dict(sorted(holders.items()))


@dataclass(frozen=True)
class _Found:
    """What a location holds under one key (its current version, in a versioned store)."""

    size: int
    sha256: str = ""  # S3: the SHA-256 recorded with the object when it was written ("" where unknown)
    version_id: str | None = None
    retain_until: datetime | None = None


def _has_records(store: Store) -> bool:
    """The store keeps the SHA-256, version and object-lock date of an object (S3 ``recorded``)."""
    return callable(getattr(store, "recorded", None))


def _look(store: Store, key: str) -> _Found | None:
    """The object under ``key`` (None: not there); :class:`_LocationError` when the store cannot say."""
    try:
        if _has_records(store):  # one HEAD: size, SHA-256 recorded at write, version, object lock
            recorded = store.recorded(key)  # type: ignore[attr-defined]
            if recorded is None:
                return None
            return _Found(recorded.size, recorded.sha256 or "", recorded.version_id, recorded.retain_until)
        size = store.stat(key)
        return None if size is None else _Found(size)
    except StorageError as exc:
        if exc.message_key == MISSING:
            return None
        raise _LocationError.of(exc) from None
    except Exception as exc:  # noqa: BLE001 - whatever the store raised: reported, never a traceback
        raise _LocationError(_describe(exc)) from None


def _look_all(store: Store, folder: str, paths: Iterable[str], pool: Executor) -> dict[str, _Found | None]:
    """What the location holds for each path (None: not there), several asked at once;
    :class:`_LocationError` when the store cannot be read (the other questions are then dropped)."""
    failed = threading.Event()

    def one(path: str) -> tuple[str, _Found | _LocationError | None]:
        if failed.is_set():
            return path, None
        try:
            key = aip_key(folder, path)
        except StorageError:
            return path, None  # no object can have such a key
        try:
            return path, _look(store, key)
        except _LocationError as error:
            failed.set()
            return path, error

    found: dict[str, _Found | None] = {}
    error: _LocationError | None = None
    for path, result in pool.map(one, list(paths)):
        if isinstance(result, _LocationError):
            error = error or result
        else:
            found[path] = result
    if error is not None:
        raise error
    return found


class _Unread:
    """Locations that could not be read (other than an object not being there): no copy is recorded
    there for the AIPs concerned, and this is said once per location at the end of the rebuild."""

    def __init__(self) -> None:
        self.details: dict[str, str] = {}  # location -> the first error
        self.aips: dict[str, dict[str, None]] = {}  # location -> AIP folders without copies there
        self.down: set[str] = set()  # every read would fail: not asked again

    def note(self, location: str, folder: str, error: _LocationError | None = None) -> None:
        if error is not None:
            self.details.setdefault(location, error.detail)
            if error.down:
                self.down.add(location)
        self.aips.setdefault(location, {})[folder] = None

    def reason(self, location: str) -> Message:
        return Message("backup.reason.location_unreadable", {"detail": self.details.get(location, "-")})

    def report(self, summary: RebuildSummary) -> None:
        for location, folders in self.aips.items():
            summary.unreadable[location] = list(folders)
            summary.warning(
                "backup.rebuild.location_unreadable",
                location=location,
                detail=self.details.get(location, "-"),
                count=len(folders),
                aips=_some(list(folders)),
            )


def _some(items: list[str], limit: int = 5) -> str:
    return ", ".join(items[:limit]) + (" …" if len(items) > limit else "")


# --------------------------------------------------------------------------------------------------
# which METS.xml is the original


@dataclass
class _MetsCopy:
    """One location's METS.xml of an AIP."""

    digest: str | None = None  # SHA-256 of what was read (None: nothing could be read)
    size: int | None = None
    header: _Header | None = None  # set when it parses as this AIP's METS
    reason: Message | None = None  # why it cannot be used (missing, not well-formed, not this AIP…)
    recorded: str = ""  # S3: the SHA-256 recorded with the object when it was written


@dataclass
class _Vote:
    """Which METS.xml of an AIP is the original, as its copies tell (see :func:`_decide`)."""

    folder: str
    copies: dict[str, _MetsCopy] = field(default_factory=dict)  # by location, those that could be read
    unread: set[str] = field(default_factory=set)  # locations that could not be read
    mets: _Ref | None = None  # the METS.xml taken
    header: _Header | None = None
    basis: str = ""  # "all" the copies agree | "majority" of them | the SHA-256 "recorded" at ingest
    recorded_in: list[str] = field(default_factory=list)  # locations holding a recorded SHA-256
    error: tuple[str, dict[str, Any]] | None = None  # (message key, params) when none can be taken


def _mets_copy(store: Store, folder: str) -> _MetsCopy:
    """Read and hash one location's METS.xml; :class:`_LocationError` when the location cannot be read."""
    copy = _MetsCopy()
    if _has_records(store):
        found = _look(store, aip_key(folder, "METS.xml"))
        copy.recorded = found.sha256 if found is not None else ""
    try:
        data = _read_bytes(store, folder, "METS.xml")
    except _Unreadable as problem:
        copy.reason = problem.reason
        return copy
    copy.digest, copy.size = hashlib.sha256(data).hexdigest(), len(data)
    try:
        objid, header = _check_root(_parse(data, "METS.xml"), folder)
        copy.header = _Header(folder, objid, _moment(header.get("CREATEDATE")))
    except _Unreadable as problem:
        copy.reason = problem.reason
    return copy


def _vote(folder: str, stores: list[Store], unread: _Unread, pool: Executor) -> _Vote:
    """Read the METS.xml of ``folder`` in every location holding it, and decide which is the original."""
    vote = _Vote(folder)

    def one(store: Store) -> tuple[Store, _MetsCopy | _LocationError]:
        try:
            return store, _mets_copy(store, folder)
        except _LocationError as error:
            return store, error
        except Exception as exc:  # noqa: BLE001 - a copy nobody foresaw: reported, never a traceback
            return store, _MetsCopy(reason=Message("backup.reason.unexpected", {"detail": _describe(exc)}))

    for store in stores:
        if store.name in unread.down:
            unread.note(store.name, folder)
            vote.unread.add(store.name)
    for store, result in pool.map(one, [s for s in stores if s.name not in vote.unread]):
        if isinstance(result, _LocationError):
            unread.note(store.name, folder, result)
            vote.unread.add(store.name)
        else:
            vote.copies[store.name] = result
    _decide(vote, unread)
    return vote


def _decide(vote: _Vote, unread: _Unread) -> None:
    """The METS.xml taken is one that parses as this AIP's METS and that:

    * has the SHA-256 recorded at ingest with the S3 objects (``x-amz-meta-sha256``), authoritative when
      the locations holding one agree on it (no copy with it: the AIP is not restored);
    * else, is the one all copies hold, or the one a majority of them hold;
    * else nothing tells which copy is the original: the AIP is not restored (a person decides).
    """
    parsed = {location: copy for location, copy in vote.copies.items() if copy.header is not None}
    if not parsed:
        tried = [
            *((location, copy.reason) for location, copy in vote.copies.items() if copy.reason is not None),
            *((location, unread.reason(location)) for location in sorted(vote.unread)),
        ]
        vote.error = ("backup.rebuild.aip_unreadable", {"tried": _Reasons(tuple(tried))})
        return
    counts = Counter(copy.digest for copy in parsed.values())
    vote.recorded_in = [location for location, copy in vote.copies.items() if copy.recorded]
    recorded = {vote.copies[location].recorded for location in vote.recorded_in}
    if len(recorded) == 1:
        (digest,) = recorded
        if digest not in counts:
            vote.error = (
                "backup.rebuild.mets_unrecorded",
                {"locations": ", ".join(vote.recorded_in), "sha256": digest},
            )
            return
        vote.basis = "all" if len(counts) == 1 else "recorded"
    else:
        digest, held = counts.most_common(1)[0]
        if len(counts) == 1:
            vote.basis = "all"
        elif held * 2 > len(parsed):
            vote.basis = "majority"
        else:
            found = "; ".join(f"{location}: {copy.digest}" for location, copy in parsed.items())
            vote.error = ("backup.rebuild.mets_disagree", {"digests": found})
            return
    taken = next(copy for copy in parsed.values() if copy.digest == digest)
    vote.mets = _Ref("METS.xml", taken.size or 0, digest or "", "application/xml")
    vote.header = taken.header


# --------------------------------------------------------------------------------------------------
# choosing the copy to read, and what every location holds


@dataclass
class _Chosen:
    aip: _Aip
    found: dict[str, dict[str, _Found | None]]  # location -> path -> what is there
    corrupt: dict[str, set[str]]  # location -> paths whose content was read and is not the AIP's
    unread: set[str]  # locations that could not be read: no copies recorded there


def _choose(
    vote: _Vote,
    holders: list[Store],
    summary: RebuildSummary,
    variants: dict[str, str],
    pool: Executor,
    unread: _Unread,
) -> _Chosen | None:
    """Read the AIP from the first location with the original METS.xml and a readable, complete copy
    (else the first readable one); then see what every location holds of it."""
    folder = vote.folder
    if vote.error is not None or vote.mets is None:
        key, params = vote.error or ("backup.rebuild.aip_unreadable", {"tried": "-"})
        summary.error(key, folder, **params)
        return None
    mets = vote.mets
    skipped = set(vote.unread)
    failures: list[tuple[str, Message]] = []
    attempts: dict[str, dict[str, str]] = {}  # location -> what was read there (path -> SHA-256)
    candidates: list[Store] = []
    for store in holders:
        copy = vote.copies.get(store.name)
        if copy is None or store.name in unread.down:
            unread.note(store.name, folder)
            skipped.add(store.name)
            continue
        attempts[store.name] = {"METS.xml": copy.digest} if copy.digest is not None else {}
        if copy.digest == mets.sha256:
            candidates.append(store)
        elif copy.reason is not None:
            failures.append((store.name, copy.reason))
        else:
            failures.append((store.name, _outvoted(vote)))
    found: dict[str, dict[str, _Found | None]] = {}
    chosen: _Aip | None = None
    fallback: _Aip | None = None
    for store in candidates:
        attempts[store.name] = {}
        try:
            aip = _read_aip(store, folder, mets, summary, variants, attempts[store.name])
            found[store.name] = _look_all(store, folder, aip.files, pool)
        except _Unreadable as problem:
            failures.append((store.name, problem.reason))
            continue
        except _LocationError as error:
            unread.note(store.name, folder, error)
            skipped.add(store.name)
            continue
        except Exception as exc:  # noqa: BLE001 - a copy nobody foresaw: reported, never a traceback
            failures.append((store.name, Message("backup.reason.unexpected", {"detail": _describe(exc)})))
            continue
        if all(_size(found[store.name].get(p)) == ref.size for p, ref in aip.files.items()):
            chosen = aip
            break
        fallback = fallback or aip
    if chosen is None and fallback is not None:
        chosen = fallback
        here = found[chosen.store.name]
        missing = sorted(p for p, ref in chosen.files.items() if _size(here.get(p)) != ref.size)
        summary.warning(
            "backup.rebuild.incomplete_everywhere", folder, source=chosen.store.name, paths=_some(missing)
        )
    if chosen is None:
        tried = [*failures, *((location, unread.reason(location)) for location in sorted(skipped))]
        summary.error("backup.rebuild.aip_unreadable", folder, tried=_Reasons(tuple(tried)))
        return None
    for location, reason in failures:
        summary.warning(
            "backup.rebuild.copy_unreadable", folder, location, reason=reason, source=chosen.store.name
        )
    for store in holders:
        if store.name in skipped or store.name in found:
            continue
        try:
            found[store.name] = _look_all(store, folder, chosen.files, pool)
        except _LocationError as error:
            unread.note(store.name, folder, error)
            skipped.add(store.name)
    _hash_metadata(chosen, holders, found, attempts, skipped, unread, pool)
    corrupt = {
        location: {p for p, sha in read.items() if p in chosen.files and sha != chosen.files[p].sha256}
        for location, read in attempts.items()
        if location not in skipped
    }
    return _Chosen(chosen, {k: v for k, v in found.items() if k not in skipped}, corrupt, skipped)


def _size(found: _Found | None) -> int | None:
    return None if found is None else found.size


def _outvoted(vote: _Vote) -> Message:
    """Why a copy whose METS.xml parses was not taken."""
    if vote.basis == "recorded":
        return Message("backup.reason.mets_not_recorded", {"locations": ", ".join(vote.recorded_in)})
    digest = vote.mets.sha256 if vote.mets is not None else None
    taken = [location for location, copy in vote.copies.items() if copy.digest == digest]
    return Message("backup.reason.mets_outvoted", {"locations": ", ".join(taken)})


def _hash_metadata(
    chosen: _Aip,
    holders: list[Store],
    found: dict[str, dict[str, _Found | None]],
    attempts: dict[str, dict[str, str]],
    skipped: set[str],
    unread: _Unread,
    pool: Executor,
) -> None:
    """Hash, in every location, the metadata files whose content the rebuild read (from the chosen
    copy), so that a copy with the right size but other content is known corrupt; into ``attempts``."""
    paths = [p for p in attempts[chosen.store.name] if p != "METS.xml"]
    todo = [
        (store, path)
        for store in holders
        if store.name not in skipped and store.name != chosen.store.name
        for path in paths
        if path not in attempts[store.name] and _size(found[store.name].get(path)) == chosen.files[path].size
    ]

    failed: set[str] = set()  # locations that could not be read: not asked further

    def one(item: tuple[Store, str]) -> tuple[Store, str, str | _LocationError | None]:
        store, path = item
        if store.name in failed:
            return store, path, None
        try:
            return store, path, store.digest(aip_key(chosen.folder, path)).sha256
        except StorageError as exc:
            if exc.message_key == MISSING:
                return store, path, None
            failed.add(store.name)
            return store, path, _LocationError.of(exc)
        except Exception as exc:  # noqa: BLE001 - whatever the store raised: reported, never a traceback
            failed.add(store.name)
            return store, path, _LocationError(_describe(exc))

    for store, path, result in pool.map(one, todo):
        if isinstance(result, _LocationError):
            if store.name not in skipped:
                unread.note(store.name, chosen.folder, result)
                skipped.add(store.name)
        elif result is None:
            if store.name not in failed:
                found[store.name][path] = None  # gone since it was listed
        else:
            attempts[store.name][path] = result


@dataclass(frozen=True)
class _Reasons:
    """Per-location reasons, rendered in the message's language."""

    items: tuple[tuple[str, Message], ...]

    def render(self, lang: str) -> str:
        return "; ".join(f"{location}: {reason.render(lang)}" for location, reason in self.items)


def _logged_events(
    stores: list[Store], folder: str, objid: str, summary: RebuildSummary
) -> list[LoggedEvent]:
    """Every event logged for the AIP in any location, once each (by identifier)."""
    found: dict[str, LoggedEvent] = {}
    failed: dict[str, tuple[str, str]] = {}  # log name -> (location, detail)
    read_names: set[str] = set()
    prefix = event_log_prefix(folder)
    for store in stores:
        try:
            keys = [k for k in store.keys(prefix) if k.endswith(".xml")]
        except StorageError as exc:
            summary.error("backup.rebuild.location_unlisted", location=store.name, detail=exc.message("en"))
            continue
        for key in keys:
            name = key[len(prefix) :]
            try:
                with store.open(key) as reader:
                    log = read_event_log(reader.read(MAX_METADATA_BYTES + 1))
            except (StorageError, EventLogError) as exc:
                failed.setdefault(name, (store.name, exc.message("en")))
                continue
            except OSError as exc:
                failed.setdefault(name, (store.name, str(exc)))
                continue
            if log.objid != objid:
                summary.warning(
                    "backup.rebuild.event_log_other_aip", folder, store.name, key=key, found=log.objid
                )
                continue
            read_names.add(name)
            for event in log.events:
                found.setdefault(event.identifier, event)
    for name, (location, detail) in sorted(failed.items()):
        severity = summary.warning if name in read_names else summary.error
        severity("backup.rebuild.event_log_unreadable", folder, location, key=prefix + name, detail=detail)
    return sorted(found.values(), key=lambda e: (e.occurred_at, e.identifier))


def _scan(
    holders: dict[str, list[Store]],
    unread: _Unread,
    pool: Executor,
    progress: Progress | None,
) -> tuple[list[str], dict[str, _Vote]]:
    """Which METS.xml is the original for every AIP, and the restore order: AIPs by creation time then
    OBJID (from the METS taken); folders without one come last (the restore pass reports them)."""
    votes: dict[str, _Vote] = {}
    for done, (folder, stores) in enumerate(holders.items(), start=1):
        votes[folder] = _vote(folder, stores, unread, pool)
        if progress is not None:
            progress("scan", done, len(holders))
    far = datetime.max.replace(tzinfo=UTC)
    headers = sorted(
        (vote.header for vote in votes.values() if vote.header is not None and vote.error is None),
        key=lambda h: (h.created or far, h.objid),
    )
    order = [header.folder for header in headers]
    taken = set(order)
    return [*order, *(folder for folder in votes if folder not in taken)], votes


def rebuild_catalog(
    settings: Settings, stores: list[Store], url: str, *, progress: Progress | None = None
) -> RebuildSummary:
    """Rebuild the empty catalog at ``url`` from the AIPs in ``stores`` (see the module notes)."""
    ensure_schema(url)
    summary = RebuildSummary(url=safe_url(url), locations=[s.name for s in stores])
    engine = engine_for(url).execution_options(sqlite_begin="IMMEDIATE")
    variants = _variants()
    try:
        with (
            ThreadPoolExecutor(max_workers=STAT_THREADS) as pool,
            Session(engine, expire_on_commit=False, autoflush=True) as session,
            session.begin(),
        ):
            refuse_unless_empty(session.connection(), url)
            holders = _discover(stores, summary)
            summary.aips_found = len(holders)
            unread = _Unread()
            order, votes = _scan(holders, unread, pool, progress)
            for done, folder in enumerate(order, start=1):
                chosen = _choose(votes.pop(folder), holders[folder], summary, variants, pool, unread)
                if chosen is not None:
                    readable = [s for s in stores if s.name not in unread.down]
                    _restore(session, settings, readable, holders[folder], chosen, summary)
                session.expunge_all()
                if progress is not None:
                    progress("restore", done, len(order))
            _orphan_logs([s for s in stores if s.name not in unread.down], set(holders), summary)
            unread.report(summary)
            _count(session, summary)
    except SQLAlchemyError as exc:
        raise RebuildError("backup.rebuild.database", url=safe_url(url), detail=_first_line(exc)) from None
    finally:
        engine.dispose()
    return summary


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _plan(session: Session, info: PackageInfo, folder: str, summary: RebuildSummary) -> VersionPlan | None:
    try:
        return plan_version(session, info.arc_file_code, info.record_status)
    except VersionConflict as conflict:
        if conflict.message_key == "ingest.nothing_to_supersede":
            summary.warning(
                "backup.rebuild.version_gap", folder, code=info.arc_file_code, status=info.record_status
            )
            return VersionPlan(1, None, supersede_previous=False)
        summary.error(
            "backup.rebuild.version_conflict",
            folder,
            detail=Message(conflict.message_key, dict(conflict.params)),
        )
        return None


def _restore(
    session: Session,
    settings: Settings,
    stores: list[Store],
    holders: list[Store],
    chosen: _Chosen,
    summary: RebuildSummary,
) -> bool:
    """Record one AIP (in a savepoint: a failure leaves nothing of it); False when it was skipped."""
    aip = chosen.aip
    try:
        info = describe(aip.converted, aip.archive_code or settings.archive_code)
        with session.begin_nested():
            plan = _plan(session, info, aip.folder, summary)
            if plan is None:
                return False
            package, files = commit.add_package(session, info, plan)
            if aip.created is not None:
                package.created_at = aip.created
            by_path = {file.path: file for file in package.files}
            _signature_times(package, by_path, info, aip)
            logged = _logged_events(stores, aip.folder, aip.objid, summary)
            added = _add_logged(session, package, by_path, logged, aip.folder, summary)
            _copies(by_path, holders, chosen, logged, summary)
            session.flush()
    except (SQLAlchemyError, ArchiveRepoError, ValueError, TypeError, KeyError, AttributeError) as exc:
        summary.error("backup.rebuild.aip_failed", aip.folder, aip.store.name, detail=_describe(exc))
        return False
    summary.logged_events += added
    return True


def _signature_times(package: Package, by_path: dict[str, File], info: PackageInfo, aip: _Aip) -> None:
    """A restored signature check is dated by its file's signature validation event, and says where it
    comes from (issuer, serial and the reasons behind its outcome are not in PREMIS)."""
    validated: dict[str, datetime] = {}
    prefix = f"{info.objid}/"
    for event in info.events:
        if event.type != "digital signature validation":
            continue
        moment = _moment(event.date_time)
        for obj in event.objects:
            if moment is not None and obj.identifier.value.startswith(prefix):
                validated.setdefault(obj.identifier.value[len(prefix) :], moment)
    for path, file in by_path.items():
        for check in file.signatures:
            when = validated.get(path) or aip.created
            if when is not None:
                check.validated_at = when
            check.details = {**(check.details or {}), "restored_from": "PREMIS signatureInformation"}


_LIMITS = {"identifier": 100, "type": 100, "outcome": 32}
_AGENT_LIMITS = {"agent_identifier": 255, "agent_name": 500, "agent_type": 64, "agent_version": 64}


def _add_logged(
    session: Session,
    package: Package,
    by_path: dict[str, File],
    logged: list[LoggedEvent],
    folder: str,
    summary: RebuildSummary,
) -> int:
    if not logged:
        return 0
    known = {event.identifier for event in package.events}
    candidates = [event for event in logged if event.identifier not in known]
    taken: set[str] = set()
    identifiers = [event.identifier for event in candidates]
    for start in range(0, len(identifiers), 500):
        chunk = identifiers[start : start + 500]
        taken.update(session.scalars(select(PremisEvent.identifier).where(PremisEvent.identifier.in_(chunk))))
    agents: dict[str, PremisAgent] = {}
    added = 0
    for event in candidates:
        too_long = [
            name
            for name, limit in {**_LIMITS, **_AGENT_LIMITS}.items()
            if len(getattr(event, name) or "") > limit
        ]
        if event.identifier in taken or too_long:
            detail = f"too long: {', '.join(too_long)}" if too_long else "identifier used by another AIP"
            summary.warning(
                "backup.rebuild.event_skipped", folder, identifier=event.identifier, detail=detail
            )
            continue
        file = None
        if event.file_path is not None:
            file = by_path.get(event.file_path)
            if file is None:
                summary.warning(
                    "backup.rebuild.event_unknown_file",
                    folder,
                    identifier=event.identifier,
                    path=event.file_path,
                )
        agent = agents.get(event.agent_identifier)
        if agent is None and event.agent_identifier:
            agent = commit.agent_row(
                session,
                premis.PremisAgent(
                    premis.Identifier(premis.ID_LOCAL, event.agent_identifier),
                    event.agent_name,
                    event.agent_type,
                    event.agent_version,
                ),
            )
            agents[event.agent_identifier] = agent
        package.events.append(
            PremisEvent(
                identifier=event.identifier,
                file=file,
                type=event.type,
                occurred_at=event.occurred_at,
                outcome=event.outcome,
                detail=event.detail,
                agent=agent,
                location=event.location,
            )
        )
        added += 1
    return added


def _copies(
    by_path: dict[str, File],
    holders: list[Store],
    chosen: _Chosen,
    logged: list[LoggedEvent],
    summary: RebuildSummary,
) -> None:
    aip = chosen.aip
    history: dict[tuple[str, str], list[LoggedEvent]] = {}
    for event in logged:  # sorted by time
        if event.type in _VERIFYING_EVENTS and event.file_path and event.location:
            history.setdefault((event.file_path, event.location), []).append(event)
    for store in holders:
        if store.name in chosen.unread:
            continue  # the location could not be read: no copy recorded (said once, in the summary)
        here = chosen.found[store.name]
        damaged = chosen.corrupt.get(store.name, set())
        for path, file in by_path.items():
            found = here.get(path)
            if found is None:
                status = "missing"
            elif (
                found.size != file.size
                or path in damaged
                or (found.sha256 and found.sha256 != file.sha256)  # S3: not the object that was written
            ):
                status = "corrupt"
            else:
                status = "ok"
            verified_at = aip.created if status == "ok" else None
            events = history.get((path, store.name), [])
            successes = [e.occurred_at for e in events if e.outcome == premis.SUCCESS]
            if successes and status == "ok":
                verified_at = max([successes[-1], *([verified_at] if verified_at else [])])
            checks = [e for e in events if e.type == "fixity check"]
            if (
                status == "ok"
                and checks
                and checks[-1].outcome == premis.FAILURE
                and (not successes or successes[-1] <= checks[-1].occurred_at)
            ):
                status, verified_at = "corrupt", None
            copy = StorageCopy(
                location=store.name,
                key=aip_key(aip.folder, path),
                status=status,
                verified_at=verified_at,
                version_id=found.version_id if found is not None else None,
                retain_until=found.retain_until if found is not None else None,
            )
            if aip.created is not None:
                copy.created_at = aip.created
            file.copies.append(copy)
    held = {store.name for store in holders}
    for location in summary.locations:
        if location not in held and location not in summary.unlisted:
            summary.warning("backup.rebuild.not_in_location", aip.folder, location)


def _orphan_logs(stores: list[Store], folders: set[str], summary: RebuildSummary) -> None:
    """Event logs of AIP folders no location holds (their events cannot be attached to anything)."""
    for store in stores:
        seen: set[str] = set()
        try:
            for key in store.keys(f"{EVENTS_PREFIX}/"):
                parts = key.split("/")
                if len(parts) >= 3 and parts[1] not in folders and parts[1] not in seen:
                    seen.add(parts[1])
                    summary.warning("backup.rebuild.orphan_event_logs", parts[1], store.name)
        except StorageError as exc:
            summary.error("backup.rebuild.location_unlisted", location=store.name, detail=exc.message("en"))


def _count(session: Session, summary: RebuildSummary) -> None:
    def count(model: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    summary.packages = count(Package)
    summary.documents = count(Document)
    summary.files = count(File)
    summary.events = count(PremisEvent)
    summary.agents = count(PremisAgent)
    summary.signatures = count(SignatureCheck)
    summary.copies = {
        status: n
        for status, n in session.execute(
            select(StorageCopy.status, func.count()).group_by(StorageCopy.status).order_by(StorageCopy.status)
        )
    }
