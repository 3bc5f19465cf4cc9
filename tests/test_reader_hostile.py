"""Hostile submissions: ZIP tricks, XML entity attacks, links and special files in folders.

Each must end as findings (never a crash), nothing may be written outside the quarantine, the quarantine
must be gone afterwards, and a folder submission must be left exactly as it was.
"""

from __future__ import annotations

import json
import os
import struct
import uuid
import warnings
import zipfile
from pathlib import Path

import pytest

from archive_repo.errors import CannotOpenSubmission
from archive_repo.packages.limits import UnpackLimits
from archive_repo.packages.reader import open_submission
from helpers import (
    DATA,
    FILE_CODE,
    PACKAGE_EAD,
    REP1,
    all_text,
    assert_rule,
    build_sip_hoso,
    describe,
    doc_file,
    doc_record,
    refresh_fixity,
    rules,
    run_cli,
    sha256,
    tree_state,
    validate,
    zip_package,
)

MINIMAL_METS = b'<?xml version="1.0"?>\n<mets:mets xmlns:mets="http://www.loc.gov/METS/"/>\n'


def make_zip(target: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]], **kwargs) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicates we write on purpose
        with zipfile.ZipFile(target, "w", **kwargs) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return target


def unix_entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def unsafe_names(report, reason: str) -> list:
    """reader.zip-unsafe-name findings for ``reason`` (named by a parameter or by the message key)."""
    hits = [
        f
        for f in assert_rule(report, "reader.zip-unsafe-name")
        if f.params.get("reason") == reason or f.message_key.endswith(reason)
    ]
    assert hits, describe(report)
    return hits


def validate_quarantined(tmp_path: Path, path: Path, **kwargs):
    """Validate with the quarantine below tmp_path/q; the quarantine must be empty afterwards."""
    quarantine = tmp_path / "q"
    report = validate(path, quarantine_parent=quarantine, **kwargs)
    assert quarantine.is_dir()
    assert list(quarantine.iterdir()) == []
    return report


# --------------------------------------------------------------------------------------------------
# ZIP member names and kinds


def test_path_traversal_entry_is_refused(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "traversal.zip",
        [("pkg/METS.xml", MINIMAL_METS), ("../x", b"escaped"), ("pkg/../../../y", b"escaped")],
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    report = validate_quarantined(tmp_path, archive)
    hits = unsafe_names(report, "traversal")
    assert {h.params["name"] for h in hits} == {"../x", "pkg/../../../y"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "q"])
    assert not (tmp_path / "q" / "x").exists()


def test_absolute_entry_is_refused(tmp_path: Path) -> None:
    target = Path("/tmp") / f"archive-repo-test-{uuid.uuid4().hex}"
    archive = make_zip(tmp_path / "absolute.zip", [("pkg/METS.xml", MINIMAL_METS), (str(target), b"x")])
    report = validate_quarantined(tmp_path, archive)
    assert [h.params["name"] for h in unsafe_names(report, "absolute")] == [str(target)]
    assert not target.exists()


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "link.zip",
        [("pkg/METS.xml", MINIMAL_METS), (unix_entry("pkg/passwd", 0o120777), b"/etc/passwd")],
    )
    report = validate_quarantined(tmp_path, archive)
    assert_rule(report, "reader.zip-symlink", name="pkg/passwd")
    assert "root:" not in describe(report)


def test_fifo_entry_is_refused(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "fifo.zip", [("pkg/METS.xml", MINIMAL_METS), (unix_entry("pkg/pipe", 0o010644), b"")]
    )
    assert_rule(validate_quarantined(tmp_path, archive), "reader.zip-device", name="pkg/pipe")


def test_duplicate_names(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "dup.zip",
        [("pkg/METS.xml", MINIMAL_METS), ("pkg/a.txt", b"first"), ("pkg/a.txt", b"second")],
    )
    report = validate_quarantined(tmp_path, archive)
    assert_rule(report, "reader.zip-duplicate-name", name="pkg/a.txt", other="pkg/a.txt")


def test_case_colliding_names(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "case.zip",
        [("pkg/METS.xml", MINIMAL_METS), ("pkg/Data.pdf", b"first"), ("pkg/data.PDF", b"second")],
    )
    report = validate_quarantined(tmp_path, archive)
    assert_rule(report, "reader.zip-duplicate-name", name="pkg/data.PDF", other="pkg/Data.pdf")


