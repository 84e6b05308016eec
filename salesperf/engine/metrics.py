"""Measures: sales rows -> KPI actuals per (kpi, level, entity, period).

The result is the *actuals cube*: one row per KPI, level (rep, each roster level,
company), entity and period ordinal, for every period from the first one in the data up to
the as-of period. Every level is computed from the rows themselves, never by combining rep
values: a team's win rate is its total won over its total closed, a team's distinct
customers are counted once even if two reps served them.

Measure definitions (also in kpi.yaml.example):

- ``sum`` / ``count`` / ``count_distinct`` / ``mean`` / ``median`` of the filtered rows.
- ``ratio``: numerator / denominator, each a measure with its own ``where``; no data when
  the denominator is 0.
- ``new_customers``: customers whose first-ever row in the source (after the KPI's
  ``where``) falls in the period, credited to the rep, team... of that first row.
- ``retention_rate``: of the customers an entity served in the previous period, the share
  it served again in this period (to date, while the period is open).
- ``nps``: share of 9-10 answers minus share of 0-6 answers in a 0-10 ``column`` (-1..1).
- ``market_share``: the sum of ``column`` over the entity's market size for the period (the
  ``market:`` source's figure that the KPI's ``market:`` names; see
  :func:`salesperf.engine.market.market_sizes`); no data without a market size.

Additive measures (sum, count, new_customers) are 0 for an entity with no rows in a period;
the others are "no data" (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesperf.engine.aggregate import SourceGroups, kpi_values
from salesperf.engine.levels import COMPANY
from salesperf.engine.market import market_sizes
from salesperf.sources.parse import by_first_appearance
from salesperf.spec.models import ADDITIVE_MEASURES, KpiSpec, MeasureKind

__all__ = ["COMPANY", "CUBE_COLUMNS", "Rows", "compute_actuals", "prepare_rows"]

if TYPE_CHECKING:
    import datetime as dt

    from salesperf.engine.org import Org
    from salesperf.periods import Calendar
    from salesperf.sources.dataset import Dataset
    from salesperf.sources.market import MarketFigures

CUBE_COLUMNS = ["kpi", "level", "entity", "p", "actual", "numerator", "denominator", "responses"]


@dataclass
class Rows:
    """One source's rows ready for aggregation: as-of filtered, with period and levels."""

    frame: pd.DataFrame
    first_p: int | None
    #: Column -> (code per row of ``frame``, distinct values), as ``pd.factorize`` gives
    #: them, where the loader's codes could be reused (rep and customer).
    codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def prepare_rows(dataset: Dataset, org: Org, calendar: Calendar, as_of: dt.date) -> dict[str, Rows]:
    """Drop rows after as-of and attach the period ordinal and roster levels to each row."""

    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    out: dict[str, Rows] = {}
    for name, loaded in dataset.sources.items():
        frame = loaded.frame
        keep = (frame["date"].notna() & (frame["date"] < cutoff)).to_numpy(dtype=bool)
        everything = bool(keep.all())
        # All rows kept (as-of on the last date, the usual run): a shallow copy is enough,
        # as columns are only added or replaced (copy-on-write keeps the loaded frame intact).
        frame = frame.copy(deep=False) if everything else frame.loc[keep].copy()
        # The loader's codes of the columns rows are grouped by, for the rows kept: neither
        # the roster levels below nor aggregate.SourceGroups hash a string per row again.
        codes = {}
        loader_codes = getattr(loaded, "codes", None)  # tests pass stand-ins with a frame
        for column in ("rep", "customer"):
            found = loader_codes(column) if loader_codes is not None else None
            if found is not None and not everything:
                kept, values = by_first_appearance(found[0][keep], found[1])
                found = (kept.astype(np.int32), values)
            if found is not None:
                codes[column] = found
        frame["p"] = calendar.ordinals(frame["date"]).astype("int64")
        if "rep" in frame.columns:
            frame["rep"] = frame["rep"].astype("string")
        for level in org.levels:
            if org.origin == "roster" and "rep" in frame.columns:
                mapping = org.members[level]
                if "rep" in codes and mapping.index.is_unique:
                    # What frame["rep"].map(mapping) gives, looked up once per rep.
                    rep_codes, reps = codes["rep"]
                    per_rep = pd.array(mapping.reindex(reps).to_numpy(dtype=object), "string")
                    taken = per_rep.take(np.asarray(rep_codes), allow_fill=True)
                    frame[level] = pd.Series(taken, index=frame.index)
                else:
                    frame[level] = frame["rep"].map(mapping).astype("string")
            elif level not in frame.columns:
                frame[level] = pd.Series(pd.NA, index=frame.index, dtype="string")
            else:
                frame[level] = frame[level].astype("string")
        frame[COMPANY] = COMPANY
        first = int(frame["p"].min()) if len(frame) else None
        out[name] = Rows(frame, first, codes)
    return out


