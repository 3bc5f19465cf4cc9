"""A repository holding real AIPs in two local locations, and ways to compare catalogs, for the catalog
backup (export/import) and rebuild tests.

The repository holds every shipped example (accepted and rejected: submissions with reports, signature
checks, a loose-document batch) and a version chain on top of an example's dossier (REPLACEMENT, then
SUPPLEMENT), ingested one batch after another so that versions are made in a known order.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, inspect, select
from sqlalchemy.orm import Session, aliased

from archive_repo.catalog.db import engine_for
from archive_repo.catalog.models import (
    Agency,
    Base,
    Document,
    File,
    Fonds,
    Package,
    PremisAgent,
    PremisEvent,
    SignatureCheck,
    StorageCopy,
)
from archive_repo.cli import cli
from archive_repo.cli.common import guarded
from archive_repo.config import Settings, load_settings
from archive_repo.ingest.outcome import Outcome
from archive_repo.ingest.runner import ingest_batch
from helpers import EXAMPLES, NO_VIRUS_SCAN, allow_unsigned_documents, build_sip_hoso, trust_examples

SUBMISSIONS = EXAMPLES / "submissions"
LOCATIONS = ("local-1", "local-2")


def make_repository(folder: Path) -> Settings:
    argv = [
        "init",
        "-R",
        str(folder),
        "--archive-code",
        "LTLSHG",
        *NO_VIRUS_SCAN,
        "--store",
        "a",
        "--store",
        "b",
    ]
    assert guarded(cli, argv) == 0
    allow_unsigned_documents(folder)
    trust_examples(folder)
    return load_settings(folder)


def ingested_repository(folder: Path) -> Settings:
    settings = make_repository(folder / "repo")
    examples = sorted(p for p in SUBMISSIONS.iterdir() if p.name != "defective")
    summary = ingest_batch(examples + sorted((SUBMISSIONS / "defective").iterdir()), settings, workers=1)
    assert summary.count(Outcome.ACCEPTED) == 4, [
        (r.outcome.source, r.outcome.outcome) for r in summary.results
    ]
    # a version chain on the dossier of example uuid-5E0F… (H49.64.33.2024.15): replaced, then supplemented
    for name, status, documents in (("v2", "REPLACEMENT", 2), ("v3", "SUPPLEMENT", 1)):
        sip = build_sip_hoso(
            folder / name, documents, package={"title": f"Hồ sơ {name}"}, record_status=status
        )
        result = ingest_batch([sip], settings, workers=1).results[0]
        assert result.outcome.outcome is Outcome.ACCEPTED, result.outcome.report
    return settings


def copy_repository(settings: Settings, target: Path) -> Settings:
    """A copy of the whole repository (configuration, catalog, both locations) that a test may damage."""
    shutil.copytree(settings.home, target)
    return load_settings(target)


def folders(settings: Settings) -> list[str]:
    with Session(engine := engine_for(settings.catalog_url)) as session:
        found = [
            objid.replace(":", "_") for objid in session.scalars(select(Package.objid).order_by(Package.id))
        ]
    engine.dispose()
    return found


# --------------------------------------------------------------------------------------------------
# comparing catalogs


def _rows(session: Session, statement: Any) -> list[tuple]:
    return sorted((tuple(row) for row in session.execute(statement)), key=repr)


def catalog_state(url: str) -> dict[str, list[tuple]]:
    """What a catalog says about the AIPs, by natural keys (OBJID, path, location, identifier), not ids."""
    engine = engine_for(url)
    previous = aliased(Package)
    try:
        with Session(engine) as session:
            return {
                "packages": _rows(
                    session,
                    select(
                        Package.objid,
                        Package.sip_objid,
                        Package.arc_file_code,
                        Package.title,
                        Package.variant,
                        Package.record_status,
                        Package.version,
                        previous.objid,
                        Package.status,
                        Package.start_date,
                        Package.end_date,
                        Package.start_on,
                        Package.end_on,
                        Package.mode,
                        Package.search_text,
                        Agency.code,
                        Agency.name,
                        Fonds.code,
                        Fonds.name,
                        Package.maintenance,
                    )
                    .outerjoin(previous, previous.id == Package.supersedes_id)
                    .outerjoin(Agency, Agency.id == Package.agency_id)
                    .outerjoin(Fonds, Fonds.id == Package.fonds_id),
                ),
                "documents": _rows(
                    session,
                    select(
                        Package.objid,
                        Document.ordinal,
                        Document.code,
                        Document.doc_id,
                        Document.kind,
                        Document.title,
                        Document.type_code,
                        Document.issued_date,
                        Document.issued_on,
                        Document.mode,
                        Document.fields,
                        Document.search_text,
                    ).join(Package, Package.id == Document.package_id),
                ),
                "files": _rows(
                    session,
                    select(
                        Package.objid,
                        File.path,
                        File.size,
                        File.sha256,
                        File.puid,
                        File.mimetype,
                        File.role,
                        File.format_name,
                        File.format_version,
                        Document.ordinal,
                    )
                    .join(Package, Package.id == File.package_id)
                    .outerjoin(Document, Document.id == File.document_id),
                ),
                "copies": _rows(
                    session,
                    select(
                        Package.objid,
                        File.path,
                        StorageCopy.location,
                        StorageCopy.key,
                        StorageCopy.status,
                        StorageCopy.version_id,
                        StorageCopy.retain_until,
                    )
                    .join(File, File.id == StorageCopy.file_id)
                    .join(Package, Package.id == File.package_id),
                ),
                "events": _rows(
                    session,
                    select(
                        Package.objid,
                        PremisEvent.identifier,
                        PremisEvent.type,
                        PremisEvent.occurred_at,
                        PremisEvent.outcome,
                        PremisEvent.detail,
                        File.path,
                        PremisAgent.identifier,
                    )
                    .join(Package, Package.id == PremisEvent.package_id)
                    .outerjoin(File, File.id == PremisEvent.file_id)
                    .outerjoin(PremisAgent, PremisAgent.id == PremisEvent.agent_id),
                ),
                "agents": _rows(
                    session,
                    select(PremisAgent.identifier, PremisAgent.name, PremisAgent.type, PremisAgent.version),
                ),
                "signatures": _rows(
                    session,
                    select(
                        Package.objid,
                        File.path,
                        SignatureCheck.ordinal,
                        SignatureCheck.kind,
                        SignatureCheck.outcome,
                        SignatureCheck.subindication,
                        SignatureCheck.field,
                        SignatureCheck.signer,
                        SignatureCheck.signing_time,
                        SignatureCheck.timestamp_time,
                        SignatureCheck.level,
                        SignatureCheck.details["coverage"].as_string(),
                        SignatureCheck.details["modification_level"].as_string(),
                    )
                    .join(File, File.id == SignatureCheck.file_id)
                    .join(Package, Package.id == File.package_id),
                ),
            }
    finally:
        engine.dispose()


def all_rows(url: str) -> dict[str, list[tuple]]:
    """Every column of every row of every table, by primary key; for JSON columns also whether the value
    is SQL NULL (JSON ``null`` reads back as None too)."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            result = {}
            for table in Base.metadata.sorted_tables:
                json_columns = [c for c in table.columns if isinstance(c.type, JSON)]
                statement = select(table, *[c.is_(None) for c in json_columns]).order_by(
                    *table.primary_key.columns
                )
                result[table.name] = [tuple(row) for row in connection.execute(statement)]
            return result
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = engine_for(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