def test_name_not_utf8_is_a_warning(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "enc.zip", [("pkg/cafX.txt", b"hello")])
    data = archive.read_bytes()
    assert data.count(b"cafX") == 2  # local header and central directory
    archive.write_bytes(data.replace(b"cafX", b"caf\xe9"))  # Latin-1 bytes, UTF-8 flag still unset
    with zipfile.ZipFile(archive) as check:
        info = check.infolist()[0]
        assert not info.flag_bits & 0x800
    report = validate_quarantined(tmp_path, archive)
    hits = assert_rule(report, "reader.zip-name-encoding", "warning")
    assert hits[0].params["name"].startswith("pkg/caf")


def test_utf8_flagged_vietnamese_name_is_not_a_warning(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "vi.zip", [("pkg/Hồ sơ.txt", b"hello")])
    assert "reader.zip-name-encoding" not in rules(validate_quarantined(tmp_path, archive))


# --------------------------------------------------------------------------------------------------
# ZIP sizes and counts


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "bomb.zip",
        [("pkg/METS.xml", MINIMAL_METS), ("pkg/zeros.bin", bytes(50 * 1024 * 1024))],
        compression=zipfile.ZIP_DEFLATED,
    )
    assert archive.stat().st_size < 1024 * 1024
    report = validate_quarantined(tmp_path, archive)
    hits = assert_rule(report, "reader.zip-bomb", name="pkg/zeros.bin")
    assert hits[0].params["ratio"] > 200
    assert report.verdict == "invalid"


def test_entry_lying_about_its_size_is_not_unpacked_beyond_it(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "lie.zip", [("pkg/big.txt", b"A" * 100_000)], compression=zipfile.ZIP_DEFLATED
    )
    data = bytearray(archive.read_bytes())
    central = data.index(b"PK\x01\x02")
    local = data.index(b"PK\x03\x04")
    assert struct.unpack("<I", data[central + 24 : central + 28])[0] == 100_000
    data[central + 24 : central + 28] = struct.pack("<I", 1000)  # uncompressed size, central directory
    data[local + 22 : local + 26] = struct.pack("<I", 1000)  # uncompressed size, local header
    archive.write_bytes(bytes(data))
    with open_submission(archive, UnpackLimits(), tmp_path / "q") as submission:
        written = [p for p in submission.top.rglob("*") if p.is_file()]
        assert all(p.stat().st_size <= 1000 for p in written)
        assert {f.rule for f in submission.findings} & {"reader.zip-bomb", "reader.zip-corrupt"}
    assert list((tmp_path / "q").iterdir()) == []
    report = validate_quarantined(tmp_path, archive)
    assert report.verdict == "invalid", describe(report)


