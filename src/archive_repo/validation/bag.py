"""BagIt bags: validity under the BagIt version the bag declares (0.93–0.97, RFC 8493 / 1.0), the
``bagit`` library's own warnings kept as findings, and BagIt-Profiles requirements.

The ``bagit`` library parses the bag (bag-info for the profiles, manifest entries for hashing) but is
lenient where the specification is not, and stops at the first problem. So before it opens the bag we
read the tag files ourselves (:func:`inspect_bag`): the declaration (bagit.txt), every manifest line,
fetch.txt and bag-info.txt, plus one walk of the file tree (names and sizes only, no contents). The
completeness, Payload-Oxum and checksum checks then work from that inspection; checksums come from the
caller's :class:`DigestCache`, so no payload file is read twice.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import bagit

from archive_repo.findings import Findings, Severity
from archive_repo.hashing import DigestCache, normalise_algorithm
from archive_repo.validation.profiles import Profile

AGENCY_PROFILE_ID = "urn:archive-repo:bagit-profile:agency-transfer:1.0"
KNOWN_VERSIONS = ((0, 93), (0, 94), (0, 95), (0, 96), (0, 97), (1, 0))
_DECLARATION = ("BagIt-Version", "Tag-File-Character-Encoding")
_MANIFEST_NAME = re.compile(r"(tag)?manifest-([^/]+)\.txt")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_DRIVE = re.compile(r"[A-Za-z]:")
# Operating-system metadata files: no record content, often added or stripped by copy tools.
_SYSTEM_NAMES = {".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".directory"}
# The same finding at most this many times per file (a broken manifest can have a million lines).
_REPEAT_CAP = 20
# Library log messages that our own checks already report with a stable rule id.
_COVERED_LIBRARY_MESSAGES = ("byte-order mark", "multiple times", "manifest entry")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _bagit_warnings() -> Iterator[_Collect]:
    logger = logging.getLogger("bagit")
    handler = _Collect()
    previous = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


# --------------------------------------------------------------------------------------------------
# What one reading of the tag files and the file tree tells us


@dataclass(frozen=True)
class ManifestEntry:
    manifest: str  # file name, e.g. manifest-sha256.txt
    algorithm: str
    line: int
    path: str  # relative to the bag root, normalised and decoded as the bagit library keys it
    checksum: str


@dataclass
class BagLayout:
    root: Path
    version: tuple[int, int] | None = None
    version_text: str = ""
    encoding: str | None = None
    payload_manifests: dict[str, str] = field(default_factory=dict)  # algorithm -> file name
    tag_manifests: dict[str, str] = field(default_factory=dict)
    entries: list[ManifestEntry] = field(default_factory=list)
    fetch: dict[str, int] = field(default_factory=dict)  # payload path -> fetch.txt line
    files: dict[str, int] = field(default_factory=dict)  # every file (relative path) -> size
    nfc_files: dict[str, str] = field(default_factory=dict)  # NFC form -> path as on disk
    has_data_dir: bool = False

    @property
    def payload_entries(self) -> list[ManifestEntry]:
        return [e for e in self.entries if not e.manifest.startswith("tag")]

    def at_least(self, version: tuple[int, int]) -> bool:
        return self.version is not None and self.version >= version

    def on_disk(self, path: str) -> str | None:
        """The file's name as stored, tolerating a different Unicode normalisation."""
        if path in self.files:
            return path
        return self.nfc_files.get(_nfc(path))


class _Bag(bagit.Bag):
    """A library bag carrying our own inspection of it."""

    layout: BagLayout | None = None


class _Reporter:
    """Adds findings, at most ``_REPEAT_CAP`` of one kind per file."""

    def __init__(self, findings: Findings, label: str) -> None:
        self.findings = findings
        self.label = label
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.errors = 0

    def add(self, severity: Severity, rule: str, where: str, key: str, /, **params: Any) -> None:
        self.counts[(where, key)] += 1
        if self.counts[(where, key)] > _REPEAT_CAP:
            return
        if severity is Severity.ERROR:
            self.errors += 1
        self.findings.add(rule, severity, self.label + where if where else self.label or ".", key, **params)

    def error(self, rule: str, where: str, key: str, /, **params: Any) -> None:
        self.add(Severity.ERROR, rule, where, key, **params)

    def warning(self, rule: str, where: str, key: str, /, **params: Any) -> None:
        self.add(Severity.WARNING, rule, where, key, **params)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _supported(algorithm: str) -> bool:
    return algorithm in hashlib.algorithms_guaranteed and not algorithm.startswith("shake")


