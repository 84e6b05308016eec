"""How a load that fails explains itself: missing files, mixed currencies, date formats."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from salesperf.errors import DataError, Finding, Level, Location, did_you_mean
from salesperf.sources.dates import DateProblem
from salesperf.sources.parse import Distinct, currency_marks

#: Row numbers listed per currency when a column mixes currencies.
SHOW_ROWS = 5


def refuse_mixed_currencies(
    text: Distinct, bad: np.ndarray, rows: np.ndarray, shown: str, header: str
) -> None:
    """Amounts written in two currencies ($ and €) in one column cannot be added up."""
    marks = currency_marks(text, bad)
    if len(marks) < 2:
        return
    ordered = sorted(marks.items(), key=lambda item: (-len(item[1]), int(item[1][0])))
    parts = []
    for mark, positions in ordered:
        shown_rows = ", ".join(str(int(r)) for r in rows[positions[:SHOW_ROWS]])
        more = ", …" if len(positions) > SHOW_ROWS else ""
        parts.append(f"{mark} on {len(positions):,} row(s): {shown_rows}{more}")
    first_other = int(rows[ordered[1][1][0]])
    message = (
        f"column '{header}' mixes currencies ({'; '.join(parts)}) and amounts in different "
        "currencies cannot be added up: convert them to one currency, or map the file's "
        "currency column as `currency:` under columns: to load them as they are"
    )
    where = Location(shown, first_other, header)
    raise DataError(message, [Finding(Level.ERROR, message, where, "mixed-currencies")])


_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([-/.])(\d{1,2})\2(\d{2,4})(\s+\d{1,2}:\d{2}(:\d{2})?)?")


def date_suggestion(problem: DateProblem, values: list[str]) -> str:
    if problem.code in ("date-format-mismatch", "bad-date-format"):
        return (
            "Fix date_format: for this source (strftime codes such as %Y-%m-%d), or remove it "
            "to let salesperf detect the format"
        )
    match = next((m for m in map(_DAY_MONTH.match, values) if m), None)
    if match is None:
        return (
            'Set date_format: to the format of this column (e.g. date_format: "%d.%m.%Y"), '
            "check that columns: date: names the date column, and list placeholders such as "
            "'TBD' under missing_values:"
        )
    sep = match.group(2)
    year = "%Y" if len(match.group(4)) == 4 else "%y"
    time = ""
    if match.group(5):
        time = " %H:%M:%S" if match.group(6) else " %H:%M"
    month_first = f"%m{sep}%d{sep}{year}{time}"
    day_first = f"%d{sep}%m{sep}{year}{time}"
    return (
        f'Set date_format: for this source: date_format: "{month_first}" if the month comes '
        f'first, or date_format: "{day_first}" if the day comes first'
    )


def summary(name: str, findings: list[Finding]) -> str:
    count = len(findings)
    return f"source '{name}' cannot be loaded ({count} problem{'s' if count != 1 else ''}):"


def not_found(pattern: str, base_dir: Path) -> DataError:
    full = Path(pattern) if os.path.isabs(pattern) else base_dir / pattern
    folder = full.parent
    nearby: list[str] = []
    if folder.is_dir():
        nearby = sorted(p.name for p in folder.iterdir() if p.is_file())[:200]
    hint = did_you_mean(full.name, nearby)
    magic = any(ch in pattern for ch in "*?[")
    what = "no file matches" if magic else "file not found:"
    message = f"{what} {pattern} (looked in {folder}){hint}"
    where = Location(pattern, None, "path")
    return DataError(message, [Finding(Level.ERROR, message, where, "file-not-found")])
