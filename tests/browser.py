"""A real headless browser for the portal's end-to-end tests, and the portal served on loopback.

The browser is Debian's Chromium driven through Selenium 4 and Debian's ``chromedriver``
(``scripts/browser.sh`` installs both; ``scripts/test.sh`` runs it). The driver's path is always given
explicitly, so Selenium Manager is never asked to find or download anything (it is even patched to fail
while the driver starts). Chromium runs headless (``--headless=new``), 1280×1000 at a device scale of 1,
Vietnamese as its language, downloads into a folder of the test session, and with every host name but
127.0.0.1 resolving to nothing: the pages can reach the portal under test and nothing else.

Fixtures (imported by ``conftest.py``), per test session (per xdist worker):

* ``browser``: the ``selenium.webdriver.Chrome`` (a :class:`Browser`, which also knows its download folder);
  ``clean_browser`` gives it to a test with its cookies cleared before and after;
* ``screenshots``: where :func:`screenshot` writes, ``docs/screenshots`` when ``ARCHIVE_REPO_SCREENSHOTS=1``
  (the pictures checked in for the README), otherwise a temporary folder (CI leaves the tree clean).

:class:`PortalServer` runs ``archive_repo.portal.app.create_app(settings)`` under waitress on 127.0.0.1
and a free port in a background thread (``start()`` / ``stop()``, or as a context manager); helpers wait
for elements, fill forms by their fields' names, and take screenshots.

There is no skip: without Chromium or chromedriver the browser fixture fails with how to install them
(``bash scripts/browser.sh``), because the issue requires these tests to run in CI.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ARCHIVE_REPO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ARCHIVE_REPO_CHROMEDRIVER", "/usr/bin/chromedriver")
WIDTH, HEIGHT = 1280, 1000
MAX_SCREENSHOT_HEIGHT = 2400  # long pages are cut there (README pictures)
SCREENSHOT_FOLDER = REPO / "docs" / "screenshots"
WAIT = 15.0  # seconds an element or a page may take to appear (2 shared cores, an AES reading copy…)
# Every host name resolves to nothing except 127.0.0.1 itself: no request leaves the machine.
LOOPBACK_ONLY = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


# --------------------------------------------------------------------------------------------------
# the browser


class Browser:
    """What :func:`start_browser` returns: the driver, its download folder and its own log."""

    def __init__(self, driver: Any, downloads: Path, profile: Path, log_path: Path) -> None:
        self.driver = driver
        self.downloads = downloads
        self.profile = profile
        self.log_path = log_path

    def clear_cookies(self) -> None:
        """Every cookie of every site (cookies are per host, not per port: 127.0.0.1 is shared by every
        portal a session starts)."""
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})

    def quit(self) -> None:
        with contextlib.suppress(Exception):
            self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def require_browser() -> tuple[str, str]:
    """Chromium and chromedriver, or a failure that says how to get them (never a skip)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(
            f"the portal's browser tests need Debian's Chromium and chromedriver ({', '.join(missing)} not "
            "found): bash scripts/browser.sh (as root), or apt-get install chromium chromium-driver",
            pytrace=False,
        )
    return CHROMIUM, CHROMEDRIVER


def chrome_options(downloads: Path, profile: Path, lang: str = "vi") -> Any:
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTH},{HEIGHT}",
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
        f"--host-resolver-rules={LOOPBACK_ONLY}",
        "--no-proxy-server",
        f"--lang={lang}",
        f"--user-data-dir={profile}",
        "--disable-gpu",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--password-store=basic",
        "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"
        "PasswordLeakDetection,AutofillServerCommunication",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "intl.accept_languages": f"{lang},{lang}-VN" if lang == "vi" else lang,
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False,
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
            "profile.password_manager_leak_detection": False,
        },
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def start_browser(base: Path, lang: str = "vi") -> Browser:
    """A headless Chromium with its own profile and download folder under ``base``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = require_browser()
    downloads = base / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=base))
    log_path = base / "chromedriver.log"
    service = Service(executable_path=chromedriver, log_output=str(log_path))

    def no_selenium_manager(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Selenium Manager was asked for a driver: the path must be given explicitly")

    with mock.patch(
        "selenium.webdriver.common.selenium_manager.SeleniumManager.binary_paths", no_selenium_manager
    ):
        driver = webdriver.Chrome(service=service, options=chrome_options(downloads, profile, lang))
    driver.set_page_load_timeout(60)
    # The viewport itself 1280×1000 (--window-size counts the window, which headless Chromium makes ~140 px
    # taller than what pages get), at a device scale of 1: screenshots are exactly 1280 px wide.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    # Downloads without a prompt, into our folder (headless Chromium honours the pref; this makes sure).
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return Browser(driver, downloads, profile, log_path)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for the session (per xdist worker)."""
    started = start_browser(tmp_path_factory.mktemp("browser"))
    try:
        yield started
    finally:
        started.quit()


