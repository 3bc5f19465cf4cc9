"""TT05 metadata records (EAD.xml, EAD_DOC_/EAD_PIC_/EAD_MEDIA_*.xml): a flat ``simpledc`` of fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from archive_repo.xmlsafe import local_name

RECORD_PREFIXES = {"EAD_DOC_": "doc", "EAD_PIC_": "pic", "EAD_MEDIA_": "media"}


@dataclass
class Record:
    """Field name → values (in document order) and the line of each field's first occurrence."""

    root_name: str
    namespace: str | None
    values: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    root_line: int | None = None

    def get(self, name: str) -> str | None:
        """The field's value, None when absent or empty (TT05: empty counts as absent)."""
        found = self.values.get(name)
        if not found:
            return None
        value = found[0].strip()
        return value or None

    def line(self, name: str) -> int | None:
        return self.lines.get(name, self.root_line)


def read_record(tree: etree._ElementTree) -> Record:
    root = tree.getroot()
    qname = etree.QName(root)
    record = Record(root_name=qname.localname, namespace=qname.namespace, root_line=root.sourceline)
    for child in root:
        name = local_name(child)
        if not name:
            continue
        record.values.setdefault(name, []).append("".join(child.itertext()))
        record.lines.setdefault(name, child.sourceline)
    return record


def record_kind(file_name: str) -> str | None:
    for prefix, kind in RECORD_PREFIXES.items():
        if file_name.startswith(prefix) and file_name.lower().endswith(".xml"):
            return kind
    return None


def record_identifier(file_name: str) -> str:
    """``EAD_DOC_<id>.xml`` → ``<id>``."""
    for prefix in RECORD_PREFIXES:
        if file_name.startswith(prefix):
            return file_name[len(prefix) : -4]
    return file_name


def without_namespace(tree: etree._ElementTree) -> etree._ElementTree:
    """A copy with every element moved to no namespace, for validating against the no-namespace XSDs."""
    copy = etree.fromstring(etree.tostring(tree))
    for element in copy.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname
    etree.cleanup_namespaces(copy)
    return copy.getroottree()


def write_record(fields: dict[str, str], root_name: str = "simpledc") -> bytes:
    """Serialise a flat metadata record; fields keep the order given (the profile's order)."""
    root = etree.Element(root_name)
    for name, value in fields.items():
        etree.SubElement(root, name).text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
