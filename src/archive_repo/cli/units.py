"""Sizes (``500M``, ``2G``) and durations (``90m``, ``2h``) typed by staff on the command line."""

from __future__ import annotations

import re

import click

_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class SizeType(click.ParamType):
    name = "size"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", str(value), re.IGNORECASE)
        if not match:
            self.fail(f"{value!r}: expected a size such as 500M, 2G or 1T", param, ctx)
        return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])


class DurationType(click.ParamType):
    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
        if not match:
            self.fail(f"{value!r}: expected a duration such as 90s, 45m, 2h or 1d", param, ctx)
        return float(match.group(1)) * _TIME_UNITS[match.group(2)]


SIZE = SizeType()
DURATION = DurationType()
