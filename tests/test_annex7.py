"""TT05 annex VII records of a fixity audit: the inspection record and the incident-and-recovery record.

The records come from real audits of a real repository (two local locations, one generated dossier
ingested): a clean audit, then one after a damaged copy, a missing copy (both recovered) and a file
damaged in every location (unrecoverable). They are rendered as text and as PDF, in Vietnamese and English.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest

from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from archive_repo.fixity.annex7 import Annex7Error, render_annex7_pdf, render_annex7_text
from archive_repo.fixity.report import run_record
from archive_repo.i18n import message_keys
from archive_repo.ingest.catalog_access import sessions
from helpers import NO_VIRUS_SCAN, PACKAGE_EAD, allow_unsigned_documents, build_sip_hoso

ARCHIVE = "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"
STORES = ("store-a", "store-b")
NATION_VI = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_VI = "Độc lập - Tự do - Hạnh phúc"
INSPECTION_VI = "BIÊN BẢN KIỂM TRA TÀI LIỆU LƯU TRỮ ĐIỆN TỬ ĐANG BẢO QUẢN"
INCIDENTS_VI = "BIÊN BẢN SỰ CỐ VÀ KHÔI PHỤC TÀI LIỆU LƯU TRỮ ĐIỆN TỬ"
INSPECTION_EN = "INSPECTION RECORD OF THE STORED ELECTRONIC ARCHIVAL RECORDS"
INCIDENTS_EN = "INCIDENT AND RECOVERY RECORD OF ELECTRONIC ARCHIVAL RECORDS"
CORRUPT_PDF = "representations/rep1/data/H49.64.33.2024.15.1.pdf"  # damaged at store-a, recovered
MISSING_PDF = "representations/rep1/data/H49.64.33.2024.15.2.pdf"  # deleted at store-b, recovered
LOST = PACKAGE_EAD  # damaged at both locations: unrecoverable


@pytest.fixture(autouse=True)
def _no_language_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_REPO_LANG", raising=False)
    monkeypatch.delenv("ARCHIVE_REPO_DB", raising=False)
    monkeypatch.delenv("ARCHIVE_REPO_FONT", raising=False)


def _stored(home: Path, store: str, path: str) -> Path:
    matches = [p for p in (home / store).rglob(Path(path).name) if p.as_posix().endswith(path)]
    assert len(matches) == 1, (store, path, matches)
    return matches[0]


def _flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _audit(home: Path) -> int:
    return guarded(cli, ["fixity", "audit", "-R", str(home), "--all", "--no-progress"])


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """``clean``: an audit that found nothing; ``incidents``: the next one, after the damage."""
    work = tmp_path_factory.mktemp("annex7")
    home = work / "kho"
    stores = [item for store in STORES for item in ("--store", store)]
    options = ["--archive-code", "LTLSHG", "--archive-name", ARCHIVE, *stores, *NO_VIRUS_SCAN]
    assert guarded(cli, ["init", "-R", str(home), *options]) == 0
    allow_unsigned_documents(home)
    sip = build_sip_hoso(work / "sip")
    assert guarded(cli, ["ingest", "-R", str(home), str(sip), "--workers", "1", "--no-progress"]) == 0
    assert _audit(home) == 0

    _flip_byte(_stored(home, "store-a", CORRUPT_PDF))
    _stored(home, "store-b", MISSING_PDF).unlink()
    for store in STORES:
        _flip_byte(_stored(home, store, LOST), offset=60)
    assert _audit(home) == 3  # EXIT_UNRECOVERABLE

    settings = load_settings(home)
    with sessions(settings.catalog_url)() as session:
        return {"clean": run_record(session, 1), "incidents": run_record(session, 2)}


@pytest.fixture(scope="module")
def pdfs(records: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("annex7-pdf")
    made = {}
    for name, lang in (("incidents", "vi"), ("incidents", "en"), ("clean", "vi")):
        made[f"{name}-{lang}"] = folder / f"{name}-{lang}.pdf"
        render_annex7_pdf(records[name], lang, ARCHIVE, made[f"{name}-{lang}"], place="Hà Giang")
    return made


def pdf_pages(path: Path) -> list[str]:
    """Each page's text as extracted; the diacritics must come out as written (no normalisation here)."""
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def flat(text: str) -> str:
    """Lines joined: the text wraps long sentences."""
    return " ".join(text.split())


