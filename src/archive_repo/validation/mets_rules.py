"""METS rules of E-ARK CSIP and the TT05 profiles: header, agents, IDs, file groups, structural maps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from archive_repo.findings import Findings, Severity
from archive_repo.packages.mets import (
    CONTENTINFORMATIONTYPE,
    HREF,
    NOTETYPE,
    OAISPACKAGETYPE,
    m,
    xpath,
)
from archive_repo.validation.context import REP1, PackageContext
from archive_repo.validation.profiles import Profile
from archive_repo.validation.xsd import mets_schema, schema_findings

_IDREF_ATTRIBUTES = ("DMDID", "ADMID", "FILEID", "BEGIN", "END")
_ID_SCHEMA_NOISE = re.compile(
    r"xs:ID\b|IDREF|Duplicate key-sequence|is not a valid value of the atomic type 'xs:ID"
)


@dataclass
class DocumentLink:
    """One ``MetadataLink/File`` division: a document's metadata record and its content file."""

    dmd_href: str | None
    file_href: str | None
    line: int | None


@dataclass
class MetsFacts:
    objid: str | None = None
    fonds_code: str | None = None
    package_type: str | None = None
    record_status: str | None = None
    links: list[DocumentLink] = field(default_factory=list)
    holey_links: list[DocumentLink] = field(default_factory=list)
    group_of_href: dict[str, str] = field(default_factory=dict)


def _el(element: etree._Element) -> str:
    name = etree.QName(element).localname
    for attribute in ("ID", "LABEL", "USE"):
        if element.get(attribute):
            return f'<{name} {attribute}="{element.get(attribute)}">'
    return f"<{name}>"


def check_mets_file(ctx: PackageContext, profile: Profile, relative: str, is_root: bool) -> MetsFacts | None:
    tree = ctx.parse(relative)
    if tree is None:
        return None
    root = tree.getroot()
    where = ctx.where(relative)
    findings = ctx.findings
    if root.tag != m("mets"):
        findings.error("mets.root", where, "mets.not_mets", line=root.sourceline, found=str(root.tag))
        return None
    _schema(ctx, tree, where)
    _ids(ctx, root, where)
    facts = MetsFacts(objid=root.get("OBJID"))
    _header(ctx, profile, root, where, is_root, facts)
    _file_groups(ctx, profile, root, where, is_root)
    if is_root:
        _root_structmap(ctx, profile, root, where)
        _amdsec(ctx, profile, root, where)
    else:
        _rep_structmap(ctx, profile, root, where, relative, facts)
    for file_element in root.iter(m("file")):
        group = file_element.getparent()
        for flocat in file_element.iter(m("FLocat")):
            if flocat.get(HREF):
                facts.group_of_href[flocat.get(HREF)] = group.get("USE", "")
    return facts


def _schema(ctx: PackageContext, tree: etree._ElementTree, where: str) -> None:
    schema = mets_schema()
    if schema.validate(tree):
        return
    noisy = [e for e in schema.error_log if not _ID_SCHEMA_NOISE.search(e.message)]
    if not noisy:
        return
    scratch = Findings()
    schema_findings(schema, tree, scratch, where, "mets.schema", "METS 1.12")
    ctx.findings.extend([f for f in scratch if not _ID_SCHEMA_NOISE.search(str(f.params.get("detail", "")))])


def _ids(ctx: PackageContext, root: etree._Element, where: str) -> None:
    seen: dict[str, int | None] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        identifier = element.get("ID")
        if identifier is None:
            continue
        if identifier in seen:
            ctx.findings.error(
                "mets.id-unique",
                where,
                "mets.duplicate_id",
                line=element.sourceline,
                element=_el(element),
                id=identifier,
                first=seen[identifier],
            )
        else:
            seen[identifier] = element.sourceline
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in _IDREF_ATTRIBUTES:
            value = element.get(attribute)
            if value is None or attribute in ("BEGIN", "END") and etree.QName(element).localname != "area":
                continue
            for reference in value.split():
                if reference not in seen:
                    ctx.findings.error(
                        "mets.idref",
                        where,
                        "mets.dangling_idref",
                        line=element.sourceline,
                        element=_el(element),
                        attribute=attribute,
                        id=reference,
                    )


