"""The Library of Congress BagIt conformance suite, bag by bag.

``valid/`` bags must pass (exit 0), ``invalid/`` bags must fail (exit 1), ``warning/`` bags must pass
and carry the warning they were made for, ``linux-only/`` bags must fail here. ``windows-only/`` bags
hold paths that leave the bag on Windows (drive letters, UNC paths, ``%HomeDrive%``); we reject such
paths on every system, since a bag must be safe wherever it is opened, so they are expected to fail too.

The suite lives beside the repository (``shared/testdata/bagit-conformance``); without it this module is
skipped. It is only read: line endings are part of what it tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive_repo.findings import Severity, Verdict
from archive_repo.i18n import message_keys
from archive_repo.validation.validator import validate_path
from helpers import describe, run_cli, tree_state

SUITE = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "bagit-conformance"

if not SUITE.is_dir():
    pytest.skip(f"BagIt conformance suite not found at {SUITE}", allow_module_level=True)

# The rule each failing bag must be rejected with (bags added to the suite later need only fail).
ERROR_RULES = {
    "v0.97/invalid/baginfo-missing-encoding": "bagit.declaration",
    "v0.97/invalid/bom-in-bagit.txt": "bagit.declaration",
    "v0.97/invalid/corrupt-data-file": "bagit.checksum",
    "v0.97/invalid/corrupt-tag-file": "bagit.checksum",
    "v0.97/invalid/extra-file-in-bag": "bagit.unexpected",
    "v0.97/invalid/invalid-version-number": "bagit.version",
    "v0.97/invalid/missing-baginfo": "bagit.missing",
    "v0.97/invalid/missing-bagit.txt": "bagit.no-declaration",
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation": "bagit.out-of-scope",
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch": "bagit.out-of-scope",
    "v0.97/invalid/same-filename-listed-twice-with-different-hashes": "bagit.manifest-duplicate",
    "v0.97/linux-only/out-of-scope-file-paths-using-absolute-path": "bagit.out-of-scope",
    "v0.97/linux-only/out-of-scope-file-paths-using-absolute-path-for-fetch": "bagit.out-of-scope",
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut": "bagit.out-of-scope",
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut-for-fetch": "bagit.out-of-scope",
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut-username": "bagit.out-of-scope",
    "v0.97/linux-only/out-of-scope-file-paths-using-shortcut-username-for-fetch": "bagit.out-of-scope",
    "v0.97/windows-only/out-of-scope-file-paths-using-absolute-path": "bagit.out-of-scope",
    "v0.97/windows-only/out-of-scope-file-paths-using-absolute-path-for-fetch": "bagit.out-of-scope",
    "v0.97/windows-only/out-of-scope-file-paths-using-shortcut": "bagit.manifest-scope",
    "v0.97/windows-only/out-of-scope-file-paths-using-shortcut-for-fetch": "bagit.fetch",
    "v0.97/windows-only/out-of-scope-file-paths-using-unc": "bagit.out-of-scope",
    "v0.97/windows-only/out-of-scope-file-paths-using-unc-for-fetch": "bagit.out-of-scope",
    "v1.0/invalid/bagit-with-invalid-whitespace": "bagit.declaration",
    "v1.0/invalid/notAllManifestsListAllFiles": "bagit.unexpected",
    "v1.0/invalid/same-filename-listed-twice-with-different-hashes": "bagit.manifest-duplicate",
    "v1.0/invalid/same-filename-listed-twice-with-the-same-hash": "bagit.manifest-duplicate",
}

# The warning each warning/ bag exists for.
WARNING_RULES = {
    "v0.97/warning/duplicate-file-with-different-case": "bagit.case-collision",
    "v0.97/warning/made-with-md5sum-tools": "bagit.manifest-line",
    "v0.97/warning/relative-path": "bagit.manifest-path",
    "v0.97/warning/same-filename-listed-twice-with-different-normalization": "bagit.unicode-collision",
    "v0.97/warning/same-filename-listed-twice-with-the-same-hash": "bagit.manifest-duplicate",
    # data/.DS_Store is listed (empty) but did not survive the copy of the suite; data/Thumbs.db is there
    "v0.97/warning/special-system-files": "bagit.system-file",
}

FAILING = ("invalid", "linux-only", "windows-only")


def _cases() -> list[tuple[str, str, Path]]:
    """(case id, category, folder) for every bag of every version; Makefiles and notes are skipped."""
    cases = []
    for version in sorted(p for p in SUITE.iterdir() if p.is_dir() and p.name.startswith("v")):
        for category in sorted(p for p in version.iterdir() if p.is_dir()):
            for bag in sorted(p for p in category.iterdir() if p.is_dir()):
                cases.append((f"{version.name}/{category.name}/{bag.name}", category.name, bag))
    return cases


CASES = _cases()


def test_suite_is_complete() -> None:
    """Every version and category we expect is there, and every listed case still exists."""
    ids = {case for case, _, _ in CASES}
    for version in ("v0.93", "v0.94", "v0.95", "v0.96", "v0.97", "v1.0"):
        assert any(case.startswith(f"{version}/valid/") for case in ids), version
    assert set(ERROR_RULES) <= ids
    assert set(WARNING_RULES) <= ids
    assert len(CASES) >= 60


@pytest.mark.parametrize(("case", "category", "bag"), CASES, ids=[c for c, _, _ in CASES])
def test_conformance_bag(case: str, category: str, bag: Path) -> None:
    report = validate_path(bag)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if category in FAILING:
        assert report.verdict is Verdict.INVALID, f"{case} should be invalid:\n{describe(report)}"
        if case in ERROR_RULES:
            assert ERROR_RULES[case] in {f.rule for f in errors}, describe(report)
    elif category == "warning":
        assert report.is_valid, f"{case} should be valid (with warnings):\n{describe(report)}"
        if case in WARNING_RULES:
            warned = {f.rule for f in report.findings if f.severity is Severity.WARNING}
            assert WARNING_RULES[case] in warned, describe(report)
    elif category == "valid":
        assert not errors, f"{case} should be valid:\n{describe(report)}"
    else:
        pytest.fail(f"unknown category {category!r} in the suite")
    assert not any(f.rule == "bagit.invalid" for f in report.findings), (
        f"every problem has its own rule, not the library's catch-all:\n{describe(report)}"
    )


def test_every_finding_speaks_both_languages() -> None:
    """Each message key the suite provokes exists in vi and en and renders without a gap."""
    keys_vi, keys_en = message_keys("vi"), message_keys("en")
    seen: set[str] = set()
    for _, _, bag in CASES:
        for finding in validate_path(bag).findings:
            seen.add(finding.message_key)
            assert finding.message_key in keys_vi and finding.message_key in keys_en, finding.message_key
            for lang in ("vi", "en"):
                text = finding.message(lang)
                assert "{" not in text.replace("{}", ""), f"{finding.message_key} [{lang}]: {text}"
    assert len(seen) >= 15


def test_suite_is_only_read() -> None:
    """Validating never changes a bag (the CRLF line endings of the holey bag included)."""
    bag = SUITE / "v0.97" / "valid" / "holey-bag"
    before = tree_state(bag)
    assert validate_path(bag).is_valid
    assert tree_state(bag) == before


@pytest.mark.parametrize(
    ("relative", "exit_code", "verdict"),
    [
        ("v1.0/valid/basicBag", 0, "valid"),
        ("v1.0/invalid/bagit-with-invalid-whitespace", 1, "invalid"),
    ],
)
def test_cli_exit_codes(relative: str, exit_code: int, verdict: str) -> None:
    result = run_cli("validate", SUITE / relative, "--format", "json", "--lang", "en")
    assert result.returncode == exit_code, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == verdict
    assert report["profile"] == "bagit"
    assert "Traceback" not in result.stderr
