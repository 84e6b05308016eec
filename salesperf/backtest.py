"""Would these targets have worked? Replay the spec's target rule over closed periods.

For each of the last N closed periods, targets are set exactly as the spec would have set
them then (:func:`salesperf.engine.targets.compute_targets` only ever reads periods before the
one it judges, so there is no look-ahead) and compared with what actually happened.
This is the "A" (achievable) of SMART: a target that history says almost nobody reaches,
or that nearly everybody beats, is flagged (:func:`achievability`, for ``salesperf check``).

:func:`run_backtest` (``salesperf backtest``) goes further: per KPI it replays the configured
method and its alternatives (the same target with another ``method``; for a target whose
growth follows the market, also the configured method on history alone, labelled
"<method> (history only)"), measures how reps
fared against each and how far off the company target was, picks the one closest to the
``backtest:`` criterion, and counts what the alert rules would have raised in each period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.anomalies import RULES, detect
from salesperf.anomalies.model import plain
from salesperf.engine.levels import COMPANY
from salesperf.engine.replay import replay, replay_periods
from salesperf.engine.target_history import POOLED_MEASURES
from salesperf.errors import Finding, Level, Location, UsageError, argument, did_you_mean
from salesperf.review import Review
from salesperf.sources.dataset import Dataset
from salesperf.spec.models import (
    ADDITIVE_MEASURES,
    Grain,
    KpiSpec,
    MeasureKind,
    TargetMethod,
)

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results
    from salesperf.periods import Calendar, Period
    from salesperf.spec import Spec

#: Share of rep-periods hitting target below which a target is "out of reach", and above
#: which it is "too easy" (``check``'s Achievable column). ``salesperf backtest`` aims at
#: the narrower, configurable ``backtest.hit_share`` band when it compares methods.
TOO_HARD = 0.10
TOO_EASY = 0.90


@dataclass(frozen=True)
class Achievability:
    kpi: str
    periods: list[str]
    rep_periods: int  # rep-periods with a target and an actual
    hit_share: float | None  # share of them at or above 100% attainment
    company_attainment: list[float | None]
    verdict: bool | None  # None: not enough history to judge
    note: str


def achievability(results: Results, periods: int = 6) -> list[Achievability]:
    """One verdict per KPI with a target, from the replayed rep-level hit rate."""
    history = replay(results, periods)
    verdicts = []
    for kpi in results.spec.kpis:
        if kpi.target is None:
            continue
        rows = history[history["kpi"] == kpi.id]
        reps = rows[(rows["level"] == "rep") & rows["attainment"].notna()]
        company = rows[rows["level"] == COMPANY].set_index("period")["attainment"]
        labels = sorted(rows["period"].unique())
        company_values = [
            None if c != c else round(float(c), 4) for c in company.reindex(labels).tolist()
        ]
        if len(reps) < 3:
            verdicts.append(
                Achievability(
                    kpi.id,
                    labels,
                    len(reps),
                    None,
                    company_values,
                    None,
                    "not enough closed periods with targets to judge yet",
                )
            )
            continue
        share = float((reps["attainment"] >= 1).mean())
        shown = f"{share:.0%} of reps hit it over the last {len(labels)} closed periods"
        if share < TOO_HARD:
            verdict, note = False, f"out of reach: only {shown}"
        elif share > TOO_EASY:
            verdict, note = False, f"too easy: {shown}"
        else:
            verdict, note = True, shown
        verdicts.append(
            Achievability(kpi.id, labels, len(reps), share, company_values, verdict, note)
        )
    return verdicts


# -- salesperf backtest: methods compared, alert rules counted --------------------------------

BACKTEST_SCHEMA = "salesperf.backtest/1"
#: Top-down allocation put a rep "over" when their target exceeded this multiple of what
#: they then did, "under" below UNDER_ALLOCATED.
OVER_ALLOCATED = 1.5
UNDER_ALLOCATED = 0.5
#: Fewer judged rep-periods than this: a hit share says nothing.
MIN_REP_PERIODS = 3
#: History methods compared with the configured one by default, in this order.
ALTERNATIVES = (
    TargetMethod.LAST_YEAR,
    TargetMethod.TRAILING_MEAN,
    TargetMethod.TRAILING_MEDIAN,
    TargetMethod.SEASONAL,
)
#: Measures with a volume that follows the seasons (what a seasonal index describes).
VOLUME_MEASURES = ADDITIVE_MEASURES | {MeasureKind.COUNT_DISTINCT}
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class MethodResult:
    """How one target method would have fared for one KPI over the replayed periods.

    Fractions throughout. ``median_attainment``, ``hit_share`` (attainment >= 1), ``p10`` and
    ``p90`` are over rep-periods with a target and an actual. ``mape`` and ``bias`` compare
    the company target with the company actual per period: mean of |target - actual| /
    |actual|, and mean of (target - actual) / |actual| (above 0: targets were above what
    happened). ``over_allocated`` / ``under_allocated`` (allocated KPIs only): share of
    rep-periods whose target was above 1.5x / below 0.5x their actual. ``distance`` from the
    ``backtest:`` criterion: how far the hit share lies outside ``hit_share`` plus how far
    |bias| exceeds ``max_bias`` (0: meets it).
    """

    method: str
    configured: bool
    periods: int  # replayed periods with a company target and actual (MAPE and bias)
    rep_periods: int
    median_attainment: float | None
    hit_share: float | None
    p10: float | None
    p90: float | None
    mape: float | None
    bias: float | None
    over_allocated: float | None
    under_allocated: float | None
    distance: float | None
    company: list[dict[str, Any]]  # period, target, actual
    note: str = ""

    @property
    def meets(self) -> bool | None:
        return None if self.distance is None else self.distance <= 1e-12


@dataclass(frozen=True)
class KpiBacktest:
    kpi: KpiSpec
    allocated: bool
    methods: list[MethodResult]  # the configured method first
    best: str | None
    verdict: str


@dataclass(frozen=True)
class RuleBacktest:
    """What one alert rule raised per replayed period, and how often a warning or critical
    on a KPI was followed by a period that ended behind target for that entity."""

    rule: str
    counts: dict[str, dict[str, int]]  # period -> severity -> alerts
    judged: int  # warnings/criticals on a KPI whose next period closed with a target
    behind_next: int  # of those, the next period ended below 100% attainment
    pending: int  # raised in the last period: the next one has not closed yet

    @property
    def total(self) -> dict[str, int]:
        return {s: sum(c[s] for c in self.counts.values()) for s in SEVERITIES}

    @property
    def precision(self) -> float | None:
        return self.behind_next / self.judged if self.judged else None


@dataclass(frozen=True)
class AlertBacktest:
    periods: list[str]
    rules: list[RuleBacktest]
    #: For comparison with precision: share of all entity-periods (KPIs with a target,
    #: replayed periods after the first) that ended behind target, alerted or not.
    behind_rate: float | None


@dataclass
class Backtest:
    spec: Spec
    as_of: dt.date
    periods: list[str]
    kpis: list[KpiBacktest]
    alerts: AlertBacktest | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (contract ``salesperf.backtest/1``): plain fractions, None if n/a."""

        kpis = [
            {
                "kpi": item.kpi.id,
                "name": item.kpi.name,
                "measure": item.kpi.measure.value,
                "unit": item.kpi.unit.value,
                "direction": item.kpi.direction.value,
                "configured": item.methods[0].method,
                "allocated": item.allocated,
                "best": item.best,
                "verdict": item.verdict,
                "methods": [{**dataclasses.asdict(m), "meets": m.meets} for m in item.methods],
            }
            for item in self.kpis
        ]
        alerts = None
        if self.alerts is not None:
            rules = [
                {**dataclasses.asdict(r), "total": r.total, "precision": r.precision}
                for r in self.alerts.rules
            ]
            alerts = {**dataclasses.asdict(self.alerts), "rules": rules}
        criterion = self.spec.backtest
        document: dict[str, Any] = plain(
            {
                "schema": BACKTEST_SCHEMA,
                "title": self.spec.title,
                "as_of": self.as_of.isoformat(),
                "grain": self.spec.period.value,
                "periods": self.periods,
                "criterion": {
                    "hit_share": list(criterion.hit_share),
                    "max_bias": criterion.max_bias,
                    "over_allocated": OVER_ALLOCATED,
                    "under_allocated": UNDER_ALLOCATED,
                },
                "kpis": kpis,
                "alerts": alerts,
                "notes": self.notes,
            }
        )
        return document


