"""How long a copy is kept under object lock (WORM): derived from the record's retention period.

TT05 code table ``maintenance``: 01 permanent, 02 70 years, 03 50, 04 30, 05 20, 06 10, 07 other. A
permanent record (or one whose period is unknown) is locked for ``lock_years_permanent`` years from now; the
lock is a floor that protects against deletion, not the retention decision itself, so it is capped by
``lock_years_max``.
"""

from __future__ import annotations

from datetime import datetime

RETENTION_YEARS = {"02": 70, "03": 50, "04": 30, "05": 20, "06": 10}


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a year without one
        return moment.replace(year=moment.year + years, day=28)


def retain_until(
    maintenance: str | None, now: datetime, *, lock_years_permanent: int, lock_years_max: int
) -> datetime:
    """The object-lock retain-until date for a record with TT05 retention code ``maintenance``."""
    years = RETENTION_YEARS.get((maintenance or "").strip(), lock_years_permanent)
    return add_years(now, max(1, min(years, lock_years_max)))
