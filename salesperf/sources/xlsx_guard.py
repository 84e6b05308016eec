"""Refuse .xlsx files that would make the workbook reader allocate without bound.

calamine (Rust) sizes its buffers from what the file *says*, and a failed allocation in Rust
aborts the whole process: no exception, no message, exit 134 in a cron log. Two lines of
XML are enough:

* one cell at ``XFD1048576`` makes the sheet range 16,384 x 1,048,576 cells (512 GB), however
  few cells hold data (``<dimension ref=...>`` is ignored by calamine, the cells are not);
* ``<sst uniqueCount="4000000000">`` in the shared strings reserves 96 GB up front.

So before calamine sees a workbook, the shared-strings count is checked against the size of
its part, and the chosen sheet's XML is streamed once (numpy, about 200 MB/s) to find the
furthest row and column any cell or row names.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
import zlib
from typing import IO

import numpy as np

from salesperf.sources.detect import fail

#: Cells in the range a sheet spans (rows x columns up to its furthest cell): a million rows
#: of 20 columns. Beyond this, CSV is the better export (read in chunks, far less memory).
MAX_SHEET_CELLS = 20_000_000
#: Uncompressed bytes of all parts together (a million-row sheet is ~1 GB of XML).
MAX_UNZIPPED_BYTES = 2_000_000_000
#: The smallest shared string, ``<si/>``, takes 5 bytes of XML.
MIN_SHARED_STRING_BYTES = 5
CHUNK = 1 << 24
#: What a damaged zip raises while it is read (zlib.error: a corrupt deflate stream).
_UNZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)

_LETTER = np.zeros(256, dtype=bool)
_LETTER[ord("A") : ord("Z") + 1] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 13, 32]] = True
_LETTER[ord("a") : ord("z") + 1] = True
#: Longest references the fast path decodes; longer ones count as FAR.
MAX_LETTERS = 3
MAX_DIGITS = 9
FAR = 10**12
EXCEL_COLUMNS = 16384
#: ``r = "A1"`` with spaces around ``=`` (legal XML, never written by Excel): the slow lane.
_SPACED = re.compile(rb"""\sr(?:\s+=\s*|=\s+)["']([A-Za-z]*)(\d*)""")
_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_UNIQUE = re.compile(rb'\buniqueCount\s*=\s*"(\d+)"')


def check_workbook(data: bytes, shown: str) -> None:
    """Refuse a workbook whose parts or shared-string count announce absurd sizes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            total = sum(info.file_size for info in infos)
            if total > MAX_UNZIPPED_BYTES:
                raise fail(
                    shown,
                    f"unpacks to {total:,} bytes (more than {MAX_UNZIPPED_BYTES:,}); this is "
                    "not a sales export salesperf can read safely: export it as CSV",
                    "workbook-too-large",
                )
            for info in infos:
                if not info.filename.lower().endswith("sharedstrings.xml"):
                    continue
                with archive.open(info) as part:
                    head = part.read(4096)
                found = _UNIQUE.search(head)
                if found and int(found.group(1)) * MIN_SHARED_STRING_BYTES > info.file_size:
                    raise fail(
                        shown,
                        f"declares {int(found.group(1)):,} shared strings in "
                        f"{info.file_size:,} bytes; the workbook is damaged or crafted: open "
                        "it in Excel and save a copy",
                        "corrupt-workbook",
                    )
    except _UNZIP_ERRORS:
        return  # not readable as a zip here: calamine reports it as a damaged workbook


def check_sheet(data: bytes, sheet: str, shown: str) -> None:
    """Refuse a sheet whose furthest cell makes its range larger than MAX_SHEET_CELLS."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = _sheet_parts(archive, sheet)
            rows = columns = 0
            for name in parts:
                with archive.open(name) as stream:
                    r, c = _furthest_cell(stream)
                rows, columns = max(rows, r), max(columns, c)
    except _UNZIP_ERRORS as exc:
        raise fail(
            shown,
            f"sheet '{sheet}' cannot be unpacked ({str(exc)[:120] or type(exc).__name__}); "
            "the file is damaged: export it again, or open it in Excel and save a copy",
            "corrupt-workbook",
            key="sheet",
        ) from None
    if rows >= FAR or columns >= FAR or columns > EXCEL_COLUMNS:
        raise fail(
            shown,
            f"sheet '{sheet}' names a cell beyond the last one Excel allows (XFD1048576); "
            "the workbook is damaged or crafted: open it in Excel and save a copy",
            "corrupt-workbook",
            key="sheet",
        )
    if rows * columns > MAX_SHEET_CELLS:
        raise fail(
            shown,
            f"sheet '{sheet}' has cells as far as {_column_letters(columns)}{rows} "
            f"({rows:,} rows x {columns:,} columns = {rows * columns:,} cells; salesperf "
            f"reads at most {MAX_SHEET_CELLS:,}): delete the empty rows and columns after "
            "the data in Excel (Ctrl+End shows the last cell it keeps), or export the "
            "sheet as CSV",
            "sheet-too-large",
            key="sheet",
        )


def _sheet_parts(archive: zipfile.ZipFile, sheet: str) -> list[str]:
    """The worksheet XML part of ``sheet``; every worksheet part if the links are unclear."""
    names = archive.namelist()
    everything = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return everything
    rid = None
    for tag, attrs in _TAG.findall(workbook):
        if tag != b"sheet":
            continue
        found = dict(_ATTR.findall(attrs))
        name = html.unescape(found.get(b"name", b"").decode("utf-8", "replace"))
        if name == sheet:
            rid = next((v for k, v in found.items() if k.endswith(b":id")), None)
            break
    for tag, attrs in _TAG.findall(rels):
        found = dict(_ATTR.findall(attrs))
        if tag == b"Relationship" and rid is not None and found.get(b"Id") == rid:
            target = html.unescape(found.get(b"Target", b"").decode("utf-8", "replace"))
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            part = posixpath.normpath(part)
            if part in names:
                return [part]
    return everything


