"""Parse XML without ever touching the network or expanding entities.

A DOCTYPE has no business in a TT05 package: any document type declaration (the vehicle of XXE and
"billion laughs") is refused, and the caller turns that into a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree


@dataclass
class XmlProblem(Exception):
    kind: str  # "syntax" | "dtd" | "unreadable"
    detail: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail} (line {self.line})"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(path: Path) -> etree._ElementTree:
    """Parse ``path`` safely or raise :class:`XmlProblem`."""
    try:
        tree = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        raise XmlProblem("syntax", exc.msg or str(exc), line) from None
    except OSError as exc:
        raise XmlProblem("unreadable", str(exc)) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlProblem("dtd", tree.docinfo.doctype or "DOCTYPE", 1)
    return tree


def parse_xml_bytes(data: bytes) -> etree._ElementTree:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        raise XmlProblem("syntax", exc.msg or str(exc), line) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XmlProblem("dtd", tree.docinfo.doctype or "DOCTYPE", 1)
    return tree


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
