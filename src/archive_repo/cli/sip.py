"""``archive-repo sip build``: make a TT05 SIP from a description and a folder of files."""

from __future__ import annotations

from pathlib import Path

import click

from archive_repo.cli.common import EXIT_INVALID, EXIT_OK, lang_option
from archive_repo.cli.validate import render_text
from archive_repo.i18n import translate
from archive_repo.sip.builder import build_sip
from archive_repo.sip.description import load_description
from archive_repo.validation.validator import validate_path


@click.group()
def sip() -> None:
    """Gói SIP cho cơ quan nộp lưu / SIP tools for submitting agencies."""


@sip.command("build")
@click.argument("description", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--files",
    "files_folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Thư mục chứa tài liệu / folder with the documents (default: 'files' beside the description).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Nơi ghi gói / where the package folder is written.",
)
@click.option("--zip", "make_zip", is_flag=True, help="Nén thêm thành ZIP / also write <OBJID>.zip.")
@click.option("--quiet", is_flag=True, help="Chỉ in đường dẫn / print only the package path.")
@lang_option
def build(
    description: Path, files_folder: Path | None, out_dir: Path, make_zip: bool, quiet: bool, lang: str
) -> int:
    """Tạo gói SIP theo TT05 rồi kiểm tra nó / build a TT05 SIP, then validate it."""
    loaded = load_description(description, files_folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    built = build_sip(loaded, out_dir, make_zip)
    report = validate_path(built.zip_path or built.folder)
    if quiet:
        click.echo(str(built.zip_path or built.folder))
    else:
        click.echo(translate("sip.built", lang, path=str(built.folder)))
        if built.zip_path:
            click.echo(translate("sip.zipped", lang, path=str(built.zip_path)))
        render_text(report, lang)
    return EXIT_OK if report.is_valid else EXIT_INVALID
