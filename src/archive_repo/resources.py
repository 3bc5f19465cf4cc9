"""Where the project's data folders (profiles/, metadata_schemas/) live.

They sit at the repository root so that archivists can read and edit them as data. An installation
from a checkout (``pip install -e .``) finds them there; ``ARCHIVE_REPO_DATA`` points elsewhere.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


@cache
def data_root() -> Path:
    configured = os.environ.get("ARCHIVE_REPO_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2]


def profiles_dir() -> Path:
    return data_root() / "profiles"


def metadata_schemas_dir() -> Path:
    return data_root() / "metadata_schemas"


def package_xsd_dir() -> Path:
    """XSDs written by this project and shipped inside the Python package (CSIP extensions)."""
    return Path(__file__).resolve().parent / "xsd"
