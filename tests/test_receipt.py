"""The handover record (biên bản giao nhận): JSON + PDF, Vietnamese by default, reproducible."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest

from archive_repo.ingest import receipt
from archive_repo.ingest.receipt import (
    SCHEMA,
    HandoverRecord,
    ReceiptCheck,
    ReceiptDocument,
    ReceiptError,
    ReceiptFinding,
    find_unicode_font,
    receipt_as_dict,
    write_receipt,
)

TITLE_VI = "BIÊN BẢN GIAO NHẬN TÀI LIỆU LƯU TRỮ ĐIỆN TỬ"
TITLE_EN = "HANDOVER RECORD OF ELECTRONIC ARCHIVAL RECORDS"
AGENCY = "Sở Nội vụ tỉnh Hà Giang"
DOSSIER = "Hồ sơ hội nghị tổng kết công tác năm 2024"
FILE_CODE = "H49.64.33.2024.15"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def documents(count: int) -> tuple[ReceiptDocument, ...]:
    return tuple(
        ReceiptDocument(
            code=f"{FILE_CODE}.{n:07d}",
            title=f"Báo cáo số {n} về kết quả thực hiện nhiệm vụ",
            path=f"representations/rep1/data/{FILE_CODE}.{n:07d}.pdf",
            size=1000 * n + 17,
            sha256=sha(f"document {n}"),
        )
        for n in range(1, count + 1)
    )


def record(**changes: object) -> HandoverRecord:
    docs = documents(3)
    base = HandoverRecord(
        receipt_id="BBGN-20261121-0001-3f2a9c1d",
        received_at=datetime(2026, 11, 21, 2, 5, tzinfo=UTC),
        archive_code="H49",
        archive_name="Trung tâm Lưu trữ lịch sử tỉnh Hà Giang",
        agency_code="H49.64",
        agency_name=AGENCY,
        source_name="uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6.zip",
        submission_digest=sha("submission"),
        verdict="accepted-with-warnings",
        operator="Nguyễn Thị Lan",
        sip_objid="uuid-5E0F7C2A-1B3D-4C5E-8F90-A1B2C3D4E5F6",
        aip_objid="urn:H49:uuid-0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0",
        arc_file_code=FILE_CODE,
        title=DOSSIER,
        version=1,
        record_status="NEW",
        date_range="2024-01-05 – 2024-12-20",
        documents=docs,
        total_files=7,
        total_size=sum(d.size for d in docs) + 4096,
        warnings=1,
        findings=(
            ReceiptFinding(
                "warning", "cross.issue-date", "EAD_DOC.xml:4", "Ngày ban hành nằm ngoài thời gian của hồ sơ."
            ),
        ),
        checks=(ReceiptCheck("Kiểm tra virus", "Không thực hiện", "Chưa cấu hình trình quét virus"),),
    )
    return dataclasses.replace(base, **changes)


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------------------------------
# JSON


def test_json_record(tmp_path: Path) -> None:
    rec = record()
    json_path, pdf_path = write_receipt(rec, tmp_path / "receipts")
    assert json_path == tmp_path / "receipts" / f"{rec.receipt_id}.json"
    assert pdf_path == tmp_path / "receipts" / f"{rec.receipt_id}.pdf"
    raw = json_path.read_text(encoding="utf-8")
    assert AGENCY in raw  # ensure_ascii=False: Vietnamese is written as is
    data = json.loads(raw)
    assert data == receipt_as_dict(rec)
    assert data["schema"] == SCHEMA
    assert data["submission_digest"] == rec.submission_digest
    assert data["verdict"] == "accepted-with-warnings"
    assert [d["sha256"] for d in data["documents"]] == [d.sha256 for d in rec.documents]
    assert data["findings"][0]["rule"] == "cross.issue-date"
    assert data["checks"][0]["outcome"] == "Không thực hiện"
    received = datetime.fromisoformat(data["received_at"])
    assert received == rec.received_at
    assert received.utcoffset() == timedelta(hours=7)
    assert data["received_at"].endswith("+07:00")
    # nothing else is left in the folder (no temporary files)
    assert sorted(p.name for p in json_path.parent.iterdir()) == sorted([json_path.name, pdf_path.name])


def test_record_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        record(verdict="maybe")
    with pytest.raises(ValueError):
        record(received_at=datetime(2026, 11, 21, 9, 5))
    with pytest.raises(ValueError):
        record(receipt_id="../BBGN-1")


# --------------------------------------------------------------------------------------------------
# PDF content


def test_pdf_in_vietnamese(tmp_path: Path) -> None:
    rec = record()
    _, pdf_path = write_receipt(rec, tmp_path)
    pages = pdf_pages(pdf_path)
    text = "\n".join(pages)
    for expected in (
        TITLE_VI,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        AGENCY,
        DOSSIER,
        FILE_CODE,
        rec.receipt_id,
        rec.aip_objid,
        "Tiếp nhận, có cảnh báo",
        "21/11/2026 09:05",  # 02:05 UTC in Viet Nam time
        "ĐẠI DIỆN BÊN GIAO",
        "ĐẠI DIỆN BÊN NHẬN",
        "Kiểm tra virus",
        "Không thực hiện",
        "cross.issue-date",
        "Nguyễn Thị Lan",
    ):
        assert expected in text, expected
    assert TITLE_EN not in text
    flat = squeezed(text)
    assert rec.submission_digest in flat
    for document in rec.documents:
        assert document.sha256 in flat, document.code
        assert document.code in flat
    assert f"Trang 1/{len(pages)}" in pages[0]


def test_pdf_in_english(tmp_path: Path) -> None:
    _, pdf_path = write_receipt(record(), tmp_path, lang="en")
    pages = pdf_pages(pdf_path)
    text = "\n".join(pages)
    assert TITLE_EN in text
    assert "SOCIALIST REPUBLIC OF VIET NAM" in text
    assert "Accepted, with warnings" in text
    assert "FOR THE SUBMITTING AGENCY" in text and "FOR THE RECEIVING ARCHIVE" in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert TITLE_VI not in text
    assert "CỘNG HÒA" not in text
    assert AGENCY in text  # the data stays as it is


@pytest.mark.parametrize(
    ("verdict", "words"),
    [
        ("accepted", "Tiếp nhận"),
        ("rejected", "Từ chối"),
        ("duplicate", "Đã tiếp nhận trước đó (trùng)"),
    ],
)
def test_verdict_in_words(tmp_path: Path, verdict: str, words: str) -> None:
    _, pdf_path = write_receipt(record(verdict=verdict), tmp_path)
    text = "\n".join(pdf_pages(pdf_path))
    assert words in text
    assert ("Tiếp nhận, có cảnh báo" in text) is False


def test_fonts_are_embedded(tmp_path: Path) -> None:
    _, pdf_path = write_receipt(record(), tmp_path)
    fonts = 0
    for page in pypdf.PdfReader(pdf_path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "/FontDescriptor" in font, font["/BaseFont"]
            assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]
            fonts += 1
    assert fonts >= 1


def test_many_documents_and_findings(tmp_path: Path) -> None:
    findings = tuple(
        ReceiptFinding("error", f"rule.n{n:03d}", f"METS.xml:{n}", f"Vấn đề số {n:03d}") for n in range(120)
    )
    rec = record(documents=documents(200), findings=findings, errors=120, warnings=0)
    _, pdf_path = write_receipt(rec, tmp_path, lang="en")
    pages = pdf_pages(pdf_path)
    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    # the document table's header is repeated on every page it runs over
    pages_with_documents = [text for text in pages if any(d.code in text for d in rec.documents)]
    assert len(pages_with_documents) > 2
    assert all("Document code" in text for text in pages_with_documents)
    flat = squeezed("\n".join(pages))
    assert all(d.sha256 in flat for d in rec.documents)
    text = "\n".join(pages)
    shown = [n for n in range(120) if f"Vấn đề số {n:03d}" in text]
    assert shown == list(range(50))
    assert "… and 70 more" in text
    assert "Errors: 120" in text


def test_many_findings_in_vietnamese(tmp_path: Path) -> None:
    findings = tuple(ReceiptFinding("info", "x.y", "-", f"Ghi chú {n}") for n in range(51))
    _, pdf_path = write_receipt(record(findings=findings), tmp_path)
    text = "\n".join(pdf_pages(pdf_path))
    assert "… và 1 vấn đề khác" in text
    assert "Ghi chú 49" in text and "Ghi chú 50" not in text


def test_rejected_submission_without_aip(tmp_path: Path) -> None:
    rec = record(
        verdict="rejected",
        agency_code=None,
        agency_name=None,
        sip_objid=None,
        aip_objid=None,
        arc_file_code=None,
        title=None,
        version=None,
        record_status=None,
        date_range=None,
        documents=(),
        total_files=0,
        total_size=0,
        errors=2,
        warnings=0,
        findings=(ReceiptFinding("error", "reader.not-a-package", "", "Không phải gói tin."),) * 2,
        checks=(),
    )
    json_path, pdf_path = write_receipt(rec, tmp_path)
    assert json.loads(json_path.read_text(encoding="utf-8"))["aip_objid"] is None
    text = "\n".join(pdf_pages(pdf_path))
    assert "Từ chối" in text
    assert "cơ quan giao nộp chưa xác định được" in text
    assert "None" not in text
    assert FILE_CODE not in text


def test_same_input_same_bytes(tmp_path: Path) -> None:
    _, first = write_receipt(record(), tmp_path / "a")
    _, second = write_receipt(record(), tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    _, other = write_receipt(record(operator="Trần Văn Bình"), tmp_path / "c")
    assert other.read_bytes() != first.read_bytes()


def test_rewrite_replaces_in_place(tmp_path: Path) -> None:
    json_path, pdf_path = write_receipt(record(verdict="accepted"), tmp_path)
    write_receipt(record(verdict="rejected"), tmp_path)
    assert json.loads(json_path.read_text(encoding="utf-8"))["verdict"] == "rejected"
    assert "Từ chối" in "\n".join(pdf_pages(pdf_path))
    assert len(list(tmp_path.iterdir())) == 2


def test_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def failing_replace(source: object, target: object) -> None:
        if str(target).endswith(".pdf"):
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ReceiptError) as caught:
        write_receipt(record(), tmp_path)
    assert caught.value.message_key == "receipt.io_failed"
    assert "No space left on device" in caught.value.message("en")
    assert not (tmp_path / "BBGN-20261121-0001-3f2a9c1d.pdf").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


# --------------------------------------------------------------------------------------------------
# fonts


def test_font_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "fonts" / "MyFont.ttf"
    copy.parent.mkdir()
    shutil.copyfile(find_unicode_font(), copy)
    monkeypatch.setenv("ARCHIVE_REPO_FONT", str(copy))
    assert find_unicode_font() == copy
    _, pdf_path = write_receipt(record(), tmp_path / "out")
    assert TITLE_VI in "\n".join(pdf_pages(pdf_path))


def test_missing_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_REPO_FONT", str(tmp_path / "nowhere.ttf"))
    monkeypatch.setattr(receipt, "FONT_CANDIDATES", ())
    with pytest.raises(ReceiptError) as caught:
        find_unicode_font()
    for lang in ("vi", "en"):
        assert "fonts-dejavu-core" in caught.value.message(lang)
        assert "ARCHIVE_REPO_FONT" in caught.value.message(lang)
    with pytest.raises(ReceiptError):
        write_receipt(record(), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_no_font_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_REPO_FONT", raising=False)
    monkeypatch.setattr(receipt, "FONT_CANDIDATES", (tmp_path / "DejaVuSans.ttf",))
    with pytest.raises(ReceiptError) as caught:
        find_unicode_font()
    assert caught.value.message_key == "receipt.no_font"
    for lang in ("vi", "en"):
        assert "apt-get install fonts-dejavu-core" in caught.value.message(lang)
    (tmp_path / "DejaVuSans.ttf").write_bytes(b"")
    assert find_unicode_font() == tmp_path / "DejaVuSans.ttf"


def test_unusable_font_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"this is not a TrueType font" * 10)
    monkeypatch.setenv("ARCHIVE_REPO_FONT", str(broken))
    with pytest.raises(ReceiptError) as caught:
        write_receipt(record(), tmp_path / "out")
    assert caught.value.message_key == "receipt.bad_font"
    assert str(broken) in caught.value.message("vi")
    assert not (tmp_path / "out").exists()
