"""Reading delimited text: a vectorised structure pass, pandas' C parser, and a slow lane.

The fast path never loops over rows in Python. One numpy pass over the bytes finds each
record's start, physical line and field count (quote-aware), so that records with the wrong
number of fields are found *before* parsing: pandas' C engine, given ``usecols``, silently
reads such a line by position and would shift values into the wrong columns. Well-formed
records go to ``pd.read_csv(engine="c")`` with only the used columns; the few bad records go
through :mod:`salesperf.sources.recover`. Files whose quoting the byte pass cannot follow
(a quote in the middle of an unquoted field) are read with the :mod:`csv` module instead.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesperf.sources.detect import Decoded, decode, fail, sniff_delimiter
from salesperf.sources.recover import PROFILE_ROWS, Recovery, profile_columns

#: Bytes per step of the structure pass: bounds temporary memory on big files (4 MB was
#: fastest on a 90 MB export: each step's arrays stay in the CPU cache).
CHUNK = 1 << 22
#: Records per call of the C parser: bounds the Python strings alive at once.
PIECE_ROWS = 100_000
#: Files of at most this many data records are split by the csv module (_parse_tiny).
TINY_ROWS = 64
_BOM = b"\xef\xbb\xbf"
_SEP_LINE = re.compile(rb"^sep=(.)\r?\n")
_BLANK_FILE = re.compile(rb"[ \t\r\n\x1a]*\Z")


@dataclass
class Body:
    """The data rows of one table before value parsing (shared with the workbook reader).

    ``columns`` maps a 0-based header position to raw cell text (str; "" for empty cells),
    aligned with ``rows`` (spreadsheet row numbers). ``rejected`` holds rows that could not
    be read at all: (row, reason, position or None, raw value).
    """

    columns: dict[int, pd.Series]
    rows: np.ndarray
    rows_read: int
    rejected: list[tuple[int, str, int | None, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    typed_dates: dict[int, np.ndarray] = field(default_factory=dict)
    #: Workbooks: position -> rows (bool, aligned with ``rows``) whose cell is a formula
    #: with no stored result, read as empty (see :func:`xlsx_guard.uncached_formulas`).
    uncached: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass
class Structure:
    starts: np.ndarray  # byte offset of each record
    ends: np.ndarray  # byte offset just past its content (newline and CR excluded)
    fields: np.ndarray  # number of fields
    lines: np.ndarray  # physical line of its first byte, 1-based within the region
    last_lines: np.ndarray  # physical line of its last byte


class CsvTable:
    """A delimited text file: header known at construction, rows read on demand."""

    format = "csv"
    sheet = None

    def __init__(
        self,
        data: bytes,
        shown: str,
        *,
        encoding: str = "auto",
        delimiter: str | None = None,
        header_row: int = 1,
        prefer_tab: bool = False,
    ) -> None:
        self.shown = shown
        decoded: Decoded = decode(data, encoding, shown)
        self.encoding = decoded.encoding
        self.warnings = list(decoded.warnings)
        self.problem_lines = decoded.problem_lines
        body = _normalise_newlines(decoded.body).rstrip(b"\x1a")  # DOS end-of-file mark
        if _BLANK_FILE.match(body):  # as `not body.strip(...)`, without copying 90 MB
            raise fail(shown, "the file is empty; export the data again", "empty-file")
        skip = 0
        sep_line = _SEP_LINE.match(body)
        if sep_line:
            # Excel's "sep=;" hint line: Excel hides it, so header_row counts from the line after.
            skip = 1
            delimiter = delimiter or sep_line.group(1).decode("latin-1")
        self.header_line = header_row + skip
        offset = _line_offset(body, self.header_line)
        if offset is None:
            lines = body.count(b"\n") + (not body.endswith(b"\n"))
            raise fail(
                shown,
                f"header_row is {header_row} but the file has only {lines} line(s); "
                "set header_row: to the line that holds the column names",
                "header-row",
                key="header_row",
            )
        self.region = body[offset:]
        sample = self.region[:65536].decode("utf-8", errors="replace").splitlines()[:50]
        if delimiter is None:
            delimiter = sniff_delimiter(sample, "\t" if prefer_tab else None)
        if delimiter in ('"', "\n", "\r"):
            raise fail(
                shown, f"delimiter {delimiter!r} cannot be used", "delimiter", None, "delimiter"
            )
        self.delimiter = delimiter
        self.structure = analyse(self.region, delimiter)
        self.headers = self._header_fields()

    def _header_fields(self) -> list[str]:
        if self.structure is not None:
            end = int(self.structure.ends[0])
            text = self.region[:end].decode("utf-8", errors="replace")
        else:
            text = self.region[: 1 << 20].decode("utf-8", errors="replace")
        with _big_fields():
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
            return next(reader, [])

    def read(self, positions: list[int]) -> Body:
        """Rows of the needed columns (0-based header positions)."""
        if self.structure is not None:
            body = self._read_fast(positions)
            if body is not None:
                return body
        return self._read_slow(positions)

    # -- fast path ---------------------------------------------------------------------

    def _read_fast(self, positions: list[int]) -> Body | None:
        s = self.structure
        assert s is not None
        n = len(self.headers)
        data = slice(1, None)  # record 0 is the header
        starts, ends = s.starts[data], s.ends[data]
        fields, lines = s.fields[data], s.lines[data] + self.header_line - 1
        last_lines = s.last_lines[data] + self.header_line - 1
        length = ends - starts
        blank = (length == 0) | (length == fields - 1)
        for i in np.flatnonzero((fields == 1) & ~blank & (length <= 256)).tolist():
            blank[i] = _is_blank(_split(self._record_text(i + 1), self.delimiter))
        # A header with trailing empty names ("a,b,c,") over rows without them is fine too.
        named = _named_width(self.headers)
        good = (fields >= named) & (fields <= n) & ~blank
        long = np.flatnonzero((fields > n) & ~blank)
        if len(long):
            # "a,b,c," on every line (a trailing delimiter) is common and harmless: check the
            # last bytes with numpy, and only the remaining few records in Python.
            extra = fields[long] - n
            trailing = np.ones(len(long), dtype=bool)
            bytes_ = np.frombuffer(self.region, dtype=np.uint8)
            for k in range(1, int(extra.max()) + 1):
                sel = extra >= k
                trailing[sel] &= bytes_[ends[long[sel]] - k] == ord(self.delimiter)
            for j in np.flatnonzero(~trailing).tolist():
                trailing[j] = self._only_trailing_empties(int(long[j]), n)
            good[long[trailing]] = True
        problem = self._problem_records(lines, last_lines) & ~blank
        good &= ~problem
        bad = ~good & ~blank & ~problem
        frame = self._parse_good(starts, good, positions)
        if frame is None:
            return None
        good_idx = np.flatnonzero(good)
        rows = lines[good_idx]
        # Records of quoted empty fields ("","") are blank too: check the few candidates.
        if positions and len(frame):
            empty = np.logical_and.reduce([_is_empty_text(frame[p]) for p in set(positions)])
            for i in np.flatnonzero(empty).tolist():
                text = self._record_text(int(good_idx[i]) + 1)
                empty[i] = _is_blank(_split(text, self.delimiter))
            if empty.any():
                frame = frame.loc[~empty].reset_index(drop=True)
                rows = rows[~empty]
        rejected: list[tuple[int, str, int | None, str | None]] = []
        for i in np.flatnonzero(problem).tolist():
            line = self._problem_line(int(lines[i]), int(last_lines[i]))
            text = self._record_text(i + 1)
            rejected.append((int(lines[i]), self.problem_lines[line], None, text))
        warnings = list(self.warnings)
        bad_idx = np.flatnonzero(bad)
        if len(bad_idx):
            records = []
            for i in bad_idx.tolist():
                text = self._record_text(i + 1)
                records.append((int(lines[i]), _split(text, self.delimiter), text))
            sample = [
                _split(self._record_text(i + 1), self.delimiter)
                for i in good_idx[:PROFILE_ROWS].tolist()
            ]
            recovery = Recovery(n, positions, profile_columns(sample, n), self.delimiter)
            frame, rows = recovery.apply(records, frame, rows, rejected, self.shown)
            warnings.extend(recovery.warnings(self.shown, len(good_idx) + len(bad_idx)))
        columns = {p: frame[p] for p in positions}
        rejected.sort(key=lambda r: r[0])
        return Body(columns, rows.astype(np.int64), len(frame) + len(rejected), rejected, warnings)

    def _parse_good(
        self, starts: np.ndarray, good: np.ndarray, positions: list[int]
    ) -> pd.DataFrame | None:
        count = int(good.sum())
        if count == 0 or not positions:
            return pd.DataFrame(
                {p: pd.Series([""] * count, dtype=object) for p in positions}, index=range(count)
            )
        if good.all():
            buffer = memoryview(self.region)[int(starts[0]) :]
            offsets = starts - starts[0]
        else:
            buffer = memoryview(_join_runs(self.region, starts, good))
            offsets = _joined_offsets(self.region, starts, good)
        if count <= TINY_ROWS and bytes(buffer[:3]) != _BOM:
            tiny = self._parse_tiny(bytes(buffer), count, sorted(set(positions)))
            if tiny is not None:
                return tiny
        # Read a piece at a time and keep each column as codes into its distinct values: the
        # C parser makes one Python string per cell, and holding all of them at once was
        # most of the loader's peak memory (benchmarks/README.md).
        used = sorted(set(positions))
        pieces: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {p: [] for p in used}
        bounds = _piece_bounds(buffer, offsets, count)
        for first, last in itertools.pairwise(bounds):
            stop = int(offsets[last]) if last < count else len(buffer)
            try:
                frame = pd.read_csv(
                    io.BytesIO(buffer[int(offsets[first]) : stop]),
                    sep=self.delimiter,
                    header=None,
                    usecols=used,
                    dtype=object,
                    # One pass per piece: equal cells share one str object, which makes the
                    # factorize below faster (pieces already bound the memory).
                    low_memory=False,
                    na_filter=False,
                    skip_blank_lines=False,
                    quotechar='"',
                    doublequote=True,
                    engine="c",
                    encoding="utf-8",
                    encoding_errors="replace",
                )
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
                return None  # e.g. a piece the C parser sees as empty: the csv module decides
            if len(frame) != last - first:
                return None  # the C parser split records differently: use the csv module
            for p in used:
                codes, uniques = pd.factorize(frame[p], use_na_sentinel=True)
                # int32: a piece has far fewer than 2**31 distinct values; half the memory.
                pieces[p].append((codes.astype(np.int32), np.asarray(uniques, dtype=object)))
        return pd.DataFrame({p: _categorical(pieces[p]) for p in used})

    def _parse_tiny(self, buffer: bytes, count: int, used: list[int]) -> pd.DataFrame | None:
        """A few records with the csv module: the C parser's set-up costs ~10 ms a call,
        which was most of the time of a glob of 10,000 one-row files. Same cells as the
        C parser (text as is, a missing field as missing); None when the records do not
        split the same way, and the C parser decides."""
        text = buffer.decode("utf-8", "replace")
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter))
        except csv.Error:  # e.g. a field over the csv module's size limit
            return None
        if len(records) != count:
            return None
        columns = {
            p: pd.Series([r[p] if p < len(r) else None for r in records], dtype=object)
            for p in used
        }
        return pd.DataFrame(columns)

    def _record_text(self, index: int) -> str:
        s = self.structure
        assert s is not None
        return self.region[int(s.starts[index]) : int(s.ends[index])].decode("utf-8", "replace")

    def _only_trailing_empties(self, index: int, n: int) -> bool:
        values = _split(self._record_text(index + 1), self.delimiter)
        return not any(v.strip() for v in values[n:])

    def _problem_records(self, lines: np.ndarray, last_lines: np.ndarray) -> np.ndarray:
        marked = np.zeros(len(lines), dtype=bool)
        if not self.problem_lines or not len(lines):
            return marked
        problem = np.array(sorted(self.problem_lines), dtype=np.int64)
        index = np.searchsorted(lines, problem, side="right") - 1
        ok = (index >= 0) & (problem <= last_lines[np.maximum(index, 0)])
        marked[index[ok]] = True
        return marked

    def _problem_line(self, first: int, last: int) -> int:
        return next(line for line in range(first, last + 1) if line in self.problem_lines)

    # -- slow path ---------------------------------------------------------------------

    def _read_slow(self, positions: list[int]) -> Body:
        """The csv module for files whose quoting the byte pass cannot follow."""
        n = len(self.headers)
        named = _named_width(self.headers)
        text = self.region.decode("utf-8", errors="replace")
        good_rows: list[list[str]] = []
        good_lines: list[int] = []
        bad: list[tuple[int, list[str], str]] = []
        rejected: list[tuple[int, str, int | None, str | None]] = []
        problems = self.problem_lines
        offset = self.header_line - 1
        final = (0, 0)
        for first, last, values in _records(text, self.delimiter, self.shown, self.header_line):
            final = (first, last)
            if first == 1 or _is_blank(values):
                continue
            line = first + offset
            if problems:
                problem = next((x for x in range(line, last + offset + 1) if x in problems), None)
                if problem is not None:
                    text = self.delimiter.join(values)
                    rejected.append((line, problems[problem], None, text))
                    continue
            width = len(values)
            if named <= width <= n or (width > n and not any(v.strip() for v in values[n:])):
                good_rows.append(values)
                good_lines.append(line)
            else:
                bad.append((line, values, self.delimiter.join(values)))
        unique = sorted(set(positions))
        frame = pd.DataFrame(
            [[row[p] for p in unique] for row in good_rows], columns=unique, dtype=object
        )
        rows = np.array(good_lines, dtype=np.int64)
        warnings = list(self.warnings)
        if self.region.count(b'"') % 2 and final[1] > final[0]:
            # The csv module reads an unclosed quote to the end of the file as one value.
            warnings.append(
                f'{self.shown}: a quote (") opened on line {final[0] + offset} is never '
                f"closed, so lines {final[0] + offset}-{final[1] + offset} were read as one "
                "record; fix the quoting there"
            )
        if bad:
            sample = good_rows[:PROFILE_ROWS]
            recovery = Recovery(n, positions, profile_columns(sample, n), self.delimiter)
            frame, rows = recovery.apply(bad, frame, rows, rejected, self.shown)
            warnings.extend(recovery.warnings(self.shown, len(good_rows) + len(bad)))
        columns = {p: frame[p] for p in positions}
        rejected.sort(key=lambda r: r[0])
        return Body(columns, rows, len(frame) + len(rejected), rejected, warnings)


def _records(
    text: str, delimiter: str, shown: str, first_line: int
) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) for each record, via the csv module."""
    with _big_fields():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        previous = 0
        try:
            for values in reader:
                yield previous + 1, reader.line_num, values
                previous = reader.line_num
        except csv.Error as exc:
            line = previous + first_line
            raise fail(
                shown,
                f"cannot be split into fields after line {line} ({exc}); check the quoting "
                "there, or export the file again",
                "csv-error",
                line=line,
            ) from None


