"""Typed errors: each carries a message key so the CLI can say what went wrong in the user's language."""

from __future__ import annotations

from typing import Any

from archive_repo.i18n import translate


class ArchiveRepoError(Exception):
    """An error the user can act on; never shown as a traceback."""

    exit_code = 2

    def __init__(self, message_key: str, **params: Any) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params

    def message(self, lang: str) -> str:
        return translate(self.message_key, lang, **self.params)


class CannotOpenSubmission(ArchiveRepoError):
    """The path cannot be read at all (missing, unreadable, not a package container)."""


class UnknownProfile(ArchiveRepoError):
    """A profile name that profiles/ does not define."""
