"""Resolving the file paths and globs that a spec names."""

from __future__ import annotations

import glob
import os
import re
import stat
from pathlib import Path


def normalise(pattern: str) -> str:
    """Accept Windows-style separators in a spec written on Windows (``data\\orders.csv``)."""
    if os.sep == "/" and "\\" in pattern:
        return pattern.replace("\\", "/")
    return pattern


def expand(base_dir: str | Path, pattern: str) -> list[Path]:
    """Files matched by ``pattern`` (relative to ``base_dir``), sorted by name.

    Sorted so that monthly parts concatenate in a stable order. Directories and broken
    symlinks never match, and a file reached twice (through a symlinked folder) counts once.
    ``**`` does not descend into symlinked folders: :func:`glob.glob` does, and a folder
    linking to its parent makes it list the same files 40 levels deep (two such links:
    2**40 paths, a hang).
    """
    pattern = os.path.expanduser(normalise(pattern))
    full = pattern if os.path.isabs(pattern) else os.path.join(str(base_dir), pattern)
    if "**" in full:
        matches = _recursive_glob(full)
    elif glob.has_magic(full):
        try:
            matches = glob.glob(full)
        except OSError:
            matches = []
    else:
        matches = [full]
    out = []
    seen: set[str] = set()
    for match in sorted(set(matches)):
        try:
            if not Path(match).is_file():
                continue
        except OSError:
            continue
        real = os.path.realpath(match)
        if real not in seen:
            seen.add(real)
            out.append(Path(match))
    return out


def _recursive_glob(full: str) -> list[str]:
    """``**`` patterns through pathlib, which does not follow symlinked folders."""
    parts = Path(full).parts
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    root = Path(*parts[:fixed]) if fixed else Path()
    hidden_ok = any(part.startswith(".") for part in parts[fixed:])
    try:
        found = list(root.glob(str(Path(*parts[fixed:]))))
    except (OSError, ValueError):
        return []
    # Like glob.glob, wildcards skip hidden names (editor and lock files: .~lock.x.csv#).
    return [
        str(p)
        for p in found
        if hidden_ok or not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]


def is_foreign_drive(pattern: str) -> bool:
    """A Windows drive path (``C:\\exports\\x.csv``) in a spec read on macOS or Linux."""
    return os.name != "nt" and bool(re.match(r"^[A-Za-z]:[\\/]", pattern))


def is_folder(base_dir: str | Path, pattern: str) -> bool:
    pattern = os.path.expanduser(normalise(pattern))
    full = pattern if os.path.isabs(pattern) else os.path.join(str(base_dir), pattern)
    return os.path.isdir(full)


def is_broken_link(base_dir: str | Path, pattern: str) -> bool:
    """True when ``pattern`` names a symlink that loops or points at nothing."""
    pattern = os.path.expanduser(normalise(pattern))
    full = pattern if os.path.isabs(pattern) else os.path.join(str(base_dir), pattern)
    return os.path.islink(full) and not os.path.exists(full)


def special_kind(base_dir: str | Path, pattern: str) -> str | None:
    """What ``pattern`` names when it exists but is not a regular file or a folder
    ("a character device", "a named pipe", "a socket", "a block device"), else None.
    Such a path must never be read: /dev/zero never ends, and a pipe blocks."""
    pattern = os.path.expanduser(normalise(pattern))
    full = pattern if os.path.isabs(pattern) else os.path.join(str(base_dir), pattern)
    try:
        mode = os.stat(full).st_mode
    except (OSError, ValueError):
        return None
    return node_kind(mode)


def node_kind(mode: int) -> str | None:
    """ "a character device", "a named pipe"... for a ``st_mode`` that is neither a regular
    file nor a folder, else None."""
    kinds = (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    )
    for test, name in kinds:
        if test(mode):
            return name
    return None