def _named_width(headers: list[str]) -> int:
    """Number of header fields up to the last non-empty name."""
    width = len(headers)
    while width > 1 and not headers[width - 1].strip():
        width -= 1
    return width


def _is_blank(values: list[str]) -> bool:
    """A blank record: every field empty (",,,"), or a line of nothing but whitespace (a
    byte-order mark left between joined files counts as whitespace)."""
    if len(values) == 1:
        return not values[0].replace("\ufeff", "").strip()
    return not any(values)


def _split(record: str, delimiter: str) -> list[str]:
    with _big_fields():
        return next(csv.reader([record], delimiter=delimiter), [])


@contextlib.contextmanager
def _big_fields() -> Iterator[None]:
    """Lift the csv module's 128 KB field limit (exports embed photos as hex, e.g. Northwind)."""
    old = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _normalise_newlines(body: bytes) -> bytes:
    """CR-only files (classic Mac) become LF; a stray CR inside LF text becomes a space."""
    if b"\r" not in body:
        return body
    if b"\n" not in body:
        return body.replace(b"\r", b"\n")
    if body.count(b"\r") != body.count(b"\r\n"):
        return re.sub(rb"\r(?!\n)", b" ", body)
    return body


def _line_offset(body: bytes, line: int) -> int | None:
    offset = 0
    for _ in range(line - 1):
        found = body.find(b"\n", offset)
        if found < 0:
            return None
        offset = found + 1
    if offset >= len(body) and line > 1:
        return None
    return offset


