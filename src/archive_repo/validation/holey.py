"""Holey references (``*.fetch.txt``): documents transferred earlier, referenced instead of re-sent."""

from __future__ import annotations

import re

from archive_repo.validation.context import REP1, PackageContext
from archive_repo.validation.mets_rules import MetsFacts
from archive_repo.validation.profiles import Profile

SUFFIX = ".fetch.txt"
MAX_BYTES = 64 * 1024
_SIP_LINE = re.compile(r"^\S{1,200}$")
_AIP_LINE = re.compile(
    r"^urn_(?P<fonds>[^_\s]+)_(?P<uuid>uuid-[0-9A-Fa-f-]{36})_(?P<path>\S+)\s+(?P<size>\d+)\s+(?P<local>\S+)\s+(?P<doc>\S+)$"
)


def fonds_of_objid(objid: str | None) -> str | None:
    match = re.match(r"^urn:([^:]+):uuid-", objid or "")
    return match.group(1) if match else None


def check_holey(
    ctx: PackageContext, profile: Profile, root_facts: MetsFacts | None, rep: MetsFacts | None
) -> None:
    holey = sorted(p for p in ctx.inventory.under(f"{REP1}/data") if p.endswith(SUFFIX))
    if not holey:
        return
    fonds = fonds_of_objid(root_facts.objid if root_facts else None) or (
        root_facts.fonds_code if root_facts else None
    )
    groups = {href.lstrip("./"): use for href, use in (rep.group_of_href.items() if rep else [])}
    for relative in holey:
        where = ctx.where(relative)
        in_rep = relative[len(REP1) + 1 :]
        if rep is not None and groups.get(in_rep, "Holeyfile") != "Holeyfile":
            ctx.findings.error("holey.group", where, "holey.wrong_group", found=groups[in_rep])
        if ctx.inventory.files[relative] > MAX_BYTES:
            ctx.findings.error("holey.format", where, "holey.too_large", limit=MAX_BYTES)
            continue
        try:
            text = ctx.inventory.absolute(relative).read_bytes().decode("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            ctx.findings.error("holey.format", where, "holey.unreadable", detail=str(exc))
            continue
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) != 1:
            ctx.findings.error("holey.format", where, "holey.one_line", count=len(lines))
            continue
        _check_line(ctx, profile, where, lines[0].strip(), fonds)
    if rep is not None and not rep.holey_links:
        ctx.findings.error("holey.structmap", ctx.where(f"{REP1}/METS.xml"), "holey.no_division")


def _check_line(ctx: PackageContext, profile: Profile, where: str, line: str, fonds: str | None) -> None:
    if profile.holey_format == "sip":
        if not _SIP_LINE.match(line):
            ctx.findings.error("holey.format", where, "holey.sip_format", value=line[:80])
        return
    match = _AIP_LINE.match(line)
    if not match:
        ctx.findings.error("holey.format", where, "holey.aip_format", value=line[:120])
        return
    if fonds and match.group("fonds") != fonds:
        ctx.findings.error(
            "holey.fonds", where, "holey.other_fonds", found=match.group("fonds"), expected=fonds
        )
