"""The serif font of copies and stamps: Times New Roman, or Liberation Serif, its metric-compatible free
twin (TT05 art. 40: "BẢN SAO" in Times New Roman, regular, 10 pt, black)."""

from __future__ import annotations

import functools
import hashlib
import os
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from archive_repo.access.errors import AccessError

SERIF_FONT_ENV = "ARCHIVE_REPO_SERIF_FONT"
# Debian: fonts-liberation2 (or fonts-liberation); ttf-mscorefonts-installer puts Times New Roman here.
SERIF_FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/msttcorefonts/Times_New_Roman.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
)


def find_serif_font() -> Path:
    """``$ARCHIVE_REPO_SERIF_FONT``, else the first installed of SERIF_FONT_CANDIDATES."""
    configured = os.environ.get(SERIF_FONT_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if path.is_file():
            return path
        raise AccessError("access_font.env_missing", path=configured, env=SERIF_FONT_ENV)
    for candidate in SERIF_FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(p) for p in SERIF_FONT_CANDIDATES)
    raise AccessError("access_font.missing", searched=searched, env=SERIF_FONT_ENV)


@functools.cache
def registered_font(path: Path) -> str:
    """The reportlab name of the TrueType font at ``path``, registered once per process (embedded as a
    subset in every PDF that uses it)."""
    name = "ArchiveFont-" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    try:
        pdfmetrics.registerFont(TTFont(name, str(path)))
    except (TTFError, OSError) as exc:
        raise AccessError("access_font.unreadable", path=str(path), detail=str(exc)) from exc
    return name


def nfc_text(value: str) -> str:
    """NFC, so that Vietnamese letters are the font's precomposed glyphs, not a base plus loose marks."""
    return unicodedata.normalize("NFC", value)
