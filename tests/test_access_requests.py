"""``archive-repo access``: requests, the rules by access regime, decisions, issuing, delivery, expiry.

One repository holds the shipped examples (a public dossier, a conditional one) plus a generated
dossier whose records are secret (mode 03); requests are made through the CLI as staff would."""

from __future__ import annotations

import json
import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from archive_repo.access.rules import add_working_days, effective_mode
from archive_repo.catalog.models import AccessEvent, AccessOutput, AccessRequest, Document, PremisEvent
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from helpers import (
    EXAMPLES,
    NO_VIRUS_SCAN,
    allow_unsigned_documents,
    build_sip_hoso,
    catalog,
    sha256,
    trust_examples,
)
from pki import ARCHIVE_NAME, archive_signer_files, make_pki

ARCHIVE = "LTLSHG"
PUBLIC_DOSSIER = "LTLSHG.H49.64.33.2024.31"  # mode 01, 2 documents
PUBLIC_DOC = "H49.64.33.2024.31.0000001"
CONDITIONAL_DOSSIER = "LTLSHG.H49.64.33.2023.42"  # mode 02
SECRET_DOSSIER = "LTLSHG.H49.64.33.2024.99"
SECRET_OBJID = "uuid-0B1C2D3E-4F50-4A61-8B72-9C83D4E5F607"
CCCD = "001203004567"
APPROVER = "nguyen.van.duyet"
PASSPHRASE = "mat-khau-ky-so"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DEBUG", "ARCHIVE_REPO_DB", "ARCHIVE_REPO_OPERATOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHIVE_REPO_SIGNING_PASSPHRASE", PASSPHRASE)


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
    archive_signer_files(home / "keys", PASSPHRASE.encode())
    config = home / "archive-repo.toml"
    section = f'\n[access]\napprovers = ["{APPROVER}"]\nsigning_pkcs12 = "keys/archive.p12"\n'
    config.write_text(config.read_text(encoding="utf-8") + section, encoding="utf-8")
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
    """Run the next commands as the operating-system account ``name`` (what the approver role is
    checked against)."""
    monkeypatch.setattr("archive_repo.access.requests.staff_login", lambda: name)


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
    # the dossier's 4th document is a holey reference to an earlier transfer: nothing of it to issue here
    assert len(data["items"]) == 3 and data["left_out"] == ["H49.64.33.2023.42.0000004"]
    as_user(monkeypatch, "le.thi.nhanvien")
    code, out, err = run(capsys, "access", "approve", "-R", repo, data["code"])
    assert code == 2 and "vai trò duyệt" in err and "le.thi.nhanvien" in err
    monkeypatch.setenv("ARCHIVE_REPO_OPERATOR", APPROVER)  # naming oneself an approver is not enough
    assert run(capsys, "access", "approve", "-R", repo, data["code"])[0] == 2
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


# --------------------------------------------------------------------------------------------------
# issuing, delivery, expiry


def issue(capsys: pytest.CaptureFixture[str], repo: Path, code: str, *extra: str | Path) -> dict:
    exit_code, out, err = run(capsys, "access", "issue", "-R", repo, code, "--format", "json", *extra)
    assert exit_code == 0, err
    return json.loads(out)


def output_file(repo: Path, output: dict) -> Path:
    return load_settings(repo).access_dir / output["path"]


def actions_of(repo: Path, code: str) -> list[str]:
    with catalog(load_settings(repo)) as session:
        query = select(AccessEvent.action).join(AccessRequest).where(AccessRequest.code == code)
        return list(session.scalars(query.order_by(AccessEvent.id)))


