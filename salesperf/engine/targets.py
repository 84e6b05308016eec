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
- ``allocate`` (additive KPIs): the company target is split level by level down to reps,
  by each child's share of its parent over the method's look-back (``history_share``) or
  equally. Amounts are rounded to whole units (cents below 100) with largest-remainder
  rounding so that children always sum exactly to their parent.
- New joiners (not employed during the first period of the look-back) get the median of
  their peers' weights
  or targets, prorated by the days they are employed in the period; leavers get none.
- Without ``allocate``, each rep's target comes from their own history and, for additive
  KPIs, every parent is the sum of its children.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from salesperf.engine.metrics import COMPANY
from salesperf.engine.target_history import (
    Basis,
    History,
    basis_window,
    history_basis,
    is_missing,
    seasonal_index,
)
from salesperf.errors import Finding, Level, Location
from salesperf.spec.models import Allocation, KpiSpec, TargetMethod, Unit

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

    from salesperf.engine.org import Org
    from salesperf.engine.periods import Calendar, Period
    from salesperf.spec import Spec

TARGET_COLUMNS = [
    "kpi",
    "level",
    "entity",
    "target",
    "target_method",
    "target_basis",
    "target_note",
]


@dataclass
class TargetSet:
    frame: pd.DataFrame  # TARGET_COLUMNS
    findings: list[Finding] = field(default_factory=list)


# -- small helpers ----------------------------------------------------------------------------


def rounding_step(unit: Unit, magnitude: float) -> float:
    """Targets are stated in whole units (a quota of 12,345.67 invites a smirk), except for
    small amounts where whole units would distort shares. Counted things (orders, new
    customers) are always whole: nobody wins 0.3 of a customer, and the largest-remainder
    split hands the whole units to the reps with the largest shares."""
    if unit is Unit.COUNT:
        return 1.0
    if unit in (Unit.CURRENCY, Unit.NUMBER, Unit.SCORE) and abs(magnitude) >= 100:
        return 1.0
    return 0.01


def largest_remainder(total: float, weights: list[float], step: float) -> list[float]:
    """Split ``total`` in proportion to ``weights`` into multiples of ``step`` that sum to
    ``total`` (rounded to ``step``) exactly. Ties go to the earlier item (callers sort)."""
    units_total = round(total / step)
    n = len(weights)
    if n == 0:
        return []
    weight_sum = math.fsum(weights)
    shares = [w / weight_sum for w in weights] if weight_sum > 0 else [1.0 / n] * n
    raw = [units_total * s for s in shares]
    floors = [math.floor(r) for r in raw]
    left = units_total - sum(floors)
    order = sorted(range(n), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return [f * step if step < 1 else float(f) for f in floors]


def _round_to(value: float, step: float) -> float:
    # Half away from zero (0.5 orders -> 1), not Python's half-to-even (0.5 -> 0).
    units = math.copysign(math.floor(abs(value / step) + 0.5), value)
    return units * step if step < 1 else float(units)


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
    import pandas as pd

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
) -> TargetSet:
    """Targets for ``period`` for every KPI with a ``target:``, at every level.

    ``lookups``, filled on first use, lets calls with the *same* spec, cube and org for
    several periods (a replay) build their look-ups (history, roster, tenure) once.
    ``levels`` keeps only the rows of these levels (a trend needs only the company's) and
    skips the work no kept row depends on; every target kept is the one a full run gives (a
    bottom-up company target is still the sum of all its reps').
    """
    import pandas as pd

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
        planner = _Planner(spec, kpi, part, org, calendar, period, findings, lookups, levels)
        rows.extend(planner.run())
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    if overrides is not None and len(overrides):
        from salesperf.engine.overrides import apply_overrides

        frame, more = apply_overrides(spec, frame, overrides, org, period)
        findings.extend(more)
    return TargetSet(frame, findings)


