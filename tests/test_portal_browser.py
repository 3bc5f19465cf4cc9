"""The researcher portal end to end, in a real headless Chromium against the real app on loopback.

One repository holds the shipped examples (a public dossier about a training course, "bồi dưỡng", and a
conditional one about salary raises) plus a generated dossier whose records are secret (mode 03) and whose
titles also say "bồi dưỡng", so that a search that leaked secret records would show them. The portal runs
under waitress on 127.0.0.1 (``tests/browser.py``); the browser is Debian's Chromium through chromedriver,
with every other host unreachable. Staff accounts are made with ``archive-repo portal add-staff``, as an
administrator would; everything else happens in the browser, with the repository's catalog and access area
checked behind it.

Screenshots of the main pages go to ``docs/screenshots/`` when ``ARCHIVE_REPO_SCREENSHOTS=1`` (the
pictures of the README), else to a temporary folder.
"""

from __future__ import annotations

import functools
import http.server
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from archive_repo.catalog.models import (
    AccessEvent,
    AccessOutput,
    AccessRequest,
    Document,
    PortalAccount,
    PortalEvent,
)
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import Settings, load_settings
from browser import (
    HEIGHT,
    WIDTH,
    Browser,
    PortalServer,
    click_and_wait,
    console_errors,
    fill_and_submit,
    fill_form,
    find_all,
    next_page,
    open_page,
    page_text,
    png_size,
    portal_config,
    quiet_waitress,
    screenshot,
    submit,
    wait_for,
    wait_for_download,
    wait_until,
)
from helpers import EXAMPLES, NO_VIRUS_SCAN, allow_unsigned_documents, build_sip_hoso, catalog, trust_examples

ARCHIVE = "LTLSHG"
PUBLIC_DOC = "H49.64.33.2024.31.0000001"  # "Quyết định mở lớp bồi dưỡng …", typeName 02, 01/08/2024
PUBLIC_DOC_2 = "H49.64.33.2024.31.0000002"  # "Danh sách học viên lớp bồi dưỡng …", typeName 32
CONDITIONAL_DOC = "H49.64.33.2023.42.0000001"  # "Tờ trình về việc nâng bậc lương …", mode 02
SECRET_FILE_CODE = "H49.64.33.2024.77"
SECRET_DOC = f"{SECRET_FILE_CODE}.0000001"
SECRET_TITLE = "Danh sách cán bộ nguồn được cử đi bồi dưỡng lý luận chính trị"
SECRET_OBJID = "uuid-7D6C5B4A-3928-4A17-8B06-F5E4D3C2B1A0"
SECRET_ENV = "ARCHIVE_REPO_TEST_PORTAL_SECRET"
STAFF_PASSWORD_ENV = "ARCHIVE_REPO_TEST_STAFF_PASSWORD"
APPROVER_EMAIL = "duyet@luutru.hagiang.gov.vn"
CLERK_EMAIL = "nhanvien@luutru.hagiang.gov.vn"  # staff without the approver role
STAFF_PASSWORD = "Mat-khau-can-bo-2026"
RESEARCHER = {
    "full_name": "Trần Thị Nghiên Cứu",
    "email": "nghiencuu@example.vn",
    "password": "mat-khau-nghien-cuu-1",
    "identity_kind": "cccd",
    "identity_number": "001203004567",
}
IGNORED_CONSOLE = ("favicon.ico",)


@dataclass
class Portal:
    home: Path
    settings: Settings
    url: str

    def at(self, path: str) -> str:
        return self.url + path

    def document_id(self, code: str) -> int:
        with catalog(self.settings) as session:
            return session.scalars(select(Document.id).where(Document.code == code)).one()

    def outputs(self, request_code: str) -> list[AccessOutput]:
        with catalog(self.settings) as session:
            query = select(AccessOutput).join(AccessRequest).where(AccessRequest.code == request_code)
            return list(session.scalars(query.order_by(AccessOutput.id)))

    def request_row(self, code: str) -> AccessRequest:
        with catalog(self.settings) as session:
            return session.scalars(select(AccessRequest).where(AccessRequest.code == code)).one()

    def access_actions(self, code: str) -> list[str]:
        with catalog(self.settings) as session:
            query = select(AccessEvent.action).join(AccessRequest).where(AccessRequest.code == code)
            return list(session.scalars(query.order_by(AccessEvent.id)))

    def portal_actions(self, email: str) -> list[str]:
        with catalog(self.settings) as session:
            query = (
                select(PortalEvent.action)
                .join(PortalAccount, PortalAccount.id == PortalEvent.account_id)
                .where(PortalAccount.email == email)
            )
            return list(session.scalars(query.order_by(PortalEvent.id)))

    def account_status(self, email: str) -> str | None:
        with catalog(self.settings) as session:
            return session.scalars(select(PortalAccount.status).where(PortalAccount.email == email)).first()


