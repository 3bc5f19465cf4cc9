"""``archive-repo doctor``: clean what interrupted ingests left, and check catalog and storage agree."""

from __future__ import annotations

from pathlib import Path

import click

from archive_repo.cli.common import EXIT_INVALID, EXIT_OK, lang_option, repository_option
from archive_repo.i18n import translate


@click.command()
@repository_option
@click.option("--dry-run", is_flag=True, help="Chỉ báo cáo, không dọn / report only, change nothing.")
@lang_option
def doctor(repository: Path | None, dry_run: bool, lang: str) -> int:
    """Kiểm tra và dọn dẹp kho / find and clean leftovers of interrupted ingests."""
    from archive_repo.config import load_settings
    from archive_repo.doctor import run_doctor

    settings = load_settings(repository)
    report = run_doctor(settings, lang, dry_run=dry_run)
    for problem in report.problems:
        mark = translate("doctor.fixed" if problem.fixed else "doctor.attention", lang)
        click.echo(f"{mark} {translate(problem.key, lang, **problem.params)}")
    if not report.problems:
        click.echo(translate("doctor.healthy", lang))
    return EXIT_INVALID if report.needs_attention else EXIT_OK
