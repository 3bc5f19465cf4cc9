"""``archive-repo storage list|sync|add-location``: the storage locations and their copies."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from archive_repo.cli.common import EXIT_INVALID, EXIT_OK, format_option, lang_option, repository_option
from archive_repo.i18n import translate


@click.group()
def storage() -> None:
    """Nơi lưu trữ và các bản lưu / storage locations and copies."""


@storage.command("list")
@repository_option
@format_option
@lang_option
def list_command(repository: Path | None, output_format: str, lang: str) -> int:
    """Các nơi lưu trữ, số bản lưu và tình trạng / locations, their copies and state."""
    from archive_repo.config import load_settings
    from archive_repo.storage.status import storage_status

    settings = load_settings(repository)
    status = storage_status(settings)
    if output_format == "json":
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        _render_status(status, lang)
    failing = any(location["error"] for location in status["locations"]) or status["under_replicated"]
    return EXIT_INVALID if failing else EXIT_OK


def _render_status(status: dict[str, Any], lang: str) -> None:
    from archive_repo.cli.aip import human_size

    for location in status["locations"]:
        click.echo(
            translate(
                "storage.list_line",
                lang,
                name=location["name"],
                kind=location["kind"],
                where=location["where"],
                copies=location["copies"],
                size=human_size(location["bytes"]),
                ok=location["statuses"].get("ok", 0),
                bad=location["statuses"].get("corrupt", 0) + location["statuses"].get("missing", 0),
                lock=translate("storage.lock_yes" if location["object_lock"] else "storage.lock_no", lang),
            )
        )
        if location.get("error"):
            click.echo(translate("storage.list_error", lang, name=location["name"], detail=location["error"]))
    for name, count in status["unconfigured"].items():
        click.echo(translate("storage.unconfigured", lang, name=name, copies=count))
    click.echo(
        translate(
            "storage.policy_line",
            lang,
            copies=status["policy_copies"],
            files=status["files"],
            under=status["under_replicated"],
        )
    )


@storage.command("sync")
@repository_option
@click.option("--location", "locations", multiple=True, help="Chỉ nơi lưu trữ này / only this location.")
@click.option("--dry-run", is_flag=True, help="Chỉ báo cáo / report what would be copied.")
@format_option
@click.option("--progress/--no-progress", default=None)
@lang_option
def sync_command(
    repository: Path | None,
    locations: tuple[str, ...],
    dry_run: bool,
    output_format: str,
    progress: bool | None,
    lang: str,
) -> int:
    """Tạo các bản lưu còn thiếu từ một bản tốt / create every missing copy from a verified one."""
    from archive_repo.cli.aip import human_size
    from archive_repo.cli.fixity import _ProgressBar
    from archive_repo.config import ConfigError, load_settings
    from archive_repo.storage.sync import run_sync, sync_size

    settings = load_settings(repository)
    known = {location.name for location in settings.locations}
    for name in locations:
        if name not in known:
            raise ConfigError("storage.unknown_location", name=name, known=", ".join(sorted(known)))
    show = (sys.stderr.isatty() if progress is None else progress) and output_format == "text" and not dry_run
    with _ProgressBar(show, translate("storage.sync_progress", lang)) as bar:
        bar.start(sync_size(settings, locations)[1] if show else 0)
        report = run_sync(settings, locations, dry_run=dry_run, progress=lambda size: bar.advance(size, 1))
    record = {
        "run": report.run_id,
        "dry_run": dry_run,
        "planned": report.planned,
        "planned_bytes": report.planned_bytes,
        "copied": report.copied,
        "copied_bytes": report.copied_bytes,
        "failures": report.failures,
        "under_replicated": report.under_replicated,
        "event_logs_copied": report.logs_copied,
        "seconds": round(report.seconds, 3),
    }
    if output_format == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        key = "storage.sync_dry_run" if dry_run else "storage.sync_done"
        click.echo(
            translate(
                key,
                lang,
                planned=report.planned,
                size=human_size(report.planned_bytes),
                copied=report.copied,
                failed=len(report.failures),
            )
        )
        for failure in report.failures:
            click.echo(translate("storage.sync_failure", lang, **failure))
        if report.under_replicated:
            click.echo(
                translate(
                    "storage.under_replicated",
                    lang,
                    count=report.under_replicated,
                    copies=settings.storage_policy.copies,
                )
            )
    return report.exit_code


@storage.command("add-location")
@repository_option
@click.argument("name")
@click.option("--path", "folder", help="Thư mục (ổ đĩa khác) / a local folder, on another disk.")
@click.option("--s3-endpoint", help="Địa chỉ máy chủ S3 / S3 endpoint URL (empty: AWS).")
@click.option("--bucket", help="Bucket S3.")
@click.option("--prefix", default="", help="Tiền tố khóa / key prefix inside the bucket.")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--access-key-env", help="Biến môi trường chứa access key / variable holding the access key.")
@click.option("--secret-key-env", help="Biến môi trường chứa secret key / variable holding the secret key.")
@click.option(
    "--object-lock",
    type=click.Choice(["compliance", "governance", "off"]),
    default="compliance",
    show_default=True,
)
@click.option("--addressing-style", type=click.Choice(["path", "virtual", "auto"]), default="path")
@click.option("--create-bucket", is_flag=True, help="Tạo bucket nếu chưa có / create the bucket if missing.")
@lang_option
def add_location_command(
    repository: Path | None,
    name: str,
    folder: str | None,
    s3_endpoint: str | None,
    bucket: str | None,
    prefix: str,
    region: str,
    access_key_env: str | None,
    secret_key_env: str | None,
    object_lock: str,
    addressing_style: str,
    create_bucket: bool,
    lang: str,
) -> int:
    """Thêm nơi lưu trữ (thư mục hoặc S3), kiểm tra ghi/đọc được / add a location after probing it."""
    from archive_repo.config import ConfigError, load_settings
    from archive_repo.storage.locations import add_location

    settings = load_settings(repository)
    if (folder is None) == (bucket is None):
        raise ConfigError("storage.add_needs_one")
    if folder is not None:
        fields: dict[str, Any] = {"type": "local", "path": folder}
    else:
        fields = {
            "type": "s3",
            "endpoint": s3_endpoint or "",
            "bucket": bucket,
            "prefix": prefix,
            "region": region,
            "object_lock": object_lock,
            "addressing_style": addressing_style,
        }
        if access_key_env or secret_key_env:
            fields |= {"access_key_env": access_key_env or "", "secret_key_env": secret_key_env or ""}
    added = add_location(settings, name, fields, create_bucket=create_bucket)
    click.echo(translate("storage.added", lang, name=added.name, kind=added.kind))
    return EXIT_OK


@storage.command("remove-location")
@repository_option
@click.argument("name")
@lang_option
def remove_location_command(repository: Path | None, name: str, lang: str) -> int:
    """Bỏ một nơi lưu trữ còn trống khỏi cấu hình / remove an empty location from the settings."""
    from archive_repo.config import load_settings
    from archive_repo.storage.locations import remove_location

    remove_location(load_settings(repository), name)
    click.echo(translate("storage.removed", lang, name=name))
    return EXIT_OK


@storage.command("renew-locks")
@repository_option
@click.option("--within-days", type=click.IntRange(1, 36500), default=365, show_default=True)
@click.option("--dry-run", is_flag=True, help="Chỉ báo cáo / report only.")
@format_option
@lang_option
def renew_locks_command(
    repository: Path | None, within_days: int, dry_run: bool, output_format: str, lang: str
) -> int:
    """Gia hạn khóa WORM của tài liệu vĩnh viễn sắp hết hạn / extend object locks of permanent records."""
    from archive_repo.config import load_settings
    from archive_repo.storage.renew import renew_locks

    settings = load_settings(repository)
    report = renew_locks(settings, within_days, dry_run=dry_run)
    if output_format == "json":
        record = {"due": report.due, "extended": report.extended, "failures": report.failures}
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return report.exit_code
    years = settings.storage_policy.lock_years_permanent
    click.echo(translate("storage.renewed", lang, due=report.due, extended=report.extended, years=years))
    for failure in report.failures:
        click.echo(translate("storage.renew_failure", lang, **failure))
    return report.exit_code
