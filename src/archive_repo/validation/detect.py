"""Which profile a package declares: OAISPACKAGETYPE, mets/@TYPE and the fields of its EAD.xml."""

from __future__ import annotations

from archive_repo.packages.ead import read_record, record_kind
from archive_repo.packages.mets import CSIP_PROFILE, DIP_PROFILE, NOTETYPE, OAISPACKAGETYPE, m
from archive_repo.validation.context import PackageContext
from archive_repo.validation.structure import PACKAGE_EAD

_TT05_BY_TYPE = {
    ("SIP", "hoso"): "SIP_hoso",
    ("SIP", "tailieu"): "SIP_tailieu",
    ("AIP", "hoso"): "AIP_hoso",
    ("AIP", "tailieu"): "AIP_tailieu",
}


def detect_profile(ctx: PackageContext) -> str:
    """The best-matching profile name; E-ARK CSIP 2.0.4 when nothing TT05-specific is present."""
    tree = ctx.parse("METS.xml")
    root = tree.getroot() if tree is not None else None
    header = root.find(m("metsHdr")) if root is not None else None
    package_type = (header.get(OAISPACKAGETYPE) if header is not None else None) or ""
    mets_type = (root.get("TYPE") if root is not None else None) or ""
    declared_profile = (root.get("PROFILE") if root is not None else None) or ""
    ead_fields = _package_fields(ctx)
    if ead_fields is None and _has_tt05_signs(ctx, root):
        ead_fields = set()  # a TT05 package that lost its EAD.xml: validate it as TT05 and say so
    if ead_fields is None:
        if package_type == "DIP" or declared_profile == DIP_PROFILE:
            return "E-ARK-DIP"
        if "earksip" in declared_profile or package_type == "SIP" and declared_profile != CSIP_PROFILE:
            return "E-ARK-SIP"
        return "CSIP-2.0.4"
    if package_type == "DIP" or "requestID" in ead_fields or "purpose" in ead_fields:
        return "DIP"
    kind = _kind(mets_type, ead_fields)
    if package_type not in ("SIP", "AIP"):
        package_type = "AIP" if "arcFileCode" in ead_fields else "SIP"
    return _TT05_BY_TYPE[(package_type, kind)]


def _has_tt05_signs(ctx: PackageContext, root) -> bool:  # noqa: ANN001 - an lxml element or None
    """TT05 writes the fonds code as an IDENTIFICATIONCODE note and keeps EAD_DOC_/PIC_/MEDIA_ records."""
    if root is None:
        return False
    notes = root.iter(m("note"))
    if any(note.get(NOTETYPE) == "IDENTIFICATIONCODE" for note in notes):
        return True
    return any(record_kind(p.rsplit("/", 1)[-1]) for p in ctx.inventory.files)


def _kind(mets_type: str, fields: set[str]) -> str:
    if "source" in fields and "maintenance" not in fields:
        return "tailieu"
    if {"maintenance", "mode", "startDate"} & fields:
        return "hoso"
    return "tailieu" if mets_type.lower() == "collection" else "hoso"


def _package_fields(ctx: PackageContext) -> set[str] | None:
    if not ctx.exists(PACKAGE_EAD):
        return None
    tree = ctx.parse(PACKAGE_EAD)
    if tree is None:
        return set()
    record = read_record(tree)
    return set(record.values) if record.root_name == "simpledc" else None
