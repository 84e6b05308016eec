"""`salesperf check`: is this spec and its data usable, and are the KPIs SMART?

Returns plain data (:class:`CheckReport`); the CLI renders it as a table or JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from salesperf.errors import Finding, Level, Location, SpecError
from salesperf.sources.dataset import Dataset, load_dataset
from salesperf.sources.models import clip
from salesperf.spec import Spec, load_spec
from salesperf.spec.models import NUMERIC_COLUMN_MEASURES, KpiSpec, MeasureKind

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


@dataclass(frozen=True)
class SmartItem:
    kpi: str
    criterion: str  # specific | measurable | achievable | relevant | time_bound
    ok: bool | None  # None: cannot be judged yet
    note: str


@dataclass
class CheckReport:
    spec_path: str
    findings: list[Finding] = field(default_factory=list)
    sources: list[SourceSummary] = field(default_factory=list)
    roster_reps: int | None = None
    smart: list[SmartItem] = field(default_factory=list)
    #: The market figures read (`market:`): source, file, rows, first and last period,
    #: level and its entities, figure -> cells filled. None without a market input.
    market: dict[str, Any] | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.WARNING]

    def to_dict(self) -> dict[str, Any]:
        document = self._document()
        if self.market is not None:  # only then: other specs' JSON keeps its shape
            document["market"] = self.market
        return document

    def _document(self) -> dict[str, Any]:
        return {
            "schema": "salesperf.check/1",
            "spec": self.spec_path,
            "usable": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
            "sources": [asdict(s) for s in self.sources],
            "roster_reps": self.roster_reps,
            "smart": [asdict(s) for s in self.smart],
        }


def run_check(spec_path: str | Path, today: dt.date | None = None) -> CheckReport:
    """Validate the spec, load every source and review each KPI.

    Spec errors stop early (nothing else can be trusted); data problems are collected per
    source so the user sees all of them in one run.
    """
    report = CheckReport(str(spec_path))
    try:
        spec = load_spec(spec_path)
    except SpecError as exc:
        report.findings.extend(exc.findings)
        return report
    report.findings.extend(spec.warnings)
    dataset = load_dataset(spec, collect=True)
    report.findings.extend(dataset.errors)
    report.findings.extend(dataset.warnings)
    today = today or dt.date.today()
    if dataset.roster is not None:
        report.roster_reps = int(dataset.roster.frame["rep"].nunique())
    for name in dataset.sources:
        summary = summarise_source(dataset, name, today)
        report.sources.append(summary)
        report.findings.extend(_source_findings(spec, summary))
    if dataset.market is not None:
        report.market = summarise_market(dataset)
    report.findings.extend(_calendar_findings(spec, dataset, today))
    judged, rules = _achievability(spec, dataset)
    report.findings.extend(rules)
    report.smart = smart_review(spec, dataset, judged)
    return report


def summarise_market(dataset: Dataset) -> dict[str, Any]:
    """What `check` says about the market file: what it covers and which figures it holds."""
    from salesperf.engine.periods import Calendar

    market = dataset.market
    assert market is not None
    spec = dataset.spec
    calendar = Calendar(spec.period, spec.fiscal_year_start)
    frame = market.frame
    periods = [calendar.period(int(p)).label for p in (frame["p"].min(), frame["p"].max())]
    return {
        "source": market.source,
        "file": market.file,
        "rows": len(frame),
        "first_period": periods[0] if len(frame) else None,
        "last_period": periods[1] if len(frame) else None,
        "level": market.level,
        "entities": market.entities(),
        "figures": {f: int(frame[f].notna().sum()) for f in market.figures},
    }


def _calendar_findings(spec: Spec, dataset: Dataset, today: dt.date) -> list[Finding]:
    """A year whose official working-day schedule is unknown paces on guesses: say so."""
    from salesperf.engine.pipeline import last_data_date
    from salesperf.engine.workdays import unknown_schedules
    from salesperf.spec import locate

    if spec.calendar is None or not dataset.sources:
        return []
    latest = last_data_date(dataset, today)
    if latest is None:
        return []
    missing = unknown_schedules(spec.calendar.country, spec.calendar.subdivision, [latest.year])
    if not missing:
        return []
    from importlib.metadata import version

    return [
        Finding(
            Level.WARNING,
            f"the official {missing[0]} working-day schedule of {spec.calendar.country} (its "
            f"make-up working weekends) is not in holidays {version('holidays')}: pacing "
            "counts the statutory holidays only. Upgrade the holidays package once it is "
            "published, or list the days under holidays:/workdays:",
            locate(spec._path, spec._raw, ("calendar", "country")),
            "calendar-schedule",
        )
    ]


#: Warnings of the targets engine that ``check`` repeats: a documented rule, not the data,
#: decided a target (see salesperf.engine.target_roster).
TARGET_RULE_CODES = frozenset(
    {
        "no-rows-in-lookback",
        "tenure-unknown",
        "unassigned-share",
        "partial-period",
        "no-rows-after",
        "target",
    }
)


def _achievability(spec: Spec, dataset: Dataset) -> tuple[dict[str, Any], list[Finding]]:
    """Replay the target rules over recent closed periods (see salesperf.backtest), and the
    warnings of the current period's targets (which rule decided where the data could not).

    ``check`` must report on any data it can read, so an engine problem here only leaves
    the Achievable column unjudged.
    """
    from salesperf.backtest import achievability
    from salesperf.errors import SalesperfError
    from salesperf.review import Review

    if dataset.errors or not dataset.sources:
        return {}, []
    try:
        results = Review(spec, dataset=dataset).results
    except SalesperfError:
        return {}, []
    rules = [
        f for f in results.findings if f.code in TARGET_RULE_CODES and f.level is Level.WARNING
    ]
    return {a.kpi: a for a in achievability(results)}, rules


def summarise_source(dataset: Dataset, name: str, today: dt.date) -> SourceSummary:
    import pandas as pd

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
    from salesperf.engine.coverage import kpi_exclusions

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


def _source_findings(spec: Spec, summary: SourceSummary) -> list[Finding]:
    """Turn the noteworthy parts of a summary into findings (warnings, never errors)."""
    # A glob has several files: the messages name the file where it matters.
    single = len(summary.files) == 1
    where = Location(summary.files[0].path if single else None)
    out: list[Finding] = []

    def warn(code: str, message: str, level: Level = Level.WARNING) -> None:
        out.append(Finding(level, f"source '{summary.name}': {message}", where, code))

    source = spec.sources[summary.name]
    allowed = source.allow_missing or {}
    if summary.rows_outside:
        conditions = ", ".join(f"{k}={v}" for k, v in (source.where or {}).items())
        warn(
            "outside-where",
            f"{summary.rows_outside:,} row(s) outside the source's where: ({conditions}) are "
            "not part of it",
            Level.INFO,
        )
    for reason, info in summary.rejected.items():
        rows = ", ".join(map(str, info["rows"]))
        more = "…" if info["count"] > len(info["rows"]) else ""
        if reason == "missing-date" and "date" in allowed:
            why = f": {allowed['date']}" if allowed["date"] else ""
            warn(
                "expected-missing",
                f"{info['count']:,} row(s) without a date are not counted (expected{why}), "
                f"rows {rows}{more}",
                Level.INFO,
            )
            continue
        warn("rejected-rows", f"{info['count']} row(s) rejected ({reason}), rows {rows}{more}")
    for gap in summary.not_counted:
        warn("not-counted", gap["message"], Level.INFO if gap["expected"] else Level.WARNING)
    if summary.rows_loaded == 0:
        warn("no-rows", "no usable rows")
    if summary.duplicate_keys:
        key = spec.sources[summary.name].key
        shown = ", ".join(summary.duplicate_examples)
        warn("duplicate-keys", f"{summary.duplicate_keys} duplicated {key} value(s): {shown}")
    if summary.future_dates:
        warn("future-dates", f"{summary.future_dates} row(s) dated in the future")
    if summary.unknown_reps:
        shown = ", ".join(clip(rep) for rep in summary.unknown_reps[:SHOW_ROWS])
        warn(
            "unknown-reps",
            f"{len(summary.unknown_reps)} rep(s) not in the roster: {shown}; "
            "their rows count for the company but for no team",
        )
    for derived, info in summary.derived.items():
        if info["divide_by_zero"]:
            rows = ", ".join(map(str, info["rows"]))
            more = "…" if info["divide_by_zero"] > len(info["rows"]) else ""
            warn(
                "divide-by-zero",
                f"derived '{derived}' ({info['expression']}) divides by zero on "
                f"{info['divide_by_zero']:,} row(s), rows {rows}{more}: the value is missing "
                "there and those rows count in no sum or average of it",
            )
    for message in summary.warnings:
        # The loader's warnings already name their file.
        out.append(
            Finding(Level.WARNING, f"source '{summary.name}': {message}", Location(), "load")
        )
    return out


def smart_review(
    spec: Spec, dataset: Dataset, achievable: dict[str, Any] | None = None
) -> list[SmartItem]:
    """One line per KPI and SMART criterion, judged from the spec and the loaded data;
    Achievable from ``achievable`` (KPI id -> :class:`salesperf.backtest.Achievability`)."""
    items: list[SmartItem] = []
    for kpi in spec.kpis:
        items.extend(_smart_kpi(spec, dataset, kpi, (achievable or {}).get(kpi.id)))
    return items


def _smart_kpi(spec: Spec, dataset: Dataset, kpi: KpiSpec, judged: Any) -> list[SmartItem]:
    specific_ok = bool(kpi.name.strip()) and (
        kpi.measure is not MeasureKind.RATIO or (kpi.numerator and kpi.denominator)
    )
    what = kpi.measure.value + (f" of {kpi.column}" if kpi.column else "")
    if kpi.where:
        what += " where " + ", ".join(f"{k}={v}" for k, v in kpi.where.items())
    items = [SmartItem(kpi.id, "specific", bool(specific_ok), f"{kpi.name}: {what}")]

    loaded = dataset.sources.get(kpi.source)
    if loaded is None:
        items.append(SmartItem(kpi.id, "measurable", False, f"source '{kpi.source}' not loaded"))
    else:
        numeric_columns = [kpi.column] if kpi.measure in NUMERIC_COLUMN_MEASURES else []
        numeric_columns += [
            p.column
            for p in (kpi.numerator, kpi.denominator)
            if p is not None and p.column and p.measure is MeasureKind.SUM
        ]
        missing = [c for c in numeric_columns if c and not loaded.frame[c].notna().any()]
        if loaded.rows_loaded == 0:
            items.append(SmartItem(kpi.id, "measurable", False, "the source has no usable rows"))
        elif missing:
            items.append(
                SmartItem(kpi.id, "measurable", False, f"no numeric values in {', '.join(missing)}")
            )
        else:
            items.append(
                SmartItem(
                    kpi.id, "measurable", True, f"{loaded.rows_loaded:,} rows in '{kpi.source}'"
                )
            )

    if kpi.target is None:
        items.append(SmartItem(kpi.id, "achievable", False, "no target: tracked but not scored"))
    elif judged is None:
        items.append(SmartItem(kpi.id, "achievable", None, f"target by {kpi.target.method.value}"))
    else:
        items.append(SmartItem(kpi.id, "achievable", judged.verdict, judged.note))
    items.append(
        SmartItem(
            kpi.id,
            "relevant",
            kpi.weight > 0,
            f"weight {kpi.weight:g}%" if kpi.weight > 0 else "weight 0: shown but not scored",
        )
    )
    items.append(SmartItem(kpi.id, "time_bound", True, f"reviewed per {spec.period.value}"))
    return items
