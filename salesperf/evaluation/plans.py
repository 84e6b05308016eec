"""Improvement plans: each rep's strengths, weakest KPIs and what to focus on.

Built from a :class:`~salesperf.evaluation.scoring.Scorecard` (so the plan and the score
always agree) and the actuals cube (for the rep's own recent periods). Plain frozen
dataclasses: the CLI renders them, JSON serialises them, a later report stage turns them
into prose.

- **Strength**: a scored KPI with attainment to date at least :data:`STRENGTH_MARGIN` above
  target (1.05) *and* above the median of the rep's team (reps of the same team with a
  value); best first by the points it adds above target.
- **Weakness**: a scored KPI below target (attainment to date < 1.0), worst first by
  *weighted shortfall* (``impact``): the KPI's weight (a fraction of all weights) x the
  points it loses against scoring exactly on target. A heavy KPI slightly behind can
  outrank a light one far behind, which is what the score rewards.
- **Severity** of a weak KPI, from the spec's ``status:`` thresholds applied to attainment
  to date: ``at_risk`` (>= 0.9 by default) or ``behind``. It picks the KPI's ``advice:``
  text (see :func:`advice_text`) in the report's language.
- Every item compares the rep with the target, the team median and the rep's own last
  :data:`RECENT_PERIODS` periods.
- Only **material** gaps make a plan: a KPI more than :data:`MATERIAL_GAP` (5%) below
  target. A rep within that of target (or above) on everything gets one line, not a plan.
- The action follows the **cause** found in the rep's other KPIs this period
  (:func:`diagnose`): for an amount such as revenue, too few orders (volume), smaller
  orders than the rep's own recent average (value), last period's customers not
  reordering (lost customers) or deals lost (win rate). Without a cause, the KPI's own
  ``advice:`` is used.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from salesperf.formatting import fmt_fraction, fmt_value
from salesperf.glossary import plain_note, word
from salesperf.spec.models import ADVICE_SEVERITIES, MeasureKind

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.pipeline import Results
    from salesperf.evaluation.scoring import Scorecard
    from salesperf.spec import KpiSpec, Spec

#: A strength is at least this far above target (attainment to date >= 1.05).
STRENGTH_MARGIN = 0.05
#: A weakness is more than this below target (attainment to date < 0.95): a rep at 97%
#: of a target needs no plan.
MATERIAL_GAP = 0.05
#: A related KPI points at a cause when its pace is below this (or, for the average order,
#: when it is this far below the rep's own recent average).
CAUSE_THRESHOLD = 0.9
#: How many of the rep's previous periods a plan compares with.
RECENT_PERIODS = 3
#: Items listed per plan, and weak KPIs named in the summary line.
MAX_ITEMS = 3
SUMMARY_ITEMS = 2


@dataclass(frozen=True)
class PlanItem:
    """One KPI of a plan. Fractions are fractions (0.78 = 78%); values in the KPI's unit."""

    kpi: str
    name: str
    unit: str
    #: The KPI's weight as a fraction of all weights.
    weight: float
    actual: float | None
    target: float | None
    attainment_to_date: float
    score: float
    #: Median attainment to date (and value) of the rep's team, the rep included.
    team_median_attainment: float | None
    team_median_actual: float | None
    #: The rep's own previous periods, oldest first: (period label, value).
    recent: tuple[tuple[str, float], ...]
    #: The rep's value over those periods (pooled for ratios and means; mean otherwise).
    recent_value: float | None
    #: on_track, at_risk or behind (attainment to date vs the spec's status thresholds).
    severity: str
    #: weight x (score - the score on target): what the KPI adds to (+) or costs (-) the
    #: total against scoring exactly on target, as a fraction (0.05 = 5 points).
    impact: float
    advice: str | None
    #: The item as one phrase in the report language: "Revenue at 78% of target (…)".
    text: str
    #: What the rep's other KPIs say is behind the gap: volume, value, lost_customers,
    #: win_rate, or None (then ``advice`` is the KPI's own advice).
    cause: str | None = None


