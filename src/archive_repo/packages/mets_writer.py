"""Write TT05 / CSIP METS files (root and representation) the way real TT05 systems do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from lxml import etree

from archive_repo import SOFTWARE_NAME, __version__
from archive_repo.packages.mets import (
    CONTENTINFORMATIONTYPE,
    CSIP_NS,
    HREF,
    METS_NS,
    NOTETYPE,
    OAISPACKAGETYPE,
    SIP_NS,
    XLINK_NS,
    XSI_NS,
    m,
)

VIETNAM = timezone(timedelta(hours=7))
_XLINK_TYPE = f"{{{XLINK_NS}}}type"
_NSMAP = {"mets": METS_NS, "xlink": XLINK_NS, "xsi": XSI_NS, "csip": CSIP_NS, "sip": SIP_NS}


_id_counter: list[int] | None = None
_id_namespace = uuid.NAMESPACE_URL


def new_id(prefix: str = "uuid-") -> str:
    if _id_counter is None:
        return f"{prefix}{str(uuid.uuid4()).upper()}"
    _id_counter[0] += 1
    return f"{prefix}{str(uuid.uuid5(_id_namespace, str(_id_counter[0]))).upper()}"


@contextmanager
def deterministic_ids(seed: str) -> Iterator[None]:
    """Make METS IDs reproducible (for shipped examples and tests), never for real packages."""
    global _id_counter, _id_namespace
    _id_counter, _id_namespace = [0], uuid.uuid5(uuid.NAMESPACE_URL, seed)
    try:
        yield
    finally:
        _id_counter, _id_namespace = None, uuid.NAMESPACE_URL


def timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 with milliseconds and the +07:00 offset, as TT05 packages carry it."""
    moment = (moment or datetime.now(VIETNAM)).astimezone(VIETNAM)
    return moment.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class FileRecord:
    """A file the METS lists, with the fixity measured when it was written or copied."""

    href: str  # relative to the folder of the METS that lists it
    size: int
    sha256: str
    mimetype: str
    created: str


@dataclass(frozen=True)
class DocumentEntry:
    record: FileRecord  # EAD_DOC_/EAD_PIC_/EAD_MEDIA_ metadata record
    content: FileRecord  # the document file, or its .fetch.txt holey reference
    holey: bool = False
    premis_id: str | None = None  # AIP: the PREMIS object the document's ADMID points to


@dataclass
class Header:
    objid: str
    mets_type: str  # Mixed | Collection | MIXED
    profile: str
    package_type: str  # SIP | AIP | DIP
    fonds_code: str
    record_status: str = "NEW"
    created: str = field(default_factory=timestamp)
    submission_agreement: str | None = None  # the dossier's fileCode, as real SIPs carry it
    software: str = f"{SOFTWARE_NAME} {__version__}"


