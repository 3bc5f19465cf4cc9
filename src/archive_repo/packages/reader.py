"""Open a submission (folder, ZIP, BagIt bag) safely and find the package root inside it.

A folder is read in place and never written. A ZIP is unpacked into a private quarantine folder that
is removed when the context ends. A bag is recognised by its ``bagit.txt``; its payload may hold a
package (METS.xml at the top of ``data/`` or of its single sub-folder) or be a plain payload.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from archive_repo.errors import CannotOpenSubmission
from archive_repo.findings import Findings
from archive_repo.packages.limits import UnpackLimits
from archive_repo.packages.safezip import UnpackAborted, remove_tree, unpack_zip

ROOT_METS = "METS.xml"
_IGNORED_TOP_LEVEL = {"__MACOSX", ".DS_Store", "Thumbs.db"}


@dataclass
class Submission:
    source: Path
    container: str  # "folder" | "zip"
    top: Path | None  # the unpacked top folder (None when unpacking failed)
    bag_root: Path | None = None
    package_root: Path | None = None
    findings: Findings = field(default_factory=Findings)

    @property
    def is_bag(self) -> bool:
        return self.bag_root is not None


def _single_child_folder(folder: Path) -> Path | None:
    children = [c for c in folder.iterdir() if c.name not in _IGNORED_TOP_LEVEL]
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink():
        return children[0]
    return None


def _find_root(folder: Path, marker: str) -> Path | None:
    """``folder`` if it holds ``marker``, else its single sub-folder if that one does."""
    if (folder / marker).is_file():
        return folder
    child = _single_child_folder(folder)
    if child is not None and (child / marker).is_file():
        return child
    return None


def locate_roots(submission: Submission) -> None:
    top = submission.top
    if top is None:
        return
    bag_root = _find_root(top, "bagit.txt")
    if bag_root is not None:
        submission.bag_root = bag_root
        payload = bag_root / "data"
        submission.package_root = _find_root(payload, ROOT_METS) if payload.is_dir() else None
    else:
        submission.package_root = _find_root(top, ROOT_METS)


@contextmanager
def open_submission(
    path: Path, limits: UnpackLimits | None = None, quarantine_parent: Path | None = None
) -> Iterator[Submission]:
    """Yield the opened submission; any quarantine it needed is gone afterwards."""
    limits = limits or UnpackLimits()
    if not path.exists():
        raise CannotOpenSubmission("cli.path_missing", path=str(path))
    if path.is_dir():
        submission = Submission(path, "folder", path)
        locate_roots(submission)
        yield submission
        return
    if not path.is_file():
        raise CannotOpenSubmission("cli.path_not_package", path=str(path))
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise CannotOpenSubmission("cli.path_unreadable", path=str(path), detail=str(exc)) from None
    if not is_zip:
        raise CannotOpenSubmission("cli.path_not_package", path=str(path))
    if quarantine_parent is not None:
        quarantine_parent.mkdir(parents=True, exist_ok=True)
    quarantine = Path(tempfile.mkdtemp(prefix="quarantine-", dir=quarantine_parent))
    try:
        submission = Submission(path, "zip", quarantine)
        try:
            unpack_zip(path, quarantine, limits, submission.findings)
        except UnpackAborted:
            submission.top = None
        locate_roots(submission)
        yield submission
    finally:
        remove_tree(quarantine)
