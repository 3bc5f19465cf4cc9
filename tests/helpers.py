"""Build small TT05 packages in a test's tmp_path, damage them precisely, and look at what was reported.

Packages are built with the project's own SIP builder from descriptions written here, so every test
starts from a package the validator accepts and changes exactly one thing. ``refresh_fixity`` re-measures
SIZE and CHECKSUM after an edit, for tests that want a metadata defect and no fixity noise.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from archive_repo.catalog.db import engine_for
from archive_repo.config import Settings
from archive_repo.findings import Finding
from archive_repo.samples.minimal_pdf import make_pdf
from archive_repo.sip.builder import build_sip
from archive_repo.sip.description import DocumentDescription, SipDescription
from archive_repo.validation.report import Report
from archive_repo.validation.validator import validate_path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
NS = {"mets": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS}
HREF = f"{{{XLINK_NS}}}href"
OAISPACKAGETYPE = f"{{{CSIP_NS}}}OAISPACKAGETYPE"
CONTENTINFORMATIONTYPE = f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE"
NOTETYPE = f"{{{CSIP_NS}}}NOTETYPE"

OBJID = "uuid-5A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
FILE_CODE = "H49.64.33.2024.15"
CREATED = "2025-03-10T09:15:00.000+07:00"
REP1 = "representations/rep1"
DATA = f"{REP1}/data"
DOCS = f"{REP1}/metadata/descriptive"
PACKAGE_EAD = "metadata/descriptive/EAD.xml"


def m(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


# --------------------------------------------------------------------------------------------------
# descriptions and building


def dossier_fields(**overrides: str | None) -> dict[str, str]:
    """The 18-field dossier record of a valid SIP_hoso; an override of None removes the field."""
    fields = {
        "fileCode": FILE_CODE,
        "title": "Hồ sơ về việc tổ chức Hội nghị tổng kết công tác văn thư, lưu trữ năm 2024",
        "maintenance": "01",
        "mode": "01",
        "language": "01",
        "startDate": "05/11/2024",
        "endDate": "27/12/2024",
        "keyword": "văn thư; lưu trữ",
        "numberOfPage": "9",
        "format": "01",
        "confidenceLevel": "01",
        "riskRecovery": "1",
        "riskRecoveryStatus": "01",
        "description": "Hồ sơ điện tử do Văn phòng Sở lập.",
    }
    return _apply(fields, overrides)


def document_fields(ordinal: int, **overrides: str | None) -> dict[str, str]:
    """A text document of the dossier (docId, docCode and inherited fields are filled by the builder)."""
    fields = {
        "typeName": "10",
        "codeNumber": str(200 + ordinal),
        "codeNotation": "KH-SNV",
        "issuedDate": f"{10 + ordinal:02d}/12/2024",
        "organName": "Sở Nội vụ tỉnh Hà Giang",
        "subject": f"Văn bản số {ordinal} của hồ sơ hội nghị",
        "numberOfPage": "3",
        "confidenceLevel": "01",
        "process": "0",
    }
    return _apply(fields, overrides)


def _apply(fields: dict[str, str], overrides: dict[str, str | None]) -> dict[str, str]:
    result = dict(fields)
    for name, value in overrides.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def build_sip_hoso(
    tmp_path: Path,
    n_docs: int = 3,
    *,
    package: dict[str, str | None] | None = None,
    docs: dict[int, dict[str, str | None]] | None = None,
    holey: dict[int, str] | None = None,
    variant: str = "SIP_hoso",
    objid: str = OBJID,
    out: Path | None = None,
    prepare: Callable[[int, Path], None] | None = None,
    **overrides: Any,
) -> Path:
    """Build a valid SIP_hoso (three born-digital PDFs by default) below ``tmp_path``; returns its folder.

    ``package``: dossier field overrides; ``docs``: {ordinal: field overrides}; ``holey``: {ordinal:
    identifier} makes that document a holey reference; ``prepare(ordinal, pdf)`` may rewrite a
    document's file before the SIP is built (sign it, replace it); other keyword arguments set
    attributes of the :class:`SipDescription` (fonds_code, record_status, software, created).
    """
    files = tmp_path / "files"
    files.mkdir(parents=True, exist_ok=True)
    documents = []
    for ordinal in range(1, n_docs + 1):
        fields = document_fields(ordinal, **(docs or {}).get(ordinal, {}))
        if holey and ordinal in holey:
            documents.append(DocumentDescription("doc", fields, holey=holey[ordinal], where=f"#{ordinal}"))
            continue
        pdf = files / f"van-ban-{ordinal}.pdf"
        pdf.write_bytes(make_pdf([fields.get("subject", ""), f"So {ordinal}"]))
        if prepare is not None:
            prepare(ordinal, pdf)
        documents.append(DocumentDescription("doc", fields, file=pdf, where=f"#{ordinal}"))
    description = SipDescription(
        variant=variant,
        fonds_code="G09",
        package=dossier_fields(**(package or {})),
        documents=documents,
        objid=objid,
        created=CREATED,
        software="QLVB&HSCV test 1.0",
    )
    for key, value in overrides.items():
        if not hasattr(description, key):
            raise TypeError(f"SipDescription has no attribute {key!r}")
        setattr(description, key, value)
    target = out or tmp_path / "out"
    target.mkdir(parents=True, exist_ok=True)
    return build_sip(description, target).folder


def build_sip_tailieu(tmp_path: Path, n_docs: int = 2, **kwargs: Any) -> Path:
    """A valid SIP_tailieu: batch header with ``source``, documents with all their own fields."""
    package = {
        "fileCode": "H49.64.33.2024.01.0000001",
        "title": "Văn bản đi không lập hồ sơ, quý IV năm 2024",
        "source": "0",
        "description": "Nộp lưu theo danh mục số 01/2025.",
    }
    removed = {name: None for name in dossier_fields() if name not in package}
    docs = {
        ordinal: {
            "docId": f"H49.64.33.2024.{400 + ordinal}",
            "docCode": f"H49.64.33.2024.01.0000001.{ordinal:07d}",
            "language": "01",
            "mode": "01",
            "riskRecovery": "0",
        }
        for ordinal in range(1, n_docs + 1)
    }
    return build_sip_hoso(
        tmp_path, n_docs, package={**removed, **package}, docs=docs, variant="SIP_tailieu", **kwargs
    )


def doc_record(package: Path, ordinal: int) -> Path:
    return package / DOCS / f"EAD_DOC_{FILE_CODE}.{ordinal}.xml"


def doc_file(package: Path, ordinal: int) -> Path:
    return package / DATA / f"{FILE_CODE}.{ordinal}.pdf"


# --------------------------------------------------------------------------------------------------
# editing built packages


def parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(remove_blank_text=False))


def write(tree: etree._ElementTree, path: Path) -> None:
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))


def edit_xml(path: Path, change: Callable[[etree._Element], Any]) -> None:
    """Parse ``path``, let ``change`` modify the root element in place, write it back."""
    tree = parse(path)
    change(tree.getroot())
    write(tree, path)


def set_fields(record: Path, **fields: str | None) -> None:
    """Set fields of a flat ``simpledc`` record; None removes the element, "" leaves it empty."""

    def change(root: etree._Element) -> None:
        for name, value in fields.items():
            existing = [c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == name]
            if value is None:
                for element in existing:
                    root.remove(element)
                continue
            element = existing[0] if existing else etree.SubElement(root, name)
            element.text = value

    edit_xml(record, change)


def one(root: etree._Element, xpath: str) -> etree._Element:
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, f"{xpath!r} matched {len(found)} nodes"
    return found[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refresh_mets(mets: Path, package_root: Path) -> None:
    """Re-measure SIZE and CHECKSUM (SHA-256, uppercase) of every file and mdRef this METS lists.

    Targets that do not exist or lie outside the package are left alone (the test made them so).
    """
    root_resolved = package_root.resolve()

    def change(root: etree._Element) -> None:
        for element in root.iter(m("FLocat"), m("mdRef")):
            href = element.get(HREF)
            if not href:
                continue
            target = (mets.parent / href).resolve()
            if root_resolved not in target.parents or not target.is_file():
                continue
            owner = element.getparent() if element.tag == m("FLocat") else element
            owner.set("SIZE", str(target.stat().st_size))
            owner.set("CHECKSUMTYPE", "SHA-256")
            owner.set("CHECKSUM", sha256(target).upper())

    edit_xml(mets, change)


def refresh_fixity(package: Path) -> None:
    """After editing files of a built package: representation METS files first, then the root METS."""
    for rep_mets in sorted(package.glob("representations/*/METS.xml")):
        refresh_mets(rep_mets, package)
    refresh_mets(package / "METS.xml", package)


# --------------------------------------------------------------------------------------------------
# validating and reading reports


def validate(path: Path, profile: str | None = None, **kwargs: Any) -> Report:
    return validate_path(path, profile, **kwargs)


def rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


def findings_of(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def describe(report: Report) -> str:
    """All findings, one a line, for assertion messages."""
    return (
        "\n".join(
            f"{f.severity} {f.rule} {f.path} line={f.location.line} {f.message('en')}"
            for f in report.findings
        )
        or "(no findings)"
    )


def assert_rule(report: Report, rule: str, severity: str = "error", **expect: Any) -> list[Finding]:
    """The rule was reported with ``severity``; ``expect`` narrows by message_key, path suffix, params."""
    hits = [f for f in findings_of(report, rule) if str(f.severity) == severity]
    key = expect.pop("message_key", None)
    path_end = expect.pop("path_endswith", None)
    if key is not None:
        hits = [f for f in hits if f.message_key == key]
    if path_end is not None:
        hits = [f for f in hits if f.path.endswith(path_end)]
    for name, value in expect.items():
        hits = [f for f in hits if f.params.get(name) == value]
    assert hits, f"expected {severity} {rule} {key or ''} {path_end or ''} {expect}; got:\n{describe(report)}"
    return hits


# --------------------------------------------------------------------------------------------------
# containers and file trees


def zip_package(folder: Path, target: Path, *, top_folder: bool = True) -> Path:
    """ZIP a package folder: under a single top folder (as agencies do) or with its content at the root."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                relative = path.relative_to(folder).as_posix()
                archive.write(path, f"{folder.name}/{relative}" if top_folder else relative)
    return target


