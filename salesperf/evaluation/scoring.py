"""Scorecards: attainment -> per-KPI scores -> weighted totals, tiers, ranks and trends.

Units: every score is a fraction on the attainment scale, **1.0 = on target = 100 points**.

What is scored
    ``attainment_to_date`` = the engine's ``pace`` (actual / expected-to-date, inverted for
    ``direction: lower``). In a closed period it *is* the attainment; in an open one it
    judges the run rate, so a review on the 21st does not call everyone 55% of target.
    A lower-is-better KPI with an actual of 0 (no returns at all) scores the top of its rule.

Per-KPI rule (the KPI's ``scoring:``, else the top-level ``scoring:``, else the default;
a KPI's own ``scoring:`` replaces the top-level one as a whole)
    - clamp (default): ``score = min(max(attainment_to_date, floor), cap)``, floor 0 and
      cap 1.2: attainment counts up to 120%, nothing is negative.
    - bands: ``[[attainment, points], ...]`` on a 0-100 point scale, linear between pairs
      and flat outside them; ``score = points / 100``.

Small counts (:mod:`salesperf.evaluation.volume`)
    A counted KPI (``unit: count``, additive) whose target for an entity is below
    :data:`MIN_VOLUME` (3 a period) is scored on the nearest level up whose target reaches
    it (the company when none does): with 0.3 new customers a month per rep, one customer
    swings a rep from 0% to 300%.
    The entity gets its parent's attainment to date and score; ``scored_as`` names the level.

Totals
    Each entity (rep, team, region, company) is scored from *its own* KPI rows of the
    results table, so a team's win rate is its pooled win rate, never an average of reps.
    KPIs with ``weight: 0`` are not scored. A weighted KPI without a usable value for the
    entity (no data, no target, fewer answers than ``min_responses``, not measured at that
    level) is left out with its reason, the remaining weights are renormalised to sum to 1,
    and the total is flagged ``partial``. ``scored_weight`` is the share of the weights that
    could be scored. An entity with no scorable KPI has no total. A total built from less
    than half of the weights (:data:`MIN_RANKED_WEIGHT`; a rep missing from the roster,
    scored on one KPI only) is shown but gets no tier and no rank.

Tiers
    ``tiers: {A: 0.95, B: 0.85, C: 0.7}`` (the default): the best tier whose minimum the
    total reaches. Below the last minimum: the next letter (D), or a tier declared at 0.

Ranks (within each level; reps also within their team, teams within their region...)
    Higher total first; equal totals share a rank (competition ranking: 1, =2, =2, 4) and
    are flagged ``tied`` (reports show "=2"). With a cap on each KPI several reps can reach
    the same top score, and nothing in the scorecard says which of them did better, so no
    tie-break is invented. Tied entities are *listed* by the more complete scorecard
    (higher ``scored_weight``), then the entity key. Totals are compared rounded to 9
    decimals so float noise never decides a rank.
    ``percentile`` is the share of the *other* ranked entities whose total is strictly
    lower (1.0 = best, 0.0 = worst; tied entities share it; 1.0 when ranked alone).

Change
    :func:`compare` adds the previous period's total and rank, ``total_change`` (points as
    a fraction), ``rank_change`` (positive = moved up) and a trend arrow (a change of at
    least :data:`TREND_THRESHOLD` = 2 points).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.engine.levels import COMPANY
from salesperf.engine.target_roster import UNASSIGNED
from salesperf.errors import Finding, Level, Location, SalesperfError, SpecError
from salesperf.evaluation.volume import score_small_targets_above
from salesperf.spec.models import Direction

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results
    from salesperf.periods import Period
    from salesperf.spec import KpiSpec, Spec

DEFAULT_FLOOR = 0.0
DEFAULT_CAP = 1.2
DEFAULT_TIERS: dict[str, float] = {"A": 0.95, "B": 0.85, "C": 0.7}
#: A change of the total of at least this much (2 points) gets an up or down arrow.
TREND_THRESHOLD = 0.02
TRENDS = {"up": "▲", "down": "▼", "flat": "▶", "new": "•"}
#: A total covering less than this share of the weights gets no tier and no rank.
MIN_RANKED_WEIGHT = 0.5
#: Totals are compared at this many decimals (ties and tiers are not decided by float noise).
PRECISION = 9

#: Why a weighted KPI is left out of an entity's total.
REASONS = {
    "not_measured": "not measured at this level",
    "insufficient_data": "insufficient data",
    "no_data": "no data",
    "no_target": "no target",
    "not_started": "nothing expected yet",
}

KPI_COLUMNS = [
    "level",
    "entity",
    "name",
    "parent",
    "kpi",
    "kpi_name",
    "weight",
    "weight_share",
    "actual",
    "target",
    "attainment",
    "pace",
    "attainment_to_date",
    "score",
    "points",
    "status",
    "scored",
    "reason",
    "note",
    "scored_as",
]
TOTAL_COLUMNS = [
    "level",
    "entity",
    "name",
    "parent",
    "total",
    "tier",
    "partial",
    "scored_weight",
    "missing",
    "rank",
    "tied",
    "ranked",
    "rank_in_parent",
    "ranked_in_parent",
    "percentile",
    "previous_total",
    "total_change",
    "previous_rank",
    "rank_change",
    "trend",
]


@dataclass(frozen=True)
class ScoreRule:
    """How one KPI's attainment-to-date becomes a score (a fraction, 1.0 = 100 points)."""

    kpi: str
    method: str  # "clamp" or "bands"
    floor: float | None = None
    cap: float | None = None
    #: (attainment, points on a 0-100 scale), attainment increasing.
    bands: tuple[tuple[float, float], ...] = ()

    def score(self, attainment: float) -> float:
        """The score of one attainment (a fraction; +inf is best possible, NaN stays NaN)."""
        if attainment != attainment:
            return math.nan
        if self.method == "bands":
            return interpolate(self.bands, attainment) / 100
        assert self.floor is not None and self.cap is not None
        return min(max(attainment, self.floor), self.cap)

    @property
    def lowest(self) -> float:
        return self.bands[0][1] / 100 if self.method == "bands" else float(self.floor or 0.0)

    @property
    def highest(self) -> float:
        return self.bands[-1][1] / 100 if self.method == "bands" else float(self.cap or 0.0)

    def as_dict(self) -> dict[str, Any]:
        if self.method == "bands":
            return {"method": "bands", "bands": [list(b) for b in self.bands]}
        return {"method": "clamp", "floor": self.floor, "cap": self.cap}


