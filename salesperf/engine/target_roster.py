"""Who can carry a target, and what a target may be computed from.

The rules here decide a target where the data alone cannot, so each one is named in the
target's basis (``target_basis["rule"]``) and reported by ``salesperf check``:

- **Reps without rows** (history methods; a ``fixed`` target applies to every rep the
  roster lists). A roster rep with no row counted by the KPI in the look-back is as
  likely a manager, a leaver or a typo as a new hire. Such a rep gets no target, unless
  their ``start_date`` (roster) falls in the look-back, in the period just before it, or in
  the target period: then they are a new joiner.
- **Tenure.** Start dates come from the roster's ``start_date`` only, or, with
  ``targets: {tenure: first_row}``, from the rep's first row in the KPI's own source
  (:meth:`salesperf.engine.org.Org.tenure_start`). A rep employed since before the end of
  the look-back's first period is judged on their own history; one who started later is a
  new joiner.
- **Unassigned.** Sales that no roster rep carries (reps missing from a partial roster, rows
  without a rep) keep their share of an additive KPI's target as the entity
  ``(unassigned)`` directly under the company: never silently handed to the listed reps.
- **Partly covered periods.** A period that the KPI's source covers only partly (the data
  starts after its first tenth of days) or not at all (after the last row's period) is left
  out of every basis, and the basis lists it under ``left_out``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.engine.levels import COMPANY
from salesperf.engine.target_history import History, is_missing
from salesperf.sources.models import clip
from salesperf.spec.models import Allocation, TargetMethod

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.org import Org
    from salesperf.periods import Calendar, Period

#: The entity under the company that holds sales no roster rep carries.
UNASSIGNED = "(unassigned)"

RULE_NO_ROWS = "no rows in the look-back and no start_date in or just before it: no target"
RULE_NEW_JOINER = "new joiner (start_date {start}): median of peers"
RULE_UNASSIGNED = "unassigned: company history that no roster rep carries"


class Standing(StrEnum):
    HISTORY = "history"  # judged on their own history
    NEW = "new"  # new joiner: median of peers, prorated
    NONE = "none"  # no target


def rep_standings(
    reps: list[str],
    starts: dict[str, object],
    with_rows: frozenset[str],
    calendar: Calendar,
    period: Period,
    window: list[int],
) -> dict[str, Standing]:
    """Standing of each rep for one KPI and target period (see the module docstring), for
    all reps at once."""
    first = calendar.period(min(window)) if window else period
    first_end = np.datetime64(first.end, "ns")  # exclusive
    just_before = np.datetime64(calendar.period(first.ordinal - 1).start, "ns")
    start = pd.to_datetime(pd.Series([starts.get(r) for r in reps], dtype=object)).to_numpy(
        dtype="datetime64[ns]"
    )
    known = ~np.isnat(start)
    has_rows = np.fromiter((r in with_rows for r in reps), dtype=bool, count=len(reps))
    late = known & (start >= first_end)
    recent = known & (start >= just_before)
    standing = np.select(
        [late, has_rows, recent], [Standing.NEW, Standing.HISTORY, Standing.NEW], Standing.NONE
    )
    return dict(zip(reps, (Standing(s) for s in standing.tolist()), strict=True))


def partly_covered(
    coverage: tuple[dt.date, dt.date] | None, calendar: Calendar, period: Period, lookback: int
) -> dict[int, str]:
    """Ordinal -> reason, for the periods before ``period`` (``lookback`` of them at most)
    that the source covers only partly or not at all.

    The first period counts as covered when the data starts within its first tenth of days
    (at least one day: a month whose first row is on the 2nd, after a holiday, is whole).
    Periods after the last row's period have no rows at all. The last row's own period is
    kept: the as-of date, not the last row, says how far the data goes.
    """
    if coverage is None:
        return {}
    first_day, last_day = coverage
    out: dict[int, str] = {}
    first = calendar.period_of(first_day)
    if (first_day - first.start).days > _slack(first):
        out[first.ordinal] = f"partial: the data starts on {first_day.isoformat()}"
    last = calendar.period_of(last_day)
    for p in range(max(last.ordinal + 1, period.ordinal - lookback), period.ordinal):
        out[p] = f"no rows after {last_day.isoformat()}"
    return {p: why for p, why in out.items() if p < period.ordinal}


def _slack(period: Period) -> int:
    return max(1, period.days // 10)


def unassigned_series(cube: pd.DataFrame, org: Org) -> pd.Series | None:
    """Period ordinal -> the company's actual that no roster rep carries (company minus the
    sum of roster reps), for one additive KPI's cube; None when the KPI has no rep rows."""
    reps = cube.loc[cube["level"] == "rep"]
    if reps.empty:
        return None
    company = cube.loc[cube["level"] == COMPANY].groupby("p")["actual"].sum()
    on_roster = org.members.index[org.members["on_roster"].astype(bool)]
    carried = reps.loc[reps["entity"].isin(on_roster)].groupby("p")["actual"].sum()
    return company.sub(carried, fill_value=0.0)


