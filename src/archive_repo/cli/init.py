"""``archive-repo init``: make a repository folder (settings, catalog, store, work areas)."""

from __future__ import annotations

from pathlib import Path

import click

from archive_repo.cli.common import EXIT_OK, lang_option, repository_option
from archive_repo.i18n import translate


@click.command()
@repository_option
@click.option(
    "--archive-code", required=True, help="Mã cơ quan lưu trữ / archive agency code (arcFileCode prefix)."
)
@click.option("--archive-name", default="", help="Tên cơ quan lưu trữ / archive name (on handover records).")
@click.option(
    "--db", "catalog_url", default="", help="CSDL mục lục / catalog URL (default: SQLite in the folder)."
)
@click.option(
    "--store",
    "stores",
    multiple=True,
    metavar="PATH",
    help="Thư mục lưu trữ (lặp lại để có nhiều bản sao) / storage folder, repeat for more copies "
    "(default: <repository>/store).",
)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option(
    "--virus-scan",
    type=click.Choice(["auto", "clamd", "clamscan", "off"]),
    default="auto",
    show_default=True,
    help="Quét virus / virus scanner; 'off' = every ingest records the check as not performed.",
)
@click.option(
    "--virus-database",
    default="clamav",
    show_default=True,
    metavar="PATH",
    help="Thư mục cơ sở dữ liệu ClamAV / ClamAV signature database folder (supplied by the archive).",
)
@click.option("--clamd-socket", default="", metavar="PATH", help="clamd's local socket, when clamd runs.")
@lang_option
def init(
    repository: Path | None,
    archive_code: str,
    archive_name: str,
    catalog_url: str,
    stores: tuple[str, ...],
    workers: int,
    virus_scan: str,
    virus_database: str,
    clamd_socket: str,
    lang: str,
) -> int:
    """Tạo kho lưu trữ / create a repository (SQLite catalog + local store by default)."""
    from archive_repo.catalog.db import safe_url, upgrade
    from archive_repo.config import (
        CONFIG_FILE,
        TRUST_SUBFOLDERS,
        ConfigError,
        default_home,
        load_settings,
        render_settings,
    )

    home = (repository or default_home()).resolve()
    config = home / CONFIG_FILE
    if config.exists():
        settings = load_settings(home)
        if settings.archive_code != archive_code:
            raise ConfigError("config.other_archive", path=str(home), code=settings.archive_code)
        click.echo(translate("config.exists", lang, path=str(home)))
    else:
        if any(s.strip() == "" for s in stores):
            raise ConfigError("config.bad_value", path=str(config), key="--store")
        locations = [(f"local-{i}", s) for i, s in enumerate(stores, start=1)] or None
        home.mkdir(parents=True, exist_ok=True)
        text = render_settings(
            archive_code,
            archive_name,
            catalog_url,
            locations,
            workers,
            virus_scan=virus_scan,
            virus_database=virus_database,
            clamd_socket=clamd_socket,
        )
        temporary = home / f".{CONFIG_FILE}.tmp"
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(config)
        settings = load_settings(home)
        click.echo(translate("config.created", lang, path=str(home), code=archive_code))
    for folder in (settings.work_dir, settings.rejected_dir, settings.receipts_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if settings.trust_dir is not None:
        for name in TRUST_SUBFOLDERS:
            (settings.trust_dir / name).mkdir(parents=True, exist_ok=True)
        click.echo(translate("config.trust_dir", lang, path=str(settings.trust_dir)))
    database = settings.virus_scan.database
    if settings.virus_scan.mode in ("auto", "clamscan") and database is not None:
        database.mkdir(parents=True, exist_ok=True)
        click.echo(translate("config.virus_database", lang, path=str(database)))
    for location in settings.locations:
        location.path.mkdir(parents=True, exist_ok=True)
        click.echo(translate("config.location", lang, name=location.name, path=str(location.path)))
    revision = upgrade(settings.catalog_url)
    click.echo(translate("db.up_to_date", lang, url=safe_url(settings.catalog_url), revision=revision))
    if len(settings.locations) < 2:
        click.echo(translate("config.one_copy", lang), err=True)
    return EXIT_OK
