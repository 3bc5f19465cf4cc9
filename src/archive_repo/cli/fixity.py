"""``archive-repo fixity audit|report|schedule``: re-verify stored copies, repair, report, plan."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from archive_repo.cli.common import EXIT_OK, format_option, lang_option, repository_option
from archive_repo.cli.units import DURATION, SIZE
from archive_repo.i18n import translate


@click.group()
def fixity() -> None:
    """Kiểm tra tính toàn vẹn các bản lưu / fixity audits of every stored copy (TT05 ch. V)."""


@fixity.command("audit")
@repository_option
@click.option("--all", "scope", flag_value="all", help="Mọi bản lưu / every copy.")
@click.option(
    "--due", "scope", flag_value="due", default=True, help="Phần đến hạn hôm nay (mặc định) / what is due."
)
@click.option("--aip", "objid", metavar="OBJID", help="Chỉ một AIP / one AIP only.")
@click.option("--location", "locations", multiple=True, help="Chỉ nơi lưu trữ này / only this location.")
@click.option("--workers", type=click.IntRange(1, 64), help="Số luồng song song / parallel workers.")
@click.option("--max-bytes", type=SIZE, help="Dừng sau chừng này dữ liệu / stop after this much (e.g. 500G).")
@click.option("--max-time", type=DURATION, help="Dừng sau thời gian này / stop after (e.g. 2h).")
@click.option("--no-repair", is_flag=True, help="Chỉ kiểm tra, không sửa / check only, repair nothing.")
@format_option
@click.option("--progress/--no-progress", default=None, help="Thanh tiến trình / progress bar.")
@lang_option
def audit_command(
    repository: Path | None,
    scope: str,
    objid: str | None,
    locations: tuple[str, ...],
    workers: int | None,
    max_bytes: int | None,
    max_time: float | None,
    no_repair: bool,
    output_format: str,
    progress: bool | None,
    lang: str,
) -> int:
    """Kiểm tra lại SHA-256, kích thước và sự tồn tại của các bản lưu; sửa bản hỏng từ bản tốt /
    re-verify copies (SHA-256, size, existence), record every check, repair from a good copy."""
    from archive_repo.config import load_settings
    from archive_repo.fixity.audit import AuditOptions, run_audit
    from archive_repo.fixity.plan import AuditScope
    from archive_repo.fixity.report import run_record
    from archive_repo.ingest.catalog_access import sessions

    settings = load_settings(repository)
    _check_scope(settings, objid, locations)
    options = AuditOptions(
        scope=AuditScope("aip" if objid else scope, objid, locations),
        workers=workers or settings.fixity.workers,
        max_bytes=max_bytes,
        max_seconds=max_time,
        repair=not no_repair,
        max_rate_mb=settings.fixity.max_rate_mb,
    )
    show_progress = (sys.stderr.isatty() if progress is None else progress) and output_format == "text"
    with _ProgressBar(show_progress, translate("audit.progress", lang)) as bar:
        report = run_audit(settings, options, bar.advance, bar.start)
    with sessions(settings.catalog_url)() as session:
        record = run_record(session, report.run_id)
    record.update(
        planned=report.planned,
        not_checked=report.not_checked,
        stopped_by=report.stopped_by,
        locations_down=report.locations_down,
        event_log_problems=report.log_problems,
        mb_per_second=round(report.throughput / 1e6, 1),
        exit_code=report.exit_code,
    )
    if output_format == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        render_run(record, lang)
    return report.exit_code


def _check_scope(settings: Any, objid: str | None, locations: tuple[str, ...]) -> None:
    """An unknown AIP or location is a mistake to report, not an empty audit to call a success."""
    from sqlalchemy import func, select

    from archive_repo.catalog.models import Package, StorageCopy
    from archive_repo.config import ConfigError
    from archive_repo.fixity.report import AuditNotFound
    from archive_repo.ingest.catalog_access import sessions

    with sessions(settings.catalog_url)() as session:
        if objid is not None and session.scalar(select(func.count()).where(Package.objid == objid)) == 0:
            raise AuditNotFound("audit.unknown_aip", objid=objid)
        configured = {location.name for location in settings.locations}
        for name in locations:
            held = session.scalar(select(func.count()).where(StorageCopy.location == name))
            if name not in configured and not held:
                raise ConfigError("storage.unknown_location", name=name, known=", ".join(sorted(configured)))


@fixity.command("report")
@repository_option
@click.argument("run_id", type=int, required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "annex7"]),
    default="text",
    help="annex7: biên bản kiểm tra, biên bản sự cố và khôi phục (TT05 phụ lục VII) / annex VII records.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Ghi ra tệp (.pdf: PDF) / write to a file (a .pdf name gives a PDF).",
)
@click.option("--place", help="Địa danh trên biên bản / place name on the records.")
@lang_option
def report_command(
    repository: Path | None,
    run_id: int | None,
    output_format: str,
    output: Path | None,
    place: str | None,
    lang: str,
) -> int:
    """Báo cáo một lần kiểm tra (mặc định: lần gần nhất) / report one audit run (default: the latest)."""
    from archive_repo.config import load_settings
    from archive_repo.fixity.annex7 import render_annex7_pdf, render_annex7_text
    from archive_repo.fixity.report import run_record
    from archive_repo.ingest.catalog_access import sessions

    settings = load_settings(repository)
    with sessions(settings.catalog_url)() as session:
        record = run_record(session, run_id)
    archive = settings.archive_name or settings.archive_code
    if output is not None and output.suffix.lower() == ".pdf":
        render_annex7_pdf(record, lang, archive, output, place=place)
        click.echo(translate("audit.written", lang, path=str(output)))
        return EXIT_OK
    if output_format == "json":
        text = json.dumps(record, ensure_ascii=False, indent=2)
    elif output_format == "annex7":
        text = render_annex7_text(record, lang, archive, place=place)
    else:
        render_run(record, lang)
        return EXIT_OK
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(translate("audit.written", lang, path=str(output)))
    return EXIT_OK


class _ProgressBar:
    """A rich progress bar over bytes on stderr (nothing when disabled)."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled, self.label = enabled, label
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
        return self

    def start(self, total_bytes: int) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task(self.label, total=total_bytes)

    def advance(self, size: int, _copies: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, size)

    def __exit__(self, *_exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def render_run(record: dict[str, Any], lang: str) -> None:
    from archive_repo.cli.aip import human_size

    def t(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    click.echo(
        t(
            "audit.summary",
            run=record["run"],
            scope=record["scope"],
            status=t(f"audit.status_{record['status']}"),
            started=record["started_at"],
            seconds=record["seconds"],
        )
    )
    click.echo(
        t(
            "audit.counts",
            checked=record["checked"],
            ok=record["ok"],
            failed=record["failed"],
            unreachable=record["unreachable"],
            repaired=record["repaired"],
            unrecoverable=record["unrecoverable"],
            size=human_size(record["bytes_checked"]),
        )
    )
    for name, counts in sorted(record["locations"].items()):
        click.echo(t("audit.location_line", location=name, size=human_size(counts["bytes"]), **counts))
    for name, detail in sorted(record.get("locations_down", {}).items()):
        click.echo(t("audit.location_down", location=name, detail=detail))
    if record.get("stopped_by"):
        click.echo(t("audit.stopped", limit=record["stopped_by"], left=record.get("not_checked", 0)))
    for incident in record["incidents"]:
        click.echo(
            t(
                f"audit.incident_{incident['outcome']}",
                kind=t(f"audit.kind_{incident['kind']}"),
                objid=incident["objid"],
                path=incident["path"],
                location=incident["location"],
                source=incident.get("source_location") or "-",
                detail=incident.get("detail") or "",
            )
        )
    for problem in record.get("event_log_problems", []):
        click.echo(t("audit.event_log_problem", detail=problem))
    if record["unrecoverable"]:
        lost = {(i["objid"], i["path"]) for i in record["incidents"] if i["outcome"] == "unrecoverable"}
        click.echo(t("audit.unrecoverable_alarm", count=len(lost)))
        return
    still_open = any(i["outcome"] == "open" for i in record["incidents"])
    if record["unreachable"] or record["status"] != "finished" or still_open:
        return
    if record["failed"] and record["failed"] == record["repaired"]:
        click.echo(t("audit.all_repaired", count=record["repaired"]))
    elif not record["failed"]:
        click.echo(t("audit.all_good"))


def _clock(value: str) -> tuple[int, int]:
    hour, _, minute = value.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise click.BadParameter(f"{value!r}: expected HH:MM")
    return int(hour), int(minute)


@fixity.command("schedule")
@repository_option
@click.option("--at", "at", default="02:17", show_default=True, help="Giờ chạy hằng ngày / daily time HH:MM.")
@click.option("--print", "print_kind", type=click.Choice(["cron", "systemd"]), help="In dòng cron / systemd.")
@click.option("--serve", is_flag=True, help="Chạy như dịch vụ / run as a long-lived service.")
@click.option("--run-now", is_flag=True, help="Với --serve: chạy một lần ngay / with --serve: run once now.")
@click.option("--max-runs", type=int, hidden=True)
@format_option
@lang_option
def schedule_command(
    repository: Path | None,
    at: str,
    print_kind: str | None,
    serve: bool,
    run_now: bool,
    max_runs: int | None,
    output_format: str,
    lang: str,
) -> int:
    """Lập lịch kiểm tra để mọi bản lưu được kiểm tra trong kỳ / plan audits so every copy is checked
    within the period: show the plan, print a cron or systemd timer, or run as a service."""
    from archive_repo.catalog.models import utcnow
    from archive_repo.config import load_settings
    from archive_repo.fixity.schedule import cron_line, plan_schedule, systemd_units
    from archive_repo.ingest.catalog_access import sessions

    settings = load_settings(repository)
    hour, minute = _clock(at)
    if print_kind == "cron":
        click.echo(cron_line(settings.home, hour, minute))
        return EXIT_OK
    if print_kind == "systemd":
        click.echo(systemd_units(settings.home, hour, minute))
        return EXIT_OK
    if serve:
        return _serve(settings, hour, minute, run_now, max_runs, lang)
    with sessions(settings.catalog_url)() as session:
        plan = plan_schedule(session, settings.fixity.period_days, settings.fixity.workers, utcnow())
    if output_format == "json":
        click.echo(json.dumps(plan.as_record(), ensure_ascii=False, indent=2))
        return EXIT_OK
    _render_plan(plan, lang)
    click.echo(translate("schedule.cron_hint", lang, line=cron_line(settings.home, hour, minute)))
    return EXIT_OK


def _render_plan(plan: Any, lang: str) -> None:
    from archive_repo.cli.aip import human_size

    click.echo(
        translate(
            "schedule.plan",
            lang,
            copies=plan.copies,
            size=human_size(plan.total_bytes),
            period=plan.period_days,
            daily=human_size(plan.daily_bytes),
        )
    )
    click.echo(
        translate(
            "schedule.overdue",
            lang,
            overdue=plan.overdue_copies,
            overdue_size=human_size(plan.overdue_bytes),
            never=plan.never_checked,
            oldest=plan.oldest_check or "-",
        )
    )
    if plan.measured_bytes_per_second:
        click.echo(
            translate(
                "schedule.pace",
                lang,
                rate=f"{plan.measured_bytes_per_second / 1e6:.1f}",
                minutes=f"{(plan.daily_seconds or 0) / 60:.1f}",
            )
        )
    else:
        click.echo(translate("schedule.no_pace", lang))


def _serve(settings: Any, hour: int, minute: int, run_now: bool, max_runs: int | None, lang: str) -> int:
    """Sleep until the daily time, run what is due, repeat; SIGTERM or Ctrl-C stops between runs."""
    import signal
    import threading
    from datetime import datetime

    from archive_repo.fixity.audit import AuditOptions, run_audit
    from archive_repo.fixity.plan import AuditScope
    from archive_repo.fixity.schedule import next_run

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runs, worst = 0, EXIT_OK
    due_now = run_now
    while not stop.is_set() and (max_runs is None or runs < max_runs):
        if not due_now:
            wake = next_run(datetime.now().astimezone(), hour, minute)
            click.echo(translate("schedule.sleeping", lang, when=wake.isoformat(timespec="minutes")))
            while not stop.is_set() and datetime.now().astimezone() < wake:
                stop.wait(min(60.0, max(0.1, (wake - datetime.now().astimezone()).total_seconds())))
            if stop.is_set():
                break
        due_now = False
        options = AuditOptions(
            scope=AuditScope("due"), workers=settings.fixity.workers, max_rate_mb=settings.fixity.max_rate_mb
        )
        report = run_audit(settings, options)
        runs += 1
        worst = max(worst, report.exit_code)
        click.echo(
            translate(
                "schedule.ran",
                lang,
                run=report.run_id,
                checked=report.checked,
                failed=report.failed,
                repaired=report.repaired,
                unrecoverable=report.unrecoverable,
                code=report.exit_code,
            )
        )
    click.echo(translate("schedule.stopped", lang))
    return worst