def _furthest_cell(stream: IO[bytes]) -> tuple[int, int]:
    """The largest row number and column number named by any ``r="..."`` attribute.

    calamine accepts lower-case letters, single quotes and spaces around ``=``, and reads
    any number of letters and digits (``ZZZZ1``, ``A0000001048576``); references it would
    read as further than the fast path can see count as infinitely far.
    """
    rows = columns = 0
    tail = b""
    while True:
        block = stream.read(CHUNK)
        data = tail + block
        if not data:
            break
        # A tag cut at the chunk's end is looked at with the next chunk.
        limit = len(data)
        if block:
            last_tag = data.rfind(b"<")
            limit = last_tag if last_tag > 0 else max(len(data) - 64, 0)
        arr = np.frombuffer(data, dtype=np.uint8)
        starts = _reference_starts(arr, limit)
        if len(starts):
            r, c = _largest_reference(arr, starts)
            rows, columns = max(rows, r), max(columns, c)
        for match in _SPACED.finditer(data, 0, limit):
            r, c = _reference_value(match.group(1), match.group(2))
            rows, columns = max(rows, r), max(columns, c)
        if not block:
            break
        tail = data[limit:]
    return rows, columns


def _reference_starts(arr: np.ndarray, limit: int) -> np.ndarray:
    """Offsets just after ``r="`` (or ``r='``) preceded by whitespace, before ``limit``."""
    size = len(arr)
    equals = np.flatnonzero(arr[:limit] == ord("="))
    equals = equals[(equals >= 2) & (equals + 1 < size)]
    quote = arr[equals + 1]
    keep = (
        (arr[equals - 1] == ord("r"))
        & _SPACE[arr[equals - 2]]
        & ((quote == ord('"')) | (quote == ord("'")))
    )
    offsets: np.ndarray = equals[keep] + 2
    return offsets


def _largest_reference(arr: np.ndarray, starts: np.ndarray) -> tuple[int, int]:
    """Largest row and column among references such as ``XFD1048576`` (or a bare row)."""
    padded = np.concatenate([arr, np.zeros(MAX_LETTERS + MAX_DIGITS + 2, dtype=np.uint8)])
    column = np.zeros(len(starts), dtype=np.int64)
    letters = np.zeros(len(starts), dtype=np.int64)
    going = np.ones(len(starts), dtype=bool)
    for j in range(MAX_LETTERS + 1):
        char = padded[starts + j].astype(np.int64)
        going &= _LETTER[char]
        column = np.where(going, column * 26 + (char & 0xDF) - 64, column)
        letters += going
    row = np.zeros(len(starts), dtype=np.int64)
    digits = np.zeros(len(starts), dtype=np.int64)
    going = np.ones(len(starts), dtype=bool)
    for j in range(MAX_DIGITS + 1):
        char = padded[starts + letters + j].astype(np.int64)
        going &= _DIGIT[char]
        row = np.where(going, row * 10 + char - 48, row)
        digits += going
    column[letters > MAX_LETTERS] = FAR
    row[digits > MAX_DIGITS] = FAR
    return int(row.max()), int(column.max())


def _reference_value(letters: bytes, digits: bytes) -> tuple[int, int]:
    column = 0
    for char in letters.upper()[: MAX_LETTERS + 1]:
        column = column * 26 + char - 64
    row = int(digits[: MAX_DIGITS + 1] or b"0")
    if len(letters) > MAX_LETTERS:
        column = FAR
    if len(digits) > MAX_DIGITS:
        row = FAR
    return row, column


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


#: A formula cell whose result was never stored: ``<f>…</f>`` (or ``<f …/>``) followed by
#: no ``<v>``, ``<v/>`` or an empty ``<v></v>`` before ``</c>``. Files written by scripts
#: (openpyxl, pandas) hold formulas only; Excel stores each result when it saves.
_UNCACHED = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})(\d{1,7})["']""")


def uncached_formulas(data: bytes, sheet: str) -> list[tuple[int, int]]:
    """(0-based row, 0-based column) of every formula cell of ``sheet`` with no stored
    result, which calamine (like any reader but Excel) reads as an empty cell. Cells
    without an ``r=`` reference are not placed, and not listed. The XML is streamed."""
    found: list[tuple[int, int]] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in _sheet_parts(archive, sheet):
                with archive.open(name) as stream:
                    found += _uncached_in(stream)
    except _UNZIP_ERRORS:
        return []  # check_sheet has already refused a damaged sheet
    return found


def _uncached_in(stream: IO[bytes]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    tail = b""
    while True:
        block = stream.read(CHUNK)
        data = tail + block
        if not data:
            break
        # A cell cut at the chunk's end is looked at whole with the next chunk.
        limit = len(data)
        if block:
            last_cell = data.rfind(b"<c")
            limit = last_cell if last_cell > 0 else max(len(data) - 64, 0)
        for match in _UNCACHED.finditer(data, 0, limit):
            start = data.rfind(b"<c", 0, match.start())
            ref = _CELL_REF.search(data, start, match.start()) if start >= 0 else None
            if ref is not None:
                row, column = _reference_value(ref.group(1), ref.group(2))
                found.append((row - 1, column - 1))
        if not block:
            break
        tail = data[limit:]
    return found