class _Planner:
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
    ) -> None:
        self.spec = spec
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
        self.season: dict[int, float] | None = None
        if self.target.method is TargetMethod.SEASONAL:
            self.season = seasonal_index(self.history(COMPANY), calendar, period)
            if self.season is None:
                self._warn(
                    "seasonal needs two whole years of company history before "
                    f"{period.label}; using trailing_mean for now",
                )

    # -- bookkeeping
    def _warn(self, message: str) -> None:
        loc = Location(self.spec.path, None, f"kpis.{self.kpi.id}.target")
        self.findings.append(Finding(Level.WARNING, f"{self.kpi.id}: {message}", loc, "target"))

    def _emit(
        self, level: str, entity: str, value: float | None, basis: Any, note: str = ""
    ) -> None:
        method = self.target.method.value  # type: ignore[union-attr]
        if self.target.method is TargetMethod.SEASONAL and self.season is None:  # type: ignore[union-attr]
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
        elif target.allocate is not None and self.kpi.additive:
            self._top_down(COMPANY)
        else:
            self._bottom_up()
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

    def below_wanted(self, level: str) -> bool:
        """Whether a kept level lies at or below ``level`` (splits only ever go down)."""
        return any(self.levels.index(lv) <= self.levels.index(level) for lv in self.wanted)

    # -- entities and tenure
    def active_fraction(self, rep: str) -> float:
        """Share of the target period's days that the rep is employed (1 when unknown)."""
        key = ("fractions", self.period.ordinal)
        if key not in self.lookups:  # asked for every rep at every level of a split
            self.lookups[key] = employed_fractions(self.org.members, self.period)
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

    def has_history(self, rep: str) -> bool:
        """Employed during the first period of the look-back (so its values, zeros included,
        describe the rep). A rep who started within that period counts: a tenure taken from
        the first row rarely falls on the 1st of a month."""
        import pandas as pd

        starts = self.member("start")
        if rep not in starts:
            return True  # not on the roster: only their rows tell
        start = starts[rep]
        if pd.isna(start):
            return False
        return bool(start.date() < self._look_back_first_end)

    @functools.cached_property
    def _look_back_first_end(self) -> dt.date:
        """End (exclusive) of the look-back's first period: the same for every rep."""
        window = basis_window(self.kpi, self.calendar, self.period)
        return self.calendar.period(min(window)).end

    def parent_of(self, level: str, parent_level: str) -> dict[str, str]:
        """Entity of ``level`` (not rep) -> its ``parent_level``, from the first roster row
        naming both. Built once: a roll-up asks it for every entity of every KPI and period,
        and filtering the roster each time dominated replays."""
        key = ("parent_of", level, parent_level)
        if key not in self.lookups:
            import pandas as pd

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

    def children(self, level: str, parent_level: str, parent: str) -> list[str]:
        """Entities of ``level`` under ``parent`` that can carry a target this period."""
        key = ("children", self.period.ordinal, level, parent_level, parent)
        if key not in self.lookups:  # the same for every KPI's planner
            self.lookups[key] = self._children(level, parent_level, parent)
        return list(self.lookups[key])

    def _children(self, level: str, parent_level: str, parent: str) -> list[str]:
        members = self.org.members
        if level == "rep":
            if parent_level == COMPANY:
                # Reps missing from a roster get no target: nobody set one for them
                # (check and alerts report them).
                reps = list(members.index[members["on_roster"].astype(bool)])
            else:
                reps = list(members.index[members[parent_level].astype("string") == parent])
            return sorted(str(r) for r in reps if self.active_fraction(str(r)) > 0)
        column = members[level].dropna()
        if parent_level != COMPANY:
            column = column[members.loc[column.index, parent_level].astype("string") == parent]
        return sorted(column.astype(str).unique())

    def child_level(self, level: str) -> str | None:
        i = self.levels.index(level)
        return self.levels[i - 1] if i > 0 else None

    # -- methods
    def _history_value(self, level: str, entity: str) -> tuple[float | None, Basis]:
        basis = history_basis(self.history(level), entity, self.calendar, self.period, self.season)
        if basis.value is None:
            return None, basis
        target = self.target
        assert target is not None
        return _clamp(self.kpi, basis.value * (1 + target.growth)), basis

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
        if level == "rep":
            return self.children("rep", COMPANY, COMPANY)
        return self.children(level, COMPANY, COMPANY)

    def _top_down(self, level: str) -> None:
        value, basis = self._history_value(COMPANY, COMPANY)
        if value is None:
            self._warn(f"no company history for {self.period.label}; no target")
            self._emit(COMPANY, COMPANY, None, basis.as_dict(self._growth()), "no history")
            return
        step = rounding_step(self.kpi.unit, value)
        self._emit(COMPANY, COMPANY, _round_to(value, step), basis.as_dict(self._growth()))
        self._split(COMPANY, COMPANY)

    def _growth(self) -> float:
        return self.target.growth if self.target else 0.0

    def _split(self, level: str, entity: str) -> None:
        """Allocate the target of (level, entity) to its children, recursively."""
        child_level = self.child_level(level)
        if child_level is None or not self.below_wanted(child_level):
            return
        parent = self.rows[(level, entity)]
        total = parent["target"]
        kids = self.children(child_level, level, entity)
        if total is None or not kids:
            return
        weights, notes = self._weights(child_level, kids)
        step = rounding_step(self.kpi.unit, total)
        parts = largest_remainder(total, weights, step)
        parent_share = {"parent": entity, "parent_level": level}
        for kid, part, weight, note in zip(kids, parts, weights, notes, strict=True):
            share = weight / math.fsum(weights) if math.fsum(weights) > 0 else 1 / len(kids)
            basis = {**parent_share, "share": round(share, 6), "weight": round(weight, 6)}
            self._emit(child_level, kid, part, basis, note)
            self._split(child_level, kid)

    def _weights(self, level: str, kids: list[str]) -> tuple[list[float], list[str]]:
        target = self.target
        assert target is not None
        window = basis_window(self.kpi, self.calendar, self.period)
        weights: list[float | None] = []
        notes: list[str] = []
        for kid in kids:
            if target.allocate is Allocation.EQUAL:
                weights.append(1.0)
                notes.append("")
                continue
            if level == "rep" and not self.has_history(kid):
                weights.append(None)
                notes.append("")
                continue
            values = self.history(level).window_values(kid, window)
            weights.append(sum(v for _, v in values) if values else None)
            notes.append("")
        known = sorted(w for w in weights if w is not None)
        fallback = _median(known) if known else 1.0
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
            out.append(max(w, 0.0) * fraction)
        return out, notes

    def _bottom_up(self) -> None:
        # A source without reps (a company-level series) has no one to add up: each level,
        # the company included, then takes its own history, as non-additive KPIs do.
        reps = self._entities("rep") if self.kpi.additive else []
        if reps:
            values: dict[str, float | None] = {}
            bases: dict[str, Basis] = {}
            for rep in reps:
                value, basis = (
                    self._history_value("rep", rep)
                    if self.has_history(rep)
                    else (
                        None,
                        Basis([], [], None),
                    )
                )
                values[rep] = value
                bases[rep] = basis
            self._fill_new_joiners("rep", reps, values, bases, prorate=True)
            self._roll_up(from_level="rep")
            return
        for level in self.levels:
            if level not in self.wanted:
                continue  # each level from its own history: no kept row needs it
            entities = self._entities(level)
            values = {}
            bases = {}
            for entity in entities:
                values[entity], bases[entity] = self._history_value(level, entity)
            self._fill_new_joiners(level, entities, values, bases, prorate=False)

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
        where there is one), prorated by days employed for additive KPIs."""
        parent_level = self.levels[self.levels.index(level) + 1] if level != COMPANY else None
        for entity in entities:
            value = values[entity]
            basis = bases[entity].as_dict(self._growth())
            fraction = self.active_fraction(entity) if (prorate and level == "rep") else 1.0
            note = ""
            if value is None:
                peers = [v for e, v in values.items() if v is not None and e != entity]
                if (
                    level == "rep"
                    and parent_level not in (None, COMPANY)
                    and entity in self.member(parent_level)
                ):
                    team_of = self.member(parent_level)
                    team = team_of[entity]
                    same = [
                        v
                        for e, v in values.items()
                        if v is not None and e in team_of and team_of[e] == team
                    ]
                    peers = same or peers
                if not peers:
                    self._emit(level, entity, None, basis, "no history")
                    continue
                value = _median(sorted(peers))
                note = "new: median of peers' targets"
                if fraction < 1:
                    note += f", x {fraction:.2f} employed"
            elif fraction < 1:
                note = f"x {fraction:.2f} employed"
            value = value * fraction
            if self.kpi.additive:
                value = _round_to(value, rounding_step(self.kpi.unit, value))
            self._emit(level, entity, value, basis, note)

    def _roll_up(self, from_level: str) -> None:
        """Parents above ``from_level`` are the sums of their children (additive KPIs)."""
        start = self.levels.index(from_level)
        for parent_level in self.levels[start + 1 :]:
            child_level = self.levels[self.levels.index(parent_level) - 1]
            sums: dict[str, float] = {}
            for (level, entity), row in list(self.rows.items()):
                if level != child_level or row["target"] is None:
                    continue
                if parent_level == COMPANY:
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
                sums[parent] = sums.get(parent, 0.0) + row["target"]
            if parent_level == COMPANY and child_level != "rep" and from_level == "rep":
                # Reps outside every team still count for the company.
                sums[COMPANY] = sum(
                    r["target"]
                    for (lv, _), r in self.rows.items()
                    if lv == "rep" and r["target"] is not None
                )
            for parent, total in sums.items():
                self._emit(parent_level, parent, total, {"sum_of": child_level})


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