def text_of(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def test_a_copy_is_issued_delivered_and_deleted_when_its_period_ends(
    capsys, repo: Path, tmp_path: Path
) -> None:
    data = request(capsys, repo, PUBLIC_DOC)
    issued = issue(capsys, repo, data["code"])
    assert issued["status"] == "issued"
    [output] = issued["outputs"]
    assert output["kind"] == "copy" and output["mimetype"] == "application/pdf"
    path = output_file(repo, output)
    assert sha256(path) == output["sha256"]
    page_text = text_of(path)
    assert "BẢN SAO" in page_text and "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang" in page_text
    code, out, _ = run(capsys, "access", "deliver", "-R", repo, str(output["id"]), "--to", tmp_path)
    assert code == 0 and (tmp_path / path.name).read_bytes() == path.read_bytes()
    assert actions_of(repo, data["code"]) == ["requested", "approved", "issued", "delivered"]
    settings = load_settings(repo)
    with catalog(settings) as session:
        row = session.get(AccessOutput, output["id"])
        assert (
            14 <= (row.available_until - row.created_at).days <= 15
            and row.delete_after == row.available_until
        )
        events = session.scalars(
            select(PremisEvent).where(
                PremisEvent.detail.contains(data["code"]), PremisEvent.file_id.is_not(None)
            )
        ).all()
        assert events and all(e.file.path.endswith(".pdf") and e.type == "dissemination" for e in events)
    from archive_repo.access.delivery import expire_outputs

    with catalog(settings) as session:
        later = row.delete_after + timedelta(seconds=1)
        expired, failed = expire_outputs(session, settings, "test", now=later)
        session.commit()
    assert output["id"] in [e.output_id for e in expired] and failed == []
    assert not path.exists()
    assert actions_of(repo, data["code"])[-1] == "expired"
    code, _, err = run(capsys, "access", "deliver", "-R", repo, str(output["id"]), "--to", tmp_path / "again")
    assert code == 2


def test_a_reading_copy_is_viewed_never_downloaded(capsys, repo: Path, tmp_path: Path) -> None:
    import pikepdf

    data = request(capsys, repo, PUBLIC_DOC, kind="reading", reading_days="3")
    [output] = issue(capsys, repo, data["code"])["outputs"]
    path = output_file(repo, output)
    with pikepdf.open(path) as pdf:
        assert pdf.is_encrypted and not pdf.allow.print_highres and not pdf.allow.extract
    code, _, err = run(capsys, "access", "deliver", "-R", repo, str(output["id"]), "--to", tmp_path)
    assert code == 2 and "chỉ xem trong hệ thống" in err and not list(tmp_path.iterdir())
    code, out, _ = run(capsys, "access", "view", "-R", repo, str(output["id"]))
    assert code == 0 and str(path) in out
    with catalog(load_settings(repo)) as session:
        row = session.get(AccessOutput, output["id"])
        assert (row.available_until - row.created_at).days == 3
        assert row.delete_after - row.available_until == timedelta(days=5)
    assert actions_of(repo, data["code"])[-1] == "viewed"


def test_a_certified_copy_carries_the_archive_signature(capsys, repo: Path, tmp_path: Path) -> None:
    from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
    from archive_repo.authenticity.trust import TrustStore

    data = request(capsys, repo, PUBLIC_DOC, kind="certified")
    [output] = issue(capsys, repo, data["code"])["outputs"]
    trust = TrustStore.load(make_pki().write_trust_dir(tmp_path / "trust"))
    found = validate_pdf_signatures(output_file(repo, output), trust)
    assert [s.passed for s in found.signatures][-1:] == [True]
    assert ARCHIVE_NAME in (found.signatures[-1].signer or "")


def test_a_certified_copy_is_not_issued_without_the_archive_key(capsys, repo: Path, monkeypatch) -> None:
    data = request(capsys, repo, PUBLIC_DOC, kind="certified")
    monkeypatch.setenv("ARCHIVE_REPO_SIGNING_PASSPHRASE", "sai-mat-khau")
    code, _, err = run(capsys, "access", "issue", "-R", repo, data["code"])
    assert code == 2 and err
    assert not (load_settings(repo).access_dir / data["code"]).exists()
    assert actions_of(repo, data["code"]) == ["requested", "approved"]


def test_a_certified_dip_holds_the_originals_byte_for_byte_and_validates(
    capsys, repo: Path, tmp_path: Path
) -> None:
    import zipfile

    from archive_repo.validation.validator import validate_path

    data = request(
        capsys, repo, PUBLIC_DOSSIER, kind="dip", purpose="02", topic="Bồi dưỡng nghiệp vụ lưu trữ"
    )
    [output] = issue(capsys, repo, data["code"])["outputs"]
    assert output["kind"] == "dip" and output["dip_objid"].startswith("uuid-")
    with zipfile.ZipFile(output_file(repo, output)) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / output["dip_objid"]
    report = validate_path(folder, "DIP")
    assert report.is_valid, [f.message("en") for f in report.findings]
    settings = load_settings(repo)
    with catalog(settings) as session:
        documents = session.scalars(
            select(Document).join(Document.package).where(Document.code.like("H49.64.33.2024.31.%"))
        ).all()
        originals = [f for d in documents for f in d.files if f.role == "data"]
        assert len(originals) == 2
        for original in originals:
            inside = folder / "representations/rep1/data" / Path(original.path).name
            assert sha256(inside) == original.sha256.lower()
            stored = settings.home / "store-1" / original.copies[0].key
            assert inside.read_bytes() == stored.read_bytes()
    assert "requestID" in (folder / "metadata/descriptive/EAD.xml").read_text(encoding="utf-8")


def test_issuing_reads_a_good_copy_and_refuses_when_none_is_left(capsys, repo: Path) -> None:
    settings = load_settings(repo)
    with catalog(settings) as session:
        document = session.scalars(select(Document).where(Document.code == "H49.64.33.2024.31.0000002")).one()
        [data_file] = [f for f in document.files if f.role == "data"]
        stored = {
            c.location: settings.home / ("store-1" if c.location == "local-1" else "store-2") / c.key
            for c in data_file.copies
        }
    saved = {name: path.read_bytes() for name, path in stored.items()}
    try:
        stored["local-1"].write_bytes(b"hong")
        first = request(capsys, repo, "H49.64.33.2024.31.0000002")
        [output] = issue(capsys, repo, first["code"])["outputs"]
        assert output_file(repo, output).is_file()
        stored["local-2"].write_bytes(b"cung hong")
        second = request(capsys, repo, "H49.64.33.2024.31.0000002")
        code, _, err = run(capsys, "access", "issue", "-R", repo, second["code"])
        assert code == 2 and "Không có bản lưu nào" in err
        assert not (settings.access_dir / second["code"]).exists()
        code, out, _ = run(capsys, "access", "review", "-R", repo, second["code"], "--format", "json")
        assert json.loads(out)["status"] == "approved"
    finally:
        for name, path in stored.items():
            path.write_bytes(saved[name])


def test_doctor_removes_dead_issue_staging_and_reports_outputs_to_expire(capsys, repo: Path) -> None:
    settings = load_settings(repo)
    data = request(capsys, repo, PUBLIC_DOC)
    [output] = issue(capsys, repo, data["code"])["outputs"]
    staging = settings.access_dir / f".{data['code']}.999999@{socket.gethostname()}.partial"
    elsewhere = settings.access_dir / f".{data['code']}.999999@another-host.partial"  # not ours to judge
    elsewhere.mkdir()
    (staging / "originals").mkdir(parents=True)
    with catalog(settings) as session:
        session.execute(
            update(AccessOutput)
            .where(AccessOutput.id == output["id"])
            .values(delete_after=datetime.now(UTC) - timedelta(hours=1))
        )
        session.commit()
    with catalog(settings) as session:  # as a SIGKILL during the issue would leave it
        session.execute(
            update(AccessRequest).where(AccessRequest.code == data["code"]).values(status="issuing")
        )
        session.commit()
    code, out, _ = run(capsys, "doctor", "-R", repo, "--lang", "en")
    assert not staging.exists() and str(staging) in out and elsewhere.is_dir()
    elsewhere.rmdir()
    assert f"Issuing request {data['code']} was interrupted" in out
    with catalog(settings) as session:
        assert (
            session.scalars(select(AccessRequest.status).where(AccessRequest.code == data["code"])).one()
            == "approved"
        )
    assert "past their period but not deleted" in out
    assert output_file(repo, output).is_file()  # doctor reports; only access expire deletes


def test_a_holey_reference_alone_is_explained(capsys, repo: Path) -> None:
    options = ["--name", "A", "--id-number", CCCD, "--purpose", "01", "--fee", "01", "--kind", "copy"]
    code, _, err = run(capsys, "access", "request", "-R", repo, "H49.64.33.2023.42.0000004", *options)
    assert code == 2 and "chỉ là tham chiếu" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--id-number", "１２３４５６７８９０１２"], "12 chữ số"),  # full-width digits are not a citizen ID
        (["--copies", "3"], "chỉ với gói DIP"),
        (["--reading-days", "5"], "1 đến 15 ngày"),  # a reading period on a copy request
    ],
)
def test_values_that_do_not_fit_the_kind_are_refused(capsys, repo: Path, extra, message) -> None:
    options = {"--name": "A", "--id-number": CCCD, "--purpose": "01", "--fee": "01"}
    options.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    flat = [part for pair in options.items() for part in pair]
    code, _, err = run(capsys, "access", "request", "-R", repo, PUBLIC_DOC, "--kind", "copy", *flat)
    assert code == 2 and message in err