@dataclass(frozen=True)
class Tier:
    name: str
    #: The lowest total (a fraction) that earns this tier.
    minimum: float


@dataclass
class Scorecard:
    """Scores of one period: ``kpis`` (one row per entity and weighted KPI, KPI_COLUMNS)
    and ``totals`` (one row per entity, TOTAL_COLUMNS). Plain DataFrames for reports."""

    period: str
    as_of: dt.date
    #: True when as-of is on or after the period's last day (attainment is final).
    closed: bool
    rules: dict[str, ScoreRule]
    #: KPI id -> its weight as a fraction of all weights (sums to 1).
    weights: dict[str, float]
    tiers: list[Tier]
    kpis: pd.DataFrame
    totals: pd.DataFrame
    previous_period: str | None = None
    findings: list[Finding] = field(default_factory=list)
    #: KPI id -> the level its small per-rep targets were scored at (see MIN_VOLUME).
    scored_above: dict[str, str] = field(default_factory=dict)

    def total(self, level: str, entity: str) -> pd.Series:
        """The totals row of one entity (KeyError when it is not scored at all)."""
        rows = self.totals[(self.totals["level"] == level) & (self.totals["entity"] == entity)]
        if rows.empty:
            raise KeyError((level, entity))
        return rows.iloc[0]

    def kpi_rows(self, level: str, entity: str) -> pd.DataFrame:
        table = self.kpis
        return table[(table["level"] == level) & (table["entity"] == entity)]


# -- rules ---------------------------------------------------------------------------------


def interpolate(bands: tuple[tuple[float, float], ...] | list[Any], x: float) -> float:
    """Points at attainment ``x``: linear between band points, flat outside them."""
    if x <= bands[0][0]:
        return float(bands[0][1])
    if x >= bands[-1][0]:
        return float(bands[-1][1])
    for (a1, p1), (a2, p2) in itertools.pairwise(bands):
        if a1 <= x <= a2:
            return float(p1 + (x - a1) / (a2 - a1) * (p2 - p1))
    raise AssertionError("unreachable: bands are sorted")


