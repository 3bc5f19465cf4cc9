"""Which version an incoming dossier becomes, from its METS RECORDSTATUS and what the catalog holds.

- ``NEW`` (or ``OTHER``): version 1; refused when the archive already holds that arcFileCode.
- ``REPLACEMENT``: version n+1 of the held dossier; the previous version becomes ``superseded``
  (kept and retrievable, no longer the current one).
- ``SUPPLEMENT``: version n+1 holding the added documents; earlier versions stay ``active`` (the
  dossier is the union of its versions).
- ``TEST``: validated but never archived.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from archive_repo.catalog.models import Package
from archive_repo.catalog.queries import latest_version


@dataclass(frozen=True)
class VersionPlan:
    version: int
    previous: Package | None
    supersede_previous: bool


class VersionConflict(Exception):
    def __init__(self, message_key: str, **params: object) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.params = params


def plan_version(session: Session, arc_file_code: str, record_status: str) -> VersionPlan:
    status = (record_status or "NEW").upper()
    if status == "TEST":
        raise VersionConflict("ingest.test_package", code=arc_file_code)
    latest = latest_version(session, arc_file_code)
    if status in ("SUPPLEMENT", "REPLACEMENT"):
        if latest is None:
            raise VersionConflict("ingest.nothing_to_supersede", code=arc_file_code, status=status)
        return VersionPlan(latest.version + 1, latest, supersede_previous=status == "REPLACEMENT")
    if latest is not None:
        raise VersionConflict("ingest.already_held", code=arc_file_code, objid=latest.objid)
    return VersionPlan(1, None, supersede_previous=False)
