"""Target methods, allocation rules and pacing modes, each on a hand-computed series."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from salesperf.engine.pacing import workday_share
from salesperf.engine.targets import largest_remainder, rounding_step
from salesperf.periods import Calendar
from salesperf.review import Review
from salesperf.spec.models import Grain, Unit
from tests.engine_helpers import dataset, frame, spec_from
from tests.specs import kpi_item, orders_spec, revenue


def targets_spec(target: str, *, pacing: str = "calendar", holidays: str = "", **options):
    """Revenue (a currency) with this target and pacing mode; see tests/specs.py."""
    return orders_spec(
        revenue(target, unit="currency"), top=f"pacing: {pacing}\n{holidays}", **options
    )


def run(target: str, rows, as_of, *, pacing="calendar", holidays="", period=None, roster=None):
    spec = spec_from(targets_spec(target, pacing=pacing, holidays=holidays))
    orders = frame(rows, ["date", "rep", "amount"])
    data = dataset(spec, {"orders": orders}, roster)
    return Review(spec, as_of=as_of, period=period, dataset=data).results.table


def pick(table: pd.DataFrame, level: str, entity: str) -> pd.Series:
    return table[(table.level == level) & (table.entity == entity)].iloc[0]


def monthly(values: dict[str, float], rep: str = "A") -> list[tuple[str, str, float]]:
    # Dated the 1st: the data covers each month whole (a first row on the 15th would make
    # the first month a partly covered period, left out of every basis).
    return [(f"{month}-01", rep, value) for month, value in values.items()]


def test_seasonal_index_restores_the_peak() -> None:
    # Two years (2015-06 .. 2017-05) of 100 a month except 200 every June. Year mean 108.33,
    # so June's index is 200 / 108.33 = 1.846 and every other month's 100 / 108.33 = 0.923.
    # Trailing 3 (Mar-May 2017): 100 / 0.923 = 108.33 each; x 1.846 = 200.
    months = pd.period_range("2015-06", "2017-05", freq="M")
    values = {str(m): (200.0 if m.month == 6 else 100.0) for m in months}
    table = run("{method: seasonal, periods: 3}", monthly(values), dt.date(2017, 6, 30))
    company = pick(table, "company", "company")
    assert company.target == 200
    assert company.target_basis == {"sum_of": "rep"}
    rep = pick(table, "rep", "A")
    assert rep.target == 200
    assert rep.target_basis["seasonal_factor"] == pytest.approx(200 / (1300 / 12), abs=1e-6)


def test_seasonal_without_two_years_falls_back() -> None:
    values = {"2017-03": 90.0, "2017-04": 100.0, "2017-05": 110.0}
    spec_rows = monthly(values)
    spec = spec_from(targets_spec("{method: seasonal, periods: 3}"))
    results = Review(
        spec,
        as_of=dt.date(2017, 6, 30),
        dataset=dataset(spec, {"orders": frame(spec_rows, ["date", "rep", "amount"])}),
    ).results
    rep = results.table[results.table.level == "rep"].iloc[0]
    assert rep.target == 100  # trailing mean of 90, 100, 110
    assert rep.target_method == "trailing_mean"
    assert any("seasonal needs 2 whole years" in f.message for f in results.findings)


def test_trailing_median_with_growth() -> None:
    # Median of 10, 50, 20 is 20; x 1.1 = 22 (small amounts keep cents).
    values = {"2017-03": 10.0, "2017-04": 50.0, "2017-05": 20.0}
    table = run(
        "{method: trailing_median, periods: 3, growth: 0.1}", monthly(values), dt.date(2017, 6, 30)
    )
    assert pick(table, "rep", "A").target == pytest.approx(22)


def test_clamps() -> None:
    values = {"2016-06": 1000.0}
    table = run("{method: last_year, max: 900}", monthly(values), dt.date(2017, 6, 30))
    assert pick(table, "rep", "A").target == 900


def test_fixed_at_team_level_split_equally_and_summed_up() -> None:
    roster = frame([("A", "T1"), ("B", "T1"), ("C", "T2")], ["rep", "team"])
    spec = spec_from(
        targets_spec(
            "{method: fixed, value: 1001, level: team, allocate: equal}", org="rep: rep, team: team"
        )
    )
    rows = frame([("2017-06-01", "A", 10.0)], ["date", "rep", "amount"])
    table = Review(
        spec, as_of=dt.date(2017, 6, 30), dataset=dataset(spec, {"orders": rows}, roster)
    ).results.table
    assert pick(table, "team", "T1").target == 1001
    assert pick(table, "team", "T2").target == 1001
    assert pick(table, "company", "company").target == 2002  # sum of the teams
    # 1001 split equally over A and B: 500.5 each in whole units -> 501 + 500 (ties go
    # to the first in key order).
    assert (pick(table, "rep", "A").target, pick(table, "rep", "B").target) == (501, 500)
    assert pick(table, "rep", "C").target == 1001


def test_leaver_gets_no_target_and_partial_month_is_prorated() -> None:
    # A left on 2017-06-10: 10 of 30 days employed. B left before June: no June target.
    roster = frame(
        [
            ("A", "T1", "2010-01-01", "2017-06-10"),
            ("B", "T1", "2010-01-01", "2017-05-20"),
            ("C", "T1", "2010-01-01", None),
        ],
        ["rep", "team", "start_date", "end_date"],
    )
    spec = spec_from(
        targets_spec(
            "{method: last_year}",
            org="rep: rep, team: team, start_date: start_date, end_date: end_date",
        )
    )
    rows = frame(
        [("2016-06-01", "A", 300.0), ("2016-06-02", "B", 300.0), ("2016-06-03", "C", 300.0)],
        ["date", "rep", "amount"],
    )
    table = Review(
        spec, as_of=dt.date(2017, 6, 30), dataset=dataset(spec, {"orders": rows}, roster)
    ).results.table
    assert pick(table, "rep", "A").target == 100  # 300 x 10/30
    assert "B" not in set(table[table.level == "rep"].entity)  # left before June
    assert pick(table, "rep", "C").target == 300
    assert pick(table, "team", "T1").target == 400


def test_workdays_pacing() -> None:
    # June 2017 has 22 weekdays; to Friday the 9th, 7 of them (1, 2, 5, 6, 7, 8, 9).
    spec = spec_from(targets_spec("{method: fixed, value: 1}", pacing="workdays"))
    june = Calendar(Grain.MONTH).parse("2017-06")
    assert workday_share(spec, june, dt.date(2017, 6, 9)) == pytest.approx(7 / 22)
    # A holiday on Monday the 5th removes one day from both; a working Saturday (the 3rd)
    # adds one to both.
    spec = spec_from(
        targets_spec(
            "{method: fixed, value: 1}",
            pacing="workdays",
            holidays="holidays: [2017-06-05]\nworkdays: [2017-06-03]",
        )
    )
    assert workday_share(spec, june, dt.date(2017, 6, 9)) == pytest.approx(7 / 22)
    assert workday_share(spec, june, dt.date(2017, 6, 3)) == pytest.approx(3 / 22)


def test_seasonal_pacing_learns_end_of_month_push() -> None:
    # Every month of the past year: 10 on the 5th, 90 on the 28th. Half-way through June
    # the company has usually done 10% of the month, so 10% is "on pace".
    rows = []
    for month in pd.period_range("2016-06", "2017-05", freq="M"):
        rows += [(f"{month}-05", "A", 10.0), (f"{month}-28", "A", 90.0)]
    rows.append(("2017-06-05", "A", 10.0))
    table = run(
        "{method: trailing_mean, periods: 12}", rows, dt.date(2017, 6, 15), pacing="seasonal"
    )
    company = pick(table, "company", "company")
    assert company.elapsed == pytest.approx(0.1)
    assert company.target == 100
    assert company.expected_to_date == pytest.approx(10)
    assert company.pace == pytest.approx(1.0)
    assert company.projected == pytest.approx(100)


def test_rounding_rules() -> None:
    assert rounding_step(Unit.CURRENCY, 12_345.6) == 1
    assert rounding_step(Unit.CURRENCY, 42.5) == 0.01
    assert largest_remainder(100, [1, 1, 1], 1.0) == [34.0, 33.0, 33.0]
    assert largest_remainder(10, [0, 0], 1.0) == [5.0, 5.0]  # no history: equal split


def test_count_distinct_trailing_mean_is_a_plain_mean() -> None:
    # Distinct customers per month: March 2 (c1, c2), April 1 (c1), May 3 -> mean 2.
    customers = kpi_item(
        "customers",
        "Customers",
        "count_distinct",
        column="customer",
        weight=100,
        target="{method: trailing_mean, periods: 3}",
    )
    spec = spec_from(orders_spec(customers, columns="date: d, rep: r, customer: c"))
    rows = frame(
        [
            ("2017-03-01", "A", "c1"),
            ("2017-03-02", "A", "c2"),
            ("2017-04-01", "A", "c1"),
            ("2017-05-01", "A", "c1"),
            ("2017-05-02", "A", "c2"),
            ("2017-05-03", "A", "c3"),
        ],
        ["date", "rep", "customer"],
    )
    table = Review(
        spec, as_of=dt.date(2017, 6, 30), dataset=dataset(spec, {"orders": rows})
    ).results.table
    assert pick(table, "rep", "A").target == pytest.approx(2)
    assert pick(table, "company", "company").target == pytest.approx(2)


def test_lower_is_better_with_zero_actual_is_on_track() -> None:
    # Returns: lower is better, fixed limit of 5 per rep. A had none, B had 10.
    returns = revenue(
        "{method: fixed, value: 5, level: rep}", unit="currency", more="direction: lower"
    )
    spec = spec_from(orders_spec(returns))
    rows = frame([("2017-06-01", "A", 0.0), ("2017-06-02", "B", 10.0)], ["date", "rep", "amount"])
    table = Review(
        spec, as_of=dt.date(2017, 6, 30), dataset=dataset(spec, {"orders": rows})
    ).results.table
    assert pick(table, "rep", "A").status == "on_track"
    b = pick(table, "rep", "B")
    assert b.attainment == pytest.approx(0.5)  # target / actual = 5 / 10
    assert b.status == "behind"


def test_seasonal_with_an_empty_season_does_not_divide_by_zero() -> None:
    # Two years where nothing sells in February: February's index is 0. It is left out of
    # the de-seasonalised mean instead of dividing by zero.
    months = pd.period_range("2015-03", "2017-02", freq="M")
    values = {str(m): (0.0 if m.month == 2 else 100.0) for m in months}
    rows = [r for r in monthly(values) if r[2] > 0]
    table = run("{method: seasonal, periods: 3}", rows, dt.date(2017, 3, 31))
    # Dec and Jan have index 12/11 (100 / mean 91.67); Feb is skipped; March's index is the
    # same 12/11, so the target is back to 100.
    assert pick(table, "rep", "A").target == pytest.approx(100)


LEVELS_SPEC = orders_spec(
    kpi_item(
        "split",
        "Split down",
        "sum",
        column="amount",
        weight=50,
        target="{method: trailing_mean, periods: 2, allocate: history_share}",
    ),
    kpi_item(
        "summed",
        "Summed up",
        "sum",
        column="amount",
        weight=50,
        target="{method: last_year, growth: 0.1}",
    ),
    kpi_item(
        "mean_amount",
        "Mean amount",
        "mean",
        column="amount",
        target="{method: trailing_median, periods: 3}",
    ),
    kpi_item(
        "fixed_team",
        "Fixed per team",
        "count",
        target="{method: fixed, value: 7, level: team, allocate: equal}",
    ),
    org="rep: rep, team: team, region: region",
    levels="[team, region]",
)


def levels_results():
    # T1's first roster row has no region: its region is the first one named (East).
    roster = frame(
        [("A", "T1", None), ("B", "T1", "East"), ("C", "T2", "East"), ("D", "T3", "West")],
        ["rep", "team", "region"],
    )
    spec = spec_from(LEVELS_SPEC)
    sales = {"A": 100.0, "B": 250.0, "C": 40.0, "D": 75.5}
    rows = [
        (f"{month}-{day:02d}", rep, amount * (1 + day / 100))
        for month in pd.period_range("2016-01", "2017-06", freq="M").astype(str)
        for day in (3, 17)
        for rep, amount in sales.items()
    ]
    orders = frame(rows, ["date", "rep", "amount"])
    data = dataset(spec, {"orders": orders}, roster)
    return Review(spec, as_of=dt.date(2017, 6, 30), dataset=data).results


def test_region_of_a_team_is_the_first_named_in_the_roster() -> None:
    table = levels_results().table
    summed = table[table.kpi == "summed"]
    # Bottom-up: each region is the sum of its teams, T1 (reps A and B) counting for East.
    east = pick(summed, "team", "T1").target + pick(summed, "team", "T2").target
    assert pick(summed, "region", "East").target == east
    assert pick(summed, "region", "West").target == pick(summed, "team", "T3").target


@pytest.mark.parametrize("levels", [["company"], ["company", "region"], ["team"], ["rep"]])
def test_targets_for_some_levels_are_those_of_a_full_run(levels: list[str]) -> None:
    # A trend asks for the company's targets only. Whether a company target is split down,
    # summed up from every rep, set per level or rolled up from teams, asking for fewer
    # levels must not change a number or a basis.
    from salesperf.engine.targets import compute_targets

    results = levels_results()
    args = (results.spec, results.cube, results.org, results.calendar)
    for back in range(4):
        period = results.calendar.period(results.period.ordinal - back)
        full = compute_targets(*args, period).frame
        some = compute_targets(*args, period, levels=levels).frame
        expected = full[full.level.isin(levels)].reset_index(drop=True)
        assert set(some.level) == set(levels)
        pd.testing.assert_frame_equal(some, expected)