def bulk_algorithms(bag: bagit.Bag) -> set[str]:
    """The hashlib names of every manifest algorithm we can verify, for one bulk hashing pass."""
    return {name for a in bag.algorithms if _supported(a) and (name := normalise_algorithm(a))}


def _is_system_file(path: str) -> bool:
    name = posixpath.basename(path)
    return name.lower() in _SYSTEM_NAMES or name.startswith("._")


def _decode_path(text: str, version_1: bool) -> str:
    """Undo the percent-encoding of CR and LF (and, from 1.0, of '%') in a manifest or fetch path."""
    pattern = r"%(0[AaDd]|25)" if version_1 else r"%(0[AaDd])"
    return re.sub(pattern, lambda m: {"0A": "\n", "0D": "\r", "25": "%"}[m.group(1).upper()], text)


def _escape_reason(text: str) -> str | None:
    """Why ``text`` would point outside the bag on some system (POSIX or Windows), or None."""
    if text.startswith("\\\\"):
        return "unc"
    for candidate in (text, text.replace("\\", "/")):
        if _DRIVE.match(candidate):
            return "drive"
        if candidate.startswith("/"):
            return "absolute"
        if candidate.startswith("~"):
            return "home"
        normal = posixpath.normpath(candidate)
        if normal == ".." or normal.startswith("../"):
            return "parent"
    return None


def _split_lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _read_tag_file(root: Path, name: str, encoding: str, report: _Reporter) -> list[str] | None:
    """The lines of a tag file in the declared encoding; problems become findings."""
    try:
        raw = (root / name).read_bytes()
    except OSError as exc:
        report.error("bagit.invalid", name, "bagit.unreadable", detail=str(exc))
        return None
    codec = codecs.lookup(encoding).name
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        report.warning("bagit.encoding", name, "bagit.encoding_bom")
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode(codec)
    except UnicodeError as exc:
        report.error("bagit.encoding", name, "bagit.encoding_error", encoding=encoding, detail=str(exc))
        return None
    return _split_lines(text)


# --------------------------------------------------------------------------------------------------
# Static inspection: everything that needs no file contents beyond the tag files


def inspect_bag(bag_root: Path, findings: Findings, label: str) -> tuple[BagLayout, bool]:
    """Read the bag's tag files and file tree; returns the layout and whether errors were found."""
    report = _Reporter(findings, label)
    layout = BagLayout(bag_root)
    _check_declaration(layout, report)
    _walk(layout, report)
    _find_manifests(layout, report)
    if layout.encoding is not None:
        for algorithm, name in sorted(layout.payload_manifests.items()):
            _read_manifest(layout, name, algorithm, report)
        for algorithm, name in sorted(layout.tag_manifests.items()):
            _read_manifest(layout, name, algorithm, report)
        _check_info_file(layout, report)
        _read_fetch(layout, report)
    return layout, report.errors > 0