def compute_actuals(
    kpis: list[KpiSpec],
    rows: dict[str, Rows],
    org: Org,
    calendar: Calendar,
    last_p: int,
    market: MarketFigures | None = None,
) -> pd.DataFrame:
    """The actuals cube for ``kpis`` (see module docstring); ``market`` holds the market
    sizes that ``market_share`` divides by."""

    # Each source is grouped once (integer codes per level), however many KPIs read it.
    grouped: dict[str, SourceGroups] = {}
    universes: dict[tuple[str, str, int], pd.MultiIndex] = {}
    parts = []
    for kpi in kpis:
        source_rows = rows[kpi.source]
        first_p = source_rows.first_p if source_rows.first_p is not None else last_p
        first_p = min(first_p, last_p)
        if kpi.source not in grouped:
            roster = {lv: org.members[lv] for lv in org.levels} if org.origin == "roster" else {}
            grouped[kpi.source] = SourceGroups(source_rows.frame, roster, source_rows.codes)
        source = grouped[kpi.source]
        for level in ["rep", *org.levels, COMPANY]:
            if level == "rep" and "rep" not in source_rows.frame.columns:
                continue
            values = kpi_values(kpi, source, level)
            key = (kpi.source, level, first_p)
            if key not in universes:
                universes[key] = _universe(
                    level, org, source_rows.frame, calendar, first_p, last_p, kpi.source
                )
            universe = universes[key]
            if kpi.measure is MeasureKind.RETENTION_RATE and level == "rep":
                # Retention looks back one period, so it would give a rep who has left a
                # (zero) row for the period after: keep only periods they worked or sold in.
                seen = source.seen(level)
                values = values[values.index.isin(universe) | values.index.isin(seen)]
            values = values.reindex(universe.union(values.index))
            values = values[values.index.get_level_values("p") <= last_p]
            values = values[values.index.get_level_values("p") >= first_p]
            values = _fill(kpi, values)
            values = values.reset_index().rename(columns={"key": "entity"})
            if kpi.measure is MeasureKind.MARKET_SHARE:
                values = _market_share(kpi, values, level, org, market)
            values.insert(0, "level", level)
            values.insert(0, "kpi", kpi.id)
            parts.append(values)
    if not parts:
        return pd.DataFrame(columns=CUBE_COLUMNS)
    cube = pd.concat(parts, ignore_index=True)
    cube["entity"] = cube["entity"].astype(str)
    return cube[CUBE_COLUMNS]


def _fill(kpi: KpiSpec, values: pd.DataFrame) -> pd.DataFrame:
    """No rows: zero for additive measures and ratio parts, no data for the rest."""
    if kpi.measure in ADDITIVE_MEASURES:
        values["actual"] = values["actual"].fillna(0.0)
        values["numerator"] = values["numerator"].fillna(0.0)
    if kpi.measure is MeasureKind.RATIO:
        values["numerator"] = values["numerator"].fillna(0.0)
        values["denominator"] = values["denominator"].fillna(0.0)
    if kpi.measure is MeasureKind.MARKET_SHARE:
        values["numerator"] = values["numerator"].fillna(0.0)
    values["responses"] = values["responses"].fillna(0).astype("int64")
    return values


def _market_share(
    kpi: KpiSpec, values: pd.DataFrame, level: str, org: Org, market: MarketFigures | None
) -> pd.DataFrame:
    """Own sales (the numerator) over the entity's market size: no data where the market
    file has no size for the period (never a share of 0 or of infinity)."""

    sizes = market_sizes(market, str(kpi.market), level, values, org, ["rep", *org.levels, COMPANY])
    values["denominator"] = sizes.to_numpy()
    numerator = values["numerator"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        values["actual"] = np.where(sizes.to_numpy() > 0, numerator / sizes.to_numpy(), np.nan)
    return values


def _universe(
    level: str,
    org: Org,
    frame: pd.DataFrame,
    calendar: Calendar,
    first_p: int,
    last_p: int,
    source: str,
) -> pd.MultiIndex:
    """Entities that must appear even without rows: roster reps while employed (from the
    start :meth:`Org.tenure_start` gives for ``source``, else from the source's first
    period: another source's rows never change this one's history), all teams."""

    periods = np.arange(first_p, last_p + 1, dtype="int64")
    if level == COMPANY:
        return pd.MultiIndex.from_product([[COMPANY], periods], names=["key", "p"])
    if level == "rep":
        members = org.members
        if members.empty:
            return pd.MultiIndex.from_arrays([[], []], names=["key", "p"])
        start = calendar.ordinals(pd.to_datetime(org.tenure_start(source))).fillna(first_p)
        end = calendar.ordinals(pd.to_datetime(members["end"])).fillna(last_p)
        grid = pd.MultiIndex.from_product([members.index.astype(str), periods], names=["key", "p"])
        reps = grid.get_level_values("key")
        p = grid.get_level_values("p").to_numpy()
        keep = (p >= start.reindex(reps).to_numpy(dtype="int64")) & (
            p <= end.reindex(reps).to_numpy(dtype="int64")
        )
        return grid[keep]
    if org.origin == "roster" and level in org.members:
        entities = org.members[level].dropna().astype(str).unique()
    else:
        entities = frame[level].dropna().astype(str).unique()
    return pd.MultiIndex.from_product([sorted(entities), periods], names=["key", "p"])
