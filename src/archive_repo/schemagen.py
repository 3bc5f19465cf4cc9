"""Generate the project's TT05 metadata XSDs from the field tables kept as data.

The field tables live in ``profiles/tt05/records/<VARIANT>.toml`` and the code tables in
``profiles/codes.toml``. Every record of a variant (``package``, ``doc``, ``pic``, ``media``) becomes one
XSD under ``metadata_schemas/<VARIANT>/`` (``EAD.xsd``, ``ead_doc.xsd``, ``ead_pic.xsd``,
``ead_media.xsd``). Run ``python -m archive_repo.schemagen`` after editing the tables; ``--check``
only reports files that are out of date.

What the XSDs express, and what they leave to the validator:

* no target namespace, ``elementFormDefault="qualified"``; the root element's children form an
  ``xs:all`` (any order, each at most once); ``required = true`` gives ``minOccurs="1"``. Fields that are
  only conditionally required (``required_when``) are optional here: the validator checks the condition.
* an element that is present but empty counts as absent (brief §2.4). So a required string must hold a
  non-blank value, and an optional element of any type may be empty.
* codes, integers, dates and booleans are ``xs:token`` based: surrounding white space is tolerated.
* calendar validity of dates, ``start <= end``, prefixes of document codes and every other cross-field
  rule are the validator's business.

Only the standard library is used: this module builds text, it never parses XML.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

RECORD_FILES: dict[str, str] = {
    "package": "EAD.xsd",
    "doc": "ead_doc.xsd",
    "pic": "ead_pic.xsd",
    "media": "ead_media.xsd",
}
FIELD_TYPES = ("string", "integer", "code", "codes", "date", "boolean")
FIELD_KEYS = frozenset(
    {
        "type",
        "max",
        "digits",
        "table",
        "allowed",
        "formats",
        "required",
        "required_when",
        "pattern",
        "label_vi",
        "label_en",
    }
)
# keys that only make sense for some types
TYPE_KEYS: dict[str, frozenset[str]] = {
    "max": frozenset({"string"}),
    "digits": frozenset({"integer"}),
    "table": frozenset({"code", "codes", "boolean"}),
    "allowed": frozenset({"code", "codes"}),
    "formats": frozenset({"date"}),
}
DATE_PATTERNS: dict[str, str] = {
    "DD/MM/YYYY": "[0-9]{2}/[0-9]{2}/[0-9]{4}",
    "MM/YYYY": "[0-9]{2}/[0-9]{4}",
    "YYYY": "[0-9]{4}",
}
BOOLEAN_VALUES = ("0", "1")
EMPTY_TYPE = "emptyValue"
NON_BLANK = r"[\s\S]*\S[\s\S]*"
CODES_SEPARATOR = r"\s*[,;]\s*"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
RECORDS_SUBDIR = Path("profiles") / "tt05" / "records"
CODES_FILE = Path("profiles") / "codes.toml"
SCHEMAS_SUBDIR = Path("metadata_schemas")

# characters that must be escaped to stand for themselves in an XSD regular expression
_XSD_META = set("\\|.?*+(){}[]^-")
# what may follow a backslash in both Python and XSD patterns with the same meaning
_XSD_ESCAPES = _XSD_META | set("nrtsSdDwW")

Facet = tuple[str, str, Mapping[str, str] | None]  # facet name, value, labels of an enumeration value
Codes = Mapping[str, Mapping[str, Mapping[str, str]]]


# --------------------------------------------------------------------------- regular expressions


def xsd_literal(text: str) -> str:
    """``text`` as an XSD regular expression matching exactly that text."""
    return "".join("\\" + ch if ch in _XSD_META else ch for ch in text)


def python_to_xsd_pattern(pattern: str) -> str:
    """Translate a Python ``re`` pattern meant for a full match into an XSD pattern.

    XSD patterns are implicitly anchored and know no ``^``/``$`` anchors, non-capturing groups, lazy
    quantifiers, look-around, back references or word boundaries. The outer anchors are dropped,
    ``(?:`` becomes ``(``; anything else without an XSD equivalent raises ``ValueError``.
    """
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$") and not _escaped_at(body, len(body) - 1):
        body = body[:-1]
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body):
                raise ValueError(f"pattern {pattern!r} ends with a lone backslash")
            nxt = body[i + 1]
            if nxt in _XSD_ESCAPES:
                out.append(body[i : i + 2])
            elif not nxt.isalnum():  # an escaped punctuation mark XSD does not escape, e.g. \/ or \$
                out.append(nxt)
            else:
                raise ValueError(f"pattern {pattern!r}: \\{nxt} has no XSD equivalent")
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
            if body[i + 1 : i + 2] == "^":  # negated class: keep the caret
                out.append("^")
                i += 1
            if body[i + 1 : i + 2] == "]":  # a leading ] is literal in Python, must be escaped in XSD
                out.append("\\]")
                i += 1
        elif ch == "(" and body[i + 1 : i + 2] == "?":
            if body[i + 2 : i + 3] != ":":
                raise ValueError(
                    f"pattern {pattern!r}: (?...) groups other than (?:...) have no XSD equivalent"
                )
            out.append("(")
            i += 3
            continue
        elif ch in "^$":
            raise ValueError(f"pattern {pattern!r}: anchors are only allowed at the very start and end")
        elif ch in "*+?}" and body[i + 1 : i + 2] == "?":
            raise ValueError(f"pattern {pattern!r}: lazy quantifiers have no XSD equivalent")
        elif ch == "{" and body[i + 1 : i + 2] == ",":
            raise ValueError(f"pattern {pattern!r}: write {{0,n}} instead of {{,n}}")
        else:
            out.append(ch)
        i += 1
    if in_class:
        raise ValueError(f"pattern {pattern!r}: unterminated character class")
    return "".join(out)


def _escaped_at(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


# --------------------------------------------------------------------------- checking the tables


def _field_values(field: Mapping[str, Any], codes: Codes) -> list[str] | None:
    """The values a code-like field accepts, or None when it is free text / a number / a date."""
    ftype = field.get("type")
    if ftype == "boolean":
        return list(BOOLEAN_VALUES)
    if ftype in ("code", "codes"):
        table = codes.get(field.get("table", ""), {})
        allowed = field.get("allowed")
        return [str(v) for v in allowed] if allowed else list(table)
    return None


def check_record(record: Mapping[str, Any], codes: Codes) -> list[str]:
    """Problems in one record table (``[package]``, ``[doc]`` ...); an empty list when it is sound."""
    problems: list[str] = []
    if not isinstance(record.get("root"), str) or not record["root"]:
        problems.append("'root' (the root element name) is missing")
    if not isinstance(record.get("schema"), str) or not record["schema"]:
        problems.append("'schema' (path relative to metadata_schemas/) is missing")
    fields = record.get("fields")
    if not isinstance(fields, Mapping) or not fields:
        return [*problems, "'fields' is missing or empty"]
    for name, field in fields.items():
        problems.extend(f"field {name}: {p}" for p in _check_field(name, field, fields, codes))
    return problems


def _check_field(name: str, field: object, fields: Mapping[str, Any], codes: Codes) -> list[str]:
    if not isinstance(field, Mapping):
        return ["must be an inline table"]
    problems: list[str] = []
    ftype = field.get("type")
    if ftype not in FIELD_TYPES:
        return [f"type {ftype!r} is not one of {', '.join(FIELD_TYPES)}"]
    unknown = sorted(set(field) - FIELD_KEYS)
    if unknown:
        problems.append(f"unknown keys {unknown}")
    for key, types in TYPE_KEYS.items():
        if key in field and ftype not in types:
            problems.append(f"'{key}' does not apply to type {ftype}")
    for key in ("label_vi", "label_en"):
        if not isinstance(field.get(key), str) or not field[key].strip():
            problems.append(f"'{key}' is missing")
    if not isinstance(field.get("required", False), bool):
        problems.append("'required' must be true or false")
    for key in ("max", "digits"):
        value = field.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            problems.append(f"'{key}' must be a positive integer")
    if ftype == "string" and "max" not in field:
        problems.append("a string needs 'max'")
    if ftype in ("code", "codes") and "table" not in field:
        problems.append(f"a {ftype} field needs 'table'")
    table_name = field.get("table")
    if table_name is not None:
        table = codes.get(table_name)
        if table is None:
            problems.append(f"code table {table_name!r} is not in codes.toml")
        elif ftype == "boolean" and sorted(table) != list(BOOLEAN_VALUES):
            problems.append(f"code table {table_name!r} must have exactly the codes 0 and 1 for a boolean")
        elif "allowed" in field:
            allowed = field["allowed"]
            if not isinstance(allowed, list) or not allowed or not set(map(str, allowed)) <= set(table):
                problems.append(f"'allowed' must be a non-empty list of codes of table {table_name!r}")
    if ftype == "date":
        formats = field.get("formats")
        if not isinstance(formats, list) or not formats or not set(formats) <= set(DATE_PATTERNS):
            problems.append(f"'formats' must be a non-empty list drawn from {', '.join(DATE_PATTERNS)}")
    if "pattern" in field:
        try:
            re.compile(field["pattern"])
            python_to_xsd_pattern(field["pattern"])
        except (re.error, ValueError, TypeError) as exc:
            problems.append(f"bad 'pattern': {exc}")
    problems.extend(_check_required_when(name, field, fields, codes))
    return problems


def _check_required_when(
    name: str, field: Mapping[str, Any], fields: Mapping[str, Any], codes: Codes
) -> list[str]:
    when = field.get("required_when")
    if when is None:
        return []
    if not isinstance(when, Mapping) or not when:
        return ["'required_when' must be a non-empty inline table"]
    problems: list[str] = []
    if field.get("required", False):
        problems.append("'required = true' and 'required_when' contradict each other")
    for other, values in when.items():
        if other == name or other not in fields:
            problems.append(f"required_when names {other!r}, which is not another field of this record")
            continue
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            problems.append(f"required_when.{other} must be a non-empty list of strings")
            continue
        accepted = _field_values(fields[other], codes)
        if accepted is not None and not set(values) <= set(accepted):
            problems.append(f"required_when.{other} lists values that field {other} never takes")
    return problems


# --------------------------------------------------------------------------- building the XSD


def _field_layers(field: Mapping[str, Any], codes: Codes) -> tuple[str, list[list[Facet]]]:
    """Base type and successive restriction steps of a field's simple type.

    Facets inside one step combine as XSD says (patterns and enumerations: any of them); steps combine as
    "all of them", which is how a user pattern is added on top of the type's own facets.
    """
    ftype = field["type"]
    required = bool(field.get("required", False))
    layers: list[list[Facet]] = []
    if ftype == "string":
        base = "xs:string"
        facets: list[Facet] = [("maxLength", str(field["max"]), None)]
        if required:
            facets.append(("pattern", NON_BLANK, None))
        layers.append(facets)
    elif ftype == "integer":
        base = "xs:token"
        digits = field.get("digits")
        layers.append([("pattern", f"[0-9]{{1,{digits}}}" if digits else "[0-9]+", None)])
    elif ftype == "code":
        base = "xs:token"
        table = codes[field["table"]]
        values = [str(v) for v in field.get("allowed") or table]
        layers.append([("enumeration", v, table[v]) for v in values])
    elif ftype == "codes":
        base = "xs:token"
        values = [str(v) for v in field.get("allowed") or codes[field["table"]]]
        one = "(" + "|".join(xsd_literal(v) for v in values) + ")"
        layers.append([("pattern", f"{one}({CODES_SEPARATOR}{one})*", None)])
    elif ftype == "date":
        base = "xs:token"
        layers.append([("pattern", DATE_PATTERNS[f], None) for f in field["formats"]])
    else:  # boolean
        base = "xs:token"
        labels = codes.get(field.get("table", ""), {})
        layers.append([("enumeration", v, labels.get(v)) for v in BOOLEAN_VALUES])
    if "pattern" in field:
        layers.append([("pattern", python_to_xsd_pattern(field["pattern"]), None)])
    return base, layers


def _needs_empty(field: Mapping[str, Any]) -> bool:
    """An optional element may be empty; plain strings accept that already, the others need a union."""
    if field.get("required", False):
        return False
    return field["type"] != "string" or "pattern" in field


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _documentation(lang: str, text: str, pad: str) -> str:
    return f'{pad}<xs:documentation xml:lang="{lang}">{escape(text)}</xs:documentation>'


def _facet_lines(facet: Facet, pad: str) -> list[str]:
    kind, value, labels = facet
    if not labels:
        return [f'{pad}<xs:{kind} value="{_attr(value)}"/>']
    lines = [f'{pad}<xs:{kind} value="{_attr(value)}">', f"{pad}  <xs:annotation>"]
    lines += [_documentation(lang, labels[lang], pad + "    ") for lang in ("vi", "en") if labels.get(lang)]
    return [*lines, f"{pad}  </xs:annotation>", f"{pad}</xs:{kind}>"]


def _restriction_lines(base: str, layers: list[list[Facet]], depth: int) -> list[str]:
    """``xs:restriction`` applying the last layer on top of the type built by the earlier ones."""
    pad = "  " * depth
    if len(layers) == 1:
        lines = [f'{pad}<xs:restriction base="{base}">']
    else:
        lines = [f"{pad}<xs:restriction>", f"{pad}  <xs:simpleType>"]
        lines += _restriction_lines(base, layers[:-1], depth + 2)
        lines.append(f"{pad}  </xs:simpleType>")
    for facet in layers[-1]:
        lines += _facet_lines(facet, pad + "  ")
    return [*lines, f"{pad}</xs:restriction>"]


def _simple_type_lines(field: Mapping[str, Any], codes: Codes, depth: int) -> list[str]:
    pad = "  " * depth
    base, layers = _field_layers(field, codes)
    if not _needs_empty(field):
        return [
            f"{pad}<xs:simpleType>",
            *_restriction_lines(base, layers, depth + 1),
            f"{pad}</xs:simpleType>",
        ]
    return [
        f"{pad}<xs:simpleType>",
        f'{pad}  <xs:union memberTypes="{EMPTY_TYPE}">',
        f"{pad}    <xs:simpleType>",
        *_restriction_lines(base, layers, depth + 3),
        f"{pad}    </xs:simpleType>",
        f"{pad}  </xs:union>",
        f"{pad}</xs:simpleType>",
    ]


def _condition_note(field: Mapping[str, Any]) -> str | None:
    when = field.get("required_when")
    if not when:
        return None
    parts = [f"{other} is {' or '.join(values)}" for other, values in when.items()]
    return f"Required when {'; or when '.join(parts)} (checked by the validator, not by this schema)."


def _element_lines(name: str, field: Mapping[str, Any], codes: Codes, depth: int) -> list[str]:
    pad = "  " * depth
    min_occurs = "1" if field.get("required", False) else "0"
    lines = [
        f'{pad}<xs:element name="{_attr(name)}" minOccurs="{min_occurs}" maxOccurs="1">',
        f"{pad}  <xs:annotation>",
        _documentation("vi", field["label_vi"], pad + "    "),
        _documentation("en", field["label_en"], pad + "    "),
    ]
    note = _condition_note(field)
    if note:
        lines.append(_documentation("en", note, pad + "    "))
    lines.append(f"{pad}  </xs:annotation>")
    lines += _simple_type_lines(field, codes, depth + 1)
    return [*lines, f"{pad}</xs:element>"]


def _default_source(record: Mapping[str, Any]) -> str:
    variant = str(record.get("schema", "")).split("/", 1)[0] or "<VARIANT>"
    return f"{RECORDS_SUBDIR.as_posix()}/{variant}.toml"


def generate_xsd(record: Mapping[str, Any], codes: Codes, *, source: str | None = None) -> str:
    """The XSD text for one record table of a variant file.

    ``record`` is e.g. the ``[package]`` table (``root``, ``schema``, ``fields``); ``codes`` the parsed
    ``profiles/codes.toml``. ``source`` names the records file in the header comment (by default it is
    derived from ``record["schema"]``). Raises ``ValueError`` when the record does not check out.
    """
    problems = check_record(record, codes)
    if problems:
        raise ValueError("; ".join(problems))
    fields: Mapping[str, Mapping[str, Any]] = record["fields"]
    origin = source or _default_source(record)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- Generated by archive_repo.schemagen from {origin} — do not edit by hand -->",
        f'<xs:schema xmlns:xs="{XSD_NS}" elementFormDefault="qualified" attributeFormDefault="unqualified">',
    ]
    if any(_needs_empty(field) for field in fields.values()):
        lines += [
            "  <!-- Empty content: an optional element that is present but empty counts as absent. -->",
            f'  <xs:simpleType name="{EMPTY_TYPE}">',
            '    <xs:restriction base="xs:token">',
            '      <xs:length value="0"/>',
            "    </xs:restriction>",
            "  </xs:simpleType>",
        ]
    lines += [
        f'  <xs:element name="{_attr(record["root"])}">',
        "    <xs:complexType>",
        "      <xs:all>",
    ]
    for name, field in fields.items():
        lines += _element_lines(name, field, codes, 4)
    lines += ["      </xs:all>", "    </xs:complexType>", "  </xs:element>", "</xs:schema>"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- files


def default_root() -> Path:
    """The repository root: this module lives at ``src/archive_repo/schemagen.py``."""
    return Path(__file__).resolve().parents[2]


def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_codes(root: Path) -> dict[str, Any]:
    return load_toml(root / CODES_FILE)


def load_variants(root: Path) -> dict[str, dict[str, Any]]:
    """Every records file, by variant name (the file stem), in name order."""
    directory = root / RECORDS_SUBDIR
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ValueError(f"no records files in {directory}")
    return {path.stem: load_toml(path) for path in files}


def generate_all(root: Path) -> dict[str, str]:
    """Every XSD text by its path relative to ``metadata_schemas/`` (POSIX separators)."""
    codes = load_codes(root)
    outputs: dict[str, str] = {}
    problems: list[str] = []
    for variant, records in load_variants(root).items():
        source = f"{RECORDS_SUBDIR.as_posix()}/{variant}.toml"
        for kind, record in records.items():
            where = f"{source} [{kind}]"
            if kind not in RECORD_FILES:
                problems.append(f"{where}: unknown record kind (expected one of {', '.join(RECORD_FILES)})")
                continue
            expected = f"{variant}/{RECORD_FILES[kind]}"
            if record.get("schema") != expected:
                problems.append(f"{where}: schema must be {expected!r}, not {record.get('schema')!r}")
                continue
            found = check_record(record, codes)
            if found:
                problems += [f"{where}: {p}" for p in found]
                continue
            outputs[expected] = generate_xsd(record, codes, source=source)
    if problems:
        raise ValueError("\n".join(problems))
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m archive_repo.schemagen",
        description="Regenerate metadata_schemas/<VARIANT>/*.xsd from profiles/tt05/records/*.toml.",
    )
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: this checkout)")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: ROOT/metadata_schemas)"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    root: Path = args.root or default_root()
    out: Path = args.out or root / SCHEMAS_SUBDIR
    try:
        outputs = generate_all(root)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        print(f"schemagen: {exc}", file=sys.stderr)
        return 2
    stale = []
    for rel, text in outputs.items():
        target = out / rel
        data = text.encode("utf-8")
        if target.is_file() and target.read_bytes() == data:
            continue
        stale.append(rel)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    if args.check:
        for rel in stale:
            print(f"out of date: {out / rel}", file=sys.stderr)
        return 1 if stale else 0
    print(f"schemagen: {len(outputs)} schemas, {len(stale)} written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