def tree_state(folder: Path) -> dict[str, str]:
    """Everything observable about a folder tree: each entry's kind, mode, and content hash or link target."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            relative = path.relative_to(folder).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                state[relative] = f"link -> {os.readlink(path)}"
            elif stat.S_ISREG(info.st_mode):
                state[relative] = f"file {oct(info.st_mode)} {info.st_mtime_ns} {sha256(path)}"
            elif stat.S_ISDIR(info.st_mode):
                state[relative] = f"dir {oct(info.st_mode)}"
            else:
                state[relative] = f"special {oct(info.st_mode)}"
    return state


def run_cli(
    *args: str | Path, cwd: Path | None = None, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``python -m archive_repo ...`` in a subprocess, as a user would run it (``env``: extra variables)."""
    cleared = ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DEBUG")
    environment = {k: v for k, v in os.environ.items() if k not in cleared}
    environment["PYTHONIOENCODING"] = "utf-8"
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "archive_repo", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        env=environment,
        timeout=timeout,
    )


def all_text(result: subprocess.CompletedProcess) -> str:
    return (result.stdout or "") + (result.stderr or "")


def hrefs(mets: Path) -> list[str]:
    return [e.get(HREF) for e in parse(mets).getroot().iter(m("FLocat"), m("mdRef"), m("mptr"))]