def _attribute(
    ctx: PackageContext,
    where: str,
    rule: str,
    element: etree._Element,
    name: str,
    value: str | None,
    *,
    allowed: list[str] | tuple[str, ...] = (),
    missing: Severity | None = Severity.ERROR,
) -> None:
    """Report an attribute that is missing (with the given severity, None = optional) or not allowed."""
    label = f"<{etree.QName(element).localname}>"
    if not value:
        if missing is not None:
            ctx.findings.add(
                rule,
                missing,
                where,
                "mets.missing_attribute",
                line=element.sourceline,
                element=label,
                attribute=name,
            )
    elif allowed and value not in allowed:
        ctx.findings.error(
            rule,
            where,
            "mets.value_not_allowed",
            line=element.sourceline,
            element=label,
            attribute=name,
            value=value,
            allowed=", ".join(allowed),
        )


def _content_type_severity(profile: Profile, is_root: bool) -> Severity | None:
    if profile.family == "tt05":
        return None if is_root else Severity.ERROR  # TT05: required in the representation METS
    if not is_root:
        return None
    return Severity.ERROR if profile.mets.content_information_type == "required" else Severity.WARNING


def _header(
    ctx: PackageContext, profile: Profile, root: etree._Element, where: str, is_root: bool, facts: MetsFacts
) -> None:
    expect = profile.mets
    objid = root.get("OBJID")
    _attribute(ctx, where, "mets.objid", root, "OBJID", objid)
    if objid and is_root and expect.objid_pattern and not re.match(expect.objid_pattern, objid):
        ctx.findings.error(
            "mets.objid", where, "mets.objid_pattern", line=root.sourceline, value=objid, kind=profile.name
        )
    if is_root and objid and ctx.folder_name and expect.folder_name != "none":
        wanted = objid.replace(":", "_") if expect.folder_name == "objid-underscored" else objid
        if ctx.folder_name != wanted:
            ctx.findings.warning(
                "structure.folder-name",
                where,
                "structure.folder_name",
                found=ctx.folder_name,
                expected=wanted,
            )
    _attribute(
        ctx, where, "mets.type", root, "TYPE", root.get("TYPE"), allowed=expect.types if is_root else ()
    )
    _attribute(
        ctx,
        where,
        "mets.profile",
        root,
        "PROFILE",
        root.get("PROFILE"),
        allowed=expect.profiles if is_root else expect.rep_profiles,
        missing=Severity.ERROR if is_root else Severity.WARNING,
    )
    _attribute(
        ctx,
        where,
        "mets.content-information-type",
        root,
        "csip:CONTENTINFORMATIONTYPE",
        root.get(CONTENTINFORMATIONTYPE),
        missing=_content_type_severity(profile, is_root),
    )
    header = root.find(m("metsHdr"))
    if header is None:
        ctx.findings.error(
            "mets.header", where, "mets.missing_element", line=root.sourceline, element="<metsHdr>"
        )
        return
    _attribute(ctx, where, "mets.header", header, "CREATEDATE", header.get("CREATEDATE"))
    facts.record_status = header.get("RECORDSTATUS")
    _attribute(
        ctx,
        where,
        "mets.record-status",
        header,
        "RECORDSTATUS",
        facts.record_status,
        allowed=expect.record_status,
        missing=None,
    )
    facts.package_type = header.get(OAISPACKAGETYPE)
    if is_root:
        _attribute(
            ctx,
            where,
            "mets.oaispackagetype",
            header,
            "csip:OAISPACKAGETYPE",
            facts.package_type,
            allowed=profile.accepted_package_types,
        )
        _agents(ctx, profile, header, where, facts)


