"""What a researcher asks for, found in the catalog: a document (by docCode or arcDocCode) or a whole
dossier (by arcFileCode, AIP OBJID or the OBJID of the SIP it came from), each document with the access
regime that applies to it.

A document of a dossier that is only a holey reference (``.fetch.txt``: its content came with an earlier
transfer) has nothing to issue here: asked for alone it is an error that says so, inside a dossier it is
left out and reported; the researcher asks for the earlier document by its own code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive_repo.access.errors import AccessError
from archive_repo.access.rules import effective_mode
from archive_repo.catalog.models import Document, File, Package
from archive_repo.packages.convert import HOLEY_SUFFIX


@dataclass(frozen=True)
class WantedDocument:
    asked_as: str
    package: Package
    document: Document
    mode: str


@dataclass
class Wanted:
    documents: list[WantedDocument] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # documents of a dossier that are holey references


def find_wanted(session: Session, asked: Iterable[str], archive_code: str) -> Wanted:
    """Every document the identifiers name, in the order asked (a dossier: its documents by ordinal);
    an identifier that names nothing held is an error naming it."""
    wanted = Wanted()
    seen: set[int] = set()
    for identifier in asked:
        documents, whole_dossier = _documents_named(session, identifier.strip(), archive_code)
        if not documents:
            raise AccessError("access.item_not_found", item=identifier)
        for document in documents:
            if not data_files(document):
                if not whole_dossier:
                    raise AccessError("access.reference_only", item=identifier)
                wanted.references.append(document.code or str(document.id))
                continue
            if document.id in seen:
                continue
            seen.add(document.id)
            wanted.documents.append(
                WantedDocument(identifier, document.package, document, current_mode(document))
            )
    return wanted


def document_modes(document: Document, dossier: Package | None = None) -> tuple[str | None, ...]:
    """The regimes that apply to a document: its own and its dossier's (``dossier``: by default its own
    package). A batch of loose documents (``*_tailieu``) has no regime of its own: only the document's
    counts there."""
    package = dossier or document.package
    if package.mode is None and package.variant.endswith("tailieu"):
        return (document.mode,)
    return (document.mode, package.mode)


def current_mode(document: Document) -> str:
    """The regime of ``document`` as the catalog says now. A dossier is reclassified by a new version
    (REPLACEMENT, SUPPLEMENT) that supersedes the one a request or an output points to: the newest
    version's dossier regime applies, with the document's regime in the newest version that holds it."""
    versions = [document.package]
    while versions[-1].superseded_by is not None:
        versions.append(versions[-1].superseded_by)
    newest = document
    for package in reversed(versions[1:]):
        found = next((d for d in package.documents if document.code and d.code == document.code), None)
        if found is not None:
            newest = found
            break
    return effective_mode(*document_modes(newest, versions[-1]))


def data_files(document: Document) -> list[File]:
    """The document's content files (a holey reference is not content)."""
    return sorted(
        (f for f in document.files if f.role == "data" and not f.path.endswith(HOLEY_SUFFIX)),
        key=lambda f: f.path,
    )


def _documents_named(session: Session, identifier: str, archive_code: str) -> tuple[list[Document], bool]:
    if not identifier:
        return [], False
    active = Package.status == "active"
    codes = [identifier]
    prefix = archive_code + "."
    if identifier.startswith(prefix):  # an arcDocCode: the archive's code before the docCode
        codes.append(identifier[len(prefix) :])
    found = session.scalars(
        select(Document).join(Package).where(active, Document.code.in_(codes)).order_by(Document.id)
    ).all()
    if found:
        return list(found), False
    package = session.scalars(
        select(Package).where(
            active,
            (Package.arc_file_code == identifier)
            | (Package.objid == identifier)
            | (Package.sip_objid == identifier),
        )
    ).first()
    if package is None:
        return [], False
    documents = session.scalars(
        select(Document).where(Document.package_id == package.id).order_by(Document.ordinal)
    )
    return list(documents), True
