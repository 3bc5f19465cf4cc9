"""Virus scan with the real ClamAV (clamscan, and a clamd started here on a unix socket), no mocks.

The signature database is a one-line .hdb made here for the EICAR test string; the string is assembled
at run time so that no file of the repository contains it (desktop antivirus would quarantine it).
Without clamscan/clamd the tests are skipped, except under CI=true, where they fail:
``scripts/clamav.sh`` installs ClamAV.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive_repo.authenticity import virus
from archive_repo.authenticity.results import VirusHit
from archive_repo.authenticity.virus import (
    ClamdScanner,
    ClamscanScanner,
    VirusScanConfig,
    VirusScanError,
    open_scanner,
)
from archive_repo.i18n import message_keys, translate

SIGNATURE = "ArchiveRepo.Test.EICAR"
INFECTED_NAME = "Hồ sơ 01/tài liệu: bản sao số 2.txt"
UNDER_CI = os.environ.get("CI", "").lower() == "true"


def eicar() -> bytes:
    return ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*").encode("ascii")


def require(program: str, *fallbacks: str) -> str:
    found = shutil.which(program) or next((path for path in fallbacks if os.access(path, os.X_OK)), None)
    if found is None:
        message = f"{program} is not installed (scripts/clamav.sh installs ClamAV)"
        if UNDER_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_ci_has_clamav() -> None:
    """CI must run the ClamAV tests, never skip them."""
    if UNDER_CI:
        assert shutil.which("clamscan"), "CI=true but clamscan is missing: run scripts/clamav.sh"
        assert shutil.which("clamd") or os.access("/usr/sbin/clamd", os.X_OK), "CI=true but clamd is missing"


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signature folder with one MD5 signature (hash:size:name) for the EICAR file."""
    folder = tmp_path_factory.mktemp("clamav-db")
    data = eicar()
    (folder / "archive-repo-test.hdb").write_text(
        f"{hashlib.md5(data).hexdigest()}:{len(data)}:{SIGNATURE}\n"
    )
    return folder


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    """A clean file, EICAR under a Vietnamese name with spaces and a colon, and a nested clean file."""
    folder = tmp_path / "nộp lưu"
    (folder / "Hồ sơ 01").mkdir(parents=True)
    (folder / "a" / "b" / "c").mkdir(parents=True)
    (folder / "METS.xml").write_text("<mets/>", encoding="utf-8")
    (folder / INFECTED_NAME).write_bytes(eicar())
    (folder / "a" / "b" / "c" / "trang 1.txt").write_text("Văn bản sạch", encoding="utf-8")
    return folder


@pytest.fixture
def clean_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "clean"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("một")
    (folder / "sub" / "two.txt").write_text("hai")
    (folder / "sub" / "empty.txt").write_bytes(b"")
    return folder


@pytest.fixture
def clamscan_config(database: Path) -> VirusScanConfig:
    require("clamscan")
    return VirusScanConfig(mode="clamscan", database=database, timeout_s=60)