def _build_repository(base: Path) -> Path:
    home = base / "kho"
    options = ["--archive-code", ARCHIVE, "--archive-name", "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"]
    options += ["--store", "store-1", "--store", "store-2"]
    assert guarded(cli, ["init", "-R", str(home), *options, *NO_VIRUS_SCAN]) == 0
    trust_examples(home)
    allow_unsigned_documents(home)
    secret = build_sip_hoso(
        base / "secret",
        2,
        package={
            "fileCode": SECRET_FILE_CODE,
            "mode": "03",
            "title": "Hồ sơ mật về bồi dưỡng cán bộ nguồn năm 2024",
        },
        docs={
            1: {"mode": "03", "subject": SECRET_TITLE},
            2: {"mode": "03", "subject": "Bồi dưỡng cán bộ (mật)"},
        },
        objid=SECRET_OBJID,
    )
    names = ("bag-H49.64.33.2024.31", "uuid-0C9B8A7D-6E5F-4A3B-9C2D-1E0F9A8B7C6D.zip")  # public, conditional
    sources = [str(EXAMPLES / "submissions" / name) for name in names]
    code = guarded(cli, ["ingest", "-R", str(home), *sources, str(secret), "--workers", "1", "--no-progress"])
    assert code in (0, 1)
    # Every test logs in from 127.0.0.1: the journey alone signs in 8 times within a minute, more than the
    # production limit of 10 a minute per address allows once the other tests of the module share the app.
    # The limiter itself is tested on a portal of its own (test_searches_are_rate_limited_per_address).
    portal_config(home, SECRET_ENV, login_per_minute=100)
    return home


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The repository, two staff accounts made at the command line, and the portal serving it."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DEBUG", "ARCHIVE_REPO_DB", "ARCHIVE_REPO_OPERATOR"):
            patch.delenv(name, raising=False)
        patch.setenv(SECRET_ENV, secrets.token_hex(32))
        home = _build_repository(tmp_path_factory.mktemp("portal"))
        settings = load_settings(home)
        with catalog(settings) as session:
            held = set(session.scalars(select(Document.code)))
        assert {PUBLIC_DOC, PUBLIC_DOC_2, CONDITIONAL_DOC, SECRET_DOC} <= held, sorted(held)
        patch.setenv(STAFF_PASSWORD_ENV, STAFF_PASSWORD)
        for email, name, extra in (
            (APPROVER_EMAIL, "Nguyễn Văn Duyệt", ["--approver"]),
            (CLERK_EMAIL, "Lê Thị Nhân Viên", []),
        ):
            argv = [
                "portal",
                "add-staff",
                email,
                "--name",
                name,
                *extra,
                "--password-env",
                STAFF_PASSWORD_ENV,
            ]
            assert guarded(cli, [*argv, "-R", str(home)]) == 0
        with quiet_waitress(), PortalServer(settings) as server:
            yield Portal(home, settings, server.url)


# --------------------------------------------------------------------------------------------------
# helpers


def login(driver: Any, portal: Portal, email: str, password: str) -> None:
    open_page(driver, portal.at("/login"), "form#login-form")
    fill_and_submit(driver, "form#login-form", {"email": email, "password": password})
    wait_for(driver, "form#logout-form")


def logout(driver: Any) -> None:
    submit(driver, "form#logout-form")
    wait_for(driver, "a#nav-login")


def fetch(driver: Any, path: str, method: str = "GET") -> dict[str, Any]:
    """``fetch()`` from the page, with its cookies, redirects not followed: status, type, headers."""
    script = """
        const [path, method, done] = arguments;
        fetch(path, {method: method, redirect: 'manual', credentials: 'same-origin'})
          .then(r => done({status: r.status, type: r.type, contentType: r.headers.get('content-type'),
                           cacheControl: r.headers.get('cache-control')}))
          .catch(e => done({error: String(e)}));
    """
    return driver.execute_async_script(script, path, method)


