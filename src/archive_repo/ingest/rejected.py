"""The rejected area: for every rejected submission, its full report (JSON and text) in a folder of its own.

Nothing of the submission itself is copied: the agency keeps what it sent, and the archive keeps why it
was refused.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

from archive_repo.findings import Finding
from archive_repo.i18n import translate

_UNSAFE = re.compile(r"[^\w.-]+")


def write_rejection(
    folder: Path, source: str, digest: str, report: dict[str, object], received_at: datetime, lang: str
) -> Path:
    name = _UNSAFE.sub("_", Path(source).name)[:80] or "submission"
    target = folder / f"{received_at:%Y%m%d-%H%M%S}-{name}-{digest[:12]}"
    target.mkdir(parents=True, exist_ok=True)
    findings = [Finding.from_record(r) for r in report.get("findings", [])]  # type: ignore[union-attr]
    rendered = {
        "source": source,
        "digest": digest,
        "received_at": received_at.isoformat(),
        "profile": report.get("profile"),
        "verdict": report.get("verdict"),
        "findings": [f.as_dict(lang) for f in findings],
    }
    _write(target / "report.json", json.dumps(rendered, ensure_ascii=False, indent=2) + "\n")
    lines = [translate("report.package", lang, package=source)]
    lines += [f"  [{f.severity}] [{f.rule}] {f.where(lang)}: {f.message(lang)}" for f in findings]
    _write(target / "report.txt", "\n".join(lines) + "\n")
    return target


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