@pytest.fixture
def clean_browser(browser: Browser) -> Iterator[Browser]:
    """The session's browser with no cookies (no one logged in, default language), before and after."""
    browser.clear_cookies()
    try:
        yield browser
    finally:
        browser.clear_cookies()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``docs/screenshots`` when ``ARCHIVE_REPO_SCREENSHOTS=1``, else a temporary folder."""
    if os.environ.get("ARCHIVE_REPO_SCREENSHOTS") == "1":
        SCREENSHOT_FOLDER.mkdir(parents=True, exist_ok=True)
        return SCREENSHOT_FOLDER
    return tmp_path_factory.mktemp("screenshots")


# --------------------------------------------------------------------------------------------------
# helpers for the tests


def wait_for(driver: Any, css: str, timeout: float = WAIT, visible: bool = False) -> Any:
    """The first element matching ``css`` once it is there (and displayed, when ``visible``)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    condition = ec.visibility_of_element_located if visible else ec.presence_of_element_located
    try:
        return WebDriverWait(driver, timeout).until(condition((By.CSS_SELECTOR, css)))
    except Exception as exc:  # noqa: BLE001 - say what page we were on instead
        raise AssertionError(
            f"no element {css!r} after {timeout:.0f} s on {driver.current_url}:\n{page_text(driver)[:1500]}"
        ) from exc


