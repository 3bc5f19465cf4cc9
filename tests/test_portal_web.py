"""The researcher portal (#7) through Flask's test client, against a real repository.

One repository holds the shipped examples (a public dossier whose documents speak of "bồi dưỡng", a
conditional dossier) plus a generated dossier whose records are secret (mode 03) and whose titles also
say "bồi dưỡng", so that a search leaking secret records would show them. Researchers register and are
activated on the portal; staff accounts are made with ``archive-repo portal add-staff``. Each test
makes its own app (its own rate-limit counters); the catalog is shared by the module."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from archive_repo.catalog.models import (
    AccessEvent,
    AccessOutput,
    AccessRequest,
    Document,
    PortalAccount,
    PortalEvent,
    utcnow,
)
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import load_settings
from archive_repo.i18n import message_keys, translate
from archive_repo.portal.app import create_app
from helpers import EXAMPLES, NO_VIRUS_SCAN, allow_unsigned_documents, build_sip_hoso, catalog, trust_examples

ARCHIVE = "LTLSHG"
ARCHIVE_NAME = "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"
PUBLIC_DOC = "H49.64.33.2024.31.0000001"  # mode 01, typeName 02 (Quyết định), issued 01/08/2024
PUBLIC_DOC_2 = "H49.64.33.2024.31.0000002"  # mode 01, typeName 32, issued 05/08/2024
CONDITIONAL_DOC = "H49.64.33.2023.42.0000001"  # mode 02
SECRET_DOC = "H49.64.33.2024.99.0000001"  # mode 03
SECRET_OBJID = "uuid-0B1C2D3E-4F50-4A61-8B72-9C83D4E5F607"
CCCD = "001203004567"
PASSWORD = "mat-khau-du-dai-2025"
STAFF = "can.bo@luutru.example.vn"
APPROVER = "lanh.dao@luutru.example.vn"
TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "archive_repo" / "portal" / "templates"
_NUMBERS = itertools.count(1)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DEBUG", "ARCHIVE_REPO_DB", "ARCHIVE_REPO_OPERATOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ARCHIVE_REPO_PORTAL_SECRET", raising=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("portal")
    home = base / "kho"
    options = ["--archive-code", ARCHIVE, "--archive-name", ARCHIVE_NAME, "--store", "store-1"]
    assert guarded(cli, ["init", "-R", str(home), *options, *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    allow_unsigned_documents(home)
    secret = build_sip_hoso(
        base / "secret",
        2,
        package={"fileCode": "H49.64.33.2024.99", "mode": "03", "title": "Hồ sơ mật về lớp bồi dưỡng"},
        docs={
            1: {"mode": "03", "subject": "Kế hoạch bồi dưỡng cán bộ (mật)", "typeName": "02"},
            2: {"mode": "03", "subject": "Danh sách bồi dưỡng (mật)"},
        },
        objid=SECRET_OBJID,
    )
    names = ("bag-H49.64.33.2024.31", "uuid-0C9B8A7D-6E5F-4A3B-9C2D-1E0F9A8B7C6D.zip")  # public, conditional
    sources = [str(EXAMPLES / "submissions" / name) for name in names]
    code = guarded(cli, ["ingest", "-R", str(home), *sources, str(secret), "--workers", "1", "--no-progress"])
    assert code in (0, 1)
    config = home / "archive-repo.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[portal]\nsecure_cookies = false\n", encoding="utf-8"
    )
    return home


@pytest.fixture(scope="module")
def staff(repo: Path) -> dict[str, str]:
    """Two staff accounts made at the command line: one plain, one with the approver role."""
    import os

    os.environ["PORTAL_TEST_PASSWORD"] = PASSWORD
    try:
        for email, name, role in (
            (STAFF, "Lê Thị Nhân Viên", []),
            (APPROVER, "Nguyễn Văn Duyệt", ["--approver"]),
        ):
            argv = ["portal", "add-staff", email, "--name", name, *role, "-R", str(repo)]
            assert guarded(cli, [*argv, "--password-env", "PORTAL_TEST_PASSWORD"]) == 0
    finally:
        del os.environ["PORTAL_TEST_PASSWORD"]
    return {"staff": STAFF, "approver": APPROVER}


@pytest.fixture
def app(repo: Path) -> Flask:
    return create_app(load_settings(repo), testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def new_client(app: Flask) -> FlaskClient:
    return app.test_client()


# --------------------------------------------------------------------------------------------------
# helpers


def page(response) -> str:  # noqa: ANN001 - a werkzeug test response
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    return text


def flashes(html: str, category: str) -> list[str]:
    return re.findall(rf'<p class="flash {category}"[^>]*>(.*?)</p>', html, flags=re.S)


def row_codes(html: str, row_class: str = "result") -> list[str]:
    return re.findall(rf'<tr class="{row_class}[^"]*" data-code="([^"]+)"', html)


def register(client: FlaskClient, email: str, **extra: str):  # noqa: ANN201
    form = {
        "full_name": "Trần Thị Nghiên Cứu",
        "email": email,
        "password": PASSWORD,
        "password2": PASSWORD,
        "identity_kind": "cccd",
        "identity_number": CCCD,
    }
    form.update(extra)
    return client.post("/register", data=form)


def login(client: FlaskClient, email: str, password: str = PASSWORD):  # noqa: ANN201
    return client.post("/login", data={"email": email, "password": password})


def account_id(repo: Path, email: str) -> int:
    with catalog(load_settings(repo)) as session:
        return session.scalars(select(PortalAccount.id).where(PortalAccount.email == email)).one()


def researcher(app: Flask, repo: Path, staff: dict[str, str]) -> tuple[FlaskClient, str]:
    """A new researcher, registered, activated by staff on the portal, and logged in."""
    email = f"doc.gia{next(_NUMBERS)}@example.vn"
    client = new_client(app)
    assert register(client, email).status_code == 302
    officer = new_client(app)
    assert login(officer, staff["staff"]).status_code == 302
    assert officer.post(f"/staff/accounts/{account_id(repo, email)}/activate").status_code == 302
    assert login(client, email).status_code == 302
    return client, email


def make_request(client: FlaskClient, *docs: str, kind: str = "reading", **extra: str) -> str:
    form = {"doc": list(docs), "kind": kind, "purpose": "01", "fee": "01", "purpose_text": "Luận văn"}
    form.update(extra)
    response = client.post("/requests/new", data=form)
    assert response.status_code == 302, page(response)
    return response.headers["Location"].rsplit("/", 1)[-1]


def status_of(client: FlaskClient, code: str) -> str:
    html = page(client.get(f"/requests/{code}"))
    found = re.search(r'id="request-status"[^>]*data-status="([a-z]+)"', html)
    assert found, html
    return found.group(1)


def outputs_of(repo: Path, code: str) -> list[AccessOutput]:
    with catalog(load_settings(repo)) as session:
        query = select(AccessOutput).join(AccessRequest).where(AccessRequest.code == code)
        return list(session.scalars(query.order_by(AccessOutput.id)))


def portal_actions(repo: Path, email: str) -> list[str]:
    with catalog(load_settings(repo)) as session:
        query = select(PortalEvent.action).join(PortalAccount, PortalEvent.account_id == PortalAccount.id)
        return list(session.scalars(query.where(PortalAccount.email == email).order_by(PortalEvent.id)))


def access_actions(repo: Path, code: str) -> list[str]:
    with catalog(load_settings(repo)) as session:
        query = select(AccessEvent.action).join(AccessRequest).where(AccessRequest.code == code)
        return list(session.scalars(query.order_by(AccessEvent.id)))


def document_id(repo: Path, code: str) -> int:
    with catalog(load_settings(repo)) as session:
        return session.scalars(select(Document.id).where(Document.code == code)).one()


def issue(app: Flask, staff: dict[str, str], code: str) -> None:
    officer = new_client(app)
    login(officer, staff["staff"])
    response = officer.post(f"/staff/requests/{code}/issue")
    assert response.status_code == 302
    html = page(officer.get(f"/staff/requests/{code}"))
    assert 'data-status="issued"' in html, flashes(html, "error")


# --------------------------------------------------------------------------------------------------
# accounts


def test_a_registered_account_waits_for_staff_before_it_can_log_in(app, client, repo, staff, capsys) -> None:
    email = "moi.dang.ky@example.vn"
    response = register(client, email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    html = page(client.get("/login"))
    assert "chờ cán bộ lưu trữ kích hoạt" in flashes(html, "success")[0]
    refused = login(client, email)
    assert refused.status_code == 401
    assert flashes(page(refused), "error") == [translate("portal_account.login_failed", "vi")]
    # the administrator sees it waiting, with its due date (1 working day)
    capsys.readouterr()
    assert guarded(cli, ["portal", "accounts", "--pending", "-R", str(repo), "--format", "json"]) == 0
    waiting = {row["email"]: row for row in json.loads(capsys.readouterr().out)}
    assert waiting[email]["status"] == "pending" and waiting[email]["due_on"]
    # staff activate it on the portal
    officer = new_client(app)
    assert login(officer, STAFF).headers["Location"].endswith("/staff/requests")
    html = page(officer.get("/staff/accounts"))
    assert f'data-email="{email}"' in html and 'class="activate-form"' in html
    assert officer.post(f"/staff/accounts/{account_id(repo, email)}/activate").status_code == 302
    assert f'data-email="{email}"' not in page(officer.get("/staff/accounts"))
    response = login(client, email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/search")
    html = page(client.get("/search"))
    assert 'id="nav-requests"' in html and 'id="logout-form"' in html and 'id="nav-login"' not in html
    assert client.post("/logout").status_code == 302
    assert 'id="nav-login"' in page(client.get("/search"))
    assert portal_actions(repo, email) == ["register", "login_failed", "activate", "login", "logout"]


def test_registration_errors_are_shown_and_nothing_is_made(client, repo) -> None:
    html = page(register(client, "sai@example.vn", password2="khac-mat-khau-123"))
    assert flashes(html, "error") == [translate("portal.passwords_differ", "vi")]
    html = page(register(client, "sai@example.vn", identity_number="12345"))
    assert flashes(html, "error") == [translate("portal_account.bad_identity", "vi")]
    assert 'value="sai@example.vn"' in html and PASSWORD not in html  # the form is kept, not the password
    with catalog(load_settings(repo)) as session:
        query = select(PortalAccount).where(PortalAccount.email == "sai@example.vn")
        assert session.scalars(query).all() == []


def test_five_failed_logins_lock_the_account(app, repo, staff) -> None:
    _, email = researcher(app, repo, staff)
    client = new_client(app)
    for _ in range(5):
        response = login(client, email, "mat-khau-sai-hoan-toan")
        assert flashes(page(response), "error") == [translate("portal_account.login_failed", "vi")]
    response = login(client, email)  # the right password, too late
    assert response.status_code == 401
    # the same words as any failure: the form tells nobody that this address has an account
    assert flashes(page(response), "error") == [translate("portal_account.login_failed", "vi")]
    assert portal_actions(repo, email)[-6:] == ["login_failed"] * 6
    with catalog(load_settings(repo)) as session:
        locked = session.scalars(select(PortalAccount.locked_until).where(PortalAccount.email == email)).one()
        assert locked is not None


def test_logout_ends_every_session_of_the_account(app, repo, staff) -> None:
    client, email = researcher(app, repo, staff)
    stolen = new_client(app)
    cookie = client.get_cookie("archive_repo_session")
    stolen.set_cookie(cookie.key, cookie.value)
    assert stolen.get("/requests").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(client.get("/requests")))
    client.post("/logout", data={"csrf_token": token.group(1)} if token else {})
    response = stolen.get("/requests")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_account_disabled_meanwhile_is_signed_out(app, repo, staff) -> None:
    client, email = researcher(app, repo, staff)
    assert client.get("/requests").status_code == 200
    with catalog(load_settings(repo)) as session:
        session.execute(update(PortalAccount).where(PortalAccount.email == email).values(status="disabled"))
        session.commit()
    response = client.get("/requests")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(client, email).status_code == 401


def test_a_post_without_csrf_token_is_refused(repo, staff) -> None:
    app = create_app(load_settings(repo))  # not testing: CSRF on, the key in <repository>/portal-secret
    assert (repo / "portal-secret").stat().st_mode & 0o777 == 0o600
    client = app.test_client()
    response = client.post("/login", data={"email": STAFF, "password": PASSWORD})
    assert response.status_code == 400
    assert translate("portal.csrf_failed", "vi") in page(response)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(client.get("/login"))).group(1)
    response = client.post("/login", data={"email": STAFF, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_login_is_rate_limited(client) -> None:
    for _ in range(10):
        assert login(client, "khong.co@example.vn", "sai-mat-khau-123").status_code == 401
    response = login(client, "khong.co@example.vn", "sai-mat-khau-123")
    assert response.status_code == 429
    assert translate("portal.error_429_title", "vi") in page(response)
    assert client.get("/login").status_code == 200  # only the POST is limited


def test_session_cookie_and_security_headers(client, staff) -> None:
    response = login(client, STAFF)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    response = client.get("/staff/requests")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------------------------------
# search and documents


def test_search_is_diacritic_insensitive_and_never_shows_secret_records(client, repo) -> None:
    html = page(client.get("/search", query_string={"q": "boi duong"}))
    codes = row_codes(html)
    assert PUBLIC_DOC in codes and PUBLIC_DOC_2 in codes
    assert not [code for code in codes if code.startswith("H49.64.33.2024.99")]
    assert "(mật)" not in html and "Hồ sơ mật" not in html
    assert re.search(r'id="result-count">(\d+)<', html).group(1) == str(len(codes))
    assert row_codes(page(client.get("/search", query_string={"q": "BỒI DƯỠNG"}))) == codes
    # conditional records are described publicly too; the secret dossier by its code: nothing
    conditional = row_codes(page(client.get("/search", query_string={"q": "H49.64.33.2023.42"})))
    assert CONDITIONAL_DOC in conditional
    assert row_codes(page(client.get("/search", query_string={"q": "H49.64.33.2024.99"}))) == []
    assert 'class="pick"' not in html  # anonymous: nothing to pick
    bare = page(client.get("/search"))  # no criteria yet: nothing is searched
    assert row_codes(bare) == [] and SECRET_DOC not in bare


def test_search_filters_by_type_date_and_fonds(client, repo) -> None:
    by_type = row_codes(page(client.get("/search", query_string={"q": "boi duong", "type": "02"})))
    assert by_type == [PUBLIC_DOC]
    by_date = row_codes(page(client.get("/search", query_string={"from": "2024-08-02", "to": "2024-08-31"})))
    assert PUBLIC_DOC_2 in by_date and PUBLIC_DOC not in by_date
    year = {"q": "boi duong", "from": "2024", "to": "2024"}
    by_year = row_codes(page(client.get("/search", query_string=year)))
    assert {PUBLIC_DOC, PUBLIC_DOC_2} <= set(by_year)
    assert row_codes(page(client.get("/search", query_string={"q": "boi duong", "to": "2023"}))) == []
    html = page(client.get("/search"))
    fonds = re.findall(r'<select id="fonds" name="fonds">(.*?)</select>', html, flags=re.S)[0]
    choices = [value for value in re.findall(r'<option value="([^"]*)"', fonds) if value]
    assert choices
    everything = set(row_codes(page(client.get("/search", query_string={"from": "1900", "to": "2100"}))))
    assert everything
    for code in choices:
        assert set(row_codes(page(client.get("/search", query_string={"fonds": code})))) <= everything
    assert row_codes(page(client.get("/search", query_string={"fonds": "KHONG-CO"}))) == []
    html = page(client.get("/search", query_string={"from": "31/02/2024x"}))
    assert flashes(html, "error") and row_codes(html) == []


def test_a_document_page_shows_public_descriptions_only(client, repo) -> None:
    html = page(client.get(f"/documents/{document_id(repo, PUBLIC_DOC)}"))
    assert 'id="document"' in html and "Quyết định mở lớp bồi dưỡng" in html
    assert client.get(f"/documents/{document_id(repo, CONDITIONAL_DOC)}").status_code == 200
    secret = client.get(f"/documents/{document_id(repo, SECRET_DOC)}")
    assert secret.status_code == 404 and "Kế hoạch bồi dưỡng" not in page(secret)
    assert client.get("/documents/999999").status_code == 404


def test_the_portal_speaks_english_on_request(client) -> None:
    response = client.get("/search?lang=en")
    html = page(response)
    assert '<html lang="en">' in html and translate("portal.search_title", "en") in html
    assert "lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in page(client.get("/search"))  # remembered
    response = client.get("/language/vi?next=/search")
    assert response.status_code == 302 and response.headers["Location"].endswith("/search")
    assert '<html lang="vi">' in page(client.get("/search"))
    assert client.get("/language/en?next=https://evil.example/").headers["Location"] == "/search"
    html = page(client.get("/search"))
    assert 'id="lang-vi"' in html and 'id="lang-en"' in html and ARCHIVE_NAME in html


def test_every_template_message_exists_in_both_languages() -> None:
    literal: set[str] = set()
    prefixes: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        literal |= set(re.findall(r"""t\(\s*['"]([a-z_]+\.[a-z0-9_]+)['"]\s*[,)]""", text))
        prefixes |= set(re.findall(r"""t\(\s*['"]([a-z_]+\.[a-z0-9_]+)['"]\s*~""", text))
    assert len(literal) > 50
    for lang in ("vi", "en"):
        keys = message_keys(lang)
        assert sorted(literal - keys) == []
        assert [p for p in prefixes if not any(k.startswith(p) for k in keys)] == []


