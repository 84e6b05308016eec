"""Writing output files safely: atomically, and never over an input."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from salesperf.errors import Finding, Level, Location, UsageError


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder (same filesystem), are fsynced, then
    renamed over the target. If anything fails, the previous file is left untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path()
    try:
        # The name is cut so the temporary name fits where the final one does (255 bytes).
        short = path.name.encode("utf-8")[:100].decode("utf-8", "ignore")
        fd, tmp = tempfile.mkstemp(prefix=f".{short}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes 0600 files; a report is for sharing: keep the old file's mode, or
        # use what a plain open() would give (0666 less the umask).
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


def _cannot_write(path: Path, exc: OSError) -> UsageError:
    """A full disk, a missing folder or a read-only one: the user's to fix, not a bug."""
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        reason += f" (does the folder {path.parent or '.'} exist?)"
    return UsageError(
        "Cannot write the output file; the previous one, if any, is unchanged:",
        [Finding(Level.ERROR, reason, Location(str(path)), "write")],
    )


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def refuse_inputs(output: str | Path, inputs: Iterable[str | Path]) -> None:
    """Raise :class:`UsageError` if ``output`` is one of the input files."""
    target = Path(output).resolve()
    for item in inputs:
        try:
            same = Path(item).resolve() == target
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
    import pandas as pd

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
    import re
    import unicodedata

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
