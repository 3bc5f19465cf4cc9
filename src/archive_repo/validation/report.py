"""The outcome of validating one submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive_repo.findings import Findings, Verdict, verdict_of


@dataclass
class Report:
    package: str
    profile: str | None
    findings: Findings

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings)

    @property
    def is_valid(self) -> bool:
        return self.verdict is not Verdict.INVALID

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "package": self.package,
            "profile": self.profile,
            "verdict": str(self.verdict),
            "findings": [f.as_dict(lang) for f in self.findings],
        }

    def as_record(self) -> dict[str, Any]:
        """Language-neutral form for the catalog (findings as :meth:`Finding.as_record`)."""
        return {
            "package": self.package,
            "profile": self.profile,
            "verdict": str(self.verdict),
            "findings": [f.as_record() for f in self.findings],
        }