def _check_declaration(layout: BagLayout, report: _Reporter) -> None:
    """bagit.txt: UTF-8 without BOM, exactly 'BagIt-Version: M.N' then 'Tag-File-Character-Encoding: X'."""
    name = "bagit.txt"
    try:
        raw = (layout.root / name).read_bytes()
    except OSError as exc:
        report.error("bagit.invalid", name, "bagit.unreadable", detail=str(exc))
        return
    if raw.startswith(codecs.BOM_UTF8):
        report.error("bagit.declaration", name, "bagit.declaration_bom")
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        lines = _split_lines(raw.decode("utf-8"))
    except UnicodeError as exc:
        report.error("bagit.declaration", name, "bagit.declaration_not_utf8", detail=str(exc))
        return
    values: dict[str, str] = {}
    position = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            report.warning("bagit.declaration", name, "bagit.declaration_blank", line=number)
            continue
        position += 1
        label, colon, value = line.partition(":")
        tag = label.strip()
        if not colon or tag not in _DECLARATION:
            report.error("bagit.declaration", name, "bagit.declaration_extra", line=number, found=line)
            continue
        if tag in values:
            report.error("bagit.declaration", name, "bagit.declaration_extra", line=number, found=line)
            continue
        values[tag] = value.strip()
        if line != f"{tag}: {values[tag]}":
            report.error(
                "bagit.declaration",
                name,
                "bagit.declaration_whitespace",
                line=number,
                found=line,
                tag=tag,
                value=values[tag],
            )
        if position != _DECLARATION.index(tag) + 1:
            report.error("bagit.declaration", name, "bagit.declaration_order", line=number, tag=tag)
    for tag in _DECLARATION:
        if tag not in values:
            report.error("bagit.declaration", name, "bagit.declaration_missing", tag=tag)
    version = values.get("BagIt-Version")
    if version is not None:
        layout.version_text = version
        match = re.fullmatch(r"(\d+)\.(\d+)", version)
        if match is None:
            report.error("bagit.version", name, "bagit.version_invalid", version=version)
        else:
            layout.version = (int(match.group(1)), int(match.group(2)))
            if layout.version not in KNOWN_VERSIONS:
                report.error("bagit.version", name, "bagit.version_unknown", version=version)
    encoding = values.get("Tag-File-Character-Encoding")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
            layout.encoding = encoding
        except LookupError:
            report.error("bagit.encoding", name, "bagit.encoding_unknown", encoding=encoding)


def _walk(layout: BagLayout, report: _Reporter) -> None:
    """Every file's relative path and size (one stat each, no reads); symbolic links leaving the bag."""
    root = layout.root
    real_root = os.path.realpath(root)
    layout.has_data_dir = (root / "data").is_dir()
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            report.error("bagit.invalid", prefix or ".", "bagit.unreadable", detail=str(exc))
            continue
        for entry in entries:
            relative = prefix + entry.name
            try:
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if os.path.commonpath([real_root, target]) != real_root:
                        report.error("bagit.out-of-scope", relative, "bagit.out_of_scope_link", name=relative)
                        continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), relative + "/"))
                elif entry.is_file():
                    layout.files[relative] = entry.stat().st_size
                    layout.nfc_files.setdefault(_nfc(relative), relative)
            except (OSError, ValueError) as exc:
                report.error("bagit.invalid", relative, "bagit.unreadable", detail=str(exc))


def _find_manifests(layout: BagLayout, report: _Reporter) -> None:
    for name in sorted(layout.files):
        match = _MANIFEST_NAME.fullmatch(name)
        if match is None:
            continue
        algorithm = match.group(2)
        if not _supported(algorithm):
            report.error("bagit.algorithm", name, "bagit.unknown_algorithm", algorithm=algorithm)
            continue
        (layout.tag_manifests if match.group(1) else layout.payload_manifests)[algorithm] = name


def _read_manifest(layout: BagLayout, name: str, algorithm: str, report: _Reporter) -> None:
    assert layout.encoding is not None
    lines = _read_tag_file(layout.root, name, layout.encoding, report)
    if lines is None:
        return
    is_payload = not name.startswith("tag")
    length = hashlib.new(algorithm).digest_size * 2
    seen: dict[str, ManifestEntry] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip(" \t")
        if not text:
            continue
        if text != line:
            report.warning("bagit.manifest-line", name, "bagit.manifest_whitespace", line=number)
        if text.startswith("#"):
            report.warning("bagit.manifest-line", name, "bagit.manifest_comment", line=number)
            continue
        match = re.fullmatch(r"(\S+)[ \t]+(.+)", text)
        if match is None:
            report.error("bagit.manifest-line", name, "bagit.manifest_line", line=number, found=line)
            continue
        checksum, written = match.groups()
        if not _HEX.fullmatch(checksum) or len(checksum) != length:
            report.error(
                "bagit.manifest-line",
                name,
                "bagit.manifest_checksum_length",
                line=number,
                value=checksum,
                algorithm=algorithm,
                length=length,
            )
            continue
        path = _entry_path(layout, name, number, written, report, allow_marker=True)
        if path is None:
            continue
        if is_payload and not path.startswith("data/"):
            report.error("bagit.manifest-scope", name, "bagit.payload_scope", line=number, name=written)
            continue
        if not is_payload and path.startswith("data/"):
            report.error("bagit.manifest-scope", name, "bagit.tag_scope", line=number, name=written)
            continue
        earlier = seen.get(path)
        if earlier is not None:
            if earlier.checksum.lower() != checksum.lower():
                report.error(
                    "bagit.manifest-duplicate", name, "bagit.duplicate_conflict", line=number, name=path
                )
            elif layout.at_least((1, 0)):
                report.error("bagit.manifest-duplicate", name, "bagit.duplicate_same", line=number, name=path)
            else:
                report.warning(
                    "bagit.manifest-duplicate", name, "bagit.duplicate_same", line=number, name=path
                )
            continue
        entry = ManifestEntry(name, algorithm, number, path, checksum)
        seen[path] = entry
        layout.entries.append(entry)


