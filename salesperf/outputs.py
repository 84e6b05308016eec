"""Writing output files safely: atomically, and never over an input."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from salesperf import interrupts
from salesperf.errors import Finding, Level, Location, UsageError


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    See :func:`write_files`, which this is for one file.
    """
    write_files([(Path(path), data)])


def write_files(
    files: Sequence[tuple[Path, bytes]],
    inputs: Iterable[str | Path] = (),
    folders: Sequence[Path] = (),
) -> None:
    """Write every file or none: a report, its charts and its per-rep reports together.

    Every location is checked first: never an input, never a folder, a socket or a block
    device, and its folder must exist unless it is one of ``folders`` (made here, with their
    parents, and removed again if the write fails). Regular files (and new paths) are
    written to temporary files in their own folders and fsynced; only when all of them are
    written are they renamed over their targets, so a full disk, a read-only folder or
    Ctrl-C halfway leaves every previous file as it was. A symbolic link is followed: its
    target is replaced, the link stays. A character device or a named pipe
    (``/dev/stdout``, ``/dev/null``, a FIFO) is written through, never replaced: a rename
    would put a regular file in place of the node. New files get the mode a plain
    ``open()`` gives (0666 less the umask); a replaced file keeps its mode.
    """
    inputs = list(inputs)
    for folder in folders:
        _check_folder(folder)
    plans = []
    for path, data in files:
        refuse_inputs(path, inputs)
        plans.append((destination(path, new_folder=Path(path).parent in folders), data))
    created: list[Path] = []
    staged: list[tuple[str, Path]] = []
    done = False
    try:
        for folder in folders:
            created += _make_folder(folder)
        for plan, data in plans:
            if not plan.stream:
                staged.append((_stage(plan, data), plan.target))
        for plan, data in plans:
            if plan.stream:
                _write_through(plan, data)
        interrupts.check()  # a Ctrl-C that a library swallowed: write nothing
        with interrupts.deferred():  # the renames are one step: all of them or none
            for tmp, target in staged:
                try:
                    os.replace(tmp, target)
                except OSError as exc:
                    raise _cannot_write(target, exc) from None
        done = True
    finally:
        if not done:
            for tmp, _ in staged:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()


@dataclass(frozen=True)
class Destination:
    """Where an output's bytes go."""

    path: Path  # as the user named it (used in messages)
    target: Path  # the path itself, or the final target of a symbolic link
    stream: bool  # a character device or a named pipe: written through, not replaced
    mode: int | None  # the mode of the regular file replaced, else None (a new file)


def destination(path: str | Path, *, new_folder: bool = False) -> Destination:
    """Check an output location before anything is written; raise :class:`UsageError`.
    ``new_folder``: its folder may be missing (it is made when writing)."""
    path = Path(path)
    target = path
    try:
        if path.is_symlink():
            # Replace what the link points at (a dotfile manager's link stays a link).
            target = Path(os.path.realpath(path))
            os.stat(path)  # a loop raises ELOOP; a link to nothing is a new file
        status = os.stat(target)
    except FileNotFoundError as exc:
        if new_folder or target.parent.is_dir():
            return Destination(path, target, False, None)
        if target.parent.exists():
            raise _refuse(path, f"{target.parent} is not a folder") from None
        raise _cannot_write(path, exc) from None
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    mode = status.st_mode
    if stat.S_ISREG(mode):
        return Destination(path, target, False, stat.S_IMODE(mode))
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Destination(path, target, True, None)
    if stat.S_ISDIR(mode):
        raise _refuse(path, "is a folder; name a file inside it")
    raise _refuse(path, "is not a regular file, a character device or a named pipe")


def _refuse(path: Path, reason: str) -> UsageError:
    return UsageError(
        "Cannot write the output file; nothing was written:",
        [Finding(Level.ERROR, reason, Location(str(path)), "write")],
    )


def _check_folder(folder: Path) -> None:
    """A folder to write into: an existing folder, or a new one under existing folders."""
    step = folder
    while str(step) and step != step.parent:
        if step.is_dir():
            return
        if step.exists() or step.is_symlink():
            raise _refuse(folder, f"{step} is not a folder")
        step = step.parent


