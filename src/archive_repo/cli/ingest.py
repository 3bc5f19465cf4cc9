"""``archive-repo ingest SUBMISSION...``: take submissions in, with a handover record for each."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive_repo.cli.common import EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK, lang_option, repository_option

_PACKAGE_MARKERS = ("METS.xml", "bagit.txt")
_MAX_DEPTH = 4


def expand_sources(paths: tuple[Path, ...]) -> list[Path]:
    """Submissions named on the command line; a folder that is not itself a package stands for the
    submissions inside it (folders, ZIPs), searched a few levels deep."""
    found: list[Path] = []
    for path in paths:
        _expand(path, found, 0)
    return found


def _expand(path: Path, found: list[Path], depth: int) -> None:
    if not path.is_dir() or depth >= _MAX_DEPTH or any((path / m).is_file() for m in _PACKAGE_MARKERS):
        found.append(path)
        return
    children = [
        c
        for c in sorted(path.iterdir())
        if not c.name.startswith(".") and (c.is_dir() or c.suffix.lower() == ".zip")
    ]
    if not children:
        found.append(path)  # reported as "not a package" by the reader
    for child in children:
        _expand(child, found, depth + 1)


@click.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@repository_option
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Số tiến trình / worker processes.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--progress/--no-progress", default=None, help="Thanh tiến độ / progress bar (default: on a terminal)."
)
@click.option(
    "--no-virus-scan",
    "skip_virus_scan",
    is_flag=True,
    help="Không quét virus (ghi nhận 'chưa thực hiện') / no virus scan: the operator's explicit opt-out, "
    "recorded as 'not performed' in PREMIS and on every handover record.",
)
@lang_option
def ingest(
    submissions: tuple[Path, ...],
    repository: Path | None,
    workers: int | None,
    output_format: str,
    progress: bool | None,
    skip_virus_scan: bool,
    lang: str,
) -> int:
    """Tiếp nhận gói tin vào kho / ingest submissions (folders, ZIPs, BagIt bags, or folders of them)."""
    from archive_repo.cli.ingest_render import ProgressView, render_json, render_summary
    from archive_repo.config import load_settings
    from archive_repo.ingest.outcome import Outcome
    from archive_repo.ingest.runner import ingest_batch

    settings = load_settings(repository)
    sources = expand_sources(submissions)
    show_progress = sys.stderr.isatty() if progress is None else progress
    view = ProgressView(len(sources), lang, enabled=show_progress and output_format == "text")
    with view:
        summary = ingest_batch(
            sources,
            settings,
            workers=workers,
            lang=lang,
            on_result=view.advance,
            skip_virus_scan=skip_virus_scan,
        )
    if output_format == "json":
        click.echo(json.dumps(render_json(summary, lang), ensure_ascii=False, indent=2))
    else:
        render_summary(summary, settings, lang)
    if summary.count(Outcome.FAILED):
        return EXIT_CANNOT_RUN
    if summary.count(Outcome.REJECTED):
        return EXIT_INVALID
    return EXIT_OK