def squeezed(text: str) -> str:
    """Without whitespace: table cells wrap long names over lines."""
    return re.sub(r"\s+", "", text)


def dated_vi(record: dict[str, Any]) -> str:
    when = datetime.fromisoformat(record["finished_at"])
    month = f"{when.month:02d}" if when.month < 3 else str(when.month)
    return f"Hà Giang, ngày {when.day:02d} tháng {month} năm {when.year}"


# --------------------------------------------------------------------------------------------------
# the audits themselves


def test_the_scenario_is_what_the_records_describe(records: dict[str, dict[str, Any]]) -> None:
    clean, run = records["clean"], records["incidents"]
    assert clean["incidents"] == [] and clean["checked"] == clean["ok"] > 0
    outcomes = {
        (i["path"], i["location"], i["kind"], i["outcome"], i["source_location"]) for i in run["incidents"]
    }
    assert outcomes == {
        (CORRUPT_PDF, "local-1", "corrupt", "recovered", "local-2"),
        (MISSING_PDF, "local-2", "missing", "recovered", "local-1"),
        (LOST, "local-1", "corrupt", "unrecoverable", None),
        (LOST, "local-2", "corrupt", "unrecoverable", None),
    }
    assert (run["repaired"], run["unrecoverable"]) == (2, 2)


# --------------------------------------------------------------------------------------------------
# text


def test_text_inspection_record_in_vietnamese(records: dict[str, dict[str, Any]]) -> None:
    run = records["incidents"]
    text = render_annex7_text(run, "vi", ARCHIVE, place="Hà Giang")
    inspection, incidents = text.split("=" * 40, 1)

    for expected in (NATION_VI, MOTTO_VI, ARCHIVE.upper(), INSPECTION_VI, dated_vi(run)):
        assert expected in flat(inspection)
    assert f"Căn cứ Thông tư số 05/2025/TT-BNV, {ARCHIVE} đã kiểm tra" in flat(inspection)
    assert f"Số: {run['run']}/BB-KT" in flat(inspection)
    assert f"Lần kiểm tra số: {run['run']}" in flat(inspection)
    assert "Phạm vi kiểm tra: toàn bộ bản lưu trong kho" in flat(inspection)
    assert f"Người thực hiện (tài khoản): {run['operator']}" in flat(inspection)
    assert f"Máy thực hiện: {run['host']}" in flat(inspection)
    assert "Trạng thái: hoàn tất" in flat(inspection)
    assert f"Số bản lưu đã kiểm tra: {run['checked']}" in flat(inspection)
    assert f"Số bản lưu nguyên vẹn: {run['ok']}" in flat(inspection)
    assert f"Số bản lưu hỏng hoặc mất: {run['failed']}" in flat(inspection)
    assert "Số bản lưu đã khôi phục: 2" in flat(inspection)
    assert "Số bản lưu không thể khôi phục: 2" in flat(inspection)
    assert "Số sự cố: 4" in flat(inspection)
    assert f"({run['bytes_checked']:,} byte)".replace(",", ".") in flat(inspection)
    for name, entry in run["locations"].items():
        counts = [entry[k] for k in ("ok", "corrupt", "missing", "unreachable")]
        cells = [name, str(sum(counts)), *map(str, counts)]
        row = next(line for line in inspection.splitlines() if line.startswith(f"| {name} "))
        assert [c.strip() for c in row.strip("|").split("|")][:6] == cells
    # the conclusion says it plainly, and names the file that is lost
    assert "KHÔNG THỂ KHÔI PHỤC 1 TỆP TÀI LIỆU" in flat(inspection)
    objid = run["incidents"][0]["objid"]
    assert re.search(rf"!! {re.escape(objid)}/{re.escape(LOST)} \(tại:\s+local-\d, local-\d\)", inspection)
    assert "2 sự cố đã được khôi phục từ bản lưu nguyên vẹn" in flat(inspection)
    assert f"Biên bản sự cố và khôi phục số {run['run']}/BB-SC kèm theo" in flat(inspection)
    assert "NGƯỜI KIỂM TRA" in flat(inspection) and "LÃNH ĐẠO ĐƠN VỊ" in flat(inspection)
    assert INCIDENTS_VI not in flat(inspection) and INCIDENTS_VI in flat(incidents)


