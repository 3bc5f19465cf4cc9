"""The archive's authenticity policy: which documents must be signed and what each kind of result does.

Defaults are data (``profiles/authenticity-policy.toml``); the ``[authenticity]`` section of
``archive-repo.toml`` overrides any key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import cache
from typing import Any

from archive_repo.errors import ArchiveRepoError
from archive_repo.findings import Severity
from archive_repo.resources import profiles_dir

POLICY_FILE = "authenticity-policy.toml"


class PolicyError(ArchiveRepoError):
    """A policy key with a value the repository does not understand."""


class Action(StrEnum):
    REJECT = "reject"
    WARN = "warn"
    RECORD = "record"

    @property
    def severity(self) -> Severity:
        return {Action.REJECT: Severity.ERROR, Action.WARN: Severity.WARNING}.get(self, Severity.INFO)


@dataclass(frozen=True)
class AuthenticityPolicy:
    require_signature: frozenset[str]
    on_missing_signature: Action
    on_failed_signature: Action
    on_indeterminate_signature: Action
    on_format_mismatch: Action
    on_unlisted_format: Action
    on_unidentified_format: Action
    digitised_levels: frozenset[str]
    on_digitised_pdf_problem: Action
    on_not_scanned: Action

    @classmethod
    def from_mapping(cls, data: dict[str, Any], where: str) -> AuthenticityPolicy:
        """``data``: every key of the policy; ``where``: the file named in messages."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = data.get(spec.name)
            if spec.name in ("require_signature", "digitised_levels"):
                if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
                    raise PolicyError("policy.bad_value", path=where, key=spec.name, value=str(raw))
                values[spec.name] = frozenset(raw)
            else:
                try:
                    values[spec.name] = Action(raw)
                except ValueError:
                    raise PolicyError("policy.bad_value", path=where, key=spec.name, value=str(raw)) from None
        unknown = sorted(set(data) - {spec.name for spec in fields(cls)})
        if unknown:
            raise PolicyError("policy.unknown_key", path=where, key=", ".join(unknown))
        return cls(**values)


@cache
def default_policy_data() -> dict[str, Any]:
    with open(profiles_dir() / POLICY_FILE, "rb") as handle:
        return tomllib.load(handle)


def load_policy(overrides: dict[str, Any] | None = None, where: str = POLICY_FILE) -> AuthenticityPolicy:
    """The default policy with ``overrides`` (the settings file's ``[authenticity]`` keys) applied."""
    data = {**default_policy_data(), **(overrides or {})}
    return AuthenticityPolicy.from_mapping(data, where)