def _root_element(header: Header, schema_hrefs: dict[str, str] | None) -> etree._Element:
    root = etree.Element(m("mets"), nsmap=_NSMAP)
    root.set("OBJID", header.objid)
    root.set("TYPE", header.mets_type)
    root.set(CONTENTINFORMATIONTYPE, "MIXED")
    root.set("PROFILE", header.profile)
    if schema_hrefs:
        root.set(f"{{{XSI_NS}}}schemaLocation", " ".join(f"{ns} {href}" for ns, href in schema_hrefs.items()))
    hdr = etree.SubElement(
        root,
        m("metsHdr"),
        CREATEDATE=header.created,
        LASTMODDATE=header.created,
        RECORDSTATUS=header.record_status,
    )
    hdr.set(OAISPACKAGETYPE, header.package_type)
    agent = etree.SubElement(hdr, m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    etree.SubElement(agent, m("name")).text = header.software
    note = etree.SubElement(agent, m("note"))
    note.set(NOTETYPE, "IDENTIFICATIONCODE")
    note.text = header.fonds_code
    if header.submission_agreement:
        alt = etree.SubElement(hdr, m("altRecordID"), TYPE="SUBMISSIONAGREEMENT")
        alt.text = header.submission_agreement
    return root


def _fixity(element: etree._Element, record: FileRecord) -> None:
    element.set("MIMETYPE", record.mimetype)
    element.set("SIZE", str(record.size))
    element.set("CREATED", record.created)
    element.set("CHECKSUMTYPE", "SHA-256")
    element.set("CHECKSUM", record.sha256.upper())


def _dmd_sec(parent: etree._Element, record: FileRecord, identifier: str) -> None:
    sec = etree.SubElement(parent, m("dmdSec"), ID=identifier, CREATED=record.created)
    ref = etree.SubElement(sec, m("mdRef"), LOCTYPE="URL", MDTYPE="DC", MDTYPEVERSION="1.1")
    ref.set(_XLINK_TYPE, "simple")
    ref.set(HREF, record.href)
    _fixity(ref, record)


def _amd_sec(parent: etree._Element, premis: FileRecord | None) -> str:
    identifier = new_id()
    sec = etree.SubElement(parent, m("amdSec"), ID=identifier)
    if premis is not None:
        digiprov_id = new_id()
        digiprov = etree.SubElement(sec, m("digiprovMD"), ID=digiprov_id, CREATED=premis.created)
        ref = etree.SubElement(digiprov, m("mdRef"), LOCTYPE="URL", MDTYPE="PREMIS", MDTYPEVERSION="3.0")
        ref.set(_XLINK_TYPE, "simple")
        ref.set(HREF, premis.href)
        _fixity(ref, premis)
        return digiprov_id
    return identifier


def _file(group: etree._Element, record: FileRecord) -> str:
    identifier = new_id("ID-")
    element = etree.SubElement(group, m("file"), ID=identifier)
    _fixity(element, record)
    flocat = etree.SubElement(element, m("FLocat"), LOCTYPE="URL")
    flocat.set(_XLINK_TYPE, "simple")
    flocat.set(HREF, record.href)
    return identifier


def _div(parent: etree._Element, label: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, m("div"), ID=new_id(), LABEL=label, **attributes)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def root_mets(
    header: Header,
    package_record: FileRecord,
    schemas: list[FileRecord],
    representation_mets: FileRecord,
    premis: FileRecord | None = None,
    documentation: list[FileRecord] | None = None,
    schema_hrefs: dict[str, str] | None = None,
) -> bytes:
    root = _root_element(header, schema_hrefs)
    dmd_id = new_id()
    _dmd_sec(root, package_record, dmd_id)
    adm_id = _amd_sec(root, premis)
    file_sec = etree.SubElement(root, m("fileSec"), ID=new_id())
    schema_ids = []
    if schemas:
        group = etree.SubElement(file_sec, m("fileGrp"), ID=new_id(), USE="Schemas")
        schema_ids = [_file(group, record) for record in schemas]
    documentation_ids = []
    if documentation:
        group = etree.SubElement(file_sec, m("fileGrp"), ID=new_id(), USE="Documentation")
        documentation_ids = [_file(group, record) for record in documentation]
    rep_group = etree.SubElement(file_sec, m("fileGrp"), ID=new_id(), USE="Representations/rep1")
    rep_file_id = _file(rep_group, representation_mets)
    struct_map = etree.SubElement(root, m("structMap"), ID=new_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = _div(struct_map, header.objid)
    metadata_attributes = {"DMDID": dmd_id}
    if premis is not None:
        metadata_attributes["ADMID"] = adm_id
    _div(top, "Metadata", **metadata_attributes)
    if schema_ids:
        schemas_div = _div(top, "Schemas")
        for identifier in schema_ids:
            etree.SubElement(schemas_div, m("fptr"), FILEID=identifier)
    if documentation_ids:
        documentation_div = _div(top, "Documentation")
        for identifier in documentation_ids:
            etree.SubElement(documentation_div, m("fptr"), FILEID=identifier)
    rep_div = _div(top, "Representations/rep1")
    mptr = etree.SubElement(rep_div, m("mptr"), LOCTYPE="URL")  # METS wants mptr before fptr
    mptr.set(_XLINK_TYPE, "simple")
    mptr.set(HREF, representation_mets.href)
    etree.SubElement(rep_div, m("fptr"), FILEID=rep_file_id)
    return _serialise(root)


def representation_mets(
    header: Header, documents: list[DocumentEntry], division_type: str, premis: FileRecord | None = None
) -> bytes:
    root = _root_element(header, None)
    dmd_ids = []
    for document in documents:
        identifier = new_id()
        _dmd_sec(root, document.record, identifier)
        dmd_ids.append(identifier)
    adm_id = _amd_sec(root, premis)
    file_sec = etree.SubElement(root, m("fileSec"), ID=new_id())
    data_group = etree.SubElement(file_sec, m("fileGrp"), ID=new_id(), USE="Data")
    holey = [d for d in documents if d.holey]
    holey_group = etree.SubElement(file_sec, m("fileGrp"), ID=new_id(), USE="Holeyfile") if holey else None
    file_ids = [
        _file(holey_group if d.holey and holey_group is not None else data_group, d.content)
        for d in documents
    ]
    if not len(data_group):
        file_sec.remove(data_group)
    struct_map = etree.SubElement(root, m("structMap"), ID=new_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = _div(struct_map, "rep1", TYPE=division_type)
    data_div = _div(top, "Data")
    for document, identifier in zip(documents, file_ids, strict=True):
        if not document.holey:
            etree.SubElement(data_div, m("fptr"), FILEID=identifier)
    link_div = _div(top, "MetadataLink")
    for document, dmd_id, file_id in zip(documents, dmd_ids, file_ids, strict=True):
        attributes = {"DMDID": dmd_id}
        if premis is not None:
            attributes["ADMID"] = adm_id
        link = _div(link_div, "MetadataLink/Holey" if document.holey else "MetadataLink/File", **attributes)
        etree.SubElement(link, m("fptr"), FILEID=file_id)
    return _serialise(root)
