"""Fixity of every METS reference (existence, SIZE, checksum), no dangling and no unreferenced files."""

from __future__ import annotations

import posixpath

from archive_repo.hashing import normalise_algorithm
from archive_repo.packages.mets import Reference, href_to_relative, references
from archive_repo.validation.context import PackageContext


def resolve(mets_relative: str, href: str) -> str | None:
    """Package-relative target of ``href`` written in the METS at ``mets_relative``; None if outside."""
    relative = href_to_relative(href)
    if relative is None:
        return None
    base = posixpath.dirname(mets_relative)
    joined = posixpath.normpath(posixpath.join(base, relative.lstrip("/")) if base else relative.lstrip("/"))
    if joined == ".." or joined.startswith("../") or relative.startswith("/"):
        return None
    return joined


def check_references(ctx: PackageContext, mets_relative: str, referenced: set[str]) -> None:
    tree = ctx.parse(mets_relative)
    if tree is None:
        return
    for reference in references(tree.getroot()):
        target = resolve(mets_relative, reference.href)
        where = ctx.where(mets_relative)
        if target is None:
            ctx.findings.error(
                "fixity.outside",
                where,
                "fixity.outside",
                line=reference.line,
                element=reference.describe(),
                href=reference.href,
            )
            continue
        referenced.add(target)
        if not ctx.exists(target):
            if target not in ctx.inventory.directories:
                ctx.findings.error(
                    "fixity.dangling",
                    where,
                    "fixity.dangling",
                    line=reference.line,
                    element=reference.describe(),
                    href=reference.href,
                )
            continue
        if reference.kind != "mptr":
            _check_fixity(ctx, where, target, reference)


def _check_fixity(ctx: PackageContext, where: str, target: str, reference: Reference) -> None:
    actual_size = ctx.inventory.files[target]
    if reference.size is not None:
        if not reference.size.strip().isdigit():
            ctx.findings.error(
                "fixity.size",
                where,
                "fixity.size_not_number",
                line=reference.line,
                element=reference.describe(),
                value=reference.size,
            )
        elif int(reference.size) != actual_size:
            ctx.findings.error(
                "fixity.size",
                where,
                "fixity.size_mismatch",
                line=reference.line,
                element=reference.describe(),
                href=reference.href,
                declared=reference.size,
                actual=actual_size,
            )
    if not reference.checksum:
        return
    algorithm = normalise_algorithm(reference.checksum_type or "SHA-256")
    if algorithm is None:
        ctx.findings.error(
            "fixity.checksum-type",
            where,
            "fixity.unknown_algorithm",
            line=reference.line,
            element=reference.describe(),
            value=reference.checksum_type,
        )
        return
    absolute = ctx.inventory.absolute(target)
    digest = ctx.digests.digest(absolute, algorithm)
    if digest is None:
        ctx.findings.error(
            "reader.unreadable",
            ctx.where(target),
            "reader.unreadable",
            detail=ctx.digests.error(absolute) or "",
        )
    elif digest.lower() != reference.checksum.strip().lower():
        ctx.findings.error(
            "fixity.checksum",
            where,
            "fixity.checksum_mismatch",
            line=reference.line,
            element=reference.describe(),
            href=reference.href,
            algorithm=reference.checksum_type,
            declared=reference.checksum,
            actual=digest.upper(),
        )


def check_unreferenced(ctx: PackageContext, referenced: set[str], mets_files: list[str]) -> None:
    exempt = set(mets_files[:1])  # the root METS.xml references everything and is referenced by nothing
    for relative in sorted(ctx.inventory.files):
        if relative in referenced or relative in exempt:
            continue
        ctx.findings.error("fixity.unreferenced", ctx.where(relative), "fixity.unreferenced")
