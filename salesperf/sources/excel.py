"""Reading workbooks (.xlsx, .xls, .xlsb, .ods) through python-calamine.

calamine returns cached formula results and typed cells (numbers, dates, text). Cells are
turned into the same raw text a CSV export would hold, so one parser serves both, except
that cells Excel stored *as dates* are kept aside as datetimes: they need no inference and
must not make a text date column look mixed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import python_calamine as calamine

from salesperf.errors import did_you_mean
from salesperf.sources import xlsx_guard
from salesperf.sources.csvfile import Body
from salesperf.sources.detect import fail

#: Floats that are whole numbers print without ".0" (an employee id 5.0 is "5").
MAX_EXACT_INT = 1e15


class WorkbookTable:
    """One sheet of a workbook: header known at construction, rows read on demand."""

    encoding = None
    delimiter = None

    def __init__(
        self, data: bytes, fmt: str, shown: str, *, sheet: str | int | None, header_row: int
    ) -> None:

        self.format = fmt
        self.shown = shown
        self.header_line = header_row
        self.warnings: list[str] = []
        if fmt == "xlsx":
            xlsx_guard.check_workbook(data, shown)
        try:
            workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except calamine.PasswordError:
            raise fail(
                shown,
                "the workbook is password-protected; remove the password in Excel and save a copy",
                "encrypted-workbook",
            ) from None
        except (calamine.CalamineError, ValueError, OSError) as exc:
            raise fail(
                shown,
                f"cannot be read as an .{fmt} workbook ({_reason(exc)}); the file may be "
                "damaged or truncated: export it again, or open it in Excel and save a copy",
                "corrupt-workbook",
            ) from None
        self.sheet = self._choose_sheet(workbook, sheet)
        if fmt == "xlsx":
            xlsx_guard.check_sheet(data, self.sheet, shown)
        try:
            data_sheet = workbook.get_sheet_by_name(self.sheet)
            cells = data_sheet.to_python(skip_empty_area=False)
            merged = _merged_in_data(data_sheet, header_row)
        except (calamine.CalamineError, ValueError) as exc:
            raise fail(
                shown,
                f"sheet '{self.sheet}' cannot be read ({_reason(exc)}); open the workbook in "
                "Excel and save a copy",
                "corrupt-workbook",
            ) from None
        if not any(any(_present(v) for v in row) for row in cells):
            raise fail(
                shown,
                f"sheet '{self.sheet}' is empty; choose the sheet with the data (sheet:)",
                "empty-file",
                key="sheet",
            )
        if header_row > len(cells):
            raise fail(
                shown,
                f"header_row is {header_row} but sheet '{self.sheet}' has only {len(cells)} "
                "row(s); set header_row: to the row that holds the column names",
                "header-row",
                key="header_row",
            )
        # Kept to look for formulas without stored results, only if a used column has
        # empty cells (the bytes are the caller's: no copy).
        self._data = data if fmt == "xlsx" else None
        self.headers = [_cell_text(v) for v in cells[header_row - 1]]
        self._cells = cells[header_row:]
        self._merged = merged
        if merged:
            (top, left), (bottom, right) = merged[0]
            first = f"{_letters(left)}{top + 1}:{_letters(right)}{bottom + 1}"
            self.warnings.append(
                f"{shown}: sheet '{self.sheet}' has {len(merged)} merged cell range(s) below "
                f"the header (first: {first}); each merged value is read into every row and "
                "column it covers, as Excel shows it"
            )

    def _choose_sheet(self, workbook: object, sheet: str | int | None) -> str:
        names: list[str] = list(workbook.sheet_names)  # type: ignore[attr-defined]
        listing = ", ".join(f"{i}: '{n}'" for i, n in enumerate(names))
        if sheet is None:
            visible = [
                m.name
                for m in workbook.sheets_metadata  # type: ignore[attr-defined]
                if str(m.visible).endswith("Visible")
            ]
            return (visible or names)[0]
        if isinstance(sheet, int):
            if 0 <= sheet < len(names):
                return names[sheet]
            raise fail(
                self.shown,
                f"sheet index {sheet} is out of range: the workbook has {len(names)} sheet(s) "
                f"({listing}); sheet indexes start at 0",
                "unknown-sheet",
                key="sheet",
            )
        if sheet in names:
            return sheet
        loose = [n for n in names if n.strip().casefold() == str(sheet).strip().casefold()]
        if len(loose) == 1:
            return loose[0]
        raise fail(
            self.shown,
            f"no sheet named '{sheet}'{did_you_mean(str(sheet), names)}; the workbook has "
            f"{listing}",
            "unknown-sheet",
            key="sheet",
        )

    def read(self, positions: list[int]) -> Body:
        """Rows of the needed columns; completely empty rows are skipped, as Excel shows them."""
        grid = _grid(self._cells)
        filled = (grid != "").any(axis=1) if grid.size else np.zeros(len(grid), dtype=bool)
        _fill_merged(grid, self._merged, self.header_line)
        rows = np.flatnonzero(filled) + self.header_line + 1
        columns: dict[int, pd.Series] = {}
        typed: dict[int, np.ndarray] = {}
        count = int(filled.sum())
        for p in sorted(set(positions)):
            cells = grid[filled, p] if p < grid.shape[1] else np.full(count, "", dtype=object)
            text, stamps = _column(cells)
            columns[p] = pd.Series(text, dtype=object)
            if stamps is not None:
                typed[p] = stamps
        rows = np.asarray(rows, dtype=np.int64)
        uncached = self._uncached(columns, rows)
        return Body(columns, rows, count, [], [], typed, uncached)

    def _uncached(self, columns: dict[int, pd.Series], rows: np.ndarray) -> dict[int, np.ndarray]:
        """Per used position, the rows whose cell is a formula with no stored result."""
        if self._data is None or not any((c == "").any() for c in columns.values()):
            return {}
        cells = xlsx_guard.uncached_formulas(self._data, self.sheet)
        out: dict[int, np.ndarray] = {}
        for position in columns:
            numbers = [r + 1 for r, c in cells if c == position]
            if numbers:
                out[position] = np.isin(rows, numbers)
        return out


def _column(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A column's cells as CSV-like text, plus its date cells as datetime64 (NaT elsewhere).

    Vectorised per cell type: text cells pass through, whole floats print without ".0",
    dates print as ISO (and are kept aside so they need no inference).
    """
    kinds = np.array([type(v).__name__ for v in cells], dtype=object)
    if not len(cells) or (kinds == "str").all():
        return cells, None
    text = cells.copy()
    floats = kinds == "float"
    if floats.any():
        values = cells[floats].astype(np.float64)
        whole = (values == np.floor(values)) & (np.abs(values) < MAX_EXACT_INT)
        shown = np.array([repr(v) for v in values.tolist()], dtype=object)
        shown[whole] = values[whole].astype(np.int64).astype(str).astype(object)
        text[floats] = shown
    for kind, render in (("int", str), ("bool", _bool_text), ("NoneType", lambda v: "")):
        mask = kinds == kind
        if mask.any():
            text[mask] = [render(v) for v in cells[mask]]
    stamps = None
    timed = np.isin(kinds, ["datetime", "date", "Timestamp"])
    if timed.any():
        moments = pd.to_datetime(pd.Series(cells[timed].tolist(), dtype=object))
        if getattr(moments.dt, "tz", None) is not None:
            moments = moments.dt.tz_localize(None)
        values = moments.to_numpy(dtype="datetime64[ns]")
        midnight = values == values.astype("datetime64[D]")
        day = np.datetime_as_string(values, unit="D").astype(object)
        second = np.char.replace(np.datetime_as_string(values, unit="s"), "T", " ").astype(object)
        text[timed] = np.where(midnight, day, second)
        stamps = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[ns]")
        stamps[timed] = values
    rest = ~(floats | timed | np.isin(kinds, ["str", "int", "bool", "NoneType"]))
    if rest.any():
        text[rest] = [_cell_text(v) for v in cells[rest]]
    return text, stamps


