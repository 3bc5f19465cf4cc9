"""The rules of access (TT05 ch. VI) as pure functions: the access regime that applies to a document, what
each regime allows, the fee treatment of a requester, and the review deadline in working days."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from archive_repo.access.errors import AccessError
from archive_repo.resources import profiles_dir

PUBLIC, CONDITIONAL, SECRET = "01", "02", "03"
_STRICTNESS = {PUBLIC: 0, CONDITIONAL: 1, SECRET: 2}
REVIEW_WORKING_DAYS = 6  # TT05: a request is answered within 6 working days
READING_GRACE_DAYS = 5  # TT05 art. 37: a reading copy is deleted 5 days after its reading period
AUDIO_VIDEO_PREFIXES = ("audio/", "video/")
FEE_TREATMENTS = ("exempt", "reduced", "full")


def effective_mode(*modes: str | None) -> str:
    """The stricter of the regimes given (document, dossier…). A record whose regime is not recorded is
    treated as conditional (02): it needs an approver, it is never waved through as public."""
    known = [mode for mode in modes if mode in _STRICTNESS]
    strictest = max(known, key=_STRICTNESS.__getitem__, default=CONDITIONAL)
    if len(known) < len(modes) and _STRICTNESS[strictest] < _STRICTNESS[CONDITIONAL]:
        return CONDITIONAL
    return strictest


def strictest(modes: Iterable[str]) -> str:
    return max(modes, key=_STRICTNESS.__getitem__, default=CONDITIONAL)


def is_stricter(mode: str, than: str) -> bool:
    return _STRICTNESS.get(mode, 1) > _STRICTNESS.get(than, 1)


def is_secret(mode: str) -> bool:
    return mode == SECRET


def approvable_automatically(mode: str) -> bool:
    return mode == PUBLIC


@dataclass(frozen=True)
class FeeTreatment:
    code: str
    treatment: str  # exempt | reduced | full
    percent: int  # the reduction, 100 for an exemption, 0 for the full fee
    basis_vi: str
    basis_en: str

    def basis(self, lang: str) -> str:
        return self.basis_vi if lang == "vi" else self.basis_en


@cache
def _fee_table() -> dict[str, FeeTreatment]:
    path = profiles_dir() / "access" / "fees.toml"
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))["feeObjectType"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise AccessError("access.fees_unreadable", path=str(path), detail=str(exc)) from None
    treatments = {}
    for code, entry in table.items():
        treatment = entry.get("treatment")
        if treatment not in FEE_TREATMENTS:
            raise AccessError("access.fees_unreadable", path=str(path), detail=f"{code}: {treatment!r}")
        percent = {"exempt": 100, "full": 0}.get(treatment, entry.get("percent", 0))
        treatments[code] = FeeTreatment(
            code, treatment, int(percent), entry.get("basis_vi", ""), entry.get("basis_en", "")
        )
    return treatments


def fee_treatment(fee_object_type: str) -> FeeTreatment:
    found = _fee_table().get(fee_object_type)
    if found is None:
        raise AccessError("access.unknown_code", field="feeObjectType", value=fee_object_type)
    return found


def add_working_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The ``days``-th working day after ``start`` (Monday to Friday, less the holidays given)."""
    closed = set(holidays)
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in closed:
            remaining -= 1
    return current
