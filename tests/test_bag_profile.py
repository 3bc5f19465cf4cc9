"""BagIt bags we build ourselves: the agency-transfer BagIt profile (bagit-agency-transfer), the plain
``bagit`` profile, bags holding a TT05 SIP, ZIPped bags, and the bag validity rules that the Library of
Congress conformance suite (test_bagit_conformance.py) does not exercise.

The agency bags are made the way an agency's records system would: a SIP built from the example
description ``examples/sources/bagit-hoso-dao-tao-2024``, bagged with ``bagit.make_bag`` (SHA-256) and
the bag-info of that description's [bag_info].
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import bagit
import pytest

import archive_repo.hashing as hashing
from archive_repo.findings import Severity, Verdict
from archive_repo.sip.builder import build_sip
from archive_repo.sip.description import load_description
from archive_repo.validation.bag import AGENCY_PROFILE_ID
from archive_repo.validation.validator import validate_path
from helpers import EXAMPLES, NS, assert_rule, describe, edit_xml, rules, run_cli, zip_package

DESCRIPTION = EXAMPLES / "sources" / "bagit-hoso-dao-tao-2024" / "description.toml"
REP_METS = "representations/rep1/METS.xml"
PDF_1 = "representations/rep1/data/H49.64.33.2024.31.1.pdf"


def bag_info(**overrides: str | None) -> dict[str, str]:
    """The description's [bag_info]; an override of None removes the tag."""
    with open(DESCRIPTION, "rb") as handle:
        info = dict(tomllib.load(handle)["bag_info"])
    for tag, value in overrides.items():
        if value is None:
            info.pop(tag.replace("_", "-"), None)
        else:
            info[tag.replace("_", "-")] = value
    return info


@pytest.fixture(scope="session")
def built_sip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example SIP, built once; tests bag a copy of it."""
    out = tmp_path_factory.mktemp("sip")
    return build_sip(load_description(DESCRIPTION), out).folder


def make_bag(
    tmp_path: Path,
    payload: Path,
    info: dict[str, str] | None = None,
    checksums: tuple[str, ...] = ("sha256",),
    name: str = "bag",
) -> Path:
    """A copy of ``payload`` turned into a bag in place, as bagit.make_bag does it."""
    bag = tmp_path / name
    shutil.copytree(payload, bag)
    bagit.make_bag(str(bag), info if info is not None else bag_info(), checksums=list(checksums))
    return bag


@pytest.fixture
def sip_bag(tmp_path: Path, built_sip: Path) -> Path:
    return make_bag(tmp_path, built_sip)


def plain_payload(tmp_path: Path, files: dict[str, bytes] | None = None) -> Path:
    """A folder of ordinary files (no METS.xml): what a bag of loose documents carries."""
    folder = tmp_path / "payload"
    for relative, content in (
        files or {"van-ban.txt": b"Van ban\n", "anh/so-do.png": b"\x89PNG\r\n"}
    ).items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


def plain_bag(tmp_path: Path, checksums: tuple[str, ...] = ("sha256",), **info: str) -> Path:
    return make_bag(
        tmp_path, plain_payload(tmp_path), info or {"Source-Organization": "Sở Nội vụ"}, checksums
    )


def retag(bag: Path) -> None:
    """Re-measure every tag manifest after a test edited tag files, so only the intended defect remains."""
    for tag_manifest in sorted(bag.glob("tagmanifest-*.txt")):
        algorithm = tag_manifest.name[len("tagmanifest-") : -4]
        lines = [
            f"{hashlib.new(algorithm, path.read_bytes()).hexdigest()} {path.name}\n"
            for path in sorted(bag.iterdir())
            if path.is_file() and not path.name.startswith("tagmanifest-")
        ]
        tag_manifest.write_text("".join(lines), encoding="utf-8")


def write_tag_file(bag: Path, name: str, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    (bag / name).write_bytes(data)
    retag(bag)


def errors(report: Any) -> set[str]:
    return {f.rule for f in report.findings if f.severity is Severity.ERROR}


# --------------------------------------------------------------------------------------------------
# the agency-transfer profile


def test_good_agency_bag(sip_bag: Path) -> None:
    report = validate_path(sip_bag)
    assert report.verdict is Verdict.VALID, describe(report)
    assert report.profile == "bagit-agency-transfer + SIP_hoso"


def test_profile_selected_by_bag_info_only(tmp_path: Path, built_sip: Path) -> None:
    """Without the agency's BagIt-Profile-Identifier the bag is held to plain BagIt only."""
    bag = make_bag(tmp_path, built_sip, bag_info(BagIt_Profile_Identifier=None, Source_Organization=None))
    report = validate_path(bag)
    assert report.verdict is Verdict.VALID, describe(report)
    assert report.profile == "bagit + SIP_hoso"