def parse_methods(text: str | None) -> list[TargetMethod] | None:
    """``"last_year,seasonal"`` -> methods; an unknown name is a usage error."""
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    choices = [m.value for m in TargetMethod]
    errors = [
        Finding(
            Level.ERROR,
            f"'{name}' is not a target method{did_you_mean(name, choices)}; "
            f"use {', '.join(choices)}",
            argument("methods"),
            "unknown-method",
        )
        for name in names
        if name not in choices
    ]
    if not names:
        errors.append(
            Finding(Level.ERROR, "no method given", argument("methods"), "unknown-method")
        )
    if errors:
        raise UsageError("Cannot compare these methods:", errors)
    return [TargetMethod(n) for n in dict.fromkeys(names)]


def method_misfit(kpi: KpiSpec, method: TargetMethod, calendar: Calendar) -> str | None:
    """Why ``method`` makes no sense for the KPI (None: it does)."""

    target = kpi.target
    assert target is not None
    if method is TargetMethod.FIXED and target.value is None:
        return "fixed needs a target `value`"
    if method is TargetMethod.TRAILING_MEDIAN and kpi.measure in POOLED_MEASURES:
        return f"for a {kpi.measure.value} it equals trailing_mean (history is pooled)"
    if method is TargetMethod.SEASONAL:
        if kpi.measure not in VOLUME_MEASURES:
            return f"a {kpi.measure.value} has no volume to follow the seasons"
        if calendar.grain is Grain.YEAR:
            return "yearly periods have no seasons"
    return None


