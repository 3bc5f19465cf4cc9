"""Turn a SIP description and its files into a TT05 SIP folder (and optionally a ZIP)."""

from __future__ import annotations

import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from archive_repo.formats import mimetype_for
from archive_repo.hashing import copy_with_digest, write_with_digest
from archive_repo.packages.ead import write_record
from archive_repo.packages.mets import CSIP_NS, CSIP_PROFILE, METS_NS, XLINK_NS
from archive_repo.packages.mets_writer import (
    DocumentEntry,
    FileRecord,
    Header,
    representation_mets,
    root_mets,
    timestamp,
)
from archive_repo.resources import package_xsd_dir
from archive_repo.sip.description import DescriptionError, DocumentDescription, SipDescription
from archive_repo.storage.export import compression_for
from archive_repo.validation.profiles import Profile, load_profile
from archive_repo.validation.xsd import mets_schema_file

REP = "representations/rep1"
_INHERITED = ("maintenance", "mode", "language", "riskRecovery", "riskRecoveryStatus")
_METS_TYPE = {"hoso": "Mixed", "tailieu": "Collection"}


@dataclass
class BuiltSip:
    folder: Path
    objid: str
    zip_path: Path | None = None


def build_sip(description: SipDescription, out_dir: Path, make_zip: bool = False) -> BuiltSip:
    profile = load_profile(description.variant)
    objid = description.objid or f"uuid-{str(uuid.uuid4()).upper()}"
    folder = out_dir / objid
    if folder.exists():
        raise DescriptionError("sip.output_exists", path=str(folder))
    staging = out_dir / f".{objid}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _write_package(description, profile, objid, staging)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    built = BuiltSip(folder, objid)
    if make_zip:
        built.zip_path = zip_folder(folder, out_dir / f"{objid}.zip")
    return built


