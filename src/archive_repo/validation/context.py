"""Everything the checks of one package share: where it is, what is in it, what was parsed and hashed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from archive_repo.findings import Findings
from archive_repo.hashing import DigestCache
from archive_repo.packages.inventory import Inventory
from archive_repo.xmlsafe import XmlProblem, parse_xml

REP1 = "representations/rep1"


@dataclass
class PackageContext:
    root: Path
    inventory: Inventory
    findings: Findings
    digests: DigestCache
    label: str = ""  # where the package sits inside the submission, e.g. "data/" in a bag
    folder_name: str | None = None  # the package folder's own name, when it has a meaningful one
    _parsed: dict[str, etree._ElementTree | None] = field(default_factory=dict)

    def where(self, relative: str) -> str:
        return f"{self.label}{relative}"

    def exists(self, relative: str) -> bool:
        return relative in self.inventory.files

    def parse(self, relative: str, keep: bool = True) -> etree._ElementTree | None:
        """Parse a package XML file; problems become findings and yield None.

        ``keep=False`` for files read by one check only (document records), so memory stays flat.
        """
        if relative in self._parsed:
            return self._parsed[relative]
        tree = None
        try:
            tree = parse_xml(self.inventory.absolute(relative))
        except XmlProblem as problem:
            key = {"dtd": "xml.dtd_forbidden", "unreadable": "reader.unreadable"}.get(
                problem.kind, "xml.malformed"
            )
            rule = {"dtd": "xml.dtd-forbidden", "unreadable": "reader.unreadable"}.get(
                problem.kind, "xml.malformed"
            )
            self.findings.error(rule, self.where(relative), key, line=problem.line, detail=problem.detail)
        if keep or tree is None:
            self._parsed[relative] = tree
        return tree

    def representation_folders(self) -> list[str]:
        prefix = "representations/"
        return sorted(
            d for d in self.inventory.directories if d.startswith(prefix) and "/" not in d[len(prefix) :]
        )
