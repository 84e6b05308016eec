"""`salesperf check`: is this spec and its data usable, and are the KPIs SMART?

Returns plain data (:class:`CheckReport`); the CLI renders it as a table or JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from salesperf.backtest import achievability
from salesperf.engine.pipeline import last_data_date
from salesperf.engine.source_summary import SHOW_ROWS, SourceSummary, summarise_source
from salesperf.engine.workdays import unknown_schedules
from salesperf.errors import Finding, Level, Location, SalesperfError, SpecError
from salesperf.periods import Calendar
from salesperf.review import Review
from salesperf.sources.dataset import Dataset, load_dataset
from salesperf.sources.models import clip
from salesperf.spec import Spec, load_spec, locate
from salesperf.spec.models import NUMERIC_COLUMN_MEASURES, KpiSpec, MeasureKind


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
    if spec.calendar is None or not dataset.sources:
        return []
    latest = last_data_date(dataset, today)
    if latest is None:
        return []
    missing = unknown_schedules(spec.calendar.country, spec.calendar.subdivision, [latest.year])
    if not missing:
        return []

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