@dataclass(frozen=True)
class Plan:
    rep: str
    name: str
    team: str | None
    period: str
    total: float | None
    tier: str | None
    #: Every scored KPI, in spec order (strengths and weaknesses are picked from these).
    items: tuple[PlanItem, ...]
    strengths: tuple[PlanItem, ...]
    weaknesses: tuple[PlanItem, ...]
    #: Weighted KPIs that could not be scored: (kpi id, why).
    unscored: tuple[tuple[str, str], ...]
    #: Advice of the weakest KPIs, weakest first, without repeats.
    focus: tuple[str, ...]
    summary: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("items", "strengths", "weaknesses"):
            for item in out[key]:
                item["recent"] = [{"period": p, "value": v} for p, v in item["recent"]]
        out["unscored"] = [{"kpi": k, "reason": r} for k, r in self.unscored]
        out["focus"] = list(self.focus)
        document: dict[str, Any] = _clean(out)
        return document


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


# -- advice --------------------------------------------------------------------------------


def advice_text(kpi: KpiSpec, severity: str, locale: str) -> str | None:
    """The KPI's `advice:` for a severity, in ``locale`` (falling back to en, then any).

    `advice:` is text, ``{en: ..., zh-CN: ...}``, or ``{behind: ..., at_risk: ...,
    default: ...}`` whose values are text or language maps. On-track KPIs get none.
    """
    advice = kpi.advice
    if advice is None or severity == "on_track":
        return None
    if isinstance(advice, str):
        return advice

    if not any(key in ADVICE_SEVERITIES for key in advice):
        return _in_locale(advice, locale)
    chosen = advice.get(severity, advice.get("default"))
    if chosen is None:
        return None
    return chosen if isinstance(chosen, str) else _in_locale(chosen, locale)


def _in_locale(texts: dict[str, str], locale: str) -> str | None:
    if locale in texts:
        return texts[locale]
    if "en" in texts:
        return texts["en"]
    return next(iter(texts.values()), None)


# -- plans ---------------------------------------------------------------------------------


def build_plans(
    results: Results, scorecard: Scorecard, reps: list[str] | None = None
) -> dict[str, Plan]:
    """One plan per scored rep (or per rep in ``reps``), keyed by rep id."""
    spec = results.spec
    kpi_rows = scorecard.kpis.loc[scorecard.kpis["level"] == "rep"]
    totals = scorecard.totals.loc[scorecard.totals["level"] == "rep"].set_index("entity")
    wanted = list(totals.index) if reps is None else [r for r in reps if r in totals.index]
    medians = _team_medians(kpi_rows)
    history = _History(results)
    table = results.table.loc[results.table["level"] == "rep"]
    related: dict[Any, dict[str, dict[str, Any]]] = {}
    for row in table[["entity", "kpi", "actual", "pace", "attainment"]].to_dict("records"):
        related.setdefault(row["entity"], {})[row["kpi"]] = row
    # Every rep's KPI rows as records in one pass (not a filter and a frame per rep).
    by_rep: dict[Any, list[dict[str, Any]]] = {}
    for row in kpi_rows.to_dict(orient="records"):
        by_rep.setdefault(row["entity"], []).append(row)
    plans: dict[str, Plan] = {}
    for rep in wanted:
        rows = by_rep.get(rep, [])
        plans[rep] = _plan(
            spec, scorecard, rep, totals.loc[rep], rows, medians, history, related.get(rep, {})
        )
    return plans


