"""Read the first rows of an export as text, for `salesperf init` to look at the data.

``init`` proposes a spec from more than the header: whether an order id repeats (line
items), which stage values mean closed deals, whether a roster's reps match the export's.
It reads with the same readers as a source (encoding, delimiter and title-block detection),
but every cell stays text and nothing is rejected.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine as calamine

from salesperf.errors import DataError, Finding, Level, Location
from salesperf.paths import node_kind
from salesperf.sources.csvfile import CsvTable
from salesperf.sources.detect import sniff_format
from salesperf.sources.excel import WorkbookTable

#: Rows read from an export to propose a spec (enough to see repeats and stages).
SAMPLE_ROWS = 20_000


@dataclass
class Sample:
    """Headers (trimmed, in file order), the first rows per header as text, and the sheet."""

    headers: list[str]
    columns: dict[str, pd.Series]
    rows: int
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    format: str = "csv"


def read_sample(path: Path, sheet: str | int | None = None, rows: int = SAMPLE_ROWS) -> Sample:
    """The header and up to ``rows`` data rows of one file (a CSV, or a workbook's sheet)."""
    path = Path(path)
    shown = str(path)
    special = node_kind(path.stat().st_mode)
    if special is not None:  # /dev/zero never ends, a named pipe blocks
        message = f"not a regular file ({special}); point at a data file"
        raise DataError(message, [Finding(Level.ERROR, message, Location(shown), "not-a-file")])
    data = path.read_bytes()
    sniffed = sniff_format(data, path, shown)
    table: CsvTable | WorkbookTable
    sheets: list[str] = []
    if sniffed.format == "csv":
        table = CsvTable(data, shown, prefer_tab=path.suffix.lower() in (".tsv", ".tab"))
    else:
        table = WorkbookTable(data, sniffed.format, shown, sheet=sheet, header_row=1)
        sheets = sheet_names(data)
    headers = [str(h).replace("\ufeff", "").strip() for h in table.headers]
    body = table.read(list(range(len(headers))))
    columns: dict[str, pd.Series] = {}
    for position, header in enumerate(headers):
        if header and header not in columns and position in body.columns:
            values = body.columns[position].iloc[:rows].astype(str).str.strip()
            columns[header] = values.reset_index(drop=True)
    count = min(len(body.rows), rows)
    return Sample(headers, columns, count, getattr(table, "sheet", None), sheets, sniffed.format)


def sheet_names(data: bytes) -> list[str]:
    """Visible sheets of a workbook, in order (empty when it cannot be listed)."""

    try:
        workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # the sheet itself was readable; listing the others is optional
        return []
    visible = [m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")]
    return visible or list(workbook.sheet_names)