def test_a_record_made_conditional_after_an_automatic_approval_goes_back_for_review(
    capsys, repo: Path
) -> None:
    data = request(capsys, repo, PUBLIC_DOC)
    assert data["status"] == "approved" and data["decided_by"] == "archive-repo"
    settings = load_settings(repo)
    with catalog(settings) as session:
        session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="02"))
        session.commit()
    try:
        code, out, _ = run(capsys, "access", "issue", "-R", repo, data["code"], "--format", "json")
        assert code == 1 and json.loads(out)["status"] == "pending" and json.loads(out)["outputs"] == []
        assert actions_of(repo, data["code"])[-1] == "reopened"
        assert not (settings.access_dir / data["code"]).exists()
    finally:
        with catalog(settings) as session:
            session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="01"))
            session.commit()


@pytest.mark.parametrize("step", ["deliver", "view", "link"])
def test_an_output_whose_record_became_secret_is_withdrawn_on_every_path(
    capsys, repo: Path, tmp_path: Path, step: str
) -> None:
    kind = "reading" if step == "view" else "copy"
    data = request(capsys, repo, PUBLIC_DOC, kind=kind)
    [output] = issue(capsys, repo, data["code"])["outputs"]
    path = output_file(repo, output)
    settings = load_settings(repo)
    with catalog(settings) as session:
        session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="03"))
        session.commit()
    try:
        arguments = {"deliver": ["--to", tmp_path], "view": [], "link": []}[step]
        code, out, err = run(capsys, "access", step, "-R", repo, str(output["id"]), *arguments)
        assert code == 2 and "thu hồi" in err and str(path) not in out
        assert not path.exists() and not list(tmp_path.iterdir())
        assert actions_of(repo, data["code"])[-1] == "withdrawn"
        with catalog(settings) as session:
            assert session.get(AccessOutput, output["id"]).status == "deleted"
    finally:
        with catalog(settings) as session:
            session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="01"))
            session.commit()