def _plan(
    spec: Spec,
    scorecard: Scorecard,
    rep: str,
    total: pd.Series,
    rows: list[dict[str, Any]],
    medians: dict[tuple[Any, str], tuple[float | None, float | None]],
    history: _History,
    related: dict[str, dict[str, Any]] | None = None,
) -> Plan:
    locale = spec.locale.value
    team = total["parent"] if isinstance(total["parent"], str) else None
    items: list[PlanItem] = []
    strengths: list[PlanItem] = []
    weaknesses: list[PlanItem] = []
    unscored: list[tuple[str, str]] = []
    causes: dict[str, str | None] = {}
    for row in rows:
        kpi = spec.kpi(row["kpi"])
        if not row["scored"]:
            unscored.append((kpi.id, str(row["note"])))
            continue
        attainment = float(row["attainment_to_date"])
        rule = scorecard.rules[kpi.id]
        on_target = rule.score(1.0)
        median_att, median_actual = medians.get((team, kpi.id), (None, None))
        severity = _severity(spec, attainment)
        recent, recent_value = history.recent(kpi, rep)
        cause, action, source = (None, None, None)
        if attainment < 1.0 - MATERIAL_GAP:
            cause, action, source = diagnose(spec, kpi, related or {}, history, rep, locale)
        own = advice_text(kpi, severity, locale)
        causes[kpi.id] = source
        item = PlanItem(
            kpi=kpi.id,
            name=kpi.name,
            unit=kpi.unit.value,
            weight=float(row["weight"]),
            actual=_or_none(row["actual"]),
            target=_or_none(row["target"]),
            attainment_to_date=attainment,
            score=float(row["score"]),
            team_median_attainment=median_att,
            team_median_actual=median_actual,
            recent=recent,
            recent_value=recent_value,
            severity=severity,
            impact=float(row["weight"]) * (float(row["score"]) - on_target),
            # The KPI's own advice for itself (win rate, retention: the spec knows best);
            # for an amount, the action that fits the cause found.
            advice=own if source == kpi.id and own else action or own,
            text=_phrase(spec, kpi, row, median_att, scorecard.closed, locale),
            cause=cause,
        )
        items.append(item)
        if attainment < 1.0 - MATERIAL_GAP:
            weaknesses.append(item)
        elif attainment >= 1.0 + STRENGTH_MARGIN and (
            median_att is None or attainment > median_att
        ):
            strengths.append(item)
    weaknesses.sort(key=lambda i: (round(i.impact, 9), i.attainment_to_date))
    # A cause that is itself a weakness of the plan has its own line and action: the amount
    # it explains keeps the KPI's own advice rather than saying the same thing twice.
    weak = {i.kpi for i in weaknesses}
    weaknesses = [
        replace(i, advice=advice_text(spec.kpi(i.kpi), i.severity, locale) or i.advice)
        if causes.get(i.kpi) not in (None, i.kpi) and causes.get(i.kpi) in weak
        else i
        for i in weaknesses
    ]
    strengths.sort(key=lambda i: (-round(i.impact, 9), -i.attainment_to_date))
    focus = tuple(dict.fromkeys(i.advice for i in weaknesses if i.advice))
    total_value = _or_none(total["total"])
    scored_any = total_value is not None

    named = [(spec.kpi(k).name, plain_note(reason, locale)) for k, reason in unscored]
    near = any(i.attainment_to_date < 1.0 for i in items)
    plan_summary = summary_line(weaknesses, strengths, named, locale, scored_any, near)
    return Plan(
        rep=rep,
        name=str(total["name"]),
        team=team,
        period=scorecard.period,
        total=total_value,
        tier=total["tier"] if isinstance(total["tier"], str) else None,
        items=tuple(items),
        strengths=tuple(strengths[:MAX_ITEMS]),
        weaknesses=tuple(weaknesses[:MAX_ITEMS]),
        unscored=tuple(unscored),
        focus=focus,
        summary=plan_summary,
    )


def _pace(rows: dict[str, dict[str, Any]], kpi: KpiSpec | None) -> float | None:
    if kpi is None or kpi.id not in rows:
        return None
    return _or_none(rows[kpi.id].get("pace"))