def _entry_path(
    layout: BagLayout, source: str, number: int, written: str, report: _Reporter, allow_marker: bool
) -> str | None:
    """The normalised path of a manifest or fetch entry, or None when it leaves the bag."""
    text = written
    if allow_marker and text.startswith("*"):
        text = text[1:]
        report.warning(
            "bagit.manifest-line",
            source,
            "bagit.manifest_md5sum_marker",
            line=number,
            name=written,
            normalised=text,
        )
    reason = _escape_reason(text)
    if reason is not None:
        report.error("bagit.out-of-scope", source, f"bagit.out_of_scope_{reason}", line=number, name=written)
        return None
    decoded = _decode_path(text, layout.at_least((1, 0)))
    path = posixpath.normpath(decoded)
    if path != decoded:
        report.warning(
            "bagit.manifest-path",
            source,
            "bagit.manifest_not_normalised",
            line=number,
            name=written,
            normalised=path,
        )
    if "\\" in path:
        report.warning("bagit.manifest-path", source, "bagit.manifest_backslash", line=number, name=written)
    return path


def _check_info_file(layout: BagLayout, report: _Reporter) -> None:
    """bag-info.txt (package-info.txt before 0.96): 'Label: value' lines, folded lines indented."""
    assert layout.encoding is not None
    old = layout.version is not None and layout.version <= (0, 95)
    name, other = ("package-info.txt", "bag-info.txt") if old else ("bag-info.txt", "package-info.txt")
    if name not in layout.files:
        if other in layout.files and layout.version is not None:
            report.warning(
                "bagit.tag-file", other, "bagit.taginfo_name", version=layout.version_text, expected=name
            )
        return
    lines = _read_tag_file(layout.root, name, layout.encoding, report)
    if lines is None:
        return
    in_element = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line[0] in " \t":
            if not in_element:
                report.error("bagit.tag-file", name, "bagit.taginfo_line", line=number, file=name, found=line)
            continue
        label, colon, value = line.partition(":")
        if not colon or not label.strip():
            report.error("bagit.tag-file", name, "bagit.taginfo_line", line=number, file=name, found=line)
            in_element = False
            continue
        in_element = True
        if layout.at_least((1, 0)) and (
            label != label.strip() or (value.strip() and not re.match(r"[ \t][^ \t]", value))
        ):
            report.warning(
                "bagit.tag-file", name, "bagit.taginfo_whitespace", line=number, file=name, found=line
            )


def _read_fetch(layout: BagLayout, report: _Reporter) -> None:
    name = "fetch.txt"
    if name not in layout.files:
        return
    assert layout.encoding is not None
    lines = _read_tag_file(layout.root, name, layout.encoding, report)
    if lines is None:
        return
    listed = [
        {_nfc(e.path) for e in layout.payload_entries if e.manifest == manifest}
        for manifest in layout.payload_manifests.values()
    ]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.strip().split(None, 2)
        if len(parts) != 3:
            report.error("bagit.fetch", name, "bagit.fetch_line", line=number, found=line)
            continue
        url, length, written = parts
        try:
            parsed = urlparse(url)
            usable = bool(parsed.scheme and parsed.netloc) or parsed.scheme == "file"
        except ValueError:  # e.g. a malformed IPv6 host
            usable = False
        if not usable:
            report.error("bagit.fetch", name, "bagit.fetch_url", line=number, url=url)
        if length != "-" and not length.isdigit():
            report.error("bagit.fetch", name, "bagit.fetch_length", line=number, value=length)
        path = _entry_path(layout, name, number, written, report, allow_marker=False)
        if path is None:
            continue
        if not path.startswith("data/"):
            report.error("bagit.fetch", name, "bagit.fetch_not_payload", line=number, name=written)
            continue
        if not listed or not all(_nfc(path) in paths for paths in listed):
            report.error("bagit.fetch", name, "bagit.fetch_not_in_manifest", line=number, name=written)
        layout.fetch[path] = number