def _agents(
    ctx: PackageContext, profile: Profile, header: etree._Element, where: str, facts: MetsFacts
) -> None:
    creators = [
        agent
        for agent in header.findall(m("agent"))
        if agent.get("ROLE") == "CREATOR"
        and agent.get("TYPE") == "OTHER"
        and agent.get("OTHERTYPE") == "SOFTWARE"
    ]
    if not creators:
        rule_kind = ctx.findings.error if profile.family == "tt05" else ctx.findings.warning
        rule_kind("mets.agent", where, "mets.no_software_agent", line=header.sourceline, element="<metsHdr>")
        return
    for agent in creators:
        name = agent.findtext(m("name"))
        if not (name and name.strip()):
            ctx.findings.error(
                "mets.agent", where, "mets.agent_no_name", line=agent.sourceline, element=_el(agent)
            )
        for note in agent.findall(m("note")):
            if note.get(NOTETYPE) == "IDENTIFICATIONCODE" and (note.text or "").strip():
                facts.fonds_code = note.text.strip()
    if facts.fonds_code is None and profile.mets.fonds_note == "required":
        ctx.findings.error(
            "mets.agent", where, "mets.no_fonds_code", line=creators[0].sourceline, element=_el(creators[0])
        )


def _file_groups(
    ctx: PackageContext, profile: Profile, root: etree._Element, where: str, is_root: bool
) -> None:
    expect = profile.mets
    required = expect.root_groups_required if is_root else expect.rep_groups_required
    allowed = expect.root_groups_allowed if is_root else expect.rep_groups_allowed
    file_sec = root.find(m("fileSec"))
    if file_sec is None:
        if required or profile.family == "eark" and is_root:
            ctx.findings.error(
                "mets.filesec", where, "mets.missing_element", line=root.sourceline, element="<fileSec>"
            )
        return
    uses = []
    for group in file_sec.iter(m("fileGrp")):
        use = group.get("USE")
        if not use:
            ctx.findings.error(
                "mets.filegrp-use",
                where,
                "mets.missing_attribute",
                line=group.sourceline,
                element="<fileGrp>",
                attribute="USE",
            )
            continue
        uses.append(use)
        if allowed and use not in allowed:
            ctx.findings.error(
                "mets.filegrp-use",
                where,
                "mets.value_not_allowed",
                line=group.sourceline,
                element=_el(group),
                attribute="USE",
                value=use,
                allowed=", ".join(allowed),
            )
        for file_element in group.findall(m("file")):
            for attribute in ("MIMETYPE", "SIZE", "CHECKSUM", "CHECKSUMTYPE"):
                if not file_element.get(attribute):
                    ctx.findings.error(
                        "mets.file-attributes",
                        where,
                        "mets.missing_attribute",
                        line=file_element.sourceline,
                        element=_el(file_element),
                        attribute=attribute,
                    )
    for use in required:
        if use not in uses:
            ctx.findings.error(
                "mets.filegrp-use", where, "mets.missing_file_group", line=file_sec.sourceline, use=use
            )


def _csip_structmap(ctx: PackageContext, root: etree._Element, where: str) -> etree._Element | None:
    maps = [s for s in root.findall(m("structMap")) if s.get("LABEL") == "CSIP"]
    if len(maps) != 1:
        ctx.findings.error(
            "mets.structmap", where, "mets.csip_structmap_count", line=root.sourceline, count=len(maps)
        )
        return None
    top = maps[0].find(m("div"))
    if top is None:
        ctx.findings.error(
            "mets.structmap",
            where,
            "mets.missing_element",
            line=maps[0].sourceline,
            element='<structMap LABEL="CSIP">/<div>',
        )
    return top


def _child_div(parent: etree._Element, label: str) -> etree._Element | None:
    for div in parent.findall(m("div")):
        if div.get("LABEL") == label:
            return div
    return None


def _root_structmap(ctx: PackageContext, profile: Profile, root: etree._Element, where: str) -> None:
    top = _csip_structmap(ctx, root, where)
    if top is None:
        return
    metadata = _child_div(top, "Metadata")
    if metadata is None:
        severity = ctx.findings.error if profile.family == "tt05" else ctx.findings.warning
        severity("mets.structmap", where, "mets.missing_division", line=top.sourceline, label="Metadata")
    elif profile.family == "tt05" and not metadata.get("DMDID"):
        ctx.findings.error(
            "mets.structmap",
            where,
            "mets.missing_attribute",
            line=metadata.sourceline,
            element=_el(metadata),
            attribute="DMDID",
        )
    if profile.family != "tt05":
        return
    rep = _child_div(top, "Representations/rep1")
    if rep is None:
        ctx.findings.error(
            "mets.structmap",
            where,
            "mets.missing_division",
            line=top.sourceline,
            label="Representations/rep1",
        )
        return
    pointers = [p.get(HREF) for p in rep.iter(m("mptr"))]
    if f"{REP1}/METS.xml" not in pointers:
        ctx.findings.error(
            "mets.structmap",
            where,
            "mets.missing_mptr",
            line=rep.sourceline,
            element=_el(rep),
            target=f"{REP1}/METS.xml",
        )