def wait_until(predicate: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def find_all(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def page_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    try:
        return driver.find_element(By.TAG_NAME, "body").text
    except Exception:  # noqa: BLE001 - no body yet
        return driver.page_source


def open_page(driver: Any, url: str, css: str | None = None) -> None:
    """Go to ``url`` and, when ``css`` is given, wait for that element."""
    driver.get(url)
    if css:
        wait_for(driver, css)


def fill_form(driver: Any, form_css: str, values: Mapping[str, str | bool | list[str]]) -> Any:
    """Set the fields of the form ``form_css`` by their ``name``: text is typed (after clearing), a select
    gets the option with that value, a checkbox is ticked or unticked (``True``/``False``, or a list of
    values to tick among the boxes of that name). Returns the form element."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    form = wait_for(driver, form_css)
    for name, value in values.items():
        fields = form.find_elements(By.CSS_SELECTOR, f'[name="{name}"]')
        if not fields:
            raise AssertionError(f"form {form_css!r} has no field named {name!r}")
        field = fields[0]
        tag = field.tag_name.lower()
        kind = (field.get_attribute("type") or "").lower()
        if tag == "select":
            Select(field).select_by_value(str(value))
        elif kind in ("checkbox", "radio"):
            wanted = {str(v) for v in value} if isinstance(value, list) else None
            for box in fields:
                tick = (box.get_attribute("value") in wanted) if wanted is not None else bool(value)
                if box.is_selected() != tick:
                    box.click()
        else:
            field.clear()
            field.send_keys(str(value))
    return form


@contextlib.contextmanager
def next_page(driver: Any, timeout: float = WAIT) -> Iterator[None]:
    """Wait, after the block (a click that submits or follows a link), for another document to be loaded.

    The page is marked with a token first; the next document has no token and a ``readyState`` of
    ``complete``. (Waiting for the old ``<html>`` to go stale is racy in Chromium: while the page is
    being replaced the driver may answer "Node … does not belong to the document" instead.)"""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    token = uuid.uuid4().hex
    driver.execute_script("window.__archiveRepoPage = arguments[0]", token)
    yield

    def arrived(d: Any) -> bool:
        try:
            return bool(
                d.execute_script(
                    "return document.readyState === 'complete' && window.__archiveRepoPage !== arguments[0]",
                    token,
                )
            )
        except WebDriverException:  # the old document is going away: ask again
            return False

    WebDriverWait(driver, timeout).until(arrived)


def submit(driver: Any, form_css: str, button_css: str | None = None) -> None:
    """Click the form's submit button (``button_css`` inside the form, or its first submit button) and
    wait for the next page to replace this one."""
    from selenium.webdriver.common.by import By

    form = wait_for(driver, form_css)
    selector = button_css or 'button[type="submit"], input[type="submit"], button:not([type])'
    buttons = form.find_elements(By.CSS_SELECTOR, selector)
    if not buttons and button_css:  # a button tied to the form by form="…", or found by id anywhere
        buttons = driver.find_elements(By.CSS_SELECTOR, button_css)
    if not buttons:
        raise AssertionError(f"form {form_css!r} has no submit button {selector!r}")
    with next_page(driver):
        buttons[0].click()


def fill_and_submit(
    driver: Any, form_css: str, values: Mapping[str, str | bool | list[str]], button_css: str | None = None
) -> None:
    fill_form(driver, form_css, values)
    submit(driver, form_css, button_css)


def click_and_wait(driver: Any, css: str) -> None:
    """Click the element ``css`` (a link, a button) and wait for the next page."""
    element = wait_for(driver, css)
    with next_page(driver):
        element.click()


def screenshot(driver: Any, folder: Path, name: str) -> Path:
    """A PNG of the whole page (up to ``MAX_SCREENSHOT_HEIGHT`` px), 1280 px wide, as ``folder/name.png``
    (no field focused, no caret: the same picture every time)."""
    driver.execute_script("if (document.activeElement) document.activeElement.blur()")
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    content = metrics.get("cssContentSize") or metrics["contentSize"]
    height = max(1, min(MAX_SCREENSHOT_HEIGHT, int(content["height"] + 0.5)))
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
        },
    )
    target = folder / f"{name}.png"
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def console_errors(driver: Any) -> list[str]:
    """What the page logged as errors since the last call (failed loads of CSS or images, script errors)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def wait_for_download(folder: Path, before: set[str], timeout: float = 30.0) -> Path:
    """The file that appeared in ``folder`` (not among ``before``) once Chromium has finished writing it."""

    def finished() -> Path | None:
        names = {p.name for p in folder.iterdir()} - before
        if not names or any(n.endswith((".crdownload", ".tmp")) or n.startswith(".") for n in names):
            return None
        [name] = sorted(names)
        return folder / name

    return wait_until(finished, timeout, f"a download in {folder}")


# --------------------------------------------------------------------------------------------------
# the portal, served on loopback


class PortalServer:
    """``create_app(settings)`` under waitress on 127.0.0.1, a free port, in a background thread.

    The asyncore loop runs in short rounds so that :meth:`stop` can end it from another thread; what it
    serves runs on waitress's own worker threads, as under ``archive-repo serve``."""

    def __init__(self, settings: Any, threads: int = 4, app: Any = None) -> None:
        import waitress

        if app is None:
            from archive_repo.portal.app import create_app

            app = create_app(settings)
        self.app = app
        self.server = waitress.create_server(
            app, host="127.0.0.1", port=0, threads=threads, ident="archive-repo-test", expose_tracebacks=False
        )
        self.port: int = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"portal-{self.port}", daemon=True)

    def _serve(self) -> None:
        from waitress import wasyncore

        server = self.server
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=0.2, map=server._map, use_poll=True, count=1)
        finally:
            wasyncore.close_all(server._map, ignore_all=True)
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def start(self) -> PortalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(Exception):
            self.server.pull_trigger()
        self._thread.join(timeout=15)

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def portal_config(home: Path, secret_env: str = "ARCHIVE_REPO_TEST_PORTAL_SECRET", **extra: Any) -> None:
    """Add a ``[portal]`` section to the repository's archive-repo.toml: plain-http cookies (the test
    serves http on loopback), the cookie key from ``secret_env``, and any ``extra`` settings."""
    import json

    config = home / "archive-repo.toml"
    text = config.read_text(encoding="utf-8")
    assert "[portal]" not in text, "the repository already has a [portal] section"
    lines = ["", "[portal]", "secure_cookies = false", f"secret_key_env = {json.dumps(secret_env)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    config.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


@contextlib.contextmanager
def quiet_waitress() -> Iterator[None]:
    """waitress logs a warning per dropped keep-alive connection when a server stops; not news."""
    logger = logging.getLogger("waitress")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