# --------------------------------------------------------------------------------------------------
# Opening and checking


def open_bag(bag_root: Path, findings: Findings, label: str) -> bagit.Bag | None:
    """Inspect the bag, then open it with the ``bagit`` library; None when it cannot be opened."""
    layout, failed = inspect_bag(bag_root, findings, label)
    with _bagit_warnings() as collected:
        try:
            bag = _Bag(str(bag_root))
        except Exception as exc:  # the library raises many types; none may become a traceback
            if not failed:  # otherwise our findings already say why
                findings.error(
                    "bagit.invalid", label or ".", "bagit.unreadable", detail=str(exc) or repr(exc)
                )
            return None
    for message in collected.messages:
        if not any(fragment in message for fragment in _COVERED_LIBRARY_MESSAGES):
            findings.warning("bagit.warning", label or ".", "bagit.library_warning", detail=message)
    bag.layout = layout
    return bag


def check_bag(bag: bagit.Bag, digests: DigestCache, findings: Findings, label: str) -> None:
    """Structure, completeness, Payload-Oxum and every manifest entry (payload and tag manifests)."""
    layout = getattr(bag, "layout", None)
    if layout is None:  # a bag not opened by open_bag: inspect it now
        layout, _ = inspect_bag(Path(bag.path), findings, label)
    report = _Reporter(findings, label)
    if not layout.has_data_dir:
        report.error("bagit.structure", "", "bagit.no_data_dir")
    if not layout.payload_manifests:
        report.error("bagit.structure", "", "bagit.no_payload_manifest")
    _check_collisions(layout, report)
    resolved, empty_missing = _check_completeness(layout, report)
    _check_coverage(layout, report)
    _check_oxum(bag, layout, empty_missing, report)
    _check_checksums(layout.root, layout, resolved, digests, report)


def _check_collisions(layout: BagLayout, report: _Reporter) -> None:
    """Names the same on case-insensitive or normalising file systems (macOS, Windows)."""
    paths = sorted({e.path for e in layout.payload_entries})
    by_nfc: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        by_nfc[_nfc(path)].append(path)
    for group in by_nfc.values():
        for other in group[1:]:
            report.warning(
                "bagit.unicode-collision", group[0], "bagit.unicode_collision", name=group[0], other=other
            )
    by_case: dict[str, list[str]] = defaultdict(list)
    for normal in by_nfc:
        by_case[normal.casefold()].append(by_nfc[normal][0])
    for group in by_case.values():
        for other in group[1:]:
            report.warning(
                "bagit.case-collision", group[0], "bagit.case_collision", name=group[0], other=other
            )


def _check_completeness(layout: BagLayout, report: _Reporter) -> tuple[dict[str, str], int]:
    """Every listed file present, every payload file listed. Returns listed path -> file on disk."""
    resolved: dict[str, str] = {}
    listed_nfc: set[str] = set()
    missing: list[ManifestEntry] = []
    seen: set[str] = set()
    for entry in layout.entries:
        if entry.path in seen:
            continue
        seen.add(entry.path)
        if not entry.manifest.startswith("tag"):
            listed_nfc.add(_nfc(entry.path))
        found = layout.on_disk(entry.path)
        if found is None:
            missing.append(entry)
        else:
            resolved[entry.path] = found
    by_case = {_nfc(p).casefold(): found for p, found in resolved.items()}
    empty_missing = 0
    for entry in missing:
        path = entry.path
        if not entry.manifest.startswith("tag") and _nfc(path).casefold() in by_case:
            resolved[path] = by_case[_nfc(path).casefold()]  # listed twice in different case: a warning
        elif _is_system_file(path) and _listed_empty(layout, path):
            report.warning("bagit.system-file", path, "bagit.system_file_missing")
            empty_missing += 1
        elif path in layout.fetch:
            report.error("bagit.missing", path, "bagit.file_not_fetched")
        else:
            report.error("bagit.missing", path, "bagit.file_missing")
    for path in sorted(layout.files):
        if not path.startswith("data/"):
            continue
        if _nfc(path) not in listed_nfc:
            report.error("bagit.unexpected", path, "bagit.file_unexpected")
        elif _is_system_file(path):
            report.warning("bagit.system-file", path, "bagit.system_file")
    return resolved, empty_missing