def unique_paths(items: Iterable[str]) -> list[str]:
    return sorted(set(items))


@contextlib.contextmanager
def catalog(settings: Settings) -> Iterator[Session]:
    """A session on the repository's catalog, with its own engine (disposed afterwards)."""
    engine = engine_for(settings.catalog_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------------
# repositories for tests that are not about authenticity

# No ClamAV scan (recorded as "not performed"): the virus tests run the real scanner themselves.
NO_VIRUS_SCAN = ("--virus-scan", "off")


def allow_unsigned_documents(home: Path) -> None:
    """Tests that ingest generated, unsigned sample PDFs: a missing signature is recorded, not rejected
    (the signature policy itself is tested in test_ingest_authenticity.py)."""
    config = home / "archive-repo.toml"
    text = config.read_text(encoding="utf-8")
    assert "[authenticity]\n" in text
    if "on_missing_signature" in text:
        return
    config.write_text(
        text.replace("[authenticity]\n", '[authenticity]\non_missing_signature = "record"\n', 1),
        encoding="utf-8",
    )


def trust_examples(home: Path) -> None:
    """The demo trust anchors of examples/trust (the examples' signatures chain to them)."""
    source = EXAMPLES / "trust"
    for kind in ("anchors", "intermediates", "crls"):
        target = home / "trust" / kind
        target.mkdir(parents=True, exist_ok=True)
        for item in sorted((source / kind).glob("*")) if (source / kind).is_dir() else []:
            (target / item.name).write_bytes(item.read_bytes())