# --------------------------------------------------------------------------------------------------
# requests


def test_requests_need_an_active_researcher(app, client, staff) -> None:
    response = client.get(f"/requests/new?doc={PUBLIC_DOC}")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert client.get("/requests").status_code == 302
    officer = new_client(app)
    login(officer, STAFF)
    assert officer.get(f"/requests/new?doc={PUBLIC_DOC}").status_code == 403
    assert officer.post("/requests/new", data={"doc": PUBLIC_DOC, "kind": "copy"}).status_code == 403


def test_staff_pages_are_for_staff_only(app, client, repo, staff) -> None:
    assert client.get("/staff/requests").status_code == 302
    researcher_client, _ = researcher(app, repo, staff)
    assert researcher_client.get("/staff/requests").status_code == 403
    assert researcher_client.get("/staff/accounts").status_code == 403
    assert researcher_client.post("/staff/accounts/1/activate").status_code == 403


def test_secret_records_never_reach_the_request_form(app, repo, staff) -> None:
    client, _ = researcher(app, repo, staff)
    html = page(client.get("/requests/new", query_string={"doc": [SECRET_DOC, PUBLIC_DOC]}))
    form = html.split('id="request-form"')[1].split("</form>")[0]
    assert SECRET_DOC not in form and "Kế hoạch bồi dưỡng" not in html and "mật" not in form
    assert f'name="doc" value="{PUBLIC_DOC}"' in form and flashes(html, "error")
    with catalog(load_settings(repo)) as session:
        before = len(session.scalars(select(AccessRequest.id)).all())
    form = {"doc": SECRET_DOC, "kind": "copy", "purpose": "01", "fee": "01"}
    response = client.post("/requests/new", data=form)
    assert response.status_code == 400 and SECRET_DOC not in page(response)
    with catalog(load_settings(repo)) as session:
        assert len(session.scalars(select(AccessRequest.id)).all()) == before
    html = page(client.get("/search", query_string={"q": "boi duong"}))
    assert f'class="pick" type="checkbox" name="doc" value="{PUBLIC_DOC}"' in html
    assert 'id="pick-form"' in html and 'id="request-selected"' in html


