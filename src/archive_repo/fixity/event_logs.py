"""Preservation events outside the AIP: after each audit or sync, every package it touched gets one
append-only PREMIS event log per store (``_events/<AIP folder>/<run>.xml``), so the history of checks
and recoveries survives the loss of the catalog (``archive-repo catalog rebuild`` reads them back).
The AIP itself is never rewritten, which object lock would forbid anyway."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive_repo.catalog.browse import aip_folder
from archive_repo.catalog.event_log import LoggedEvent, event_log_key, render_event_log
from archive_repo.catalog.models import PremisEvent
from archive_repo.config import Settings
from archive_repo.ingest.catalog_access import sessions
from archive_repo.storage.base import StorageError, Store

_QUERY_CHUNK = 500


def _logged(event: PremisEvent, location: str | None) -> LoggedEvent:
    agent = event.agent
    return LoggedEvent(
        identifier=event.identifier,
        type=event.type,
        occurred_at=event.occurred_at,
        outcome=event.outcome,
        detail=event.detail,
        file_path=event.file.path if event.file is not None else None,
        agent_identifier=agent.identifier if agent else "",
        agent_name=agent.name if agent else "",
        agent_type=agent.type if agent else "",
        agent_version=agent.version if agent else None,
        location=location,
    )


def write_event_logs(
    settings: Settings,
    stores: dict[str, Store],
    identifiers: dict[str, str | None],
    name: str,
    down: set[str],
) -> list[str]:
    """Write the events ``identifiers`` (with the location each is about) to every store not in ``down``;
    returns the problems met."""
    ordered = list(identifiers)
    by_package: dict[str, list[LoggedEvent]] = defaultdict(list)
    with sessions(settings.catalog_url)() as session:
        for start in range(0, len(ordered), _QUERY_CHUNK):
            chunk = ordered[start : start + _QUERY_CHUNK]
            query = (
                select(PremisEvent)
                .where(PremisEvent.identifier.in_(chunk))
                .options(
                    selectinload(PremisEvent.agent),
                    selectinload(PremisEvent.file),
                    selectinload(PremisEvent.package),
                )
            )
            for event in session.scalars(query):
                by_package[event.package.objid].append(_logged(event, identifiers[event.identifier]))
    problems = []
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    for objid, events in by_package.items():
        events.sort(key=lambda e: (e.occurred_at, e.identifier))
        with tempfile.NamedTemporaryFile(dir=settings.work_dir, suffix=".xml") as handle:
            handle.write(render_event_log(objid, events))
            handle.flush()
            for store in stores.values():
                if store.name in down:
                    continue
                try:
                    store.put_file(event_log_key(aip_folder(objid), name), Path(handle.name))
                except StorageError as exc:
                    problems.append(f"{store.name}: {exc.message_key} {exc.params}")
    return problems