def with_method(spec: Spec, kpi: KpiSpec, method: TargetMethod) -> Spec:
    """A copy of ``spec`` holding only ``kpi``, its target's method replaced; growth,
    periods, allocate and the rest are kept. The spec itself is never changed."""
    assert kpi.target is not None
    target = kpi.target.model_copy(update={"method": method})
    return spec.model_copy(update={"kpis": [kpi.model_copy(update={"target": target})]})


def closed_periods(results: Results, count: int) -> list[Period]:
    """The last ``count`` periods closed by as-of (the as-of period too when as-of is its
    last day), without the first period of the data (nothing before it to set a target)."""
    calendar = results.calendar
    current = calendar.period_of(results.as_of)
    closes = results.as_of == current.end - dt.timedelta(days=1)
    last = current.ordinal if closes else current.ordinal - 1
    first = int(results.cube["p"].min()) if len(results.cube) else last + 1
    return [calendar.period(o) for o in range(last - count + 1, last + 1) if o > first]


def run_backtest(
    review: Review,
    *,
    periods: int | None = None,
    kpi: str | None = None,
    methods: list[TargetMethod] | None = None,
    alerts: bool = True,
) -> Backtest:
    """Replay target methods and alert rules over the closed periods before the review's
    as-of, from the review's cube (nothing is loaded or counted again).

    ``periods`` defaults to ``backtest.periods`` (6); ``methods`` to the history methods
    that fit each KPI (see :func:`method_misfit`); the configured method always comes first.
    """
    results = review.results
    spec = review.spec
    dataset = review.dataset
    chosen = _kpis_to_test(spec, kpi)
    closed = closed_periods(results, periods or spec.backtest.periods)
    if not closed:
        raise UsageError(
            "Nothing to backtest:",
            [
                Finding(
                    Level.ERROR,
                    f"no closed period with history before {results.as_of.isoformat()}; "
                    "a backtest needs at least two periods of data",
                    Location(spec.path),
                    "backtest",
                )
            ],
        )
    ordinals = [p.ordinal for p in closed]
    by_kpi = {str(k): part for k, part in results.cube.groupby("kpi", sort=False, observed=True)}
    tested: list[KpiBacktest] = []
    configured: list[pd.DataFrame] = []
    notes: list[str] = []
    for item in chosen:
        part = by_kpi.get(item.id, results.cube.iloc[:0])
        kinds = _methods_for(item, methods, results.calendar, notes)
        judged = []
        market = dataset.market
        for i, (label, method, changed) in enumerate(_variants(spec, item, kinds)):
            try:
                rows = replay_periods(
                    changed, part, results.org, results.calendar, ordinals, market=market
                )
            except ArithmeticError as exc:
                if i == 0:
                    raise  # the configured rule fails today too: a bug to report
                # A hypothetical rule must not sink the backtest of the real one (a season
                # without sales once made seasonal divide by zero).
                notes.append(f"{item.id}: {label} failed ({type(exc).__name__})")
                continue
            if i == 0:
                configured.append(rows)
            judged.append(_judge(spec, item, method, i == 0, rows, len(closed), label))
        tested.append(_pick(spec, item, judged))
    counted = None
    if alerts:
        replayed = _attainments(configured)
        counted = _count_alerts(spec, dataset, closed, replayed, kpi)
    return Backtest(spec, results.as_of, [p.label for p in closed], tested, counted, notes)


#: The label of the configured rule without its market growth, when it follows the market.
HISTORY_ONLY = "{method} (history only)"