def rule_for(spec: Spec, kpi: KpiSpec) -> ScoreRule:
    """The KPI's own `scoring:`, else the top-level one, else clamp to [0, 1.2]."""
    chosen = kpi.scoring or spec.scoring
    if chosen is not None and chosen.bands:
        return ScoreRule(
            kpi.id, "bands", bands=tuple((float(a), float(p)) for a, p in chosen.bands)
        )
    floor = chosen.floor if chosen is not None and chosen.floor is not None else DEFAULT_FLOOR
    cap = chosen.cap if chosen is not None and chosen.cap is not None else DEFAULT_CAP
    return ScoreRule(kpi.id, "clamp", floor=float(floor), cap=float(cap))


def tier_table(spec: Spec) -> list[Tier]:
    """Tiers best first; a catch-all lowest tier is added when none starts at 0."""
    mapping = dict(spec.tiers or DEFAULT_TIERS)
    tiers = [Tier(str(n), float(m)) for n, m in sorted(mapping.items(), key=lambda kv: -kv[1])]
    lowest = tiers[-1]
    if lowest.minimum > 0:
        name = chr(ord(lowest.name) + 1) if len(lowest.name) == 1 else ""
        if not name or name in mapping:
            name = f"below {lowest.name}"
        tiers.append(Tier(name, 0.0))
    return tiers


def tier_of(total: float, tiers: list[Tier]) -> str | None:
    if total != total:
        return None
    value = round(total, PRECISION)
    for tier in tiers:
        if value >= tier.minimum:
            return tier.name
    return tiers[-1].name


def weight_fractions(spec: Spec) -> dict[str, float]:
    """KPI id -> weight as a fraction of all weights (KPIs with weight 0 are not scored)."""
    weighted = [k for k in spec.kpis if k.weight > 0]
    if not weighted:
        raise SpecError(
            f"{spec.path}: nothing to score:",
            [
                Finding(
                    Level.ERROR,
                    "no KPI has a `weight:`; give the KPIs that count a weight (summing to 100)",
                    Location(spec.path, None, "kpis"),
                    "no-weights",
                )
            ],
        )
    total = math.fsum(k.weight for k in weighted)
    return {k.id: k.weight / total for k in weighted}


# -- scoring -------------------------------------------------------------------------------


