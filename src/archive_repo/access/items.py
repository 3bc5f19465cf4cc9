"""What a researcher asks for, found in the catalog: a document (by docCode or arcDocCode) or a whole
dossier (by arcFileCode, AIP OBJID or the OBJID of the SIP it came from), each document with the access
regime that applies to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_repo.access.errors import AccessError
from archive_repo.access.rules import effective_mode
from archive_repo.catalog.models import Document, Package


@dataclass(frozen=True)
class WantedDocument:
    asked_as: str
    package: Package
    document: Document
    mode: str


def find_wanted(session: Session, asked: Iterable[str], archive_code: str) -> list[WantedDocument]:
    """Every document the identifiers name, in the order asked (a dossier: its documents by ordinal);
    an identifier that names nothing held is an error naming it."""
    wanted: list[WantedDocument] = []
    seen: set[int] = set()
    for identifier in asked:
        documents = _documents_named(session, identifier.strip(), archive_code)
        if not documents:
            raise AccessError("access.item_not_found", item=identifier)
        for document in documents:
            if document.id in seen:
                continue
            seen.add(document.id)
            package = document.package
            wanted.append(
                WantedDocument(identifier, package, document, effective_mode(document.mode, package.mode))
            )
    return wanted


def current_mode(document: Document) -> str:
    return effective_mode(document.mode, document.package.mode)


def _documents_named(session: Session, identifier: str, archive_code: str) -> list[Document]:
    if not identifier:
        return []
    active = Package.status == "active"
    codes = [identifier]
    prefix = archive_code + "."
    if identifier.startswith(prefix):  # an arcDocCode: the archive's code before the docCode
        codes.append(identifier[len(prefix) :])
    found = session.scalars(
        select(Document).join(Package).where(active, Document.code.in_(codes)).order_by(Document.id)
    ).all()
    if found:
        return list(found)
    package = session.scalars(
        select(Package).where(
            active,
            (Package.arc_file_code == identifier)
            | (Package.objid == identifier)
            | (Package.sip_objid == identifier),
        )
    ).first()
    if package is None:
        return []
    return list(
        session.scalars(select(Document).where(Document.package_id == package.id).order_by(Document.ordinal))
    )
