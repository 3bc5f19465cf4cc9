"""How the ingest command shows its progress and its summary (rich on a terminal, plain text otherwise)."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from archive_repo.config import Settings
from archive_repo.findings import Finding
from archive_repo.i18n import translate
from archive_repo.ingest.outcome import Outcome
from archive_repo.ingest.runner import ProcessedSubmission, RunSummary


class ProgressView:
    def __init__(self, total: int, lang: str, enabled: bool) -> None:
        self.lang = lang
        self.progress: Progress | None = None
        self.task: Any = None
        if enabled:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.task = self.progress.add_task(translate("ingest.progress", lang), total=total)

    def __enter__(self) -> ProgressView:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def advance(self, processed: ProcessedSubmission) -> None:
        if self.progress is not None:
            self.progress.advance(self.task)
            self.progress.console.print(_line(processed, self.lang), markup=False, highlight=False)


def _outcome_label(processed: ProcessedSubmission, lang: str) -> str:
    return translate(f"ingest.outcome_{processed.outcome.outcome.value}", lang)


def _line(processed: ProcessedSubmission, lang: str) -> str:
    outcome = processed.outcome
    return f"{_outcome_label(processed, lang)}: {outcome.source} ({outcome.seconds:.1f} s)"


def _aip(processed: ProcessedSubmission, lang: str) -> str:
    outcome = processed.outcome
    if outcome.outcome is Outcome.ACCEPTED:
        return translate(
            "ingest.stored_as", lang, objid=processed.objid or "", version=processed.version or 1
        )
    if outcome.outcome is Outcome.DUPLICATE:
        return translate("ingest.duplicate_of", lang, objid=outcome.duplicate_of or "")
    return ""


def _reasons(processed: ProcessedSubmission, lang: str, limit: int = 3) -> list[str]:
    outcome = processed.outcome
    if outcome.outcome is Outcome.FAILED:
        return [translate(outcome.message_key or "ingest.io_error", lang, **outcome.message_params)]
    if outcome.outcome is not Outcome.REJECTED:
        return []
    errors = [
        Finding.from_record(r) for r in (outcome.report or {}).get("findings", []) if r["severity"] == "error"
    ]
    lines = [f"[{f.rule}] {f.path}: {f.message(lang)}" for f in errors[:limit]]
    if len(errors) > limit:
        lines.append(translate("ingest.more_errors", lang, count=len(errors) - limit))
    return lines


def render_summary(summary: RunSummary, settings: Settings, lang: str) -> None:
    console = Console(soft_wrap=True)
    table = Table(title=translate("ingest.summary_title", lang, run=summary.run_id))
    for column in ("submission", "outcome", "errors", "warnings", "detail"):
        table.add_column(translate(f"ingest.column_{column}", lang), overflow="fold")
    for processed in summary.results:
        outcome = processed.outcome
        table.add_row(
            outcome.source,
            _outcome_label(processed, lang),
            str(outcome.errors),
            str(outcome.warnings),
            _aip(processed, lang),
        )
    console.print(table)
    for processed in summary.results:
        reasons = _reasons(processed, lang)
        if reasons:
            click.echo(f"{_outcome_label(processed, lang)}: {processed.outcome.source}")
            for reason in reasons:
                click.echo(f"    {reason}")
            if processed.rejected_folder is not None:
                click.echo("    " + translate("ingest.report_at", lang, path=str(processed.rejected_folder)))
    click.echo(
        translate(
            "ingest.totals",
            lang,
            accepted=summary.count(Outcome.ACCEPTED),
            rejected=summary.count(Outcome.REJECTED),
            duplicate=summary.count(Outcome.DUPLICATE),
            failed=summary.count(Outcome.FAILED),
        )
    )
    click.echo(translate("ingest.where_receipts", lang, path=str(settings.receipts_dir)))


def render_json(summary: RunSummary, lang: str) -> dict[str, Any]:
    results = []
    for processed in summary.results:
        outcome = processed.outcome
        results.append(
            {
                "source": outcome.source,
                "outcome": outcome.outcome.value,
                "digest": outcome.digest,
                "objid": processed.objid,
                "version": processed.version,
                "duplicate_of": outcome.duplicate_of,
                "errors": outcome.errors,
                "warnings": outcome.warnings,
                "receipt": str(processed.receipt) if processed.receipt else None,
                "rejected_report": str(processed.rejected_folder) if processed.rejected_folder else None,
                "message": translate(outcome.message_key, lang, **outcome.message_params)
                if outcome.message_key
                else None,
                "findings": [
                    Finding.from_record(r).as_dict(lang) for r in (outcome.report or {}).get("findings", [])
                ],
                "seconds": round(outcome.seconds, 3),
            }
        )
    return {"run": summary.run_id, "results": results}
