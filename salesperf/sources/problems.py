"""How a load that fails explains itself: missing files, mixed currencies, date formats."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from salesperf import paths
from salesperf.errors import DataError, Finding, Level, Location, did_you_mean
from salesperf.sources.csvfile import Body
from salesperf.sources.dates import DateProblem
from salesperf.sources.models import LoadedSource, clip
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
    special = paths.special_kind(base_dir, pattern)
    if special is not None:
        message = f"not a regular file: {pattern} is {special}; point path: at a data file"
        where = Location(pattern, None, "path")
        return DataError(message, [Finding(Level.ERROR, message, where, "not-a-file")])
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


#: How to fix a source whose every row was rejected, by the first row's reason.
_NO_ROWS_FIX = {
    "bad-number": "check that columns: maps the right headers, and list placeholders such as "
    "'TBD' under missing_values:",
    "bad-date": "check that columns: date maps the date column and set date_format:",
    "missing-date": "check that columns: date maps the date column",
    "encoding": "set encoding: to the file's encoding (e.g. gb18030, cp1252, shift_jis)",
    "nul-byte": "the file holds NUL bytes (a damaged or binary file): export it again",
    "wrong-field-count": "set delimiter: to the file's separator, or export the data again",
    "repeated-header": "the file repeats its header line: export the data again",
}


def refuse_no_rows(loaded: LoadedSource) -> None:
    """A source with no usable row would report 0 revenue, a 0 score and tier D as if
    nothing had been sold: stop instead, saying why every row went."""
    if loaded.rows_loaded:
        return
    single = loaded.files[0].path if len(loaded.files) == 1 else None
    if not loaded.rejected:
        files = "the file has" if single else f"its {len(loaded.files)} files have"
        message = (
            f"source '{loaded.name}' has no data rows: {files} a header but no rows below it; "
            "export the data again, or point path: at the file with the rows"
        )
        where = Location(single)
    else:
        first = loaded.rejected[0]
        value = f" ('{first.value}')" if first.value else ""
        message = (
            f"source '{loaded.name}' has no usable rows: all {len(loaded.rejected):,} were "
            f"rejected ({_reasons(loaded)}; the first on row {first.row}{value}); "
            + _NO_ROWS_FIX.get(first.reason, _NO_ROWS_FIX["bad-number"])
        )
        where = Location(first.file, first.row, first.column)
    # What the files said while loading (an unclosed quote, a wrong encoding) explains why.
    notes = [_note(loaded, w) for w in loaded.warnings]
    error = Finding(Level.ERROR, message, where, "no-usable-rows")
    raise DataError(summary(loaded.name, [error]), [error, *notes])


def _reasons(loaded: LoadedSource) -> str:
    """ "2 bad-number, 1 nul-byte" """
    return ", ".join(
        f"{len(rows):,} {reason}" for reason, rows in loaded.rejected_by_reason.items()
    )


def _note(loaded: LoadedSource, warning: str) -> Finding:
    """A loader warning ("orders.csv: …") as a finding located at its file."""
    for info in loaded.files:
        if warning.startswith(f"{info.path}: "):
            return Finding(Level.WARNING, warning[len(info.path) + 2 :], Location(info.path))
    return Finding(Level.WARNING, warning, Location(loaded.files[0].path if loaded.files else ""))


def warn_most_rejected(loaded: LoadedSource, limit: float) -> None:
    """More than ``limit`` (a fraction) of the rows rejected: a warning on the source."""
    total = loaded.rows_loaded + len(loaded.rejected)
    if not total or len(loaded.rejected) <= limit * total:
        return
    loaded.warnings.append(
        f"{len(loaded.rejected):,} of {total:,} rows ({len(loaded.rejected) / total:.0%}) were "
        f"rejected ({_reasons(loaded)}), more than max_rejected_share ({limit:.0%}): the "
        "numbers leave most of the export out; fix the rows or the mapping (check --strict "
        "exits 1)"
    )


def refuse_ambiguous_decimal(
    raw: pd.Series, at: np.ndarray, rows: np.ndarray, shown: str, header: str
) -> None:
    """Every amount like 1.234: a decimal point (1.234) or a thousands dot (1234)."""
    values = [clip(str(raw.iloc[i]).strip()) for i in at.tolist()]
    examples = ", ".join(f"row {int(rows[i])}: '{v}'" for i, v in zip(at, values, strict=True))
    digits = re.sub(r"[^\d.]", "", values[0])
    message = (
        f"column '{header}': every amount with a separator could be read two ways "
        f"({examples}): '{values[0]}' is {digits} with a decimal point, or "
        f'{digits.replace(".", "")} with a dot between thousands. Set decimal: "." or '
        'decimal: "," for this source'
    )
    where = Location(shown, int(rows[at[0]]), header)
    raise DataError(message, [Finding(Level.ERROR, message, where, "ambiguous-decimal")])


def formulas_without_results(
    body: Body, positions: Mapping[str, int], columns: Mapping[str, str], shown: str
) -> list[str]:
    """Formulas a script wrote without results read as empty cells: revenue 0 with no
    word. A used column with nothing else in it stops the load; otherwise their rows are
    rejected (``formula-no-value``) with a warning."""
    warnings = []
    for field, header in columns.items():
        mask = body.uncached.get(positions[field])
        if mask is None or not mask.any():
            continue
        count = int(mask.sum())
        rows = ", ".join(str(int(r)) for r in body.rows[mask][:SHOW_ROWS])
        rows += ", …" if count > SHOW_ROWS else ""
        what = (
            f"column {header}: {count:,} formula{'s' if count != 1 else ''} "
            f"{'have' if count != 1 else 'has'} no cached value (rows {rows}); open and save "
            "the file in Excel, which stores each formula's result"
        )
        others = body.columns[positions[field]][~mask]
        if not others.astype(str).str.strip().ne("").any():
            message = f"{what}: the column holds nothing else, so nothing can be read from it"
            where = Location(shown, int(body.rows[mask][0]), header)
            raise DataError(message, [Finding(Level.ERROR, message, where, "formula-no-value")])
        warnings.append(f"{shown}: {what}; those rows were rejected as formula-no-value")
    return warnings


def mixed_percent_rows(
    values: np.ndarray,
    bad: np.ndarray,
    percent: np.ndarray,
    rows: np.ndarray,
    shown: str,
    header: str,
) -> tuple[np.ndarray, str | None]:
    """Rows to reject when a column mixes percentages with plain numbers ("5%" among
    amounts would add 0.05): the less common form, percentages on a tie. Zeros are either.
    Returns the mask and a warning (None when the column is of one kind)."""
    nonzero = ~bad & ~np.isnan(values) & (values != 0)
    pct, plain = nonzero & percent, nonzero & ~percent
    if not pct.any() or not plain.any():
        return np.zeros(len(values), dtype=bool), None
    reject = pct if pct.sum() <= plain.sum() else plain
    kind = "percentages" if reject is pct else "plain numbers"
    other = "plain numbers" if reject is pct else "percentages"
    count = int(reject.sum())
    listed = ", ".join(str(int(r)) for r in rows[reject][:SHOW_ROWS])
    listed += ", …" if count > SHOW_ROWS else ""
    warning = (
        f"{shown}: column '{header}': {count:,} value(s) are {kind} among {other} (rows "
        f"{listed}); they were rejected as mixed-percent: one column holds one kind of number"
    )
    return reject, warning
