"""Findings of a validation: what is wrong, how badly, and exactly where."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from archive_repo.i18n import translate


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Verdict(StrEnum):
    VALID = "valid"
    VALID_WITH_WARNINGS = "valid-with-warnings"
    INVALID = "invalid"


@dataclass(frozen=True)
class Location:
    """A place inside one file of the package: a line and/or an element description."""

    line: int | None = None
    element: str | None = None

    def render(self, lang: str) -> str:
        parts = []
        if self.line:
            parts.append(translate("location.line", lang, line=self.line))
        if self.element:
            parts.append(self.element)
        return ", ".join(parts)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str
    message_key: str
    params: dict[str, Any] = field(default_factory=dict)
    location: Location = Location()

    def message(self, lang: str) -> str:
        # ``element`` is stored in the location, and some messages name it too ({element}).
        return translate(self.message_key, lang, **{"element": self.location.element or "", **self.params})

    def where(self, lang: str) -> str:
        """The file inside the package, with the line / element when known: ``EAD.xml (dòng 4, <title>)``."""
        location = self.location.render(lang)
        return self.path + (f" ({location})" if location else "")

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "path": self.path,
            "location": self.location.render(lang),
            "message": self.message(lang),
        }

    def as_record(self) -> dict[str, Any]:
        """Language-neutral form for storage; :meth:`from_record` gives the finding back."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "path": self.path,
            "message_key": self.message_key,
            "params": {
                k: v if isinstance(v, int | float | str | None) else str(v) for k, v in self.params.items()
            },
            "line": self.location.line,
            "element": self.location.element,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Finding:
        return cls(
            data["rule"],
            Severity(data["severity"]),
            data["path"],
            data["message_key"],
            dict(data.get("params") or {}),
            Location(data.get("line"), data.get("element")),
        )


@dataclass
class Findings:
    """An ordered collection that checks append to."""

    items: list[Finding] = field(default_factory=list)

    def add(
        self,
        rule: str,
        severity: Severity,
        path: str,
        message_key: str,
        *,
        line: int | None = None,
        element: str | None = None,
        **params: Any,
    ) -> None:
        self.items.append(Finding(rule, severity, path, message_key, params, Location(line, element)))

    def error(self, rule: str, path: str, message_key: str, **kwargs: Any) -> None:
        self.add(rule, Severity.ERROR, path, message_key, **kwargs)

    def warning(self, rule: str, path: str, message_key: str, **kwargs: Any) -> None:
        self.add(rule, Severity.WARNING, path, message_key, **kwargs)

    def extend(self, other: Findings | list[Finding]) -> None:
        self.items.extend(other.items if isinstance(other, Findings) else other)

    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def verdict_of(findings: Findings) -> Verdict:
    if findings.has_errors():
        return Verdict.INVALID
    if any(f.severity is Severity.WARNING for f in findings):
        return Verdict.VALID_WITH_WARNINGS
    return Verdict.VALID