def diagnose(
    spec: Spec,
    kpi: KpiSpec,
    rows: dict[str, dict[str, Any]],
    history: _History,
    rep: str,
    locale: str,
) -> tuple[str | None, str | None, str | None]:
    """(cause, action in words, the KPI that shows it) for a weak KPI, from the rep's
    other KPIs this period.

    A retention or win-rate KPI is its own cause. For an amount (a sum), the KPIs of the
    same source say which part fell: the order count's pace (volume), the average order
    against the rep's own last periods (value), retention's pace (lost customers), then
    any win rate's pace. (None, None, None) when nothing stands out.
    """

    def first(measure: MeasureKind, same_source: bool = True) -> KpiSpec | None:
        return next(
            (
                k
                for k in spec.kpis
                if k.measure is measure
                and k.id != kpi.id
                and (not same_source or k.source == kpi.source)
            ),
            None,
        )

    if kpi.measure is MeasureKind.RETENTION_RATE:
        return "lost_customers", word("action.lost_customers", locale), kpi.id
    if kpi.measure is MeasureKind.RATIO and "win" in kpi.id:
        return "win_rate", word("action.win_rate", locale), kpi.id
    if kpi.measure is not MeasureKind.SUM:
        return None, None, None
    volume = first(MeasureKind.COUNT)
    volume_pace = _pace(rows, volume)
    size = next(
        (
            k
            for k in spec.kpis
            if k.measure is MeasureKind.MEAN and k.source == kpi.source and k.column == kpi.column
        ),
        None,
    )
    size_ratio = None
    if size is not None and size.id in rows:
        _, usual = history.recent(size, rep)
        now = _or_none(rows[size.id].get("actual"))
        if now is not None and usual:
            size_ratio = now / usual
    if (
        volume_pace is not None
        and volume_pace < CAUSE_THRESHOLD
        and (size_ratio is None or size_ratio >= CAUSE_THRESHOLD)
    ):
        name = volume.name if volume else ""
        return "volume", word("action.volume", locale, kpi=name), volume.id if volume else None
    if size is not None and size_ratio is not None and size_ratio < CAUSE_THRESHOLD:
        smaller = f"{round((1 - size_ratio) * 100)}%"
        return "value", word("action.value", locale, percent=smaller), size.id
    retention_kpi = first(MeasureKind.RETENTION_RATE)
    retention = _pace(rows, retention_kpi)
    if retention_kpi is not None and retention is not None and retention < CAUSE_THRESHOLD:
        return "lost_customers", word("action.lost_customers", locale), retention_kpi.id
    win = next((k for k in spec.kpis if k.measure is MeasureKind.RATIO and "win" in k.id), None)
    win_pace = _pace(rows, win)
    if win is not None and win_pace is not None and win_pace < CAUSE_THRESHOLD:
        return "win_rate", word("action.win_rate", locale), win.id
    return None, None, None


def _severity(spec: Spec, attainment: float) -> str:
    if attainment >= spec.status.on_track:
        return "on_track"
    if attainment >= spec.status.at_risk:
        return "at_risk"
    return "behind"


def _or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _team_medians(
    kpi_rows: pd.DataFrame,
) -> dict[tuple[Any, str], tuple[float | None, float | None]]:
    """(team, kpi) -> (median attainment to date, median actual) over the team's scored reps."""
    out: dict[tuple[Any, str], tuple[float | None, float | None]] = {}
    scored = kpi_rows.loc[kpi_rows["scored"] & kpi_rows["parent"].notna()]
    for (team, kpi), group in scored.groupby(["parent", "kpi"], sort=False):
        attainments = [a for a in group["attainment_to_date"] if math.isfinite(a)]
        actuals = [a for a in group["actual"] if a == a]
        out[(team, kpi)] = (
            statistics.median(attainments) if attainments else None,
            statistics.median(actuals) if actuals else None,
        )
    return out


class _History:
    """The rep's own previous periods from the actuals cube.

    One sort of the window and plain arrays sliced per (kpi, rep): a frame per pair, and
    pandas filters on it per plan item, were most of what ``evaluate`` spent on plans.
    """

    def __init__(self, results: Results) -> None:

        cube = results.cube
        current = results.period.ordinal
        window = cube.loc[
            (cube["level"] == "rep")
            & (cube["p"] >= current - RECENT_PERIODS)
            & (cube["p"] < current)
        ].sort_values(["kpi", "entity", "p"], kind="stable")
        kpis = window["kpi"].to_numpy(dtype=object)
        entities = window["entity"].to_numpy(dtype=object)
        self.p = window["p"].to_numpy(dtype=np.int64)
        self.actual, self.numerator, self.denominator, self.responses = (
            window[c].to_numpy(dtype=np.float64, na_value=np.nan)
            for c in ("actual", "numerator", "denominator", "responses")
        )
        new = np.r_[True, (kpis[1:] != kpis[:-1]) | (entities[1:] != entities[:-1])]
        starts = np.flatnonzero(new).tolist() if len(kpis) else []
        ends = [*starts[1:], len(kpis)] if starts else []
        self.rows = {(kpis[s], entities[s]): slice(s, e) for s, e in zip(starts, ends, strict=True)}
        self.calendar = results.calendar
        self.labels: dict[int, str] = {}

    def recent(self, kpi: KpiSpec, rep: str) -> tuple[tuple[tuple[str, float], ...], float | None]:

        rows = self.rows.get((kpi.id, rep))
        if rows is None:
            return (), None
        actual = self.actual[rows]
        keep = ~np.isnan(actual)
        if kpi.min_responses:
            keep &= self.responses[rows] >= kpi.min_responses
        values = tuple(
            (self._label(p), v)
            for p, v in zip(self.p[rows][keep].tolist(), actual[keep].tolist(), strict=True)
        )
        if not values:
            return (), None
        denominators = self.denominator[rows][keep]
        if not kpi.additive and not np.isnan(denominators).any():
            # As pandas' Series.sum: numpy's sum, missing numerators counted as 0.
            denominator = float(denominators.sum())
            numerators = self.numerator[rows][keep]
            numerator = float(np.where(np.isnan(numerators), 0.0, numerators).sum())
            return values, numerator / denominator if denominator else None
        return values, statistics.fmean(v for _, v in values)

    def _label(self, p: int) -> str:
        if p not in self.labels:
            self.labels[p] = self.calendar.period(p).label
        return self.labels[p]


