"""Finding the spec's columns in a file's header row, and the header repeated in the data.

Headers are matched exactly first, then loosely (surrounding spaces, a BOM, repeated inner
spaces and case ignored), and every mismatch of a file is reported at once.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesperf.errors import DataError, Finding, Level, Location, did_you_mean
from salesperf.sources.csvfile import Body, CsvTable
from salesperf.sources.detect import fail
from salesperf.sources.excel import WorkbookTable
from salesperf.sources.models import clip

#: How many available headers an error lists before "…".
SHOW_HEADERS = 40


#: Headers searched for a "did you mean": a header row wider than this is not a real header
#: (a wrong delimiter, a 10 MB single-line file) and difflib over millions of names takes
#: minutes.
SUGGEST_FROM = 2000


#: Rows below the header row searched for the real column names (ERP title blocks).
HEADER_SEARCH_ROWS = 30


def later_header_row(table: CsvTable | WorkbookTable, mapping: Mapping[str, str]) -> int | None:
    """The first row below the header row that holds every mapped header, if any."""
    wanted = {loose_header(h) for h in mapping.values()}
    if isinstance(table, CsvTable):
        lines = table.region.split(b"\n", HEADER_SEARCH_ROWS + 1)[1 : HEADER_SEARCH_ROWS + 1]
        rows = [_split_line(line.decode("utf-8", "replace"), table.delimiter) for line in lines]
    else:
        rows = [[str(v) for v in row] for row in table._cells[:HEADER_SEARCH_ROWS]]
    for offset, row in enumerate(rows, start=1):
        if wanted <= {loose_header(v) for v in row}:
            return table.header_line + offset
    return None


def _split_line(line: str, delimiter: str | None) -> list[str]:
    return next(csv.reader([line.rstrip("\r")], delimiter=delimiter or ","), [])


def match_columns(
    headers: list[str], mapping: Mapping[str, str], shown: str, header_line: int
) -> dict[str, int]:
    """Field -> 0-based position of its header; every problem reported at once.

    An exact match wins; otherwise a match ignoring surrounding spaces, a BOM, repeated
    inner spaces and case (exports pad headers: "收货地址 "). A header that appears twice is
    an error only when a mapped field would be ambiguous.
    """
    if not any(trim_header(h) for h in headers):
        raise fail(
            shown,
            f"the header row (row {header_line}) is empty; set header_row: to the row with "
            "the column names",
            "missing-column",
            line=header_line,
            key="header_row",
        )
    positions: dict[str, int] = {}
    findings: list[Finding] = []
    loose = [loose_header(h) for h in headers]
    available = [trim_header(h) for h in headers if trim_header(h)]
    for field, wanted in mapping.items():
        exact = [i for i, h in enumerate(headers) if h == wanted]
        if not exact:
            wanted_loose = loose_header(wanted)
            exact = [i for i, h in enumerate(loose) if h == wanted_loose]
        if len(exact) == 1:
            positions[field] = exact[0]
            continue
        where = Location(shown, header_line, wanted)
        if exact:
            columns = " and ".join(column_name(i) for i in exact)
            message = (
                f"header '{wanted}' (mapped to {field}) appears {len(exact)} times, in "
                f"columns {columns}; rename one in the file so the mapping is unambiguous"
            )
            findings.append(Finding(Level.ERROR, message, where, "ambiguous-column"))
            continue
        listing = ", ".join(f"'{clip(h)}'" for h in available[:SHOW_HEADERS])
        if len(available) > SHOW_HEADERS:
            listing += f", … ({len(available):,} names)"
        hint = did_you_mean(wanted, available[:SUGGEST_FROM])
        message = (
            f"column '{wanted}' (mapped to {field}) is not in the header row "
            f"{header_line}{hint}; the file has: {listing}"
        )
        findings.append(Finding(Level.ERROR, message, where, "missing-column"))
    if findings:
        raise DataError(f"{shown}: the header does not match the spec's columns:", findings)
    return positions


def repeated_header(
    body: Body, positions: Mapping[str, int], columns: Mapping[str, str]
) -> np.ndarray:
    """Rows whose every used cell repeats its header: exports joined together (often with
    the second file's BOM in the middle). Found through the first column's distinct values,
    so a million rows cost one factorize."""
    count = len(body.rows)
    fields = list(columns)
    if not count or not fields:
        return np.zeros(count, dtype=bool)
    codes, uniques = pd.factorize(body.columns[positions[fields[0]]])
    wanted = loose_header(columns[fields[0]])
    hits = [i for i, value in enumerate(uniques) if loose_header(str(value)) == wanted]
    mask = np.isin(codes, hits) if hits else np.zeros(count, dtype=bool)
    for field in fields[1:]:
        if not mask.any():
            break
        rows = np.flatnonzero(mask)
        cells = body.columns[positions[field]].to_numpy(dtype=object)[rows]
        wanted = loose_header(columns[field])
        mask[rows] = [loose_header(str(cell)) == wanted for cell in cells]
    return mask


def trim_header(header: str) -> str:
    return str(header).replace("\ufeff", "").strip()


def loose_header(header: str) -> str:
    return " ".join(trim_header(header).split()).casefold()


def column_name(index: int) -> str:
    """1-based position and spreadsheet letter: 'C (3rd)'."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters} (#{index + 1})"