def _variants(
    spec: Spec, kpi: KpiSpec, kinds: list[TargetMethod]
) -> list[tuple[str, TargetMethod, Spec]]:
    """(label, method, spec) of each rule replayed: the configured one first; right after
    it, when its growth follows the market, the same rule on history alone (growth 0), so
    the comparison says what the market figures changed."""
    assert kpi.target is not None
    out = [(m.value, m, with_method(spec, kpi, m)) for m in kinds]
    if kpi.target.market_growth is not None:
        first = kinds[0]
        target = kpi.target.model_copy(update={"method": first, "growth": 0.0})
        alone = spec.model_copy(update={"kpis": [kpi.model_copy(update={"target": target})]})
        out.insert(1, (HISTORY_ONLY.format(method=first.value), first, alone))
    return out


def _kpis_to_test(spec: Spec, kpi: str | None) -> list[KpiSpec]:
    if kpi is None:
        return [k for k in spec.kpis if k.target is not None]
    ids = [k.id for k in spec.kpis]
    if kpi not in ids:
        message = f"no KPI '{kpi}'{did_you_mean(kpi, ids)}; KPIs: {', '.join(ids)}"
    elif spec.kpi(kpi).target is None:
        message = f"KPI '{kpi}' has no `target:` to backtest"
    else:
        return [spec.kpi(kpi)]
    raise UsageError("Cannot backtest:", [Finding(Level.ERROR, message, argument("kpi"))])


def _methods_for(
    kpi: KpiSpec, requested: list[TargetMethod] | None, calendar: Calendar, notes: list[str]
) -> list[TargetMethod]:
    assert kpi.target is not None
    out = [kpi.target.method]
    for method in requested if requested is not None else ALTERNATIVES:
        if method in out:
            continue
        why = method_misfit(kpi, method, calendar)
        if why is None:
            out.append(method)
        elif requested is not None:
            notes.append(f"{kpi.id}: {method.value} left out: {why}")
    return out


def _judge(
    spec: Spec,
    kpi: KpiSpec,
    method: TargetMethod,
    configured: bool,
    rows: pd.DataFrame,
    periods: int,
    label: str | None = None,
) -> MethodResult:

    assert kpi.target is not None
    reps = rows.loc[rows["level"] == "rep"]
    attained = reps["attainment"].dropna().to_numpy(dtype=float)
    company = rows.loc[rows["level"] == COMPANY]
    series = [
        {"period": p, "target": _plain(t), "actual": _plain(a)}
        for p, t, a in zip(company["period"], company["target"], company["actual"], strict=True)
    ]
    errors = [
        (s["target"] - s["actual"]) / abs(s["actual"])
        for s in series
        if s["target"] is not None and s["actual"] is not None and s["actual"] != 0
    ]
    over = under = None
    if kpi.additive and kpi.target.allocate is not None:
        both = reps.loc[reps["target"].notna() & reps["actual"].notna()]
        both = both.loc[(both["target"] != 0) | (both["actual"] != 0)]
        if len(both):
            over = float((both["target"] > OVER_ALLOCATED * both["actual"]).mean())
            under = float((both["target"] < UNDER_ALLOCATED * both["actual"]).mean())
    n = len(attained)
    hit = float((attained >= 1 - 1e-9).mean()) if n else None
    low, high = (float(v) for v in np.percentile(attained, [10, 90])) if n else (None, None)
    mape = float(np.mean(np.abs(errors))) if errors else None
    bias = float(np.mean(errors)) if errors else None
    notes = []
    if len(errors) < periods:
        missing = periods - len(errors)
        notes.append(f"no company target or actual in {missing} of {periods} periods")
    if method is TargetMethod.SEASONAL:
        fell_back = int((company["target_method"] == TargetMethod.TRAILING_MEAN.value).sum())
        if fell_back:
            notes.append(
                f"trailing_mean in {fell_back} of {periods} periods (seasonal needs two "
                "years of company history)"
            )
    distance = None
    if hit is not None and bias is not None and n >= MIN_REP_PERIODS:
        floor, ceiling = spec.backtest.hit_share
        distance = max(0.0, floor - hit, hit - ceiling) + max(
            0.0, abs(bias) - spec.backtest.max_bias
        )
    return MethodResult(
        method=label or method.value,
        configured=configured,
        periods=len(errors),
        rep_periods=n,
        median_attainment=float(np.median(attained)) if n else None,
        hit_share=hit,
        p10=low,
        p90=high,
        mape=mape,
        bias=bias,
        over_allocated=over,
        under_allocated=under,
        distance=distance,
        company=series,
        note="; ".join(notes),
    )


