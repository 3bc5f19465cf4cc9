"""Preservation events recorded after ingest, kept beside the AIPs so that the catalog can be rebuilt.

An AIP's own PREMIS files hold what happened up to ingest; they are never rewritten. What happens later
(fixity audits, repairs, replication, …) is appended to the store as small PREMIS 3 documents, one per
batch of events, under

    _events/<AIP folder>/<name>.xml        (see :func:`event_log_key`)

Each document (:func:`render_event_log`) holds:

- one ``premis:object`` of category ``intellectualEntity`` identified by the AIP's OBJID (PREMIS 3 wants
  at least one object, and it says which AIP the log is about);
- one ``premis:event`` per :class:`LoggedEvent`: ``eventIdentifier`` (type ``UUID`` when the identifier
  is a UUID, else ``local``), ``eventType`` (with the Library of Congress authority URIs when the type is
  in that vocabulary), ``eventDateTime`` (ISO 8601, UTC), ``eventDetailInformation`` (``eventDetail``
  when the event has a detail, and an ``eventDetailExtension`` holding the storage location when it
  has one), ``eventOutcomeInformation/eventOutcome``, one ``linkingAgentIdentifier`` and one
  ``linkingObjectIdentifier``: the file's object identifier as the AIP's PREMIS names it
  (type ``local``, ``<OBJID>/<path inside the AIP>``) or, for an event about the whole package, the
  OBJID (type ``OBJID``);
- one ``premis:agent`` per agent the events link (an event may link none: its agent is unknown).

:func:`parse_event_log` reads such a document back with the project's safe XML parser;
``parse_event_log(render_event_log(objid, events)) == events`` for any events the renderer accepts.
Text is kept exactly (no stripping): what is written is what is read back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from archive_repo.errors import ArchiveRepoError
from archive_repo.packages.premis import (
    AGENT_SOFTWARE,
    EVENT_TYPE_AUTHORITY,
    EVENT_TYPES,
    ID_LOCAL,
    ID_OBJID,
    ID_UUID,
    INTELLECTUAL_ENTITY,
    PREMIS_NS,
    PREMIS_VERSION,
    ROLE_EXECUTING_PROGRAM,
    ROLE_IMPLEMENTER,
    XSI_NS,
    p,
)
from archive_repo.storage.base import check_key
from archive_repo.xmlsafe import XmlProblem, parse_xml_bytes

EVENTS_PREFIX = "_events"
EXTENSION_NS = "urn:x-archive-repo:premis-event-log:1"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_LOCATION = f"{{{EXTENSION_NS}}}storageLocation"
_NSMAP = {"premis": PREMIS_NS, "xsi": XSI_NS, "ar": EXTENSION_NS}


class EventLogError(ArchiveRepoError):
    """An event log that cannot be read (not XML, not PREMIS 3, or missing what an event needs)."""


@dataclass(frozen=True)
class LoggedEvent:
    """One preservation event about an AIP (``file_path`` set: about that file of it) and its agent."""

    identifier: str
    type: str  # preferably a label of the Library of Congress event-type vocabulary (premis.EVENT_TYPES)
    occurred_at: datetime  # timezone-aware; written and read back in UTC
    outcome: str  # success | failure | not performed | …
    detail: str | None
    file_path: str | None  # the path inside the AIP; None for an event about the whole package
    agent_identifier: str  # "" (with agent_name and agent_type "" and agent_version None): no agent known
    agent_name: str
    agent_type: str  # software | organization | person | hardware
    agent_version: str | None
    location: str | None  # the storage location the event concerns (a fixity check of one copy), if any


@dataclass(frozen=True)
class EventLog:
    objid: str
    events: list[LoggedEvent]


def event_log_key(aip_folder: str, name: str) -> str:
    """``_events/<aip_folder>/<name>.xml`` (``.xml`` is added unless ``name`` has it)."""
    if not aip_folder or "/" in aip_folder or aip_folder.startswith(("_", ".")):
        raise ValueError(f"not an AIP folder name: {aip_folder!r}")
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"not an event log name: {name!r}")
    file_name = name if name.endswith(".xml") else f"{name}.xml"
    return check_key(f"{EVENTS_PREFIX}/{aip_folder}/{file_name}")


def event_log_prefix(aip_folder: str) -> str:
    """The key prefix under which the event logs of one AIP lie (ends with ``/``)."""
    return f"{EVENTS_PREFIX}/{aip_folder}/"


# --------------------------------------------------------------------------------------------------
# writing


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    element = etree.SubElement(parent, p(tag))
    element.text = value
    return element


def _identifier(parent: etree._Element, prefix: str, kind: str, value: str) -> None:
    element = etree.SubElement(parent, p(f"{prefix}Identifier"))
    _text(element, f"{prefix}IdentifierType", kind)
    _text(element, f"{prefix}IdentifierValue", value)


def _identifier_type(identifier: str) -> str:
    try:
        uuid.UUID(identifier)
    except ValueError:
        return ID_LOCAL
    return ID_UUID


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: event times must be timezone-aware")
    return moment.astimezone(UTC)


def _check(event: LoggedEvent) -> None:
    for name in ("identifier", "type"):
        if not getattr(event, name):
            raise ValueError(f"event {event.identifier!r}: {name} is empty")
    if event.agent_identifier:
        if not event.agent_name or not event.agent_type:
            raise ValueError(
                f"event {event.identifier!r}: agent {event.agent_identifier!r} without name or type"
            )
    elif event.agent_name or event.agent_type or event.agent_version is not None:
        raise ValueError(f"event {event.identifier!r}: an agent is described but has no identifier")
    if event.file_path is not None and (not event.file_path or event.file_path.startswith("/")):
        raise ValueError(
            f"event {event.identifier!r}: file_path {event.file_path!r} is not a path in the AIP"
        )


def render_event_log(objid: str, events: list[LoggedEvent]) -> bytes:
    """A PREMIS 3 document recording ``events`` about the AIP ``objid`` (see the module notes).

    Raises ValueError for what could not be read back as given: an empty identifier, type or agent, a
    naive datetime, two events naming the same agent differently, text XML cannot carry (control
    characters)."""
    if not objid:
        raise ValueError("an event log needs the AIP's OBJID")
    agents: dict[str, tuple[str, str, str | None]] = {}
    for event in events:
        _check(event)
        if not event.agent_identifier:
            continue
        described = (event.agent_name, event.agent_type, event.agent_version)
        if agents.setdefault(event.agent_identifier, described) != described:
            raise ValueError(f"agent {event.agent_identifier!r} is described in two different ways")
    root = etree.Element(p("premis"), nsmap=_NSMAP)
    root.set("version", PREMIS_VERSION)
    entity = etree.SubElement(root, p("object"))
    entity.set(_XSI_TYPE, f"premis:{INTELLECTUAL_ENTITY}")
    _identifier(entity, "object", ID_OBJID, objid)
    for event in events:
        element = etree.SubElement(root, p("event"))
        _identifier(element, "event", _identifier_type(event.identifier), event.identifier)
        event_type = _text(element, "eventType", event.type)
        code = EVENT_TYPES.get(event.type)
        if code is not None:
            event_type.set("authority", "eventType")
            event_type.set("authorityURI", EVENT_TYPE_AUTHORITY)
            event_type.set("valueURI", f"{EVENT_TYPE_AUTHORITY}/{code}")
        _text(element, "eventDateTime", _utc(event.occurred_at).isoformat())
        if event.detail is not None or event.location is not None:
            information = etree.SubElement(element, p("eventDetailInformation"))
            if event.detail is not None:
                _text(information, "eventDetail", event.detail)
            if event.location is not None:
                extension = etree.SubElement(information, p("eventDetailExtension"))
                etree.SubElement(extension, _LOCATION).text = event.location
        _text(etree.SubElement(element, p("eventOutcomeInformation")), "eventOutcome", event.outcome)
        if event.agent_identifier:
            link = etree.SubElement(element, p("linkingAgentIdentifier"))
            _text(link, "linkingAgentIdentifierType", ID_LOCAL)
            _text(link, "linkingAgentIdentifierValue", event.agent_identifier)
            role = ROLE_EXECUTING_PROGRAM if event.agent_type == AGENT_SOFTWARE else ROLE_IMPLEMENTER
            _text(link, "linkingAgentRole", role)
        if event.file_path is None:
            _identifier(element, "linkingObject", ID_OBJID, objid)
        else:
            _identifier(element, "linkingObject", ID_LOCAL, f"{objid}/{event.file_path}")
    for identifier, (name, agent_type, version) in agents.items():
        agent = etree.SubElement(root, p("agent"))
        _identifier(agent, "agent", ID_LOCAL, identifier)
        _text(agent, "agentName", name)
        _text(agent, "agentType", agent_type)
        if version is not None:
            _text(agent, "agentVersion", version)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------------------------------
# reading


def _find(element: etree._Element, *path: str) -> etree._Element | None:
    node: etree._Element | None = element
    for tag in path:
        node = node.find(p(tag)) if node is not None else None
    return node


def _value(element: etree._Element, *path: str) -> str | None:
    """The exact text of the element at ``path`` ("" when empty), None when there is no such element."""
    node = _find(element, *path)
    return None if node is None else node.text or ""


def _required(element: etree._Element, what: str, *path: str) -> str:
    value = _value(element, *path)
    if not value:
        raise EventLogError("backup.event_log_invalid", detail=f"{what}: missing (line {element.sourceline})")
    return value


def _read_objid(root: etree._Element) -> str:
    for obj in root.findall(p("object")):
        for identifier in obj.findall(p("objectIdentifier")):
            if _value(identifier, "objectIdentifierType") == ID_OBJID:
                value = _value(identifier, "objectIdentifierValue")
                if value:
                    return value
    raise EventLogError("backup.event_log_invalid", detail="no object identified by the AIP's OBJID")


def _read_time(element: etree._Element) -> datetime:
    text = _required(element, "eventDateTime", "eventDateTime")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EventLogError("backup.event_log_invalid", detail=f"eventDateTime {text!r}") from None
    if moment.tzinfo is None:
        raise EventLogError("backup.event_log_invalid", detail=f"eventDateTime {text!r} has no time zone")
    return moment.astimezone(UTC)


def _read_file_path(element: etree._Element, objid: str) -> str | None:
    link = element.find(p("linkingObjectIdentifier"))
    if link is None:
        return None
    kind = _value(link, "linkingObjectIdentifierType")
    value = _value(link, "linkingObjectIdentifierValue") or ""
    if value == objid and kind != ID_LOCAL:
        return None
    if value.startswith(f"{objid}/") and len(value) > len(objid) + 1:
        return value[len(objid) + 1 :]
    raise EventLogError(
        "backup.event_log_invalid", detail=f"event links object {value!r}, which is not part of {objid}"
    )


def _read_agents(root: etree._Element) -> dict[str, tuple[str, str, str | None]]:
    agents = {}
    for agent in root.findall(p("agent")):
        identifier = _required(agent, "agentIdentifierValue", "agentIdentifier", "agentIdentifierValue")
        agents[identifier] = (
            _required(agent, "agentName", "agentName"),
            _required(agent, "agentType", "agentType"),
            _value(agent, "agentVersion"),
        )
    return agents


def read_event_log(data: bytes) -> EventLog:
    """The AIP OBJID and the events of one event log; raises :class:`EventLogError` when unreadable."""
    try:
        root = parse_xml_bytes(data).getroot()
    except XmlProblem as problem:
        raise EventLogError("backup.event_log_invalid", detail=str(problem)) from None
    if root.tag != p("premis"):
        raise EventLogError(
            "backup.event_log_invalid", detail=f"root element {root.tag} is not premis:premis"
        )
    objid = _read_objid(root)
    agents = _read_agents(root)
    events = []
    for element in root.findall(p("event")):
        agent_identifier = ""
        name, agent_type, version = "", "", None
        if element.find(p("linkingAgentIdentifier")) is not None:
            agent_identifier = _required(
                element,
                "linkingAgentIdentifierValue",
                "linkingAgentIdentifier",
                "linkingAgentIdentifierValue",
            )
            if agent_identifier not in agents:
                raise EventLogError(
                    "backup.event_log_invalid",
                    detail=f"agent {agent_identifier!r} is linked but not described",
                )
            name, agent_type, version = agents[agent_identifier]
        location = _find(element, "eventDetailInformation", "eventDetailExtension")
        location_element = location.find(_LOCATION) if location is not None else None
        events.append(
            LoggedEvent(
                identifier=_required(
                    element, "eventIdentifierValue", "eventIdentifier", "eventIdentifierValue"
                ),
                type=_required(element, "eventType", "eventType"),
                occurred_at=_read_time(element),
                outcome=_value(element, "eventOutcomeInformation", "eventOutcome") or "",
                detail=_value(element, "eventDetailInformation", "eventDetail"),
                file_path=_read_file_path(element, objid),
                agent_identifier=agent_identifier,
                agent_name=name,
                agent_type=agent_type,
                agent_version=version,
                location=None if location_element is None else location_element.text or "",
            )
        )
    return EventLog(objid, events)


def parse_event_log(data: bytes) -> list[LoggedEvent]:
    """The events of one event log (see :func:`read_event_log` for its OBJID too)."""
    return read_event_log(data).events
