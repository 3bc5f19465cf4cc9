"""``archive-repo aip ...``: staff browse, search and export what the repository holds.

- ``aip list``: the packages held, newest first (or by arcFileCode);
- ``aip search TEXT``: packages and documents whose codes or titles hold every word (diacritics ignored);
- ``aip show ID``: one package (ID = OBJID, or arcFileCode for its newest version, ``--version N``);
- ``aip history ID``: its PREMIS history, in Vietnam time;
- ``aip export ID --output PATH``: the AIP as a TT05 ZIP, every file verified against the catalog.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive_repo.cli.common import EXIT_OK, format_option, lang_option, repository_option
from archive_repo.i18n import translate

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session

    from archive_repo.config import Settings

TITLE_WIDTH = 60
SHORT_DIGEST = 12


def _filter_options(function: Any) -> Any:
    for option in reversed(
        [
            click.option("--fonds", metavar="CODE", help="Mã phông / fonds code."),
            click.option("--agency", metavar="CODE", help="Mã cơ quan nộp lưu / agency code."),
            click.option(
                "--all-versions",
                is_flag=True,
                help="Cả các phiên bản đã bị thay thế / include superseded versions.",
            ),
            click.option(
                "--limit",
                type=click.IntRange(1, 100_000),
                default=50,
                show_default=True,
                help="Số gói tối đa / at most this many packages.",
            ),
        ]
    ):
        function = option(function)
    return function


@contextmanager
def _catalog(repository: Path | None) -> Iterator[tuple[Settings, Session]]:
    from archive_repo.config import load_settings
    from archive_repo.ingest.catalog_access import sessions

    settings = load_settings(repository)
    with sessions(settings.catalog_url)() as session:
        yield settings, session


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 240)  # piped or redirected: do not fold at 80 columns
    return console


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # not reached


def _dates(start: str | None, end: str | None) -> str:
    if start and end and start != end:
        return f"{start} – {end}"
    return start or end or "—"


def _truncate(text: str, width: int = TITLE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _when(iso: str | None) -> str:
    """``2025-03-10T09:15:00+07:00`` → ``2025-03-10 09:15:00 +07:00``."""
    if not iso:
        return "—"
    return f"{iso[:10]} {iso[11:19]} {iso[19:]}"


def _agent(agent: dict[str, Any] | None) -> str:
    if not agent:
        return "—"
    return f"{agent['name']} {agent['version']}" if agent.get("version") else agent["name"]


# --------------------------------------------------------------------------------------------------


@click.group()
def aip() -> None:
    """Tra cứu, tìm kiếm, xuất gói AIP trong kho / browse, search and export the AIPs held."""


# --------------------------------------------------------------------------------------------------
# list and search


def _summary_table(rows: list[dict[str, Any]], title: str, lang: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("code", "version", "status", "title", "dates", "documents", "size", "objid"):
        justify = "right" if column in ("version", "documents", "size") else "left"
        table.add_column(
            translate(f"aip.col_{column}", lang),
            justify=justify,
            overflow="fold",
            no_wrap=column not in ("title", "objid"),
            min_width=20 if column == "title" else None,
        )
    for row in rows:
        table.add_row(
            row["arc_file_code"] or "—",
            str(row["version"]),
            row["status_label"],
            _truncate(row["title"]),
            _dates(row["start_date"], row["end_date"]),
            str(row["documents"]),
            human_size(row["size"]),
            row["objid"],
        )
    return table


def _print_summaries(rows: list[dict[str, Any]], total: int, title: str, lang: str) -> None:
    if not rows:
        click.echo(translate("aip.none_found", lang))
        return
    console = _console()
    console.print(_summary_table(rows, title, lang))
    if total > len(rows):
        click.echo(translate("aip.more_results", lang, shown=len(rows), total=total))


@aip.command("list")
@repository_option
@_filter_options
@click.option(
    "--sort",
    type=click.Choice(["newest", "code"]),
    default="newest",
    show_default=True,
    help="Mới nhất trước, hoặc theo mã hồ sơ / newest first, or by arcFileCode.",
)
@format_option
@lang_option
def list_command(
    repository: Path | None,
    fonds: str | None,
    agency: str | None,
    all_versions: bool,
    limit: int,
    sort: str,
    output_format: str,
    lang: str,
) -> int:
    """Liệt kê các gói AIP / list the packages held."""
    from archive_repo.catalog.browse import list_packages

    with _catalog(repository) as (_settings, session):
        rows, total = list_packages(
            session, fonds=fonds, agency=agency, all_versions=all_versions, limit=limit, sort=sort, lang=lang
        )
    if output_format == "json":
        _emit_json({"total": total, "shown": len(rows), "packages": rows})
    else:
        _print_summaries(rows, total, translate("aip.list_title", lang, shown=len(rows), total=total), lang)
    return EXIT_OK


@aip.command("search")
@click.argument("text")
@repository_option
@_filter_options
@click.option("--from", "date_from", metavar="DATE", help="Từ ngày / from (YYYY, YYYY-MM-DD, DD/MM/YYYY).")
@click.option("--to", "date_to", metavar="DATE", help="Đến ngày / to (YYYY, YYYY-MM-DD, DD/MM/YYYY).")
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice(["01", "02", "03"]),
    help="Chế độ sử dụng (lặp lại được) / access mode, repeatable: 01 public, 02 conditional, 03 secret.",
)
@format_option
@lang_option
def search_command(
    text: str,
    repository: Path | None,
    fonds: str | None,
    agency: str | None,
    all_versions: bool,
    limit: int,
    date_from: str | None,
    date_to: str | None,
    modes: tuple[str, ...],
    output_format: str,
    lang: str,
) -> int:
    """Tìm gói và tài liệu theo mã, tiêu đề (không phân biệt dấu) / search codes and titles."""
    from archive_repo.catalog.browse import parse_date, search

    lower = parse_date(date_from, end=False) if date_from else None
    upper = parse_date(date_to, end=True) if date_to else None
    with _catalog(repository) as (_settings, session):
        rows, total = search(
            session,
            text,
            fonds=fonds,
            agency=agency,
            date_from=lower,
            date_to=upper,
            modes=modes or None,
            all_versions=all_versions,
            limit=limit,
            lang=lang,
        )
    if output_format == "json":
        _emit_json({"query": text, "total": total, "shown": len(rows), "packages": rows})
        return EXIT_OK
    _print_summaries(rows, total, translate("aip.search_title", lang, query=text, total=total), lang)
    for row in rows:
        if row["matched_documents"]:
            click.echo(translate("aip.matched_documents", lang, code=row["arc_file_code"] or row["objid"]))
            for document in row["matched_documents"]:
                click.echo(f"    {document['ordinal']:>3}. {document['code'] or '—'}  {document['title']}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------------
# show


def _id_options(function: Any) -> Any:
    function = click.option(
        "--version",
        "version",
        type=click.IntRange(1),
        default=None,
        help="Phiên bản của hồ sơ (mặc định: mới nhất) / version of the dossier (default: newest).",
    )(function)
    return click.argument("ident", metavar="ID")(function)


def _resolve(session: Session, settings: Settings, ident: str, version: int | None) -> Any:
    from archive_repo.catalog.browse import resolve

    return resolve(session, ident, version, archive_code=settings.archive_code)


@aip.command("show")
@_id_options
@repository_option
@format_option
@lang_option
def show_command(
    ident: str, version: int | None, repository: Path | None, output_format: str, lang: str
) -> int:
    """Thông tin một gói AIP (ID: OBJID hoặc mã hồ sơ) / one package (ID: OBJID or arcFileCode)."""
    from archive_repo.catalog.browse import package_detail

    with _catalog(repository) as (settings, session):
        package = _resolve(session, settings, ident, version)
        detail = package_detail(session, package, lang, [loc.name for loc in settings.locations])
    if output_format == "json":
        _emit_json(detail)
    else:
        _render_detail(detail, lang)
    return EXIT_OK


def _coded(code: str | None, label: str | None) -> str:
    if not code:
        return "—"
    return f"{code} — {label}" if label else code


def _render_detail(detail: dict[str, Any], lang: str) -> None:
    from rich.table import Table

    t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
    console = _console()
    fields = Table(show_header=False, box=None, title=t("aip.show_title", objid=detail["objid"]))
    fields.title_justify = "left"
    fields.add_column(style="bold")
    fields.add_column(overflow="fold")
    fonds, agency, submission = detail["fonds"], detail["agency"], detail["submission"]
    rows = [
        ("field_code", detail["arc_file_code"] or "—"),
        ("field_title", detail["title"] or "—"),
        ("field_variant", detail["variant"]),
        ("field_fonds", f"{fonds['code']} — {fonds['name']}" if fonds else "—"),
        ("field_agency", f"{agency['code']} — {agency['name']}" if agency else "—"),
        ("field_dates", _dates(detail["start_date"], detail["end_date"])),
        ("field_mode", _coded(detail["mode"], detail["mode_label"])),
        ("field_record_status", _coded(detail["record_status"], detail["record_status_label"])),
        ("field_version", t("aip.version_status", version=detail["version"], status=detail["status_label"])),
        ("field_supersedes", detail["supersedes"] or "—"),
        ("field_superseded_by", detail["superseded_by"] or "—"),
        ("field_folder", detail["folder"]),
        ("field_created", _when(detail["created_at"])),
        ("field_sip", detail["sip_objid"] or "—"),
    ]
    if submission:
        rows += [
            ("field_submission", submission["source_name"]),
            ("field_submission_digest", submission["digest"]),
            (
                "field_submission_verdict",
                t("aip.verdict_at", verdict=submission["verdict"], time=_when(submission["received_at"])),
            ),
        ]
    others = [v for v in detail["versions"] if not v["current"]]
    if others:
        rows.append(
            (
                "field_versions",
                "\n".join(f"v{v['version']} {v['objid']} ({v['status_label']})" for v in others),
            )
        )
    for key, value in rows:
        fields.add_row(t(f"aip.{key}"), value)
    console.print(fields)

    documents = Table(title=t("aip.documents_title", count=len(detail["documents"])), title_justify="left")
    for column in ("ordinal", "doc_code", "title", "type", "date", "file", "size", "sha256"):
        justify = "right" if column in ("ordinal", "size") else "left"
        documents.add_column(t(f"aip.col_{column}"), justify=justify, overflow="fold")
    for document in detail["documents"]:
        data = document["data_files"]
        documents.add_row(
            str(document["ordinal"]),
            document["code"] or "—",
            _truncate(document["title"] or "—"),
            _coded(document["type"], document["type_label"]),
            document["issued_date"] or "—",
            "\n".join(f["path"].rsplit("/", 1)[-1] for f in data) or "—",
            "\n".join(human_size(f["size"]) for f in data) or "—",
            "\n".join(f["sha256"][:SHORT_DIGEST] for f in data) or "—",
        )
    console.print(documents)

    roles = ", ".join(f"{role} {count}" for role, count in detail["files_by_role"].items())
    click.echo(t("aip.files_summary", count=detail["files"], size=human_size(detail["size"]), roles=roles))

    copies = Table(title=t("aip.copies_title"), title_justify="left")
    for column in ("location", "copies", "copy_status", "verified"):
        copies.add_column(t(f"aip.col_{column}"), overflow="fold")
    for location in detail["locations"]:
        statuses = ", ".join(f"{status} {count}" for status, count in location["statuses"].items())
        if not location["configured"]:
            statuses += " " + t("aip.not_configured")
        oldest, newest = location["oldest_verified_at"], location["newest_verified_at"]
        verified = _when(oldest) if oldest == newest else f"{_when(oldest)} … {_when(newest)}"
        if location["never_verified"]:
            verified += " " + t("aip.never_verified", count=location["never_verified"])
        copies.add_row(
            location["location"], f"{location['copies']}/{detail['files']}", statuses or "—", verified
        )
    console.print(copies)


# --------------------------------------------------------------------------------------------------
# history


@aip.command("history")
@_id_options
@repository_option
@click.option(
    "--files/--no-files",
    "files",
    default=None,
    help="Mỗi sự kiện theo tệp một dòng / ẩn hẳn (mặc định: gộp) — "
    "one line per per-file event / hide them (default: one grouped line).",
)
@format_option
@lang_option
def history_command(
    ident: str,
    version: int | None,
    repository: Path | None,
    files: bool | None,
    output_format: str,
    lang: str,
) -> int:
    """Lịch sử bảo quản (PREMIS) của một gói / a package's preservation history."""
    from archive_repo.catalog.browse import group_file_events, history

    with _catalog(repository) as (settings, session):
        package = _resolve(session, settings, ident, version)
        data = history(session, package, lang)
    events = data["events"]
    hidden = 0
    if files is False:
        hidden = sum(1 for e in events if e["file"] is not None)
        data["events"] = events = [e for e in events if e["file"] is None]
    if output_format == "json":
        data["hidden_file_events"] = hidden
        _emit_json(data)
        return EXIT_OK
    rows = events if files else group_file_events(events)
    _render_history(data, rows, hidden, lang)
    return EXIT_OK


