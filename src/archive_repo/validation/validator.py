"""Validate a submission: open it safely, pick the profile, run every check that profile calls for."""

from __future__ import annotations

from pathlib import Path

from archive_repo.findings import Findings
from archive_repo.hashing import DigestCache
from archive_repo.packages.inventory import scan
from archive_repo.packages.limits import UnpackLimits
from archive_repo.packages.reader import ROOT_METS, Submission, open_submission
from archive_repo.validation.bag import (
    bulk_algorithms,
    check_bag,
    check_bag_profile,
    declared_profile,
    open_bag,
    undeclared_bag,
)
from archive_repo.validation.context import REP1, PackageContext
from archive_repo.validation.detect import detect_profile
from archive_repo.validation.fixity import check_references, check_unreferenced
from archive_repo.validation.holey import check_holey
from archive_repo.validation.metadata import check_metadata
from archive_repo.validation.mets_rules import MetsFacts, check_mets_file
from archive_repo.validation.profiles import Profile, load_profile
from archive_repo.validation.report import Report
from archive_repo.validation.structure import check_structure


def validate_path(
    path: Path,
    profile_name: str | None = None,
    limits: UnpackLimits | None = None,
    quarantine_parent: Path | None = None,
    workers: int | None = None,
) -> Report:
    """Validate the submission at ``path``. Raises only for a path that cannot be opened at all."""
    forced = load_profile(profile_name) if profile_name else None
    with open_submission(path, limits, quarantine_parent) as submission:
        return validate_submission(submission, forced, workers)


def validate_submission(
    submission: Submission,
    forced: Profile | None = None,
    workers: int | None = None,
    digests: DigestCache | None = None,
) -> Report:
    """Validate an opened submission; ``digests`` (optional) keeps the file digests for the caller."""
    findings = submission.findings
    label = str(submission.source)
    if submission.top is None:
        return Report(label, forced.name if forced else None, findings)
    digests = digests if digests is not None else DigestCache()
    bag_profile: str | None = None
    if submission.is_bag:
        bag_profile = _validate_bag(submission, forced, digests, findings, workers)
        if forced is not None and forced.family == "bagit":
            forced = None
        if submission.package_root is None:
            return Report(label, bag_profile, findings)
    elif forced is not None and forced.family == "bagit":
        findings.error("bagit.not-a-bag", ".", "bagit.not_a_bag")
        return Report(label, forced.name, findings)
    elif submission.package_root is None:
        if undeclared_bag(submission.top) is not None:
            findings.error("bagit.no-declaration", ".", "bagit.no_declaration")
            return Report(label, forced.name if forced else "bagit", findings)
        findings.error("structure.no-mets", ".", "structure.no_mets", file=ROOT_METS)
        return Report(label, forced.name if forced else None, findings)
    profile = validate_package(submission, forced, digests, findings, workers)
    return Report(label, f"{bag_profile} + {profile.name}" if bag_profile else profile.name, findings)


def _relative_label(submission: Submission, folder: Path) -> str:
    assert submission.top is not None
    relative = folder.relative_to(submission.top).as_posix()
    return "" if relative == "." else relative + "/"


def _validate_bag(
    submission: Submission,
    forced: Profile | None,
    digests: DigestCache,
    findings: Findings,
    workers: int | None,
) -> str:
    assert submission.bag_root is not None
    label = _relative_label(submission, submission.bag_root)
    bag = open_bag(submission.bag_root, findings, label)
    if bag is None:
        return forced.name if forced else "bagit"
    digests.algorithms |= bulk_algorithms(bag)
    digests.compute([submission.bag_root / p for p in bag.entries], workers)
    check_bag(bag, digests, findings, label)
    profile = forced if forced is not None and forced.family == "bagit" else None
    if profile is None:
        profile = load_profile(declared_profile(bag) or "bagit")
    check_bag_profile(bag, profile, findings, label)
    return profile.name


def validate_package(
    submission: Submission,
    forced: Profile | None,
    digests: DigestCache,
    findings: Findings,
    workers: int | None,
) -> Profile:
    assert submission.package_root is not None
    root = submission.package_root
    label = _relative_label(submission, root)
    inventory = scan(root, findings, label)
    payload = submission.bag_root / "data" if submission.bag_root is not None else None
    meaningful_name = root != payload and (root != submission.top or submission.container == "folder")
    ctx = PackageContext(root, inventory, findings, digests, label, root.name if meaningful_name else None)
    digests.compute([inventory.absolute(p) for p in inventory.files], workers)
    profile = forced or load_profile(detect_profile(ctx))
    check_structure(ctx, profile)
    root_facts = check_mets_file(ctx, profile, ROOT_METS, is_root=True)
    mets_files = [ROOT_METS] + [
        f"{rep}/METS.xml" for rep in ctx.representation_folders() if ctx.exists(f"{rep}/METS.xml")
    ]
    rep_facts: MetsFacts | None = None
    for rep_mets in mets_files[1:]:
        facts = check_mets_file(ctx, profile, rep_mets, is_root=False)
        if rep_mets == f"{REP1}/METS.xml":
            rep_facts = facts
    referenced: set[str] = set()
    for mets_file in mets_files:
        check_references(ctx, mets_file, referenced)
    if root_facts is not None:  # without the root METS the reference list is incomplete: no noise
        check_unreferenced(ctx, referenced, mets_files)
    if profile.family == "tt05":
        check_metadata(ctx, profile, rep_facts)
        check_holey(ctx, profile, root_facts, rep_facts)
    return profile
