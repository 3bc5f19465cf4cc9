"""The certified DIP (TT05 art. 42, annex V): the originals a researcher asked for, byte for byte, in an
E-ARK DIP folder and ZIP, with the archive's signed PDF/A certificate.

Layout (annex V, a profile of E-ARK CSIP / DIP)::

    uuid-<UUID>/                                  the OBJID, which has no ':' to replace
      METS.xml                                    MIXED, E-ARK-DIP profile, OAISPACKAGETYPE DIP
      metadata/descriptive/EAD.xml                the access request (simpledc, 7 fields)
      metadata/preservation/PREMIS.xml            the DIP, its representation, the certificate, the
                                                  dissemination event, the agents
      representations/rep1/METS.xml
      representations/rep1/data/<name>            each original, under its file name in the AIP
      representations/rep1/metadata/descriptive/EAD_DOC_<stem>.xml  (EAD_PIC_ / EAD_MEDIA_ by kind)
      representations/rep1/metadata/preservation/PREMIS_rep1.xml    one file object per original
      schemas/                                    METS, xlink, CSIP extension, DIP/EAD.xsd, DIP/ead_*.xsd
      documentation/certificate.pdf               the signed certificate (root fileGrp Documentation)

Policies where the brief leaves the choice to the project:

- **Originals** are copied byte for byte (so the agencies' own signatures still validate) and hashed
  while copying; a SHA-256 or size different from what the caller's :class:`DipFile` says refuses the
  whole DIP. One data file per document (an AIP document has one); a document with none or several is
  refused. Files keep their AIP file name; two documents with the same file name are refused.
- **Document records** (annex V): the AIP record's fields the DIP profile defines, plus ``arcDocCode`` =
  ``arc_file_code`` + ``.`` + the 7-digit ordinal (``docOrdinal``, else the ordinal ending ``docCode``);
  ``maintenance``, ``mode``, ``language``, ``riskRecovery`` and ``riskRecoveryStatus`` default from the
  dossier record when the document lacks them. Dropped: ``organName``, ``docCode``, ``docOrdinal``,
  ``arcFileCode`` and whatever else the DIP profile does not define; ``docId`` is kept only when it
  equals the file's stem (the record's name). A required field still missing refuses the DIP.
- **Fonds note** of the METS creator agent: the fonds of the source AIPs (``urn:<fonds>:uuid-…``) when
  they share one, else the archive's code.
- **PREMIS.** Each data file: fixity, size, format (PUID when known), original name = its path in the
  AIP, ``structural / is included in`` the representation and ``derivation / has source`` the AIP file
  (``<AIP OBJID>/<path>``, the identifier the AIP's own PREMIS gives it), and a *fixity check* event
  (the digest compared while copying). The DIP (intellectual entity) and its representation have
  ``derivation / has source`` relations to the source AIPs and their representations. The certificate is
  a file object (PDF/A-2b, fmt/477). One *dissemination* event: outcome success, the software (executing
  program) and the archive (implementer) as agents, the source AIPs (role ``source``), the DIP and the
  certificate (role ``outcome``); its detail names the request and the authentication code.
- **Authentication code** (item 1 of art. 42.2): the first 20 Base32 characters, in groups of five, of
  a SHA-256 over the DIP OBJID and the ``<sha256>  <path>`` lines of its data files (sorted by path):
  unique because the OBJID is, printable, and anyone holding the DIP can recompute it
  (:func:`authentication_code`).
- **Atomicity.** Everything is written to ``.<objid>.partial`` beside the target and renamed at the
  end, then zipped (``<objid>.zip``, written to a temporary name and renamed). On any failure the staging
  folder, and a folder whose ZIP could not be made, are removed: nothing half-done stays visible.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from archive_repo.access.certificate import CertificateFacts, CertifiedOriginal, write_certificate
from archive_repo.access.errors import AccessError
from archive_repo.access.signing import ArchiveSigner
from archive_repo.hashing import CHUNK, hash_file, write_with_digest
from archive_repo.i18n import LANGUAGES
from archive_repo.packages.convert import PACKAGE_EAD, REP1, REP_PREMIS, ROOT_PREMIS
from archive_repo.packages.ead import write_record
from archive_repo.packages.mets import CSIP_NS, CSIP_PROFILE, DIP_PROFILE, METS_NS, XLINK_NS
from archive_repo.packages.mets_writer import (
    DocumentEntry,
    FileRecord,
    Header,
    representation_mets,
    root_mets,
    timestamp,
)
from archive_repo.packages.premis import (
    FILE,
    ID_LOCAL,
    ID_OBJID,
    INTELLECTUAL_ENTITY,
    REPRESENTATION,
    ROLE_EXECUTING_PROGRAM,
    ROLE_IMPLEMENTER,
    ROLE_OUTCOME,
    ROLE_SOURCE,
    SUCCESS,
    Format,
    Identifier,
    LinkingObject,
    PremisAgent,
    PremisDocument,
    PremisEvent,
    PremisObject,
    Relationship,
    linking,
    organization_agent,
    premis_xml,
    software_agent,
)
from archive_repo.sip.builder import copy_schemas, zip_folder
from archive_repo.validation.profiles import Profile, RecordSpec, load_codes, load_profile

CERTIFICATE = "documentation/certificate.pdf"
RECORD_PREFIXES = {"doc": "EAD_DOC_", "pic": "EAD_PIC_", "media": "EAD_MEDIA_"}
TITLE_FIELDS = {"doc": "subject", "pic": "imageTitle", "media": "movieTitle"}
INHERITED = ("maintenance", "mode", "language", "riskRecovery", "riskRecoveryStatus")
CERTIFICATE_FORMAT = Format(
    name="Acrobat PDF/A - Portable Document Format",
    version="2b",
    puid="fmt/477",
    note="MIME type: application/pdf",
)
SCHEMA_HREFS = {
    METS_NS: "schemas/mets.xsd",
    XLINK_NS: "schemas/xlink.xsd",
    CSIP_NS: "schemas/DILCISExtensionMETS.xsd",
}
_ORDINAL = re.compile(r"^.+\.(?P<ordinal>\d{7})$")
_AIP_FONDS = re.compile(r"^urn:(?P<fonds>[^:\s]+):uuid-")


@dataclass(frozen=True)
class DipRequest:
    """The access request (the annex V package record) and what the certificate states about it."""

    request_id: str  # e.g. "YC-2026-000012"
    request_date: date
    purpose: str  # code 01|02|03
    purpose_content: str | None
    fee_object_type: str  # code 01..10
    research_topic: str | None
    description: str | None
    recipient_name: str
    recipient_id: str  # citizen ID / identity document number
    issued_on: date
    valid_until: date
    copies: int = 1
    recipient_id_kind: str = "cccd"  # cccd | passport | other: how item 3 names the number


@dataclass(frozen=True)
class DipFile:
    """One original, already fetched from storage and verified by the caller."""

    local_path: Path
    source_path: str  # its path inside the AIP, e.g. "representations/rep1/data/H49.64.33.2024.31.1.pdf"
    size: int
    sha256: str  # lowercase hex
    mimetype: str
    puid: str | None
    format_name: str | None


@dataclass(frozen=True)
class DipDocument:
    source_objid: str  # the AIP's OBJID, e.g. "urn:G09:uuid-7067204B-…"
    arc_file_code: str  # the AIP dossier's arcFileCode, e.g. "LTLSHG.H49.64.33.2024.31"
    kind: str  # "doc" | "pic" | "media"
    fields: dict[str, str]  # the AIP document record
    dossier_fields: dict[str, str]  # the AIP package record (defaults for maintenance, riskRecovery, …)
    files: tuple[DipFile, ...]  # normally one data file


@dataclass(frozen=True)
class BuiltDip:
    folder: Path
    zip_path: Path
    objid: str  # "uuid-<UPPERCASE UUID>"
    certificate: Path  # the signed certificate PDF, inside the DIP under documentation/
    authentication_code: str


def build_dip(
    request: DipRequest,
    documents: Sequence[DipDocument],
    out_dir: Path,
    *,
    archive_code: str,
    archive_name: str,
    signer: ArchiveSigner,
    lang: str = "vi",
) -> BuiltDip:
    """Write the certified DIP of ``documents`` for ``request`` into ``out_dir`` (folder and ZIP); see the
    module notes. Raises AccessError, leaving nothing behind, when it cannot."""
    if lang not in LANGUAGES:
        raise AccessError("access_dip.bad_language", lang=lang)
    profile = load_profile("DIP")
    request_fields = request_record(request, profile.records["package"])
    planned = _plan_documents(request, documents, profile)
    objid = f"uuid-{str(uuid.uuid4()).upper()}"
    folder = out_dir / objid
    staging = out_dir / f".{objid}.partial"
    writer = _DipWriter(
        request=request,
        request_fields=request_fields,
        documents=planned,
        profile=profile,
        objid=objid,
        root=staging,
        archive=organization_agent(archive_code, archive_name),
        archive_code=archive_code,
        archive_name=archive_name,
        signer=signer,
        lang=lang,
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            raise AccessError("access_dip.output_exists", path=str(folder))
        try:
            code = writer.write()
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise AccessError("access_dip.io_failed", path=str(folder), detail=exc.strerror or str(exc)) from exc
    zip_path = _zip_or_remove(folder, out_dir / f"{objid}.zip")
    return BuiltDip(folder, zip_path, objid, folder / CERTIFICATE, code)


def _zip_or_remove(folder: Path, target: Path) -> Path:
    try:
        return zip_folder(folder, target)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        target.with_suffix(".zip.partial").unlink(missing_ok=True)
        raise AccessError("access_dip.io_failed", path=str(target), detail=exc.strerror or str(exc)) from exc


def authentication_code(objid: str, data_files: Iterable[tuple[str, str]]) -> str:
    """Item 1 of art. 42.2, ``XXXXX-XXXXX-XXXXX-XXXXX``, from the DIP OBJID and its data files'
    (path in the DIP, SHA-256)."""
    lines = [objid, *(f"{sha256.lower()}  {path}" for path, sha256 in sorted(data_files))]
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).digest()
    text = base64.b32encode(digest).decode("ascii")[:20]
    return "-".join(text[start : start + 5] for start in range(0, len(text), 5))


# --------------------------------------------------------------------------------------------------
# metadata: checked and composed before anything is written


def request_record(request: DipRequest, spec: RecordSpec) -> dict[str, str]:
    """The annex V package record (EAD.xml) of the request in profile order, without empty optional fields."""
    _check_request(request)
    values = {
        "requestID": request.request_id,
        "requestDate": f"{request.request_date:%d/%m/%Y}",
        "purpose": request.purpose,
        "purposeContent": request.purpose_content,
        "feeObjectType": request.fee_object_type,
        "researchTopic": request.research_topic,
        "description": request.description,
    }
    present = {name: value.strip() for name, value in values.items() if value and value.strip()}
    return {name: present[name] for name in spec.fields if name in present}


def _check_request(request: DipRequest) -> None:
    shown = request.request_id or "-"
    for name, value in (
        ("request_id", request.request_id),
        ("recipient_name", request.recipient_name),
        ("recipient_id", request.recipient_id),
    ):
        if not (value or "").strip():
            raise AccessError("access_dip.request_incomplete", request=shown, field=name)
    codes = load_codes()
    for name, table, value in (
        ("purpose", "purpose", request.purpose),
        ("feeObjectType", "feeObjectType", request.fee_object_type),
    ):
        if value not in codes.get(table, {}):
            raise AccessError("access_dip.bad_code", request=shown, field=name, value=value)
    if request.copies < 1:
        raise AccessError("access_dip.bad_copies", request=shown, copies=request.copies)
    if request.valid_until < request.issued_on:
        raise AccessError(
            "access_dip.bad_validity",
            request=shown,
            valid_until=request.valid_until.isoformat(),
            issued_on=request.issued_on.isoformat(),
        )


@dataclass(frozen=True)
class _Planned:
    """One document as it will sit in the DIP."""

    source: DipDocument
    file: DipFile
    name: str  # the data file's name in representations/rep1/data/
    record_name: str  # EAD_DOC_<stem>.xml …
    fields: dict[str, str]  # the DIP document record, in profile order

    @property
    def data_path(self) -> str:
        return f"{REP1}/data/{self.name}"

    @property
    def arc_doc_code(self) -> str:
        return self.fields["arcDocCode"]


def _plan_documents(
    request: DipRequest, documents: Sequence[DipDocument], profile: Profile
) -> list[_Planned]:
    if not documents:
        raise AccessError("access_dip.no_documents", request=request.request_id)
    planned: list[_Planned] = []
    names: dict[str, str] = {}
    for document in documents:
        one = _plan(document, profile)
        if one.name in names:
            raise AccessError(
                "access_dip.duplicate_file", name=one.name, first=names[one.name], second=one.arc_doc_code
            )
        names[one.name] = one.arc_doc_code
        planned.append(one)
    return planned


def _plan(document: DipDocument, profile: Profile) -> _Planned:
    shown = _describe(document)
    spec = profile.records.get(document.kind) if document.kind in RECORD_PREFIXES else None
    if spec is None:
        raise AccessError("access_dip.unknown_kind", document=shown, kind=document.kind)
    if len(document.files) != 1:
        key = "access_dip.no_files" if not document.files else "access_dip.several_files"
        raise AccessError(key, document=shown, objid=document.source_objid, count=len(document.files))
    data_file = document.files[0]
    name = _data_name(data_file, document.source_objid)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    fields = document_record(document, spec, stem)
    return _Planned(document, data_file, name, f"{RECORD_PREFIXES[document.kind]}{stem}.xml", fields)


def _describe(document: DipDocument) -> str:
    code = (document.fields.get("docCode") or "").strip()
    if code:
        return code
    path = document.files[0].source_path if document.files else "-"
    return f"{document.source_objid}/{path}"


def _data_name(data_file: DipFile, objid: str) -> str:
    name = PurePosixPath(data_file.source_path).name
    if not name or name in (".", "..") or name.startswith(".") or "\\" in name or name.endswith(".fetch.txt"):
        raise AccessError("access_dip.bad_file_name", path=data_file.source_path, objid=objid)
    return name


def document_record(document: DipDocument, spec: RecordSpec, stem: str) -> dict[str, str]:
    """The annex V document record of an AIP document (see the module notes), in profile order."""
    values = {name: value.strip() for name, value in document.fields.items() if value and value.strip()}
    values["arcDocCode"] = arc_doc_code(document)
    if values.get("docId") != stem:
        values.pop("docId", None)  # a docId that disagrees with the file name would make the DIP invalid
    for name in INHERITED:
        inherited = (document.dossier_fields.get(name) or "").strip()
        if name not in values and inherited:
            values[name] = inherited
    record = {name: values[name] for name in spec.fields if name in values}
    for name, field_spec in spec.fields.items():
        required = field_spec.required or any(
            record.get(other) in accepted for other, accepted in field_spec.required_when.items()
        )
        if required and name not in record:
            raise AccessError("access_dip.missing_field", document=record["arcDocCode"], field=name)
    return record


def arc_doc_code(document: DipDocument) -> str:
    """``<arcFileCode>.<7-digit ordinal>``, the ordinal from docOrdinal or else from the end of docCode."""
    arc_file_code = (document.arc_file_code or "").strip()
    if not arc_file_code:
        raise AccessError("access_dip.missing_field", document=_describe(document), field="arcFileCode")
    ordinal = (document.fields.get("docOrdinal") or "").strip()
    if not ordinal.isdigit():
        match = _ORDINAL.match((document.fields.get("docCode") or "").strip())
        if match is None:
            raise AccessError(
                "access_dip.no_ordinal", document=_describe(document), arc_file_code=arc_file_code
            )
        ordinal = match.group("ordinal")
    return f"{arc_file_code}.{int(ordinal):07d}"


def fonds_code(documents: Iterable[DipDocument], archive_code: str) -> str:
    found = {match.group("fonds") for d in documents if (match := _AIP_FONDS.match(d.source_objid))}
    return found.pop() if len(found) == 1 else archive_code


def _certified_original(planned: _Planned) -> CertifiedOriginal:
    """Items 4-7 of the certificate from a DIP document record."""
    kind, fields = planned.source.kind, planned.fields
    if kind == "doc":
        number, notation, type_code = (
            fields.get("codeNumber"),
            fields.get("codeNotation"),
            fields.get("typeName"),
        )
    else:
        number, notation = fields.get("archivesNumber"), None
        type_code = fields.get("typePic" if kind == "pic" else "typeMedia")
    return CertifiedOriginal(
        kind, planned.arc_doc_code, number, notation, type_code, fields.get(TITLE_FIELDS[kind])
    )


# --------------------------------------------------------------------------------------------------
# writing


@dataclass
class _DipWriter:
    request: DipRequest
    request_fields: dict[str, str]
    documents: list[_Planned]
    profile: Profile
    objid: str
    root: Path
    archive: PremisAgent
    archive_code: str
    archive_name: str
    signer: ArchiveSigner
    lang: str
    created: str = field(default_factory=timestamp)
    software: PremisAgent = field(default_factory=software_agent)

    @property
    def dip_id(self) -> Identifier:
        return Identifier(ID_OBJID, self.objid)

    @property
    def rep_id(self) -> Identifier:
        return Identifier(ID_LOCAL, f"{self.objid}/{REP1}")

    def file_id(self, relative: str) -> Identifier:
        return Identifier(ID_LOCAL, f"{self.objid}/{relative}")

    def write(self) -> str:
        """Write the whole package into ``root``; the authentication code."""
        for folder in ("data", "metadata/descriptive", "metadata/preservation"):
            (self.root / REP1 / folder).mkdir(parents=True)
        for folder in ("metadata/descriptive", "metadata/preservation", "schemas", "documentation"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        contents = [self._copy_original(planned) for planned in self.documents]
        code = authentication_code(
            self.objid, [(p.data_path, c.sha256) for p, c in zip(self.documents, contents, strict=True)]
        )
        certificate = self._write_certificate(code)
        file_objects = [self._file_object(p, c) for p, c in zip(self.documents, contents, strict=True)]
        rep_mets = self._write_representation(contents, file_objects)
        self._write_root(rep_mets, certificate, file_objects, code)
        return code

    def _write_representation(
        self, contents: list[FileRecord], file_objects: list[PremisObject]
    ) -> FileRecord:
        """The document records, PREMIS_rep1.xml and the representation METS; the METS's FileRecord."""
        records = [self._write_record(planned) for planned in self.documents]
        premis = PremisDocument(objects=file_objects, events=self._fixity_events(), agents=[self.software])
        rep_premis = self._write(f"{REP1}/{REP_PREMIS}", premis_xml(premis), REP_PREMIS)
        entries = [DocumentEntry(r, c) for r, c in zip(records, contents, strict=True)]
        mets = representation_mets(
            self._header(objid="rep1", profile=CSIP_PROFILE), entries, "ORIGINAL", premis=rep_premis
        )
        return self._write(f"{REP1}/METS.xml", mets)

    def _write_root(
        self, rep_mets: FileRecord, certificate: FileRecord, file_objects: list[PremisObject], code: str
    ) -> None:
        """EAD.xml (the request), PREMIS.xml, the schemas and the root METS."""
        package_ead = self._write(PACKAGE_EAD, write_record(self.request_fields, "simpledc"))
        root_premis = self._write(ROOT_PREMIS, self._root_premis(file_objects, certificate, code))
        kinds = {planned.source.kind for planned in self.documents}
        schemas = copy_schemas(self.profile, kinds, self.root / "schemas", self.created)
        mets = root_mets(
            self._header(objid=self.objid, profile=DIP_PROFILE),
            package_ead,
            schemas,
            rep_mets,
            premis=root_premis,
            documentation=[certificate],
            schema_hrefs=SCHEMA_HREFS,
        )
        write_with_digest(mets, self.root / "METS.xml")

    def _header(self, objid: str, profile: str) -> Header:
        return Header(
            objid=objid,
            mets_type=self.profile.mets.types[0],
            profile=profile,
            package_type="DIP",
            fonds_code=fonds_code((p.source for p in self.documents), self.archive_code),
            created=self.created,
        )

    def _write(self, relative: str, data: bytes, href: str | None = None) -> FileRecord:
        """Write a metadata file; its FileRecord with ``href`` (default: ``relative``)."""
        size, digest = write_with_digest(data, self.root / relative)
        return FileRecord(href or relative, size, digest, "application/xml", self.created)

    def _copy_original(self, planned: _Planned) -> FileRecord:
        """Copy the original byte for byte, hashing while copying; refuse it unless it matches."""
        expected = planned.file
        size, digest = _copy_hashed(expected, planned.source.source_objid, self.root / planned.data_path)
        if digest != expected.sha256.lower() or size != expected.size:
            raise AccessError(
                "access_dip.digest_mismatch",
                path=expected.source_path,
                objid=planned.source.source_objid,
                expected=expected.sha256.lower(),
                expected_size=expected.size,
                found=digest,
                found_size=size,
            )
        return FileRecord(f"data/{planned.name}", size, digest, expected.mimetype, self.created)

    def _write_record(self, planned: _Planned) -> FileRecord:
        relative = f"metadata/descriptive/{planned.record_name}"
        return self._write(f"{REP1}/{relative}", write_record(planned.fields, "simpledc"), relative)

    def _write_certificate(self, code: str) -> FileRecord:
        target = self.root / CERTIFICATE
        facts = CertificateFacts(
            authentication_code=code,
            archive_name=self.archive_name,
            dip_objid=self.objid,
            request_id=self.request.request_id,
            recipient_name=self.request.recipient_name,
            recipient_id=self.request.recipient_id,
            recipient_id_kind=self.request.recipient_id_kind,
            purpose=self.request.purpose,
            purpose_content=self.request.purpose_content,
            issued_on=self.request.issued_on,
            valid_until=self.request.valid_until,
            copies=self.request.copies,
            originals=tuple(_certified_original(planned) for planned in self.documents),
        )
        write_certificate(facts, target, self.signer, lang=self.lang)
        size, hashes = hash_file(target)
        return FileRecord(CERTIFICATE, size, hashes["sha256"], "application/pdf", self.created)

    # PREMIS ----------------------------------------------------------------------------------------
    def _file_object(self, planned: _Planned, content: FileRecord) -> PremisObject:
        original = planned.file
        return PremisObject(
            identifiers=(self.file_id(planned.data_path),),
            category=FILE,
            sha256=content.sha256,
            size=content.size,
            format=Format(
                name=original.format_name or original.mimetype,
                puid=original.puid,
                note=f"MIME type: {original.mimetype}",
            ),
            original_name=original.source_path,
            relationships=(
                Relationship("structural", "is included in", self.rep_id),
                Relationship("derivation", "has source", _source_file_id(planned)),
            ),
        )

    def _fixity_events(self) -> list[PremisEvent]:
        return [
            PremisEvent(
                type="fixity check",
                date_time=self.created,
                outcome=SUCCESS,
                detail=(
                    "SHA-256 computed while copying the original into the DIP, compared with the digest "
                    f"the catalogue records for {_source_file_id(planned).value}"
                ),
                agents=(linking(self.software, ROLE_EXECUTING_PROGRAM),),
                objects=(LinkingObject(self.file_id(planned.data_path)),),
            )
            for planned in self.documents
        ]

    def _root_premis(self, file_objects: list[PremisObject], certificate: FileRecord, code: str) -> bytes:
        """PREMIS.xml: the DIP, its representation, the certificate, the dissemination event, the agents."""
        certificate_object = self._certificate_object(certificate)
        document = PremisDocument(
            objects=[self._entity(), self._representation(file_objects), certificate_object],
            events=[self._dissemination(certificate_object, code)],
            agents=[self.software, self.archive],
        )
        return premis_xml(document)

    def _sources(self) -> list[str]:
        return list(dict.fromkeys(planned.source.source_objid for planned in self.documents))

    def _entity(self) -> PremisObject:
        return PremisObject(
            identifiers=(self.dip_id,),
            category=INTELLECTUAL_ENTITY,
            relationships=(
                Relationship("structural", "is represented by", self.rep_id),
                *(Relationship("derivation", "has source", Identifier(ID_OBJID, s)) for s in self._sources()),
            ),
        )

    def _representation(self, file_objects: list[PremisObject]) -> PremisObject:
        source_reps = dict.fromkeys(r for planned in self.documents if (r := _source_rep_id(planned)))
        return PremisObject(
            identifiers=(self.rep_id,),
            category=REPRESENTATION,
            original_name=REP1,
            relationships=(
                Relationship("structural", "represents", self.dip_id),
                *(
                    Relationship("structural", "includes", obj.identifier, sequence)
                    for sequence, obj in enumerate(file_objects, start=1)
                ),
                *(Relationship("derivation", "has source", rep) for rep in source_reps),
            ),
        )

    def _certificate_object(self, certificate: FileRecord) -> PremisObject:
        return PremisObject(
            identifiers=(self.file_id(CERTIFICATE),),
            category=FILE,
            sha256=certificate.sha256,
            size=certificate.size,
            format=CERTIFICATE_FORMAT,
            original_name=CERTIFICATE,
            relationships=(Relationship("structural", "is included in", self.dip_id),),
        )

    def _dissemination(self, certificate: PremisObject, code: str) -> PremisEvent:
        return PremisEvent(
            type="dissemination",
            date_time=self.created,
            outcome=SUCCESS,
            detail=(
                f"Certified DIP (TT05 art. 42, annex V) for access request {self.request.request_id}; "
                f"archive authentication code {code}"
            ),
            outcome_detail=(
                f"{len(self.documents)} original(s) copied byte for byte and verified by SHA-256; "
                f"certificate {CERTIFICATE} signed by {self.signer.name}"
            ),
            agents=(linking(self.software, ROLE_EXECUTING_PROGRAM), linking(self.archive, ROLE_IMPLEMENTER)),
            objects=(
                *(LinkingObject(Identifier(ID_OBJID, s), (ROLE_SOURCE,)) for s in self._sources()),
                LinkingObject(self.dip_id, (ROLE_OUTCOME,)),
                LinkingObject(certificate.identifier, (ROLE_OUTCOME,)),
            ),
        )


