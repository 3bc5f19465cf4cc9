"""``archive-repo db upgrade|current``: create or migrate the catalog database's schema.

The catalog modules (SQLAlchemy, Alembic: ~0.4 s to import) are imported only when a db command runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from archive_repo.cli.common import EXIT_OK, lang_option
from archive_repo.i18n import translate


def _db_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--repository",
        type=click.Path(path_type=Path, file_okay=False),
        default=lambda: os.environ.get("ARCHIVE_REPO_HOME", "."),
        show_default="$ARCHIVE_REPO_HOME or .",
        help="Thư mục kho lưu trữ / repository folder (its catalog: <folder>/catalog.sqlite).",
    )(function)
    return click.option(
        "--db",
        "url",
        envvar="ARCHIVE_REPO_DB",
        help="Địa chỉ CSDL mục lục / catalog database URL (sqlite:///… or postgresql://…); "
        "default: $ARCHIVE_REPO_DB, else the repository's SQLite file.",
    )(function)


def _url(url: str | None, repository: Path) -> str:
    from archive_repo.catalog.db import default_url

    return url or default_url(repository)


@click.group()
def db() -> None:
    """CSDL mục lục / the catalog database."""


@db.command("upgrade")
@_db_options
@lang_option
def upgrade_command(url: str | None, repository: Path, lang: str) -> int:
    """Tạo hoặc nâng cấp lược đồ CSDL mục lục / create or upgrade the catalog schema."""
    from archive_repo.catalog.db import current_revision, safe_url, upgrade

    target = _url(url, repository)
    before = current_revision(target)
    after = upgrade(target)
    shown = safe_url(target)
    if before is None:
        click.echo(translate("db.created", lang, url=shown, revision=after))
    elif before == after:
        click.echo(translate("db.up_to_date", lang, url=shown, revision=after))
    else:
        click.echo(translate("db.upgraded", lang, url=shown, before=before, revision=after))
    return EXIT_OK


@db.command("current")
@_db_options
@lang_option
def current_command(url: str | None, repository: Path, lang: str) -> int:
    """Phiên bản lược đồ hiện tại / the catalog's schema revision."""
    from archive_repo.catalog.db import current_revision, head_revision, safe_url

    target = _url(url, repository)
    revision = current_revision(target)
    if revision is None:
        click.echo(translate("db.current_empty", lang, url=safe_url(target)))
    else:
        click.echo(
            translate("db.current", lang, url=safe_url(target), revision=revision, head=head_revision())
        )
    return EXIT_OK
