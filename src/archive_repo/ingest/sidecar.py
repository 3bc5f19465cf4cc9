"""BagIt transfers of plain files with a TT05 sidecar: ``data/tt05-description.toml`` in the bag's payload.

The sidecar has the format of ``archive-repo sip build`` descriptions (dossier fields, documents and their
files, relative to the payload). The ingest builds the TT05 SIP from it, validates that SIP too, and goes
on as for any SIP. Files named by the sidecar must lie inside the payload: a sidecar cannot reach out.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from archive_repo.errors import ArchiveRepoError
from archive_repo.packages.reader import Submission
from archive_repo.sip.builder import build_sip
from archive_repo.sip.description import load_description

SIDECAR = "tt05-description.toml"


class SidecarError(ArchiveRepoError):
    """The sidecar names a file outside the bag's payload."""


def sidecar_of(submission: Submission) -> Path | None:
    if submission.bag_root is None or submission.package_root is not None:
        return None
    candidate = submission.bag_root / "data" / SIDECAR
    return candidate if candidate.is_file() and not candidate.is_symlink() else None


def build_from_sidecar(sidecar: Path, out_parent: Path) -> Path:
    """Build the SIP the sidecar describes under ``out_parent``; returns the SIP folder."""
    payload = sidecar.parent.resolve()
    description = load_description(sidecar)
    for document in description.documents:
        if document.file is None:
            continue
        resolved = document.file.resolve()
        if not resolved.is_relative_to(payload) or document.file.is_symlink():
            raise SidecarError("ingest.sidecar_outside", where=document.where, file=str(document.file))
    target = out_parent / f"sidecar-{uuid.uuid4().hex}"
    target.mkdir(parents=True)
    return build_sip(description, target).folder