def _listed_empty(layout: BagLayout, path: str) -> bool:
    """Whether every manifest records ``path`` as an empty file (nothing is lost if it is gone)."""
    values = [e for e in layout.entries if e.path == path]
    return bool(values) and all(
        hashlib.new(e.algorithm, b"").hexdigest() == e.checksum.lower() for e in values
    )


def _check_coverage(layout: BagLayout, report: _Reporter) -> None:
    """Every payload file in every payload manifest (RFC 8493; before 1.0 one manifest was enough)."""
    per_manifest: dict[str, set[str]] = defaultdict(set)
    for entry in layout.payload_entries:
        per_manifest[entry.manifest].add(_nfc(entry.path))
    everything = set().union(*per_manifest.values()) if per_manifest else set()
    severity = Severity.ERROR if layout.at_least((1, 0)) else Severity.WARNING
    for manifest in sorted(layout.payload_manifests.values()):
        for path in sorted(everything - per_manifest[manifest]):
            report.add(
                severity, "bagit.manifest-incomplete", manifest, "bagit.manifest_incomplete", name=path
            )
    if layout.at_least((1, 0)):
        tag_listed: dict[str, set[str]] = defaultdict(set)
        for entry in layout.entries:
            if entry.manifest.startswith("tag"):
                tag_listed[entry.manifest].add(entry.path)
        for tag_manifest in sorted(layout.tag_manifests.values()):
            for manifest in sorted(set(layout.payload_manifests.values()) - tag_listed[tag_manifest]):
                report.warning(
                    "bagit.manifest-incomplete",
                    tag_manifest,
                    "bagit.tagmanifest_incomplete",
                    manifest=tag_manifest,
                    payload_manifest=manifest,
                )


def _check_oxum(bag: bagit.Bag, layout: BagLayout, empty_missing: int, report: _Reporter) -> None:
    value = bag.info.get("Payload-Oxum")
    if value is None:
        return
    info_file = bag.tag_file_name or "bag-info.txt"
    if isinstance(value, list):
        report.warning("bagit.oxum", info_file, "bagit.oxum_repeated")
        value = value[0]
    match = re.fullmatch(r"(\d+)\.(\d+)", str(value).strip())
    if match is None:
        report.error("bagit.oxum", info_file, "bagit.oxum_malformed", value=value)
        return
    declared_bytes, declared_files = int(match.group(1)), int(match.group(2))
    sizes = [size for path, size in layout.files.items() if path.startswith("data/")]
    files, total = len(sizes), sum(sizes)
    if declared_bytes == total and declared_files - empty_missing <= files <= declared_files:
        return  # the difference, if any, is listed empty system files already reported
    report.error(
        "bagit.oxum",
        info_file,
        "bagit.oxum_mismatch",
        declared_bytes=declared_bytes,
        declared_files=declared_files,
        bytes=total,
        files=files,
    )


def _check_checksums(
    root: Path, layout: BagLayout, resolved: dict[str, str], digests: DigestCache, report: _Reporter
) -> None:
    """Declared against actual digests. ``root`` is the bag folder as the caller spelt it, so the
    caller's bulk hashing (and the package checks after it) find every digest in the cache."""
    for entry in layout.entries:
        found = resolved.get(entry.path)
        if found is None:
            continue  # reported as missing
        name = normalise_algorithm(entry.algorithm)
        assert name is not None  # _find_manifests keeps supported algorithms only
        path = root / found
        actual = digests.digest(path, name)
        if actual is None:
            report.error(
                "reader.unreadable", entry.path, "reader.unreadable", detail=digests.error(path) or ""
            )
        elif actual.lower() != entry.checksum.lower():
            report.error(
                "bagit.checksum",
                entry.path,
                "bagit.checksum_mismatch",
                algorithm=entry.algorithm,
                declared=entry.checksum,
                actual=actual,
            )