RAW_KEY = re.compile(r"\b(?:portal|access|portal_account|config|db)\.[a-z0-9_]+\b")


def shown(driver: Any) -> str:
    """The page's visible text, which must hold no untranslated message key (``portal.login_failed``)."""
    text = page_text(driver)
    assert not RAW_KEY.findall(text), (driver.current_url, RAW_KEY.findall(text))
    return text


def own_errors(driver: Any) -> list[str]:
    return [m for m in console_errors(driver) if not any(ignored in m for ignored in IGNORED_CONSOLE)]


def search(driver: Any, portal: Portal, **fields: str) -> list[str]:
    """Search with the form (fields by name); the docCodes of the result rows."""
    open_page(driver, portal.at("/search"), "form#search-form")
    fill_form(driver, "form#search-form", {"q": "", "from": "", "to": "", "fonds": "", "type": ""} | fields)
    submit(driver, "form#search-form")
    wait_for(driver, "#result-count")
    return [row.get_attribute("data-code") for row in find_all(driver, "table#results tr.result")]


def result_count(driver: Any) -> int:
    return int("".join(ch for ch in wait_for(driver, "#result-count").text if ch.isdigit()))


def request_code_from(driver: Any) -> str:
    path = urlsplit(driver.current_url).path
    assert path.startswith("/requests/") and path != "/requests/new", driver.current_url
    return path.rsplit("/", 1)[1]


def status_of(driver: Any) -> str:
    return wait_for(driver, "#request-status").get_attribute("data-status")


def new_request(driver: Any, portal: Portal, codes: list[str], **fields: str) -> str:
    """Ask for ``codes`` on the request form (opened as the pick form does: GET with doc=…); the code of
    the request made."""
    query = "&".join(f"doc={code}" for code in codes)
    open_page(driver, portal.at(f"/requests/new?{query}"), "form#request-form")
    chosen = [e.get_attribute("value") for e in find_all(driver, 'form#request-form input[name="doc"]')]
    assert chosen == codes
    values = {"purpose": "01", "fee": "01", "purpose_text": "Nghiên cứu lịch sử ngành lưu trữ"} | fields
    fill_and_submit(driver, "form#request-form", values)
    return request_code_from(driver)


def images_loaded(driver: Any) -> list[dict[str, Any]]:
    """Every ``img.page`` scrolled into view (they load lazily) and waited for: src, natural size."""
    images = find_all(driver, "img.page")
    for image in images:
        driver.execute_script("arguments[0].scrollIntoView()", image)
        wait_until(
            lambda image=image: driver.execute_script("return arguments[0].complete", image),
            what=f"page image {image.get_attribute('src')}",
        )
    return [
        driver.execute_script(
            "return {src: arguments[0].getAttribute('src'), width: arguments[0].naturalWidth,"
            " height: arguments[0].naturalHeight}",
            image,
        )
        for image in images
    ]


# --------------------------------------------------------------------------------------------------
# the harness itself


