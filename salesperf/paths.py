"""Resolving the file paths and globs that a spec names."""

from __future__ import annotations

import glob
import os
from pathlib import Path


def normalise(pattern: str) -> str:
    """Accept Windows-style separators in a spec written on Windows (``data\\orders.csv``)."""
    if os.sep == "/" and "\\" in pattern:
        return pattern.replace("\\", "/")
    return pattern


def expand(base_dir: str | Path, pattern: str) -> list[Path]:
    """Files matched by ``pattern`` (relative to ``base_dir``), sorted by name.

    Sorted so that monthly parts concatenate in a stable order. Directories and broken
    symlinks never match.
    """
    pattern = os.path.expanduser(normalise(pattern))
    full = pattern if os.path.isabs(pattern) else os.path.join(str(base_dir), pattern)
    if glob.has_magic(full):
        try:
            matches = glob.glob(full, recursive=True)
        except OSError:  # e.g. a symlink loop under a ** pattern
            matches = []
    else:
        matches = [full]
    out = []
    for match in sorted(set(matches)):
        try:
            if Path(match).is_file():
                out.append(Path(match))
        except OSError:
            continue
    return out