# -- words ---------------------------------------------------------------------------------

_WORDS = {
    "en": {
        "of_target": "{name} at {att} of target{pace} (team median {median})",
        "of_target_alone": "{name} at {att} of target{pace}",
        "pace": " pace",
        "versus": "{name} {actual} vs {target} target",
        "join": "; ",
        "focus": " — focus: {focus}",
        "end": ".",
        "all_on_target": "On or above target on every scored KPI",
        "all_near_target": "On or near target (within 5%) on every scored KPI",
        "best": "; best: {item}",
        "none_scored": "Not scored this period: {reasons}",
    },
    "zh-CN": {
        "of_target": "{name}{pace}达成率 {att}（团队中位数 {median}）",
        "of_target_alone": "{name}{pace}达成率 {att}",
        "pace": "进度",
        "versus": "{name} {actual}，目标 {target}",
        "join": "；",
        "focus": "——重点：{focus}",
        "end": "。",
        "all_on_target": "所有计分指标均达到目标",
        "all_near_target": "所有计分指标均达到或接近目标（差距不超过 5%）",
        "best": "；最佳：{item}",
        "none_scored": "本期无法计分：{reasons}",
    },
}


def _phrase(
    spec: Spec,
    kpi: KpiSpec,
    row: dict[str, Any],
    median: float | None,
    closed: bool,
    locale: str,
) -> str:
    """ "Revenue at 78% of target (team median 96%)" or "Win rate 41% vs 55% target".

    Amounts and counts are compared as attainment (reps have different targets); rates,
    means and scores by their values, which mean something on their own.
    """
    words = _WORDS.get(locale, _WORDS["en"])
    if kpi.additive:
        pace = "" if closed else words["pace"]
        key = "of_target" if median is not None else "of_target_alone"
        return words[key].format(
            name=kpi.name,
            att=fmt_fraction(row["attainment_to_date"], locale),
            pace=pace,
            median=fmt_fraction(median, locale),
        )
    return words["versus"].format(
        name=kpi.name,
        actual=fmt_value(row["actual"], kpi.unit, spec.currency, locale),
        target=fmt_value(row["target"], kpi.unit, spec.currency, locale),
    )


def summary_line(
    weaknesses: list[PlanItem],
    strengths: list[PlanItem],
    unscored: list[tuple[str, str]],
    locale: str,
    scored_any: bool = True,
    near: bool = False,
) -> str:
    """The plan in one line, e.g. "Revenue at 78% of target (team median 96%); Win rate
    41.0% vs 55.0% target — focus: qualification and follow-up." """
    words = _WORDS.get(locale, _WORDS["en"])
    if not scored_any:
        reasons = words["join"].join(f"{k} ({r})" for k, r in unscored)
        return words["none_scored"].format(reasons=reasons) + words["end"]
    if weaknesses:
        named = weaknesses[:SUMMARY_ITEMS]
        text = words["join"].join(i.text for i in named)
        advice = tuple(dict.fromkeys(i.advice for i in named if i.advice))
        if advice:
            text += words["focus"].format(focus=words["join"].join(advice))
        return text + words["end"]
    # ``near``: some KPI is below target, by less than MATERIAL_GAP (no plan for that).
    fine = words["all_near_target" if near else "all_on_target"]
    if strengths:
        return fine + words["best"].format(item=strengths[0].text) + words["end"]
    return fine + words["end"]
