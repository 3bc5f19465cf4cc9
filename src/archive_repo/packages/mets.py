"""The METS vocabulary as TT05 / E-ARK CSIP use it: names, and the references a METS file makes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from lxml import etree

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
NSMAP = {"mets": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS, "sip": SIP_NS, "xsi": XSI_NS}

HREF = f"{{{XLINK_NS}}}href"
OAISPACKAGETYPE = f"{{{CSIP_NS}}}OAISPACKAGETYPE"
CONTENTINFORMATIONTYPE = f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE"
NOTETYPE = f"{{{CSIP_NS}}}NOTETYPE"
OTHERTYPE_CSIP = f"{{{CSIP_NS}}}OTHERTYPE"

CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
AIP_PROFILE = "http://www.ra.ee/METS/v01/IP.xml"
DIP_PROFILE = "https://earkdip.dilcis.eu/profile/E-ARK-DIP.xml"


def m(tag: str) -> str:
    """Clark name of a METS element."""
    return f"{{{METS_NS}}}{tag}"


def xpath(node: etree._Element, expression: str) -> list:
    return node.xpath(expression, namespaces=NSMAP)


@dataclass(frozen=True)
class Reference:
    """One xlink:href in a METS file, with the fixity the METS claims for it."""

    kind: str  # file | mdRef | mptr
    href: str
    owner_id: str | None
    size: str | None
    checksum: str | None
    checksum_type: str | None
    mimetype: str | None
    group_use: str | None
    line: int | None

    def describe(self) -> str:
        return f"<{self.kind} ID={self.owner_id}>" if self.owner_id else f"<{self.kind}>"


def references(root: etree._Element) -> list[Reference]:
    """Every file, mdRef and mptr reference of one METS document, in document order."""
    found: list[Reference] = []
    for element in root.iter(m("FLocat"), m("mdRef"), m("mptr")):
        href = element.get(HREF)
        if href is None:
            continue
        tag = etree.QName(element).localname
        owner = element.getparent() if tag == "FLocat" else element
        group = owner.getparent() if tag == "FLocat" else None
        found.append(
            Reference(
                kind="file" if tag == "FLocat" else tag,
                href=href,
                owner_id=owner.get("ID"),
                size=owner.get("SIZE"),
                checksum=owner.get("CHECKSUM"),
                checksum_type=owner.get("CHECKSUMTYPE"),
                mimetype=owner.get("MIMETYPE"),
                group_use=group.get("USE") if group is not None and tag == "FLocat" else None,
                line=element.sourceline,
            )
        )
    return found


def href_to_relative(href: str) -> str | None:
    """The package-relative path an href denotes, or None when it points outside (URL with a host)."""
    parts = urlsplit(href)
    if parts.scheme in ("", "file") and not parts.netloc:
        return unquote(parts.path)
    return None