def _amdsec(ctx: PackageContext, profile: Profile, root: etree._Element, where: str) -> None:
    if profile.mets.amdsec == "empty":
        for section in root.findall(m("amdSec")):
            if len(section):
                ctx.findings.warning(
                    "mets.amdsec",
                    where,
                    "mets.amdsec_not_empty",
                    line=section.sourceline,
                    element=_el(section),
                    kind=profile.package_type,
                )
        return
    if profile.mets.amdsec != "premis":
        return
    hrefs = [h for h in xpath(root, "mets:amdSec/mets:digiprovMD/mets:mdRef/@xlink:href")]
    if not any(str(h).endswith("PREMIS.xml") for h in hrefs):
        ctx.findings.error("mets.amdsec", where, "mets.no_premis_reference", line=root.sourceline)


def _rep_structmap(
    ctx: PackageContext, profile: Profile, root: etree._Element, where: str, relative: str, facts: MetsFacts
) -> None:
    top = _csip_structmap(ctx, root, where)
    if top is None:
        return
    if profile.family != "tt05":
        return
    expected_type = profile.mets.rep_div_type
    if top.get("LABEL") != "rep1":
        ctx.findings.error(
            "mets.structmap", where, "mets.missing_division", line=top.sourceline, label="rep1"
        )
    elif expected_type and top.get("TYPE") and top.get("TYPE") != expected_type:
        ctx.findings.warning(
            "mets.structmap",
            where,
            "mets.value_not_allowed",
            line=top.sourceline,
            element=_el(top),
            attribute="TYPE",
            value=top.get("TYPE"),
            allowed=expected_type,
        )
    if _child_div(top, "Data") is None:
        ctx.findings.error(
            "mets.structmap", where, "mets.missing_division", line=top.sourceline, label="Data"
        )
    link_root = _child_div(top, "MetadataLink")
    if link_root is None:
        ctx.findings.error(
            "mets.structmap", where, "mets.missing_division", line=top.sourceline, label="MetadataLink"
        )
        return
    dmd_href: dict[str | None, str | None] = {}
    for sec in root.findall(m("dmdSec")):
        ref = sec.find(m("mdRef"))
        dmd_href[sec.get("ID")] = ref.get(HREF) if ref is not None else None
    file_href: dict[str | None, str | None] = {}
    for file_element in root.iter(m("file")):
        flocat = file_element.find(m("FLocat"))
        file_href[file_element.get("ID")] = flocat.get(HREF) if flocat is not None else None
    for div in link_root.findall(m("div")):
        label = div.get("LABEL")
        if label not in (
            "MetadataLink/File",
            "MetadataLink/Holey",
            "AttachmentFile",
            "MetadataLink/Attachment",
        ):
            ctx.findings.warning(
                "mets.structmap", where, "mets.unknown_division", line=div.sourceline, label=label or ""
            )
            continue
        if label == "AttachmentFile" or label == "MetadataLink/Attachment":
            continue
        dmdids = (div.get("DMDID") or "").split()
        fptrs = [f.get("FILEID") for f in div.findall(m("fptr"))]
        if len(dmdids) != 1:
            ctx.findings.error(
                "mets.metadatalink",
                where,
                "mets.link_dmdid",
                line=div.sourceline,
                element=_el(div),
                count=len(dmdids),
            )
        if len(fptrs) != 1:
            ctx.findings.error(
                "mets.metadatalink",
                where,
                "mets.link_fptr",
                line=div.sourceline,
                element=_el(div),
                count=len(fptrs),
            )
        link = DocumentLink(
            dmd_href=dmd_href.get(dmdids[0]) if dmdids else None,
            file_href=file_href.get(fptrs[0]) if fptrs else None,
            line=div.sourceline,
        )
        (facts.holey_links if label == "MetadataLink/Holey" else facts.links).append(link)
