"""Targets from history: methods, top-down allocation, bottom-up roll-ups, overrides.

The basis of each history method (look-back windows, pooling, the seasonal index) is in
:mod:`salesperf.engine.target_history`. Everything here works on the small actuals cube (one row
per kpi, level, entity, period), never on raw rows, and only on periods *before* the target
period: a target never looks at the period it judges.

Rules, in the words a sales-ops analyst would use in a review:

- ``last_year``: the same period a year earlier x (1 + growth).
- ``trailing_mean`` / ``trailing_median``: the previous ``periods`` periods x (1 + growth).
  For ratios and means the trailing value is pooled (sum of numerators over sum of
  denominators), never an average of period ratios.
- ``seasonal``: the trailing mean with each period divided by its seasonal index, then
  multiplied by the target period's index; the index comes from at least two years of
  company history (falls back to ``trailing_mean``, with a warning, when there is less).
- ``fixed``: ``value`` at ``level`` (company by default). Ratios and means are not
  additive, so a fixed value applies to every entity at every level.
- Growth on a negative base means improvement: base + |base| x growth.
- ``allocate`` (additive KPIs): the company target is split level by level down to reps,
  by each child's share of its parent over the method's look-back (``history_share``) or
  equally. When the parent's target or a child's weight is negative, shares of a signed
  total mean nothing: each child keeps its own weight plus a share of the change
  (target - sum of weights) in proportion to |weight| (:func:`split_signed`; with weights
  of one sign this is the same as proportional shares). Amounts are rounded to whole units
  (cents below 100) with largest-remainder rounding so that children always sum exactly
  to their parent.
- Who carries a target (reps without rows, tenure, unassigned sales, partly covered
  periods): :mod:`salesperf.engine.target_roster`. New joiners get the median of their
  peers' weights or targets, prorated by the days they are employed in the period;
  leavers get none.
- Without ``allocate``, each rep's target comes from their own history and, for additive
  KPIs, every parent is the sum of its children; a parent none of whose children has a
  target has none either (never a 0 that looks like a target). A KPI whose source has no
  rep column takes every level's target from that level's own history.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesperf.engine.allocation import (
    grow,
    largest_remainder,
    median,
    round_to,
    rounding_step,
)
from salesperf.engine.levels import COMPANY
from salesperf.engine.market import NO_MARKET, MarketRules
from salesperf.engine.overrides import apply_overrides
from salesperf.engine.target_history import (
    SEASONAL_MIN_YEARS,
    TARGET_COLUMNS,
    Basis,
    History,
    basis_window,
    history_basis,
    is_missing,
    seasonal_index,
)
from salesperf.engine.target_roster import (
    RULE_NEW_JOINER,
    RULE_UNASSIGNED,
    UNASSIGNED,
    RosterRules,
    partly_covered,
)
from salesperf.errors import Finding, Level, Location
from salesperf.periods import PERIODS_PER_YEAR
from salesperf.spec.models import Allocation, KpiSpec, TargetMethod

if TYPE_CHECKING:
    from salesperf.engine.org import Org
    from salesperf.periods import Calendar, Period
    from salesperf.sources.market import MarketFigures
    from salesperf.spec import Spec


@dataclass
class TargetSet:
    frame: pd.DataFrame  # TARGET_COLUMNS
    findings: list[Finding] = field(default_factory=list)


# -- small helpers ----------------------------------------------------------------------------


def _clamp(kpi: KpiSpec, value: float) -> float:
    target = kpi.target
    assert target is not None
    if target.min is not None:
        value = max(value, target.min)
    if target.max is not None:
        value = min(value, target.max)
    return value


# -- tenure ------------------------------------------------------------------------------------


def employed_fractions(members: pd.DataFrame, period: Period) -> dict[str, float]:
    """Rep -> share of the period's days between their start and end dates (inclusive;
    missing dates do not limit), for every rep of the roster at once."""

    first, last = pd.Timestamp(period.start), pd.Timestamp(period.end)  # end exclusive
    start = pd.to_datetime(members["start"]).dt.normalize()
    end = pd.to_datetime(members["end"]).dt.normalize() + pd.Timedelta(days=1)
    days = (end.where(end < last, last) - start.where(start > first, first)).dt.days
    fractions = (days / period.days).clip(0.0, 1.0)
    return dict(zip(members.index.astype(str), fractions.tolist(), strict=True))


# -- entry point ---------------------------------------------------------------------------------


def compute_targets(
    spec: Spec,
    cube: pd.DataFrame,
    org: Org,
    calendar: Calendar,
    period: Period,
    overrides: pd.DataFrame | None = None,
    *,
    lookups: dict[Any, Any] | None = None,
    levels: Collection[str] | None = None,
    market: MarketFigures | None = None,
) -> TargetSet:
    """Targets for ``period`` for every KPI with a ``target:``, at every level.

    ``market``: the market figures that ``growth: {market: <field>}`` reads (see
    :mod:`salesperf.engine.market`).

    ``lookups``, filled on first use, lets calls with the *same* spec, cube and org for
    several periods (a replay) build their look-ups (history, roster, tenure) once.
    ``levels`` keeps only the rows of these levels (a trend needs only the company's) and
    skips the work no kept row depends on; every target kept is the one a full run gives (a
    bottom-up company target is still the sum of all its reps').
    """

    rows: list[dict[str, Any]] = []
    findings: list[Finding] = []
    lookups = {} if lookups is None else lookups  # shared by the KPIs' planners too
    # Each planner looks at one KPI: split the cube once rather than filter it per level.
    if "cube_by_kpi" not in lookups:
        lookups["cube_by_kpi"] = {
            str(k): part for k, part in cube.groupby("kpi", sort=False, observed=True)
        }
    by_kpi = lookups["cube_by_kpi"]
    for kpi in spec.kpis:
        if kpi.target is None:
            continue
        part = by_kpi.get(kpi.id, cube.iloc[:0])
        planner = _Planner(
            spec, kpi, part, org, calendar, period, findings, lookups, levels, market
        )
        rows.extend(planner.run())
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    if overrides is not None and len(overrides):
        frame, more = apply_overrides(spec, frame, overrides, org, period)
        findings.extend(more)
    return TargetSet(frame, findings)


class _Planner(RosterRules, MarketRules):
    """Targets for one KPI and period."""

    def __init__(
        self,
        spec: Spec,
        kpi: KpiSpec,
        cube: pd.DataFrame,
        org: Org,
        calendar: Calendar,
        period: Period,
        findings: list[Finding],
        lookups: dict[Any, Any] | None = None,
        levels: Collection[str] | None = None,
        market: MarketFigures | None = None,
    ) -> None:
        self.spec = spec
        self.market = market
        self.kpi = kpi
        self.target = kpi.target
        assert self.target is not None
        self.org = org
        self.calendar = calendar
        self.period = period
        self.findings = findings
        self.levels = ["rep", *org.levels, COMPANY]
        self.wanted = set(self.levels).intersection(self.levels if levels is None else levels)
        self.lookups = {} if lookups is None else lookups
        self.cube = cube
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.window = basis_window(kpi, calendar, period)

        reach = max(period.ordinal - min(self.window), 10 * PERIODS_PER_YEAR[calendar.grain])
        self.left_out = partly_covered(org.coverage.get(kpi.source), calendar, period, reach)
        self.used_window = [p for p in self.window if p not in self.left_out]
        self._report_left_out()
        self.season: dict[int, float] | None = None
        if self.target.method is TargetMethod.SEASONAL:
            self.season = seasonal_index(
                self.history(COMPANY), calendar, period, exclude=self.left_out
            )
            if self.season is None:
                self._warn(
                    f"seasonal needs {SEASONAL_MIN_YEARS} whole years of consecutive company "
                    f"history before {period.label}; using trailing_mean for now",
                )

    # -- bookkeeping
    def _warn(self, message: str, code: str = "target") -> None:
        loc = Location(self.spec.path, None, f"kpis.{self.kpi.id}.target")
        self.findings.append(Finding(Level.WARNING, f"{self.kpi.id}: {message}", loc, code))

    def _emit(
        self, level: str, entity: str, value: float | None, basis: Any, note: str = ""
    ) -> None:
        method = self.target.method.value
        if self.target.method is TargetMethod.SEASONAL and self.season is None:
            method = "trailing_mean"
        self.rows[(level, entity)] = {
            "kpi": self.kpi.id,
            "level": level,
            "entity": entity,
            "target": value,
            "target_method": method,
            "target_basis": basis,
            "target_note": note,
        }

    def run(self) -> list[dict[str, Any]]:
        target = self.target
        assert target is not None
        if target.method is TargetMethod.FIXED:
            self._fixed()
        elif not self.has_reps:
            self._own_history(self.levels)  # company-level data: no rep column
        elif target.allocate is not None and self.kpi.additive:
            self._top_down(self.allocation_start())
        else:
            self._bottom_up()
        if self.has_reps and target.method is not TargetMethod.FIXED:
            self._no_target_reps()
            self._report_guessed_tenure()
        if any(e == UNASSIGNED for _, e in self.rows):
            self._report_unassigned()
        self.report_missing_market()
        kept = [k for k in self.rows if k[0] in self.wanted]
        return [self.rows[k] for k in sorted(kept, key=self._order)]

    def _order(self, key: tuple[str, str]) -> tuple[int, str]:
        return (self.levels.index(key[0]), key[1])

    def history(self, level: str) -> History:
        """The KPI's history at ``level``, built on first use: a company-only replay of a
        top-down target never reads the reps'."""
        key = ("history", self.kpi.id, level)
        if key not in self.lookups:
            self.lookups[key] = History(self.cube, self.kpi, level)
        history: History = self.lookups[key]
        return history

    @functools.cached_property
    def has_reps(self) -> bool:
        key = ("has_reps", self.kpi.id)
        if key not in self.lookups:
            self.lookups[key] = bool((self.cube["level"] == "rep").any())
        found: bool = self.lookups[key]
        return found

    def below_wanted(self, level: str) -> bool:
        """Whether a kept level lies at or below ``level`` (splits only ever go down)."""
        return any(self.levels.index(lv) <= self.levels.index(level) for lv in self.wanted)

    # -- entities and tenure
    def active_fraction(self, rep: str) -> float:
        """Share of the target period's days that the rep is employed (1 when unknown)."""
        key = ("fractions", self.kpi.source, self.period.ordinal)
        if key not in self.lookups:  # asked for every rep at every level of a split
            members = self.org.members
            tenure = members[["end"]].assign(start=self.org.tenure_start(self.kpi.source))
            self.lookups[key] = employed_fractions(tenure, self.period)
        fractions: dict[str, float] = self.lookups[key]
        return fractions.get(rep, 1.0)

    def member(self, column: str) -> dict[Any, Any]:
        """Rep -> their value of a roster column (team, start...): a dict, as the planner
        asks it for every rep and ``members.at`` costs tens of microseconds a time."""
        key = ("members", column)
        if key not in self.lookups:
            members = self.org.members
            self.lookups[key] = dict(zip(members.index, members[column], strict=True))
        values: dict[Any, Any] = self.lookups[key]
        return values

    def parent_of(self, level: str, parent_level: str) -> dict[str, str]:
        """Entity of ``level`` (not rep) -> its ``parent_level``, from the first roster row
        naming both. Built once: a roll-up asks it for every entity of every KPI and period,
        and filtering the roster each time dominated replays."""
        key = ("parent_of", level, parent_level)
        if key not in self.lookups:
            members = self.org.members
            pairs = pd.DataFrame(
                {"child": members[level].astype("string"), "parent": members[parent_level]}
            )
            pairs = pairs[pairs["child"].notna() & pairs["parent"].notna()]
            pairs = pairs.drop_duplicates("child", keep="first")
            parents = [str(p) for p in pairs["parent"].tolist()]
            self.lookups[key] = dict(zip(pairs["child"].tolist(), parents, strict=True))
        parent_of: dict[str, str] = self.lookups[key]
        return parent_of

    def child_level(self, level: str) -> str | None:
        i = self.levels.index(level)
        return self.levels[i - 1] if i > 0 else None

    # -- methods
    def _basis(self, level: str, entity: str) -> Basis:
        history = self.history(level) if entity != UNASSIGNED else self.unassigned_history
        assert history is not None
        return history_basis(
            history, entity, self.calendar, self.period, self.season, self.left_out
        )

    def _history_value(self, level: str, entity: str) -> tuple[float | None, Basis]:
        basis = self.with_market(level, entity, self._basis(level, entity))
        if basis.value is None or basis.no_market_figure:
            return None, basis
        growth = basis.growth if basis.growth is not None else self._growth()
        return _clamp(self.kpi, grow(basis.value, growth)), basis

    def _rule(self, basis: Basis) -> str | None:
        """The documented rule that shaped a history target, for its basis."""
        growth = basis.growth if basis.growth is not None else self._growth()
        if basis.value is not None and basis.value < 0 and growth:
            return "negative base: base + |base| x growth"
        return None

    def _fixed(self) -> None:
        target = self.target
        assert target is not None and target.value is not None
        value = float(target.value)
        basis = {"value": value}
        if not self.kpi.additive:
            for level in [lv for lv in self.levels if lv in self.wanted]:
                for entity in self._entities(level):
                    self._emit(level, entity, value, basis)
            return
        level = target.level
        for entity in self._entities(level):
            self._emit(level, entity, value, basis)
        self._roll_up(from_level=level)
        if target.allocate is not None:
            for entity in self._entities(level):
                self._split(level, entity)

    def _entities(self, level: str) -> list[str]:
        if level == COMPANY:
            return [COMPANY]
        return self.children(level, COMPANY, COMPANY)

    def _top_down(self, level: str) -> None:
        if level != COMPANY:
            self._top_down_from(level)
            return
        value, basis = self._history_value(COMPANY, COMPANY)
        if value is None:
            if basis.no_market_figure:
                self._emit(COMPANY, COMPANY, None, basis.as_dict(self._growth()), NO_MARKET)
                return
            self._warn(f"no company history for {self.period.label}; no target")
            self._emit(COMPANY, COMPANY, None, basis.as_dict(self._growth()), "no history")
            return
        step = rounding_step(self.kpi.unit, value)
        rule = self._rule(basis)
        self._emit(COMPANY, COMPANY, round_to(value, step), basis.as_dict(self._growth(), rule))
        self._split(COMPANY, COMPANY)

    def _top_down_from(self, level: str) -> None:
        """Allocated targets set at ``level`` (the market's: each region grows with its own
        market), summed above it and split below it."""
        for entity in self._entities(level):
            value, basis = self._history_value(level, entity)
            data = basis.as_dict(self._growth(), self._rule(basis))
            if value is None:
                self._emit(
                    level, entity, None, data, NO_MARKET if basis.no_market_figure else "no history"
                )
                continue
            self._emit(level, entity, round_to(value, rounding_step(self.kpi.unit, value)), data)
        self._roll_up(from_level=level)
        for entity in self._entities(level):
            self._split(level, entity)

    def _growth(self) -> float:
        """The fixed growth (a growth that follows the market is in each basis)."""
        return self.target.fixed_growth if self.target else 0.0

    def _split(self, level: str, entity: str) -> None:
        """Allocate the target of (level, entity) to its children, recursively."""
        child_level = self.child_level(level)
        if child_level is None or not self.below_wanted(child_level):
            return
        parent = self.rows[(level, entity)]
        total = parent["target"]
        kids = self.children(child_level, level, entity)
        if total is None:
            return
        weights, notes = self._weights(child_level, kids) if kids else ([], [])
        unassigned = self._unassigned_weight(level, weights)
        if unassigned is not None:
            kids, notes = [*kids, UNASSIGNED], [*notes, "sales no roster rep carries"]
            weights = [*weights, unassigned]
        if not kids:
            return
        step = rounding_step(self.kpi.unit, total)
        signed = total < 0 or any(w < 0 for w in weights)
        # A signed split keeps each child's own level: weights are sums over the look-back,
        # so state them per period, the unit of the target.
        per_period = max(len(self.used_window), 1) if signed else 1
        parts = largest_remainder(total, [w / per_period for w in weights], step)
        scale = math.fsum(abs(w) for w in weights)
        for kid, part, weight, note in zip(kids, parts, weights, notes, strict=True):
            share = abs(weight) / scale if scale > 0 else 1 / len(kids)
            basis: dict[str, Any] = {
                "parent": entity,
                "parent_level": level,
                "share": round(share, 6),
                "weight": round(weight, 6),
            }
            if signed:
                basis["rule"] = "signed split: own weight + share of the change by |weight|"
            if kid == UNASSIGNED:
                basis["rule"] = RULE_UNASSIGNED
            elif note.startswith("new"):
                basis["rule"] = self._joiner_rule(kid)
            self._emit(child_level, kid, part, basis, note)
            if kid != UNASSIGNED:
                self._split(child_level, kid)

    def _joiner_rule(self, rep: str) -> str:
        start = self.lookups[("starts", self.kpi.source)].get(rep)
        shown = start.date().isoformat() if start is not None and start == start else "?"
        return RULE_NEW_JOINER.format(start=shown)

    def _weights(self, level: str, kids: list[str]) -> tuple[list[float], list[str]]:
        target = self.target
        assert target is not None
        weights: list[float | None] = []
        notes: list[str] = []
        for kid in kids:
            if target.allocate is Allocation.EQUAL:
                weights.append(1.0)
            elif level == "rep" and not self.has_history(kid):
                weights.append(None)
            else:
                values = self.history(level).window_values(kid, self.used_window)
                weights.append(sum(v for _, v in values) if values else None)
            notes.append("")
        known = sorted(w for w in weights if w is not None)
        fallback = median(known) if known else 1.0
        out: list[float] = []
        for i, kid in enumerate(kids):
            fraction = self.active_fraction(kid) if level == "rep" else 1.0
            w = weights[i]
            if w is None:
                w = fallback
                notes[i] = "new: median of peers' history"
                if fraction < 1:
                    notes[i] += f", x {fraction:.2f} employed"
            elif fraction < 1:
                notes[i] = f"x {fraction:.2f} employed"
            out.append(w * fraction)
        return out, notes

    # -- bottom-up
    def _own_history(self, levels: list[str]) -> None:
        """Each kept level from its own history (non-additive KPIs; company-level data)."""
        for level in levels:
            if level not in self.wanted:
                continue  # no kept row needs it
            entities = self._entities(level) if self.has_reps else self.history(level).entities
            values: dict[str, float | None] = {}
            bases: dict[str, Basis] = {}
            for entity in entities:
                values[entity], bases[entity] = self._history_value(level, entity)
            self._fill_new_joiners(level, entities, values, bases, prorate=False)

    def _bottom_up(self) -> None:
        if not self.kpi.additive:
            self._own_history(self.levels)
            return
        reps = self._entities("rep")
        values: dict[str, float | None] = {}
        bases: dict[str, Basis] = {}
        for rep in reps:
            if self.has_history(rep):
                values[rep], bases[rep] = self._history_value("rep", rep)
            else:
                values[rep], bases[rep] = None, Basis([], [], None)
        self._fill_new_joiners("rep", reps, values, bases, prorate=True)
        if self._unassigned_weight(COMPANY, []) is not None:  # it sold in the look-back
            value, basis = self._history_value("unassigned", UNASSIGNED)
            if value is not None and not basis.no_market_figure:
                value = round_to(value, rounding_step(self.kpi.unit, value))
                top = self.levels[-2]
                rule = RULE_UNASSIGNED
                self._emit(top, UNASSIGNED, value, basis.as_dict(self._growth(), rule))
        self._roll_up(from_level="rep")

    def _fill_new_joiners(
        self,
        level: str,
        entities: list[str],
        values: dict[str, float | None],
        bases: dict[str, Basis],
        *,
        prorate: bool,
    ) -> None:
        """Entities without usable history get the median of their peers (same parent level
        where there is one), prorated by days employed for additive KPIs. Each group's
        median is computed once: a roster of 100,000 reps has thousands of joiners."""
        parent_level = self.levels[self.levels.index(level) + 1] if level != COMPANY else None
        by_team = level == "rep" and parent_level not in (None, COMPANY) and self.has_reps
        team_of = self.member(parent_level) if by_team else {}  # type: ignore[arg-type]
        known = [(e, v) for e, v in values.items() if v is not None]
        overall = median([v for _, v in known]) if known else None
        per_team: dict[Any, list[float]] = {}
        for e, v in known:
            per_team.setdefault(team_of.get(e), []).append(v)
        team_median = {t: median(vs) for t, vs in per_team.items() if t is not None}
        for entity in entities:
            value = values[entity]
            basis = bases[entity].as_dict(self._growth(), self._rule(bases[entity]))
            fraction = self.active_fraction(entity) if (prorate and level == "rep") else 1.0
            note = ""
            if bases[entity].no_market_figure:
                self._emit(level, entity, None, basis, NO_MARKET)  # not a peer's figure
                continue
            if value is None:
                peers = team_median.get(team_of.get(entity), overall)
                if peers is None:
                    self._emit(level, entity, None, basis, "no history")
                    continue
                value = peers
                note = "new: median of peers' targets"
                if level == "rep":
                    basis["rule"] = self._joiner_rule(entity)
                if fraction < 1:
                    note += f", x {fraction:.2f} employed"
            elif fraction < 1:
                note = f"x {fraction:.2f} employed"
            value = value * fraction
            if self.kpi.additive:
                value = round_to(value, rounding_step(self.kpi.unit, value))
            self._emit(level, entity, value, basis, note)

    def _roll_up(self, from_level: str) -> None:
        """Parents above ``from_level`` are the sums of their children (additive KPIs); a
        parent none of whose children has a target has none."""
        start = self.levels.index(from_level)
        for parent_level in self.levels[start + 1 :]:
            child_level = self.levels[self.levels.index(parent_level) - 1]
            sums: dict[str, float] = {}
            for (level, entity), row in list(self.rows.items()):
                if level != child_level or row["target"] is None:
                    continue
                if parent_level == COMPANY or entity == UNASSIGNED:
                    parent = COMPANY
                elif child_level == "rep":
                    parent_of = self.member(parent_level)
                    if entity not in parent_of or is_missing(parent_of[entity]):
                        continue
                    parent = str(parent_of[entity])
                else:
                    parents = self.parent_of(child_level, parent_level)
                    if entity not in parents:
                        continue
                    parent = parents[entity]
                if parent == COMPANY and parent_level != COMPANY:
                    continue  # the unassigned share counts for the company only
                sums[parent] = sums.get(parent, 0.0) + row["target"]
            if parent_level == COMPANY and child_level != "rep" and from_level == "rep":
                # Reps outside every team still count for the company, and so does the
                # unassigned share.
                carried = [
                    r["target"]
                    for (lv, e), r in self.rows.items()
                    if r["target"] is not None and (lv == "rep" or e == UNASSIGNED)
                ]
                if carried:
                    sums[COMPANY] = math.fsum(carried)
            for parent, total in sums.items():
                self._emit(parent_level, parent, total, {"sum_of": child_level})