def test_a_researcher_sees_only_their_own_requests(app, repo, staff) -> None:
    alice, alice_email = researcher(app, repo, staff)
    bob, _ = researcher(app, repo, staff)
    code = make_request(alice, PUBLIC_DOC, kind="reading", reading_days="3")
    with catalog(load_settings(repo)) as session:
        made = session.scalars(select(AccessRequest).where(AccessRequest.code == code)).one()
        assert made.account_id == account_id(repo, alice_email)
        assert made.created_by == f"portal:{alice_email}" and made.requester_name == "Trần Thị Nghiên Cứu"
        assert made.identity_number == CCCD and made.reading_days == 3
    assert code in row_codes(page(alice.get("/requests")), "request")
    assert code not in page(bob.get("/requests"))
    assert bob.get(f"/requests/{code}").status_code == 404
    assert bob.get("/requests/YC-2099-999999").status_code == 404
    issue(app, staff, code)
    [output] = outputs_of(repo, code)
    assert bob.get(f"/outputs/{output.id}/read").status_code == 404
    assert bob.get(f"/outputs/{output.id}/pages/1.png").status_code == 404
    assert bob.get(f"/outputs/{output.id}/download").status_code == 404
    assert "request" in portal_actions(repo, alice_email)


def test_a_public_reading_copy_is_approved_issued_and_read_as_page_images(app, repo, staff) -> None:
    client, email = researcher(app, repo, staff)
    code = make_request(client, PUBLIC_DOC, PUBLIC_DOC_2, kind="reading")
    assert status_of(client, code) == "approved"  # public: approved automatically
    issue(app, staff, code)
    html = page(client.get(f"/requests/{code}"))
    assert 'data-status="issued"' in html and html.count('class="output" data-kind="reading"') == 2
    outputs = outputs_of(repo, code)
    assert f'class="read-link button" href="/outputs/{outputs[0].id}/read"' in html
    assert "download-link" not in html
    response = client.get(f"/outputs/{outputs[0].id}/read")
    viewer = page(response)
    assert response.headers["Cache-Control"] == "no-store"
    images = re.findall(r'<img class="page" src="([^"]+)"', viewer)
    assert images and images[0] == f"/outputs/{outputs[0].id}/pages/1.png"
    assert ".pdf" not in viewer.lower() and "application/pdf" not in viewer
    png = client.get(images[0])
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["Cache-Control"] == "no-store"
    assert png.headers["Content-Disposition"].startswith("inline")
    assert client.get(f"/outputs/{outputs[0].id}/pages/{len(images) + 1}.png").status_code == 404
    # a reading copy is never handed out as a file
    refused = client.get(f"/outputs/{outputs[0].id}/download")
    assert refused.status_code == 403 and not refused.data.startswith(b"%PDF")
    actions = access_actions(repo, code)
    assert actions[:3] == ["requested", "approved", "issued"] and actions[-1] == "viewed"
    assert actions.count("viewed") == 1  # once per opening, not per page image
    assert portal_actions(repo, email)[-2:] == ["request", "view"]


