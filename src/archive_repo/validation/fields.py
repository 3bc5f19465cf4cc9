"""Field rules of a TT05 metadata record: required/conditional, length, digits, codes, dates, patterns."""

from __future__ import annotations

import re
from datetime import date

from archive_repo.findings import Findings
from archive_repo.packages.ead import Record
from archive_repo.validation.profiles import FieldSpec, RecordSpec, load_codes

_DATE_PATTERNS = {
    "DD/MM/YYYY": re.compile(r"^(\d{2})/(\d{2})/(\d{4})$"),
    "MM/YYYY": re.compile(r"^(\d{2})/(\d{4})$"),
    "YYYY": re.compile(r"^(\d{4})$"),
}
_CODES_SPLIT = re.compile(r"\s*[,;]\s*")


def parse_partial_date(value: str, formats: list[str]) -> tuple[date, date] | None:
    """The first and last day a (possibly partial) TT05 date denotes, or None when it is not one."""
    for name in formats or list(_DATE_PATTERNS):
        match = _DATE_PATTERNS[name].match(value)
        if not match:
            continue
        try:
            if name == "DD/MM/YYYY":
                day = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
                return day, day
            if name == "MM/YYYY":
                year, month = int(match.group(2)), int(match.group(1))
                start = date(year, month, 1)
                end = date(year + (month == 12), month % 12 + 1, 1)
                return start, date.fromordinal(end.toordinal() - 1)
            year = int(match.group(1))
            return date(year, 1, 1), date(year, 12, 31)
        except ValueError:
            return None
    return None


def check_record(
    record: Record, spec: RecordSpec, findings: Findings, where: str, rule_prefix: str = "md"
) -> set[str]:
    """Apply the field table; returns the fields that had a finding (to de-duplicate schema errors)."""
    flagged: set[str] = set()
    if record.root_name != spec.root:
        findings.error(
            f"{rule_prefix}.root",
            where,
            "md.wrong_root",
            line=record.root_line,
            found=record.root_name,
            expected=spec.root,
        )
    for name, field_spec in spec.fields.items():
        value = record.get(name)
        line = record.line(name)
        if value is None:
            if _is_required(field_spec, record):
                condition = _condition_text(field_spec, record)
                key = "md.required_when" if condition else "md.required"
                if name in record.values:
                    key = "md.required_empty"
                findings.error(
                    f"{rule_prefix}.required",
                    where,
                    key,
                    line=line,
                    element=f"<{name}>",
                    field=name,
                    condition=condition,
                )
                flagged.add(name)
            continue
        if len(record.values.get(name, [])) > 1:
            findings.error(
                f"{rule_prefix}.repeated", where, "md.repeated", line=line, element=f"<{name}>", field=name
            )
            flagged.add(name)
        if _check_value(field_spec, value, findings, where, line, rule_prefix):
            flagged.add(name)
    return flagged


def _is_required(spec: FieldSpec, record: Record) -> bool:
    if spec.required:
        return True
    return any(record.get(other) in values for other, values in spec.required_when.items())


def _condition_text(spec: FieldSpec, record: Record) -> str:
    for other, values in spec.required_when.items():
        if record.get(other) in values:
            return f"{other}={record.get(other)}"
    return ""


def _check_value(
    spec: FieldSpec, value: str, findings: Findings, where: str, line: int | None, prefix: str
) -> bool:
    element = f"<{spec.name}>"
    problem: tuple[str, str, dict] | None = None
    if spec.type == "string":
        if spec.max is not None and len(value) > spec.max:
            problem = ("length", "md.too_long", {"length": len(value), "max": spec.max})
        elif spec.pattern and not re.fullmatch(spec.pattern, value):
            problem = ("pattern", "md.pattern", {"pattern": spec.pattern})
    elif spec.type == "integer":
        if not value.isdigit():
            problem = ("integer", "md.not_integer", {})
        elif spec.digits is not None and len(value) > spec.digits:
            problem = ("integer", "md.too_many_digits", {"digits": spec.digits})
    elif spec.type == "boolean":
        if value not in ("0", "1"):
            problem = ("boolean", "md.not_boolean", {})
    elif spec.type in ("code", "codes"):
        codes = _CODES_SPLIT.split(value) if spec.type == "codes" else [value]
        table = load_codes().get(spec.table or "", {})
        for code in codes:
            if code not in table:
                problem = ("code", "md.unknown_code", {"code": code, "table": spec.table})
                break
            if spec.allowed and code not in spec.allowed:
                problem = ("code", "md.code_not_allowed", {"code": code, "allowed": ", ".join(spec.allowed)})
                break
    elif spec.type == "date" and parse_partial_date(value, spec.formats) is None:
        problem = ("date", "md.bad_date", {"formats": " | ".join(spec.formats)})
    if problem is None:
        return False
    rule, key, params = problem
    findings.error(
        f"{prefix}.{rule}",
        where,
        key,
        line=line,
        element=element,
        field=spec.name,
        value=value[:80],
        **params,
    )
    return True