def _group_outcome(outcomes: dict[str, int], lang: str) -> str:
    from archive_repo.catalog.browse import outcome_label

    if len(outcomes) == 1:
        return translate("aip.all_outcome", lang, outcome=outcome_label(next(iter(outcomes)), lang))
    return ", ".join(f"{outcome_label(o, lang)} {n}" for o, n in sorted(outcomes.items()))


def _render_history(data: dict[str, Any], rows: list[dict[str, Any]], hidden: int, lang: str) -> None:
    from rich.table import Table

    t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
    title = t(
        "aip.history_title", objid=data["objid"], code=data["arc_file_code"] or "—", version=data["version"]
    )
    table = Table(title=title, title_justify="left")
    for column in ("time", "event", "outcome", "agent", "file", "detail"):
        table.add_column(t(f"aip.col_{column}"), overflow="fold")
    for row in rows:
        if row.get("group"):
            when = _when(row["first"]) if row["first"] == row["last"] else f"{_when(row['first'])} …"
            table.add_row(
                when,
                t("aip.grouped_event", event=row["type_label"], count=row["count"]),
                _group_outcome(row["outcomes"], lang),
                _agent(row["agent"]),
                "",
                "",
            )
        else:
            table.add_row(
                _when(row["occurred_at"]),
                row["type_label"],
                row["outcome_label"],
                _agent(row["agent"]),
                row["file"] or "",
                row["detail"] or "",
            )
    _console().print(table)
    if not rows:
        click.echo(t("aip.no_events"))
    if hidden:
        click.echo(t("aip.file_events_hidden", count=hidden))
    others = [v for v in data["versions"] if not v["current"]]
    if others:
        click.echo(t("aip.other_versions"))
        for other in others:
            click.echo(f"    v{other['version']}  {other['objid']}  ({other['status_label']})")
        click.echo("    " + t("aip.history_hint", objid=others[0]["objid"]))