def _join_runs(region: bytes, starts: np.ndarray, keep: np.ndarray) -> bytes:
    """The kept records (with their newlines) as one buffer, copying runs, not records."""
    index = np.flatnonzero(keep)
    breaks = np.flatnonzero(np.diff(index) != 1)
    run_first = np.r_[index[0], index[breaks + 1]]
    run_last = np.r_[index[breaks], index[-1]]
    view = memoryview(region)
    pieces = []
    for first, last in zip(run_first.tolist(), run_last.tolist(), strict=True):
        stop = len(region) if last + 1 >= len(starts) else int(starts[last + 1])
        piece = bytes(view[int(starts[first]) : stop])
        if not piece.endswith(b"\n"):
            piece += b"\n"
        pieces.append(piece)
    return b"".join(pieces)


def _is_empty_text(column: pd.Series) -> np.ndarray:
    """Cells that are exactly "" (on a categorical's codes: no string per row is made)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        blank = np.flatnonzero(column.cat.categories.to_numpy(dtype=object) == "")
        return np.isin(column.cat.codes.to_numpy(), blank)
    empty: np.ndarray = column.to_numpy() == ""
    return empty


def _piece_bounds(buffer: memoryview, offsets: np.ndarray, count: int) -> list[int]:
    """Record indexes where the pieces read by the C parser start, plus ``count``.

    A piece never starts with a record that begins with a byte-order mark: the parser drops
    a BOM at the start of its input, and inside a file (exports joined together) it is part
    of the value, as it is when the file is read in one go.
    """
    bounds = [0]
    first = PIECE_ROWS
    while first < count:
        while first < count and bytes(buffer[offsets[first] : offsets[first] + 3]) == _BOM:
            first += 1
        if first < count:
            bounds.append(first)
        first += PIECE_ROWS
    return [*bounds, count]


def _joined_offsets(region: bytes, starts: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Where each kept record starts in :func:`_join_runs`'s buffer."""
    lengths = np.diff(np.r_[starts, len(region)])[keep]
    offsets: np.ndarray = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    return offsets


