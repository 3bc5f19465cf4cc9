"""Access and the portal's search on a PostgreSQL catalog: PostgreSQL enforces column lengths, row locks
(``FOR UPDATE``) and types that SQLite lets pass, so the whole path runs there too: a public request
issued as a copy, a certified copy and a DIP, a conditional one approved then issued, a delivery, and
the public search with its secret filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from archive_repo.ingest.catalog_access import sessions
from archive_repo.portal.search import Criteria, public_search
from helpers import EXAMPLES, NO_VIRUS_SCAN, trust_examples
from pg import pg_url  # noqa: F401 - fixture
from pki import archive_signer_files

PASSPHRASE = "mat-khau-ky-so"
PERSON = ["--name", "Trần Thị Bình", "--id-number", "001203004567", "--fee", "01"]


@pytest.fixture
def repo(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    for name in ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DEBUG", "ARCHIVE_REPO_OPERATOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHIVE_REPO_DB", pg_url)
    monkeypatch.setenv("ARCHIVE_REPO_SIGNING_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr("archive_repo.access.requests.staff_login", lambda: "duyet")
    home = tmp_path / "kho"
    assert guarded(cli, ["init", "-R", str(home), "--archive-code", "LTLSHG", *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    sources = [
        EXAMPLES / "submissions" / name
        for name in ("bag-H49.64.33.2024.31", "uuid-0C9B8A7D-6E5F-4A3B-9C2D-1E0F9A8B7C6D.zip")
    ]
    assert (
        guarded(cli, ["ingest", "-R", str(home), *map(str, sources), "--workers", "1", "--no-progress"]) == 0
    )
    archive_signer_files(home / "keys", PASSPHRASE.encode())
    config = home / "archive-repo.toml"
    extra = '\n[access]\napprovers = ["duyet"]\nsigning_pkcs12 = "keys/archive.p12"\n'
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return home


def run_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict]:
    capsys.readouterr()
    code = guarded(cli, [str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and out, err
    return code, json.loads(out)


def test_requests_are_decided_issued_and_delivered_on_postgresql(capsys, repo: Path, tmp_path: Path) -> None:
    assert load_settings(repo).catalog_url.startswith("postgresql")
    for kind in ("copy", "certified", "dip"):
        code, made = run_json(
            capsys,
            "access",
            "request",
            "-R",
            repo,
            "LTLSHG.H49.64.33.2024.31",
            "--kind",
            kind,
            "--purpose",
            "01",
            *PERSON,
            "--format",
            "json",
        )
        assert code == 0 and made["status"] == "approved" and made["code"].startswith("YC-")
        code, issued = run_json(capsys, "access", "issue", "-R", repo, made["code"], "--format", "json")
        assert code == 0 and issued["status"] == "issued" and {o["kind"] for o in issued["outputs"]} == {kind}
    code, pending = run_json(
        capsys,
        "access",
        "request",
        "-R",
        repo,
        "LTLSHG.H49.64.33.2023.42",
        "--kind",
        "copy",
        "--purpose",
        "02",
        *PERSON,
        "--format",
        "json",
    )
    assert pending["status"] == "pending"
    code, approved = run_json(capsys, "access", "approve", "-R", repo, pending["code"], "--format", "json")
    assert code == 0 and approved["status"] == "approved" and approved["decided_by"] == "duyet"
    code, issued = run_json(capsys, "access", "issue", "-R", repo, pending["code"], "--format", "json")
    assert issued["status"] == "issued" and len(issued["outputs"]) == 3
    first = issued["outputs"][0]["id"]
    assert guarded(cli, ["access", "deliver", str(first), "--to", str(tmp_path), "-R", str(repo)]) == 0
    assert len(list(tmp_path.glob("*.pdf"))) == 1
    with sessions(load_settings(repo).catalog_url)() as session:
        hits, total = public_search(session, Criteria(text="boi duong"), "vi")
    assert total == 2 and all(h.mode == "01" for h in hits)


def test_portal_accounts_on_postgresql(repo: Path) -> None:
    from archive_repo.portal.accounts import NewAccount, activate, add_staff, authenticate, register
    from archive_repo.portal.errors import PortalError

    password = "mat-khau-rat-dai-2026"
    with sessions(load_settings(repo).catalog_url)() as session:
        staff = add_staff(session, "can.bo@example.vn", "Cán Bộ", password, approver=True)
        account = register(
            session, NewAccount("doc.gia@example.vn", "Độc Giả", "cccd", "001203004567", password)
        )
        session.commit()
        with pytest.raises(PortalError):
            authenticate(session, account.email, password)
        activate(session, account.id, staff.email, "2001:db8::1")
        assert authenticate(session, account.email, password, "2001:db8::1").status == "active"
        session.commit()
