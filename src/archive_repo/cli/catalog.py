"""``archive-repo catalog export|import|rebuild``: back up the catalog, restore it, rebuild it from the AIPs.

- ``catalog export FILE``: the whole catalog as one gzip-compressed JSON Lines file, written atomically;
  prints its SHA-256.
- ``catalog import FILE``: restore such a file into an empty catalog (same schema revision), all or nothing.
- ``catalog rebuild``: rebuild an empty catalog from the AIPs in the repository's storage locations
  (and the event logs beside them); exit 1 when an AIP or an event log could not be restored.

Not to be confused with ``archive-repo aip export`` (one AIP as a TT05 ZIP, read from storage).
The catalog modules are imported only when a command runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive_repo.cli.common import EXIT_INVALID, EXIT_OK, format_option, lang_option, repository_option
from archive_repo.i18n import translate

if TYPE_CHECKING:
    from archive_repo.catalog.rebuild import Progress, RebuildSummary


def _db_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        "url",
        envvar="ARCHIVE_REPO_DB",
        help="Địa chỉ CSDL mục lục / catalog database URL (sqlite:///… or postgresql://…); "
        "default: $ARCHIVE_REPO_DB, else the repository's catalog.",
    )(function)


def _catalog_url(url: str | None, repository: Path | None) -> str:
    if url:
        return url
    from archive_repo.config import load_settings

    return load_settings(repository).catalog_url


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group("catalog")
def catalog() -> None:
    """Sao lưu, khôi phục, dựng lại CSDL mục lục / back up, restore and rebuild the catalog."""


@catalog.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@repository_option
@_db_option
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có / overwrite an existing file.")
@format_option
@lang_option
def export_command(
    file: Path, repository: Path | None, url: str | None, force: bool, output_format: str, lang: str
) -> int:
    """Xuất toàn bộ CSDL mục lục ra một tệp (JSON Lines nén gzip) / export the whole catalog to a file."""
    from archive_repo.catalog.backup import export_catalog

    summary = export_catalog(_catalog_url(url, repository), file, force=force)
    if output_format == "json":
        _emit_json(
            {
                "path": str(summary.path),
                "sha256": summary.sha256,
                "size": summary.size,
                "schema_revision": summary.schema_revision,
                "exported_at": summary.exported_at,
                "rows": summary.rows,
                "tables": summary.tables,
            }
        )
    else:
        click.echo(
            translate(
                "backup.cli.exported",
                lang,
                path=str(summary.path),
                rows=summary.rows,
                tables=len(summary.tables),
                size=summary.size,
                revision=summary.schema_revision,
            )
        )
        click.echo(translate("backup.cli.digest", lang, sha256=summary.sha256))
    return EXIT_OK


@catalog.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@repository_option
@_db_option
@format_option
@lang_option
def import_command(
    file: Path, repository: Path | None, url: str | None, output_format: str, lang: str
) -> int:
    """Nhập bản sao lưu vào một CSDL mục lục trống / restore a backup into an empty catalog."""
    from archive_repo.catalog.backup import import_catalog
    from archive_repo.catalog.db import safe_url

    target = _catalog_url(url, repository)
    summary = import_catalog(target, file)
    if output_format == "json":
        _emit_json(
            {
                "path": str(summary.path),
                "url": safe_url(target),
                "sha256": summary.sha256,
                "schema_revision": summary.schema_revision,
                "exported_at": summary.exported_at,
                "rows": summary.rows,
                "tables": summary.tables,
            }
        )
    else:
        click.echo(
            translate(
                "backup.cli.imported",
                lang,
                path=str(summary.path),
                url=safe_url(target),
                rows=summary.rows,
                tables=len(summary.tables),
                revision=summary.schema_revision,
                exported_at=summary.exported_at,
            )
        )
        click.echo(translate("backup.cli.digest", lang, sha256=summary.sha256))
    return EXIT_OK


@contextmanager
def _progress_bar(enabled: bool, lang: str) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    tasks: dict[str, Any] = {}

    def advance(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(translate(f"backup.cli.progress_{stage}", lang), total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield advance


@catalog.command("rebuild")
@repository_option
@_db_option
@click.option(
    "--progress/--no-progress", default=None, help="Thanh tiến độ / progress bar (default: on a terminal)."
)
@format_option
@lang_option
def rebuild_command(
    repository: Path | None, url: str | None, progress: bool | None, output_format: str, lang: str
) -> int:
    """Dựng lại CSDL mục lục (trống) từ các gói AIP trong kho / rebuild an empty catalog from the AIPs."""
    from archive_repo.catalog.rebuild import rebuild_catalog
    from archive_repo.config import load_settings
    from archive_repo.storage.registry import open_stores

    settings = load_settings(repository)
    stores = list(open_stores(settings))
    show = (sys.stderr.isatty() if progress is None else progress) and output_format == "text"
    with _progress_bar(show, lang) as advance:
        summary = rebuild_catalog(settings, stores, url or settings.catalog_url, progress=advance)
    if output_format == "json":
        _emit_json(_as_json(summary, lang))
    else:
        _render(summary, lang)
    return EXIT_INVALID if summary.errors else EXIT_OK


def _as_json(summary: RebuildSummary, lang: str) -> dict[str, Any]:
    return {
        "url": summary.url,
        "locations": summary.locations,
        "aips_found": summary.aips_found,
        "packages": summary.packages,
        "skipped": summary.skipped,
        "documents": summary.documents,
        "files": summary.files,
        "copies": summary.copies,
        "events": summary.events,
        "logged_events": summary.logged_events,
        "agents": summary.agents,
        "signature_checks": summary.signatures,
        "errors": len(summary.errors),
        "warnings": len(summary.warnings),
        "problems": [problem.as_dict(lang) for problem in summary.problems],
        "not_recovered": {
            key: translate(f"backup.not_recovered.{key}", lang) for key in summary.not_recovered
        },
    }


def _render(summary: RebuildSummary, lang: str) -> None:
    t = lambda key, **kw: translate(f"backup.cli.{key}", lang, **kw)  # noqa: E731
    copies = ", ".join(f"{status} {count}" for status, count in summary.copies.items()) or t("no_copies")
    click.echo(t("rebuild_title", url=summary.url, locations=", ".join(summary.locations)))
    click.echo(
        "  " + t("rebuild_aips", found=summary.aips_found, restored=summary.packages, skipped=summary.skipped)
    )
    click.echo("  " + t("rebuild_rows", documents=summary.documents, files=summary.files, copies=copies))
    click.echo(
        "  "
        + t(
            "rebuild_events",
            events=summary.events,
            logged=summary.logged_events,
            agents=summary.agents,
            signatures=summary.signatures,
        )
    )
    if summary.problems:
        click.echo(t("problems", errors=len(summary.errors), warnings=len(summary.warnings)))
        for problem in [*summary.errors, *summary.warnings]:
            click.echo(f"  [{t(problem.severity)}] {problem.render(lang)}")
    click.echo(t("not_recovered"))
    for key in summary.not_recovered:
        click.echo(f"  - {translate(f'backup.not_recovered.{key}', lang)}")
