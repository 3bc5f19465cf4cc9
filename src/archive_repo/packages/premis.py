"""PREMIS 3.0 preservation metadata: write the objects, events and agents of an AIP, and read them back.

Only the part of PREMIS the repository uses is modelled:

- objects: ``xsi:type`` file / representation / intellectualEntity (PREMIS 3 carries the object category
  as the XML type, not as an ``objectCategory`` element), identifiers, SHA-256 fixity, size, format
  (``formatDesignation``, plus ``formatRegistry`` PRONOM when a PUID is known), original name, storage
  location, signature information, relationships;
- events: UUID identifier, a type from the Library of Congress event-type vocabulary (written with its
  authority URIs), date-time in ISO 8601 with the +07:00 offset, outcome with an optional detail note,
  linking agents with roles, linking objects with roles (``source`` / ``outcome``);
- agents: identifier, name, type (LoC agent-type labels), version (software), note.

There is no official PREMIS XSD in the project (it is not shipped by any installed package and the
repository never fetches one). :data:`PREMIS_SUBSET_XSD` is the project's own *subset* of PREMIS 3.0:
every document it accepts is also valid PREMIS 3.0 for the elements above, and it checks what the writer
produces (element order included). It is never copied into packages as if it were the official schema.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from archive_repo import SOFTWARE_NAME, __version__
from archive_repo.resources import package_xsd_dir
from archive_repo.xmlsafe import parse_xml, parse_xml_bytes

PREMIS_NS = "http://www.loc.gov/premis/v3"
PREMIS_VERSION = "3.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_NSMAP = {"premis": PREMIS_NS, "xsi": XSI_NS}

# Object categories (the xsi:type of premis:object).
FILE = "file"
REPRESENTATION = "representation"
INTELLECTUAL_ENTITY = "intellectualEntity"
CATEGORIES = (FILE, REPRESENTATION, INTELLECTUAL_ENTITY)

# Identifier types used by the repository.
ID_OBJID = "OBJID"  # the METS OBJID of an information package (SIP uuid-..., AIP urn:<fonds>:uuid-...)
ID_LOCAL = "local"  # <AIP OBJID>/<package-relative path>: unique because the AIP OBJID is
ID_UUID = "UUID"  # events
ID_ARC_FILE_CODE = "TT05 arcFileCode"  # the archival dossier / batch code of an intellectual entity

# Library of Congress preservation vocabularies (id.loc.gov/vocabulary/preservation/...).
EVENT_TYPE_AUTHORITY = "http://id.loc.gov/vocabulary/preservation/eventType"
EVENT_TYPES = {
    "accession": "acc",
    "appraisal": "app",
    "deletion": "del",
    "digital signature validation": "dig",
    "dissemination": "dis",
    "fixity check": "fix",
    "format identification": "for",
    "information package creation": "ipc",
    "ingestion": "ing",
    "message digest calculation": "mes",
    "metadata modification": "mem",
    "migration": "mig",
    "normalization": "nor",
    "quarantine": "qua",
    "recovery": "rec",
    "replication": "rep",
    "transfer": "tra",
    "unpacking": "unp",
    "validation": "val",
    "virus check": "vir",
}
SUCCESS = "success"
FAILURE = "failure"
NOT_PERFORMED = "not performed"
ROLE_SOURCE = "source"
ROLE_OUTCOME = "outcome"
ROLE_EXECUTING_PROGRAM = "executing program"
ROLE_IMPLEMENTER = "implementer"
AGENT_SOFTWARE = "software"
AGENT_ORGANIZATION = "organization"
AGENT_PERSON = "person"
PRONOM = "PRONOM"


class PremisError(ValueError):
    """A PREMIS record the writer refuses to produce, or a file that is not PREMIS 3 at all."""


def p(tag: str) -> str:
    """Clark name of a PREMIS element."""
    return f"{{{PREMIS_NS}}}{tag}"


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str


@dataclass(frozen=True)
class Format:
    """``name`` goes to formatDesignation; ``puid`` (e.g. fmt/354) adds formatRegistry PRONOM."""

    name: str | None
    version: str | None = None
    puid: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Signature:
    """premis:signatureInformation/signature, for signatures found by the authenticity checks."""

    encoding: str
    method: str
    value: str
    validation_rules: str
    signer: str | None = None
    properties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Relationship:
    type: str  # structural | derivation | ...
    subtype: str  # includes | is included in | represents | is represented by | ...
    related: Identifier
    sequence: int | None = None


@dataclass(frozen=True)
class PremisObject:
    identifiers: tuple[Identifier, ...]
    category: str = FILE
    sha256: str | None = None
    size: int | None = None
    format: Format | None = None
    original_name: str | None = None
    content_location: str | None = None  # storage/contentLocation (written only when known)
    content_location_type: str = "URI"
    signatures: tuple[Signature, ...] = ()
    relationships: tuple[Relationship, ...] = ()

    @property
    def identifier(self) -> Identifier:
        return self.identifiers[0]


@dataclass(frozen=True)
class LinkingAgent:
    identifier: Identifier
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkingObject:
    identifier: Identifier
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class PremisEvent:
    type: str  # a label of EVENT_TYPES
    date_time: str  # ISO 8601 with the +07:00 offset
    outcome: str | None = None  # success | failure | not performed | ...
    outcome_detail: str | None = None
    detail: str | None = None
    agents: tuple[LinkingAgent, ...] = ()
    objects: tuple[LinkingObject, ...] = ()
    identifier: Identifier = field(default_factory=lambda: Identifier(ID_UUID, str(uuid.uuid4())))

    def objects_with_role(self, role: str) -> list[Identifier]:
        return [o.identifier for o in self.objects if role in o.roles]


@dataclass(frozen=True)
class PremisAgent:
    identifier: Identifier
    name: str
    type: str  # software | organization | person | hardware
    version: str | None = None
    note: str | None = None


@dataclass
class PremisDocument:
    objects: list[PremisObject] = field(default_factory=list)
    events: list[PremisEvent] = field(default_factory=list)
    agents: list[PremisAgent] = field(default_factory=list)

    def events_of_type(self, event_type: str) -> list[PremisEvent]:
        return [e for e in self.events if e.type == event_type]

    def object_by_value(self, value: str) -> PremisObject | None:
        return next((o for o in self.objects if any(i.value == value for i in o.identifiers)), None)


def software_agent() -> PremisAgent:
    """This repository software, as the executing program of the events it records."""
    return PremisAgent(
        identifier=Identifier(ID_LOCAL, f"{SOFTWARE_NAME}/{__version__}"),
        name=SOFTWARE_NAME,
        type=AGENT_SOFTWARE,
        version=__version__,
    )


def organization_agent(code: str, name: str | None = None) -> PremisAgent:
    """The archive (historical archive centre) identified by its agency code."""
    return PremisAgent(
        identifier=Identifier(ID_LOCAL, f"archive/{code}"), name=name or code, type=AGENT_ORGANIZATION
    )


def linking(agent: PremisAgent, *roles: str) -> LinkingAgent:
    return LinkingAgent(agent.identifier, tuple(roles))


# --------------------------------------------------------------------------------------------------
# writing


def _text(parent: etree._Element, tag: str, value: str | int) -> etree._Element:
    element = etree.SubElement(parent, p(tag))
    element.text = str(value)
    return element


def _identifier(parent: etree._Element, prefix: str, identifier: Identifier) -> etree._Element:
    if not identifier.type or not identifier.value:
        raise PremisError(f"empty {prefix}Identifier")
    element = etree.SubElement(parent, p(f"{prefix}Identifier"))
    _text(element, f"{prefix}IdentifierType", identifier.type)
    _text(element, f"{prefix}IdentifierValue", identifier.value)
    return element


def _object(parent: etree._Element, obj: PremisObject) -> None:
    if obj.category not in CATEGORIES:
        raise PremisError(f"unknown object category {obj.category!r}")
    if not obj.identifiers:
        raise PremisError("an object needs at least one identifier")
    element = etree.SubElement(parent, p("object"))
    element.set(_XSI_TYPE, f"premis:{obj.category}")
    for identifier in obj.identifiers:
        _identifier(element, "object", identifier)
    if obj.category == FILE:
        if obj.format is None:
            raise PremisError("a file object needs a format")
        characteristics = etree.SubElement(element, p("objectCharacteristics"))
        _text(characteristics, "compositionLevel", 0)
        if obj.sha256:
            fixity = etree.SubElement(characteristics, p("fixity"))
            _text(fixity, "messageDigestAlgorithm", "SHA-256")
            _text(fixity, "messageDigest", obj.sha256.lower())
        if obj.size is not None:
            _text(characteristics, "size", obj.size)
        _format(characteristics, obj.format)
    elif obj.sha256 or obj.size is not None or obj.format or obj.signatures:
        raise PremisError(f"fixity, size, format and signatures belong to file objects, not {obj.category}")
    if obj.original_name:
        _text(element, "originalName", obj.original_name)
    if obj.content_location:
        if obj.category == INTELLECTUAL_ENTITY:
            raise PremisError("an intellectual entity has no storage")
        storage = etree.SubElement(element, p("storage"))
        location = etree.SubElement(storage, p("contentLocation"))
        _text(location, "contentLocationType", obj.content_location_type)
        _text(location, "contentLocationValue", obj.content_location)
    for signature in obj.signatures:
        info = etree.SubElement(element, p("signatureInformation"))
        sig = etree.SubElement(info, p("signature"))
        _text(sig, "signatureEncoding", signature.encoding)
        if signature.signer:
            _text(sig, "signer", signature.signer)
        _text(sig, "signatureMethod", signature.method)
        _text(sig, "signatureValue", signature.value)
        _text(sig, "signatureValidationRules", signature.validation_rules)
        for prop in signature.properties:
            _text(sig, "signatureProperties", prop)
    for relationship in obj.relationships:
        rel = etree.SubElement(element, p("relationship"))
        _text(rel, "relationshipType", relationship.type)
        _text(rel, "relationshipSubType", relationship.subtype)
        related = _identifier(rel, "relatedObject", relationship.related)
        if relationship.sequence is not None:
            _text(related, "relatedObjectSequence", relationship.sequence)


def _format(parent: etree._Element, fmt: Format) -> None:
    if not fmt.name and not fmt.puid:
        raise PremisError("a format needs a name or a PRONOM PUID")
    element = etree.SubElement(parent, p("format"))
    if fmt.name:
        designation = etree.SubElement(element, p("formatDesignation"))
        _text(designation, "formatName", fmt.name)
        if fmt.version:
            _text(designation, "formatVersion", fmt.version)
    if fmt.puid:
        registry = etree.SubElement(element, p("formatRegistry"))
        _text(registry, "formatRegistryName", PRONOM)
        _text(registry, "formatRegistryKey", fmt.puid)
        _text(registry, "formatRegistryRole", "specification")
    if fmt.note:
        _text(element, "formatNote", fmt.note)


def _event(parent: etree._Element, event: PremisEvent) -> None:
    element = etree.SubElement(parent, p("event"))
    _identifier(element, "event", event.identifier)
    event_type = _text(element, "eventType", event.type)
    code = EVENT_TYPES.get(event.type)
    if code is None:
        raise PremisError(f"event type {event.type!r} is not in the vocabulary")
    event_type.set("authority", "eventType")
    event_type.set("authorityURI", EVENT_TYPE_AUTHORITY)
    event_type.set("valueURI", f"{EVENT_TYPE_AUTHORITY}/{code}")
    _text(element, "eventDateTime", event.date_time)
    if event.detail:
        _text(etree.SubElement(element, p("eventDetailInformation")), "eventDetail", event.detail)
    if event.outcome or event.outcome_detail:
        info = etree.SubElement(element, p("eventOutcomeInformation"))
        if event.outcome:
            _text(info, "eventOutcome", event.outcome)
        if event.outcome_detail:
            _text(
                etree.SubElement(info, p("eventOutcomeDetail")),
                "eventOutcomeDetailNote",
                event.outcome_detail,
            )
    for agent in event.agents:
        link = _identifier(element, "linkingAgent", agent.identifier)
        for role in agent.roles:
            _text(link, "linkingAgentRole", role)
    for obj in event.objects:
        link = _identifier(element, "linkingObject", obj.identifier)
        for role in obj.roles:
            _text(link, "linkingObjectRole", role)


def _agent(parent: etree._Element, agent: PremisAgent) -> None:
    element = etree.SubElement(parent, p("agent"))
    _identifier(element, "agent", agent.identifier)
    _text(element, "agentName", agent.name)
    _text(element, "agentType", agent.type)
    if agent.version:
        _text(element, "agentVersion", agent.version)
    if agent.note:
        _text(element, "agentNote", agent.note)


def premis_xml(document: PremisDocument) -> bytes:
    """Serialise one PREMIS document (objects, then events, then agents, as the schema orders them)."""
    if not document.objects:
        raise PremisError("a PREMIS document needs at least one object")
    known_agents = {a.identifier for a in document.agents}
    for event in document.events:
        for agent in event.agents:
            if agent.identifier not in known_agents:
                raise PremisError(f"event links agent {agent.identifier.value!r}, which is not described")
    root = etree.Element(p("premis"), nsmap=_NSMAP)
    root.set("version", PREMIS_VERSION)
    for obj in document.objects:
        _object(root, obj)
    for event in document.events:
        _event(root, event)
    seen: set[Identifier] = set()
    for agent in document.agents:
        if agent.identifier not in seen:
            seen.add(agent.identifier)
            _agent(root, agent)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------------------------------
# reading


def _child_text(element: etree._Element, *path: str) -> str | None:
    node = element
    for tag in path:
        node = node.find(p(tag))
        if node is None:
            return None
    return (node.text or "").strip() or None


def _read_identifier(element: etree._Element, prefix: str) -> Identifier:
    return Identifier(
        _child_text(element, f"{prefix}IdentifierType") or "",
        _child_text(element, f"{prefix}IdentifierValue") or "",
    )


def _read_object(element: etree._Element) -> PremisObject:
    xsi_type = element.get(_XSI_TYPE) or ""
    category = xsi_type.rsplit(":", 1)[-1]
    identifiers = tuple(_read_identifier(e, "object") for e in element.findall(p("objectIdentifier")))
    characteristics = element.find(p("objectCharacteristics"))
    sha256 = size = fmt = None
    if characteristics is not None:
        for fixity in characteristics.findall(p("fixity")):
            if (_child_text(fixity, "messageDigestAlgorithm") or "").upper() in ("SHA-256", "SHA256"):
                sha256 = _child_text(fixity, "messageDigest")
        size_text = _child_text(characteristics, "size")
        size = int(size_text) if size_text and size_text.isdigit() else None
        format_element = characteristics.find(p("format"))
        if format_element is not None:
            fmt = Format(
                name=_child_text(format_element, "formatDesignation", "formatName"),
                version=_child_text(format_element, "formatDesignation", "formatVersion"),
                puid=_child_text(format_element, "formatRegistry", "formatRegistryKey"),
                note=_child_text(format_element, "formatNote"),
            )
    relationships = []
    for rel in element.findall(p("relationship")):
        related = rel.find(p("relatedObjectIdentifier"))
        sequence = _child_text(related, "relatedObjectSequence") if related is not None else None
        relationships.append(
            Relationship(
                type=_child_text(rel, "relationshipType") or "",
                subtype=_child_text(rel, "relationshipSubType") or "",
                related=_read_identifier(related, "relatedObject")
                if related is not None
                else Identifier("", ""),
                sequence=int(sequence) if sequence and sequence.isdigit() else None,
            )
        )
    signatures = tuple(
        Signature(
            encoding=_child_text(sig, "signatureEncoding") or "",
            method=_child_text(sig, "signatureMethod") or "",
            value=_child_text(sig, "signatureValue") or "",
            validation_rules=_child_text(sig, "signatureValidationRules") or "",
            signer=_child_text(sig, "signer"),
            properties=tuple((e.text or "").strip() for e in sig.findall(p("signatureProperties"))),
        )
        for sig in element.iterfind(f"{p('signatureInformation')}/{p('signature')}")
    )
    return PremisObject(
        identifiers=identifiers,
        category=category,
        sha256=sha256,
        size=size,
        format=fmt,
        original_name=_child_text(element, "originalName"),
        content_location=_child_text(element, "storage", "contentLocation", "contentLocationValue"),
        content_location_type=_child_text(element, "storage", "contentLocation", "contentLocationType")
        or "URI",
        signatures=signatures,
        relationships=tuple(relationships),
    )


def _read_event(element: etree._Element) -> PremisEvent:
    return PremisEvent(
        identifier=_read_identifier(element.find(p("eventIdentifier")), "event"),
        type=_child_text(element, "eventType") or "",
        date_time=_child_text(element, "eventDateTime") or "",
        detail=_child_text(element, "eventDetailInformation", "eventDetail"),
        outcome=_child_text(element, "eventOutcomeInformation", "eventOutcome"),
        outcome_detail=_child_text(
            element, "eventOutcomeInformation", "eventOutcomeDetail", "eventOutcomeDetailNote"
        ),
        agents=tuple(
            LinkingAgent(
                _read_identifier(link, "linkingAgent"),
                tuple((r.text or "").strip() for r in link.findall(p("linkingAgentRole"))),
            )
            for link in element.findall(p("linkingAgentIdentifier"))
        ),
        objects=tuple(
            LinkingObject(
                _read_identifier(link, "linkingObject"),
                tuple((r.text or "").strip() for r in link.findall(p("linkingObjectRole"))),
            )
            for link in element.findall(p("linkingObjectIdentifier"))
        ),
    )


def _read_agent(element: etree._Element) -> PremisAgent:
    return PremisAgent(
        identifier=_read_identifier(element.find(p("agentIdentifier")), "agent"),
        name=_child_text(element, "agentName") or "",
        type=_child_text(element, "agentType") or "",
        version=_child_text(element, "agentVersion"),
        note=_child_text(element, "agentNote"),
    )


def read_premis_tree(tree: etree._ElementTree) -> PremisDocument:
    root = tree.getroot()
    if root.tag != p("premis"):
        raise PremisError(f"not a PREMIS 3 document: root element {root.tag}")
    return PremisDocument(
        objects=[_read_object(e) for e in root.findall(p("object"))],
        events=[_read_event(e) for e in root.findall(p("event"))],
        agents=[_read_agent(e) for e in root.findall(p("agent"))],
    )


def read_premis(path: Path) -> PremisDocument:
    """Parse a PREMIS file safely (no DTD, no network); raises XmlProblem or PremisError."""
    return read_premis_tree(parse_xml(path))


def read_premis_bytes(data: bytes) -> PremisDocument:
    return read_premis_tree(parse_xml_bytes(data))


# --------------------------------------------------------------------------------------------------
# the project's subset schema

PREMIS_SUBSET_XSD = package_xsd_dir() / "premis-subset.xsd"


@cache
def premis_subset_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(PREMIS_SUBSET_XSD), parser))


def subset_errors(tree: etree._ElementTree) -> list[str]:
    """Problems of a PREMIS document against the project's subset schema; [] when it conforms."""
    schema = premis_subset_schema()
    if schema.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
