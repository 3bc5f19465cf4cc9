"""Catalog-ready description of a converted AIP: package, documents and files with their roles."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from archive_repo.ingest.outcome import DocumentInfo, FileInfo, PackageInfo
from archive_repo.packages.convert import AipFile, ConvertedAip

_TITLE = {"doc": "subject", "pic": "imageTitle", "media": "movieTitle"}
_TYPE = {"doc": "typeName", "pic": "typePic", "media": "typeMedia"}
_DATE = {"doc": "issuedDate", "pic": "photoTime", "media": "recordDate"}
_YEAR = re.compile(r"^(19|20)\d{2}$")


def file_role(path: str) -> str:
    name = PurePosixPath(path).name
    if name == "METS.xml":
        return "mets"
    if path.startswith("schemas/"):
        return "schema"
    if path.startswith("documentation/"):
        return "documentation"
    if "/metadata/preservation/" in f"/{path}":
        return "premis"
    if "/metadata/" in f"/{path}":
        return "metadata"
    return "data"


def agency_of(file_code: str) -> str | None:
    """The agency identifier that starts a TT05 fileCode: what precedes the year (``H49.64.33.2024.15``)."""
    parts = file_code.split(".")
    for index in range(len(parts) - 2, 0, -1):
        if _YEAR.match(parts[index]):
            return ".".join(parts[:index])
    return None


def _file_info(aip_file: AipFile) -> FileInfo:
    info = FileInfo(
        aip_file.path, aip_file.size, aip_file.sha256, aip_file.mimetype, file_role(aip_file.path)
    )
    facts = aip_file.facts
    if facts is not None:
        if facts.format is not None and facts.format.puid:
            info.puid = facts.format.puid
            info.format_name = facts.format.name
            info.format_version = facts.format.version
        info.characteristics = facts.characteristics
        info.signatures = list(facts.signature_records)
    return info


def describe(aip: ConvertedAip, archive_code: str) -> PackageInfo:
    fields = aip.package_fields
    file_code = aip.arc_file_code.removeprefix(f"{archive_code}.")
    documents = []
    for index, document in enumerate(aip.documents, start=1):
        values = {"docId": document.doc_id, **document.fields}
        ordinal = values.get("docOrdinal", "")
        documents.append(
            DocumentInfo(
                ordinal=int(ordinal) if ordinal.isdigit() else index,
                code=values.get("docCode"),
                kind=document.kind,
                title=values.get(_TITLE[document.kind], ""),
                type_code=values.get(_TYPE[document.kind]),
                issued_date=values.get(_DATE[document.kind]),
                mode=values.get("mode"),
                fields=values,
                record_path=document.record_path,
                content_path=document.content_path,
            )
        )
    files = [_file_info(f) for f in aip.files]
    return PackageInfo(
        objid=aip.objid,
        sip_objid=aip.sip_objid,
        folder=aip.folder.name,
        variant=aip.profile,
        arc_file_code=aip.arc_file_code,
        record_status=aip.record_status,
        fonds_code=aip.fonds,
        agency_code=agency_of(file_code),
        agency_name=None,
        title=fields.get("title", ""),
        start_date=fields.get("startDate"),
        end_date=fields.get("endDate"),
        mode=fields.get("mode"),
        fields=fields,
        documents=documents,
        files=files,
        events=aip.events,
        agents=aip.agents,
        unresolved_holey=aip.unresolved_holey,
    )
