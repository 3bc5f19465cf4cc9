"""The ``archive-repo`` command line, run as a user runs it (a subprocess), and its message catalogs."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest

from archive_repo.i18n import message_keys
from helpers import (
    EXAMPLES,
    REPO,
    all_text,
    build_sip_hoso,
    doc_file,
    edit_xml,
    m,
    run_cli,
    validate,
    zip_package,
)

SRC = REPO / "src" / "archive_repo"
LOCALES = SRC / "locales"
SOURCE_EXAMPLE = EXAMPLES / "sources" / "hoso-hoi-nghi-van-thu-2024"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def catalog(lang: str) -> dict[str, str]:
    """Read independently of i18n: ``<lang>.toml`` plus every area file in ``<lang>/``."""
    flat: dict[str, str] = {}

    def walk(node: dict, prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                assert f"{prefix}{key}" not in flat, f"{lang}: {prefix}{key} defined twice"
                flat[f"{prefix}{key}"] = value

    for path in [LOCALES / f"{lang}.toml", *sorted((LOCALES / lang).glob("*.toml"))]:
        with open(path, "rb") as handle:
            walk(tomllib.load(handle), "")
    return flat


def fragments(template: str) -> list[str]:
    """The literal pieces of a message template that any rendering must contain."""
    return [piece.strip() for piece in PLACEHOLDER.split(template)[::2] if len(piece.strip()) >= 4]


def broken(package: Path) -> Path:
    """One flipped byte in a document: invalid for exactly one reason (fixity.checksum)."""
    pdf = doc_file(package, 1)
    data = bytearray(pdf.read_bytes())
    data[100] ^= 0x01
    pdf.write_bytes(bytes(data))
    return package


# --------------------------------------------------------------------------------------------------
# exit codes


def test_valid_package_exits_0(sip: Path) -> None:
    result = run_cli("validate", sip)
    assert result.returncode == 0, all_text(result)
    assert "Traceback" not in all_text(result)


def test_valid_with_warnings_exits_0(sip: Path) -> None:
    renamed = sip.with_name("ten-khac")
    sip.rename(renamed)
    result = run_cli("validate", renamed, "--format", "json")
    assert result.returncode == 0, all_text(result)
    assert json.loads(result.stdout)["verdict"] == "valid-with-warnings"


def test_invalid_package_exits_1(sip: Path) -> None:
    result = run_cli("validate", broken(sip))
    assert result.returncode == 1, all_text(result)
    assert "fixity.checksum" in result.stdout


def test_missing_path_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co"
    result = run_cli("validate", missing)
    assert result.returncode == 2
    assert str(missing) in result.stderr
    assert catalog("vi")["cli.path_missing"].split("{")[0].strip() in result.stderr


def test_plain_text_file_exits_2(tmp_path: Path) -> None:
    text = tmp_path / "ghi-chu.txt"
    text.write_text("không phải gói tin\n", encoding="utf-8")
    result = run_cli("validate", text, "--lang", "en")
    assert result.returncode == 2
    assert "Not a package" in result.stderr
    assert "Traceback" not in all_text(result)


def test_unknown_profile_exits_2(sip: Path) -> None:
    result = run_cli("validate", sip, "--profile", "SIP_khong_co", "--lang", "en")
    assert result.returncode == 2
    assert "SIP_khong_co" in result.stderr
    assert "SIP_hoso" in result.stderr  # the known profiles are listed


def test_forced_profile_is_used(sip: Path) -> None:
    result = run_cli("validate", sip, "--profile", "sip_hoso", "--format", "json")
    assert result.returncode == 0, all_text(result)
    assert json.loads(result.stdout)["profile"] == "SIP_hoso"


# --------------------------------------------------------------------------------------------------
# output


def test_json_output_shape(sip: Path) -> None:
    result = run_cli("validate", broken(sip), "--format", "json", "--lang", "en")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert set(report) == {"package", "profile", "verdict", "findings"}
    assert report["package"] == str(sip)
    assert report["profile"] == "SIP_hoso"
    assert report["verdict"] == "invalid"
    assert report["findings"], report
    for finding in report["findings"]:
        assert set(finding) == {"rule", "severity", "path", "location", "message"}
        assert all(isinstance(value, str) for value in finding.values())
        assert finding["severity"] in ("error", "warning", "info")
    checksum = [f for f in report["findings"] if f["rule"] == "fixity.checksum"]
    assert len(checksum) == 1
    assert checksum[0]["path"] == "representations/rep1/METS.xml"
    assert re.match(r"line \d+", checksum[0]["location"])


def test_json_of_valid_package(sip: Path) -> None:
    report = json.loads(run_cli("validate", sip, "--format", "json").stdout)
    assert report["verdict"] == "valid"
    assert report["findings"] == []


def test_english_and_vietnamese_messages(sip: Path) -> None:
    broken(sip)
    english = run_cli("validate", sip, "--format", "json", "--lang", "en")
    default = run_cli("validate", sip, "--format", "json")
    explicit = run_cli("validate", sip, "--format", "json", "--lang", "vi")
    message_en = next(f["message"] for f in json.loads(english.stdout)["findings"])
    message_vi = next(f["message"] for f in json.loads(default.stdout)["findings"])
    assert json.loads(explicit.stdout) == json.loads(default.stdout)
    for piece in fragments(catalog("en")["fixity.checksum_mismatch"]):
        assert piece in message_en
    for piece in fragments(catalog("vi")["fixity.checksum_mismatch"]):
        assert piece in message_vi
    assert message_en != message_vi


def test_text_output_languages(sip: Path) -> None:
    broken(sip)
    english = run_cli("validate", sip, "--lang", "en").stdout
    vietnamese = run_cli("validate", sip).stdout
    assert catalog("en")["report.verdict_invalid"] in english
    assert catalog("vi")["report.verdict_invalid"] in vietnamese
    assert catalog("vi")["report.verdict_invalid"] not in english


def test_language_from_environment(tmp_path: Path) -> None:
    text = tmp_path / "x.txt"
    text.write_text("x", encoding="utf-8")
    english = run_cli("validate", text, env={"ARCHIVE_REPO_LANG": "en"})
    assert english.returncode == 2
    assert catalog("en")["cli.path_not_package"].split("(")[0] in english.stderr
    overridden = run_cli("validate", text, "--lang", "vi", env={"ARCHIVE_REPO_LANG": "en"})
    assert catalog("vi")["cli.path_not_package"].split("(")[0] in overridden.stderr


# --------------------------------------------------------------------------------------------------
# hostile inputs never produce a traceback


def _hostile_inputs(tmp_path: Path) -> dict[str, Path]:
    inputs: dict[str, Path] = {}
    base = build_sip_hoso(tmp_path / "base")
    good_zip = zip_package(base, tmp_path / "good.zip")

    def variant(name: str) -> Path:
        target = tmp_path / name / base.name
        shutil.copytree(base, target)
        return target

    xxe = variant("xxe")
    (xxe / "METS.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<m>&x;</m>\n',
        encoding="utf-8",
    )
    inputs["xxe"] = xxe
    malformed = variant("malformed")
    (malformed / "METS.xml").write_bytes(b"<mets:mets xmlns:mets='http://www.loc.gov/METS/'><unclosed>")
    inputs["malformed-mets"] = malformed
    binary = variant("binary")
    (binary / "METS.xml").write_bytes(bytes(range(256)) * 4)
    inputs["binary-mets"] = binary
    not_mets = variant("not-mets")
    (not_mets / "METS.xml").write_text("<html><body>hello</body></html>", encoding="utf-8")
    inputs["html-as-mets"] = not_mets
    empty_root = variant("empty-root")
    edit_xml(empty_root / "METS.xml", lambda root: [root.remove(child) for child in list(root)])
    inputs["empty-mets"] = empty_root
    mets_dir = variant("mets-dir")
    (mets_dir / "representations/rep1/METS.xml").unlink()
    (mets_dir / "representations/rep1/METS.xml").mkdir()
    inputs["rep-mets-is-a-folder"] = mets_dir
    fifo = variant("fifo")
    os.mkfifo(fifo / "representations/rep1/data/pipe.pdf")
    inputs["fifo"] = fifo
    link = variant("link")
    (link / "metadata/descriptive/EAD.xml").unlink()
    (link / "metadata/descriptive/EAD.xml").symlink_to("/etc/passwd")
    inputs["symlink"] = link
    weird = variant("weird-hrefs")

    def weird_hrefs(root) -> None:
        for index, element in enumerate(root.iter(m("FLocat"), m("mdRef"))):
            element.set(
                "{http://www.w3.org/1999/xlink}href",
                ["%00", "http://example.org/x", "data/%2e%2e/%2e%2e/x", "\\\\server\\share", ""][index % 5],
            )
            element.set("SIZE", "-1")
            element.set("CHECKSUMTYPE", "CRC-99")

    edit_xml(weird / "METS.xml", weird_hrefs)
    inputs["weird-hrefs"] = weird

    corrupt = bytearray(good_zip.read_bytes())
    for index in range(100, 900):
        corrupt[index] ^= 0xFF
    (tmp_path / "corrupt.zip").write_bytes(bytes(corrupt))
    inputs["corrupt-zip"] = tmp_path / "corrupt.zip"
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good_zip.read_bytes()[: good_zip.stat().st_size // 2])
    inputs["truncated-zip"] = truncated
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/METS.xml", "<mets/>")
        archive.writestr("../../x", "x")
        archive.writestr("/abs", "x")
        archive.writestr("pkg/zeros", bytes(4 * 1024 * 1024))
        info = zipfile.ZipInfo("pkg/link")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    inputs["hostile-zip"] = hostile
    empty_zip = tmp_path / "empty.zip"
    zipfile.ZipFile(empty_zip, "w").close()
    inputs["empty-zip"] = empty_zip
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(os.urandom(2048))
    inputs["garbage"] = garbage
    empty_dir = tmp_path / "empty-dir"
    empty_dir.mkdir()
    inputs["empty-dir"] = empty_dir
    bag = tmp_path / "bag"
    bag.mkdir()
    (bag / "bagit.txt").write_text("BagIt-Version: 9.9\nTag-File-Character-Encoding: latin-9\n")
    (bag / "manifest-sha256.txt").write_text("zz  data/../../etc/passwd\n")
    inputs["broken-bag"] = bag
    return inputs


HOSTILE = [
    "xxe",
    "malformed-mets",
    "binary-mets",
    "html-as-mets",
    "empty-mets",
    "rep-mets-is-a-folder",
    "fifo",
    "symlink",
    "weird-hrefs",
    "corrupt-zip",
    "truncated-zip",
    "hostile-zip",
    "empty-zip",
    "garbage",
    "empty-dir",
    "broken-bag",
]
EXTRAS = [[], ["--format", "json", "--lang", "en"], ["--profile", "SIP_hoso"]]


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _hostile_inputs(tmp_path_factory.mktemp("hostile"))


def test_hostile_inputs_are_all_exercised(hostile_inputs: dict[str, Path]) -> None:
    assert sorted(hostile_inputs) == sorted(HOSTILE)


@pytest.mark.parametrize("name", HOSTILE)
def test_no_traceback_for_hostile_input(hostile_inputs: dict[str, Path], name: str) -> None:
    extra = EXTRAS[HOSTILE.index(name) % len(EXTRAS)]
    result = run_cli("validate", hostile_inputs[name], *extra, timeout=60)
    output = all_text(result)
    assert "Traceback" not in output
    assert result.returncode in (1, 2), output
    assert "root:x:" not in output
    assert catalog("en")["cli.internal_error"].split("(")[0] not in output
    assert catalog("vi")["cli.internal_error"].split("(")[0] not in output
    if "--format" in extra and result.returncode == 1:
        assert json.loads(result.stdout)["verdict"] == "invalid"


# --------------------------------------------------------------------------------------------------
# sip build


def test_sip_build_end_to_end_with_zip(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "sip",
        "build",
        SOURCE_EXAMPLE / "description.toml",
        "--files",
        SOURCE_EXAMPLE / "files",
        "--out",
        out,
        "--zip",
        "--lang",
        "en",
    )
    assert result.returncode == 0, all_text(result)
    objid = tomllib.loads((SOURCE_EXAMPLE / "description.toml").read_text(encoding="utf-8"))["objid"]
    folder, archive = out / objid, out / f"{objid}.zip"
    assert folder.is_dir() and archive.is_file()
    assert str(folder) in result.stdout and str(archive) in result.stdout
    with zipfile.ZipFile(archive) as check:
        assert {n.split("/", 1)[0] for n in check.namelist()} == {objid}
    validated = run_cli("validate", archive, "--format", "json")
    assert validated.returncode == 0, all_text(validated)
    report = json.loads(validated.stdout)
    assert report["profile"] == "SIP_hoso"
    assert report["verdict"] == "valid", report
    assert validate(folder).verdict == "valid"


def test_sip_build_refuses_to_overwrite(tmp_path: Path) -> None:
    args = ["sip", "build", SOURCE_EXAMPLE / "description.toml", "--out", tmp_path, "--lang", "en"]
    assert run_cli(*args).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_sip_build_missing_file_is_located(tmp_path: Path) -> None:
    files = tmp_path / "files"
    shutil.copytree(SOURCE_EXAMPLE / "files", files)
    (files / "giay-moi-hoi-nghi.pdf").unlink()
    description = tmp_path / "mo-ta.toml"
    shutil.copy(SOURCE_EXAMPLE / "description.toml", description)
    result = run_cli("sip", "build", description, "--out", tmp_path / "out", "--lang", "en")
    assert result.returncode == 2, all_text(result)
    assert "Traceback" not in all_text(result)
    assert "mo-ta.toml" in result.stderr
    assert "[[documents]] #2" in result.stderr  # the second document of the description
    assert "giay-moi-hoi-nghi.pdf" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_sip_build_invalid_description(tmp_path: Path) -> None:
    description = tmp_path / "hong.toml"
    description.write_text('variant = "SIP_hoso"\nfonds_code = \n', encoding="utf-8")
    result = run_cli("sip", "build", description, "--out", tmp_path / "out", "--lang", "en")
    assert result.returncode == 2
    assert "hong.toml" in result.stderr and "Traceback" not in all_text(result)


def test_sip_build_quiet_prints_only_the_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("sip", "build", SOURCE_EXAMPLE / "description.toml", "--out", out, "--zip", "--quiet")
    assert result.returncode == 0, all_text(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert Path(lines[0]).is_file() and Path(lines[0]).suffix == ".zip"
    assert Path(lines[0]).parent == out
    quiet_folder = run_cli(
        "sip", "build", SOURCE_EXAMPLE / "description.toml", "--out", tmp_path / "out2", "--quiet"
    )
    assert quiet_folder.returncode == 0
    assert [Path(line).is_dir() for line in quiet_folder.stdout.splitlines()] == [True]


def test_sip_build_exits_1_when_the_package_is_invalid(tmp_path: Path) -> None:
    description = tmp_path / "description.toml"
    text = (SOURCE_EXAMPLE / "description.toml").read_text(encoding="utf-8")
    description.write_text(text.replace('maintenance = "01"', 'maintenance = "02"'), encoding="utf-8")
    result = run_cli(
        "sip",
        "build",
        description,
        "--files",
        SOURCE_EXAMPLE / "files",
        "--out",
        tmp_path / "o",
        "--lang",
        "en",
    )
    assert result.returncode == 1, all_text(result)
    assert "md.code" in result.stdout


# --------------------------------------------------------------------------------------------------
# message catalogs


def _key_pattern() -> re.Pattern[str]:
    sections = {key.split(".", 1)[0] for key in catalog("en")} | {
        "reader",
        "cli",
        "xml",
        "schema",
        "structure",
        "mets",
        "fixity",
        "md",
        "cross",
        "holey",
        "bagit",
        "sip",
        "report",
        "location",
    }
    return re.compile(rf"^(?:{'|'.join(sorted(sections))})\.[a-z][a-z0-9_]*$")


def _error_classes(trees: list[ast.Module]) -> set[str]:
    known = {"ArchiveRepoError"}
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in known:
                    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                    if bases & known:
                        known.add(node.name)
                        changed = True
    return known


def _callee(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def used_message_keys() -> tuple[set[str], set[str], list[str]]:
    """(literal keys, key patterns from f-strings, places) that the source code uses as message keys.

    A string is taken as a message key when it sits where a key goes: the third argument of
    findings.error / warning, the fourth of add, the first of translate and of the typed errors, the last
    of two or more key-shaped strings passed to any call (``rule, ..., key`` in wrappers), a value
    assigned to a variable named ``key`` / ``*_key``; or when it has a key's shape with an underscore
    after the section (rule ids use hyphens, keys underscores).
    """
    files = sorted(SRC.rglob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files]
    errors = _error_classes(trees)
    shape = _key_pattern()
    literal: set[str] = set()
    patterns: set[str] = set()
    places: list[str] = []

    def shaped(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return bool(shape.match(node.value))
        return (
            isinstance(node, ast.JoinedStr)
            and isinstance(node.values[0], ast.Constant)
            and bool(
                re.match(shape.pattern.rstrip("$").replace("[a-z][a-z0-9_]*", ""), str(node.values[0].value))
            )
        )

    def take(node: ast.AST, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            literal.add(node.value)
            places.append(f"{where}: {node.value}")
        elif isinstance(node, ast.JoinedStr):
            regex = "".join(
                re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z0-9_]+"
                for part in node.values
            )
            patterns.add(regex)
            places.append(f"{where}: /{regex}/")
        elif isinstance(node, ast.IfExp):
            take(node.body, where)
            take(node.orelse, where)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                take(value, where)
        elif isinstance(node, ast.Call) and _callee(node) == "get":
            take(node.func.value if isinstance(node.func, ast.Attribute) else node, where)
            for arg in node.args[1:]:
                take(arg, where)

    for path, tree in zip(files, trees, strict=True):
        in_fstrings = {
            id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values
        }
        for node in ast.walk(tree):
            if id(node) in in_fstrings:
                continue
            where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call):
                name = _callee(node)
                position = {"error": 2, "warning": 2, "add": 3, "translate": 0, "t": 0}.get(name)
                if name in errors:
                    position = 0
                if position is not None and len(node.args) > position:
                    take(node.args[position], where)
                for keyword in node.keywords:
                    if keyword.arg in ("message_key", "key"):
                        take(keyword.value, where)
                key_like = [arg for arg in node.args if shaped(arg)]
                if len(key_like) >= 2:
                    take(key_like[-1], where)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if node.value is not None and any(re.search(r"(^|_)key$", n) for n in names):
                    take(node.value, where)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if shape.match(value) and "_" in value.split(".", 1)[1]:
                    literal.add(value)
                    places.append(f"{where}: {value}")
    literal = {key for key in literal if shape.match(key)}
    return literal, patterns, places


def test_both_catalogs_have_the_same_keys() -> None:
    vi, en = catalog("vi"), catalog("en")
    assert sorted(set(vi) - set(en)) == []
    assert sorted(set(en) - set(vi)) == []
    assert set(vi) == message_keys("vi") and set(en) == message_keys("en")


def test_both_catalogs_use_the_same_placeholders() -> None:
    vi, en = catalog("vi"), catalog("en")
    different = {
        key: (sorted(set(PLACEHOLDER.findall(vi[key]))), sorted(set(PLACEHOLDER.findall(en[key]))))
        for key in set(vi) & set(en)
        if set(PLACEHOLDER.findall(vi[key])) != set(PLACEHOLDER.findall(en[key]))
    }
    assert different == {}


def test_no_empty_messages() -> None:
    for lang in ("vi", "en"):
        assert [key for key, text in catalog(lang).items() if not str(text).strip()] == []


def test_every_message_key_used_in_the_source_exists_in_both_catalogs() -> None:
    literal, patterns, places = used_message_keys()
    assert len(literal) > 100, f"the scan found too few keys to be trusted: {sorted(literal)}"
    for lang in ("vi", "en"):
        keys = set(catalog(lang))
        missing = sorted(key for key in literal if key not in keys)
        assert missing == [], f"{lang}: " + ", ".join(
            p for p in places if any(p.endswith(": " + k) for k in missing)
        )
        unmatched = sorted(p for p in patterns if not any(re.fullmatch(p, key) for key in keys))
        assert unmatched == [], f"{lang}: no key matches {unmatched}"


def _messages_of_many_findings(tmp_path: Path) -> list[tuple[str, str, str]]:
    reports = []
    for source in sorted((EXAMPLES / "submissions" / "defective").iterdir()):
        reports.append(validate(source))
    package = build_sip_hoso(tmp_path, package={"mode": "09", "startDate": "2024", "totalDoc": "x"})

    def strip(root) -> None:
        for name in ("metsHdr", "fileSec"):
            child = root.find(m(name))
            root.remove(child)

    edit_xml(package / "METS.xml", strip)
    (package / "documentation").mkdir()
    (package / "documentation" / "x.txt").write_text("x")
    reports.append(validate(package))
    reports.append(validate(package, "AIP_hoso"))
    reports.append(validate(package, "CSIP-2.1"))
    return [
        (f.rule, lang, f.message(lang))
        for report in reports
        for f in report.findings
        for lang in ("vi", "en")
    ]


def test_rendered_messages_have_no_unfilled_placeholders(tmp_path: Path) -> None:
    rendered = _messages_of_many_findings(tmp_path)
    seen = {rule for rule, _, _ in rendered}
    assert len(seen) > 15
    assert {"mets.header", "mets.filesec", "md.code", "fixity.checksum", "reader.zip-unsafe-name"} <= seen
    unfilled = sorted({(rule, lang, text) for rule, lang, text in rendered if PLACEHOLDER.search(text)})
    assert unfilled == []
