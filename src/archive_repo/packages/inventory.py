"""What is physically inside a package folder: regular files and their sizes, nothing followed."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from archive_repo.findings import Findings


@dataclass
class Inventory:
    root: Path
    files: dict[str, int] = field(default_factory=dict)  # POSIX relative path -> size
    directories: set[str] = field(default_factory=set)

    def absolute(self, relative: str) -> Path:
        return Path(os.path.join(self.root, relative))  # cheaper than Path.joinpath on hot paths

    def under(self, prefix: str) -> list[str]:
        prefix = prefix.rstrip("/") + "/"
        return [p for p in self.files if p.startswith(prefix)]


def scan(root: Path, findings: Findings, label_prefix: str = "") -> Inventory:
    """List every regular file below ``root``; symlinks and special files become findings."""
    inventory = Inventory(root)
    stack = [(root, "")]
    while stack:
        folder, relative = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            findings.error(
                "reader.unreadable", label_prefix + (relative or "."), "reader.unreadable", detail=str(exc)
            )
            continue
        for entry in entries:
            name = f"{relative}/{entry.name}" if relative else entry.name
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                findings.error("reader.unreadable", label_prefix + name, "reader.unreadable", detail=str(exc))
                continue
            if stat.S_ISLNK(mode):
                findings.error("reader.symlink", label_prefix + name, "reader.symlink")
            elif stat.S_ISDIR(mode):
                inventory.directories.add(name)
                stack.append((Path(entry.path), name))
            elif stat.S_ISREG(mode):
                inventory.files[name] = entry.stat(follow_symlinks=False).st_size
            else:
                findings.error("reader.special-file", label_prefix + name, "reader.special_file")
    return inventory
