"""Shared fixtures: a freshly built, valid TT05 dossier SIP in each test's own tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import build_sip_hoso


@pytest.fixture
def sip(tmp_path: Path) -> Path:
    """A valid SIP_hoso folder (three documents) that the test may damage freely."""
    return build_sip_hoso(tmp_path)


# A real headless Chromium (Debian chromium + chromedriver) for the portal's end-to-end tests: see browser.py.
from browser import browser, clean_browser, screenshots  # noqa: E402, F401 - fixtures

# SeaweedFS (a real S3 server on loopback) for the storage tests: see seaweed.py. Started lazily, once per
# session (per xdist worker), only by the tests that ask for it.
from seaweed import bucket, seaweed, seaweed_pair  # noqa: E402, F401 - fixtures
