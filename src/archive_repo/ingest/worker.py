"""Process one submission up to (not including) the catalog commit: quarantine, validation,
authenticity, conversion into a staging folder, and storage of every copy.

Runs in a worker process; returns a :class:`SubmissionOutcome` and never raises for bad input. Before it
writes anything to a store it commits a ``StorageIntent``; the runner's commit deletes the intent in the
same transaction that makes the package visible, so a crash at any point leaves either a visible,
complete package or intents naming exactly the orphaned objects (``archive-repo doctor`` removes them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select

from archive_repo.authenticity.stage import AuthenticityContext, check_contents, context_for, scan_for_viruses
from archive_repo.catalog.db import transaction
from archive_repo.catalog.models import Document, File, Package, StorageIntent, utcnow
from archive_repo.catalog.queries import submission_by_digest
from archive_repo.config import Settings
from archive_repo.errors import ArchiveRepoError
from archive_repo.hashing import DigestCache
from archive_repo.ingest.catalog_access import sessions, writer_sessions
from archive_repo.ingest.crashpoints import crash_point
from archive_repo.ingest.describe import describe
from archive_repo.ingest.digest import submission_digest
from archive_repo.ingest.outcome import CopyInfo, Outcome, PackageInfo, SubmissionOutcome
from archive_repo.ingest.sidecar import SIDECAR, build_from_sidecar, sidecar_of
from archive_repo.ingest.versions import VersionConflict, plan_version
from archive_repo.packages.convert import (
    AIP_OF_SIP,
    AipFile,
    ConversionError,
    ConvertedAip,
    convert_sip_to_aip,
    sip_contents,
)
from archive_repo.packages.mets_writer import timestamp
from archive_repo.packages.premis import SUCCESS, PremisEvent, linking, software_agent
from archive_repo.packages.reader import Submission, open_submission
from archive_repo.storage.base import ObjectLockedError, Store, StoredObject, aip_key, check_stored
from archive_repo.storage.policy import retain_until
from archive_repo.storage.registry import open_stores
from archive_repo.validation.report import Report
from archive_repo.validation.validator import validate_path, validate_submission


@dataclass(frozen=True)
class IngestJob:
    settings: Settings
    run_id: int | None = None
    skip_virus_scan: bool = False  # the operator's explicit opt-out (--no-virus-scan)

    @property
    def authenticity(self) -> AuthenticityContext:
        return context_for(self.settings, self.skip_virus_scan)


def process_submission(source: Path, job: IngestJob) -> SubmissionOutcome:
    started = time.monotonic()
    try:
        outcome = _process(source, job)
    except ArchiveRepoError as exc:
        outcome = SubmissionOutcome(
            str(source), Outcome.FAILED, message_key=exc.message_key, message_params=exc.params
        )
    except OSError as exc:
        outcome = SubmissionOutcome(
            str(source), Outcome.FAILED, message_key="ingest.io_error", message_params={"detail": str(exc)}
        )
    outcome.seconds = time.monotonic() - started
    return outcome


def _process(source: Path, job: IngestJob) -> SubmissionOutcome:
    settings = job.settings
    quarantine = settings.work_dir / "quarantine" / str(os.getpid())
    try:
        return _process_opened(source, job, quarantine)
    finally:
        _remove_if_empty(quarantine)
        _remove_if_empty(settings.work_dir / "staging" / str(os.getpid()))


def _remove_if_empty(folder: Path) -> None:
    """This process's own quarantine or staging parent, once nothing is left in it (a crash leaves it to
    ``archive-repo doctor``; a finished submission must not)."""
    with contextlib.suppress(OSError):
        folder.rmdir()


def _process_opened(source: Path, job: IngestJob, quarantine: Path) -> SubmissionOutcome:
    settings = job.settings
    with open_submission(source, quarantine_parent=quarantine) as submission:
        crash_point("after-unpack")
        digests = DigestCache()
        report = validate_submission(submission, digests=digests)
        digest = submission_digest(submission, digests)
        crash_point("after-validate")
        with sessions(settings.catalog_url)() as session:
            seen = submission_by_digest(session, digest)
            if seen is not None and seen.status == "accepted" and seen.package is not None:
                return SubmissionOutcome(
                    str(source),
                    Outcome.DUPLICATE,
                    digest,
                    report.as_record(),
                    duplicate_of=seen.package.objid,
                )
        virus_event = _scan(submission, report, job)
        sidecar = sidecar_of(submission) if report.is_valid else None
        if sidecar is not None:
            return _ingest_sidecar(submission, sidecar, report, digest, job, virus_event)
        sip_profile = _tt05_sip_profile(submission, report)
        if not report.is_valid or sip_profile is None:
            return SubmissionOutcome(str(source), Outcome.REJECTED, digest, report.as_record())
        assert submission.package_root is not None
        return _convert_and_store(submission, submission.package_root, report, digest, job, virus_event)


def _scan(submission: Submission, report: Report, job: IngestJob) -> PremisEvent:
    """Scan everything received, valid or not: a virus is worth reporting even in a rejected package."""
    folder = submission.top or submission.source
    event, _ = scan_for_viruses(folder, job.authenticity, report.findings)
    return event


def _ingest_sidecar(
    submission: Submission,
    sidecar: Path,
    report: Report,
    digest: str,
    job: IngestJob,
    virus_event: PremisEvent,
) -> SubmissionOutcome:
    """A bag of plain files with a TT05 sidecar: build the SIP it describes, validate it, ingest it."""
    staging_parent = job.settings.work_dir / "staging" / str(os.getpid())
    built: Path | None = None
    try:
        try:
            built = build_from_sidecar(sidecar, staging_parent)
        except ArchiveRepoError as exc:
            where = sidecar.relative_to(submission.top).as_posix() if submission.top else sidecar.name
            report.findings.error("ingest.sidecar", where, exc.message_key, **exc.params)
            return SubmissionOutcome(str(submission.source), Outcome.REJECTED, digest, report.as_record())
        built_report = validate_path(built)
        report.findings.extend(built_report.findings)
        report.profile = f"{report.profile} + {SIDECAR} → {built_report.profile}"
        if not report.is_valid or (built_report.profile or "") not in AIP_OF_SIP:
            return SubmissionOutcome(str(submission.source), Outcome.REJECTED, digest, report.as_record())
        return _convert_and_store(
            submission, built, built_report, digest, job, virus_event, full_report=report
        )
    finally:
        if built is not None:
            shutil.rmtree(built.parent, ignore_errors=True)


def _tt05_sip_profile(submission: Submission, report: Report) -> str | None:
    """The TT05 SIP profile the package was validated under; else an error finding says what is missing."""
    profile = (report.profile or "").split(" + ")[-1]
    if profile in AIP_OF_SIP:
        return profile
    if report.is_valid:
        root = submission.package_root
        missing = []
        if root is None or not (root / "metadata/descriptive/EAD.xml").is_file():
            missing.append("metadata/descriptive/EAD.xml (fileCode, title, mode …)")
        if root is None or not (root / "METS.xml").is_file():
            missing.append("METS.xml")
        report.findings.error(
            "ingest.not-tt05-sip",
            ".",
            "ingest.not_tt05_sip",
            profile=profile or "-",
            missing="; ".join(missing) or "TT05 SIP_hoso / SIP_tailieu",
        )
    return None


def _convert_and_store(
    submission: Submission,
    sip_root: Path,
    report: Report,
    digest: str,
    job: IngestJob,
    virus_event: PremisEvent,
    full_report: Report | None = None,
) -> SubmissionOutcome:
    """``report``: the SIP's own validation report (given to the conversion); ``full_report``: what the
    outcome carries when it says more (a bag's findings around a SIP built from a sidecar)."""
    settings = job.settings
    carried = full_report or report
    staging_parent = settings.work_dir / "staging" / str(os.getpid())
    profile = (report.profile or "").split(" + ")[-1]
    checked = check_contents(sip_root, sip_contents(sip_root, profile), job.authenticity, carried.findings)
    if not carried.is_valid:
        return SubmissionOutcome(str(submission.source), Outcome.REJECTED, digest, carried.as_record())
    events = [_quarantine_event(submission), virus_event, *checked.events, _ingestion_event(settings)]
    try:
        aip = convert_sip_to_aip(
            sip_root,
            staging_parent,
            archive_code=settings.archive_code,
            archive_name=settings.archive_name or None,
            events=events,
            report=report,
            resolve_holey=_holey_resolver(settings),
            copy_data=False,
            file_facts=checked.file_facts,
        )
    except ConversionError as exc:
        carried.findings.error("ingest.conversion", ".", exc.message_key, **exc.params)
        return SubmissionOutcome(str(submission.source), Outcome.REJECTED, digest, carried.as_record())
    try:
        crash_point("after-convert")
        package = describe(aip, settings.archive_code)
        conflict = _version_conflict(settings, package)
        if conflict is not None:
            carried.findings.error("ingest.version", "METS.xml", conflict.message_key, **conflict.params)
            return SubmissionOutcome(str(submission.source), Outcome.REJECTED, digest, carried.as_record())
        _store(aip, package, job)
        crash_point("after-store")
    finally:
        shutil.rmtree(aip.folder, ignore_errors=True)
    return SubmissionOutcome(str(submission.source), Outcome.ACCEPTED, digest, carried.as_record(), package)


def _version_conflict(settings: Settings, package: PackageInfo) -> VersionConflict | None:
    with sessions(settings.catalog_url)() as session:
        try:
            plan = plan_version(session, package.arc_file_code, package.record_status)
        except VersionConflict as conflict:
            return conflict
    package.supersedes_objid = plan.previous.objid if plan.previous is not None else None
    return None


def _store(aip: ConvertedAip, package: PackageInfo, job: IngestJob) -> None:
    settings = job.settings
    stores = open_stores(settings)
    with transaction(writer_sessions(settings.catalog_url)) as session:
        for store in stores:
            session.add(
                StorageIntent(
                    objid=aip.objid,
                    location=store.name,
                    prefix=package.folder + "/",
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    run_id=job.run_id,
                )
            )
    policy = settings.storage_policy
    retention = retain_until(
        package.fields.get("maintenance"),
        utcnow(),
        lock_years_permanent=policy.lock_years_permanent,
        lock_years_max=policy.lock_years_max,
    )
    try:
        _copy_everywhere(aip, package, stores, retention)
    except BaseException:
        discard_stored(settings, aip.objid, package.folder)
        raise


# Copies overlap: while one file waits for its fsync, others are read, hashed and written (hashlib and
# file I/O release the GIL).
_COPY_THREADS = 4


def _copy_everywhere(
    aip: ConvertedAip, package: PackageInfo, stores: list[Store], retention: datetime | None
) -> None:
    by_path = {f.path: f for f in package.files}
    first = True
    with ThreadPoolExecutor(max_workers=_COPY_THREADS) as pool:
        for store in stores:
            locked = retention if store.supports_object_lock() else None
            futures = [
                pool.submit(_copy_one, store, package.folder, aip_file, aip.folder, locked)
                for aip_file in aip.files
            ]
            for aip_file, future in zip(aip.files, futures, strict=True):
                stored = future.result()
                by_path[aip_file.path].copies.append(
                    CopyInfo(store.name, stored.key, stored.version_id, stored.retain_until)
                )
                if first:
                    first = False
                    crash_point("mid-store")
            store.flush(package.folder)


def _copy_one(
    store: Store, folder: str, aip_file: AipFile, staging: Path, retain_until: datetime | None
) -> StoredObject:
    """Store one file and check what the store reports."""
    key = aip_key(folder, aip_file.path)
    stored = store.put_file(
        key,
        aip_file.source or staging / aip_file.path,
        size=aip_file.size,
        sha256=aip_file.sha256,
        retain_until=retain_until,
    )
    return check_stored(store.name, stored, aip_file.size, aip_file.sha256)  # what it reports, checked again


def discard_stored(settings: Settings, objid: str, folder: str) -> None:
    """Remove what an unfinished ingest stored under ``folder`` and its intents (nothing was committed)."""
    for store in open_stores(settings):
        # Retained objects stay until their lock ends; nothing in the catalog names them.
        with contextlib.suppress(ObjectLockedError):
            store.delete_prefix(folder + "/")
    with transaction(writer_sessions(settings.catalog_url)) as session:
        session.execute(delete(StorageIntent).where(StorageIntent.objid == objid))


def _holey_resolver(settings: Settings):  # noqa: ANN202 - HoleyResolver
    def resolve(document_id: str) -> tuple[str, str, int] | None:
        with sessions(settings.catalog_url)() as session:
            query = (
                select(Package.objid, File.path, File.size)
                .join(Document, Document.package_id == Package.id)
                .join(File, (File.document_id == Document.id) & (File.role == "data"))
                .where(
                    Package.status == "active",
                    (Document.doc_id == document_id) | (Document.code == document_id),
                )
                .order_by(Package.version.desc())
                .limit(1)
            )
            row = session.execute(query).first()
            return (row[0], row[1], row[2]) if row is not None else None

    return resolve


def _quarantine_event(submission: Submission) -> PremisEvent:
    detail = (
        "ZIP unpacked into a private quarantine folder with path, size and entry limits"
        if submission.container == "zip"
        else "Folder read in place (never written), symbolic links and special files refused"
    )
    return PremisEvent(
        type="quarantine",
        date_time=timestamp(),
        outcome=SUCCESS,
        detail=detail,
        agents=(linking(software_agent(), "executing program"),),
    )


def _ingestion_event(settings: Settings) -> PremisEvent:
    return PremisEvent(
        type="ingestion",
        date_time=timestamp(),
        outcome=SUCCESS,
        detail=f"Ingested by {settings.archive_code}, operator {settings.operator}",
        agents=(linking(software_agent(), "executing program"),),
    )
