"""What every command shares: the --lang option, and turning errors into messages and exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from archive_repo.errors import ArchiveRepoError
from archive_repo.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate

EXIT_OK, EXIT_INVALID, EXIT_CANNOT_RUN = 0, 1, 2


def lang_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        default=lambda: os.environ.get("ARCHIVE_REPO_LANG", DEFAULT_LANGUAGE),
        show_default="vi",
        help="Ngôn ngữ thông báo / message language (vi, en).",
    )(function)


def format_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Dạng kết quả / output format.",
    )(function)


def repository_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--repository",
        "-R",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Thư mục kho lưu trữ / repository folder (default: $ARCHIVE_REPO_HOME, else .).",
    )(function)


def _language_from_argv(argv: list[str]) -> str:
    for index, argument in enumerate(argv):
        if argument == "--lang" and index + 1 < len(argv) and argv[index + 1] in LANGUAGES:
            return argv[index + 1]
        if argument.startswith("--lang=") and argument.split("=", 1)[1] in LANGUAGES:
            return argument.split("=", 1)[1]
    value = os.environ.get("ARCHIVE_REPO_LANG", DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def guarded(command: click.Command, argv: list[str] | None = None) -> int:
    """Run the click command; typed errors become a message and exit 2, never a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _language_from_argv(argv)
    try:
        result = command.main(args=argv, prog_name="archive-repo", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(translate("cli.aborted", lang), err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except ArchiveRepoError as exc:
        click.echo(translate("cli.error_prefix", lang) + exc.message(lang), err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo(translate("cli.aborted", lang), err=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("ARCHIVE_REPO_DEBUG"):
            raise
        click.echo(
            translate("cli.internal_error", lang, kind=type(exc).__name__, detail=str(exc)[:500]), err=True
        )
        return EXIT_CANNOT_RUN
    return result if isinstance(result, int) else EXIT_OK