def test_too_many_entries(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", [(f"pkg/f{i}.txt", b"x") for i in range(11)])
    report = validate_quarantined(tmp_path, archive, limits=UnpackLimits(max_entries=10))
    hits = assert_rule(report, "reader.zip-too-many-entries", count=11, limit=10)
    assert hits
    assert "structure.no-mets" not in rules(report)  # nothing was unpacked, nothing else is judged


def test_exactly_the_entry_limit_is_unpacked(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ten.zip", [(f"pkg/f{i}.txt", b"x") for i in range(10)])
    report = validate_quarantined(tmp_path, archive, limits=UnpackLimits(max_entries=10))
    assert "reader.zip-too-many-entries" not in rules(report)


def test_total_size_limit(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", [("pkg/a.bin", b"x" * 4000), ("pkg/b.bin", b"y" * 4000)])
    report = validate_quarantined(tmp_path, archive, limits=UnpackLimits(max_total_bytes=5000))
    assert_rule(report, "reader.zip-too-large")


# --------------------------------------------------------------------------------------------------
# corrupt and well-formed ZIPs


def test_corrupt_zip_data(tmp_path: Path, sip: Path) -> None:
    archive = zip_package(sip, tmp_path / "ok.zip")
    data = bytearray(archive.read_bytes())
    for index in range(200, 2000):
        data[index] ^= 0x55
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(data))
    report = validate_quarantined(tmp_path, corrupt)
    assert_rule(report, "reader.zip-corrupt")
    assert report.verdict == "invalid"


def test_corrupt_central_directory(tmp_path: Path, sip: Path) -> None:
    data = bytearray(zip_package(sip, tmp_path / "ok.zip").read_bytes())
    end = data.rindex(b"PK\x05\x06")
    data[end + 16 : end + 20] = struct.pack("<I", len(data) + 1000)  # central directory beyond the end
    corrupt = tmp_path / "cd.zip"
    corrupt.write_bytes(bytes(data))
    report = validate_quarantined(tmp_path, corrupt)
    assert_rule(report, "reader.zip-corrupt")


def test_not_a_zip_at_all(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(CannotOpenSubmission):
        validate(fake, quarantine_parent=tmp_path / "q")
    assert not (tmp_path / "q").exists() or list((tmp_path / "q").iterdir()) == []


def test_zip_with_single_top_folder_is_valid(tmp_path: Path, sip: Path) -> None:
    archive = zip_package(sip, tmp_path / "top.zip", top_folder=True)
    with zipfile.ZipFile(archive) as check:
        assert all(n.startswith(sip.name + "/") for n in check.namelist())
    report = validate_quarantined(tmp_path, archive)
    assert report.verdict == "valid", describe(report)
    assert report.profile == "SIP_hoso"


def test_zip_with_package_at_its_root_is_valid(tmp_path: Path, sip: Path) -> None:
    archive = zip_package(sip, tmp_path / "root.zip", top_folder=False)
    with zipfile.ZipFile(archive) as check:
        assert "METS.xml" in check.namelist()
    report = validate_quarantined(tmp_path, archive)
    assert report.verdict == "valid", describe(report)


def test_zip_with_wrongly_named_top_folder_warns(tmp_path: Path, sip: Path) -> None:
    renamed = sip.with_name("nop-luu-2025")
    sip.rename(renamed)
    report = validate_quarantined(tmp_path, zip_package(renamed, tmp_path / "named.zip"))
    assert_rule(report, "structure.folder-name", "warning", found="nop-luu-2025")


def test_input_zip_is_unchanged(tmp_path: Path, sip: Path) -> None:
    archive = zip_package(sip, tmp_path / "in.zip")
    before = sha256(archive), archive.stat().st_mtime_ns
    validate_quarantined(tmp_path, archive)
    assert (sha256(archive), archive.stat().st_mtime_ns) == before


# --------------------------------------------------------------------------------------------------
# XML attacks and malformed XML

XXE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE mets [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<mets:mets xmlns:mets="http://www.loc.gov/METS/" OBJID="uuid-1" TYPE="Mixed">'
    "<mets:metsHdr><mets:agent><mets:name>&xxe;</mets:name></mets:agent></mets:metsHdr></mets:mets>\n"
)
XXE_IN_ATTRIBUTE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE mets [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<mets:mets xmlns:mets="http://www.loc.gov/METS/" OBJID="&xxe;" TYPE="Mixed"/>\n'
)
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE simpledc [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<simpledc><docId>&lol9;</docId></simpledc>\n"
)


def _no_passwd(text: str) -> None:
    assert "root:x:" not in text and "/bin/bash" not in text and "nologin" not in text


def _xml_refusals(report, name: str) -> list:
    hits = [f for f in report.findings if f.rule in ("xml.dtd-forbidden", "xml.malformed")]
    assert hits and all(h.path.endswith(name) for h in hits), describe(report)
    return hits


@pytest.mark.parametrize("document", [XXE, XXE_IN_ATTRIBUTE], ids=["element", "attribute"])
def test_xxe_in_root_mets(tmp_path: Path, sip: Path, document: str) -> None:
    (sip / "METS.xml").write_text(document, encoding="utf-8")
    report = validate(sip)
    hits = _xml_refusals(report, "METS.xml")
    assert hits[0].path == "METS.xml"
    if document is XXE:
        assert_rule(report, "xml.dtd-forbidden", path_endswith="METS.xml")
    _no_passwd(describe(report))
    result = run_cli("validate", sip, "--format", "json", "--lang", "en")
    assert result.returncode == 1, all_text(result)
    _no_passwd(all_text(result))
    assert "Traceback" not in all_text(result)


def test_billion_laughs_in_document_record(tmp_path: Path, sip: Path) -> None:
    record = doc_record(sip, 2)
    record.write_text(LAUGHS, encoding="utf-8")
    refresh_fixity(sip)
    report = validate(sip)
    _xml_refusals(report, record.name)
    assert "lollollol" not in describe(report)


def test_malformed_xml(sip: Path) -> None:
    ead = sip / PACKAGE_EAD
    ead.write_bytes(ead.read_bytes()[:-40])
    refresh_fixity(sip)
    report = validate(sip, "SIP_hoso")
    hits = assert_rule(report, "xml.malformed", path_endswith=PACKAGE_EAD)
    assert hits[0].location.line is not None
    assert report.verdict == "invalid"


def test_xxe_in_zip(tmp_path: Path, sip: Path) -> None:
    (sip / "METS.xml").write_text(XXE, encoding="utf-8")
    report = validate_quarantined(tmp_path, zip_package(sip, tmp_path / "xxe.zip"))
    assert_rule(report, "xml.dtd-forbidden")
    _no_passwd(describe(report))


# --------------------------------------------------------------------------------------------------
# links and special files in folder submissions


def test_symlink_in_folder_is_reported_not_followed(tmp_path: Path, sip: Path) -> None:
    # The link stands where a referenced document should be, and points to an identical copy outside:
    # had it been followed, the reference would look intact.
    original = doc_file(sip, 1)
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(original.read_bytes())
    original.unlink()
    original.symlink_to(outside)
    report = validate(sip)
    relative = f"{DATA}/{FILE_CODE}.1.pdf"
    assert_rule(report, "reader.symlink", path_endswith=relative)
    assert_rule(report, "fixity.dangling", href=f"data/{FILE_CODE}.1.pdf")
    assert report.verdict == "invalid"


def test_symlink_target_is_never_opened(tmp_path: Path, sip: Path) -> None:
    # The target is a FIFO without a writer: opening it would block, so the CLI would time out.
    fifo = tmp_path / "trap"
    os.mkfifo(fifo)
    original = doc_file(sip, 2)
    original.unlink()
    original.symlink_to(fifo)
    (sip / DATA / "thu-muc").symlink_to("/etc", target_is_directory=True)
    before = tree_state(sip)
    result = run_cli("validate", sip, "--format", "json", timeout=30)
    assert result.returncode == 1, all_text(result)
    report = json.loads(result.stdout)
    link_rules = {(f["rule"], f["path"].rsplit("/", 1)[-1]) for f in report["findings"]}
    assert ("reader.symlink", f"{FILE_CODE}.2.pdf") in link_rules
    assert ("reader.symlink", "thu-muc") in link_rules
    assert "passwd" not in result.stdout
    assert tree_state(sip) == before


def test_fifo_in_folder_is_a_special_file(tmp_path: Path, sip: Path) -> None:
    os.mkfifo(sip / DATA / "pipe.pdf")
    before = tree_state(sip)
    result = run_cli("validate", sip, "--format", "json", timeout=30)
    assert result.returncode == 1, all_text(result)
    findings = json.loads(result.stdout)["findings"]
    assert any(f["rule"] == "reader.special-file" and f["path"] == f"{DATA}/pipe.pdf" for f in findings)
    assert "Traceback" not in all_text(result)
    assert tree_state(sip) == before


# --------------------------------------------------------------------------------------------------
# nothing left behind, nothing changed


def _hostile_zips(tmp_path: Path, sip: Path) -> list[Path]:
    good = zip_package(sip, tmp_path / "good.zip")
    corrupt = bytearray(good.read_bytes())
    for index in range(100, 900):
        corrupt[index] ^= 0xFF
    (tmp_path / "corrupt.zip").write_bytes(bytes(corrupt))
    return [
        good,
        tmp_path / "corrupt.zip",
        make_zip(tmp_path / "mixed.zip", [("pkg/METS.xml", MINIMAL_METS), ("../../x", b"x"), ("/abs", b"y")]),
        make_zip(
            tmp_path / "bomb.zip", [("pkg/z.bin", bytes(8 * 1024 * 1024))], compression=zipfile.ZIP_DEFLATED
        ),
        make_zip(tmp_path / "empty.zip", []),
    ]


def test_quarantine_is_removed_after_every_kind_of_zip(tmp_path: Path, sip: Path) -> None:
    quarantine = tmp_path / "q"
    for archive in _hostile_zips(tmp_path, sip):
        report = validate(archive, quarantine_parent=quarantine)
        assert report.package == str(archive)
        assert list(quarantine.iterdir()) == [], archive.name
    assert not (tmp_path / "x").exists()


def test_quarantine_exists_while_open_and_is_removed_after(tmp_path: Path, sip: Path) -> None:
    archive = zip_package(sip, tmp_path / "good.zip")
    with open_submission(archive, None, tmp_path / "q") as submission:
        assert submission.top is not None and submission.top.parent == tmp_path / "q"
        assert (submission.package_root / "METS.xml").is_file()
    assert list((tmp_path / "q").iterdir()) == []


@pytest.mark.parametrize("damage", ["none", "checksum", "xxe", "symlink", "extra-file"])
def test_folder_submission_is_left_unchanged(tmp_path: Path, damage: str) -> None:
    package = build_sip_hoso(tmp_path)
    if damage == "checksum":
        doc_file(package, 1).write_bytes(b"%PDF-1.4 changed")
    elif damage == "xxe":
        (package / "METS.xml").write_text(XXE, encoding="utf-8")
    elif damage == "symlink":
        (package / REP1 / "lien-ket").symlink_to(package / "METS.xml")
    elif damage == "extra-file":
        (package / "ghi-chu.txt").write_text("x", encoding="utf-8")
    before = tree_state(package)
    report = validate(package)
    assert (report.verdict == "valid") == (damage == "none"), describe(report)
    assert tree_state(package) == before