def _plain(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def _pick(spec: Spec, kpi: KpiSpec, judged: list[MethodResult]) -> KpiBacktest:
    """The method closest to the criterion. Among equals the configured method wins (a rule
    that works is not worth changing), then the smaller company error (MAPE)."""
    assert kpi.target is not None
    allocated = kpi.additive and kpi.target.allocate is not None
    eligible = [m for m in judged if m.distance is not None]
    if not eligible:
        return KpiBacktest(
            kpi, allocated, judged, None, "not enough closed periods with targets to compare"
        )
    best = min(
        eligible,
        key=lambda m: (
            round(m.distance or 0.0, 9),
            not m.configured,
            m.mape if m.mape is not None else 1e9,
        ),
    )
    mine = judged[0]
    floor, ceiling = spec.backtest.hit_share
    if best.meets:
        head = f"keep {best.method}" if best is mine else f"consider {best.method}"
    else:
        head = (
            f"none meets the criterion ({floor:.0%}–{ceiling:.0%} of reps on target, "
            f"|bias| ≤ {spec.backtest.max_bias:.0%}); closest: {best.method}"
        )
    verdict = f"{head}: {_summary(best)}"
    if best is not mine:
        verdict += f" (configured {mine.method}: {_summary(mine)})"
    also = [m.method for m in eligible if m.meets and m is not best]
    if also:
        verdict += f"; also within the criterion: {', '.join(also)}"
    return KpiBacktest(kpi, allocated, judged, best.method, verdict)


def _summary(method: MethodResult) -> str:
    if method.hit_share is None or method.bias is None:
        return "not enough data"
    bias = round(method.bias, 5) + 0.0  # no "-0.0%" from float noise
    return f"{method.hit_share:.0%} of reps hit target, company bias {bias:+.1%}"


def _attainments(frames: list[pd.DataFrame]) -> dict[tuple[str, str, str, str], float]:
    """(kpi, level, entity, period) -> attainment under the configured targets."""
    out: dict[tuple[str, str, str, str], float] = {}
    for rows in frames:
        usable = rows.loc[rows["attainment"].notna()]
        keys = zip(usable["kpi"], usable["level"], usable["entity"], usable["period"], strict=True)
        out.update(zip(keys, usable["attainment"].astype(float), strict=True))
    return out


def dataset_until(dataset: Dataset, last_day: dt.date) -> Dataset:
    """The dataset as it stood at the end of ``last_day``: later rows are left out, so that
    ``future_date`` does not flag rows that were simply not known yet and
    ``large_transaction``'s 99th percentile uses no later row. The roster and the rows
    rejected at load (which carry no trustworthy date) are kept as they are."""

    limit = pd.Timestamp(last_day) + pd.Timedelta(days=1)
    sources = {
        name: dataclasses.replace(loaded, frame=loaded.frame.loc[loaded.frame["date"] < limit])
        for name, loaded in dataset.sources.items()
    }
    return Dataset(
        dataset.spec, sources, dataset.roster, list(dataset.errors), market=dataset.market
    )


def _count_alerts(
    spec: Spec,
    dataset: Dataset,
    periods: list[Period],
    attainment: dict[tuple[str, str, str, str], float],
    kpi: str | None,
) -> AlertBacktest:
    """Run every alert rule as it would have run on the last day of each period."""

    labels = [p.label for p in periods]
    rules = [r.__name__ for r in RULES if r.__name__ not in spec.alerts.disable]
    counts = {r: {label: dict.fromkeys(SEVERITIES, 0) for label in labels} for r in rules}
    judged = dict.fromkeys(rules, 0)
    behind = dict.fromkeys(rules, 0)
    pending = dict.fromkeys(rules, 0)
    for i, period in enumerate(periods):
        last_day = period.end - dt.timedelta(days=1)
        past = Review(spec, period.label, last_day, dataset=dataset_until(dataset, last_day))
        for alert in detect(past.results, past.rows, today=last_day, analyse=False):
            if (kpi is not None and alert.kpi != kpi) or alert.rule not in counts:
                continue
            counts[alert.rule][period.label][alert.severity.value] += 1
            if alert.kpi is None or alert.severity.rank < 1:
                continue
            if i + 1 == len(periods):
                pending[alert.rule] += 1
                continue
            value = attainment.get((alert.kpi, alert.level, alert.entity, labels[i + 1]))
            if value is not None:
                judged[alert.rule] += 1
                behind[alert.rule] += int(value < 1)
    later = set(labels[1:])
    outcomes = [v < 1 for (k, _, _, p), v in attainment.items() if p in later]
    return AlertBacktest(
        labels,
        [RuleBacktest(r, counts[r], judged[r], behind[r], pending[r]) for r in rules],
        sum(outcomes) / len(outcomes) if outcomes else None,
    )