def test_text_incident_record_lists_every_incident(records: dict[str, dict[str, Any]]) -> None:
    run = records["incidents"]
    incidents = render_annex7_text(run, "vi", ARCHIVE).split("=" * 40, 1)[1]

    for expected in (NATION_VI, MOTTO_VI, INCIDENTS_VI, f"Số: {run['run']}/BB-SC", "……………, ngày "):
        assert expected in flat(incidents)
    assert "Đã khôi phục: 2; không thể khôi phục: 2; chưa khắc phục: 0." in flat(incidents)
    assert "CẢNH BÁO: 1 tệp (đánh dấu !!)" in flat(incidents)
    blocks = re.split(r"\n(?=(?:!! )?STT \d+\. )", incidents)[1:]
    assert len(blocks) == len(run["incidents"]) == 4
    for block, incident in zip(blocks, run["incidents"], strict=True):
        assert f"Tệp: {incident['path']}" in flat(block)
        assert f"Gói AIP: {incident['objid']}" in flat(block)
        assert f"Nơi lưu trữ: {incident['location']}" in flat(block)
        if incident["outcome"] == "recovered":
            assert not block.startswith("!!")
            assert "Kết quả: Đã khôi phục" in flat(block)
            assert f"Sao chép lại từ bản lưu nguyên vẹn tại {incident['source_location']}" in flat(block)
            assert "Thời điểm khôi phục: —" not in flat(block)
        else:
            assert block.startswith("!! ")  # highlighted
            assert "Kết quả: KHÔNG THỂ KHÔI PHỤC" in flat(block)
            assert "phải khôi phục từ bản sao lưu ngoài hệ thống" in flat(block)
            assert "Thời điểm khôi phục: —" in flat(block)
    kinds = {i["path"]: b for b, i in zip(blocks, run["incidents"], strict=True)}
    assert "Bản lưu bị mất" in kinds[MISSING_PDF] and "Bản lưu bị hỏng" in kinds[CORRUPT_PDF]


def test_text_in_english(records: dict[str, dict[str, Any]]) -> None:
    run = records["incidents"]
    text = render_annex7_text(run, "en", ARCHIVE)
    for expected in (
        "SOCIALIST REPUBLIC OF VIET NAM",
        "Independence - Freedom - Happiness",
        INSPECTION_EN,
        INCIDENTS_EN,
        f"No.: {run['run']}/BB-KT",
        f"Copies checked: {run['checked']}",
        f"({run['bytes_checked']:,} bytes)",
        "1 FILE(S) BELOW CANNOT BE RECOVERED",
        "Outcome: CANNOT BE RECOVERED",
        "Outcome: Recovered",
        "INSPECTOR",
        "HEAD OF THE UNIT",
        ARCHIVE,  # names stay as they are
    ):
        assert expected in flat(text), expected
    for incident in run["incidents"]:
        assert f"File: {incident['path']}" in flat(text)
    for vietnamese in ("BIÊN BẢN", "Số bản lưu", "Đã khôi phục", "KẾT LUẬN", "ngày"):
        assert vietnamese not in flat(text)


def test_a_clean_run_has_no_incident_record(records: dict[str, dict[str, Any]]) -> None:
    run = records["clean"]
    text = render_annex7_text(run, "vi", ARCHIVE)
    assert INSPECTION_VI in flat(text) and MOTTO_VI in flat(text)
    assert INCIDENTS_VI not in flat(text) and "BB-SC" not in flat(text) and "=" * 40 not in flat(text)
    assert f"Toàn bộ {run['checked']} bản lưu đã kiểm tra đều nguyên vẹn" in flat(text)
    assert "Không phát hiện sự cố." in flat(text)
    assert "Số sự cố: 0" in flat(text)
    english = render_annex7_text(run, "en", ARCHIVE)
    assert INCIDENTS_EN not in english and "No incident was found." in english


