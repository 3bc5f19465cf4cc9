"""``archive-repo portal ...``: accounts of the researcher portal, from the administrator's side.

- ``portal add-staff EMAIL --name NAME [--approver] [--password-env VAR]``: a staff account, active at
  once; ``--approver`` lets it approve and deny requests for conditional records (regime 02). The
  password is read from the environment variable ``VAR``, else asked twice at the terminal (never an
  argument: it would stay in the shell history and the process list);
- ``portal accounts [--pending]``: every account, or those waiting for activation with the day each is
  due by (TT05: within 1 working day);
- ``portal disable EMAIL`` / ``portal enable EMAIL``: stop an account (its sessions end at once) or let
  it in again; ``portal set-password EMAIL [--password-env VAR]``: an administrator's reset (sessions end,
  the lock is lifted).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from archive_repo.cli.common import EXIT_OK, format_option, lang_option, repository_option
from archive_repo.i18n import translate


@click.group()
def portal() -> None:
    """Tài khoản cổng khai thác / accounts of the researcher portal."""


@portal.command("add-staff")
@click.argument("email")
@click.option("--name", "full_name", required=True, help="Họ tên cán bộ / the staff member's full name.")
@click.option("--approver", is_flag=True, help="Được duyệt yêu cầu / may approve and deny requests.")
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="Đọc mật khẩu từ biến môi trường này / read the password from this environment variable.",
)
@repository_option
@lang_option
def add_staff_command(
    email: str, full_name: str, approver: bool, password_env: str | None, repository: Path | None, lang: str
) -> int:
    """Tạo tài khoản cán bộ / add a staff account (active at once)."""
    from archive_repo.config import load_settings
    from archive_repo.ingest.catalog_access import writer_sessions
    from archive_repo.portal.accounts import add_staff

    password = _password(password_env, lang)
    settings = load_settings(repository)
    with writer_sessions(settings.catalog_url)() as session:
        account = add_staff(session, email, full_name, password, approver=approver)
        address = account.email
        session.commit()
    role = translate("portal.role_approver" if approver else "portal.role_staff", lang)
    click.echo(translate("portal.staff_added", lang, email=address, role=role))
    return EXIT_OK


def _password(password_env: str | None, lang: str) -> str:
    """From the environment variable named, else asked twice at the terminal (never an argument)."""
    from archive_repo.portal.errors import PortalError

    if password_env is not None:
        password = os.environ.get(password_env, "")
        if not password:
            raise PortalError("portal.password_env_empty", name=password_env)
        return password
    return click.prompt(translate("portal.password_prompt", lang), hide_input=True, confirmation_prompt=True)


def _change(repository: Path | None, change: Any) -> str:
    """Apply ``change(session, settings)`` to the catalog; returns the account's address."""
    from archive_repo.config import load_settings
    from archive_repo.ingest.catalog_access import writer_sessions

    settings = load_settings(repository)
    with writer_sessions(settings.catalog_url)() as session:
        address = change(session, settings).email
        session.commit()
    return address


def _switch(email: str, status: str, repository: Path | None, lang: str) -> int:
    from archive_repo.portal.accounts import set_status

    address = _change(
        repository, lambda session, settings: set_status(session, email, status, settings.operator)
    )
    click.echo(translate(f"portal.account_{status}_done", lang, email=address))
    return EXIT_OK


@portal.command("disable")
@click.argument("email")
@repository_option
@lang_option
def disable_command(email: str, repository: Path | None, lang: str) -> int:
    """Khóa tài khoản / disable an account (its sessions end at once)."""
    return _switch(email, "disabled", repository, lang)


@portal.command("enable")
@click.argument("email")
@repository_option
@lang_option
def enable_command(email: str, repository: Path | None, lang: str) -> int:
    """Mở lại tài khoản / enable an account again."""
    return _switch(email, "active", repository, lang)


@portal.command("set-password")
@click.argument("email")
@click.option("--password-env", metavar="VAR", default=None, help="Biến môi trường chứa mật khẩu / variable.")
@repository_option
@lang_option
def set_password_command(email: str, password_env: str | None, repository: Path | None, lang: str) -> int:
    """Đặt lại mật khẩu / reset an account's password (its sessions end)."""
    from archive_repo.portal.accounts import set_password

    password = _password(password_env, lang)
    address = _change(repository, lambda session, settings: set_password(session, email, password))
    click.echo(translate("portal.password_set_done", lang, email=address))
    return EXIT_OK


@portal.command("accounts")
@click.option(
    "--pending", is_flag=True, help="Chỉ tài khoản chờ kích hoạt / only those waiting for activation."
)
@repository_option
@format_option
@lang_option
def accounts_command(pending: bool, repository: Path | None, output_format: str, lang: str) -> int:
    """Danh sách tài khoản / list the portal's accounts."""
    from sqlalchemy import select

    from archive_repo.catalog.browse import vn_time
    from archive_repo.catalog.models import PortalAccount
    from archive_repo.config import load_settings
    from archive_repo.ingest.catalog_access import sessions
    from archive_repo.portal.accounts import pending_accounts

    settings = load_settings(repository)
    with sessions(settings.catalog_url)() as session:
        if pending:
            rows = list(pending_accounts(session, settings.access.holidays))
        else:
            query = select(PortalAccount).order_by(PortalAccount.created_at, PortalAccount.id)
            rows = [(account, None) for account in session.scalars(query)]
        data: list[dict[str, Any]] = [
            {
                "id": account.id,
                "email": account.email,
                "full_name": account.full_name,
                "role": account.role,
                "approver": bool(account.approver),
                "status": account.status,
                "created_at": vn_time(account.created_at),
                "activated_at": vn_time(account.activated_at),
                "last_login_at": vn_time(account.last_login_at),
                **({"due_on": due.isoformat()} if due is not None else {}),
            }
            for account, due in rows
        ]
    if output_format == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    for row in data:
        role = translate("portal.role_approver" if row["approver"] else f"portal.role_{row['role']}", lang)
        line = translate(
            "portal.account_row",
            lang,
            id=row["id"],
            email=row["email"],
            name=row["full_name"],
            role=role,
            status=translate(f"portal.account_{row['status']}", lang),
        )
        if "due_on" in row:
            line += translate("portal.account_due", lang, date=row["due_on"])
        click.echo(line)
    if not data:
        click.echo(translate("portal.no_accounts", lang))
    return EXIT_OK