def test_a_copy_is_downloaded_within_its_period_and_gone_after(app, repo, staff) -> None:
    client, email = researcher(app, repo, staff)
    code = make_request(client, PUBLIC_DOC, kind="copy")
    issue(app, staff, code)
    [output] = outputs_of(repo, code)
    html = page(client.get(f"/requests/{code}"))
    assert f'class="download-link button" href="/outputs/{output.id}/download"' in html
    response = client.get(f"/outputs/{output.id}/download")
    assert response.status_code == 200
    stored = load_settings(repo).access_dir / output.path
    assert response.data == stored.read_bytes()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert access_actions(repo, code)[-1] == "delivered" and portal_actions(repo, email)[-1] == "download"
    with catalog(load_settings(repo)) as session:  # the period ends
        session.execute(
            update(AccessOutput)
            .where(AccessOutput.id == output.id)
            .values(available_until=utcnow() - timedelta(minutes=1))
        )
        session.commit()
    gone = client.get(f"/outputs/{output.id}/download")
    assert gone.status_code == 410 and translate("portal.output_gone", "vi") in page(gone)


def test_an_expired_reading_copy_cannot_be_read(app, repo, staff) -> None:
    client, _ = researcher(app, repo, staff)
    code = make_request(client, PUBLIC_DOC_2, kind="reading")
    issue(app, staff, code)
    [output] = outputs_of(repo, code)
    with catalog(load_settings(repo)) as session:
        session.execute(
            update(AccessOutput)
            .where(AccessOutput.id == output.id)
            .values(available_until=utcnow() - timedelta(minutes=1))
        )
        session.commit()
    assert client.get(f"/outputs/{output.id}/read").status_code == 410
    assert client.get(f"/outputs/{output.id}/pages/1.png").status_code == 410


