"""Shared fixtures: a freshly built, valid TT05 dossier SIP in each test's own tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import build_sip_hoso


@pytest.fixture
def sip(tmp_path: Path) -> Path:
    """A valid SIP_hoso folder (three documents) that the test may damage freely."""
    return build_sip_hoso(tmp_path)