def test_missing_source_organization(tmp_path: Path, built_sip: Path) -> None:
    bag = make_bag(tmp_path, built_sip, bag_info(Source_Organization=None))
    report = validate_path(bag)
    assert report.verdict is Verdict.INVALID
    hits = assert_rule(
        report, "bagit.profile-tag", message_key="bagit.tag_required", tag="Source-Organization"
    )
    assert hits[0].path == "bag-info.txt"
    assert errors(report) == {"bagit.profile-tag"}, describe(report)


def test_md5_only_manifest(tmp_path: Path, built_sip: Path) -> None:
    """Manifests-Required: sha256. An md5 bag is a valid bag, but not under this profile."""
    bag = make_bag(tmp_path, built_sip, checksums=("md5",))
    report = validate_path(bag)
    assert_rule(report, "bagit.profile-manifest", message_key="bagit.manifest_required", algorithm="sha256")
    assert errors(report) == {"bagit.profile-manifest"}, describe(report)
    assert validate_path(bag, "bagit").is_valid


def test_fetch_not_allowed(sip_bag: Path) -> None:
    (sip_bag / "fetch.txt").write_text(
        "https://qlvb.example.gov.vn/hoso/H49.64.33.2024.31/METS.xml - data/METS.xml\n", encoding="utf-8"
    )
    report = validate_path(sip_bag)
    assert_rule(report, "bagit.profile-fetch", path_endswith="fetch.txt")
    assert errors(report) == {"bagit.profile-fetch"}, describe(report)
    assert validate_path(sip_bag, "bagit").is_valid  # fetch.txt itself is well formed