def unassigned_actuals(
    cube: pd.DataFrame, org: Org, targets: pd.DataFrame, ordinal: int
) -> pd.DataFrame:
    """Cube rows (without ``p``) for the ``(unassigned)`` targets of period ``ordinal``."""
    wanted = targets.loc[targets["entity"] == UNASSIGNED, ["kpi", "level"]].drop_duplicates()
    rows = []
    for kpi, level in wanted.itertuples(index=False):
        series = unassigned_series(cube.loc[cube["kpi"] == kpi], org)
        value = float(series.get(ordinal, 0.0)) if series is not None else 0.0
        rows.append(
            {
                "kpi": kpi,
                "level": level,
                "entity": UNASSIGNED,
                "actual": value,
                "numerator": value,
                "denominator": float("nan"),
                "responses": 0,
            }
        )
    return pd.DataFrame(
        rows, columns=["kpi", "level", "entity", "actual", "numerator", "denominator", "responses"]
    )


class RosterRules:
    """The rules above as a part of the targets planner (``salesperf.engine.targets``):
    which reps and entities carry a target, the unassigned share, and the warnings that
    ``check`` shows when a rule rather than the data decided."""

    # Provided by the planner.
    kpi: Any
    target: Any
    org: Org
    calendar: Calendar
    period: Period
    cube: pd.DataFrame
    lookups: dict[Any, Any]
    rows: dict[tuple[str, str], dict[str, Any]]
    window: list[int]
    used_window: list[int]
    left_out: dict[int, str]
    wanted: set[str]

    # The planner's own methods, which these rules call.
    def history(self, level: str) -> History:
        raise NotImplementedError

    def active_fraction(self, rep: str) -> float:
        raise NotImplementedError

    def member(self, column: str) -> dict[Any, Any]:
        raise NotImplementedError

    def _warn(self, message: str, code: str = "target") -> None:
        raise NotImplementedError

    def _emit(
        self, level: str, entity: str, value: float | None, basis: Any, note: str = ""
    ) -> None:
        raise NotImplementedError

    def _growth(self) -> float:
        raise NotImplementedError

    @functools.cached_property
    def standings(self) -> dict[str, Standing]:
        """Standing of every roster rep employed in the period (see target_roster)."""
        key = ("standings", self.kpi.id, self.period.ordinal)
        if key not in self.lookups:
            members = self.org.members
            on_roster = members.index[members["on_roster"].astype(bool)]
            reps = [str(r) for r in on_roster if self.active_fraction(str(r)) > 0]
            starts_key = ("starts", self.kpi.source)
            if starts_key not in self.lookups:
                start = self.org.tenure_start(self.kpi.source)
                self.lookups[starts_key] = dict(zip(members.index, start, strict=True))
            with_rows = self.history("rep").with_rows(self.used_window)
            if self.target.method is TargetMethod.FIXED:
                with_rows = frozenset(reps)  # the roster is the statement
            self.lookups[key] = rep_standings(
                reps,
                self.lookups[starts_key],
                with_rows,
                self.calendar,
                self.period,
                self.window,
            )
        standings: dict[str, Standing] = self.lookups[key]
        return standings

    def has_history(self, rep: str) -> bool:
        """Judged on their own history (employed since the look-back's first period, or
        without a known start but with rows in the look-back)."""
        return self.standings.get(rep, Standing.HISTORY) is Standing.HISTORY

    def children(self, level: str, parent_level: str, parent: str) -> list[str]:
        """Entities of ``level`` under ``parent`` that can carry a target this period: reps
        with a standing other than none, and roster entities with at least one such rep."""
        key = ("children", self.kpi.id, self.period.ordinal, level, parent_level)
        if key not in self.lookups:  # every parent's children in one pass over the reps
            self.lookups[key] = self._children(level, parent_level)
        return list(self.lookups[key].get(parent, ()))

    def _children(self, level: str, parent_level: str) -> dict[str, list[str]]:
        # Reps missing from a roster get no target: nobody set one for them (their sales are
        # the unassigned share; check and alerts report them).
        carrying = [r for r, s in self.standings.items() if s is not Standing.NONE]
        above = self.member(parent_level) if parent_level != COMPANY else {}
        placed = self.member(level) if level != "rep" else None
        found: dict[str, set[str]] = {}
        for rep in carrying:
            parent = COMPANY if parent_level == COMPANY else above.get(rep)
            child = rep if placed is None else placed.get(rep)
            if parent is not None and child is not None:
                found.setdefault(str(parent), set()).add(str(child))
        return {parent: sorted(kids) for parent, kids in found.items()}

    @functools.cached_property
    def unassigned_history(self) -> History | None:
        """History of the ``(unassigned)`` entity (additive KPIs with rep rows only)."""
        key = ("unassigned", self.kpi.id)
        if key not in self.lookups:
            series = unassigned_series(self.cube, self.org) if self.kpi.additive else None
            history = None
            if series is not None and (series.abs() >= 0.005).any():
                part = pd.DataFrame(
                    {
                        "kpi": self.kpi.id,
                        "level": "unassigned",
                        "entity": UNASSIGNED,
                        "p": series.index.astype("int64"),
                        "actual": series.to_numpy(),
                        "numerator": series.to_numpy(),
                        "denominator": float("nan"),
                        "responses": 1,
                    }
                )
                history = History(part, self.kpi, "unassigned")
            self.lookups[key] = history
        found: History | None = self.lookups[key]
        return found

    def _unassigned_weight(self, level: str, weights: list[float]) -> float | None:
        """The unassigned share's weight in a split of the company: its history (with
        ``equal``, the kids share what is left of the company's history equally)."""
        history = self.unassigned_history
        if level != COMPANY or history is None:
            return None
        values = history.window_values(UNASSIGNED, self.used_window)
        carried = math.fsum(v for _, v in values)
        if abs(carried) < 0.005:
            return None
        assert self.target is not None
        if self.target.allocate is Allocation.EQUAL and weights:
            company = self.history(COMPANY).window_values(COMPANY, self.used_window)
            rest = math.fsum(v for _, v in company) - carried
            weights[:] = [rest / len(weights)] * len(weights)
        return carried

    def _report_left_out(self) -> None:
        skipped = [p for p in self.window if p in self.left_out]
        if skipped:
            shown = "; ".join(
                f"{self.calendar.period(p).label} ({self.left_out[p]})" for p in skipped
            )
            self._warn(
                f"left out of the {self.period.label} target's basis: {shown}",
                "partial-period",
            )

    def _no_target_reps(self) -> None:
        """Roster reps with no rows in the look-back and no start_date in or just before it:
        a row without a target that says why, and one warning naming them."""
        if "rep" not in self.wanted:
            return
        none = sorted(r for r, s in self.standings.items() if s is Standing.NONE)
        if not none:
            return
        labels = [self.calendar.period(p).label for p in self.window]
        span = labels[0] if len(labels) == 1 else f"{labels[0]}..{labels[-1]}"
        basis = {"periods": labels, "values": [], "growth": self._growth(), "rule": RULE_NO_ROWS}
        for rep in none:
            self._emit("rep", rep, None, basis, "no rows in the look-back")
        shown = ", ".join(clip(r) for r in none[:10]) + (", …" if len(none) > 10 else "")
        self._warn(
            f"{len(none)} rep(s) on the roster, no rows in the look-back ({span}) of the "
            f"{self.period.label} target: {shown}; no target. Give start_date to make them "
            "new joiners",
            "no-rows-in-lookback",
        )

    def _report_guessed_tenure(self) -> None:
        """Reps judged on their own history although their first row in the KPI's source
        falls inside the look-back and no start_date says when they joined."""
        if "rep" not in self.wanted or self.org.tenure == "first_row":
            return
        first_rows = self.org.first_rows.get(self.kpi.source)
        if first_rows is None or not len(first_rows):
            return

        starts = self.lookups[("starts", self.kpi.source)]
        first_end = pd.Timestamp(self.calendar.period(min(self.window)).end)
        late = sorted(
            (rep, first_rows[rep])
            for rep, standing in self.standings.items()
            if standing is Standing.HISTORY
            and is_missing(starts.get(rep))
            and rep in first_rows.index
            and first_rows[rep] >= first_end
        )
        if not late:
            return
        shown = ", ".join(f"{clip(r)} (first row {d.date().isoformat()})" for r, d in late[:10])
        more = ", …" if len(late) > 10 else ""
        self._warn(
            f"{len(late)} rep(s) without start_date whose first row falls inside the "
            f"look-back of the {self.period.label} target: {shown}{more}; their target "
            "averages the periods before that row as 0. Give start_date on the roster (or "
            "set targets.tenure: first_row) to make them new joiners",
            "tenure-unknown",
        )

    def _report_unassigned(self) -> None:
        """Who sold in the look-back without being a roster rep (case of a partial roster)."""
        history = self.history("rep")
        sold = history.with_rows(self.used_window)
        on_roster = set(self.org.members.index[self.org.members["on_roster"].astype(bool)])
        missing = sorted(r for r in sold if r not in on_roster)
        company = self.history(COMPANY).window_values(COMPANY, self.used_window)
        carried = self.unassigned_history.window_values(UNASSIGNED, self.used_window)  # type: ignore[union-attr]
        total = math.fsum(v for _, v in company)
        share = math.fsum(v for _, v in carried) / total if total else float("nan")
        who = ", ".join(clip(r) for r in missing[:10]) + (", …" if len(missing) > 10 else "")
        who = f" (reps not on the roster: {who})" if missing else " (rows without a rep)"
        self._warn(
            f"sales that no roster rep carries{who} were {share:.1%} of the company's "
            f"history in the look-back of the {self.period.label} target: that share stays "
            f"with '{UNASSIGNED}' under the company, not with the roster's reps",
            "unassigned-share",
        )
