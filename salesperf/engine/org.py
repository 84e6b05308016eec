"""Who belongs where: reps, their roster levels (team, region...) and their tenure.

With an ``org:`` roster, the *current* roster places every row: a rep who moved team
carries their history with them ("as-is" reporting, what a manager setting next month's
targets wants). Without a roster, each row's own team field is used ("as-was").

Tenure drives two decisions of a target: a rep who started in or just before the target's
look-back is a new joiner (fallback target, prorated), and a rep who left is not given a
target. It comes only from the roster's ``start_date``/``end_date`` fields, or, with
``targets: {tenure: first_row}``, from the rep's first row in the KPI's own source
(:meth:`Org.tenure_start`): a feedback form dated the last day of a month never makes a rep
"join" that day. ``members["start"]`` (the roster's start date, else the first row in any
source) only gives alerts their context ("joined this month").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from salesperf.sources.dataset import Dataset

TENURE_FIELDS = ("start_date", "end_date")


@dataclass
class Org:
    #: Roster levels that exist in this run, innermost first (may be empty).
    levels: list[str]
    #: One row per rep (index: rep key) with columns name, each level, start, end and
    #: on_roster (False for reps the data names but a roster leaves out: no targets).
    members: pd.DataFrame
    #: "roster" or "data": where level membership comes from.
    origin: str
    #: "roster" or "first_row" (``targets.tenure``): where tenure for targets comes from.
    tenure: str = "roster"
    #: Source -> rep -> date of the rep's first row in that source.
    first_rows: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    #: Source -> (first, last) row date: periods the data covers only partly are left out
    #: of a target's basis.
    coverage: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)

    def tenure_start(self, source: str) -> pd.Series:
        """Rep -> start date for targets from ``source``'s KPIs: the roster's start_date,
        else (``tenure: first_row`` only) the rep's first row in ``source``; NaT unknown."""
        start = self.members["start_date"]
        if self.tenure == "first_row" and source in self.first_rows:
            start = start.fillna(self.first_rows[source].reindex(self.members.index))
        return start

    def name_of(self, rep: str) -> str | None:
        if rep in self.members.index:
            value = self.members.at[rep, "name"]
            return None if value is None or value != value else str(value)
        return None


def build_org(dataset: Dataset) -> Org:

    spec = dataset.spec
    first_rows = {name: _first_seen(dataset, [name]) for name in dataset.sources}
    first_seen = _earliest(list(first_rows.values()))
    if dataset.roster is not None and spec.org is not None:
        roster = dataset.roster.frame.dropna(subset=["rep"]).drop_duplicates("rep", keep="last")
        levels = [lv for lv in spec.org.levels if lv in roster.columns]
        members = pd.DataFrame(index=pd.Index(roster["rep"].astype(str), name="rep"))
        members["name"] = roster["name"].to_numpy() if "name" in roster else None
        for level in levels:
            members[level] = roster[level].to_numpy()
        for field, column in (("start_date", "start"), ("end_date", "end")):
            if field in roster:
                members[column] = pd.to_datetime(roster[field].to_numpy(), errors="coerce")
            else:
                members[column] = pd.NaT
        members["start_date"] = members["start"]
        members["start"] = members["start"].fillna(first_seen.reindex(members.index))
        members["on_roster"] = True
        origin = "roster"
        extra = first_seen.index.difference(members.index)
        if len(extra):
            outsiders = pd.DataFrame(index=pd.Index(extra, name="rep"))
            outsiders["name"] = None
            for level in levels:
                outsiders[level] = pd.NA
            outsiders["start"] = first_seen.reindex(extra)
            outsiders["start_date"] = pd.NaT
            outsiders["end"] = pd.NaT
            outsiders["on_roster"] = False
            members = pd.concat([members, outsiders])
    else:
        levels = []
        members = pd.DataFrame(index=pd.Index(first_seen.index, name="rep"))
        members["name"] = None
        for level in spec.levels:
            latest = _latest_value(dataset, level)
            if latest is not None:
                levels.append(level)
                members[level] = latest.reindex(members.index)
        members["start"] = first_seen
        members["start_date"] = pd.NaT
        members["end"] = pd.NaT
        members["on_roster"] = True  # no roster: everyone the data names counts
        origin = "data"
    members = members[~members.index.duplicated(keep="last")].sort_index()
    # Plain Python values (None for missing) so look-ups compare without NA ambiguity.
    for column in ["name", *levels]:
        values = members[column].astype(object)
        members[column] = values.where(values.notna(), None).map(
            lambda v: None if v is None else str(v)
        )
    members["start_date"] = pd.to_datetime(members["start_date"])
    tenure = spec.targets.tenure.value if spec.targets is not None else "roster"
    return Org(levels, members, origin, tenure, first_rows, _coverage(dataset))


def _coverage(dataset: Dataset) -> dict[str, tuple[dt.date, dt.date]]:
    out = {}
    for name, loaded in dataset.sources.items():
        dates = loaded.frame.get("date")
        if dates is not None and dates.notna().any():
            out[name] = (dates.min().date(), dates.max().date())
    return out


def _earliest(parts: list[pd.Series]) -> pd.Series:
    """Rep -> the earliest of their dates in ``parts``."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.Series(dtype="datetime64[ns]", index=pd.Index([], name="rep", dtype=object))
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts).groupby(level=0).min().rename_axis("rep")


def _first_seen(dataset: Dataset, names: list[str]) -> pd.Series:
    """Earliest date on which each rep appears in any of the sources ``names``."""

    parts = []
    for s in (dataset.sources[n] for n in names):
        if "rep" not in s.frame.columns or not len(s.frame):
            continue
        found = s.codes("rep") if hasattr(s, "codes") else None
        if found is None:
            parts.append(s.frame[["rep", "date"]].dropna())
            continue
        # Each rep's earliest date through the loader's rep codes, not a million strings.
        codes, reps = found
        dates = s.frame["date"].to_numpy(dtype="datetime64[ns]")
        known = (codes >= 0) & ~np.isnat(dates)
        earliest = pd.Series(dates[known]).groupby(codes[known]).min()
        rows = {"rep": reps[earliest.index.to_numpy()], "date": earliest.to_numpy()}
        parts.append(pd.DataFrame(rows))
    if not parts:
        return pd.Series(dtype="datetime64[ns]", index=pd.Index([], name="rep", dtype=object))
    both = pd.concat(parts, ignore_index=True)
    both["rep"] = both["rep"].astype(str)
    return both.groupby("rep")["date"].min()


def _latest_value(dataset: Dataset, level: str) -> pd.Series | None:
    """For data-derived teams: the team on each rep's most recent row."""

    parts = [
        s.frame[["rep", "date", level]].dropna()
        for s in dataset.sources.values()
        if {"rep", level} <= set(s.frame.columns) and len(s.frame)
    ]
    if not parts:
        return None
    both = pd.concat(parts, ignore_index=True).sort_values("date", kind="stable")
    both["rep"] = both["rep"].astype(str)
    return both.drop_duplicates("rep", keep="last").set_index("rep")[level]
