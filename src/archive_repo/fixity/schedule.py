"""``archive-repo fixity schedule``: how much a daily audit must read so every copy is checked within the
period, how long that takes at the throughput measured by past audits, and the cron / systemd lines that
run it. TT05 asks for every record to be checked at least once within three years; the default period is
one year."""

from __future__ import annotations

import shlex
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive_repo.catalog.browse import vn_time
from archive_repo.catalog.models import AuditRun, File, StorageCopy


@dataclass(frozen=True)
class SchedulePlan:
    period_days: int
    copies: int
    total_bytes: int
    overdue_copies: int
    overdue_bytes: int
    never_checked: int
    oldest_check: str | None
    daily_bytes: int
    measured_bytes_per_second: float | None
    daily_seconds: float | None
    workers: int

    def as_record(self) -> dict[str, object]:
        return asdict(self)


def plan_schedule(session: Session, period_days: int, workers: int, now: datetime) -> SchedulePlan:
    totals = (
        select(func.count(), func.coalesce(func.sum(File.size), 0))
        .select_from(StorageCopy)
        .join(File, StorageCopy.file_id == File.id)
    )
    copies, total_bytes = session.execute(totals).one()
    cutoff = now - timedelta(days=period_days)
    overdue_copies, overdue_bytes = session.execute(
        totals.where((StorageCopy.verified_at.is_(None)) | (StorageCopy.verified_at <= cutoff))
    ).one()
    never = session.scalar(
        select(func.count()).select_from(StorageCopy).where(StorageCopy.verified_at.is_(None))
    )
    oldest = session.scalar(select(func.min(StorageCopy.verified_at)))
    measured = session.execute(
        select(func.sum(AuditRun.bytes_checked), func.sum(AuditRun.seconds)).where(
            AuditRun.kind == "audit", AuditRun.status == "finished", AuditRun.bytes_checked > 0
        )
    ).one()
    rate = measured[0] / measured[1] if measured[0] and measured[1] else None
    daily = int(total_bytes) // period_days + (1 if total_bytes else 0)
    return SchedulePlan(
        period_days=period_days,
        copies=int(copies),
        total_bytes=int(total_bytes),
        overdue_copies=int(overdue_copies),
        overdue_bytes=int(overdue_bytes),
        never_checked=int(never or 0),
        oldest_check=vn_time(oldest),
        daily_bytes=daily,
        measured_bytes_per_second=round(rate, 1) if rate else None,
        daily_seconds=round(daily / rate, 1) if rate else None,
        workers=workers,
    )


def audit_command_line(home: Path) -> list[str]:
    """The command a timer runs: the day's share, without a progress bar, logged as JSON."""
    program = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0].endswith("archive-repo") else None
    executable = str(program) if program else "archive-repo"
    return [executable, "fixity", "audit", "--due", "--no-progress", "--repository", str(home)]


def cron_line(home: Path, hour: int, minute: int) -> str:
    command = shlex.join(audit_command_line(home))
    log = shlex.quote(str(home / "fixity-audit.log"))
    return f"{minute} {hour} * * * {command} >> {log} 2>&1"


def systemd_units(home: Path, hour: int, minute: int) -> str:
    command = shlex.join(audit_command_line(home))
    return "\n".join(
        [
            "# /etc/systemd/system/archive-repo-fixity.service",
            "[Unit]",
            "Description=archive-repo fixity audit (what is due today)",
            "",
            "[Service]",
            "Type=oneshot",
            f"ExecStart={command}",
            "Nice=10",
            "IOSchedulingClass=idle",
            "",
            "# /etc/systemd/system/archive-repo-fixity.timer",
            "[Unit]",
            "Description=Daily archive-repo fixity audit",
            "",
            "[Timer]",
            f"OnCalendar=*-*-* {hour:02d}:{minute:02d}:00",
            "Persistent=true",
            "RandomizedDelaySec=15min",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
            "# then: systemctl daemon-reload && systemctl enable --now archive-repo-fixity.timer",
        ]
    )


def next_run(now: datetime, hour: int, minute: int) -> datetime:
    """The next moment at hour:minute (in ``now``'s time zone) strictly after ``now``."""
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)