def _categorical(pieces: list[tuple[np.ndarray, np.ndarray]]) -> pd.Series:
    """One column from the (codes, distinct values) of each piece, as a categorical whose
    categories are in order of first appearance, like ``pd.factorize`` of the whole column."""
    if len(pieces) == 1:
        codes, uniques = pieces[0]
    else:
        together, uniques = pd.factorize(np.concatenate([u for _, u in pieces]))
        parts = []
        offset = 0
        for piece_codes, piece_uniques in pieces:
            to_global = np.r_[together[offset : offset + len(piece_uniques)], -1].astype(np.int32)
            parts.append(to_global[piece_codes])  # -1 (missing) stays -1
            offset += len(piece_uniques)
        codes = np.concatenate(parts)
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object)))


def analyse(region: bytes, delimiter: str) -> Structure | None:
    """Find records and their field counts with numpy; None when the quoting is irregular.

    Quote-aware by parity: a delimiter or newline is structural when an even number of
    quote characters precede it, which holds for RFC 4180 quoting (doubled quotes inside a
    quoted field count twice). It does not hold when a quote appears inside an unquoted
    field (``5" screen``) or is never closed; such files return None and are read with the
    csv module, which treats those quotes as the C parser does.
    """
    arr = np.frombuffer(region, dtype=np.uint8)
    size = len(arr)
    d = ord(delimiter)
    quoted = region.find(b'"') >= 0
    allowed = np.array([d, 10, 13, 34], dtype=np.uint8)
    parity = 0
    delimiters_before = 0
    struct_parts: list[np.ndarray] = []
    cumulative_parts: list[np.ndarray] = []
    newline_parts: list[np.ndarray] = []
    for start in range(0, size, CHUNK):
        chunk = arr[start : start + CHUNK]
        # Only delimiters, newlines and quotes matter: find them in one pass, then work on
        # those positions (about one byte in eight), not on every byte.
        special = (chunk == d) | (chunk == 10)
        if quoted:
            special |= chunk == 34
        events = np.flatnonzero(special)
        kinds = chunk[events]
        if quoted:
            newline_parts.append(events[kinds == 10] + start)
            is_quote = kinds == 34
            running = np.cumsum(is_quote, dtype=np.uint8)  # wraps at 256: only parity matters
            quotes = np.flatnonzero(is_quote)
            if len(quotes):
                opening = ((running[quotes] - 1 + parity) & 1) == 0
                where = events[quotes] + start
                before = arr[np.maximum(where - 1, 0)]
                after = arr[np.minimum(where + 1, size - 1)]
                open_ok = (where == 0) | np.isin(before, allowed)
                close_ok = (where == size - 1) | np.isin(after, allowed)
                if (opening & ~open_ok).any() or (~opening & ~close_ok).any():
                    return None
            outside = (((running + parity) & 1) == 0) & ~is_quote
            if len(kinds):
                parity = (parity + int(running[-1])) & 1
            events, kinds = events[outside], kinds[outside]
        at_newline = np.flatnonzero(kinds == 10)
        struct_parts.append(events[at_newline] + start)
        # The structural delimiters before each newline: the events before it, less newlines.
        cumulative_parts.append(delimiters_before + at_newline - np.arange(len(at_newline)))
        delimiters_before += len(kinds) - len(at_newline)
    if quoted and parity:
        return None  # a quote is never closed
    ends = np.concatenate(struct_parts) if struct_parts else np.array([], np.int64)
    cumulative = np.concatenate(cumulative_parts) if cumulative_parts else np.array([], np.int64)
    if size and (not len(ends) or ends[-1] != size - 1):
        ends = np.r_[ends, size]
        cumulative = np.r_[cumulative, delimiters_before]
    ends = ends.astype(np.int64)
    starts = np.r_[0, ends[:-1] + 1].astype(np.int64)
    fields = np.diff(np.r_[0, cumulative]).astype(np.int64) + 1
    content_end = ends.copy()
    cr = (content_end > starts) & (arr[np.maximum(np.minimum(content_end - 1, size - 1), 0)] == 13)
    content_end[cr] -= 1
    all_newlines = np.concatenate(newline_parts) if newline_parts else np.array([], np.int64)
    if quoted and len(all_newlines) != sum(len(part) for part in struct_parts):
        # A newline inside quotes: from there on, records and physical lines differ.
        lines = np.searchsorted(all_newlines, starts) + 1
        last_lines = np.searchsorted(all_newlines, np.maximum(ends - 1, starts)) + 1
    else:
        lines = np.arange(1, len(starts) + 1, dtype=np.int64)
        last_lines = lines
    return Structure(starts, content_end, fields, lines, last_lines)