Merge = tuple[tuple[int, int], tuple[int, int]]


def _merged_in_data(sheet: object, header_row: int) -> list[Merge]:
    """Merged ranges (0-based, inclusive) that start below the header row.

    A merged cell holds its value in the top-left cell only; ERP exports merge a rep's or
    a team's name over all of its rows, which would otherwise load as rows without a rep.
    """
    try:
        ranges = getattr(sheet, "merged_cell_ranges", None) or []
    except Exception:  # older formats may not support it; merges are a refinement
        return []
    return sorted(r for r in ranges if r[0][0] >= header_row)


def _fill_merged(grid: np.ndarray, merged: list[Merge], header_row: int) -> None:
    """Copy each merged range's top-left value over the range (clipped to the grid)."""
    for (top, left), (bottom, right) in merged:
        row, stop = top - header_row, min(bottom - header_row + 1, grid.shape[0])
        if row >= grid.shape[0] or left >= grid.shape[1]:
            continue
        grid[row:stop, left : min(right + 1, grid.shape[1])] = grid[row, left]


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _bool_text(value: object) -> str:
    return "TRUE" if value else "FALSE"


def _grid(cells: Sequence[Sequence[object]]) -> np.ndarray:
    """Cells as a 2-D object array (calamine rows are rectangular; pad if one is not)."""
    width = max((len(r) for r in cells), default=0)
    grid = np.empty((len(cells), width), dtype=object)
    if all(len(r) == width for r in cells) and width:
        grid[:, :] = cells
    else:
        grid[:] = ""
        for i, row in enumerate(cells):
            grid[i, : len(row)] = row
    return grid


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if len(text) < 12:  # calamine's XML errors can be as terse as "t"
        text = f"{type(exc).__name__}: {text}"
    return text[:120]


def _present(value: object) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _cell_text(value: object) -> str:
    """A cell as a CSV export would write it (ISO for dates, no '.0' on whole numbers)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < MAX_EXACT_INT:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
