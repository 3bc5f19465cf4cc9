"""The one error type of the access area: a located, translated message and a non-zero exit."""

from __future__ import annotations

from archive_repo.errors import ArchiveRepoError


class AccessError(ArchiveRepoError):
    """A request, a decision or an output that cannot be made; nothing stored is touched."""


class RecordedRefusal(AccessError):
    """A refusal whose reasons were recorded (e.g. an output withdrawn because its record became secret):
    the caller commits what was recorded before reporting it."""