def zip_folder(folder: Path, target: Path, fixed_time: tuple[int, ...] | None = None) -> Path:
    """ZIP a package with its folder as the single top entry, as agencies transfer them.

    ``fixed_time`` (a ZIP date_time tuple) makes the archive byte-reproducible, e.g. for examples.
    """
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            info = zipfile.ZipInfo.from_file(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
            info.compress_type = compression_for(path.name)  # PDFs, images… are stored: deflate gains nothing
            if fixed_time is not None:
                info.date_time = fixed_time
                info.external_attr = 0o644 << 16
            with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
    partial.replace(target)
    return target


def _ordered(fields: dict[str, str], profile: Profile, kind: str) -> dict[str, str]:
    """Fields in the profile's order, then any the profile does not know (the validator reports those)."""
    spec = profile.records[kind].fields
    ordered = {name: fields[name] for name in spec if name in fields}
    ordered.update({k: v for k, v in fields.items() if k not in ordered})
    return ordered


def complete_documents(description: SipDescription, profile: Profile) -> list[dict[str, str]]:
    """Fill what can be derived: codes from the dossier code and ordinal, inherited dossier fields."""
    dossier = description.package
    dossier_code = dossier.get("fileCode", "")
    completed = []
    for ordinal, document in enumerate(description.documents, start=1):
        fields = dict(document.fields)
        spec = profile.records[document.kind].fields
        if "docCode" in spec and "docCode" not in fields and dossier_code:
            fields["docCode"] = f"{dossier_code}.{ordinal:07d}"
        if "docId" in spec and "docId" not in fields and dossier_code:
            fields["docId"] = f"{dossier_code}.{ordinal}"
        for name in _INHERITED:
            if name in spec and name not in fields and dossier.get(name):
                fields[name] = dossier[name]
        completed.append(_ordered(fields, profile, document.kind))
    return completed


def _identifier(document: DocumentDescription, fields: dict[str, str]) -> str:
    identifier = fields.get("docId") or fields.get("docCode")
    if not identifier:
        raise DescriptionError("sip.no_identifier", where=document.where)
    if "/" in identifier or "\\" in identifier or identifier in (".", ".."):
        raise DescriptionError("sip.bad_identifier", where=document.where, identifier=identifier)
    return identifier


def _write_package(description: SipDescription, profile: Profile, objid: str, root: Path) -> None:
    created = description.created or timestamp()
    (root / REP / "data").mkdir(parents=True)
    (root / REP / "metadata/descriptive").mkdir(parents=True)
    (root / "metadata/descriptive").mkdir(parents=True)
    (root / "schemas").mkdir()
    entries: list[DocumentEntry] = []
    used_kinds = set()
    for document, fields in zip(description.documents, complete_documents(description, profile), strict=True):
        identifier = _identifier(document, fields)
        used_kinds.add(document.kind)
        if document.holey:
            content_name = f"{identifier}.fetch.txt"
            size, digest = write_with_digest(
                (document.holey + "\n").encode(), root / REP / "data" / content_name
            )
        else:
            assert document.file is not None
            content_name = identifier + document.file.suffix.lower()
            try:
                size, digest = copy_with_digest(document.file, root / REP / "data" / content_name)
            except FileExistsError:
                raise DescriptionError(
                    "sip.duplicate_identifier", where=document.where, identifier=identifier
                ) from None
        content = FileRecord(f"data/{content_name}", size, digest, mimetype_for(content_name), created)
        record_name = f"EAD_{document.kind.upper()}_{identifier}.xml"
        try:
            size, digest = write_with_digest(
                write_record(fields), root / REP / "metadata/descriptive" / record_name
            )
        except FileExistsError:
            raise DescriptionError(
                "sip.duplicate_identifier", where=document.where, identifier=identifier
            ) from None
        record = FileRecord(f"metadata/descriptive/{record_name}", size, digest, "application/xml", created)
        entries.append(DocumentEntry(record=record, content=content, holey=bool(document.holey)))
    package_fields = dict(description.package)
    if "totalDoc" in profile.records["package"].fields and "totalDoc" not in package_fields:
        package_fields["totalDoc"] = str(len(entries))
    header = Header(
        objid=objid,
        mets_type=_METS_TYPE[profile.variant],
        profile=CSIP_PROFILE,
        package_type="SIP",
        fonds_code=description.fonds_code,
        record_status=description.record_status,
        created=created,
        submission_agreement=package_fields.get("fileCode"),
    )
    if description.software:
        header.software = description.software
    rep_header = Header(**{**header.__dict__, "objid": "rep1", "submission_agreement": None})
    size, digest = write_with_digest(
        representation_mets(rep_header, entries, "ORIGINAL"), root / REP / "METS.xml"
    )
    rep_mets = FileRecord(f"{REP}/METS.xml", size, digest, "application/xml", created)
    size, digest = write_with_digest(
        write_record(_ordered(package_fields, profile, "package")), root / "metadata/descriptive/EAD.xml"
    )
    package_record = FileRecord("metadata/descriptive/EAD.xml", size, digest, "application/xml", created)
    schemas = copy_schemas(profile, used_kinds, root / "schemas", created)
    schema_hrefs = {
        METS_NS: "schemas/mets.xsd",
        XLINK_NS: "schemas/xlink.xsd",
        CSIP_NS: "schemas/DILCISExtensionMETS.xsd",
    }
    write_with_digest(
        root_mets(header, package_record, schemas, rep_mets, schema_hrefs=schema_hrefs), root / "METS.xml"
    )


def copy_schemas(profile: Profile, kinds: set[str], folder: Path, created: str) -> list[FileRecord]:
    sources = {
        "mets.xsd": mets_schema_file(),
        "xlink.xsd": package_xsd_dir() / "xlink.xsd",
        "DILCISExtensionMETS.xsd": package_xsd_dir() / "csip-extension.xsd",
    }
    for kind in ["package", *sorted(kinds)]:
        schema = profile.records[kind].schema
        if schema is not None:
            sources[schema.name] = schema
    records = []
    for name, source in sources.items():
        size, digest = copy_with_digest(source, folder / name)
        records.append(FileRecord(f"schemas/{name}", size, digest, "application/octet-stream", created))
    return records
