"""``archive-repo verify-signatures FILE|PACKAGE``: validate digital signatures on demand, offline."""

from __future__ import annotations

import json
from pathlib import Path

import click

from archive_repo.cli.common import EXIT_INVALID, EXIT_OK, lang_option
from archive_repo.i18n import translate


@click.command("verify-signatures")
@click.argument("target", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Thư mục tin cậy (anchors/, intermediates/, crls/) / trust folder; default: the repository's.",
)
@click.option(
    "--repository",
    "-R",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Kho lưu trữ lấy thư mục tin cậy / repository whose trust folder to use.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@lang_option
def verify_signatures(
    target: Path, trust_dir: Path | None, repository: Path | None, output_format: str, lang: str
) -> int:
    """Xác thực chữ ký số (PDF, XML) / validate the digital signatures of a file or a package, offline.

    Exit 0 when every signature found is TOTAL-PASSED, 1 when one is not or none is found.
    """
    from archive_repo.authenticity.trust import TrustStore
    from archive_repo.authenticity.verify import verify_target

    trust_folder = trust_dir if trust_dir is not None else _repository_trust(repository)
    trust = TrustStore.load(trust_folder)
    results = verify_target(target, trust)
    if output_format == "json":
        payload = {
            "target": str(target),
            "trust": str(trust_folder) if trust_folder else None,
            "anchors": len(trust.anchors),
            "files": [
                {
                    "path": found.path,
                    "error": found.error,
                    "signatures": [s.as_record() for s in found.signatures],
                }
                for found in results
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _render(results, trust_folder, len(trust.anchors), lang)
    signatures = [s for found in results for s in found.signatures]
    all_passed = bool(signatures) and all(s.passed for s in signatures) and not any(f.error for f in results)
    return EXIT_OK if all_passed else EXIT_INVALID


def _repository_trust(repository: Path | None) -> Path | None:
    """The repository's trust folder when there is a repository here; else no trust anchors at all."""
    from archive_repo.config import CONFIG_FILE, default_home, load_settings

    home = repository or default_home()
    if repository is None and not (home / CONFIG_FILE).is_file():
        return None
    return load_settings(home).trust_dir


def _render(results: list, trust_folder: Path | None, anchors: int, lang: str) -> None:  # noqa: ANN001
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if trust_folder is None or anchors == 0:
        console.print(translate("signatures.no_anchors", lang, path=str(trust_folder or "-")), style="yellow")
    else:
        console.print(translate("signatures.trust", lang, path=str(trust_folder), anchors=anchors))
    table = Table(show_lines=False)
    for key in ("file", "number", "kind", "signer", "time", "outcome"):
        table.add_column(translate(f"signatures.column_{key}", lang))
    notes: list[str] = []
    for found in results:
        if found.error is not None:
            table.add_row(found.path, "-", "-", "-", "-", translate("signatures.unreadable", lang))
            notes.append(f"{found.path}: {found.error}")
        for signature in found.signatures:
            when = signature.signing_time.isoformat(timespec="seconds") if signature.signing_time else "-"
            kind = " ".join(part for part in (signature.kind, signature.level) if part)
            outcome = str(signature.outcome)
            if signature.subindication:
                outcome += f" ({signature.subindication})"
            style = "green" if signature.passed else "red" if "FAILED" in outcome else "yellow"
            table.add_row(
                found.path, str(signature.index), kind, signature.signer or "-", when, f"[{style}]{outcome}"
            )
            if not signature.passed and signature.reasons:
                notes.append(f"{found.path} #{signature.index}: " + "; ".join(signature.reasons))
    if table.row_count:
        console.print(table)
    else:
        console.print(translate("signatures.none_found", lang))
    for note in notes:
        console.print(f"  - {note}", markup=False)
