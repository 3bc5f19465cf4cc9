"""Preservation events outside the AIP: after each audit or sync, every package it touched gets one
append-only PREMIS event log per store (``_events/<AIP folder>/<run>.xml``), so the history of checks
and recoveries survives the loss of the catalog (``archive-repo catalog rebuild`` reads them back).
The AIP itself is never rewritten, which object lock would forbid anyway.

The run's events are read from the catalog package by package and written on a few threads, so a run
that touched a million packages needs neither the memory to hold them nor a day to write them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import groupby
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive_repo.catalog.browse import aip_folder
from archive_repo.catalog.event_log import LoggedEvent, event_log_key, render_event_log
from archive_repo.catalog.models import Package, PremisEvent
from archive_repo.config import Settings
from archive_repo.ingest.catalog_access import sessions
from archive_repo.storage.base import StorageError, Store

_PAGE = 1000


def _logged(event: PremisEvent) -> LoggedEvent:
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
        location=event.location,
    )


def _events_by_package(settings: Settings, run_id: int) -> Iterator[tuple[str, list[LoggedEvent]]]:
    """(OBJID, its events of run ``run_id``), a page of events at a time (keyset pagination)."""
    factory = sessions(settings.catalog_url)
    last = (0, 0)
    carry: tuple[str, list[LoggedEvent]] | None = None
    while True:
        with factory() as session:
            query = (
                select(PremisEvent, Package.objid)
                .join(Package, PremisEvent.package_id == Package.id)
                .where(
                    PremisEvent.run_id == run_id,
                    (PremisEvent.package_id > last[0])
                    | ((PremisEvent.package_id == last[0]) & (PremisEvent.id > last[1])),
                )
                .order_by(PremisEvent.package_id, PremisEvent.id)
                .limit(_PAGE)
                .options(selectinload(PremisEvent.agent), selectinload(PremisEvent.file))
            )
            rows = session.execute(query).all()
            page = [(objid, _logged(event)) for event, objid in rows]
            if rows:
                last = (rows[-1][0].package_id, rows[-1][0].id)
        for objid, group in groupby(page, key=lambda row: row[0]):
            events = [event for _, event in group]
            if carry is not None and carry[0] == objid:
                carry[1].extend(events)
                continue
            if carry is not None:
                yield carry
            carry = (objid, events)
        if len(rows) < _PAGE:
            break
    if carry is not None:
        yield carry


def _write_one(
    settings: Settings, stores: list[Store], objid: str, events: list[LoggedEvent], name: str
) -> list[str]:
    problems = []
    events.sort(key=lambda e: (e.occurred_at, e.identifier))
    with tempfile.NamedTemporaryFile(dir=settings.work_dir, suffix=".xml") as handle:
        handle.write(render_event_log(objid, events))
        handle.flush()
        for store in stores:
            try:
                store.put_file(event_log_key(aip_folder(objid), name), Path(handle.name))
            except StorageError as exc:
                problems.append(f"{store.name}: {exc.message('en')}")
    return problems


def write_event_logs(
    settings: Settings, stores: dict[str, Store], run_id: int, name: str, down: set[str], workers: int = 2
) -> list[str]:
    """Write the events of run ``run_id`` to every store not in ``down``; returns the problems met."""
    targets = [store for store in stores.values() if store.name not in down]
    if not targets:
        return []
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    pending: set[Future[list[str]]] = set()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for objid, events in _events_by_package(settings, run_id):
            pending.add(pool.submit(_write_one, settings, targets, objid, events, name))
            if len(pending) >= 4 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    problems.extend(future.result())
        for future in pending:
            problems.extend(future.result())
    return problems