def test_conclusions_of_other_outcomes(records: dict[str, dict[str, Any]]) -> None:
    run = copy.deepcopy(records["incidents"])
    run["incidents"] = [i for i in run["incidents"] if i["outcome"] == "recovered"]
    run["unrecoverable"] = 0
    text = render_annex7_text(run, "vi", ARCHIVE)
    assert "Phát hiện 2 sự cố; TẤT CẢ đã được khôi phục" in flat(text)
    assert "KHÔNG THỂ KHÔI PHỤC" not in flat(text) and "CẢNH BÁO" not in flat(text)

    run["incidents"][0] = dict(run["incidents"][0], outcome="open", recovered_at=None, source_location=None)
    run.update(status="interrupted", unreachable=5, not_checked=7, locations_down={"local-2": "timeout"})
    text = render_annex7_text(run, "vi", ARCHIVE)
    assert "Phát hiện 1 sự cố CHƯA ĐƯỢC KHẮC PHỤC" in flat(text)
    assert "Kết quả: Chưa khắc phục" in flat(text)
    assert "5 bản lưu không truy cập được nên chưa được kiểm tra" in flat(text)
    assert "Nơi lưu trữ không phản hồi: local-2." in flat(text)
    assert "7 bản lưu chưa được kiểm tra trong lần này" in flat(text)
    assert "Lần kiểm tra không hoàn tất (trạng thái: bị ngắt giữa chừng)" in flat(text)

    clean = dict(records["clean"], unreachable=3)
    text = render_annex7_text(clean, "vi", ARCHIVE)
    assert "lần kiểm tra CHƯA ĐẦY ĐỦ" in flat(text) and "Không phát hiện sự cố" not in flat(text)


def test_unknown_language_is_refused(records: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(ValueError):
        render_annex7_text(records["clean"], "fr", ARCHIVE)


# --------------------------------------------------------------------------------------------------
# PDF


def test_pdf_in_vietnamese_says_the_same(records: dict[str, dict[str, Any]], pdfs: dict[str, Path]) -> None:
    run = records["incidents"]
    pages = pdf_pages(pdfs["incidents-vi"])
    whole = squeezed("\n".join(pages))
    first_incident_page = next(n for n, page in enumerate(pages) if squeezed(INCIDENTS_VI) in squeezed(page))
    inspection = squeezed("\n".join(pages[:first_incident_page]))
    incidents = squeezed("\n".join(pages[first_incident_page:]))

    for expected in (
        NATION_VI,
        MOTTO_VI,
        ARCHIVE.upper(),
        INSPECTION_VI,
        dated_vi(run),
        f"Số: {run['run']}/BB-KT",
    ):
        assert squeezed(expected) in inspection, expected
    for label, value in (
        ("Số bản lưu đã kiểm tra", run["checked"]),
        ("Số bản lưu nguyên vẹn", run["ok"]),
        ("Số bản lưu hỏng hoặc mất", run["failed"]),
        ("Số bản lưu đã khôi phục", 2),
        ("Số bản lưu không thể khôi phục", 2),
    ):
        assert squeezed(f"{label}{value}") in inspection, label
    for name in run["locations"]:
        assert name in inspection
    assert squeezed("KHÔNG THỂ KHÔI PHỤC 1 TỆP TÀI LIỆU") in inspection
    assert squeezed("NGƯỜI KIỂM TRA") in inspection and squeezed("LÃNH ĐẠO ĐƠN VỊ") in inspection

    for expected in (
        NATION_VI,
        MOTTO_VI,
        f"Số: {run['run']}/BB-SC",
        "Đã khôi phục: 2; không thể khôi phục: 2",
    ):
        assert squeezed(expected) in incidents, expected
    for incident in run["incidents"]:
        assert squeezed(incident["path"]) in incidents
        assert squeezed(incident["objid"]) in incidents
    assert incidents.count(squeezed("KHÔNG THỂ KHÔI PHỤC")) >= 2
    assert incidents.count(squeezed("Đã khôi phục")) >= 3  # the counts line and two rows
    assert squeezed("NGƯỜI KIỂM TRA") in incidents
    assert "Trang1/" in whole and f"Trang{len(pages)}/{len(pages)}" in whole


def test_pdf_embeds_its_fonts_and_no_helvetica(pdfs: dict[str, Path]) -> None:
    fonts = set()
    for page in pypdf.PdfReader(pdfs["incidents-vi"]).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "/FontDescriptor" in font, font["/BaseFont"]
            assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]
            fonts.add(str(font["/BaseFont"]))
    assert fonts and not any("Helvetica" in f for f in fonts)


