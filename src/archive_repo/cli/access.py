"""``archive-repo access ...``: researchers' requests (TT05 ch. VI), from staff's side.

- ``access request``: record a request (who, why, fee category, documents or dossiers, kind of output);
  secret records are refused at once, public ones approved automatically, the rest wait for an approver;
- ``access review CODE`` / ``approve CODE`` / ``deny CODE --reason``: look at a request and decide;
- ``access list [--pending | --overdue]``: requests, those waiting, those past the 6-working-day deadline;
- ``access issue CODE``: make the reading copies, copies, certified copies or certified DIP;
- ``access deliver OUTPUT --to DIR`` / ``access link OUTPUT`` / ``access view OUTPUT``: hand over a
  downloadable output as a file or as a time-limited S3 download link, open a reading copy;
- ``access expire``: delete outputs whose period is over (run it daily, like the fixity timer).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive_repo.cli.common import EXIT_INVALID, EXIT_OK, format_option, lang_option, repository_option
from archive_repo.i18n import translate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from archive_repo.config import Settings

_KINDS = ("reading", "copy", "certified", "dip")


@contextmanager
def _writing(repository: Path | None) -> Iterator[tuple[Settings, Session]]:
    """Settings and a session whose work is committed when the block ends without an error, or with a
    refusal whose reasons were recorded (RecordedRefusal)."""
    from archive_repo.access.errors import RecordedRefusal
    from archive_repo.config import load_settings
    from archive_repo.ingest.catalog_access import writer_sessions

    settings = load_settings(repository)
    with writer_sessions(settings.catalog_url)() as session:
        try:
            yield settings, session
        except RecordedRefusal:
            session.commit()
            raise
        except BaseException:
            session.rollback()
            raise
        session.commit()


@contextmanager
def _reading(repository: Path | None) -> Iterator[tuple[Settings, Session]]:
    """Settings and a read-only session (it never waits for, nor holds, the catalog's write lock)."""
    from archive_repo.config import load_settings
    from archive_repo.ingest.catalog_access import sessions

    settings = load_settings(repository)
    with sessions(settings.catalog_url)() as session:
        yield settings, session


def _emit(data: Any, lines: list[str], output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in lines:
            click.echo(line)


def _rendered(request: Any, lang: str) -> tuple[dict[str, Any], list[str]]:
    from archive_repo.access.present import request_as_dict, request_lines

    return request_as_dict(request, lang), request_lines(request, lang)


def _exit_for(data: dict[str, Any]) -> int:
    return EXIT_INVALID if data["status"] in ("refused", "denied") else EXIT_OK


@click.group()
def access() -> None:
    """Yêu cầu khai thác, bản sao, bản sao chứng thực, DIP / researchers' requests and copies."""


@access.command("request")
@click.argument("items", nargs=-1, required=True, metavar="DOCUMENT_OR_DOSSIER...")
@click.option("--name", "requester_name", required=True, help="Họ tên người yêu cầu / requester's name.")
@click.option(
    "--id-kind",
    type=click.Choice(["cccd", "passport", "other"]),
    default="cccd",
    show_default=True,
    help="Loại giấy tờ tùy thân / identity document.",
)
@click.option("--id-number", required=True, help="Số CCCD hoặc giấy tờ / citizen ID or document number.")
@click.option("--purpose", required=True, metavar="CODE", help="Mục đích (01, 02, 03) / purpose code.")
@click.option("--purpose-text", default=None, help="Nội dung mục đích / purpose details.")
@click.option("--fee", "fee_object_type", required=True, metavar="CODE", help="feeObjectType (01-10).")
@click.option("--topic", default=None, help="Chủ đề nghiên cứu / research topic.")
@click.option("--note", "description", default=None, help="Ghi chú / notes.")
@click.option("--kind", "copy_kind", type=click.Choice(_KINDS), required=True, help="Loại bản / output kind.")
@click.option("--reading-days", type=int, default=None, help="Số ngày đọc (≤ 15) / reading period in days.")
@click.option("--copies", type=int, default=1, show_default=True, help="Số bản / number of copies.")
@repository_option
@format_option
@lang_option
def request_command(
    items: tuple[str, ...],
    requester_name: str,
    id_kind: str,
    id_number: str,
    purpose: str,
    purpose_text: str | None,
    fee_object_type: str,
    topic: str | None,
    description: str | None,
    copy_kind: str,
    reading_days: int | None,
    copies: int,
    repository: Path | None,
    output_format: str,
    lang: str,
) -> int:
    """Ghi nhận yêu cầu khai thác / record a researcher's request."""
    from archive_repo.access.requests import NewRequest, create_request

    new = NewRequest(
        requester_name=requester_name,
        identity_kind=id_kind,
        identity_number=id_number,
        purpose=purpose,
        fee_object_type=fee_object_type,
        copy_kind=copy_kind,
        items=items,
        purpose_content=purpose_text,
        research_topic=topic,
        description=description,
        reading_days=reading_days,
        copies=copies,
    )
    with _writing(repository) as (settings, session):
        request, left_out = create_request(session, settings, new, settings.operator)
        data, lines = _rendered(request, lang)
    if left_out:
        lines.append(translate("access.left_out", lang, documents=", ".join(left_out)))
        data["left_out"] = left_out
    _emit(data, lines, output_format)
    return _exit_for(data)


@access.command("review")
@click.argument("code")
@repository_option
@format_option
@lang_option
def review_command(code: str, repository: Path | None, output_format: str, lang: str) -> int:
    """Xem một yêu cầu / show one request with its documents, regime, fee and history."""
    from archive_repo.access.requests import load_request

    with _reading(repository) as (_, session):
        request = load_request(session, code)
        data, lines = _rendered(request, lang)
        data["events"] = _events(session, request.id)
    for event in data["events"]:
        lines.append(
            translate(
                "access.line_event",
                lang,
                when=event["occurred_at"],
                who=event["actor"],
                action=translate(f"access.action_{event['action']}", lang),
                detail=event["detail"] or "",
            )
        )
    _emit(data, lines, output_format)
    return EXIT_OK


def _events(session: Session, request_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from archive_repo.catalog.browse import vn_time
    from archive_repo.catalog.models import AccessEvent

    rows = session.scalars(
        select(AccessEvent).where(AccessEvent.request_id == request_id).order_by(AccessEvent.id)
    )
    return [
        {"occurred_at": vn_time(e.occurred_at), "actor": e.actor, "action": e.action, "detail": e.detail}
        for e in rows
    ]


@access.command("approve")
@click.argument("code")
@click.option("--note", default=None, help="Ý kiến / note.")
@repository_option
@format_option
@lang_option
def approve_command(
    code: str, note: str | None, repository: Path | None, output_format: str, lang: str
) -> int:
    """Duyệt yêu cầu (người có vai trò duyệt) / approve a request (approver role)."""
    from archive_repo.access.requests import approve, is_approver, staff_login

    login = staff_login()
    with _writing(repository) as (settings, session):
        request = approve(session, settings, code, login, note, approver=is_approver(settings, login))
        data, lines = _rendered(request, lang)
    _emit(data, lines, output_format)
    return _exit_for(data)


@access.command("deny")
@click.argument("code")
@click.option("--reason", required=True, help="Lý do từ chối / why.")
@repository_option
@format_option
@lang_option
def deny_command(code: str, reason: str, repository: Path | None, output_format: str, lang: str) -> int:
    """Từ chối yêu cầu / deny a request, with the reason."""
    from archive_repo.access.requests import deny, is_approver, staff_login

    login = staff_login()
    with _writing(repository) as (settings, session):
        request = deny(session, code, login, reason, approver=is_approver(settings, login))
        data, lines = _rendered(request, lang)
    _emit(data, lines, output_format)
    return EXIT_OK


@access.command("list")
@click.option("--pending", "which", flag_value="pending", help="Đang chờ duyệt / waiting for a decision.")
@click.option("--overdue", "which", flag_value="overdue", help="Quá hạn 6 ngày làm việc / past the deadline.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@repository_option
@format_option
@lang_option
def list_command(
    which: str | None, limit: int, repository: Path | None, output_format: str, lang: str
) -> int:
    """Danh sách yêu cầu / list requests (all, pending or overdue)."""
    from sqlalchemy import select

    from archive_repo.access.present import request_as_dict
    from archive_repo.access.requests import pending_requests, today_in_vietnam
    from archive_repo.catalog.models import AccessRequest

    with _reading(repository) as (_, session):
        if which == "pending":
            requests = pending_requests(session)
        elif which == "overdue":
            requests = pending_requests(session, overdue_on=today_in_vietnam())
        else:
            requests = list(
                session.scalars(select(AccessRequest).order_by(AccessRequest.id.desc()).limit(limit))
            )
        requests = requests[:limit]
        data = [request_as_dict(request, lang) for request in requests]
        lines = [
            translate(
                "access.list_row",
                lang,
                code=r["code"],
                status=r["status_label"],
                name=r["requester"]["name"],
                kind=r["kind_label"],
                due=r["review_due_on"],
                items=len(r["items"]),
            )
            for r in data
        ] or [translate("access.list_empty", lang)]
    _emit(data, lines, output_format)
    return EXIT_OK


@access.command("issue")
@click.argument("code")
@click.option(
    "--deliver-to",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Giao luôn vào thư mục này / also hand the downloadable outputs over into this folder.",
)
@repository_option
@format_option
@lang_option
def issue_command(
    code: str, deliver_to: Path | None, repository: Path | None, output_format: str, lang: str
) -> int:
    """Cấp bản đọc / bản sao / bản sao chứng thực / DIP cho yêu cầu đã duyệt / issue the outputs."""
    from archive_repo.access.delivery import deliver
    from archive_repo.access.errors import AccessError
    from archive_repo.access.issue import issue_request
    from archive_repo.access.requests import load_request
    from archive_repo.config import load_settings
    from archive_repo.storage.registry import open_stores

    settings = load_settings(repository)
    issue_request(settings, code, open_stores(settings), settings.operator)
    with _reading(repository) as (_, session):
        request = load_request(session, code)
        data, lines = _rendered(request, lang)
        downloadable = [o.id for o in request.outputs if o.kind != "reading" and o.status == "available"]
    failed = False
    if deliver_to is not None and data["status"] == "issued":
        for output_id in downloadable:
            try:
                with _writing(repository) as (settings, session):
                    target = deliver(session, settings, output_id, deliver_to, settings.operator)
                lines.append(translate("access.delivered", lang, path=str(target)))
            except AccessError as exc:  # the issue stands; say what was not handed over and go on
                lines.append(translate("cli.error_prefix", lang) + exc.message(lang))
                failed = True
    _emit(data, lines, output_format)
    return EXIT_INVALID if data["status"] != "issued" or failed else EXIT_OK


@access.command("deliver")
@click.argument("output_id", type=int, metavar="OUTPUT")
@click.option("--to", "folder", type=click.Path(path_type=Path, file_okay=False), required=True)
@repository_option
@lang_option
def deliver_command(output_id: int, folder: Path, repository: Path | None, lang: str) -> int:
    """Giao một bản được phép tải / hand over a downloadable output (copied into --to)."""
    from archive_repo.access.delivery import deliver

    with _writing(repository) as (settings, session):
        target = deliver(session, settings, output_id, folder, settings.operator)
    click.echo(translate("access.delivered", lang, path=str(target)))
    return EXIT_OK


@access.command("view")
@click.argument("output_id", type=int, metavar="OUTPUT")
@repository_option
@lang_option
def view_command(output_id: int, repository: Path | None, lang: str) -> int:
    """Mở bản đọc tại phòng đọc (ghi nhật ký) / the file to open in the reading room (logged)."""
    from archive_repo.access.delivery import view

    with _writing(repository) as (settings, session):
        path = view(session, settings, output_id, settings.operator)
    click.echo(translate("access.view_path", lang, path=str(path)))
    return EXIT_OK


@access.command("expire")
@repository_option
@format_option
@lang_option
def expire_command(repository: Path | None, output_format: str, lang: str) -> int:
    """Xóa các bản đã hết thời hạn / delete outputs whose period is over."""
    from archive_repo.access.delivery import expire_outputs

    with _writing(repository) as (settings, session):
        expired, failed = expire_outputs(session, settings, settings.operator)
    data = {
        "deleted": [{"output": e.output_id, "request": e.request_code, "path": e.path} for e in expired],
        "failed": [
            {"output": e.output_id, "request": e.request_code, "path": e.path, "problem": e.problem}
            for e in failed
        ],
    }
    lines = [translate("access.expired_row", lang, **row) for row in data["deleted"]]
    lines += [translate("access.expire_failed", lang, **row) for row in data["failed"]]
    lines.append(translate("access.expired_total", lang, count=len(expired)))
    _emit(data, lines, output_format)
    return EXIT_INVALID if failed else EXIT_OK


@access.command("link")
@click.argument("output_id", type=int, metavar="OUTPUT")
@click.option(
    "--hours", type=click.FloatRange(min=0.1), default=None, help="Hiệu lực (giờ) / valid for hours."
)
@repository_option
@format_option
@lang_option
def link_command(
    output_id: int, hours: float | None, repository: Path | None, output_format: str, lang: str
) -> int:
    """Liên kết tải có thời hạn (S3) / a time-limited download link from [access.downloads]."""
    from archive_repo.access.delivery import download_link
    from archive_repo.catalog.browse import vn_time

    with _writing(repository) as (settings, session):
        link = download_link(session, settings, output_id, settings.operator, hours)
    until = vn_time(link.expires_at)
    _emit(
        {"url": link.url, "expires_at": until},
        [translate("access.link", lang, until=until), link.url],
        output_format,
    )
    return EXIT_OK
