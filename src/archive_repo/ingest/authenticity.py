"""The authenticity stage of the ingest. Until the checks of #4 exist, each is recorded as *not performed*
(never as a success): a PREMIS event says so, and the handover record lists it."""

from __future__ import annotations

from dataclasses import dataclass

from archive_repo.packages.mets_writer import timestamp
from archive_repo.packages.premis import NOT_PERFORMED, PremisEvent, linking, software_agent


@dataclass(frozen=True)
class CheckResult:
    event_type: str  # PREMIS event type
    outcome: str
    detail: str


def authenticity_checks() -> list[CheckResult]:
    return [
        CheckResult("virus check", NOT_PERFORMED, "No virus scanner is configured"),
        CheckResult(
            "format identification",
            NOT_PERFORMED,
            "No format identification tool is configured; formats are the MIME types the SIP declares",
        ),
        CheckResult("digital signature validation", NOT_PERFORMED, "Signature validation is not configured"),
    ]


def as_premis_events(checks: list[CheckResult]) -> list[PremisEvent]:
    when = timestamp()
    software = linking(software_agent(), "executing program")
    return [
        PremisEvent(type=c.event_type, date_time=when, outcome=c.outcome, detail=c.detail, agents=(software,))
        for c in checks
    ]
