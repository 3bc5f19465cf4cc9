"""Required folders and files, and exactly one representation for TT05."""

from __future__ import annotations

from archive_repo.validation.context import REP1, PackageContext
from archive_repo.validation.profiles import Profile

ROOT_PREMIS = "metadata/preservation/PREMIS.xml"
REP_PREMIS = f"{REP1}/metadata/preservation/PREMIS_rep1.xml"
PACKAGE_EAD = "metadata/descriptive/EAD.xml"


def check_structure(ctx: PackageContext, profile: Profile) -> None:
    if profile.family == "tt05":
        _check_tt05(ctx, profile)
    else:
        _check_eark(ctx)


def _require(ctx: PackageContext, relative: str, rule: str) -> bool:
    if ctx.exists(relative):
        return True
    ctx.findings.error(rule, ctx.where(relative), "structure.missing_file")
    return False


def _check_tt05(ctx: PackageContext, profile: Profile) -> None:
    _require(ctx, PACKAGE_EAD, "structure.package-metadata")
    representations = ctx.representation_folders()
    if representations != [REP1]:
        ctx.findings.error(
            "structure.one-representation",
            ctx.where("representations/"),
            "structure.one_representation",
            found=", ".join(r.rsplit("/", 1)[-1] for r in representations) or "-",
        )
    if REP1 in ctx.inventory.directories:
        _require(ctx, f"{REP1}/METS.xml", "structure.representation-mets")
        if not ctx.inventory.under(f"{REP1}/data"):
            ctx.findings.error("structure.no-data", ctx.where(f"{REP1}/data/"), "structure.no_data")
    for premis in (ROOT_PREMIS, REP_PREMIS):
        present = ctx.exists(premis)
        if profile.premis == "required" and not present:
            ctx.findings.error(
                "structure.premis-required",
                ctx.where(premis),
                "structure.premis_required",
                kind=profile.package_type,
            )
        elif profile.premis == "absent" and present:
            ctx.findings.warning(
                "structure.premis-unexpected",
                ctx.where(premis),
                "structure.premis_unexpected",
                kind=profile.package_type,
            )
    if "schemas" not in ctx.inventory.directories:
        ctx.findings.warning("structure.schemas-folder", ctx.where("schemas/"), "structure.schemas_missing")
    allowed_top = {"METS.xml", "metadata", "representations", "schemas", "documentation"}
    for name in sorted(
        {p.split("/", 1)[0] for p in ctx.inventory.files}
        | {d.split("/", 1)[0] for d in ctx.inventory.directories}
    ):
        if name not in allowed_top:
            ctx.findings.warning("structure.unexpected-entry", ctx.where(name), "structure.unexpected_entry")


def _check_eark(ctx: PackageContext) -> None:
    if "representations" not in ctx.inventory.directories:
        ctx.findings.warning(
            "structure.representations-folder",
            ctx.where("representations/"),
            "structure.representations_missing",
        )
    for rep in ctx.representation_folders():
        if not ctx.inventory.under(f"{rep}/data") and not ctx.exists(f"{rep}/METS.xml"):
            ctx.findings.warning(
                "structure.empty-representation", ctx.where(rep + "/"), "structure.empty_representation"
            )
    if "metadata" not in ctx.inventory.directories:
        ctx.findings.warning(
            "structure.metadata-folder", ctx.where("metadata/"), "structure.metadata_missing"
        )