# --------------------------------------------------------------------------------------------------
# export


@aip.command("export")
@_id_options
@repository_option
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Tệp ZIP cần ghi (hoặc thư mục chứa nó) / ZIP file to write (or a folder to write it in).",
)
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có / overwrite an existing file.")
@format_option
@lang_option
def export_command(
    ident: str,
    version: int | None,
    repository: Path | None,
    output: Path,
    force: bool,
    output_format: str,
    lang: str,
) -> int:
    """Xuất gói AIP thành tệp ZIP theo TT05, kiểm tra mã băm từng tệp / export an AIP as a verified ZIP."""
    from archive_repo.catalog.browse import export_plan
    from archive_repo.storage.export import export_aip
    from archive_repo.storage.registry import open_stores

    with _catalog(repository) as (settings, session):
        package = _resolve(session, settings, ident, version)
        plan = export_plan(session, package)
    stores = {store.name: store for store in open_stores(settings)}
    result = export_aip(plan, stores, output, force=force)
    for problem in result.passed_over:
        click.echo(
            translate("aip.passed_over", lang, path=problem.path, problem=problem.render(lang)), err=True
        )
    if output_format == "json":
        _emit_json(
            {
                "objid": plan.objid,
                "output": str(result.output),
                "files": result.files,
                "size": result.size,
                "zip_size": result.zip_size,
                "sha256": result.sha256,
                "read_from": result.used,
                "passed_over": [
                    {"path": p.path, "location": p.location, "problem": p.render(lang)}
                    for p in result.passed_over
                ],
            }
        )
    else:
        click.echo(
            translate(
                "aip.exported",
                lang,
                objid=plan.objid,
                path=str(result.output),
                files=result.files,
                size=human_size(result.size),
                zip_size=human_size(result.zip_size),
            )
        )
        click.echo(translate("aip.exported_digest", lang, sha256=result.sha256))
    return EXIT_OK
