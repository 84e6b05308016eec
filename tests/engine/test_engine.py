"""The KPI engine on a tiny hand-computed fixture.

Team T1: reps A, B and D (D joins 2017-06-16); team T2: rep C. Rep X sells but is not on
the roster. Orders (amount):

    2016-06: A 100 + 50, B 50, C 100             -> company 300, T1 200, T2 100
    2017-05: A 100
    2017-06 (to the 15th): A 80, B 40, C 200, X 10; (A 999 on the 20th, after as-of)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from salesperf.review import Review
from tests.engine_helpers import dataset, frame, spec_from

SPEC = """
version: 1
period: month
sources:
  orders:
    path: orders.csv
    columns: {date: d, rep: r, amount: a, customer: c}
  pipeline:
    path: pipe.csv
    columns: {date: d, rep: r, stage: s}
org:
  path: roster.csv
  columns: {rep: rep, name: name, team: team, start_date: start}
  levels: [team]
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
    weight: 50
    target: {method: last_year, growth: 0.1, allocate: history_share}
  - id: orders
    name: Orders
    source: orders
    measure: count
    unit: count
    target: {method: trailing_mean, periods: 2}
  - id: customers
    name: Active customers
    source: orders
    measure: count_distinct
    column: customer
  - id: new_customers
    name: New customers
    source: orders
    measure: new_customers
  - id: retention
    name: Retention
    source: orders
    measure: retention_rate
  - id: avg_order
    name: Average order
    source: orders
    measure: mean
    column: amount
  - id: win_rate
    name: Win rate
    source: pipeline
    measure: ratio
    numerator: {measure: count, where: {stage: Won}}
    denominator: {measure: count, where: {stage: [Won, Lost]}}
    unit: percent
    weight: 50
    target: {method: fixed, value: 0.5}
