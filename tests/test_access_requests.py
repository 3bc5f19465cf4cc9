"""``archive-repo access``: requests, the rules by access regime, decisions, issuing, delivery, expiry.

One repository holds the shipped examples (a public dossier, a conditional one) plus a generated
dossier whose records are secret (mode 03); requests are made through the CLI as staff would."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from archive_repo.access.rules import add_working_days, effective_mode
from archive_repo.catalog.models import AccessEvent, AccessOutput, AccessRequest, Document, PremisEvent
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from helpers import EXAMPLES, NO_VIRUS_SCAN, allow_unsigned_documents, build_sip_hoso, catalog, trust_examples

ARCHIVE = "LTLSHG"
PUBLIC_DOSSIER = "LTLSHG.H49.64.33.2024.31"  # mode 01, 2 documents
PUBLIC_DOC = "H49.64.33.2024.31.0000001"
CONDITIONAL_DOSSIER = "LTLSHG.H49.64.33.2023.42"  # mode 02
SECRET_DOSSIER = "LTLSHG.H49.64.33.2024.99"
SECRET_OBJID = "uuid-0B1C2D3E-4F50-4A61-8B72-9C83D4E5F607"
CCCD = "001203004567"
APPROVER = "nguyen.van.duyet"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DEBUG", "ARCHIVE_REPO_DB", "ARCHIVE_REPO_OPERATOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("access")
    home = base / "kho"
    options = ["--archive-code", ARCHIVE, "--archive-name", "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"]
    options += ["--store", "store-1", "--store", "store-2"]
    assert guarded(cli, ["init", "-R", str(home), *options, *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    allow_unsigned_documents(home)
    secret = build_sip_hoso(
        base / "secret",
        2,
        package={"fileCode": "H49.64.33.2024.99", "mode": "03"},
        docs={1: {"mode": "03"}, 2: {"mode": "03"}},
        objid=SECRET_OBJID,
    )
    names = ("bag-H49.64.33.2024.31", "uuid-0C9B8A7D-6E5F-4A3B-9C2D-1E0F9A8B7C6D.zip")  # public, conditional
    sources = [str(EXAMPLES / "submissions" / name) for name in names]
    code = guarded(cli, ["ingest", "-R", str(home), *sources, str(secret), "--workers", "1", "--no-progress"])
    assert code in (0, 1)
    config = home / "archive-repo.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + f'\n[access]\napprovers = ["{APPROVER}"]\n', encoding="utf-8"
    )
    return home


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = guarded(cli, [str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def request(
    capsys: pytest.CaptureFixture[str], repo: Path, *items: str, kind: str = "copy", **extra: str
) -> dict:
    options = {"--name": "Trần Thị Nghiên Cứu", "--id-number": CCCD, "--purpose": "01", "--fee": "01"}
    options.update({f"--{k.replace('_', '-')}": v for k, v in extra.items()})
    flat = [part for pair in options.items() for part in pair]
    code, out, err = run(
        capsys, "access", "request", "-R", repo, *items, "--kind", kind, *flat, "--format", "json"
    )
    assert out, err
    data = json.loads(out)
    data["exit"] = code
    return data


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("ARCHIVE_REPO_OPERATOR", name)


# --------------------------------------------------------------------------------------------------
# rules


def test_the_stricter_regime_of_document_and_dossier_wins() -> None:
    assert effective_mode("01", "01") == "01"
    assert effective_mode("01", "02") == "02"
    assert effective_mode("02", "01") == "02"
    assert effective_mode("01", "03") == "03"
    assert effective_mode("03", None) == "03"
    assert effective_mode("01", None) == "02"  # an unrecorded regime is never treated as public
    assert effective_mode(None, None) == "02"


def test_the_review_deadline_counts_working_days_only() -> None:
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 6) == date(2026, 11, 30)  # Mon 23 … Fri 27, Mon 30
    assert add_working_days(friday, 6, [date(2026, 11, 24)]) == date(2026, 12, 1)
    assert add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)  # from a Saturday


# --------------------------------------------------------------------------------------------------
# requests and decisions


def test_a_public_document_is_approved_automatically_with_its_fee_treatment(capsys, repo: Path) -> None:
    data = request(capsys, repo, PUBLIC_DOC, fee="02")
    assert data["exit"] == 0
    assert data["status"] == "approved" and data["decided_by"] == "archive-repo"
    assert data["mode"] == "01"
    assert data["fee"]["treatment"] == "exempt"
    assert "miễn phí" in data["fee"]["text"]
    assert [item["document"] for item in data["items"]] == [PUBLIC_DOC]
    created = date.fromisoformat(data["created_at"][:10])
    assert data["review_due_on"] == add_working_days(created, 6).isoformat()
    settings = load_settings(repo)
    with catalog(settings) as session:
        actions = session.scalars(
            select(AccessEvent.action).join(AccessRequest).where(AccessRequest.code == data["code"])
        ).all()
        assert actions == ["requested", "approved"]
        premis = session.scalars(
            select(PremisEvent).where(
                PremisEvent.type == "dissemination", PremisEvent.detail.contains(data["code"])
            )
        ).all()
        assert len(premis) == 2 and all(e.package.arc_file_code == PUBLIC_DOSSIER for e in premis)


def test_a_dossier_asked_for_brings_every_document_and_an_arc_doc_code_works(capsys, repo: Path) -> None:
    whole = request(capsys, repo, PUBLIC_DOSSIER, kind="reading", reading_days="10")
    assert len(whole["items"]) == 2 and whole["reading_days"] == 10
    by_arc_code = request(capsys, repo, f"{ARCHIVE}.{PUBLIC_DOC}")
    assert [item["document"] for item in by_arc_code["items"]] == [PUBLIC_DOC]


def test_conditional_records_wait_for_an_approver(capsys, repo: Path, monkeypatch) -> None:
    data = request(capsys, repo, CONDITIONAL_DOSSIER, purpose="02", fee="10")
    assert data["status"] == "pending" and data["mode"] == "02"
    assert data["fee"]["treatment"] == "full"
    as_user(monkeypatch, "le.thi.nhanvien")
    code, out, err = run(capsys, "access", "approve", "-R", repo, data["code"])
    assert code == 2 and "vai trò duyệt" in err and "le.thi.nhanvien" in err
    code, out, _ = run(capsys, "access", "list", "-R", repo, "--pending")
    assert code == 0 and data["code"] in out
    as_user(monkeypatch, APPROVER)
    code, out, _ = run(
        capsys, "access", "approve", "-R", repo, data["code"], "--note", "Đủ điều kiện", "--lang", "en"
    )
    assert code == 0 and "approved" in out and APPROVER in out
    code, out, err = run(capsys, "access", "approve", "-R", repo, data["code"])
    assert code == 2 and "không phải chờ duyệt" in err


def test_a_denial_needs_a_reason_and_is_final(capsys, repo: Path, monkeypatch) -> None:
    data = request(capsys, repo, CONDITIONAL_DOSSIER)
    as_user(monkeypatch, APPROVER)
    code, _, err = run(capsys, "access", "deny", "-R", repo, data["code"], "--reason", " ")
    assert code == 2 and "lý do" in err
    code, out, _ = run(
        capsys, "access", "deny", "-R", repo, data["code"], "--reason", "Ngoài phạm vi nghiên cứu"
    )
    assert code == 0 and "bị từ chối" in out
    code, _, err = run(capsys, "access", "issue", "-R", repo, data["code"])
    assert code == 2 and "chỉ cấp bản cho yêu cầu đã được duyệt" in err


def test_overdue_requests_are_listed(capsys, repo: Path) -> None:
    data = request(capsys, repo, CONDITIONAL_DOSSIER)
    settings = load_settings(repo)
    with catalog(settings) as session:
        session.execute(
            update(AccessRequest)
            .where(AccessRequest.code == data["code"])
            .values(review_due_on=date.today() - timedelta(days=1))
        )
        session.commit()
    code, out, _ = run(capsys, "access", "list", "-R", repo, "--overdue", "--format", "json")
    assert code == 0 and data["code"] in [r["code"] for r in json.loads(out)]
    fresh = request(capsys, repo, CONDITIONAL_DOSSIER)
    _, out, _ = run(capsys, "access", "list", "-R", repo, "--overdue", "--format", "json")
    assert fresh["code"] not in [r["code"] for r in json.loads(out)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"purpose": "09"}, "không có trong bảng mã purpose"),
        ({"fee": "99"}, "không có trong bảng mã feeObjectType"),
        ({"id_number": "12345"}, "12 chữ số"),
        ({"reading_days": "16"}, "1 đến 15 ngày"),
    ],
)
def test_malformed_requests_are_refused_with_a_located_message(capsys, repo: Path, changes, message) -> None:
    kind = "reading" if "reading_days" in changes else "copy"
    options = {"--name": "A", "--id-number": CCCD, "--purpose": "01", "--fee": "01"}
    options.update({f"--{k.replace('_', '-')}": v for k, v in changes.items()})
    flat = [part for pair in options.items() for part in pair]
    before = _request_count(repo)
    code, _, err = run(capsys, "access", "request", "-R", repo, PUBLIC_DOC, "--kind", kind, *flat)
    assert code == 2 and message in err
    assert _request_count(repo) == before


def test_an_unknown_document_is_named(capsys, repo: Path) -> None:
    options = ["--name", "A", "--id-number", CCCD, "--purpose", "01", "--fee", "01", "--kind", "copy"]
    code, _, err = run(capsys, "access", "request", "-R", repo, "KHONG.CO.0000001", *options, "--lang", "en")
    assert code == 2 and "«KHONG.CO.0000001»" in err and "No document or dossier" in err


def _request_count(repo: Path) -> int:
    with catalog(load_settings(repo)) as session:
        return len(session.scalars(select(AccessRequest.id)).all())


# --------------------------------------------------------------------------------------------------
# secret records (mode 03): refused on every path


@pytest.mark.parametrize("kind", ["reading", "copy", "certified", "dip"])
def test_secret_records_are_refused_for_every_kind(capsys, repo: Path, monkeypatch, kind: str) -> None:
    data = request(capsys, repo, SECRET_DOSSIER, kind=kind, purpose="03")
    assert data["exit"] == 1 and data["status"] == "refused" and data["mode"] == "03"
    as_user(monkeypatch, APPROVER)
    assert run(capsys, "access", "approve", "-R", repo, data["code"])[0] == 2
    code, _, err = run(capsys, "access", "issue", "-R", repo, data["code"])
    assert code == 2
    settings = load_settings(repo)
    assert not (settings.access_dir / data["code"]).exists()
    with catalog(settings) as session:
        assert (
            session.scalars(
                select(AccessOutput).join(AccessRequest).where(AccessRequest.code == data["code"])
            ).all()
            == []
        )


def test_a_secret_document_in_a_mixed_request_refuses_the_whole_request(capsys, repo: Path) -> None:
    data = request(capsys, repo, PUBLIC_DOC, SECRET_OBJID)
    assert data["status"] == "refused"


def test_a_record_made_secret_after_approval_is_not_issued(capsys, repo: Path) -> None:
    data = request(capsys, repo, PUBLIC_DOC)
    assert data["status"] == "approved"
    settings = load_settings(repo)
    with catalog(settings) as session:
        session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="03"))
        session.commit()
    try:
        code, out, _ = run(capsys, "access", "issue", "-R", repo, data["code"], "--format", "json")
        assert code == 1 and json.loads(out)["status"] == "refused"
        assert not (settings.access_dir / data["code"]).exists()
    finally:
        with catalog(settings) as session:
            session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="01"))
            session.commit()
