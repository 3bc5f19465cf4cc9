"""Values the catalog stores in a normalised form, computed in Python so SQLite and PostgreSQL agree.

``fold`` makes search text case- and diacritic-insensitive (Vietnamese: ``Hội nghị`` → ``hoi nghi``,
``đ`` → ``d``); ``date_range`` turns the partial dates of TT05 metadata (``DD/MM/YYYY``, ``MM/YYYY``,
``YYYY``, or ISO 8601) into the first and last day they can mean, for range searches.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from datetime import date

_SPACES = re.compile(r"\s+")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MY = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_Y = re.compile(r"^(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ].*)?$")


def fold(text: str | None) -> str:
    """Lowercase, without diacritics (``đ`` → ``d``), whitespace collapsed: what search compares."""
    if not text:
        return ""
    lowered = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    stripped = "".join(ch for ch in lowered if not unicodedata.combining(ch))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


def search_text(parts: Iterable[str | None]) -> str:
    """The folded words of ``parts``, one space apart (stored in ``search_text`` columns)."""
    return " ".join(folded for folded in (fold(part) for part in parts) if folded)


def date_range(text: str | None) -> tuple[date, date] | None:
    """The first and last day a TT05 date may mean (``2024`` → 1 Jan..31 Dec 2024); None if not a date."""
    value = (text or "").strip()
    try:
        if match := _DMY.match(value):
            day = date(int(match[3]), int(match[2]), int(match[1]))
            return day, day
        if match := _ISO.match(value):
            year, month = int(match[1]), int(match[2])
            if match[3]:
                day = date(year, month, int(match[3]))
                return day, day
            return _month(year, month)
        if match := _MY.match(value):
            return _month(int(match[2]), int(match[1]))
        if match := _Y.match(value):
            return date(int(match[1]), 1, 1), date(int(match[1]), 12, 31)
    except ValueError:
        return None
    return None


def first_day(text: str | None) -> date | None:
    found = date_range(text)
    return found[0] if found else None


def last_day(text: str | None) -> date | None:
    found = date_range(text)
    return found[1] if found else None


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