def test_conditional_requests_need_a_staff_account_with_the_approver_flag(app, repo, staff) -> None:
    client, _ = researcher(app, repo, staff)
    code = make_request(client, CONDITIONAL_DOC, kind="copy", purpose="02", fee="10")
    assert status_of(client, code) == "pending"
    plain = new_client(app)
    login(plain, STAFF)
    listed = page(plain.get("/staff/requests"))
    pending = listed.split('id="pending-requests"')[1].split("</table>")[0]
    assert code in row_codes(pending, "request")
    detail = page(plain.get(f"/staff/requests/{code}"))
    assert 'id="approve-form"' in detail and 'id="deny-form"' in detail and 'id="issue-form"' not in detail
    assert translate("portal.not_an_approver", "vi") in detail
    plain.post(f"/staff/requests/{code}/approve", data={"note": "Đồng ý"})
    html = page(plain.get(f"/staff/requests/{code}"))
    assert 'data-status="pending"' in html and "vai trò duyệt" in flashes(html, "error")[0]
    approver = new_client(app)
    login(approver, APPROVER)
    approver.post(f"/staff/requests/{code}/approve", data={"note": "Đủ điều kiện"})
    html = page(approver.get(f"/staff/requests/{code}"))
    assert 'id="request-status" class="status status-approved" data-status="approved"' in html
    assert 'id="issue-form"' in html and f"portal:{APPROVER}" in html
    assert status_of(client, code) == "approved"
    assert "decide" in portal_actions(repo, APPROVER)