def _source_file_id(planned: _Planned) -> Identifier:
    """The AIP file as the AIP's own PREMIS identifies it: ``<AIP OBJID>/<path in the AIP>``."""
    return Identifier(ID_LOCAL, f"{planned.source.source_objid}/{planned.file.source_path}")


def _source_rep_id(planned: _Planned) -> Identifier | None:
    parts = PurePosixPath(planned.file.source_path).parts
    if len(parts) < 3 or parts[0] != "representations":
        return None
    return Identifier(ID_LOCAL, f"{planned.source.source_objid}/{parts[0]}/{parts[1]}")


def _copy_hashed(original: DipFile, objid: str, target: Path) -> tuple[int, str]:
    """Copy ``original.local_path`` to ``target``: its size and SHA-256, read once. A source that cannot be
    read is the caller's problem (AccessError naming it); the target is ours (OSError)."""
    hasher = hashlib.sha256()
    size = 0
    try:
        reader = open(original.local_path, "rb")  # noqa: SIM115 - read errors and write errors differ
    except OSError as exc:
        raise _unreadable(original, objid, exc) from exc
    with reader, open(target, "xb") as writer:
        while True:
            try:
                chunk = reader.read(CHUNK)
            except OSError as exc:
                raise _unreadable(original, objid, exc) from exc
            if not chunk:
                return size, hasher.hexdigest()
            hasher.update(chunk)
            writer.write(chunk)
            size += len(chunk)


def _unreadable(original: DipFile, objid: str, exc: OSError) -> AccessError:
    return AccessError(
        "access_dip.unreadable", path=original.source_path, objid=objid, detail=exc.strerror or str(exc)
    )
