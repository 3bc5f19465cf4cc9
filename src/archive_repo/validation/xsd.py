"""Compile XML schemas from local files only, and turn schema errors into findings.

The METS XSD comes from the installed ``metsrw`` package, xml.xsd from ``xmlschema``; xlink and the CSIP
extension schemas are the project's own. Imports of well-known schema URLs are answered from those
files; anything else would need the network and is refused.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from lxml import etree

from archive_repo.findings import Findings
from archive_repo.packages.mets import CSIP_NS, METS_NS, NSMAP, SIP_NS, XLINK_NS
from archive_repo.resources import package_xsd_dir

_MAX_SCHEMA_FINDINGS = 50


def _resource_path(package: str, relative: str) -> Path:
    return Path(str(resources.files(package).joinpath(relative)))


@cache
def _known_schema_files() -> dict[str, Path]:
    # METS uses the Library of Congress xlink attribute groups (simpleLink, ...), which the W3C 2010
    # xlink.xsd no longer defines; the project writes its own copy of those declarations.
    xlink = package_xsd_dir() / "xlink.xsd"
    xml = _resource_path("xmlschema", "schemas/XML/xml.xsd")
    return {
        "http://www.loc.gov/standards/xlink/xlink.xsd": xlink,
        "http://www.w3.org/1999/xlink.xsd": xlink,
        "https://www.w3.org/1999/xlink.xsd": xlink,
        "http://www.w3.org/2001/xml.xsd": xml,
        "http://www.w3.org/XML/2008/06/xlink.xsd": xlink,
    }


class _LocalOnlyResolver(etree.Resolver):
    def resolve(self, system_url, public_id, context):  # noqa: ANN001 - lxml's signature
        known = _known_schema_files().get(system_url)
        if known is not None:
            return self.resolve_filename(str(known), context)
        if system_url and re.match(r"^[a-z]+://", system_url) and not system_url.startswith("file:"):
            return self.resolve_string("", context)  # never the network; an empty answer fails loudly
        return None


def _schema_parser() -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_LocalOnlyResolver())
    return parser


def mets_schema_file() -> Path:
    return _resource_path("metsrw", "resources/mets.xsd")


@cache
def mets_schema() -> etree.XMLSchema:
    """METS 1.12 + xlink + the CSIP and SIP extension attributes, as one compiled schema."""
    imports = {
        METS_NS: mets_schema_file(),
        XLINK_NS: _known_schema_files()["http://www.w3.org/1999/xlink.xsd"],
        CSIP_NS: package_xsd_dir() / "csip-extension.xsd",
        SIP_NS: package_xsd_dir() / "sip-extension.xsd",
    }
    body = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{path.resolve().as_uri()}"/>'
        for ns, path in imports.items()
    )
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="urn:archive-repo:mets-bundle" elementFormDefault="qualified">'
        f"{body}</xs:schema>"
    )
    document = etree.fromstring(wrapper.encode(), _schema_parser(), base_url=str(package_xsd_dir()) + "/")
    return etree.XMLSchema(document)


@cache
def compile_schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), _schema_parser()))


_CLARK = re.compile(r"\{([^}]*)\}")
_PREFIXES = {ns: prefix for prefix, ns in NSMAP.items()}


def _tidy(message: str) -> str:
    return _CLARK.sub(
        lambda match: f"{_PREFIXES.get(match.group(1), '')}:" if match.group(1) else "", message
    )


def schema_findings(
    schema: etree.XMLSchema,
    tree: etree._ElementTree,
    findings: Findings,
    path: str,
    rule: str,
    schema_name: str,
) -> list[int]:
    """Validate and record each schema error as a finding; returns the lines that had errors."""
    if schema.validate(tree):
        return []
    lines: list[int] = []
    for count, entry in enumerate(schema.error_log):
        if count >= _MAX_SCHEMA_FINDINGS:
            findings.error(rule, path, "schema.too_many", schema=schema_name, count=len(schema.error_log))
            break
        lines.append(entry.line)
        findings.error(
            rule, path, "schema.invalid", line=entry.line, schema=schema_name, detail=_tidy(entry.message)
        )
    return lines