def undeclared_bag(top: Path) -> Path | None:
    """``top`` or its single sub-folder when it holds data/ and a payload manifest but no bagit.txt."""
    try:
        children = [c for c in top.iterdir() if not c.name.startswith((".", "__MACOSX"))]
        candidates = [top] + ([children[0]] if len(children) == 1 and children[0].is_dir() else [])
        for folder in candidates:
            if (
                not (folder / "bagit.txt").exists()
                and (folder / "data").is_dir()
                and any(
                    _MANIFEST_NAME.fullmatch(p.name) and p.name.startswith("manifest-")
                    for p in folder.iterdir()
                )
            ):
                return folder
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------------------------------
# BagIt-Profiles


def _info_values(bag: bagit.Bag, tag: str) -> list[str]:
    """Every value of a bag-info tag; labels compare case-insensitively."""
    values: list[str] = []
    for label, value in bag.info.items():
        if label.lower() == tag.lower():
            values.extend(value if isinstance(value, list) else [value])
    return values


def check_bag_profile(bag: bagit.Bag, profile: Profile, findings: Findings, label: str) -> None:
    """The requirements of a BagIt-Profiles document (bag-info tags, manifests, fetch, versions)."""
    spec: dict[str, Any] = profile.bagit or {}
    where = label + (bag.tag_file_name or "bag-info.txt")
    for tag, rule in spec.get("Bag-Info", {}).items():
        values = _info_values(bag, tag)
        if rule.get("required") and not any(str(v).strip() for v in values):
            findings.error("bagit.profile-tag", where, "bagit.tag_required", tag=tag, profile=profile.name)
        allowed = rule.get("values")
        for item in values:
            if allowed and item not in allowed:
                findings.error(
                    "bagit.profile-tag",
                    where,
                    "bagit.tag_value",
                    tag=tag,
                    value=item,
                    allowed=", ".join(allowed),
                )
        if not rule.get("repeatable", True) and len(values) > 1:
            findings.error("bagit.profile-tag", where, "bagit.tag_repeated", tag=tag)
    payload_algorithms = {Path(m).name[len("manifest-") : -4] for m in bag.manifest_files()}
    for algorithm in spec.get("Manifests-Required", []):
        if algorithm not in payload_algorithms:
            findings.error(
                "bagit.profile-manifest",
                label + f"manifest-{algorithm}.txt",
                "bagit.manifest_required",
                algorithm=algorithm,
                profile=profile.name,
            )
    allowed_manifests = spec.get("Manifests-Allowed")
    if allowed_manifests:
        for algorithm in sorted(payload_algorithms - set(allowed_manifests)):
            findings.error(
                "bagit.profile-manifest",
                label + f"manifest-{algorithm}.txt",
                "bagit.manifest_not_allowed",
                algorithm=algorithm,
                profile=profile.name,
            )
    tag_algorithms = {Path(m).name[len("tagmanifest-") : -4] for m in bag.tagmanifest_files()}
    for algorithm in spec.get("Tag-Manifests-Required", []):
        if algorithm not in tag_algorithms:
            findings.error(
                "bagit.profile-manifest",
                label + f"tagmanifest-{algorithm}.txt",
                "bagit.manifest_required",
                algorithm=algorithm,
                profile=profile.name,
            )
    for tag_file in spec.get("Tag-Files-Required", []):
        if not (Path(bag.path) / tag_file).is_file():
            findings.error("bagit.profile-tagfile", label + tag_file, "structure.missing_file")
    if not spec.get("Allow-Fetch.txt", True) and (Path(bag.path) / "fetch.txt").exists():
        findings.error(
            "bagit.profile-fetch", label + "fetch.txt", "bagit.fetch_not_allowed", profile=profile.name
        )
    versions = spec.get("Accept-BagIt-Version")
    version = str(bag.tags.get("BagIt-Version", "")).strip()
    if versions and version not in versions:
        findings.error(
            "bagit.profile-version",
            label + "bagit.txt",
            "bagit.version_not_accepted",
            version=version,
            allowed=", ".join(versions),
        )


def declared_profile(bag: bagit.Bag) -> str | None:
    values = _info_values(bag, "BagIt-Profile-Identifier")
    return "bagit-agency-transfer" if values and str(values[0]).strip() == AGENCY_PROFILE_ID else None
