"""Signature validation on demand (``archive-repo verify-signatures``): a PDF, an XML file, or every
PDF and signed XML file of a package (folder, ZIP or bag)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from archive_repo.authenticity.pdf_signatures import validate_pdf_signatures
from archive_repo.authenticity.results import FileSignatures
from archive_repo.authenticity.stage import mentions_xmldsig, starts_like_pdf
from archive_repo.authenticity.trust import TrustStore
from archive_repo.authenticity.xml_signatures import validate_xml_signatures
from archive_repo.packages.reader import open_submission


def verify_target(target: Path, trust: TrustStore) -> list[FileSignatures]:
    if target.is_dir():
        return _verify_folder(target, target, trust)
    if target.suffix.lower() == ".zip":
        with (
            tempfile.TemporaryDirectory(prefix="archive-repo-verify-") as quarantine,
            open_submission(target, quarantine_parent=Path(quarantine)) as submission,
        ):
            if submission.top is None:
                problems = "; ".join(f.message("en") for f in submission.findings) or "unreadable ZIP"
                return [FileSignatures(target.name, error=problems)]
            return _verify_folder(submission.top, submission.top, trust)
    found = _verify_file(target, target.name, trust)
    return [found] if found is not None else [FileSignatures(target.name)]


def _verify_folder(folder: Path, root: Path, trust: TrustStore) -> list[FileSignatures]:
    results = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        found = _verify_file(path, path.relative_to(root).as_posix(), trust)
        if found is not None and (found.signed or starts_like_pdf(path)):
            results.append(found)
    return results


def _verify_file(path: Path, shown: str, trust: TrustStore) -> FileSignatures | None:
    """The file's signatures; None for a file that is neither a PDF nor XML naming XML-DSig."""
    if starts_like_pdf(path):
        return validate_pdf_signatures(path, trust, display_path=shown)
    if path.suffix.lower() == ".xml" and mentions_xmldsig(path):
        return validate_xml_signatures(path, trust, display_path=shown)
    return None
