"""What a loaded source holds, in numbers: files, rows read and rejected (by reason),
dates, reps, duplicate keys, negative amounts, future dates, reps not on the roster, and
the rows each KPI cannot count.

``salesperf check`` prints it per source, and the report's data-quality section shows it.
It sits in the engine, beside :mod:`salesperf.engine.coverage` whose exclusions it lists,
so that both ``check`` and the report import it from below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from salesperf.engine.coverage import kpi_exclusions
from salesperf.sources.dataset import Dataset
from salesperf.sources.models import clip

#: How many row numbers to show per rejection reason.
SHOW_ROWS = 5


@dataclass(frozen=True)
class FileSummary:
    path: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    rows: int
    date_format: str | None


@dataclass(frozen=True)
class SourceSummary:
    name: str
    files: list[FileSummary]
    rows_read: int
    rows_loaded: int
    rejected: dict[str, dict[str, Any]]  # reason -> {"count": n, "rows": [first rows], "file": f}
    date_min: str | None
    date_max: str | None
    reps: int | None
    teams: int | None
    duplicate_keys: int
    duplicate_examples: list[str]
    negative_amounts: int
    future_dates: int
    unknown_reps: list[str]
    warnings: list[str]
    #: Derived columns (`derive:`): name -> {expression, divide_by_zero, rows, missing_input}.
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Rows outside the source's `where:` (not held by the source, not read further).
    rows_outside: int = 0
    #: Rows a KPI cannot count (an empty field): {kpi, field, rows, expected, reason, message}.
    not_counted: list[dict[str, Any]] = field(default_factory=list)


def summarise_source(dataset: Dataset, name: str, today: dt.date) -> SourceSummary:
    loaded = dataset.sources[name]
    spec_source = dataset.spec.sources[name]
    frame = loaded.frame
    rejected: dict[str, dict[str, Any]] = {}
    for rejection in loaded.rejected:
        entry = rejection.reason
        bucket = rejected.setdefault(entry, {"count": 0, "rows": [], "file": rejection.file})
        bucket["count"] += 1
        if len(bucket["rows"]) < SHOW_ROWS:
            bucket["rows"].append(rejection.row)
    dates = frame["date"] if "date" in frame else pd.Series([], dtype="datetime64[ns]")
    has_dates = bool(dates.notna().any())
    duplicate_keys = 0
    duplicate_examples: list[str] = []
    if spec_source.key and spec_source.key in frame:
        keyed = frame.loc[frame[spec_source.key].notna()]
        dupes = keyed.loc[keyed[spec_source.key].duplicated(keep=False)]
        duplicate_keys = int(dupes[spec_source.key].nunique())
        for value, group in list(dupes.groupby(spec_source.key, sort=False))[:SHOW_ROWS]:
            where = "; ".join(
                f"{Path(str(file)).name} rows {', '.join(map(str, rows['_row'].head(4)))}"
                for file, rows in group.groupby("_file", observed=True, sort=False)
            )
            duplicate_examples.append(f"{clip(value)} ({where})")
    negative = int((frame["amount"] < 0).sum()) if "amount" in frame else 0
    not_counted = [
        {
            "kpi": e.kpi,
            "field": e.field,
            "rows": e.rows,
            "expected": e.expected,
            "reason": e.reason,
            "message": e.message(),
        }
        for e in kpi_exclusions(dataset, name)
    ]
    future = int((dates > pd.Timestamp(today) + pd.Timedelta(days=1)).sum()) if has_dates else 0
    reps = int(frame["rep"].nunique()) if "rep" in frame else None
    teams = None
    if dataset.roster is not None and "team" in dataset.roster.frame:
        teams = int(dataset.roster.frame["team"].nunique())
    elif "team" in frame:
        teams = int(frame["team"].nunique())
    unknown: list[str] = []
    if dataset.roster is not None and "rep" in frame:
        known = set(dataset.roster.frame["rep"].dropna().astype(str))
        seen = frame["rep"].dropna().astype(str).unique()
        unknown = sorted(r for r in seen if r not in known)
    return SourceSummary(
        name=name,
        files=[
            FileSummary(
                f.path, f.format, f.encoding, f.delimiter, f.sheet, f.rows_read, f.date_format
            )
            for f in loaded.files
        ],
        rows_read=loaded.rows_read,
        rows_loaded=loaded.rows_loaded,
        rejected=rejected,
        date_min=dates.min().date().isoformat() if has_dates else None,
        date_max=dates.max().date().isoformat() if has_dates else None,
        reps=reps,
        teams=teams,
        duplicate_keys=duplicate_keys,
        duplicate_examples=duplicate_examples,
        negative_amounts=negative,
        future_dates=future,
        unknown_reps=unknown,
        warnings=list(loaded.warnings),
        derived={
            note.name: {
                "expression": note.expression,
                "divide_by_zero": note.divide_by_zero,
                "rows": note.divide_by_zero_rows,
                "missing_input": note.missing_input,
            }
            for note in dataset.derived.get(name, [])
        },
        rows_outside=loaded.rows_outside,
        not_counted=not_counted,
    )
