"""The integer-coded aggregation (salesperf.engine.aggregate) against plain pandas groupby.

The reference below is the straightforward implementation of the measure definitions (one
``groupby`` per level and period on the text columns), kept here as the oracle: on random
rows, with missing reps, teams, customers and values, both must give the same groups and
the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesperf.engine.aggregate import SourceGroups, kpi_values
from salesperf.engine.metrics import COMPANY
from salesperf.sources.filters import where_mask
from salesperf.spec.models import KpiSpec, MeasureKind, PartSpec
from tests.properties import examples

LEVELS = ["rep", "team", COMPANY]


# -- the reference: plain pandas --------------------------------------------------------------


def _group(frame: pd.DataFrame, level: str) -> Any:
    return frame.groupby([frame[level].rename("key"), frame["p"]], observed=True, sort=True)


def _part(measure: MeasureKind, column: str | None, frame: pd.DataFrame, level: str) -> pd.Series:
    if measure is MeasureKind.NEW_CUSTOMERS:
        firsts = frame.dropna(subset=["customer"]).sort_values(["date"], kind="stable")
        firsts = firsts.drop_duplicates("customer", keep="first")
        return _group(firsts, level).size().astype("float64")
    grouped = _group(frame, level)
    if measure is MeasureKind.SUM:
        return grouped[column].sum(min_count=0).astype("float64")
    if measure is MeasureKind.COUNT:
        return grouped.size().astype("float64")
    return grouped[column].nunique().astype("float64")


def reference(kpi: KpiSpec, frame: pd.DataFrame, level: str) -> pd.DataFrame:
    filtered = frame.loc[where_mask(frame, kpi.where)] if kpi.where else frame
    measure = kpi.measure
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
        if measure is MeasureKind.NEW_CUSTOMERS:  # no first row in a group: 0 (additive)
            out[["actual", "numerator"]] = out[["actual", "numerator"]].fillna(0.0)
    elif measure is MeasureKind.MEAN:
        grouped = _group(filtered, level)[kpi.column]
        count = grouped.count()
        out = pd.DataFrame({"numerator": grouped.sum(min_count=1), "denominator": count * 1.0})
        out["actual"] = out["numerator"] / out["denominator"].where(out["denominator"] > 0)
        out["responses"] = count
    elif measure is MeasureKind.MEDIAN:
        grouped = _group(filtered, level)[kpi.column]
        out = pd.DataFrame({"actual": grouped.median(), "responses": grouped.count()})
        out["numerator"] = np.nan
        out["denominator"] = np.nan
    elif measure is MeasureKind.RATIO:
        parts = {}
        for name, part in (("numerator", kpi.numerator), ("denominator", kpi.denominator)):
            assert part is not None
            rows = frame.loc[where_mask(frame, part.where)] if part.where else frame
            parts[name] = _part(part.measure, part.column, rows, level)
        out = pd.concat(parts, axis=1).fillna(0.0)
        out["actual"] = out["numerator"] / out["denominator"].where(out["denominator"] > 0)
        out["responses"] = out["denominator"]
    elif measure is MeasureKind.RETENTION_RATE:
        pairs = filtered.dropna(subset=["customer", level])[[level, "p", "customer"]]
        pairs = pairs.drop_duplicates().rename(columns={level: "key"})
        base = pairs.assign(p=pairs["p"] + 1)
        merged = base.merge(pairs, on=["key", "p", "customer"], how="left", indicator=True)
        merged["retained"] = merged["_merge"].eq("both")
        grouped = merged.groupby(["key", "p"], observed=True)
        out = pd.DataFrame(
            {"numerator": grouped["retained"].sum() * 1.0, "denominator": grouped.size() * 1.0}
        )
        out["actual"] = out["numerator"] / out["denominator"]
        out["responses"] = out["denominator"]
    else:  # NPS
        answered = filtered.loc[filtered[kpi.column].notna()]
        score = answered[kpi.column]
        net = (score >= 9).astype("float64") - (score <= 6).astype("float64")
        grouped = _group(answered.assign(_net=net), level)["_net"]
        out = pd.DataFrame({"numerator": grouped.sum() * 1.0, "denominator": grouped.size() * 1.0})
        out["actual"] = out["numerator"] / out["denominator"]
        out["responses"] = out["denominator"]
    out.index = out.index.set_names(["key", "p"])
    return out[["actual", "numerator", "denominator", "responses"]]


# -- random prepared rows ---------------------------------------------------------------------

TEAM_OF = {"A": "T1", "B": "T1", "C": "T2", "D": None}

row = st.tuples(
    st.integers(0, 40),  # day
    st.sampled_from(["A", "B", "C", "D", None]),
    st.sampled_from(["c1", "c2", "c3", "c4", "c5", None]),
    st.one_of(st.none(), st.floats(-100, 1000, allow_nan=False).map(lambda v: round(v, 2))),
    st.one_of(st.none(), st.integers(0, 10)),
    st.sampled_from(["Won", "Lost", "Open"]),
)


def prepared(rows: list[tuple]) -> pd.DataFrame:
    """Rows as prepare_rows leaves them: date, p, rep/team/company, customer, numbers."""
    days, reps, customers, amounts, scores, stages = zip(*rows, strict=True)
    dates = pd.to_datetime("2017-01-01") + pd.to_timedelta(np.array(days) * 5, unit="D")
    frame = pd.DataFrame(
        {
            "date": dates,
            "rep": pd.array(reps, dtype="string"),
            "customer": pd.array(customers, dtype="string"),
            "amount": pd.array([np.nan if a is None else a for a in amounts], dtype="float64"),
            "score": pd.array([np.nan if s is None else s for s in scores], dtype="float64"),
            "stage": pd.array(stages, dtype="string"),
        },
        index=np.arange(len(rows)) * 3 + 7,  # like a filtered frame: not 0..n-1
    )
    frame["p"] = (frame["date"].dt.year * 12 + frame["date"].dt.month - 1).astype("int64")
    frame["team"] = frame["rep"].map(TEAM_OF).astype("string")
    frame[COMPANY] = COMPANY
    return frame


def kpi(measure: str, **fields: Any) -> KpiSpec:
    return KpiSpec(id="k", name="K", source="s", measure=MeasureKind(measure), **fields)


KPIS = [
    kpi("sum", column="amount"),
    kpi("sum", column="amount", where={"amount": {"gt": 0}}),
    kpi("count"),
    kpi("count", where={"stage": {"in": ["Won", "Lost"]}}),
    kpi("count_distinct", column="customer"),
    kpi("new_customers"),
    kpi("new_customers", where={"stage": "Won"}),
    kpi("mean", column="amount"),
    kpi("mean", column="score", where={"stage": {"ne": "Open"}}),
    kpi("median", column="amount"),
    kpi(
        "ratio",
        numerator=PartSpec(measure=MeasureKind.COUNT, where={"stage": "Won"}),
        denominator=PartSpec(measure=MeasureKind.COUNT, where={"stage": {"in": ["Won", "Lost"]}}),
    ),
    kpi(
        "ratio",
        numerator=PartSpec(measure=MeasureKind.SUM, column="amount", where={"stage": "Won"}),
        denominator=PartSpec(measure=MeasureKind.COUNT_DISTINCT, column="customer"),
    ),
    kpi("retention_rate"),
    kpi("retention_rate", where={"stage": "Won"}),
    kpi("nps", column="score"),
]


def _compare(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    expected = expected.astype("float64").sort_index()
    actual = actual.astype("float64").sort_index()
    expected.index = expected.index.set_levels(expected.index.levels[0].astype(object), level=0)
    assert list(actual.index) == list(expected.index)
    np.testing.assert_allclose(actual.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-9)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=80))
def test_every_measure_matches_plain_pandas_groupby(rows: list[tuple]) -> None:
    frame = prepared(rows)
    plain = SourceGroups(frame)
    # Team codes taken from the rep codes through the roster, as compute_actuals does.
    from_roster = SourceGroups(frame, {"team": pd.Series(TEAM_OF, dtype=object)})
    for spec in KPIS:
        for level in LEVELS:
            expected = reference(spec, frame, level)
            _compare(expected, kpi_values(spec, plain, level))
            _compare(expected, kpi_values(spec, from_roster, level))


@pytest.mark.parametrize("spec", KPIS, ids=lambda k: f"{k.measure.value}")
def test_no_rows(spec: KpiSpec) -> None:
    frame = prepared([(0, "A", "c1", 1.0, 5, "Won")]).iloc[:0]
    for level in LEVELS:
        assert kpi_values(spec, SourceGroups(frame), level).empty


def test_retention_by_hand() -> None:
    # Rep A serves c1, c2 in January and c1, c3 in February: 1 of 2 retained (0.5). February's
    # customers are seen again from March (the period after the data), where none came back.
    rows = [(0, "A", "c1", 1, 9, "Won"), (1, "A", "c2", 1, 9, "Won")]
    rows += [(7, "A", "c1", 1, 9, "Won"), (8, "A", "c3", 1, 9, "Won")]
    values = kpi_values(kpi("retention_rate"), SourceGroups(prepared(rows)), "rep")
    assert values.loc[("A", 2017 * 12 + 1), "actual"] == 0.5
    assert values.loc[("A", 2017 * 12 + 2), "actual"] == 0.0
    assert ("A", 2017 * 12) not in values.index  # nobody to retain in the first month
