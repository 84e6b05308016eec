"""Invariants of the engine on random data (hypothesis)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesperf.engine.attainment import compute_attainment
from salesperf.engine.target_roster import UNASSIGNED
from salesperf.engine.targets import largest_remainder
from salesperf.review import Review
from tests.engine_helpers import dataset, frame, spec_from
from tests.properties import examples
from tests.specs import kpi_item, orders_spec, revenue

REPS = ["A", "B", "C", "D", "E"]
TEAMS = {"A": "T1", "B": "T1", "C": "T2", "D": "T2", "E": "T3"}


def properties_spec(method: str, allocate: str) -> str:
    """Revenue (currency) with this method and allocation, and orders; reps, teams, regions."""
    return orders_spec(
        revenue(
            f"{{method: {method}, growth: 0.07, periods: 3, allocate: {allocate}}}", unit="currency"
        ),
        kpi_item("orders", "Orders", "count", target="{method: trailing_mean, periods: 2}"),
        columns="date: d, rep: r, amount: a, customer: c",
        org="rep: rep, team: team, region: region, start_date: start_date",
        levels="[team, region]",
    )


rows_strategy = st.lists(
    st.tuples(
        st.dates(min_value=dt.date(2016, 1, 1), max_value=dt.date(2017, 6, 30)),
        st.sampled_from([*REPS, "Z"]),  # Z is not on the roster
        st.floats(min_value=-500, max_value=50_000, allow_nan=False).map(lambda v: round(v, 2)),
        st.sampled_from(["c1", "c2", "c3", "c4"]),
    ),
    min_size=1,
    max_size=60,
)


def _roster(extra_rep: bool = True) -> pd.DataFrame:
    """The roster; NEW starts on 2017-06-01 (a new joiner)."""
    reps = [*REPS, "NEW"] if extra_rep else REPS
    rows = [
        (
            r,
            TEAMS.get(r, "T1"),
            "North" if TEAMS.get(r, "T1") != "T3" else "South",
            "2017-06-01" if r == "NEW" else None,
        )
        for r in reps
    ]
    out = frame(rows, ["rep", "team", "region", "start_date"])
    out["start_date"] = pd.to_datetime(out["start_date"])
    return out


def _results(rows, method="last_year", allocate="history_share", as_of=dt.date(2017, 6, 20)):
    spec = spec_from(properties_spec(method, allocate))
    orders = frame(
        [(d.isoformat(), r, a, c) for d, r, a, c in rows], ["date", "rep", "amount", "customer"]
    )
    return Review(
        spec, as_of=as_of, period="2017-06", dataset=dataset(spec, {"orders": orders}, _roster())
    ).results


def _by(table: pd.DataFrame, kpi: str, level: str) -> pd.DataFrame:
    return table[(table.kpi == kpi) & (table.level == level)].set_index("entity")


SETTINGS = settings(
    max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(rows_strategy)
def test_additive_actuals_roll_up(rows) -> None:
    table = _results(rows).table
    for kpi in ("revenue", "orders"):
        reps = _by(table, kpi, "rep")
        teams = _by(table, kpi, "team")
        company = _by(table, kpi, "company").loc["company", "actual"]
        assert math.isclose(reps["actual"].sum(), company, abs_tol=1e-6)
        # The regions and the share no roster rep carries make up the company exactly.
        top = _by(table, kpi, "region")["actual"].sum()
        if UNASSIGNED not in _by(table, kpi, "region").index:
            top += reps.loc[reps["parent"].isna(), "actual"].sum()  # nothing sold off roster
        assert math.isclose(top, company, abs_tol=1e-6)
        for team, value in teams["actual"].items():
            members = reps[reps["parent"] == team]["actual"].sum()
            assert math.isclose(members, value, abs_tol=1e-6)
        regions = _by(table, kpi, "region").drop(index=UNASSIGNED, errors="ignore")
        for region, value in regions["actual"].items():
            assert math.isclose(
                teams[teams["parent"] == region]["actual"].sum(), value, abs_tol=1e-6
            )


@SETTINGS
@given(
    rows_strategy,
    st.sampled_from(["last_year", "trailing_mean", "trailing_median"]),
    st.sampled_from(["history_share", "equal"]),
)
def test_allocated_targets_sum_exactly(rows, method, allocate) -> None:
    table = _results(rows, method, allocate).table
    company = _by(table, "revenue", "company")
    if pd.isna(company.loc["company", "target"]):
        return  # no company history: no targets to split
    regions = _by(table, "revenue", "region")
    teams = _by(table, "revenue", "team")
    reps = _by(table, "revenue", "rep")
    # Exact, not approx, the unassigned share (rep Z is not on the roster) included.
    assert regions["target"].sum() == company.loc["company", "target"]
    for region, value in regions["target"].drop(index=UNASSIGNED, errors="ignore").items():
        total = teams[teams["parent"] == region]["target"].sum(min_count=1)
        assert total == value or (pd.isna(total) and pd.isna(value))
    for team, value in teams["target"].items():
        total = reps[reps["parent"] == team]["target"].sum(min_count=1)
        assert total == value or (pd.isna(total) and pd.isna(value))
    # The new joiner (no history at all) never gets zero when their team's target has
    # enough units to go round (>= 1 currency unit = 100 cents for three reps).
    new = reps.loc["NEW"]
    if teams.loc["T1", "target"] >= 1:
        assert new["target"] > 0


@SETTINGS
@given(rows_strategy)
def test_bottom_up_parents_are_sums(rows) -> None:
    table = _results(rows).table
    reps = _by(table, "orders", "rep")
    teams = _by(table, "orders", "team")
    for team, value in teams["target"].items():
        total = reps[reps["parent"] == team]["target"].sum(min_count=1)
        if pd.isna(total):  # no rep of the team has history: neither has the team
            assert pd.isna(value)
        else:
            assert math.isclose(total, value, abs_tol=1e-9)


@SETTINGS
@given(rows_strategy)
def test_roster_reps_never_disappear(rows) -> None:
    table = _results(rows).table
    for kpi in ("revenue", "orders"):
        assert set(REPS) | {"NEW"} <= set(_by(table, kpi, "rep").index)


@SETTINGS
@given(rows_strategy)
def test_pace_equals_attainment_at_period_end(rows) -> None:
    table = _results(rows, as_of=dt.date(2017, 6, 30)).table
    closed = table.dropna(subset=["pace", "attainment"])
    assert (closed["elapsed"] == 1.0).all()
    assert (closed["pace"] - closed["attainment"]).abs().max() < 1e-9 if len(closed) else True


@SETTINGS
@given(
    st.floats(min_value=0.01, max_value=1e6),
    st.floats(min_value=1, max_value=1e6),
    st.floats(min_value=1e-3, max_value=1e3),
    st.floats(min_value=0, max_value=1),
)
def test_attainment_is_scale_invariant(actual, target, scale, share) -> None:
    spec = spec_from(properties_spec("last_year", "equal"))

    def run(k: float) -> pd.Series:
        actuals = pd.DataFrame(
            {
                "kpi": ["revenue"],
                "level": ["rep"],
                "entity": ["A"],
                "actual": [actual * k],
                "numerator": [actual * k],
                "denominator": [float("nan")],
                "responses": [1],
            }
        )
        targets = pd.DataFrame(
            {
                "kpi": ["revenue"],
                "level": ["rep"],
                "entity": ["A"],
                "target": [target * k],
                "target_method": ["fixed"],
                "target_basis": [None],
                "target_note": [""],
            }
        )
        return compute_attainment(spec, actuals, targets, {"revenue": share, "orders": share}).iloc[
            0
        ]

    base, scaled = run(1.0), run(scale)
    assert scaled["attainment"] == pytest.approx(base["attainment"], rel=1e-9)
    if not pd.isna(base["pace"]):
        assert scaled["pace"] == pytest.approx(base["pace"], rel=1e-9)
    assert scaled["status"] == base["status"]


@given(
    st.integers(min_value=0, max_value=10_000_000),
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=30),
)
def test_largest_remainder_is_exact(total, weights) -> None:
    parts = largest_remainder(float(total), weights, 1.0)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        ideal = total * weight / weight_sum if weight_sum > 0 else total / len(weights)
        assert abs(part - ideal) < 1 + 1e-6