def test_a_failed_issue_leaves_nothing_and_can_be_retried(capsys, repo: Path, monkeypatch) -> None:
    import archive_repo.access.issue as issuing

    data = request(capsys, repo, PUBLIC_DOC)

    def broken(*args, **kwargs):
        raise OSError("đĩa đầy")

    monkeypatch.setattr(issuing, "hash_file", broken)
    code, _, err = run(capsys, "access", "issue", "-R", repo, data["code"])
    assert code != 0 and err
    settings = load_settings(repo)
    assert not (settings.access_dir / data["code"]).exists()
    assert not list(settings.access_dir.glob(f".{data['code']}.*"))
    monkeypatch.undo()
    monkeypatch.setenv("ARCHIVE_REPO_SIGNING_PASSPHRASE", PASSPHRASE)
    assert issue(capsys, repo, data["code"])["status"] == "issued"


def test_issue_delivers_only_after_recording(capsys, repo: Path, tmp_path: Path) -> None:
    data = request(capsys, repo, PUBLIC_DOSSIER)
    issued = issue(capsys, repo, data["code"], "--deliver-to", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        Path(o["path"]).name for o in issued["outputs"]
    )
    assert actions_of(repo, data["code"]).count("delivered") == 2


def test_a_replacement_version_that_makes_a_record_secret_stops_its_outputs(
    capsys, repo: Path, tmp_path: Path
) -> None:
    file_code = "H49.64.33.2024.77"
    first = build_sip_hoso(
        tmp_path / "v1", 1, package={"fileCode": file_code}, objid="uuid-77000000-0000-4000-8000-000000000001"
    )
    assert guarded(cli, ["ingest", "-R", str(repo), str(first), "--workers", "1", "--no-progress"]) == 0
    document = f"{file_code}.0000001"
    issued_first = request(capsys, repo, document)
    [output] = issue(capsys, repo, issued_first["code"])["outputs"]
    waiting = request(capsys, repo, document)
    assert waiting["status"] == "approved"
    secret = build_sip_hoso(
        tmp_path / "v2",
        1,
        package={"fileCode": file_code, "mode": "03"},
        docs={1: {"mode": "03"}},
        objid="uuid-77000000-0000-4000-8000-000000000002",
        record_status="REPLACEMENT",
    )
    assert guarded(cli, ["ingest", "-R", str(repo), str(secret), "--workers", "1", "--no-progress"]) == 0
    code, out, _ = run(capsys, "access", "issue", "-R", repo, waiting["code"], "--format", "json")
    assert code == 1 and json.loads(out)["status"] == "refused"
    code, _, err = run(capsys, "access", "deliver", "-R", repo, str(output["id"]), "--to", tmp_path)
    assert code == 2 and "thu hồi" in err
    assert not output_file(repo, output).exists()