@pytest.fixture(scope="module")
def clamd_socket(database: Path) -> Iterator[str]:
    """A real clamd on a unix socket in a fresh folder (no TCP), with a 1 MiB stream limit."""
    program = require("clamd", "/usr/sbin/clamd")
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))  # short: a unix socket path has ~100 bytes at most
    sock = folder / "clamd.sock"
    conf = folder / "clamd.conf"
    conf.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"LocalSocket {sock}",
                f"DatabaseDirectory {database}",
                f"TemporaryDirectory {folder}",
                f"LogFile {folder / 'clamd.log'}",
                "StreamMaxLength 1M",
                "AlertExceedsMax yes",
                "SelfCheck 0",
                "",
            ]
        )
    )
    log = open(folder / "clamd.out", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen([program, f"--config-file={conf}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_clamd(sock, process, folder)
        yield str(sock)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_clamd(sock: Path, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"clamd exited ({process.returncode}): {(folder / 'clamd.out').read_text(errors='replace')}"
            )
        if sock.exists():
            try:
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.settimeout(1)
                    probe.connect(str(sock))
                    probe.sendall(b"zPING\0")
                    if probe.recv(16) == b"PONG\0":
                        return
            except OSError:
                pass
        time.sleep(0.05)
    pytest.fail("clamd did not answer PING within 30 s")


@pytest.fixture
def clamd_config(clamd_socket: str) -> VirusScanConfig:
    return VirusScanConfig(mode="clamd", clamd_socket=clamd_socket, timeout_s=60)


def infected_paths(result: virus.VirusScan) -> list[str]:
    return [hit.path for hit in result.infected]


# --- clamscan ------------------------------------------------------------------------------------------


def test_clamscan_finds_eicar_by_relative_path(clamscan_config: VirusScanConfig, submission: Path) -> None:
    scanner = open_scanner(clamscan_config)
    assert isinstance(scanner, ClamscanScanner)
    result = scanner.scan(submission)
    assert infected_paths(result) == [INFECTED_NAME]
    assert result.infected[0].signature.startswith(SIGNATURE)
    assert result.files_scanned == 3
    assert result.not_scanned == ()
    assert not result.clean
    assert re.fullmatch(r"ClamAV \d+\.\d+\.\d+ \(clamscan\)", result.engine)
    assert "archive-repo-test.hdb 1 signatures" in result.database


def test_clamscan_clean_folder(clamscan_config: VirusScanConfig, clean_folder: Path) -> None:
    result = open_scanner(clamscan_config).scan(clean_folder)
    assert result.clean
    assert result.files_scanned == 3


def test_clamscan_reads_names_with_newlines(clamscan_config: VirusScanConfig, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "dòng\nmới: OK.txt").write_bytes(eicar())
    (folder / "dòng").write_text("clean")
    result = open_scanner(clamscan_config).scan(folder)
    assert infected_paths(result) == ["dòng\nmới: OK.txt"]
    assert result.files_scanned == 2 and result.not_scanned == ()


def test_clamscan_reports_too_large_file_as_not_scanned(
    clamscan_config: VirusScanConfig, tmp_path: Path
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    with open(folder / "video.mkv", "wb") as handle:
        handle.truncate(3 * 2**30)  # sparse: past what the engine can scan (2 GiB)
    result = open_scanner(clamscan_config).scan(folder)
    assert result.infected == ()
    assert [hit.path for hit in result.not_scanned] == ["video.mkv"]
    assert result.not_scanned[0].signature.startswith("Heuristics.Limits.Exceeded")
    assert not result.clean


def test_links_are_not_scanned_and_not_clean(clamscan_config: VirusScanConfig, clean_folder: Path) -> None:
    (clean_folder / "lối tắt").symlink_to(clean_folder / "one.txt")
    result = open_scanner(clamscan_config).scan(clean_folder)
    assert result.not_scanned == (VirusHit("lối tắt", "symbolic link (not followed)"),)
    assert not result.clean


def test_clamscan_timeout_is_an_error(database: Path, clean_folder: Path) -> None:
    require("clamscan")
    scanner = open_scanner(VirusScanConfig(mode="clamscan", database=database, timeout_s=0.001))
    with pytest.raises(VirusScanError) as caught:
        scanner.scan(clean_folder)
    assert caught.value.message_key == "virus.timeout"


def test_missing_or_empty_database(tmp_path: Path) -> None:
    require("clamscan")
    with pytest.raises(VirusScanError) as caught:
        open_scanner(VirusScanConfig(mode="clamscan", database=tmp_path / "nowhere"))
    assert caught.value.message_key == "virus.database_missing"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.txt").write_text("no signatures")
    with pytest.raises(VirusScanError) as caught:
        open_scanner(VirusScanConfig(mode="clamscan", database=tmp_path / "empty"))
    assert caught.value.message_key == "virus.database_empty"


def test_missing_program(database: Path) -> None:
    with pytest.raises(VirusScanError) as caught:
        open_scanner(VirusScanConfig(mode="clamscan", database=database, clamscan="no-such-clamscan"))
    assert caught.value.message_key == "virus.clamscan_missing"


def test_scanning_a_missing_folder(clamscan_config: VirusScanConfig, tmp_path: Path) -> None:
    with pytest.raises(VirusScanError) as caught:
        open_scanner(clamscan_config).scan(tmp_path / "absent")
    assert caught.value.message_key == "virus.folder_missing"


# --- choosing ------------------------------------------------------------------------------------------


def test_mode_off_means_no_scanner(tmp_path: Path) -> None:
    assert open_scanner(VirusScanConfig(mode="off")) is None
    assert open_scanner(VirusScanConfig.from_mapping({"mode": "off"}, tmp_path)) is None


def test_auto_without_any_scanner_refuses(tmp_path: Path) -> None:
    config = VirusScanConfig(mode="auto", clamd_socket=str(tmp_path / "none.sock"), database=tmp_path / "db")
    with pytest.raises(VirusScanError) as caught:
        open_scanner(config)
    assert caught.value.message_key == "virus.no_scanner"
    assert "none.sock" in caught.value.params["detail"]
    assert "clamscan: " in caught.value.params["detail"]


def test_auto_falls_back_to_clamscan(database: Path, tmp_path: Path) -> None:
    require("clamscan")
    config = VirusScanConfig(mode="auto", clamd_socket=str(tmp_path / "none.sock"), database=database)
    assert isinstance(open_scanner(config), ClamscanScanner)


def test_auto_prefers_clamd(clamd_socket: str, database: Path) -> None:
    config = VirusScanConfig(mode="auto", clamd_socket=clamd_socket, database=database)
    assert isinstance(open_scanner(config), ClamdScanner)


def test_clamd_unreachable(tmp_path: Path) -> None:
    with pytest.raises(VirusScanError) as caught:
        open_scanner(VirusScanConfig(mode="clamd", clamd_address="127.0.0.1:9"))
    assert caught.value.message_key == "virus.clamd_unreachable"


# --- clamd ---------------------------------------------------------------------------------------------


def test_clamd_finds_eicar_by_relative_path(clamd_config: VirusScanConfig, submission: Path) -> None:
    scanner = open_scanner(clamd_config)
    assert isinstance(scanner, ClamdScanner)
    result = scanner.scan(submission)
    assert infected_paths(result) == [INFECTED_NAME]
    assert result.infected[0].signature.startswith(SIGNATURE)
    assert result.files_scanned == 3 and result.not_scanned == ()
    assert re.fullmatch(r"ClamAV \d+\.\d+\.\d+ \(clamd\)", result.engine)
    assert result.database


def test_clamd_clean_folder(clamd_config: VirusScanConfig, clean_folder: Path) -> None:
    result = open_scanner(clamd_config).scan(clean_folder)
    assert result.clean and result.files_scanned == 3


def test_clamd_version(clamd_config: VirusScanConfig) -> None:
    engine, database = open_scanner(clamd_config).version()
    assert engine.startswith("ClamAV ") and engine.endswith("(clamd)")
    assert database


def test_clamd_stream_limit_is_not_scanned(clamd_config: VirusScanConfig, tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "ảnh lớn.tif").write_bytes(os.urandom(3 * 2**20))  # over StreamMaxLength 1M
    (folder / "nhỏ.txt").write_text("nhỏ")
    result = open_scanner(clamd_config).scan(folder)
    assert result.infected == ()
    assert [hit.path for hit in result.not_scanned] == ["ảnh lớn.tif"]
    assert "StreamMaxLength" in result.not_scanned[0].signature
    assert result.files_scanned == 1
    assert not result.clean


# --- settings ------------------------------------------------------------------------------------------


def test_from_mapping_resolves_paths_against_home(tmp_path: Path) -> None:
    config = VirusScanConfig.from_mapping(
        {"mode": "auto", "database": "clamav", "clamd_socket": "run/clamd.sock", "timeout_s": 90}, tmp_path
    )
    assert config.database == tmp_path / "clamav"
    assert config.clamd_socket == str(tmp_path / "run/clamd.sock")
    assert config.timeout_s == 90.0 and config.clamscan == "clamscan"
    assert VirusScanConfig.from_mapping(
        {"database": "/srv/db", "clamd_socket": ""}, tmp_path
    ) == VirusScanConfig(mode="auto", database=Path("/srv/db"))


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"mode": "auto", "colour": "blue"}, "virus.config.unknown_key"),
        ({"mode": "sometimes"}, "virus.config.bad_mode"),
        ({"mode": 1}, "virus.config.not_text"),
        ({"timeout_s": 0}, "virus.config.bad_timeout"),
        ({"timeout_s": "10"}, "virus.config.bad_timeout"),
        ({"timeout_s": True}, "virus.config.bad_timeout"),
        ({"clamd_address": "localhost"}, "virus.config.bad_address"),
        ({"clamd_address": "localhost:99999"}, "virus.config.bad_address"),
        ({"mode": "clamd"}, "virus.config.clamd_needs_endpoint"),
        ({"mode": "clamscan"}, "virus.config.clamscan_needs_database"),
    ],
)
def test_from_mapping_refuses_bad_settings(data: dict, key: str, tmp_path: Path) -> None:
    with pytest.raises(VirusScanError) as caught:
        VirusScanConfig.from_mapping(data, tmp_path)
    assert caught.value.message_key == key
    assert "virus_scan." in caught.value.params["key"]


def test_ipv6_address(tmp_path: Path) -> None:
    config = VirusScanConfig.from_mapping({"mode": "clamd", "clamd_address": "[::1]:3310"}, tmp_path)
    assert config.endpoints()[0].address == ("::1", 3310)


# --- messages ------------------------------------------------------------------------------------------


def test_messages_exist_in_both_languages_with_the_same_placeholders() -> None:
    source = Path(virus.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'"(virus\.[a-z_.]+)"', source))
    assert used
    for lang in ("vi", "en"):
        assert used <= message_keys(lang), lang
    keys = {key for key in message_keys("en") if key.startswith("virus.")}
    assert keys == {key for key in message_keys("vi") if key.startswith("virus.")}
    for key in keys:
        placeholders = {lang: set(re.findall(r"{(\w+)}", translate(key, lang))) for lang in ("vi", "en")}
        assert placeholders["vi"] == placeholders["en"], key
