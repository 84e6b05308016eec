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

Additive measures (sum, count, new_customers) are 0 for an entity with no rows in a period;
the others are "no data" (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salesperf.filters import where_mask
from salesperf.spec.models import ADDITIVE_MEASURES, KpiSpec, MeasureKind, PartSpec

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

    from salesperf.dataset import Dataset
    from salesperf.org import Org
    from salesperf.periods import Calendar

COMPANY = "company"
CUBE_COLUMNS = ["kpi", "level", "entity", "p", "actual", "numerator", "denominator", "responses"]


@dataclass
class Rows:
    """One source's rows ready for aggregation: as-of filtered, with period and levels."""

    frame: pd.DataFrame
    first_p: int | None


def prepare_rows(dataset: Dataset, org: Org, calendar: Calendar, as_of: dt.date) -> dict[str, Rows]:
    """Drop rows after as-of and attach the period ordinal and roster levels to each row."""
    import pandas as pd

    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    out: dict[str, Rows] = {}
    for name, loaded in dataset.sources.items():
        frame = loaded.frame
        frame = frame.loc[frame["date"].notna() & (frame["date"] < cutoff)].copy()
        frame["p"] = calendar.ordinals(frame["date"]).astype("int64")
        if "rep" in frame.columns:
            frame["rep"] = frame["rep"].astype("string")
        for level in org.levels:
            if org.origin == "roster" and "rep" in frame.columns:
                mapping = org.members[level]
                frame[level] = frame["rep"].map(mapping).astype("string")
            elif level not in frame.columns:
                frame[level] = pd.Series(pd.NA, index=frame.index, dtype="string")
            else:
                frame[level] = frame[level].astype("string")
        frame[COMPANY] = COMPANY
        first = int(frame["p"].min()) if len(frame) else None
        out[name] = Rows(frame, first)
    return out


def compute_actuals(
    kpis: list[KpiSpec], rows: dict[str, Rows], org: Org, calendar: Calendar, last_p: int
) -> pd.DataFrame:
    """The actuals cube for ``kpis`` (see module docstring)."""
    import pandas as pd

    parts = []
    for kpi in kpis:
        source_rows = rows[kpi.source]
        first_p = source_rows.first_p if source_rows.first_p is not None else last_p
        first_p = min(first_p, last_p)
        for level in ["rep", *org.levels, COMPANY]:
            if level == "rep" and "rep" not in source_rows.frame.columns:
                continue
            values = _kpi_values(kpi, source_rows.frame, level)
            universe = _universe(level, org, source_rows.frame, calendar, first_p, last_p)
            values = values.reindex(universe.union(values.index))
            values = values[values.index.get_level_values("p") <= last_p]
            values = values[values.index.get_level_values("p") >= first_p]
            values = _fill(kpi, values)
            values = values.reset_index().rename(columns={"key": "entity"})
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
    values["responses"] = values["responses"].fillna(0).astype("int64")
    return values


def _universe(
    level: str, org: Org, frame: pd.DataFrame, calendar: Calendar, first_p: int, last_p: int
) -> pd.MultiIndex:
    """Entities that must appear even without rows: roster reps while employed, all teams."""
    import numpy as np
    import pandas as pd

    periods = np.arange(first_p, last_p + 1, dtype="int64")
    if level == COMPANY:
        return pd.MultiIndex.from_product([[COMPANY], periods], names=["key", "p"])
    if level == "rep":
        members = org.members
        if members.empty:
            return pd.MultiIndex.from_arrays([[], []], names=["key", "p"])
        start = members["start"].map(
            lambda d: calendar.ordinal_of(d.date()) if not pd.isna(d) else first_p
        )
        end = members["end"].map(
            lambda d: calendar.ordinal_of(d.date()) if not pd.isna(d) else last_p
        )
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


def _group(frame: pd.DataFrame, level: str) -> Any:
    return frame.groupby([frame[level].rename("key"), frame["p"]], observed=True, sort=True)


def _part(
    part_measure: MeasureKind, column: str | None, frame: pd.DataFrame, level: str
) -> pd.Series:
    """An additive building block: sum, count, count_distinct or new_customers."""
    if part_measure is MeasureKind.NEW_CUSTOMERS:
        firsts = frame.dropna(subset=["customer"]).sort_values(["date"], kind="stable")
        firsts = firsts.drop_duplicates("customer", keep="first")
        return _group(firsts, level).size().astype("float64")
    grouped = _group(frame, level)
    if part_measure is MeasureKind.SUM:
        return grouped[column].sum(min_count=0).astype("float64")
    if part_measure is MeasureKind.COUNT:
        return grouped.size().astype("float64")
    if part_measure is MeasureKind.COUNT_DISTINCT:
        return grouped[column].nunique().astype("float64")
    raise ValueError(f"not a part measure: {part_measure}")


def _kpi_values(kpi: KpiSpec, frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """actual / numerator / denominator / responses per (key, p) for one level."""
    import numpy as np
    import pandas as pd

    # Grouping drops rows whose level is missing (a rep not on the roster has no team), but
    # filters and "first-ever row" logic see every row.
    filtered = frame.loc[where_mask(frame, kpi.where)] if kpi.where else frame
    measure = kpi.measure
    out = pd.DataFrame(columns=["actual", "numerator", "denominator", "responses"], dtype="float64")
    if measure in (
        MeasureKind.SUM,
        MeasureKind.COUNT,
        MeasureKind.COUNT_DISTINCT,
        MeasureKind.NEW_CUSTOMERS,
    ):
        value = _part(measure, kpi.column, filtered, level)
        responses = _group(filtered, level).size()
        out = pd.DataFrame({"actual": value, "numerator": value, "responses": responses})
        out["denominator"] = np.nan
    elif measure is MeasureKind.MEAN:
        grouped = _group(filtered, level)[kpi.column]
        total = grouped.sum(min_count=1)
        count = grouped.count()
        out = pd.DataFrame({"numerator": total, "denominator": count.astype("float64")})
        out["actual"] = out["numerator"] / out["denominator"].where(out["denominator"] > 0)
        out["responses"] = count
    elif measure is MeasureKind.MEDIAN:
        grouped = _group(filtered, level)[kpi.column]
        out = pd.DataFrame({"actual": grouped.median(), "responses": grouped.count()})
        out["numerator"] = np.nan
        out["denominator"] = np.nan
    elif measure is MeasureKind.RATIO:
        num = _ratio_part(kpi.numerator, frame, level)
        den = _ratio_part(kpi.denominator, frame, level)
        out = pd.concat({"numerator": num, "denominator": den}, axis=1).fillna(0.0)
        out["actual"] = out["numerator"] / out["denominator"].where(out["denominator"] > 0)
        out["responses"] = out["denominator"]
    elif measure is MeasureKind.RETENTION_RATE:
        out = _retention(filtered, level)
    elif measure is MeasureKind.NPS:
        out = _nps(filtered, str(kpi.column), level)
    out.index = out.index.set_names(["key", "p"])
    return out[["actual", "numerator", "denominator", "responses"]]


def _ratio_part(part: PartSpec | None, frame: pd.DataFrame, level: str) -> pd.Series:
    assert part is not None  # guaranteed by the spec rules
    filtered = frame.loc[where_mask(frame, part.where)] if part.where else frame
    return _part(part.measure, part.column, filtered, level)


def _nps(frame: pd.DataFrame, column: str, level: str) -> pd.DataFrame:
    """Net Promoter Score: promoters (9-10) minus detractors (0-6) over every 0-10 answer.

    Pooled like a ratio (numerator = promoters - detractors, denominator = answers), so a
    team's NPS counts each of its customers' answers once, never an average of rep NPS.
    """
    import pandas as pd

    answered = frame.loc[frame[column].notna()]
    score = answered[column].astype("float64")
    net = (score >= 9).astype("float64") - (score <= 6).astype("float64")
    grouped = _group(answered.assign(_net=net), level)["_net"]
    out = pd.DataFrame(
        {"numerator": grouped.sum().astype("float64"), "denominator": grouped.size()}
    )
    out["denominator"] = out["denominator"].astype("float64")
    out["actual"] = out["numerator"] / out["denominator"]
    out["responses"] = out["denominator"]
    return out


def _retention(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """Share of the previous period's customers served again in this period."""
    import pandas as pd

    pairs = frame.dropna(subset=["customer", level])[[level, "p", "customer"]].drop_duplicates()
    pairs = pairs.rename(columns={level: "key"})
    base = pairs.assign(p=pairs["p"] + 1)  # last period's customers, seen from this period
    merged = base.merge(pairs, on=["key", "p", "customer"], how="left", indicator=True)
    merged["retained"] = merged["_merge"].eq("both")
    grouped = merged.groupby(["key", "p"], observed=True)
    out = pd.DataFrame(
        {
            "numerator": grouped["retained"].sum().astype("float64"),
            "denominator": grouped.size().astype("float64"),
        }
    )
    out["actual"] = out["numerator"] / out["denominator"]
    out["responses"] = out["denominator"]
    return out