def test_a_denial_needs_a_reason_and_is_shown_to_the_researcher(app, repo, staff) -> None:
    client, _ = researcher(app, repo, staff)
    code = make_request(client, CONDITIONAL_DOC, kind="reading")
    approver = new_client(app)
    login(approver, APPROVER)
    approver.post(f"/staff/requests/{code}/deny", data={"reason": "  "})
    assert flashes(page(approver.get(f"/staff/requests/{code}")), "error")
    approver.post(f"/staff/requests/{code}/deny", data={"reason": "Ngoài phạm vi nghiên cứu"})
    assert status_of(client, code) == "denied"
    assert "Ngoài phạm vi nghiên cứu" in page(client.get(f"/requests/{code}"))
    assert access_actions(repo, code) == ["requested", "denied"]


def test_an_internal_error_shows_no_traceback(client, monkeypatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("hỏng: /srv/secret/path")

    monkeypatch.setattr("archive_repo.portal.views_public.public_search", broken)
    response = client.get("/search", query_string={"q": "boi duong"})
    html = page(response)
    assert response.status_code == 500 and translate("portal.error_500_title", "vi") in html
    assert "RuntimeError" not in html and "/srv/secret/path" not in html


def test_unknown_pages_are_a_404_page(client) -> None:
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and translate("portal.error_404_title", "vi") in page(response)
    assert client.get("/").headers["Location"].endswith("/search")


def test_the_portal_commands_are_in_the_cli(repo, staff, capsys) -> None:
    capsys.readouterr()
    assert guarded(cli, ["portal", "accounts", "-R", str(repo), "--format", "json"]) == 0
    rows = {row["email"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[APPROVER]["role"] == "staff" and rows[APPROVER]["approver"] is True
    assert rows[STAFF]["approver"] is False and rows[STAFF]["status"] == "active"
    argv = ["portal", "add-staff", "x@example.vn", "--name", "X", "-R", str(repo)]
    code = guarded(cli, [*argv, "--password-env", "KHONG_CO_BIEN_NAY"])
    assert code == 2 and "KHONG_CO_BIEN_NAY" in capsys.readouterr().err
    assert guarded(cli, ["serve", "--help"]) == 0 and "--port" in capsys.readouterr().out


@pytest.fixture(scope="module", autouse=True)
def _no_leftover_secret(repo: Path) -> Iterator[None]:
    yield
    (repo / "portal-secret").unlink(missing_ok=True)


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(repo: Path) -> None:
    from dataclasses import replace

    settings = load_settings(repo)
    proxied = replace(settings, portal=replace(settings.portal, trusted_proxies=1))
    client = create_app(proxied, testing=True).test_client()
    form = {"email": "ai@example.vn", "password": "sai-mat-khau-0000"}
    for number in range(15):  # 15 clients behind one proxy: one attempt each
        address = f"10.0.0.{number + 1}"
        response = client.post("/login", data=form, headers={"X-Forwarded-For": address})
        assert response.status_code == 401
    direct = create_app(settings, testing=True).test_client()
    codes = [
        direct.post("/login", data=form, headers={"X-Forwarded-For": f"10.0.1.{n}"}).status_code
        for n in range(11)
    ]
    assert codes[-1] == 429  # without trusted_proxies the header is ignored: one address, one limit


def test_a_link_from_another_site_cannot_view_or_download(app, repo, staff) -> None:
    client, _ = researcher(app, repo, staff)
    for route in ("/outputs/1/download", "/outputs/1/read"):
        assert client.get(route, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403


def test_a_cookie_key_file_others_can_read_is_refused(repo: Path, monkeypatch) -> None:
    from archive_repo.portal.errors import PortalError

    settings = load_settings(repo)
    monkeypatch.delenv(settings.portal.secret_key_env, raising=False)
    key_file = repo / "portal-secret"
    key_file.write_text("k" * 64 + "\n", encoding="ascii")
    try:
        key_file.chmod(0o644)
        with pytest.raises(PortalError) as caught:
            create_app(settings)
        assert caught.value.message_key == "portal.secret_readable"
        key_file.chmod(0o600)
        assert create_app(settings).secret_key == "k" * 64
        monkeypatch.setenv(settings.portal.secret_key_env, "short")
        with pytest.raises(PortalError):
            create_app(settings)
    finally:
        key_file.unlink(missing_ok=True)


def test_an_administrator_disables_enables_and_resets_an_account(app, repo, staff, monkeypatch) -> None:
    client, email = researcher(app, repo, staff)
    assert client.get("/requests").status_code == 200
    assert guarded(cli, ["portal", "disable", email, "-R", str(repo)]) == 0
    assert client.get("/requests").status_code == 302  # signed out at once
    assert login(new_client(app), email).status_code == 401
    assert guarded(cli, ["portal", "enable", email, "-R", str(repo)]) == 0
    assert login(new_client(app), email).status_code == 302
    monkeypatch.setenv("NEW_PASSWORD", "mot-mat-khau-moi-2026")
    assert (
        guarded(cli, ["portal", "set-password", email, "--password-env", "NEW_PASSWORD", "-R", str(repo)])
        == 0
    )
    assert login(new_client(app), email).status_code == 401  # the old password no longer works
    assert login(new_client(app), email, "mot-mat-khau-moi-2026").status_code == 302
    monkeypatch.setenv("NEW_PASSWORD", "ngan")
    assert (
        guarded(cli, ["portal", "set-password", email, "--password-env", "NEW_PASSWORD", "-R", str(repo)])
        == 2
    )
    assert guarded(cli, ["portal", "disable", "khong.co@example.vn", "-R", str(repo)]) == 2