def test_pdf_in_english(records: dict[str, dict[str, Any]], pdfs: dict[str, Path]) -> None:
    run = records["incidents"]
    whole = squeezed("\n".join(pdf_pages(pdfs["incidents-en"])))
    for expected in (
        "SOCIALIST REPUBLIC OF VIET NAM",
        "Independence - Freedom - Happiness",
        INSPECTION_EN,
        INCIDENTS_EN,
        f"Copies checked{run['checked']}",
        "CANNOT BE RECOVERED",
        ARCHIVE,
        "Page 1 of",
    ):
        assert squeezed(expected) in whole, expected
    for incident in run["incidents"]:
        assert squeezed(incident["path"]) in whole
    assert squeezed("BIÊN BẢN") not in whole


def test_pdf_of_a_clean_run_has_no_incident_record(pdfs: dict[str, Path]) -> None:
    whole = squeezed("\n".join(pdf_pages(pdfs["clean-vi"])))
    assert squeezed(INSPECTION_VI) in whole and squeezed(MOTTO_VI) in whole
    assert squeezed(INCIDENTS_VI) not in whole and "BB-SC" not in whole
    assert squeezed("Không phát hiện sự cố.") in whole


def test_a_long_incident_table_runs_over_pages(records: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    run = copy.deepcopy(records["incidents"])
    run["incidents"] = [dict(i, id=n) for n in range(40) for i in records["incidents"]["incidents"]]
    target = tmp_path / "long.pdf"
    render_annex7_pdf(run, "vi", ARCHIVE, target)
    pages = pdf_pages(target)
    assert len(pages) >= 8
    table_pages = [p for p in pages if squeezed("Hồ sơ (AIP) / tệp") in squeezed(p)]
    assert len(table_pages) >= 5  # the header row is repeated on every page of the table
    whole = squeezed("\n".join(pages))
    for number, incident in enumerate(run["incidents"], start=1):
        mark = "!!" if incident["outcome"] == "unrecoverable" else ""
        assert f"{mark}{number}urn:" in whole  # the row number (marked when unrecoverable), then the AIP
        if not mark:
            assert f"!!{number}urn:" not in whole
    assert f"Trang{len(pages)}/{len(pages)}" in whole


def test_pdf_is_written_atomically_and_reproducibly(
    records: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    target = tmp_path / "out" / "bien-ban.pdf"
    render_annex7_pdf(records["incidents"], "vi", ARCHIVE, target)
    first = target.read_bytes()
    render_annex7_pdf(records["incidents"], "vi", ARCHIVE, target)  # replaces it
    assert target.read_bytes() == first and first.startswith(b"%PDF-")
    assert sorted(p.name for p in target.parent.iterdir()) == ["bien-ban.pdf"]  # no temporary file left


def test_no_font_leaves_the_destination_alone(
    records: dict[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "bien-ban.pdf"
    target.write_bytes(b"earlier")
    monkeypatch.setenv("ARCHIVE_REPO_FONT", str(tmp_path / "missing.ttf"))
    with pytest.raises(Annex7Error) as caught:
        render_annex7_pdf(records["incidents"], "vi", ARCHIVE, target)
    assert caught.value.message_key == "annex7.font_env_missing"
    assert "missing.ttf" in caught.value.message("vi")
    assert target.read_bytes() == b"earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bien-ban.pdf"]


def test_unwritable_destination_is_an_error(records: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(Annex7Error) as caught:
        render_annex7_pdf(records["clean"], "vi", ARCHIVE, blocker / "bien-ban.pdf")
    assert caught.value.message_key == "annex7.io_failed"


def test_every_message_exists_in_both_languages() -> None:
    vi = {k for k in message_keys("vi") if k.startswith("annex7.")}
    en = {k for k in message_keys("en") if k.startswith("annex7.")}
    assert vi == en and len(vi) > 50