def test_expire_withdraws_outputs_whose_records_became_secret(capsys, repo: Path) -> None:
    data = request(capsys, repo, PUBLIC_DOC)
    [output] = issue(capsys, repo, data["code"])["outputs"]
    settings = load_settings(repo)
    with catalog(settings) as session:
        session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="03"))
        session.commit()
    try:
        code, out, _ = run(capsys, "access", "expire", "-R", repo, "--format", "json")
        assert code == 0 and output["id"] in [row["output"] for row in json.loads(out)["deleted"]]
        assert not output_file(repo, output).exists()
        assert actions_of(repo, data["code"])[-1] == "withdrawn"
    finally:
        with catalog(settings) as session:
            session.execute(update(Document).where(Document.code == PUBLIC_DOC).values(mode="01"))
            session.commit()


def test_an_issue_killed_after_placing_its_files_can_be_issued_again(capsys, repo: Path) -> None:
    data = request(capsys, repo, PUBLIC_DOC)
    settings = load_settings(repo)
    leftover = settings.access_dir / data["code"] / f"{PUBLIC_DOC}-ban-sao.pdf"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"made, never recorded")  # as a process killed between making and recording
    [output] = issue(capsys, repo, data["code"])["outputs"]
    assert output_file(repo, output) == leftover and leftover.read_bytes().startswith(b"%PDF")
