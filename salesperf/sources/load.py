"""Loading a source: files -> header check -> raw rows -> typed frame, with every rejection kept.

The order matters for the user: all header problems of a file are reported together, every
file of a glob is tried before failing, and a row is rejected (with its number and reason)
rather than dropped. One rejection per row: the first problem found, checking the date
first, then numeric fields in the order the spec maps them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from salesperf import paths
from salesperf.errors import DataError, Finding, Level, Location
from salesperf.paths import expand
from salesperf.sources import cache
from salesperf.sources.csvfile import Body, CsvTable
from salesperf.sources.dates import DateProblem, parse_dates
from salesperf.sources.detect import fail, sniff_format
from salesperf.sources.excel import WorkbookTable
from salesperf.sources.headers import (
    later_header_row,
    match_columns,
    repeated_header,
    trim_header,
)
from salesperf.sources.models import FileInfo, LoadedSource, Rejection, clip
from salesperf.sources.parse import (
    Distinct,
    by_first_appearance,
    clean_text,
    missing_markers,
    parse_numbers,
)
from salesperf.sources.problems import (
    date_suggestion,
    formulas_without_results,
    mixed_percent_rows,
    not_found,
    refuse_ambiguous_decimal,
    refuse_mixed_currencies,
    refuse_no_rows,
    summary,
    warn_most_rejected,
)
from salesperf.sources.select import outside_rows
from salesperf.spec.models import OrgSpec, SourceSpec

__all__ = ["load_roster", "load_source", "match_columns", "read_header"]

DATE = "date"


@dataclass(frozen=True)
class _Options:
    """What both a sales source and the roster say about their files."""

    path: str
    sheet: str | int | None
    encoding: str
    delimiter: str | None
    header_row: int
    columns: Mapping[str, str]
    date_format: str | None = None
    missing_values: tuple[str, ...] = ()
    #: A `currency` column is mapped: amounts in several currencies are expected.
    currency_mapped: bool = False
    #: The source's `where:` (the rows it holds) and the derived columns it may use.
    where: Mapping[str, object] | None = None
    derive: Mapping[str, str] | None = None
    #: The spec's `decimal:` ("." or ","); None: decided from the values.
    decimal: str | None = None
    #: Above this share of rejected rows the source gets a warning.
    max_rejected_share: float = 1.0


#: One file's frame, info, rejections, warnings, and its text fields' codes (kept rows);
#: for a batch of small files (_finish_together), a list of infos and a `_file` column.
_Part = tuple[
    pd.DataFrame, FileInfo | list[FileInfo], list[Rejection], list[str], dict[str, Distinct]
]


@dataclass
class _Read:
    """One file read up to raw rows: what is needed to finish it (possibly later)."""

    info: dict[str, object]
    body: Body
    positions: dict[str, int]
    warnings: list[str]


def load_source(
    name: str,
    source: SourceSpec,
    base_dir: Path,
    fields: Collection[str] | None = None,
    numeric: Collection[str] = (),
    *,
    shown_base: Path | None = None,
) -> LoadedSource:
    """Load the fields a spec uses from one source (a file or a glob of files).

    ``fields`` are salesperf field names (keys of ``source.columns``); None means all mapped
    fields. ``date`` is always loaded, because rows are placed in periods by it; rows whose
    date is missing or unreadable are rejected, not dropped. ``numeric`` fields become float64
    (unparseable -> rejected as bad-number; blank -> NaN). Paths in messages are shown
    relative to ``shown_base`` (default: the working directory).
    """
    wanted = list(source.columns) if fields is None else list(dict.fromkeys(fields))
    unknown = [f for f in wanted if f not in source.columns]
    if unknown:
        raise fail(
            source.path,
            f"source '{name}' does not map field(s) {', '.join(unknown)}; add them under "
            f"columns: (mapped: {', '.join(source.columns)})",
            "unmapped-field",
            key="columns",
        )
    if DATE not in wanted:
        wanted.insert(0, DATE)
    ordered = [f for f in source.columns if f in wanted]
    options = _Options(
        source.path,
        source.sheet,
        source.encoding,
        source.delimiter,
        source.header_row,
        {f: source.columns[f] for f in ordered},
        source.date_format,
        tuple(source.missing_values or ()),
        "currency" in source.columns,
        source.where,
        source.derive if source.where else None,
        source.decimal,
        source.max_rejected_share,
    )
    numbers = [f for f in ordered if f in set(numeric) and f != DATE]
    return _load(name, options, base_dir, numbers, DATE, shown_base)


def load_roster(org: OrgSpec, base_dir: Path, *, shown_base: Path | None = None) -> LoadedSource:
    """Load the roster (who is in which team) with the same machinery: all fields are text."""
    options = _Options(
        org.path, org.sheet, org.encoding, org.delimiter, org.header_row, dict(org.columns)
    )
    return _load("org", options, base_dir, [], None, shown_base)


def read_header(
    path: Path,
    sheet: str | int | None = None,
    encoding: str = "auto",
    header_row: int = 1,
    *,
    delimiter: str | None = None,
) -> list[str]:
    """The column names of an export, trimmed (BOM and surrounding spaces removed).

    Used by ``salesperf init`` to propose a mapping; empty header cells are kept as "" so
    positions match the file.
    """
    path = Path(path)
    shown = _shown(path, None)
    table = _open(path, _read_bytes(path, shown), shown, sheet, encoding, delimiter, header_row)
    return [trim_header(h) for h in table.headers]


def _load(
    name: str,
    options: _Options,
    base_dir: Path,
    numeric: list[str],
    date_field: str | None,
    shown_base: Path | None,
) -> LoadedSource:
    paths = expand(base_dir, options.path)
    if not paths:
        raise not_found(options.path, Path(base_dir))
    shown_paths = [_shown(path, shown_base) for path in paths]
    cached = cache.source_key(paths, shown_paths, (options, numeric, date_field))
    if cached is not None:
        hit = cache.fetch(cached[0], name)
        if hit is not None:
            return hit
    loaded = _parse(name, options, paths, shown_paths, numeric, date_field)
    # Stored only if the files did not change while they were read (the digests agree).
    if cached is not None and [f.sha256 for f in loaded.files] == cached[1]:
        cache.store(cached[0], loaded)
    return loaded


def _parse(
    name: str,
    options: _Options,
    paths: list[Path],
    shown_paths: list[str],
    numeric: list[str],
    date_field: str | None,
) -> LoadedSource:
    findings: list[Finding] = []
    reads: list[_Read] = []
    for path, shown in zip(paths, shown_paths, strict=True):
        try:
            reads.append(_read_file(path, shown, options))
        except DataError as exc:
            findings.extend(exc.findings or [Finding(Level.ERROR, exc.message, Location(shown))])
    if findings:
        raise DataError(summary(name, findings), findings)
    parts: list[_Part | None] = []
    pending: list[tuple[int, _Read, DateProblem]] = []
    orders: set[str] = set()
    batched = _finish_batches(reads, options, numeric, date_field)
    for i, read in enumerate(reads):
        if i in batched:
            part, order = batched[i]
            parts.append(part)  # None for a batch's later files: their rows are in the first's
            if order:
                orders.add(order)
            continue
        try:
            part, order = _finish(read, options, numeric, date_field, None)
        except DateProblem as problem:
            if problem.code != "ambiguous-dates":
                findings.append(_date_finding(read, options, date_field, problem))
                continue
            pending.append((i, read, problem))
            parts.append(None)  # finished below, once the other files have settled the order
            continue
        except DataError as exc:
            findings.extend(exc.findings)
            parts.append(None)
            continue
        if order:
            orders.add(order)
        parts.append(part)
    hint = orders.pop() if len(orders) == 1 else None
    for i, read, ambiguous in pending:
        if hint is None:
            findings.append(_date_finding(read, options, date_field, ambiguous))
            continue
        try:
            parts[i] = _finish(read, options, numeric, date_field, hint)[0]
        except DataError as exc:
            findings.extend(exc.findings)
    if findings:
        raise DataError(summary(name, findings), findings)
    loaded = _combine(name, [p for p in parts if p is not None], options, numeric, date_field)
    refuse_no_rows(loaded)
    warn_most_rejected(loaded, options.max_rejected_share)
    return loaded


#: Files of at most this many rows are finished together (see :func:`_finish_batches`).
BATCH_ROWS = 10_000


def _finish_batches(
    reads: list[_Read], options: _Options, numeric: list[str], date_field: str | None
) -> dict[int, tuple[_Part | None, str | None]]:
    """Finish runs of small, clean CSV files of one layout as one table.

    Parsing a column costs a few milliseconds whatever its length, so a glob of 10,000
    one-row files spent two minutes there. A run of consecutive files with the same mapped
    positions, each at most BATCH_ROWS rows with nothing rejected or warned while reading,
    is parsed as one. The result is kept only when it is what the files give one by one:
    nothing rejected, no warning, one date format with no day/month order to decide;
    otherwise (or on any error) those files are finished one by one as before. Returns
    read index -> (the run's part for its first file, None for the others; no order).
    """
    out: dict[int, tuple[_Part | None, str | None]] = {}
    start = 0
    while start < len(reads):
        end = start
        while end < len(reads) and _batchable(reads[end], reads[start]):
            end += 1
        if end - start >= 2:
            done = _finish_together(reads[start:end], options, numeric, date_field)
            if done is not None:
                out[start] = done
                out.update(dict.fromkeys(range(start + 1, end), (None, None)))
        start = max(end, start + 1)
    return out


def _batchable(read: _Read, first: _Read) -> bool:
    body = read.body
    return (
        read.info["format"] == "csv"
        and read.positions == first.positions
        and 0 < len(body.rows) <= BATCH_ROWS
        and not (read.warnings or body.rejected or body.typed_dates or body.uncached)
    )


def _finish_together(
    group: list[_Read], options: _Options, numeric: list[str], date_field: str | None
) -> tuple[_Part, str | None] | None:
    positions = sorted(set(group[0].positions.values()))
    body = Body(
        {p: pd.concat([r.body.columns[p] for r in group], ignore_index=True) for p in positions},
        np.concatenate([r.body.rows for r in group]),
        sum(r.body.rows_read for r in group),
    )
    merged = _Read(dict(group[0].info), body, group[0].positions, [])
    try:
        (frame, info, rejected, warnings, texts), order = _finish(
            merged, options, numeric, date_field, None
        )
    except (DataError, DateProblem):
        return None
    assert isinstance(info, FileInfo)  # _finish reads one file (here: one merged body)
    # Day/month dates are decided per file, with a warning when a file takes its siblings'
    # order: only ISO-like dates (no order to decide) keep the batch.
    if rejected or warnings or order is not None or " | " in (info.date_format or ""):
        return None
    counts = [len(r.body.rows) for r in group]
    frame["_file"] = np.repeat(np.arange(len(group)), counts)
    # Each file's own path, rows and digest, with the date format they share.
    infos = [FileInfo(**r.info, date_format=info.date_format) for r in group]  # type: ignore[arg-type]
    return (frame, infos, [], [], texts), None


def _read_file(path: Path, shown: str, options: _Options) -> _Read:
    data = _read_bytes(path, shown)
    table = _open(
        path,
        data,
        shown,
        options.sheet,
        options.encoding,
        options.delimiter,
        options.header_row,
    )
    try:
        positions = match_columns(table.headers, options.columns, shown, table.header_line)
    except DataError as exc:
        later = later_header_row(table, options.columns)
        if later is None or any(f.code != "missing-column" for f in exc.findings):
            raise
        hint = Finding(
            Level.ERROR,
            f"the column names are on row {later}, after a title block: set header_row: "
            f"{later} for this source",
            Location(shown, later, "header_row"),
            "header-row",
        )
        raise DataError(exc.message, [*exc.findings, hint]) from None
    body = table.read(sorted(set(positions.values())))
    warnings = list(getattr(table, "warnings", []))
    warnings += [w for w in body.warnings if w not in warnings]
    if options.sheet is not None and table.format == "csv":
        warnings.append(f"{shown}: sheet: is ignored for a CSV file")
    if body.rows_read == 0:
        warnings.append(f"{shown}: has a header but no data rows")
    info: dict[str, object] = {
        "path": shown,
        "format": table.format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "sheet": table.sheet,
        "rows_read": body.rows_read,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return _Read(info, body, positions, warnings)


def _open(
    path: Path,
    data: bytes,
    shown: str,
    sheet: str | int | None,
    encoding: str,
    delimiter: str | None,
    header_row: int,
) -> CsvTable | WorkbookTable:
    sniffed = sniff_format(data, path, shown)
    if sniffed.format == "csv":
        table: CsvTable | WorkbookTable = CsvTable(
            data,
            shown,
            encoding=encoding,
            delimiter=delimiter,
            header_row=header_row,
            prefer_tab=path.suffix.lower() in (".tsv", ".tab"),
        )
    else:
        table = WorkbookTable(data, sniffed.format, shown, sheet=sheet, header_row=header_row)
    if sniffed.warning:
        table.warnings.insert(0, sniffed.warning)
    return table


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        special = paths.node_kind(path.stat().st_mode)
        if special is not None:  # /dev/zero never ends, a named pipe blocks
            raise fail(shown, f"not a regular file ({special}); point at a data file", "io")
        return path.read_bytes()
    except FileNotFoundError:
        raise fail(shown, "file not found", "file-not-found", key="path") from None
    except IsADirectoryError:
        raise fail(shown, "is a directory; point path: at a file", "file-not-found") from None
    except OSError as exc:
        raise fail(shown, f"cannot be read: {exc.strerror or exc}", "io") from None


def _finish(
    read: _Read,
    options: _Options,
    numeric: list[str],
    date_field: str | None,
    hint: str | None,
) -> tuple[_Part, str | None]:
    """Typed frame of one file; raises DateProblem when its dates cannot be read alone."""
    body, shown = read.body, str(read.info["path"])
    markers = missing_markers(options.missing_values)
    count = len(body.rows)
    reason = np.full(count, None, dtype=object)
    column = np.full(count, None, dtype=object)
    columns: dict[str, object] = {}
    texts: dict[str, Distinct] = {}
    warnings = list(read.warnings)
    date_format = None
    order = None
    repeated = repeated_header(body, read.positions, options.columns)
    if repeated.any():
        reason[repeated] = "repeated-header"
        column[repeated] = options.columns[date_field or next(iter(options.columns))]
    warnings += formulas_without_results(body, read.positions, options.columns, shown)
    for field, header in options.columns.items():
        uncached = body.uncached.get(read.positions[field])
        if uncached is not None:
            _mark(reason, column, uncached, "formula-no-value", header)
    for field, header in options.columns.items():
        raw = body.columns[read.positions[field]]
        text = clean_text(raw, markers)
        if field == date_field:
            text = text.without(repeated)
            typed = body.typed_dates.get(read.positions[field])
            if typed is not None:
                text = text.without(~np.isnat(typed))
            dates = parse_dates(text, options.date_format, typed, hint)
            date_format, order = dates.format, dates.order
            columns[field] = dates.values
            _mark(reason, column, dates.missing, "missing-date", header)
            _mark(reason, column, dates.bad, "bad-date", header)
            warnings += [f"{shown}: column '{header}': {note}" for note in dates.notes]
        elif field in numeric:
            numbers = parse_numbers(text, options.decimal)
            columns[field] = numbers.values
            _mark(reason, column, numbers.bad, "bad-number", header)
            mixed, note = mixed_percent_rows(
                numbers.values, numbers.bad, numbers.percent, body.rows, shown, header
            )
            if note:
                _mark(reason, column, mixed, "mixed-percent", header)
                warnings.append(note)
            if len(numbers.ambiguous):
                refuse_ambiguous_decimal(raw, numbers.ambiguous, body.rows, shown, header)
            if not options.currency_mapped:
                refuse_mixed_currencies(text, numbers.bad, body.rows, shown, header)
            if numbers.decimal_comma:
                warnings.append(
                    f"{shown}: column '{header}' uses a decimal comma (e.g. 1.234,50); "
                    "read it that way"
                )
        else:
            columns[field] = text.to_series().array
            texts[field] = text
    outside = np.zeros(count, dtype=bool)
    if options.where:
        # Before rejections are kept: a row the source does not hold is no problem.
        outside = outside_rows(columns, options.where, options.derive or {}, body.rows)
        reason[outside] = "outside-where"
        column[outside] = None
    keep = pd.isna(reason)
    frame = pd.DataFrame({f: _take(v, keep) for f, v in columns.items()})
    texts = {f: Distinct(t.codes[keep], t.values) for f, t in texts.items()}
    frame["_row"] = body.rows[keep].astype(np.int64)
    rejected = [
        Rejection(shown, row, why, None, clip(value) if value else None)
        for row, why, _, value in body.rejected
    ]
    marked = np.flatnonzero(~keep)  # compare the few rejected rows, not a million
    for field, header in options.columns.items():
        hit = marked[column[marked] == header]
        if not len(hit) or _field_of(options.columns, header) != field:
            continue
        raw_values = body.columns[read.positions[field]].iloc[hit].to_numpy(dtype=object)
        for i, value in zip(hit.tolist(), raw_values.tolist(), strict=True):
            why = reason[i]
            cell = None if why == "missing-date" else clip(str(value).strip())
            rejected.append(Rejection(shown, int(body.rows[i]), why, header, cell))
    rejected.sort(key=lambda r: r.row)
    info = FileInfo(
        **read.info,  # type: ignore[arg-type]
        date_format=date_format,
        rows_outside=int(outside.sum()),
    )
    return (frame, info, rejected, warnings, texts), order


def _mark(reason: np.ndarray, column: np.ndarray, mask: np.ndarray, why: str, header: str) -> None:
    new = mask.copy()
    new[mask] = pd.isna(reason[mask])  # only the rows this check flags, usually few
    reason[new] = why
    column[new] = header


def _take(values: object, keep: np.ndarray) -> object:
    if isinstance(values, np.ndarray):
        return values[keep]
    return values[keep]  # type: ignore[index]


def _field_of(columns: Mapping[str, str], header: str) -> str:
    return next(f for f, h in columns.items() if h == header)


def _combine(
    name: str,
    parts: list[_Part],
    options: _Options,
    numeric: list[str],
    date_field: str | None,
) -> LoadedSource:
    files: list[FileInfo] = []
    frames = []
    for frame, info, *_rest in parts:
        # Each part's frame was built by _finish for this call only. A batch of files
        # (_finish_together) holds several infos and numbers its rows' files from 0.
        infos = info if isinstance(info, list) else [info]
        frame["_file"] = frame["_file"] + len(files) if "_file" in frame else len(files)
        files.extend(infos)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    dtypes: dict[str, str] = {}
    for field in options.columns:
        if field == date_field:
            dtypes[field] = "datetime64[ns]"
        elif field in numeric:
            dtypes[field] = "float64"
        else:
            dtypes[field] = "string"
    frame = frame.astype(dtypes)
    frame["_file"] = pd.Categorical.from_codes(
        frame["_file"].to_numpy(dtype=np.int64), categories=[f.path for f in files]
    )
    frame["_row"] = frame["_row"].astype(np.int64)
    frame = frame[[*options.columns, "_file", "_row"]]
    rejected = [r for p in parts for r in p[2]]
    warnings = [w for p in parts for w in p[3]]
    loaded = LoadedSource(name, frame.reset_index(drop=True), files, rejected, warnings)
    for field, dtype in dtypes.items():
        if dtype == "string" and parts:
            codes, values = _text_codes([p[4][field] for p in parts])
            # int32: they live as long as the data (fewer distinct values than 2**31 rows).
            loaded.text_codes[field] = (loaded.frame[field].array, codes.astype(np.int32), values)
    return loaded


def _text_codes(parts: list[Distinct]) -> tuple[np.ndarray, np.ndarray]:
    """A text field's codes over all its files, numbered as ``pd.factorize`` of the loaded
    column numbers them: by first appearance, equal texts (" R1" and "R1" once stripped)
    sharing one code. Later stages group by these instead of hashing every string again."""
    merged, values = pd.factorize(np.concatenate([p.values for p in parts]))
    pieces = []
    offset = 0
    for part in parts:
        to_merged = np.r_[merged[offset : offset + len(part.values)], -1]
        pieces.append(to_merged[part.codes])  # -1 (missing) stays -1
        offset += len(part.values)
    return by_first_appearance(np.concatenate(pieces), values)


def _date_finding(
    read: _Read, options: _Options, date_field: str | None, problem: DateProblem
) -> Finding:
    """Turn a date problem into a finding that shows rows, values and the fix."""
    shown = str(read.info["path"])
    header = options.columns[date_field or DATE]
    raw = read.body.columns[read.positions[date_field or DATE]]
    examples = [(int(read.body.rows[i]), str(raw.iloc[i]).strip()) for i in problem.examples]
    shown_examples = ", ".join(f"row {row}: '{clip(value)}'" for row, value in examples)
    fix = date_suggestion(problem, [v for _, v in examples])
    if shown_examples:
        message = f"column '{header}': {problem.message}, e.g. {shown_examples}. {fix}"
    else:
        message = f"column '{header}': {problem.message}. {fix}"
    line = examples[0][0] if examples else None
    return Finding(Level.ERROR, message, Location(shown, line, header), problem.code)


def _shown(path: Path, base: Path | None) -> str:
    """The path as the user should see it: relative to the working dir when inside it."""
    full = os.path.abspath(path)
    root = os.path.abspath(base or Path.cwd())
    if full == root or full.startswith(root.rstrip(os.sep) + os.sep):
        return os.path.relpath(full, root)
    return str(path)
