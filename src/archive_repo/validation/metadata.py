"""TT05 metadata records: schema, field tables, and the cross-field rules of the brief §2.4."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from lxml import etree

from archive_repo.findings import Findings
from archive_repo.packages.ead import Record, read_record, record_identifier, record_kind, without_namespace
from archive_repo.validation.context import REP1, PackageContext
from archive_repo.validation.fields import check_record, parse_partial_date
from archive_repo.validation.fixity import resolve
from archive_repo.validation.mets_rules import MetsFacts
from archive_repo.validation.profiles import Profile, RecordSpec
from archive_repo.validation.structure import PACKAGE_EAD
from archive_repo.validation.xsd import compile_schema, schema_findings

DOC_FOLDER = f"{REP1}/metadata/descriptive"
_ORDINAL = re.compile(r"^(?P<prefix>.+)\.(?P<ordinal>\d{7})$")
_MODE_OPENNESS = {"01": 0, "02": 1, "03": 2}


@dataclass
class DocumentRecord:
    relative: str
    kind: str
    record: Record


def check_metadata(ctx: PackageContext, profile: Profile, rep_facts: MetsFacts | None) -> None:
    package = _load(ctx, profile, PACKAGE_EAD, "package")
    documents: list[DocumentRecord] = []
    for relative in sorted(ctx.inventory.under(DOC_FOLDER)):
        kind = record_kind(posixpath.basename(relative))
        if kind is None:
            continue
        record = _load(ctx, profile, relative, kind)
        if record is not None:
            documents.append(DocumentRecord(relative, kind, record))
    _package_schemas_agree(ctx, profile, package, documents)
    if package is None:
        return
    cross = CrossRules(ctx, profile, package, documents)
    cross.run(rep_facts)


def _load(ctx: PackageContext, profile: Profile, relative: str, kind: str) -> Record | None:
    if not ctx.exists(relative):
        return None
    tree = ctx.parse(relative, keep=kind == "package")
    if tree is None:
        return None
    where = ctx.where(relative)
    record = read_record(tree)
    spec = profile.records.get(kind)
    if spec is None:
        ctx.findings.error("md.kind", where, "md.kind_not_in_profile", kind=kind, profile=profile.name)
        return record
    flagged = check_record(record, spec, ctx.findings, where)
    _schema(ctx, tree, record, spec, where, flagged)
    return record


def _schema(
    ctx: PackageContext,
    tree: etree._ElementTree,
    record: Record,
    spec: RecordSpec,
    where: str,
    flagged: set[str],
) -> None:
    if spec.schema is None or not spec.schema.exists():
        return
    if record.namespace:
        ctx.findings.warning(
            "md.namespace", where, "md.namespace", line=record.root_line, namespace=record.namespace
        )
        tree = without_namespace(tree)
    scratch = Findings()
    schema_findings(compile_schema(spec.schema), tree, scratch, where, "md.schema", spec.schema.name)
    flagged_lines = {record.line(name) for name in flagged}
    # A field the field table already reported is not reported a second time by the schema.
    ctx.findings.extend([f for f in scratch if f.location.line not in flagged_lines])


def _declared_elements(ctx: PackageContext, relative: str) -> set[str] | None:
    tree = ctx.parse(relative)
    if tree is None:
        return None
    return {str(n) for n in tree.getroot().xpath("//*[local-name()='element']/@name")}


def _package_schemas_agree(
    ctx: PackageContext, profile: Profile, package: Record | None, documents: list[DocumentRecord]
) -> None:
    """Warn when the XSD a package ships for its records does not declare the fields its records use."""
    shipped = {
        posixpath.basename(p).lower(): p for p in ctx.inventory.under("schemas") if p.lower().endswith(".xsd")
    }
    groups = {
        "ead.xsd": [package] if package else [],
        "ead_doc.xsd": [],
        "ead_pic.xsd": [],
        "ead_media.xsd": [],
    }
    for document in documents:
        groups[f"ead_{document.kind}.xsd"].append(document.record)
    for name, records in groups.items():
        if name not in shipped or not records:
            continue
        declared = _declared_elements(ctx, shipped[name])
        if not declared:
            continue
        used = set().union(*(r.values.keys() for r in records))
        undeclared = sorted(used - declared)
        if undeclared:
            ctx.findings.warning(
                "md.package-schema",
                ctx.where(shipped[name]),
                "md.package_schema_disagrees",
                fields=", ".join(undeclared[:10]),
            )


class CrossRules:
    """Rules that relate fields of several records to each other and to the files of the package."""

    def __init__(
        self, ctx: PackageContext, profile: Profile, package: Record, documents: list[DocumentRecord]
    ):
        self.ctx, self.profile, self.package, self.documents = ctx, profile, package, documents
        self.findings = ctx.findings
        self.is_aip = profile.package_type == "AIP"
        self.is_dip = profile.package_type == "DIP"

    def run(self, rep_facts: MetsFacts | None) -> None:
        if not self.is_dip:
            self._codes_and_ordinals()
            self._total_doc()
            self._date_range()
        self._mode()
        if rep_facts is not None:
            self._links(rep_facts)

    def _where(self, document: DocumentRecord) -> str:
        return self.ctx.where(document.relative)

    def _dossier_code(self) -> str | None:
        return self.package.get("arcFileCode" if self.is_aip else "fileCode")

    def _codes_and_ordinals(self) -> None:
        dossier_code = self._dossier_code()
        ordinals: list[tuple[int, DocumentRecord]] = []
        for document in self.documents:
            record, where = document.record, self._where(document)
            doc_code = record.get("docCode")
            match = _ORDINAL.match(doc_code) if doc_code else None
            if doc_code and not match:
                continue  # the field table already reported the pattern
            if match and dossier_code:
                prefix = match.group("prefix")
                consistent = dossier_code.endswith(prefix) if self.is_aip else prefix == dossier_code
                if not consistent:
                    self.findings.error(
                        "cross.doccode-prefix",
                        where,
                        "cross.doccode_prefix",
                        line=record.line("docCode"),
                        element="<docCode>",
                        value=doc_code,
                        expected=dossier_code,
                    )
            if self.is_aip:
                own = record.get("arcFileCode")
                if own and dossier_code and own != dossier_code:
                    self.findings.error(
                        "cross.arcfilecode",
                        where,
                        "cross.arcfilecode",
                        value=own,
                        line=record.line("arcFileCode"),
                        element="<arcFileCode>",
                        expected=dossier_code,
                    )
                ordinal_text = record.get("docOrdinal")
                if ordinal_text and ordinal_text.isdigit():
                    ordinal = int(ordinal_text)
                    if match and int(match.group("ordinal")) != ordinal:
                        self.findings.error(
                            "cross.ordinal",
                            where,
                            "cross.ordinal_mismatch",
                            line=record.line("docOrdinal"),
                            element="<docOrdinal>",
                            value=ordinal,
                            code=doc_code,
                        )
                    ordinals.append((ordinal, document))
            elif match:
                ordinals.append((int(match.group("ordinal")), document))
        self._ordinal_sequence(ordinals)

    def _ordinal_sequence(self, ordinals: list[tuple[int, DocumentRecord]]) -> None:
        seen: dict[int, str] = {}
        for ordinal, document in ordinals:
            if ordinal in seen:
                self.findings.error(
                    "cross.ordinal",
                    self._where(document),
                    "cross.ordinal_duplicate",
                    value=ordinal,
                    other=seen[ordinal],
                )
            seen.setdefault(ordinal, document.relative)
        if not seen:
            return
        expected_count = len(self.documents)
        total = self.package.get("totalDoc")
        if total and total.isdigit():
            expected_count = max(expected_count, int(total))
        missing = sorted(set(range(1, expected_count + 1)) - set(seen))
        beyond = sorted(o for o in seen if o < 1 or o > expected_count)
        if missing or beyond:
            self.findings.error(
                "cross.ordinal",
                self.ctx.where(DOC_FOLDER + "/"),
                "cross.ordinal_gaps",
                missing=_short_list(missing),
                beyond=_short_list(beyond),
                count=expected_count,
            )

    def _total_doc(self) -> None:
        total = self.package.get("totalDoc")
        if total is None or not total.isdigit():
            return
        if int(total) != len(self.documents):
            self.findings.error(
                "cross.totaldoc",
                self.ctx.where(PACKAGE_EAD),
                "cross.totaldoc",
                line=self.package.line("totalDoc"),
                element="<totalDoc>",
                declared=total,
                actual=len(self.documents),
            )

    def _date_range(self) -> None:
        spec = self.profile.records["package"].fields
        start_text, end_text = self.package.get("startDate"), self.package.get("endDate")
        start = (
            parse_partial_date(start_text, spec["startDate"].formats)
            if start_text and "startDate" in spec
            else None
        )
        end = (
            parse_partial_date(end_text, spec["endDate"].formats) if end_text and "endDate" in spec else None
        )
        if start and end and start[0] > end[1]:
            self.findings.error(
                "cross.date-order",
                self.ctx.where(PACKAGE_EAD),
                "cross.date_order",
                line=self.package.line("startDate"),
                element="<startDate>",
                start=start_text,
                end=end_text,
            )
            return
        if not (start and end):
            return
        for document in self.documents:
            issued_text = document.record.get("issuedDate")
            issued = (
                parse_partial_date(issued_text, ["DD/MM/YYYY", "MM/YYYY", "YYYY"]) if issued_text else None
            )
            if issued and (issued[1] < start[0] or issued[0] > end[1]):
                self.findings.warning(
                    "cross.issued-date",
                    self._where(document),
                    "cross.issued_date",
                    line=document.record.line("issuedDate"),
                    element="<issuedDate>",
                    value=issued_text,
                    start=start_text,
                    end=end_text,
                )

    def _mode(self) -> None:
        dossier_mode = _MODE_OPENNESS.get(self.package.get("mode") or "")
        if dossier_mode is None:
            return
        for document in self.documents:
            mode = _MODE_OPENNESS.get(document.record.get("mode") or "")
            if mode is not None and mode < dossier_mode:
                self.findings.warning(
                    "cross.mode",
                    self._where(document),
                    "cross.mode_more_open",
                    line=document.record.line("mode"),
                    element="<mode>",
                    value=document.record.get("mode"),
                    dossier=self.package.get("mode"),
                )

    def _links(self, facts: MetsFacts) -> None:
        """Each document record is linked to exactly one content file, and their names agree."""
        rep_mets = f"{REP1}/METS.xml"
        by_relative = {d.relative: d for d in self.documents}
        linked: set[str] = set()
        linked_content: set[str] = set()
        for link in facts.links + facts.holey_links:
            dmd = resolve(rep_mets, link.dmd_href) if link.dmd_href else None
            content = resolve(rep_mets, link.file_href) if link.file_href else None
            if dmd is None or content is None:
                continue
            linked.add(dmd)
            linked_content.add(content)
            document = by_relative.get(dmd)
            if document is None:
                continue
            identifier = record_identifier(posixpath.basename(dmd))
            stem = _content_stem(posixpath.basename(content))
            doc_id = document.record.get("docId")
            names = {"record": identifier, "file": stem}
            if doc_id is not None:
                names["docId"] = doc_id
            if len(set(names.values())) > 1:
                self.findings.error(
                    "cross.names",
                    self.ctx.where(rep_mets),
                    "cross.names_disagree",
                    line=link.line,
                    element='<div LABEL="MetadataLink/File">',
                    names=", ".join(f"{k}={v}" for k, v in names.items()),
                )
        for document in self.documents:
            if document.relative not in linked:
                self.findings.error("mets.metadatalink", self._where(document), "mets.record_not_linked")
        for content in sorted(self.ctx.inventory.under(f"{REP1}/data")):
            if content not in linked_content:
                self.findings.error("mets.metadatalink", self.ctx.where(content), "mets.file_not_linked")


def _content_stem(name: str) -> str:
    if name.endswith(".fetch.txt"):
        return name[: -len(".fetch.txt")]
    return name.rsplit(".", 1)[0] if "." in name else name


def _short_list(values: list[int]) -> str:
    shown = ", ".join(str(v) for v in values[:10])
    return shown + (" …" if len(values) > 10 else "") if values else "-"