def test_the_browser_reaches_loopback_and_nothing_else(clean_browser: Browser, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    page = '<!doctype html><meta charset="utf-8"><h1 id="t">Hồ sơ bồi dưỡng</h1>'
    page += '<a id="f" href="f.pdf" download>f</a>'
    (site / "index.html").write_text(page, encoding="utf-8")
    (site / "f.pdf").write_bytes(b"%PDF-1.4\n%test\n")
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = clean_browser.driver
    try:
        open_page(driver, f"http://127.0.0.1:{server.server_port}/index.html", "#t")
        assert wait_for(driver, "#t").text == "Hồ sơ bồi dưỡng"
        assert driver.execute_script("return navigator.language") == "vi"
        assert driver.execute_script("return [window.innerWidth, window.innerHeight]") == [WIDTH, HEIGHT]
        before = {p.name for p in clean_browser.downloads.iterdir()}
        wait_for(driver, "#f").click()
        got = wait_for_download(clean_browser.downloads, before)
        assert got.read_bytes() == b"%PDF-1.4\n%test\n"
        got.unlink()
        shot = screenshot(driver, tmp_path, "harness")
        assert png_size(shot)[0] == WIDTH
        with pytest.raises(Exception, match="ERR_NAME_NOT_RESOLVED"):
            driver.get("http://example.com/")
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


# --------------------------------------------------------------------------------------------------
# a researcher, from registration to an expired copy


def test_a_researcher_registers_requests_reads_downloads_and_the_copy_expires(
    portal: Portal, clean_browser: Browser, screenshots: Path
) -> None:
    driver = clean_browser.driver
    downloads = clean_browser.downloads

    # -- anonymous: the portal opens on the search, in Vietnamese
    open_page(driver, portal.url + "/", "form#search-form")
    assert urlsplit(driver.current_url).path == "/search"
    assert driver.find_element("css selector", "html").get_attribute("lang") == "vi"
    wait_for(driver, "nav#menu a#nav-login")
    wait_for(driver, "nav#menu a#nav-register")
    assert not find_all(driver, "a#nav-requests") and not find_all(driver, "a#nav-staff")

    # -- registration: the account waits for activation and cannot log in yet
    click_and_wait(driver, "a#nav-register")
    fill_and_submit(
        driver,
        "form#register-form",
        {
            "full_name": RESEARCHER["full_name"],
            "email": RESEARCHER["email"],
            "password": RESEARCHER["password"],
            "password2": RESEARCHER["password"],
            "identity_kind": RESEARCHER["identity_kind"],
            "identity_number": RESEARCHER["identity_number"],
        },
    )
    assert "kích hoạt" in wait_for(driver, ".flash.success").text.lower()
    shown(driver)
    assert portal.account_status(RESEARCHER["email"]) == "pending"
    open_page(driver, portal.at("/login"), "form#login-form")
    fill_and_submit(
        driver, "form#login-form", {"email": RESEARCHER["email"], "password": RESEARCHER["password"]}
    )
    assert wait_for(driver, ".flash.error").text
    shown(driver)
    assert not find_all(driver, "form#logout-form") and not find_all(driver, "a#nav-requests")

    # -- staff activate the account (a forged POST without the CSRF token is refused first)
    login(driver, portal, APPROVER_EMAIL, STAFF_PASSWORD)
    wait_for(driver, "a#nav-staff")
    open_page(driver, portal.at("/staff/accounts"), "table#pending-accounts")
    row = wait_for(driver, f'table#pending-accounts tr.account[data-email="{RESEARCHER["email"]}"]')
    action = row.find_element("css selector", "form.activate-form").get_attribute("action")
    forged = fetch(driver, urlsplit(action).path, "POST")
    assert forged.get("status") == 400, forged
    assert portal.account_status(RESEARCHER["email"]) == "pending"
    shown(driver)
    screenshot(driver, screenshots, "staff-accounts")
    with next_page(driver):
        row.find_element("css selector", "form.activate-form .activate").click()
    wait_for(driver, ".flash.success")
    assert not find_all(driver, f'tr.account[data-email="{RESEARCHER["email"]}"]')
    assert portal.account_status(RESEARCHER["email"]) == "active"
    logout(driver)

    # -- the researcher logs in and searches without diacritics
    console_errors(driver)  # the refused login and the forged POST above were logged as failed loads
    login(driver, portal, RESEARCHER["email"], RESEARCHER["password"])
    wait_for(driver, "a#nav-requests")
    assert not find_all(driver, "a#nav-staff")
    found = search(driver, portal, q="boi duong")
    assert PUBLIC_DOC in found and PUBLIC_DOC_2 in found, found
    assert not [code for code in found if code.startswith(SECRET_FILE_CODE)], found
    assert result_count(driver) == len(found)
    titles = [e.text for e in find_all(driver, "table#results tr.result a.document-link")]
    assert any("bồi dưỡng" in title for title in titles), titles
    assert SECRET_TITLE not in shown(driver)
    screenshot(driver, screenshots, "search-results")
    assert not own_errors(driver)

    # filters: fonds, document type, date range (issued 01/08/2024 and 05/08/2024)
    assert search(driver, portal, q="boi duong", fonds="G09", type="02") == [PUBLIC_DOC]
    assert search(driver, portal, q="boi duong", **{"from": "2024-08-02", "to": "2024-12-31"}) == [
        PUBLIC_DOC_2
    ]
    assert search(driver, portal, q="boi duong", **{"from": "2025"}) == []
    assert result_count(driver) == 0
    salary = search(driver, portal, q="nang bac luong")  # the conditional dossier's title and documents
    assert CONDITIONAL_DOC in salary and all(code.startswith("H49.64.33.2023.42.") for code in salary), salary

    # a secret record never shows: not by its words, not by its code, not by its page
    assert search(driver, portal, q="can bo nguon") == []
    assert search(driver, portal, q=SECRET_FILE_CODE) == []
    assert fetch(driver, f"/documents/{portal.document_id(SECRET_DOC)}")["status"] == 404
    open_page(driver, portal.at(f"/documents/{portal.document_id(PUBLIC_DOC)}"), "#document")

    # -- a reading copy of a public document, picked in the results: approved at once
    search(driver, portal, q="boi duong")
    fill_form(driver, "form#pick-form", {"doc": [PUBLIC_DOC]})
    submit(driver, "form#pick-form", "#request-selected")
    wait_for(driver, "form#request-form")
    assert [e.get_attribute("value") for e in find_all(driver, 'form#request-form input[name="doc"]')] == [
        PUBLIC_DOC
    ]
    fill_form(
        driver,
        "form#request-form",
        {
            "kind": "reading",
            "reading_days": "3",
            "purpose": "01",
            "purpose_text": "Nghiên cứu lịch sử công tác bồi dưỡng cán bộ lưu trữ",
            "topic": "Lịch sử ngành lưu trữ Hà Giang",
            "fee": "01",
        },
    )
    shown(driver)
    screenshot(driver, screenshots, "request-form")
    submit(driver, "form#request-form")
    reading_code = request_code_from(driver)
    assert status_of(driver) == "approved"
    assert portal.request_row(reading_code).account_id is not None

    # -- and a copy of the same document (the kind select)
    copy_code = new_request(driver, portal, [PUBLIC_DOC], kind="copy")
    assert status_of(driver) == "approved"
    assert not find_all(driver, "li.output")  # nothing issued yet

    # -- a secret document cannot be asked for, even by its code
    open_page(driver, portal.at(f"/requests/new?doc={SECRET_DOC}"), "form#request-form")
    assert not find_all(driver, 'form#request-form input[name="doc"]')
    assert SECRET_TITLE not in page_text(driver)
    logout(driver)

    # -- staff issue both
    login(driver, portal, APPROVER_EMAIL, STAFF_PASSWORD)
    open_page(driver, portal.at("/staff/requests"), "table#pending-requests")
    for code in (reading_code, copy_code):
        assert not find_all(driver, f'table#pending-requests tr.request[data-code="{code}"]')
        wait_for(driver, f'table#approved-requests tr.request[data-code="{code}"]')
    for code in (reading_code, copy_code):
        open_page(driver, portal.at(f"/staff/requests/{code}"), "form#issue-form")
        submit(driver, "form#issue-form", "#issue")
        assert status_of(driver) == "issued", page_text(driver)[:1000]
    logout(driver)

    # -- the researcher follows their requests and reads the reading copy as page images
    login(driver, portal, RESEARCHER["email"], RESEARCHER["password"])
    click_and_wait(driver, "a#nav-requests")
    rows = {
        e.get_attribute("data-code"): e.get_attribute("data-status") for e in find_all(driver, "tr.request")
    }
    assert rows == {reading_code: "issued", copy_code: "issued"}
    shown(driver)
    screenshot(driver, screenshots, "my-requests")
    open_page(driver, portal.at(f"/requests/{reading_code}"), "li.output")
    assert [e.get_attribute("data-kind") for e in find_all(driver, "li.output")] == ["reading"]
    assert not find_all(driver, "li.output a.download-link")
    [reading_output] = portal.outputs(reading_code)
    console_errors(driver)
    click_and_wait(driver, 'li.output[data-kind="reading"] a.read-link')
    assert urlsplit(driver.current_url).path == f"/outputs/{reading_output.id}/read"
    pages = images_loaded(driver)
    assert pages and all(p["width"] > 0 and p["height"] > 0 for p in pages), pages
    assert [p["src"] for p in pages] == [
        f"/outputs/{reading_output.id}/pages/{n}.png" for n in range(1, len(pages) + 1)
    ]
    links = driver.execute_script(
        "return [...document.querySelectorAll('a[href], embed, object, iframe, link[href]')]"
        ".map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('data') || '')"
    )
    assert not [link for link in links if ".pdf" in link.lower() or "/download" in link], links
    image = fetch(driver, pages[0]["src"])
    assert image["status"] == 200 and image["contentType"] == "image/png", image
    assert "no-store" in (image["cacheControl"] or "")
    assert not own_errors(driver)  # every page image and the style sheet loaded
    assert fetch(driver, f"/outputs/{reading_output.id}/download")["status"] in (403, 404)
    driver.execute_script("window.scrollTo(0, 0)")
    shown(driver)
    screenshot(driver, screenshots, "reading-viewer")

    # -- and downloads the copy: the very bytes of the output in the access area
    [copy_output] = portal.outputs(copy_code)
    stored = portal.settings.access_dir / copy_output.path
    open_page(driver, portal.at(f"/requests/{copy_code}"), 'li.output[data-kind="copy"] a.download-link')
    before = {p.name for p in downloads.iterdir()}
    wait_for(driver, 'li.output[data-kind="copy"] a.download-link').click()
    got = wait_for_download(downloads, before)
    data = got.read_bytes()
    assert data.startswith(b"%PDF") and data == stored.read_bytes()
    assert got.suffix == ".pdf"
    got.unlink()
    assert "delivered" in portal.access_actions(copy_code)
    assert "viewed" in portal.access_actions(reading_code)

    # -- a conditional document: the request waits for an approver
    conditional_code = new_request(driver, portal, [CONDITIONAL_DOC], kind="copy", purpose="02")
    assert status_of(driver) == "pending"
    logout(driver)

    # staff without the approver role cannot approve it
    login(driver, portal, CLERK_EMAIL, STAFF_PASSWORD)
    open_page(driver, portal.at(f"/staff/requests/{conditional_code}"), "form#approve-form")
    submit(driver, "form#approve-form", "#approve")
    assert wait_for(driver, ".flash.error").text
    shown(driver)
    assert status_of(driver) == "pending"
    logout(driver)

    # an approver does, in the browser
    login(driver, portal, APPROVER_EMAIL, STAFF_PASSWORD)
    open_page(driver, portal.at("/staff/requests"), "table#pending-requests")
    wait_for(driver, f'table#pending-requests tr.request[data-code="{conditional_code}"]')
    shown(driver)
    screenshot(driver, screenshots, "staff-requests")
    click_and_wait(driver, f'table#pending-requests tr.request[data-code="{conditional_code}"] a')
    assert urlsplit(driver.current_url).path == f"/staff/requests/{conditional_code}"
    fill_and_submit(driver, "form#approve-form", {"note": "Đủ điều kiện khai thác"}, "#approve")
    assert status_of(driver) == "approved"
    decided = portal.request_row(conditional_code)
    assert decided.status == "approved" and APPROVER_EMAIL in (decided.decided_by or "")
    logout(driver)

    # -- expiry: once the copy's period is over and `access expire` has run, the link gives an error page
    with catalog(portal.settings) as session:
        past = datetime.now(UTC) - timedelta(hours=1)
        session.execute(
            update(AccessOutput)
            .where(AccessOutput.id == copy_output.id)
            .values(available_until=past, delete_after=past)
        )
        session.commit()
    assert guarded(cli, ["access", "expire", "-R", str(portal.home)]) == 0
    assert not stored.exists()
    login(driver, portal, RESEARCHER["email"], RESEARCHER["password"])
    before = {p.name for p in downloads.iterdir()}
    assert fetch(driver, f"/outputs/{copy_output.id}/download")["status"] in (404, 410)
    open_page(driver, portal.at(f"/outputs/{copy_output.id}/download"), "#error")
    assert wait_for(driver, "#error").get_attribute("data-code") in ("404", "410")
    assert "Traceback" not in driver.page_source
    shown(driver)
    assert {p.name for p in downloads.iterdir()} == before
    open_page(driver, portal.at(f"/requests/{copy_code}"), 'li.output[data-kind="copy"]')
    assert not find_all(driver, "a.download-link")

    # -- the audit log has the logins (and the failed one), the view and the download
    actions = portal.portal_actions(RESEARCHER["email"])
    for action in ("register", "activate", "login_failed", "login", "search", "request", "view", "download"):
        assert action in actions, (action, actions)


# --------------------------------------------------------------------------------------------------
# rules every page keeps


def test_the_language_switch_changes_the_pages_and_is_remembered(
    portal: Portal, clean_browser: Browser
) -> None:
    driver = clean_browser.driver
    open_page(driver, portal.at("/search?q=boi+duong"), "form#search-form")
    vietnamese = wait_for(driver, "a#nav-search").text
    assert driver.find_element("css selector", "html").get_attribute("lang") == "vi"
    click_and_wait(driver, "a#lang-en")
    assert driver.find_element("css selector", "html").get_attribute("lang") == "en"
    english = wait_for(driver, "a#nav-search").text
    assert "Search" in shown(driver)
    assert english != vietnamese and english.isascii()
    assert urlsplit(driver.current_url).path == "/search" and "boi" in driver.current_url  # same page
    assert PUBLIC_DOC in [e.get_attribute("data-code") for e in find_all(driver, "tr.result")]
    open_page(driver, portal.at("/login"), "form#login-form")
    assert driver.find_element("css selector", "html").get_attribute("lang") == "en"  # remembered
    click_and_wait(driver, "a#lang-vi")
    assert driver.find_element("css selector", "html").get_attribute("lang") == "vi"
    assert wait_for(driver, "a#nav-search").text == vietnamese


def test_pages_need_the_right_account(portal: Portal, clean_browser: Browser) -> None:
    driver = clean_browser.driver
    # anonymous: asked to log in for anything but the public description
    open_page(driver, portal.at("/search"), "form#search-form")
    for path in ("/staff/accounts", "/staff/requests", "/requests", f"/requests/new?doc={PUBLIC_DOC}"):
        answer = fetch(driver, path)
        assert answer.get("type") == "opaqueredirect", (path, answer)
    open_page(driver, portal.at("/staff/accounts"), "form#login-form")
    assert urlsplit(driver.current_url).path == "/login"
    # a researcher sees their own requests only, and no staff page
    first, second = active_researcher(portal, "mot@example.vn"), active_researcher(portal, "hai@example.vn")
    login(driver, portal, first, RESEARCHER["password"])
    code = new_request(driver, portal, [PUBLIC_DOC_2], kind="copy")
    for path in ("/staff/accounts", "/staff/requests", f"/staff/requests/{code}"):
        assert fetch(driver, path)["status"] == 403, path
    logout(driver)
    login(driver, portal, second, RESEARCHER["password"])
    assert fetch(driver, f"/requests/{code}")["status"] == 404
    click_and_wait(driver, "a#nav-requests")
    assert code not in [e.get_attribute("data-code") for e in find_all(driver, "tr.request")]
    logout(driver)
    # staff see every request, and have none of their own
    login(driver, portal, APPROVER_EMAIL, STAFF_PASSWORD)
    assert fetch(driver, f"/staff/requests/{code}")["status"] == 200
    assert fetch(driver, "/requests")["status"] == 403
    logout(driver)
    # unknown pages: a page of the portal, never a traceback
    open_page(driver, portal.at("/no-such-page"), "#error")
    assert wait_for(driver, "#error").get_attribute("data-code") == "404"
    assert "Traceback" not in shown(driver)


def test_searches_are_rate_limited_per_address(portal: Portal, clean_browser: Browser) -> None:
    """A second portal on the same repository with a limit of 3 searches a minute: the 4th is a 429 page."""
    settings = replace(portal.settings, portal=replace(portal.settings.portal, search_per_minute=3))
    driver = clean_browser.driver
    with quiet_waitress(), PortalServer(settings) as limited:
        for _ in range(3):
            open_page(driver, limited.url + "/search?q=boi+duong", "table#results")
        open_page(driver, limited.url + "/search?q=boi+duong", "#error")
        assert wait_for(driver, "#error").get_attribute("data-code") == "429"
        shown(driver)
        assert not find_all(driver, "table#results")


def active_researcher(portal: Portal, email: str) -> str:
    """A researcher account, registered and activated through the account services."""
    from archive_repo.ingest.catalog_access import writer_sessions
    from archive_repo.portal.accounts import NewAccount, activate, register

    with writer_sessions(portal.settings.catalog_url)() as session:
        new = NewAccount(email, "Phạm Văn Độc Giả", "cccd", "001099001234", RESEARCHER["password"])
        account = register(session, new)
        activate(session, account.id, "test")
        session.commit()
    return email
