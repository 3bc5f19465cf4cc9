"""``archive-repo aip``: list, search, show, history and export what a repository holds.

A module-wide repository is made once (``init`` + ``ingest examples/submissions``) and only read; tests
that damage storage or add versions make their own small repository.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.i18n import translate
from archive_repo.storage.local import LocalStore
from archive_repo.validation.validator import validate_path
from helpers import (
    EXAMPLES,
    NO_VIRUS_SCAN,
    all_text,
    allow_unsigned_documents,
    build_sip_hoso,
    run_cli,
    trust_examples,
)

SUBMISSIONS = EXAMPLES / "submissions"
HOI_NGHI = SUBMISSIONS / "uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6"  # LTLSHG.H49.64.33.2024.15
ARCHIVE = "LTLSHG"
ACCEPTED = {
    "LTLSHG.H49.64.33.2024.31",
    "LTLSHG.H49.64.33.2023.42",
    "LTLSHG.H49.64.33.2024.15",
    "LTLSHG.H49.64.33.2024.01.0000001",
}
HOI_NGHI_CODE = "LTLSHG.H49.64.33.2024.15"


@pytest.fixture(autouse=True)
def _no_language_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_REPO_LANG", raising=False)
    monkeypatch.delenv("ARCHIVE_REPO_DEBUG", raising=False)
    monkeypatch.delenv("ARCHIVE_REPO_DB", raising=False)


def make_repository(home: Path, *sources: Path, stores: tuple[str, ...] = ()) -> Path:
    options = [item for store in stores for item in ("--store", store)]
    assert guarded(cli, ["init", "-R", str(home), "--archive-code", ARCHIVE, *options, *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    allow_unsigned_documents(home)  # the version tests build unsigned packages
    if sources:
        guarded(cli, ["ingest", "-R", str(home), *map(str, sources), "--workers", "1", "--no-progress"])
    return home


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("aip") / "kho"
    options = ["--archive-code", ARCHIVE, "--archive-name", "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"]
    assert guarded(cli, ["init", "-R", str(home), *options, *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    code = guarded(cli, ["ingest", "-R", str(home), str(SUBMISSIONS), "--workers", "1", "--no-progress"])
    assert code == 1  # the defective examples are rejected
    return home


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()  # drop what fixtures printed
    code = guarded(cli, [str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, out + err
    return json.loads(out)


def show(capsys: pytest.CaptureFixture[str], home: Path, ident: str, *more: str) -> dict:
    return run_json(capsys, "aip", "show", ident, "-R", home, *more)


def stored_folder(home: Path, detail: dict, location: str = "store") -> Path:
    return home / location / detail["folder"]


def data_file(detail: dict) -> dict:
    return next(f for f in detail["file_list"] if f["role"] == "data" and f["path"].endswith(".pdf"))


def flip_byte(path: Path, offset: int = 200) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------------------------------
# list


def test_list_shows_the_accepted_packages_only(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = run_json(capsys, "aip", "list", "-R", repo)
    assert listing["total"] == 4
    assert {p["arc_file_code"] for p in listing["packages"]} == ACCEPTED
    for package in listing["packages"]:
        detail = show(capsys, repo, package["objid"])
        assert detail["submission"]["status"] == "accepted"
        assert "defective" not in detail["submission"]["source_name"]
        assert package["documents"] == len(detail["documents"]) > 0
        assert package["size"] == sum(f["size"] for f in detail["file_list"]) > 0
    created = [p["created_at"] for p in listing["packages"]]
    assert created == sorted(created, reverse=True)  # newest first


def test_list_text_sort_and_limit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "aip", "list", "-R", repo, "--sort", "code")
    assert code == 0
    positions = [out.index(c) for c in sorted(ACCEPTED)]
    assert positions == sorted(positions)
    limited = run_json(capsys, "aip", "list", "-R", repo, "--limit", "2")
    assert (limited["total"], limited["shown"], len(limited["packages"])) == (4, 2, 2)
    code, out, _ = run(capsys, "aip", "list", "-R", repo, "--limit", "2", "--lang", "en")
    assert translate("aip.more_results", "en", shown=2, total=4) in out


def test_list_filters_by_fonds_and_agency(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "aip", "list", "-R", repo, "--fonds", "G09")["total"] == 4
    assert run_json(capsys, "aip", "list", "-R", repo, "--fonds", "G10")["total"] == 0
    assert run_json(capsys, "aip", "list", "-R", repo, "--agency", "H49.64.33")["total"] == 4
    assert run_json(capsys, "aip", "list", "-R", repo, "--agency", "H49.64.34")["total"] == 0
    code, out, _ = run(capsys, "aip", "list", "-R", repo, "--fonds", "G10")
    assert code == 0 and translate("aip.none_found", "vi") in out


# --------------------------------------------------------------------------------------------------
# search


def test_search_ignores_diacritics(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = run_json(capsys, "aip", "search", "hoi nghi", "-R", repo)
    assert [p["arc_file_code"] for p in found["packages"]] == [HOI_NGHI_CODE]
    assert "Hội nghị" in found["packages"][0]["title"]
    assert "package" in found["packages"][0]["matched_in"]


def test_search_nonsense_finds_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "aip", "search", "xyzzyqwv", "-R", repo)["total"] == 0
    code, out, _ = run(capsys, "aip", "search", "xyzzyqwv", "-R", repo)
    assert code == 0 and translate("aip.none_found", "vi") in out


def test_search_shows_matching_documents(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "Giấy mời" is only in a document's title, not in the dossier's.
    found = run_json(capsys, "aip", "search", "giay moi", "-R", repo)
    [package] = found["packages"]
    assert package["arc_file_code"] == HOI_NGHI_CODE
    assert package["matched_in"] == ["documents"]
    [document] = package["matched_documents"]
    assert document["code"] == "H49.64.33.2024.15.0000002" and "Giấy mời" in document["title"]
    code, out, _ = run(capsys, "aip", "search", "giay moi", "-R", repo)
    assert code == 0
    assert "H49.64.33.2024.15.0000002" in out and document["title"] in out


def test_search_by_dates_mode_and_fonds(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def codes(*options: str) -> set[str]:
        found = run_json(capsys, "aip", "search", "", "-R", repo, *options)
        return {p["arc_file_code"] for p in found["packages"]}

    assert codes() == ACCEPTED
    assert codes("--from", "2023", "--to", "2023") == {"LTLSHG.H49.64.33.2023.42"}
    assert codes("--from", "01/11/2024") == {HOI_NGHI_CODE}
    assert codes("--to", "2024-09-30") == {"LTLSHG.H49.64.33.2023.42", "LTLSHG.H49.64.33.2024.31"}
    assert codes("--mode", "02") == {"LTLSHG.H49.64.33.2023.42"}
    assert codes("--fonds", "G10") == set()
    code, _, err = run(capsys, "aip", "search", "x", "-R", repo, "--from", "31/02/2024")
    assert code == 2 and translate("aip.bad_date", "vi", value="31/02/2024") in err


# --------------------------------------------------------------------------------------------------
# show


def test_show_by_objid_and_by_code_agree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    by_code = show(capsys, repo, HOI_NGHI_CODE)
    by_objid = show(capsys, repo, by_code["objid"])
    without_prefix = show(capsys, repo, "H49.64.33.2024.15")
    by_folder = show(capsys, repo, by_code["folder"])
    assert by_code == by_objid == without_prefix == by_folder
    assert by_code["arc_file_code"] == HOI_NGHI_CODE and by_code["version"] == 1
    assert by_code["mode"] == "01" and by_code["mode_label"] == "Công khai"
    assert by_code["submission"]["verdict"] == "valid" and len(by_code["submission"]["digest"]) == 64
    assert [d["ordinal"] for d in by_code["documents"]] == [1, 2, 3]
    assert by_code["files_by_role"]["data"] == 3
    assert by_code["locations"][0]["location"] == "local-1"
    assert by_code["locations"][0]["statuses"] == {"ok": by_code["files"]}


def test_show_json_digests_are_what_the_store_holds(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = LocalStore("local-1", repo / "store")
    for package in run_json(capsys, "aip", "list", "-R", repo)["packages"]:
        detail = show(capsys, repo, package["objid"])
        assert detail["file_list"]
        for file in detail["file_list"]:
            [copy] = file["copies"]
            stored = store.digest(copy["key"])
            assert (stored.sha256, stored.size) == (file["sha256"], file["size"]), file["path"]
        for document in detail["documents"]:
            for data in document["data_files"]:
                assert len(data["sha256"]) == 64


def test_show_text(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    detail = show(capsys, repo, HOI_NGHI_CODE)
    code, out, _ = run(capsys, "aip", "show", HOI_NGHI_CODE, "-R", repo)
    assert code == 0
    assert detail["objid"] in out and detail["title"] in out
    assert "Công khai" in out and translate("aip.field_mode", "vi") in out
    assert detail["submission"]["digest"] in out
    for document in detail["documents"]:
        assert document["code"] in out
        assert document["data_files"][0]["sha256"][:12] in out
        assert document["data_files"][0]["sha256"] not in out  # shortened in text
    assert "local-1" in out


def test_english(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "aip", "show", HOI_NGHI_CODE, "-R", repo, "--lang", "en")
    assert code == 0
    assert "Access mode" in out and "01 — Public" in out and "Chế độ sử dụng" not in out
    code, out, _ = run(capsys, "aip", "history", HOI_NGHI_CODE, "-R", repo, "--lang", "en")
    assert code == 0
    assert "virus check" in out and "not performed" in out and "kiểm tra mã độc" not in out
    code, _, err = run(capsys, "aip", "show", "khong-co", "-R", repo, "--lang", "en")
    assert code == 2 and 'No AIP "khong-co"' in err


def test_unknown_id_exits_2_with_a_message(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("show", "history"):
        code, out, err = run(capsys, "aip", command, "LTLSHG.KHONG.CO", "-R", repo)
        assert code == 2
        assert translate("aip.not_found", "vi", id="LTLSHG.KHONG.CO") in err
    code, _, err = run(capsys, "aip", "show", HOI_NGHI_CODE, "--version", "7", "-R", repo)
    assert (
        code == 2 and translate("aip.version_not_found", "vi", id=HOI_NGHI_CODE, version=7, latest=1) in err
    )
    result = run_cli("aip", "show", "urn:G09:uuid-00000000-0000-0000-0000-000000000000", "-R", repo)
    assert result.returncode == 2, all_text(result)
    assert "Traceback" not in all_text(result) and "urn:G09:uuid-00000000" in result.stderr


def test_uninitialised_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["list"], ["search", "x"], ["show", "x"], ["history", "x"]):
        code, _, err = run(capsys, "aip", *command, "-R", tmp_path)
        assert code == 2
        assert translate("config.not_initialised", "vi", path=str(tmp_path.resolve())) in err


# --------------------------------------------------------------------------------------------------
# history


def test_history_events_in_time_order(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    detail = show(capsys, repo, HOI_NGHI_CODE)
    data = run_json(capsys, "aip", "history", HOI_NGHI_CODE, "-R", repo)
    events = data["events"]
    types = {e["type"] for e in events}
    assert {"validation", "information package creation", "ingestion", "virus check", "fixity check"} <= types
    assert [e["outcome"] for e in events if e["type"] == "virus check"] == ["not performed"]
    times = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert times == sorted(times)
    assert all(e["occurred_at"].endswith("+07:00") for e in events)
    fixity = [e for e in events if e["type"] == "fixity check" and e["file"]]
    assert {e["file"] for e in fixity} == {d["data_files"][0]["path"] for d in detail["documents"]}
    assert all(e["agent"]["name"] == "archive-repo" and e["agent"]["version"] for e in events)
    assert data["hidden_file_events"] == 0


def test_history_text_groups_file_events(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "aip", "history", HOI_NGHI_CODE, "-R", repo)
    assert code == 0
    for label in ("kiểm tra mã độc", "xác nhận hợp lệ", "tạo gói thông tin", "tiếp nhận", "không thực hiện"):
        assert label in out
    grouped = translate("aip.grouped_event", "vi", event="kiểm tra tính toàn vẹn", count=3)
    assert grouped in out and "tất cả: thành công" in out
    assert "+07:00" in out
    assert ".1.pdf" not in out  # per-file lines are grouped

    code, out, _ = run(capsys, "aip", "history", HOI_NGHI_CODE, "-R", repo, "--files")
    assert code == 0 and grouped not in out
    assert all(f"H49.64.33.2024.15.{n}.pdf" in out for n in (1, 2, 3))

    code, out, _ = run(capsys, "aip", "history", HOI_NGHI_CODE, "-R", repo, "--no-files")
    assert code == 0 and "kiểm tra tính toàn vẹn" not in out and ".pdf" not in out
    # 3 files × (fixity check, format identification, PDF/A triage, signature validation)
    assert translate("aip.file_events_hidden", "vi", count=12) in out
    hidden = run_json(capsys, "aip", "history", HOI_NGHI_CODE, "-R", repo, "--no-files")
    assert hidden["hidden_file_events"] == 12 and all(e["file"] is None for e in hidden["events"])


# --------------------------------------------------------------------------------------------------
# versions


def test_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_repository(tmp_path / "kho", HOI_NGHI)
    replacement = build_sip_hoso(
        tmp_path / "v2", objid="uuid-9B8A7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D", record_status="REPLACEMENT"
    )
    make_repository(home, replacement)
    v2 = show(capsys, home, HOI_NGHI_CODE)
    v1 = show(capsys, home, HOI_NGHI_CODE, "--version", "1")
    assert (v2["version"], v2["status"], v1["version"], v1["status"]) == (2, "active", 1, "superseded")
    assert v2["supersedes"] == v1["objid"] and v1["superseded_by"] == v2["objid"]
    assert show(capsys, home, v1["objid"]) == v1
    assert run_json(capsys, "aip", "list", "-R", home)["total"] == 1
    assert run_json(capsys, "aip", "list", "-R", home, "--all-versions")["total"] == 2
    assert [p["version"] for p in run_json(capsys, "aip", "search", "hoi nghi", "-R", home)["packages"]] == [
        2
    ]

    history = run_json(capsys, "aip", "history", HOI_NGHI_CODE, "-R", home)
    assert history["version"] == 2
    assert [(v["objid"], v["current"]) for v in history["versions"]] == [
        (v1["objid"], False),
        (v2["objid"], True),
    ]
    code, out, _ = run(capsys, "aip", "history", HOI_NGHI_CODE, "-R", home)
    assert code == 0 and v1["objid"] in out and translate("aip.other_versions", "vi") in out


# --------------------------------------------------------------------------------------------------
# export


def _unzipped(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        assert opened.testzip() is None
        opened.extractall(target)
    [top] = list(target.iterdir())
    return top


def test_export_is_a_valid_aip_with_the_stored_bytes(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for code in (HOI_NGHI_CODE, "LTLSHG.H49.64.33.2024.01.0000001"):
        detail = show(capsys, repo, code)
        output = tmp_path / f"{detail['folder']}.zip"
        result = run_json(capsys, "aip", "export", code, "-R", repo, "--output", output)
        assert result["files"] == detail["files"] and result["size"] == detail["size"]
        assert result["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
        with zipfile.ZipFile(output) as opened:
            names = opened.namelist()
            assert names == sorted(names) and len(names) == detail["files"]
            assert all(name.startswith(detail["folder"] + "/") for name in names)
            methods = {info.filename.rsplit(".", 1)[-1]: info.compress_type for info in opened.infolist()}
            assert methods["pdf"] == zipfile.ZIP_STORED and methods["xml"] == zipfile.ZIP_DEFLATED
        top = _unzipped(output, tmp_path / f"unzipped-{detail['version']}-{code}")
        assert top.name == detail["folder"]
        report = validate_path(top)
        assert report.is_valid, report.as_dict("en")
        assert report.profile == detail["variant"] and report.profile in ("AIP_hoso", "AIP_tailieu")
        stored = stored_folder(repo, detail)
        exported = sorted(p.relative_to(top).as_posix() for p in top.rglob("*") if p.is_file())
        assert exported == sorted(f["path"] for f in detail["file_list"])
        for relative in exported:
            assert (top / relative).read_bytes() == (stored / relative).read_bytes(), relative
        assert not output.with_name(output.name + ".partial").exists()


def test_export_text_refuses_to_overwrite(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "hoso.zip"
    code, out, _ = run(capsys, "aip", "export", HOI_NGHI_CODE, "-R", repo, "-o", output)
    assert code == 0 and output.is_file()
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert digest in out and str(output) in out
    output.write_bytes(b"older")
    code, _, err = run(capsys, "aip", "export", HOI_NGHI_CODE, "-R", repo, "-o", output)
    assert code == 2 and translate("aip.export_exists", "vi", path=str(output)) in err
    assert output.read_bytes() == b"older"
    code, out, _ = run(capsys, "aip", "export", HOI_NGHI_CODE, "-R", repo, "-o", output, "--force")
    assert code == 0 and hashlib.sha256(output.read_bytes()).hexdigest() == digest
    # A folder as output: the ZIP is named after the AIP folder inside it.
    code, _, _ = run(capsys, "aip", "export", HOI_NGHI_CODE, "-R", repo, "-o", tmp_path)
    assert code == 0
    assert (
        tmp_path / f"{show(capsys, repo, HOI_NGHI_CODE)['folder']}.zip"
    ).read_bytes() == output.read_bytes()
    missing = tmp_path / "khong-co.zip"
    code, _, err = run(capsys, "aip", "export", "khong-co", "-R", repo, "-o", missing)
    assert code == 2 and translate("aip.not_found", "vi", id="khong-co") in err and not missing.exists()


def test_export_refuses_a_corrupt_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_repository(tmp_path / "kho", HOI_NGHI)
    detail = show(capsys, home, HOI_NGHI_CODE)
    damaged = data_file(detail)
    flip_byte(stored_folder(home, detail) / damaged["path"])
    output = tmp_path / "out" / "hoso.zip"
    output.parent.mkdir()
    code, out, err = run(capsys, "aip", "export", HOI_NGHI_CODE, "-R", home, "-o", output)
    assert code == 2, out + err
    assert damaged["path"] in err and "SHA-256" in err and "local-1" in err
    assert list(output.parent.iterdir()) == []  # neither the ZIP nor a .partial


def test_export_falls_back_to_a_good_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_repository(tmp_path / "kho", HOI_NGHI, stores=("a", "b"))
    detail = show(capsys, home, HOI_NGHI_CODE)
    assert [loc["location"] for loc in detail["locations"]] == ["local-1", "local-2"]
    pdfs = [f for f in detail["file_list"] if f["path"].endswith(".pdf")]
    # Exports are reproducible: the same ZIP, byte for byte, whichever copies it was read from.
    undamaged = run_json(capsys, "aip", "export", HOI_NGHI_CODE, "-R", home, "-o", tmp_path / "undamaged.zip")
    assert undamaged["read_from"] == {"local-1": detail["files"]} and undamaged["passed_over"] == []
    flip_byte(stored_folder(home, detail, "a") / pdfs[0]["path"])  # same size, other digest
    (stored_folder(home, detail, "a") / pdfs[1]["path"]).unlink()  # missing
    output = tmp_path / "hoso.zip"
    result = run_json(capsys, "aip", "export", HOI_NGHI_CODE, "-R", home, "-o", output)
    assert result["read_from"] == {"local-1": detail["files"] - 2, "local-2": 2}
    assert {p["path"] for p in result["passed_over"]} == {pdfs[0]["path"], pdfs[1]["path"]}
    assert result["sha256"] == undamaged["sha256"]  # the bad entry was cut off cleanly
    with zipfile.ZipFile(output) as opened:
        names = opened.namelist()
    assert len(names) == len(set(names)) == detail["files"]
    top = _unzipped(output, tmp_path / "unzipped")
    assert validate_path(top).is_valid
    good = stored_folder(home, detail, "b")
    for file in detail["file_list"]:
        assert (top / file["path"]).read_bytes() == (good / file["path"]).read_bytes()

    # Warned about in text too; once the second copy is damaged as well, nothing is left behind.
    code, _, err = run(capsys, "aip", "export", HOI_NGHI_CODE, "-R", home, "-o", tmp_path / "x.zip")
    assert code == 0 and pdfs[0]["path"] in err and "local-1" in err
    flip_byte(good / pdfs[0]["path"], offset=300)
    output.unlink()
    code, _, err = run(capsys, "aip", "export", HOI_NGHI_CODE, "-R", home, "-o", output)
    assert code == 2 and "local-1" in err and "local-2" in err and pdfs[0]["path"] in err
    assert not output.exists() and not output.with_name(output.name + ".partial").exists()
