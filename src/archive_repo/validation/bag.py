"""BagIt bags: validity (the ``bagit`` library for parsing and completeness, our one-pass hashing for
fixity), the library's own warnings kept as findings, and BagIt-Profiles requirements."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bagit

from archive_repo.findings import Findings
from archive_repo.hashing import DigestCache, normalise_algorithm
from archive_repo.validation.profiles import Profile

AGENCY_PROFILE_ID = "urn:archive-repo:bagit-profile:agency-transfer:1.0"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _bagit_warnings() -> Iterator[_Collect]:
    logger = logging.getLogger("bagit")
    handler = _Collect()
    previous = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


def open_bag(bag_root: Path, findings: Findings, label: str) -> bagit.Bag | None:
    with _bagit_warnings() as collected:
        try:
            bag = bagit.Bag(str(bag_root))
        except (bagit.BagError, UnicodeError, ValueError, OSError) as exc:
            findings.error("bagit.invalid", label or ".", "bagit.unreadable", detail=str(exc))
            return None
    for message in collected.messages:
        findings.warning("bagit.warning", label or ".", "bagit.library_warning", detail=message)
    return bag


def check_bag(bag: bagit.Bag, digests: DigestCache, findings: Findings, label: str) -> None:
    """Structure, completeness and every manifest entry (payload and tag manifests)."""
    where = label or "."
    with _bagit_warnings() as collected:
        try:
            bag.validate(completeness_only=True)
        except bagit.BagValidationError as exc:
            details = exc.details or []
            for detail in details:
                kind = "missing" if isinstance(detail, bagit.FileMissing) else "unexpected"
                findings.error(f"bagit.{kind}", label + str(detail.path), f"bagit.file_{kind}")
            if not details:
                findings.error("bagit.invalid", where, "bagit.invalid", detail=exc.message)
        except (bagit.BagError, UnicodeError, ValueError, OSError) as exc:
            findings.error("bagit.invalid", where, "bagit.invalid", detail=str(exc))
    for message in collected.messages:
        if "not found on filesystem" in message or "not in the manifest" in message:
            continue  # already reported above, one finding per file
        findings.warning("bagit.warning", where, "bagit.library_warning", detail=message)
    root = Path(bag.path)
    for relative, expected in sorted(bag.entries.items()):
        path = root / relative
        if not path.is_file():
            continue
        for algorithm, value in expected.items():
            name = normalise_algorithm(algorithm)
            actual = digests.digest(path, name) if name else None
            if name is None:
                findings.error("bagit.algorithm", where, "bagit.unknown_algorithm", algorithm=algorithm)
            elif actual is None:
                findings.error(
                    "reader.unreadable",
                    label + relative,
                    "reader.unreadable",
                    detail=digests.error(path) or "",
                )
            elif actual.lower() != value.strip().lower():
                findings.error(
                    "bagit.checksum",
                    label + relative,
                    "bagit.checksum_mismatch",
                    algorithm=algorithm,
                    declared=value,
                    actual=actual,
                )


def check_bag_profile(bag: bagit.Bag, profile: Profile, findings: Findings, label: str) -> None:
    """The requirements of a BagIt-Profiles document (bag-info tags, manifests, fetch, versions)."""
    spec: dict[str, Any] = profile.bagit or {}
    where = label + "bag-info.txt"
    for tag, rule in spec.get("Bag-Info", {}).items():
        value = bag.info.get(tag)
        values = value if isinstance(value, list) else ([value] if value is not None else [])
        if rule.get("required") and not any(str(v).strip() for v in values):
            findings.error("bagit.profile-tag", where, "bagit.tag_required", tag=tag, profile=profile.name)
        allowed = rule.get("values")
        for item in values:
            if allowed and item not in allowed:
                findings.error(
                    "bagit.profile-tag",
                    where,
                    "bagit.tag_value",
                    tag=tag,
                    value=item,
                    allowed=", ".join(allowed),
                )
        if not rule.get("repeatable", True) and len(values) > 1:
            findings.error("bagit.profile-tag", where, "bagit.tag_repeated", tag=tag)
    payload_algorithms = {Path(m).name[len("manifest-") : -4] for m in bag.manifest_files()}
    for algorithm in spec.get("Manifests-Required", []):
        if algorithm not in payload_algorithms:
            findings.error(
                "bagit.profile-manifest",
                label + f"manifest-{algorithm}.txt",
                "bagit.manifest_required",
                algorithm=algorithm,
                profile=profile.name,
            )
    allowed_manifests = spec.get("Manifests-Allowed")
    if allowed_manifests:
        for algorithm in sorted(payload_algorithms - set(allowed_manifests)):
            findings.error(
                "bagit.profile-manifest",
                label + f"manifest-{algorithm}.txt",
                "bagit.manifest_not_allowed",
                algorithm=algorithm,
                profile=profile.name,
            )
    tag_algorithms = {Path(m).name[len("tagmanifest-") : -4] for m in bag.tagmanifest_files()}
    for algorithm in spec.get("Tag-Manifests-Required", []):
        if algorithm not in tag_algorithms:
            findings.error(
                "bagit.profile-manifest",
                label + f"tagmanifest-{algorithm}.txt",
                "bagit.manifest_required",
                algorithm=algorithm,
                profile=profile.name,
            )
    for tag_file in spec.get("Tag-Files-Required", []):
        if not (Path(bag.path) / tag_file).is_file():
            findings.error("bagit.profile-tagfile", label + tag_file, "structure.missing_file")
    if not spec.get("Allow-Fetch.txt", True) and (Path(bag.path) / "fetch.txt").exists():
        findings.error(
            "bagit.profile-fetch", label + "fetch.txt", "bagit.fetch_not_allowed", profile=profile.name
        )
    versions = spec.get("Accept-BagIt-Version")
    if versions and bag.version not in versions:
        findings.error(
            "bagit.profile-version",
            label + "bagit.txt",
            "bagit.version_not_accepted",
            version=bag.version,
            allowed=", ".join(versions),
        )


def declared_profile(bag: bagit.Bag) -> str | None:
    value = bag.info.get("BagIt-Profile-Identifier")
    value = value[0] if isinstance(value, list) else value
    return "bagit-agency-transfer" if value == AGENCY_PROFILE_ID else None
