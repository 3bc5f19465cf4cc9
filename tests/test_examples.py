"""The shipped examples: every submission validates, every defective one fails for its documented reason."""

from __future__ import annotations

import json

import pytest

from helpers import EXAMPLES, all_text, run_cli, tree_state, validate

SUBMISSIONS = EXAMPLES / "submissions"
DEFECTIVE = SUBMISSIONS / "defective"

EXPECTED_RULES = {
    "checksum-sai": {"fixity.checksum"},
    "docCode-sai-nam": {"cross.doccode-prefix"},
    "thieu-truong-va-sai-ma": {"md.required", "md.code", "md.date", "cross.totaldoc"},
    "ead-xxe": {"xml.dtd-forbidden"},
    "zip-nguy-hiem.zip": {"reader.zip-unsafe-name", "reader.zip-symlink"},
}

GOOD = sorted(p.name for p in SUBMISSIONS.iterdir() if p.name != "defective" and not p.name.startswith("."))
BAD = sorted(p.name for p in DEFECTIVE.iterdir() if not p.name.startswith("."))


def test_examples_exist() -> None:
    assert len(GOOD) >= 4, GOOD
    assert "eark-csip-sip" in GOOD
    assert sorted(EXPECTED_RULES) == BAD


@pytest.mark.parametrize("name", GOOD)
def test_submission_is_valid(name: str) -> None:
    path = SUBMISSIONS / name
    before = tree_state(path) if path.is_dir() else None
    result = run_cli("validate", path, "--format", "json", "--lang", "en")
    assert result.returncode == 0, all_text(result)
    report = json.loads(result.stdout)
    assert report["verdict"] in ("valid", "valid-with-warnings")
    assert not [f for f in report["findings"] if f["severity"] == "error"]
    if before is not None:
        assert tree_state(path) == before


@pytest.mark.parametrize("name", BAD)
def test_defective_submission_is_invalid_for_its_reason(name: str) -> None:
    result = run_cli("validate", DEFECTIVE / name, "--format", "json", "--lang", "en")
    assert result.returncode == 1, all_text(result)
    report = json.loads(result.stdout)
    assert report["verdict"] == "invalid"
    found = {f["rule"] for f in report["findings"] if f["severity"] == "error"}
    assert EXPECTED_RULES[name] <= found, f"{name}: {sorted(found)}"
    assert "root:x:" not in result.stdout


def test_dossier_examples_are_tt05_profiles() -> None:
    profiles = {name: validate(SUBMISSIONS / name).profile for name in GOOD}
    assert profiles["eark-csip-sip"] == "E-ARK-SIP"
    assert profiles["uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6"] == "SIP_hoso"
    assert profiles["uuid-7A6B5C4D-3E2F-4109-8A7B-6C5D4E3F2A1B"] == "SIP_tailieu"
    assert profiles["uuid-0C9B8A7D-6E5F-4A3B-9C2D-1E0F9A8B7C6D.zip"] == "SIP_hoso"
    assert "SIP_hoso" in profiles["bag-H49.64.33.2024.31"]
