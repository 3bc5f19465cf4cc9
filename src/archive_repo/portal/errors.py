"""The portal's error type: a translated message for the page; nothing stored is touched."""

from __future__ import annotations

from archive_repo.errors import ArchiveRepoError


class PortalError(ArchiveRepoError):
    """A form that cannot be accepted, or a login that fails."""