def score(results: Results) -> Scorecard:
    """Score every entity of a results table (see the module docstring for every rule)."""

    spec = results.spec
    weights = weight_fractions(spec)
    rules = {k.id: rule_for(spec, k) for k in spec.kpis if k.id in weights}
    kpis = {k.id: k for k in spec.kpis}
    # "(unassigned)" holds sales no roster rep carries: a share of the target, not someone
    # to score.
    table = results.table.loc[results.table["entity"] != UNASSIGNED]
    entities = table.drop_duplicates(["level", "entity"])[["level", "entity", "name", "parent"]]
    grid = entities.merge(pd.DataFrame({"kpi": list(weights)}), how="cross")
    measured = table.loc[table["kpi"].isin(list(weights))].drop(columns=["name", "parent"])
    rows = grid.merge(measured, on=["level", "entity", "kpi"], how="left", indicator=True)

    records = []
    for row in rows.to_dict(orient="records"):
        kpi = kpis[row["kpi"]]
        reason, attainment = _scorable(kpi, row)
        value = rules[kpi.id].score(attainment) if reason is None else math.nan
        records.append(
            {
                "level": row["level"],
                "entity": row["entity"],
                "name": row["name"],
                "parent": row["parent"],
                "kpi": kpi.id,
                "kpi_name": kpi.name,
                "weight": weights[kpi.id],
                "actual": row.get("actual"),
                "target": row.get("target"),
                "attainment": row.get("attainment"),
                "pace": row.get("pace"),
                "attainment_to_date": attainment if reason is None else math.nan,
                "score": value,
                "status": row.get("status") if row["_merge"] == "both" else None,
                "scored": reason is None,
                "reason": reason,
                "note": _note(reason, row),
            }
        )
    frame = pd.DataFrame.from_records(records)
    for column in ("actual", "target", "attainment", "pace"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")

    frame, scored_above = score_small_targets_above(frame, results, rules)
    scored_weight = frame["weight"].where(frame["scored"], 0.0)
    denominator = scored_weight.groupby([frame["level"], frame["entity"]]).transform("sum")
    frame["weight_share"] = (scored_weight / denominator.where(denominator > 0)).fillna(0.0)
    frame["points"] = (frame["weight_share"] * frame["score"]).where(frame["scored"])
    frame = frame[KPI_COLUMNS]

    tiers = tier_table(spec)
    totals = _totals(frame, tiers, ["rep", *results.org.levels, COMPANY])
    closed = results.as_of >= results.period.end - dt.timedelta(days=1)
    return Scorecard(
        results.period.label,
        results.as_of,
        closed,
        rules,
        weights,
        tiers,
        frame,
        totals,
        scored_above=scored_above,
    )


def _scorable(kpi: KpiSpec, row: dict[str, Any]) -> tuple[str | None, float]:
    """(why the KPI cannot be scored or None, attainment to date)."""
    if row["_merge"] != "both":
        return "not_measured", math.nan
    actual = _number(row.get("actual"))
    target = _number(row.get("target"))
    responses = _number(row.get("responses"))
    if kpi.min_responses and responses == responses and responses < kpi.min_responses:
        return "insufficient_data", math.nan
    if actual != actual:
        return "no_data", math.nan
    # A target of 0 has no ratio to score (its status follows the sign of the gap).
    if target != target or target == 0:
        return "no_target", math.nan
    lower = kpi.direction is Direction.LOWER
    pace = _number(row.get("pace"))
    if pace != pace and lower and actual <= 0:
        expected = _number(row.get("expected_to_date"))
        if expected == expected and expected > 0:
            return None, math.inf  # nothing of a lower-is-better KPI: the best possible
    if pace != pace:
        return "not_started", math.nan
    return None, pace


def _note(reason: str | None, row: dict[str, Any]) -> str:
    if reason is None:
        return ""
    note = row.get("note")
    if reason == "insufficient_data" and isinstance(note, str) and note:
        return note
    return REASONS[reason]


def _number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _totals(kpis: pd.DataFrame, tiers: list[Tier], levels: list[str]) -> pd.DataFrame:

    keys = [kpis["level"], kpis["entity"]]
    grouped = kpis.groupby(keys, sort=False)
    totals = grouped[["name", "parent"]].first()
    totals["total"] = grouped["points"].sum(min_count=1)
    totals["scored_weight"] = kpis["weight"].where(kpis["scored"], 0.0).groupby(keys).sum()
    # The unscored KPIs of each entity, in row order (one pass, not a function per group).
    unscored: dict[tuple[Any, Any], list[Any]] = {}
    for level, entity, scored, kpi in zip(
        kpis["level"], kpis["entity"], kpis["scored"], kpis["kpi"], strict=True
    ):
        if not scored:
            unscored.setdefault((level, entity), []).append(kpi)
    totals["missing"] = [tuple(unscored.get(key, ())) for key in totals.index]
    totals = totals.reset_index()
    has_total = totals["total"].notna()
    coverage = totals["scored_weight"].round(PRECISION)
    totals["partial"] = has_total & (coverage < 1)
    rankable = totals["total"].where(coverage >= MIN_RANKED_WEIGHT)
    totals["tier"] = pd.Series(
        [tier_of(t, tiers) for t in rankable], index=totals.index, dtype=object
    )
    totals = _rank(totals, rankable.notna())
    totals["_l"] = totals["level"].map({lv: i for i, lv in enumerate(levels)})
    # Tied entities are listed the more complete scorecard first, then by key.
    totals["_w"] = -totals["scored_weight"].round(PRECISION)
    totals = totals.sort_values(["_l", "rank", "_w", "entity"], kind="stable", na_position="last")
    totals = totals.drop(columns=["_l", "_w"]).reset_index(drop=True)
    for column in ("previous_total", "total_change"):
        totals[column] = math.nan
    for column in ("previous_rank", "rank_change"):
        totals[column] = pd.array([pd.NA] * len(totals), dtype="Int64")
    totals["trend"] = None
    return totals[TOTAL_COLUMNS]


def rank_order(totals: pd.DataFrame) -> pd.DataFrame:
    """Entities in rank (listing) order: total desc, scored_weight desc, entity key asc."""
    ranked = totals.loc[totals["total"].notna()].copy()
    ranked["_t"] = -ranked["total"].round(PRECISION)
    ranked["_w"] = -ranked["scored_weight"].round(PRECISION)
    ranked["_e"] = ranked["entity"].astype(str)
    ranked = ranked.sort_values(["_t", "_w", "_e"], kind="stable")
    return ranked.drop(columns=["_t", "_w", "_e"])


def _rank(totals: pd.DataFrame, rankable: pd.Series) -> pd.DataFrame:

    out = totals.copy()
    for column in ("rank", "ranked", "rank_in_parent", "ranked_in_parent"):
        out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["tied"] = False
    out["percentile"] = math.nan
    for _, group in out.loc[rankable].groupby("level", sort=False):
        ordered = rank_order(group)
        if ordered.empty:
            continue
        n = len(ordered)
        rounded = ordered["total"].round(PRECISION).to_numpy()
        out.loc[ordered.index, "rank"] = competition_ranks(rounded)
        ranks = competition_ranks(rounded)
        last = competition_ranks(rounded, side="right")
        out.loc[ordered.index, "tied"] = [hi - lo > 0 for lo, hi in zip(ranks, last, strict=True)]
        out.loc[ordered.index, "ranked"] = n
        beaten = [int((rounded < value).sum()) for value in rounded]
        out.loc[ordered.index, "percentile"] = [b / (n - 1) if n > 1 else 1.0 for b in beaten]
        with_parent = ordered.loc[ordered["parent"].notna()]
        for _, siblings in with_parent.groupby("parent", sort=False):
            totals_in = siblings["total"].round(PRECISION).to_numpy()
            out.loc[siblings.index, "rank_in_parent"] = competition_ranks(totals_in)
            out.loc[siblings.index, "ranked_in_parent"] = len(siblings)
    return out


def competition_ranks(totals_descending: Any, side: str = "left") -> list[int]:
    """1 + the number of strictly higher totals: [1.2, 1.2, 1.0] -> [1, 1, 3] (with
    ``side="right"``, the last position each total holds: [2, 2, 3]). The totals come
    sorted from highest to lowest."""
    negated = -np.asarray(totals_descending, dtype="float64")
    positions = np.searchsorted(negated, negated, side=side)  # type: ignore[call-overload]
    return [int(p) + (1 if side == "left" else 0) for p in positions]


# -- change vs the previous period ---------------------------------------------------------


def previous_period(results: Results) -> Period | None:
    """The period before the reviewed one, when the data reaches back that far."""
    previous = results.calendar.period(results.period.ordinal - 1)
    cube = results.cube
    if cube.empty or int(cube["p"].min()) > previous.ordinal:
        return None
    return previous


def compare(current: Scorecard, previous: Scorecard | None) -> Scorecard:
    """``current`` with the previous period's total and rank, their change and a trend."""
    if previous is None:
        return current
    keys = ["level", "entity"]
    before = previous.totals[[*keys, "total", "rank"]].rename(
        columns={"total": "previous_total", "rank": "previous_rank"}
    )
    merged = current.totals.drop(columns=["previous_total", "previous_rank"]).merge(
        before, on=keys, how="left"
    )
    merged["total_change"] = merged["total"] - merged["previous_total"]
    merged["rank_change"] = merged["previous_rank"] - merged["rank"]
    pairs = zip(merged["total"], merged["total_change"], strict=True)
    merged["trend"] = [_trend(total, change) for total, change in pairs]
    return replace(current, totals=merged[TOTAL_COLUMNS], previous_period=previous.period)


def _trend(total: float, change: float) -> str | None:
    if total != total:
        return None
    if change != change:
        return "new"
    if round(change, PRECISION) >= TREND_THRESHOLD:
        return "up"
    if round(change, PRECISION) <= -TREND_THRESHOLD:
        return "down"
    return "flat"


def score_with_change(
    results: Results, previous: Results | Callable[[], Results | None] | None
) -> Scorecard:
    """:func:`score` plus the change vs the previous period's results (see :func:`compare`).

    ``previous`` may be a function that evaluates the previous period: one that cannot be
    evaluated (for instance a broken overrides file for it) does not stop the review, the
    scorecard carries a warning instead.
    """
    current = score(results)
    try:
        before = previous() if callable(previous) else previous
    except SalesperfError as exc:
        current.findings.append(
            Finding(
                Level.WARNING,
                f"the previous period could not be scored ({exc.message}); no trend shown",
                Location(),
                "previous-period",
            )
        )
        return current
    return compare(current, score(before) if before is not None else None)