def _make_folder(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; the ones made, outermost first."""
    missing = []
    while str(folder) and not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    for step in reversed(missing):
        try:
            step.mkdir()
        except OSError as exc:
            for done in reversed(made):
                with contextlib.suppress(OSError):
                    done.rmdir()
            raise _cannot_write(step, exc) from None
        made.append(step)
    return made


def _stage(plan: Destination, data: bytes) -> str:
    """Write ``data`` to a new temporary file beside the target; its name."""
    folder = plan.target.parent if str(plan.target.parent) else Path()
    # The name is cut so the temporary name fits where the final one does (255 bytes).
    short = plan.target.name.encode("utf-8")[:100].decode("utf-8", "ignore")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = str(folder / f".{short}.{secrets.token_hex(4)}.tmp")
        try:
            # 0666: the kernel applies the umask, as for any file the user creates.
            fd = os.open(tmp, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _cannot_write(plan.path, exc) from None
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise _cannot_write(plan.path, FileExistsError(17, "File exists"))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            if plan.mode is not None:
                os.chmod(tmp, plan.mode)  # a replaced file keeps its mode
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _cannot_write(plan.path, exc) from None
        raise
    return tmp


def _write_through(plan: Destination, data: bytes) -> None:
    """Write to a character device or a named pipe (it is opened, never created)."""
    try:
        fd = os.open(plan.target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
    except OSError as exc:
        raise _cannot_write(plan.path, exc) from None


def _cannot_write(path: Path, exc: OSError) -> UsageError:
    """A full disk, a missing folder or a read-only one: the user's to fix, not a bug."""
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        reason += f" (does the folder {path.parent or '.'} exist?)"
    return UsageError(
        "Cannot write the output file; the previous one, if any, is unchanged:",
        [Finding(Level.ERROR, reason, Location(str(path)), "write")],
    )


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def refuse_inputs(output: str | Path, inputs: Iterable[str | Path]) -> None:
    """Raise :class:`UsageError` if ``output`` is one of the input files."""
    # realpath, not Path.resolve: a link loop raises RuntimeError there (Python 3.11).
    target = Path(os.path.realpath(output))
    for item in inputs:
        try:
            same = Path(os.path.realpath(item)) == target
            # The same file under another name: a hard link, or case on macOS and Windows.
            same = same or (target.exists() and os.path.samefile(item, target))
        except OSError:
            continue
        if same:
            raise UsageError(
                "Refusing to overwrite an input file:",
                [
                    Finding(
                        Level.ERROR,
                        "the output path is one of the inputs; choose another -o path",
                        Location(str(output)),
                        "output-is-input",
                    )
                ],
            )


#: A text cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Make a text cell inert in a spreadsheet (a customer called ``=HYPERLINK(...)``).

    Numbers stay numbers; only text gets a leading apostrophe, which spreadsheets show as
    nothing and treat as "this is text".
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


#: What an .xlsx cell cannot hold: XML 1.0 forbids these control characters (openpyxl
#: raises IllegalCharacterError on a rep called "Bob\x0bSmith") and lone surrogates.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def xlsx_text(value: object) -> object:
    """:func:`neutralise`, with every character an .xlsx cannot hold replaced by a space
    ("Bob\x0bSmith" -> "Bob Smith"): the workbook is written, and reads as the terminal
    shows the name."""
    if isinstance(value, str) and _NOT_IN_XLSX.search(value):
        value = _NOT_IN_XLSX.sub(" ", value)
    return neutralise(value)


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise` when reading back a file salesperf wrote."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def csv_text(frame: object) -> str:
    """A DataFrame as CSV text with formula-like text cells neutralised."""

    assert isinstance(frame, pd.DataFrame)
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return str(safe.to_csv(index=False, lineterminator="\n"))


#: Longest file name, in UTF-8 bytes, that every common file system accepts.
MAX_NAME_BYTES = 255
#: Names Windows reserves in any folder, with or without an extension.
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_filename(name: str, suffix: str = "", max_length: int = 120) -> str:
    """A plain file name for ``name`` that stays inside its folder on every OS.

    Path separators, ``..``, control characters and characters Windows forbids become
    ``_``; reserved device names (``CON``, ``NUL``...) get a leading ``_``; the result is
    never empty and at most ``max_length`` characters before ``suffix``. Letters of any
    script (a rep called 张伟) are kept.
    """

    text = unicodedata.normalize("NFC", str(name))
    text = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", text)
    # Invisible and direction-changing marks ("\u202e" makes "x\u202eLMTH.exe" look
    # like "xexe.HTML") become "_" too.
    text = "".join("_" if unicodedata.category(c) == "Cf" else c for c in text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    text = re.sub(r"\.{2,}", "_", text)
    if not text:
        text = "unnamed"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    text = text[:max_length].rstrip(" .")
    # File systems count bytes (255 on ext4, APFS, NTFS): 120 Chinese characters are 360.
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    while len(text.encode("utf-8")) > room:
        text = text[:-1].rstrip(" .")
    return (text or "unnamed") + suffix


def distinct_filename(name: str, suffix: str, taken: set[str]) -> str:
    """:func:`safe_filename` of ``name``, made distinct from the names in ``taken`` (compared
    ignoring case, as macOS and Windows file systems do) with ``-2``, ``-3``... before the
    suffix; the result is added to ``taken``. Two reps whose names clean or cut to the same
    file name ("R1 Ann" and "r1 ann", or two long names sharing 120 characters) would
    otherwise overwrite each other's report."""
    filename = safe_filename(name, suffix)
    number = 2
    while filename.casefold() in taken:
        filename = safe_filename(name, f"-{number}{suffix}")
        number += 1
    taken.add(filename.casefold())
    return filename
