"""Fixity of every METS reference (existence, SIZE, checksum), no dangling and no unreferenced files."""

from __future__ import annotations

import posixpath
from typing import Any

from archive_repo.hashing import normalise_algorithm
from archive_repo.packages.mets import Reference, href_to_relative, references
from archive_repo.validation.context import PackageContext


def resolve(mets_relative: str, href: str) -> str | None:
    """Package-relative target of ``href`` written in the METS at ``mets_relative``; None if outside."""
    relative = href_to_relative(href)
    if relative is None or relative.startswith("/"):
        return None
    base = posixpath.dirname(mets_relative)
    joined = posixpath.normpath(posixpath.join(base, relative) if base else relative)
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def _error(ctx: PackageContext, where: str, reference: Reference, rule: str, key: str, **params: Any) -> None:
    ctx.findings.error(rule, where, key, line=reference.line, element=reference.describe(), **params)


def check_references(ctx: PackageContext, mets_relative: str, referenced: set[str]) -> None:
    tree = ctx.parse(mets_relative)
    if tree is None:
        return
    where = ctx.where(mets_relative)
    for reference in references(tree.getroot()):
        target = resolve(mets_relative, reference.href)
        if target is None:
            _error(ctx, where, reference, "fixity.outside", "fixity.outside", href=reference.href)
            continue
        referenced.add(target)
        if not ctx.exists(target):
            if target not in ctx.inventory.directories:
                _error(ctx, where, reference, "fixity.dangling", "fixity.dangling", href=reference.href)
            continue
        if reference.kind != "mptr":
            _check_fixity(ctx, where, target, reference)


def _check_fixity(ctx: PackageContext, where: str, target: str, reference: Reference) -> None:
    actual_size = ctx.inventory.files[target]
    declared_size = (reference.size or "").strip()
    if reference.size is not None and not declared_size.isdigit():
        _error(ctx, where, reference, "fixity.size", "fixity.size_not_number", value=reference.size)
    elif declared_size and int(declared_size) != actual_size:
        _error(
            ctx,
            where,
            reference,
            "fixity.size",
            "fixity.size_mismatch",
            href=reference.href,
            declared=declared_size,
            actual=actual_size,
        )
    if not reference.checksum:
        return
    algorithm = normalise_algorithm(reference.checksum_type or "SHA-256")
    if algorithm is None:
        _error(
            ctx,
            where,
            reference,
            "fixity.checksum-type",
            "fixity.unknown_algorithm",
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
        _error(
            ctx,
            where,
            reference,
            "fixity.checksum",
            "fixity.checksum_mismatch",
            href=reference.href,
            algorithm=reference.checksum_type,
            declared=reference.checksum,
            actual=digest.upper(),
        )


def check_unreferenced(ctx: PackageContext, referenced: set[str], mets_files: list[str]) -> None:
    exempt = set(mets_files[:1])  # the root METS.xml references everything and is referenced by nothing
    for relative in sorted(ctx.inventory.files):
        if relative not in referenced and relative not in exempt:
            ctx.findings.error("fixity.unreferenced", ctx.where(relative), "fixity.unreferenced")
