"""Compare the catalog with an AIP's own METS: the files it lists, their sizes and SHA-256.

The catalog is an index; the AIP is the source of truth. A catalog row that disagrees with the METS of a
copy that just verified means the catalog was changed or damaged, which an audit must report (it is not
repaired automatically: a person decides which side is wrong).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_repo.catalog.models import File
from archive_repo.fixity.plan import CopyTask
from archive_repo.ingest.catalog_access import sessions
from archive_repo.packages.mets import href_to_relative, references
from archive_repo.xmlsafe import XmlProblem, parse_xml_bytes


def catalog_mismatches(session: Session, data: bytes, mets: CopyTask) -> list[tuple[int, str, str]]:
    """(file id, path, what differs) for every catalog file the METS ``data`` (the verified bytes of the
    copy ``mets``) describes differently."""
    try:
        root = parse_xml_bytes(data).getroot()
    except XmlProblem as exc:
        return [(mets.file_id, mets.path, f"METS unreadable: {exc}")]
    files = {f.path: f for f in session.scalars(select(File).where(File.package_id == mets.package_id))}
    base = posixpath.dirname(mets.path)
    found = []
    for reference in references(root):
        relative = href_to_relative(reference.href)
        if reference.kind == "mptr" or relative is None or not reference.checksum:
            continue
        path = posixpath.normpath(posixpath.join(base, relative))
        file = files.get(path)
        if file is None:
            found.append((mets.file_id, path, f"{mets.path} lists {path}, which the catalog does not have"))
            continue
        size_differs = reference.size is not None and reference.size != str(file.size)
        if size_differs or reference.checksum.lower() != file.sha256:
            found.append(
                (
                    file.id,
                    path,
                    f"{mets.path} says {reference.size} B sha256 {reference.checksum.lower()}, "
                    f"the catalog {file.size} B sha256 {file.sha256}",
                )
            )
    return found


def mets_checker(catalog_url: str) -> Callable[[bytes, CopyTask], list[tuple[int, str, str]]]:
    """``catalog_mismatches`` with a session of its own, for the audit's worker threads."""
    factory = sessions(catalog_url)

    def check(data: bytes, mets: CopyTask) -> list[tuple[int, str, str]]:
        with factory() as session:
            return catalog_mismatches(session, data, mets)

    return check
