"""``archive-repo validate``: check a submission against TT05, E-ARK CSIP or a BagIt profile."""

from __future__ import annotations

import json
from pathlib import Path

import click

from archive_repo.cli.common import EXIT_INVALID, EXIT_OK, lang_option
from archive_repo.findings import Severity
from archive_repo.i18n import translate
from archive_repo.validation.profiles import all_profile_names, load_profile
from archive_repo.validation.report import Report
from archive_repo.validation.validator import validate_path

_MARK = {Severity.ERROR: "error_mark", Severity.WARNING: "warning_mark", Severity.INFO: "info_mark"}


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--profile",
    "profile_name",
    metavar="NAME",
    help="Ép dùng hồ sơ kiểm tra / force a profile: " + ", ".join(all_profile_names()),
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@lang_option
def validate(path: Path, profile_name: str | None, output_format: str, lang: str) -> int:
    """Kiểm tra một gói tin (thư mục, ZIP, BagIt) / validate a submission package."""
    report = validate_path(path, profile_name)
    if output_format == "json":
        click.echo(json.dumps(report.as_dict(lang), ensure_ascii=False, indent=2))
    else:
        render_text(report, lang)
    return EXIT_OK if report.is_valid else EXIT_INVALID


def render_text(report: Report, lang: str) -> None:
    t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
    click.echo(t("report.package", package=report.package))
    if report.profile:
        titles = []
        for name in report.profile.split(" + "):
            try:
                titles.append(f"{name} — {load_profile(name).title(lang)}")
            except Exception:  # noqa: BLE001 - a title is decoration, never a failure
                titles.append(name)
        click.echo(t("report.profile", profile="; ".join(titles)))
    for finding in report.findings:
        where = finding.where(lang)
        mark = t(f"report.{_MARK[finding.severity]}")
        click.echo(f"  {mark} [{finding.rule}] {where}: {finding.message(lang)}")
    errors = sum(1 for f in report.findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in report.findings if f.severity is Severity.WARNING)
    click.echo(t("report.summary", errors=errors, warnings=warnings))
    click.echo(t(f"report.verdict_{report.verdict.value.replace('-', '_')}"))