"""

ORDERS = frame(
    [
        ("2016-06-10", "A", 100.0, "c1"),
        ("2016-06-20", "A", 50.0, "c2"),
        ("2016-06-15", "B", 50.0, "c3"),
        ("2016-06-01", "C", 100.0, "c4"),
        ("2017-05-03", "A", 100.0, "c1"),
        ("2017-06-05", "A", 80.0, "c1"),
        ("2017-06-10", "B", 40.0, "c5"),
        ("2017-06-12", "C", 200.0, "c4"),
        ("2017-06-02", "X", 10.0, "c1"),
        ("2017-06-20", "A", 999.0, "c9"),
    ],
    ["date", "rep", "amount", "customer"],
)
PIPELINE = frame(
    [
        ("2017-06-01", "A", "Won"),
        ("2017-06-02", "A", "Lost"),
        ("2017-06-03", "A", "Lost"),
        ("2017-06-04", "B", "Won"),
        ("2017-06-05", "C", "Open"),
        ("2017-06-06", "C", "Won"),
        ("2017-06-07", "C", "Won"),
    ],
    ["date", "rep", "stage"],
)
ROSTER = frame(
    [
        ("A", "Ann", "T1", "2015-01-01"),
        ("B", "Bob", "T1", "2015-01-01"),
        ("C", "Cai", "T2", "2015-01-01"),
        ("D", "Dee", "T1", "2017-06-16"),
    ],
    ["rep", "name", "team", "start_date"],
)


@pytest.fixture(scope="module")
def results():
    spec = spec_from(SPEC)
    data = dataset(spec, {"orders": ORDERS, "pipeline": PIPELINE}, ROSTER)
    return Review(spec, as_of=dt.date(2017, 6, 15), dataset=data).results


def row(results, kpi: str, level: str, entity: str) -> pd.Series:
    table = results.table
    match = table[(table.kpi == kpi) & (table.level == level) & (table.entity == entity)]
    assert len(match) == 1, (kpi, level, entity, match)
    return match.iloc[0]


def test_period_defaults_to_as_of(results) -> None:
    assert results.period.label == "2017-06"
    assert results.as_of == dt.date(2017, 6, 15)


def test_revenue_actuals_roll_up_from_rows(results) -> None:
    # June to the 15th: A 80, B 40, C 200, X 10 (the 999 on the 20th is after as-of).
    assert row(results, "revenue", "rep", "A").actual == 80
    assert row(results, "revenue", "team", "T1").actual == 120  # A 80 + B 40 (+ D 0)
    assert row(results, "revenue", "team", "T2").actual == 200
    assert row(results, "revenue", "company", "company").actual == 330  # X counts here
    assert row(results, "revenue", "rep", "D").actual == 0  # on the roster, no rows


def test_revenue_top_down_allocation(results) -> None:
    # Company: 300 last June x 1.1 = 330. Teams by last June's share: T1 200/300, T2 100/300.
    assert row(results, "revenue", "company", "company").target == 330
    assert row(results, "revenue", "team", "T1").target == 220
    assert row(results, "revenue", "team", "T2").target == 110
    # T1's reps: A 150, B 50; D is new: median(150, 50) = 100 x 15/30 days employed = 50.
    # Weights 150:50:50 of 220 -> 132, 44, 44.
    assert row(results, "revenue", "rep", "A").target == 132
    assert row(results, "revenue", "rep", "B").target == 44
    assert row(results, "revenue", "rep", "D").target == 44
    assert "new" in row(results, "revenue", "rep", "D").note
    assert row(results, "revenue", "rep", "C").target == 110
    assert pd.isna(row(results, "revenue", "rep", "X").target)  # not on the roster


def test_pacing_and_status(results) -> None:
    a = row(results, "revenue", "rep", "A")
    # 15 of 30 days elapsed: expected 132 x 0.5 = 66; pace 80 / 66; projected 80 / 0.5.
    assert a.elapsed == pytest.approx(0.5)
    assert a.expected_to_date == pytest.approx(66)
    assert a.pace == pytest.approx(80 / 66)
    assert a.attainment == pytest.approx(80 / 132)
    assert a.projected == pytest.approx(160)
    assert a.gap == pytest.approx(80 - 132)
    assert a.status == "on_track"
    assert row(results, "revenue", "rep", "D").status == "behind"
    assert row(results, "revenue", "rep", "X").status == "no_target"


def test_count_trailing_mean_bottom_up(results) -> None:
    # Orders in the two previous months: A: May 1, April 0 -> mean 0.5 -> 1 (counts are
    # whole, half away from zero).
    # B has no row in April or May and no start_date: no target (a roster row without
    # history is as likely a manager or a leaver as a rep), and the basis says which rule.
    # Team T1 = sum of the reps that have one (A, and D the new joiner).
    a = row(results, "orders", "rep", "A")
    assert a.target == 1
    b = row(results, "orders", "rep", "B")
    assert pd.isna(b.target) and b.status == "no_target"
    assert b.target_basis["rule"].startswith("no rows in the look-back")
    assert row(results, "orders", "team", "T1").target == pytest.approx(
        sum(row(results, "orders", "rep", r).target for r in ("A", "D"))
    )
    assert row(results, "orders", "rep", "A").actual == 1


def test_count_distinct_is_not_a_sum(results) -> None:
    # c1 was bought by A and by X in June: counted once for the company.
    assert row(results, "customers", "company", "company").actual == 3  # c1, c5, c4
    assert row(results, "customers", "rep", "A").actual == 1
    assert row(results, "customers", "team", "T1").actual == 2  # c1 (A), c5 (B)


def test_new_customers_credit_first_row(results) -> None:
    # c5 is the only customer whose first-ever row is in June 2017 (by B); c9 is after as-of.
    assert row(results, "new_customers", "company", "company").actual == 1
    assert row(results, "new_customers", "rep", "B").actual == 1
    assert row(results, "new_customers", "rep", "A").actual == 0


def test_retention(results) -> None:
    # Company May customers: {c1}; June: c1 again -> 1/1.
    r = row(results, "retention", "company", "company")
    assert (r.numerator, r.denominator, r.actual) == (1, 1, 1.0)
    # A served c1 in May and June -> 1.0; B served nobody in May -> no data.
    assert row(results, "retention", "rep", "A").actual == 1.0
    assert pd.isna(row(results, "retention", "rep", "B").actual)
    assert row(results, "retention", "rep", "B").status == "no_data"


def test_mean_pools_rows(results) -> None:
    # T1 June: 80 and 40 -> 60 (not a mean of rep means); company: 80, 40, 200, 10 -> 82.5.
    assert row(results, "avg_order", "team", "T1").actual == pytest.approx(60)
    assert row(results, "avg_order", "company", "company").actual == pytest.approx(82.5)
    assert pd.isna(row(results, "avg_order", "rep", "D").actual)


def test_ratio_pools_numerator_and_denominator(results) -> None:
    # A: 1 won of 3 closed; B: 1 of 1; C: 2 of 2 (Open excluded).
    assert row(results, "win_rate", "rep", "A").actual == pytest.approx(1 / 3)
    # T1 = (1 + 1) / (3 + 1) = 0.5, not mean(1/3, 1) = 0.667.
    t1 = row(results, "win_rate", "team", "T1")
    assert (t1.numerator, t1.denominator) == (2, 4)
    assert t1.actual == pytest.approx(0.5)
    company = row(results, "win_rate", "company", "company")
    assert company.actual == pytest.approx(4 / 6)
    # Fixed 0.5 applies to every entity; ratios are not paced by the calendar.
    assert company.target == 0.5
    assert company.expected_to_date == 0.5
    assert company.pace == pytest.approx((4 / 6) / 0.5)
    assert row(results, "win_rate", "rep", "A").status == "behind"


def test_every_roster_rep_appears(results) -> None:
    reps = set(results.table.loc[results.table.level == "rep", "entity"])
    assert {"A", "B", "C", "D", "X"} <= reps


def test_json_shape(results) -> None:
    data = results.to_dict()
    assert data["schema"] == "salesperf.results/1"
    assert data["period"] == "2017-06"
    assert data["as_of"] == "2017-06-15"
    first = data["rows"][0]
    for key in (
        "kpi",
        "level",
        "entity",
        "period",
        "actual",
        "target",
        "attainment",
        "expected_to_date",
        "pace",
        "projected",
        "status",
    ):
        assert key in first


def test_reps_missing_from_the_roster_get_no_fixed_target(results) -> None:
    # X sells but is not on the roster: nobody set X a target, fixed or allocated.
    assert pd.isna(row(results, "win_rate", "rep", "X").target)
    assert row(results, "win_rate", "rep", "A").target == 0.5