def test_wrong_profile_identifier_forced(tmp_path: Path, built_sip: Path) -> None:
    bag = make_bag(tmp_path, built_sip, bag_info(BagIt_Profile_Identifier="urn:example:other-profile:2.0"))
    assert validate_path(bag).profile == "bagit + SIP_hoso"  # not ours: not auto-selected
    report = validate_path(bag, "bagit-agency-transfer")
    assert report.verdict is Verdict.INVALID
    assert report.profile == "bagit-agency-transfer + SIP_hoso"
    assert_rule(
        report,
        "bagit.profile-tag",
        message_key="bagit.tag_value",
        tag="BagIt-Profile-Identifier",
        allowed=AGENCY_PROFILE_ID,
    )
    result = run_cli(
        "validate", bag, "--profile", "bagit-agency-transfer", "--format", "json", "--lang", "en"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bagit.profile-tag" in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_bagit_version_not_accepted(sip_bag: Path) -> None:
    write_tag_file(sip_bag, "bagit.txt", "BagIt-Version: 0.96\nTag-File-Character-Encoding: UTF-8\n")
    report = validate_path(sip_bag)
    assert_rule(report, "bagit.profile-version", version="0.96")
    assert errors(report) == {"bagit.profile-version"}, describe(report)


def test_plain_payload_under_bagit(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    for profile in (None, "bagit"):
        report = validate_path(bag, profile)
        assert report.verdict is Verdict.VALID, describe(report)
        assert report.profile == "bagit"
    forced = validate_path(bag, "bagit-agency-transfer")
    assert_rule(forced, "bagit.profile-tag", tag="External-Identifier")


def test_sip_with_broken_checksum_in_its_mets(tmp_path: Path, built_sip: Path) -> None:
    """The bag is intact (its manifests were made after the damage): the SIP's own fixity fails."""
    payload = tmp_path / "sip"
    shutil.copytree(built_sip, payload)

    def break_checksum(root: Any) -> None:
        element = root.xpath("//mets:file[@CHECKSUM]", namespaces=NS)[0]
        element.set("CHECKSUM", "0" * 64)

    edit_xml(payload / REP_METS, break_checksum)
    report = validate_path(make_bag(tmp_path, payload))
    assert report.verdict is Verdict.INVALID
    assert_rule(report, "fixity.checksum", path_endswith=REP_METS)
    assert not [r for r in rules(report) if r.startswith("bagit.")], describe(report)


def test_corrupted_payload_file(sip_bag: Path) -> None:
    target = sip_bag / "data" / PDF_1
    content = bytearray(target.read_bytes())
    content[len(content) // 2] ^= 0xFF  # same size: only the checksum can tell
    target.write_bytes(bytes(content))
    report = validate_path(sip_bag)
    assert report.verdict is Verdict.INVALID
    assert_rule(report, "bagit.checksum", path_endswith=f"data/{PDF_1}", algorithm="sha256")
    assert "bagit.oxum" not in rules(report)


def test_zip_of_bag(tmp_path: Path, sip_bag: Path) -> None:
    archive = zip_package(sip_bag, tmp_path / "bag-H49.64.33.2024.31.zip")
    report = validate_path(archive)
    assert report.verdict is Verdict.VALID, describe(report)
    assert report.profile == "bagit-agency-transfer + SIP_hoso"
    (sip_bag / "data" / PDF_1).write_bytes(b"%PDF-1.4 replaced\n")
    broken = validate_path(zip_package(sip_bag, tmp_path / "broken.zip"))
    assert broken.verdict is Verdict.INVALID
    assert_rule(broken, "bagit.checksum", path_endswith=f"bag/data/{PDF_1}")
    assert_rule(broken, "bagit.oxum", path_endswith="bag/bag-info.txt")


def test_payload_read_once(sip_bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bag manifests and SIP METS checksums come from one read of each file, however the path is spelt."""
    reads: collections.Counter[str] = collections.Counter()
    original = hashing.hash_file

    def counting(path: Path, algorithms: Any = ("sha256",)) -> Any:
        reads[os.path.realpath(path)] += 1
        return original(path, algorithms)

    monkeypatch.setattr(hashing, "hash_file", counting)
    monkeypatch.chdir(sip_bag.parent)
    assert validate_path(Path(sip_bag.name)).is_valid
    payload = {os.path.realpath(p) for p in (sip_bag / "data").rglob("*") if p.is_file()}
    assert payload <= set(reads)
    assert max(reads.values()) == 1, [p for p, n in reads.items() if n > 1]


# --------------------------------------------------------------------------------------------------
# bag validity rules the conformance suite does not exercise


def test_v1_every_payload_manifest_lists_every_file(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path, checksums=("sha256", "sha512"))
    manifest = bag / "manifest-sha512.txt"
    manifest.write_text(
        "".join(line for line in manifest.read_text().splitlines(keepends=True) if "van-ban" not in line)
    )
    retag(bag)
    older = validate_path(bag)  # 0.97: one manifest per file was enough
    assert older.is_valid
    assert_rule(older, "bagit.manifest-incomplete", "warning", path_endswith="manifest-sha512.txt")
    write_tag_file(bag, "bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    report = validate_path(bag)
    assert report.verdict is Verdict.INVALID
    assert_rule(report, "bagit.manifest-incomplete", name="data/van-ban.txt")
    assert errors(report) == {"bagit.manifest-incomplete"}, describe(report)


@pytest.mark.parametrize(
    ("oxum", "key"), [("999.2", "bagit.oxum_mismatch"), ("lots", "bagit.oxum_malformed")]
)
def test_payload_oxum(tmp_path: Path, oxum: str, key: str) -> None:
    bag = plain_bag(tmp_path)
    text = (bag / "bag-info.txt").read_text(encoding="utf-8")
    write_tag_file(
        bag,
        "bag-info.txt",
        "".join(
            f"Payload-Oxum: {oxum}\n" if line.startswith("Payload-Oxum") else line
            for line in text.splitlines(keepends=True)
        ),
    )
    report = validate_path(bag)
    assert_rule(report, "bagit.oxum", message_key=key)
    assert errors(report) == {"bagit.oxum"}, describe(report)


@pytest.mark.parametrize(
    ("declaration", "rule", "key"),
    [
        (
            "BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n",
            "bagit.version",
            "bagit.version_unknown",
        ),
        (
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: KLINGON\n",
            "bagit.encoding",
            "bagit.encoding_unknown",
        ),
        (
            "Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n",
            "bagit.declaration",
            "bagit.declaration_order",
        ),
        (
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nX: 1\n",
            "bagit.declaration",
            "bagit.declaration_extra",
        ),
        (
            b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\xff\n",
            "bagit.declaration",
            "bagit.declaration_not_utf8",
        ),
    ],
)
def test_declaration(tmp_path: Path, declaration: str | bytes, rule: str, key: str) -> None:
    bag = plain_bag(tmp_path)
    write_tag_file(bag, "bagit.txt", declaration)
    report = validate_path(bag)
    assert report.verdict is Verdict.INVALID
    assert_rule(report, rule, message_key=key, path_endswith="bagit.txt")
    assert "bagit.invalid" not in rules(report), describe(report)


def test_tag_file_not_in_declared_encoding(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    write_tag_file(bag, "bag-info.txt", "Source-Organization: Sở Nội vụ\n".encode("utf-16"))
    report = validate_path(bag)
    assert_rule(report, "bagit.encoding", message_key="bagit.encoding_error", path_endswith="bag-info.txt")
    assert "bagit.invalid" not in rules(report), describe(report)


def test_bag_info_line_without_colon(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    write_tag_file(bag, "bag-info.txt", "Source-Organization: Sở Nội vụ\nthis line has no label\n")
    report = validate_path(bag)
    assert_rule(report, "bagit.tag-file", message_key="bagit.taginfo_line")
    assert report.findings.items[0].location.line == 2
    assert "bagit.invalid" not in rules(report), describe(report)


def test_malformed_manifest_lines(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    with open(bag / "manifest-sha256.txt", "a", encoding="utf-8") as manifest:
        manifest.write("nonsense\nabc123  data/van-ban.txt\n")
    retag(bag)
    report = validate_path(bag)
    assert_rule(report, "bagit.manifest-line", message_key="bagit.manifest_line", found="nonsense")
    assert_rule(report, "bagit.manifest-line", message_key="bagit.manifest_checksum_length", value="abc123")


def test_unknown_manifest_algorithm(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    (bag / "manifest-crc32.txt").write_text("00000000  data/van-ban.txt\n", encoding="utf-8")
    report = validate_path(bag)
    assert_rule(report, "bagit.algorithm", algorithm="crc32", path_endswith="manifest-crc32.txt")


def test_fetch_entries(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    (bag / "data" / "van-ban.txt").unlink()  # a holey bag: this file is still to be fetched
    (bag / "fetch.txt").write_text(
        "https://example.org/van-ban.txt 8 data/van-ban.txt\n"
        "https://example.org/extra.txt - data/extra.txt\n"
        "not-a-url - data/anh/so-do.png\n"
        "http://[::1 - data/anh/so-do.png\n",
        encoding="utf-8",
    )
    report = validate_path(bag)
    assert_rule(
        report, "bagit.missing", message_key="bagit.file_not_fetched", path_endswith="data/van-ban.txt"
    )
    assert_rule(report, "bagit.fetch", message_key="bagit.fetch_not_in_manifest", name="data/extra.txt")
    assert_rule(report, "bagit.fetch", message_key="bagit.fetch_url", url="not-a-url")
    assert_rule(report, "bagit.fetch", message_key="bagit.fetch_url", url="http://[::1")


def test_no_payload_folder(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    shutil.rmtree(bag / "data")
    report = validate_path(bag)
    assert_rule(report, "bagit.structure", message_key="bagit.no_data_dir")
    assert_rule(report, "bagit.missing", path_endswith="data/van-ban.txt")


def test_symlink_leaving_the_bag(tmp_path: Path) -> None:
    bag = plain_bag(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the bag\n")
    try:
        os.symlink(secret, bag / "data" / "link.txt")
    except (OSError, NotImplementedError):
        pytest.skip("cannot create symbolic links here")
    report = validate_path(bag)
    assert_rule(report, "bagit.out-of-scope", message_key="bagit.out_of_scope_link")
    assert "bagit.invalid" not in rules(report), describe(report)


def test_percent_encoded_names_in_v1(tmp_path: Path) -> None:
    """RFC 8493 percent-encodes '%' (and CR, LF) in manifest paths; 0.97 does not."""
    bag = make_bag(tmp_path, plain_payload(tmp_path, {"100%.txt": b"full\n"}), {"Source-Organization": "X"})
    manifest = bag / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text().replace("100%.txt", "100%25.txt"))
    retag(bag)
    older = validate_path(bag)
    assert_rule(older, "bagit.missing", path_endswith="data/100%25.txt")
    assert_rule(older, "bagit.unexpected", path_endswith="data/100%.txt")
    write_tag_file(bag, "bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    report = validate_path(bag)
    assert report.verdict is Verdict.VALID, describe(report)


def test_library_failure_is_a_finding(sip_bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any) -> None:
        raise RuntimeError("library exploded")

    monkeypatch.setattr(bagit.Bag, "_open", broken)
    report = validate_path(sip_bag)
    assert report.verdict is Verdict.INVALID
    assert_rule(report, "bagit.invalid", message_key="bagit.unreadable", detail="library exploded")
