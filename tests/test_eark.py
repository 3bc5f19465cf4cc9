"""Plain E-ARK CSIP / E-ARK SIP packages from other systems (no TT05 records).

The package comes from tools/make_eark_example.py, which writes its METS by hand (not with archive-repo's
METS writer), so it is an independent witness of what the validator must accept.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from helpers import (
    EXAMPLES,
    HREF,
    NS,
    REPO,
    all_text,
    assert_rule,
    describe,
    edit_xml,
    one,
    rules,
    run_cli,
    tree_state,
    validate,
    zip_package,
)

SHIPPED = EXAMPLES / "submissions" / "eark-csip-sip"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_eark_example", REPO / "tools" / "make_eark_example.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_eark_example = _generator()


@pytest.fixture
def eark(tmp_path: Path) -> Path:
    return make_eark_example.write_package(tmp_path / "eark-sip")


def test_package_is_what_the_brief_describes(eark: Path) -> None:
    files = sorted(p.relative_to(eark).as_posix() for p in eark.rglob("*") if p.is_file())
    assert files == [
        "METS.xml",
        "metadata/descriptive/dc.xml",
        "representations/rep-1/METS.xml",
        "representations/rep-1/data/file.txt",
    ]
    root = etree.parse(str(eark / "METS.xml")).getroot()
    assert root.get("PROFILE") == "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
    assert root.get("TYPE") == "Textual"
    assert (
        one(root, "mets:metsHdr").get("{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}OAISPACKAGETYPE")
        == "SIP"
    )
    assert one(root, "mets:dmdSec/mets:mdRef").get("MDTYPE") == "DC"
    assert one(root, "mets:structMap[@LABEL='CSIP']") is not None


def test_auto_detected_as_eark(eark: Path) -> None:
    report = validate(eark)
    assert report.profile == "E-ARK-SIP"
    assert report.verdict in ("valid", "valid-with-warnings"), describe(report)
    assert not [f for f in report.findings if f.severity == "error"], describe(report)


@pytest.mark.parametrize("profile", ["CSIP-2.1", "CSIP-2.0.4", "E-ARK-SIP"])
def test_valid_under_forced_eark_profiles(eark: Path, profile: str) -> None:
    report = validate(eark, profile)
    assert report.profile == profile
    assert report.is_valid, describe(report)


def test_cli_auto_and_csip_2_1(eark: Path) -> None:
    auto = run_cli("validate", eark, "--format", "json")
    assert auto.returncode == 0, all_text(auto)
    assert json.loads(auto.stdout)["profile"].startswith("E-ARK")
    forced = run_cli("validate", eark, "--profile", "CSIP-2.1", "--format", "json")
    assert forced.returncode == 0, all_text(forced)
    assert json.loads(forced.stdout)["profile"] == "CSIP-2.1"


def test_forced_tt05_profile_is_invalid(eark: Path) -> None:
    report = validate(eark, "SIP_hoso")
    assert report.verdict == "invalid"
    assert_rule(report, "structure.package-metadata")
    assert_rule(report, "structure.one-representation")
    result = run_cli("validate", eark, "--profile", "SIP_hoso")
    assert result.returncode == 1, all_text(result)


def test_zipped_eark_package_is_valid(tmp_path: Path, eark: Path) -> None:
    report = validate(zip_package(eark, tmp_path / "eark.zip"), quarantine_parent=tmp_path / "q")
    assert report.profile == "E-ARK-SIP"
    assert report.is_valid, describe(report)


def test_eark_fixity_is_checked(eark: Path) -> None:
    (eark / "representations/rep-1/data/file.txt").write_text("đã bị sửa\n", encoding="utf-8")
    report = validate(eark)
    assert_rule(report, "fixity.checksum", path_endswith="representations/rep-1/METS.xml")
    assert_rule(report, "fixity.size")
    assert report.verdict == "invalid"


def test_eark_unreferenced_and_dangling(eark: Path) -> None:
    (eark / "metadata/descriptive/dc.xml").unlink()
    (eark / "representations/rep-1/data/extra.txt").write_text("x", encoding="utf-8")
    report = validate(eark)
    assert_rule(report, "fixity.dangling", href="metadata/descriptive/dc.xml")
    assert_rule(report, "fixity.unreferenced", path_endswith="representations/rep-1/data/extra.txt")


def test_eark_without_csip_structmap(eark: Path) -> None:
    edit_xml(eark / "METS.xml", lambda root: one(root, "mets:structMap").set("LABEL", "Physical"))
    assert_rule(validate(eark), "mets.structmap", message_key="mets.csip_structmap_count")


def test_eark_missing_rep_mets_reference(eark: Path) -> None:
    def drop(root: etree._Element) -> None:
        for element in root.xpath("//mets:FLocat | //mets:mptr", namespaces=NS):
            if element.get(HREF) == "representations/rep-1/METS.xml":
                element.set(HREF, "representations/rep-2/METS.xml")

    edit_xml(eark / "METS.xml", drop)
    report = validate(eark)
    assert {"fixity.dangling", "fixity.unreferenced"} <= rules(report), describe(report)


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = make_eark_example.write_package(tmp_path / "a")
    second = make_eark_example.write_package(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_shipped_example_is_current(tmp_path: Path) -> None:
    fresh = make_eark_example.write_package(tmp_path / SHIPPED.name)
    assert {k: v.split()[-1] for k, v in tree_state(SHIPPED).items() if v.startswith("file")} == {
        k: v.split()[-1] for k, v in tree_state(fresh).items() if v.startswith("file")
    }


def test_generator_main_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out"
    shutil.copytree(SHIPPED, target)
    (target / "stale.txt").write_text("x", encoding="utf-8")
    assert make_eark_example.main(["make_eark_example.py", str(target)]) == 0
    assert not (target / "stale.txt").exists()
    assert validate(target).is_valid
