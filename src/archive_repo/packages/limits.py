"""Limits that protect the machine from hostile submissions; all configurable."""

from __future__ import annotations

from dataclasses import dataclass

GiB = 1024**3


@dataclass(frozen=True)
class UnpackLimits:
    max_entries: int = 200_000
    max_total_bytes: int = 256 * GiB
    max_entry_bytes: int = 64 * GiB
    # A ratio this high on an entry of real size is a bomb, not a PDF.
    max_compression_ratio: float = 200.0
    ratio_applies_above_bytes: int = 1024 * 1024
    max_path_length: int = 1024
    max_depth: int = 64
