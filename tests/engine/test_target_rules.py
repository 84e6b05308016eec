"""Issue 13: targets you can defend on real rosters and histories.

One small fixture per case, with the expected target computed by hand (arithmetic in the
comments) at rep, team and company level, with and without ``allocate``. Rows are dated the
1st, so the data covers each month whole (case 7 is about the months it does not).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesperf.engine.allocation import largest_remainder, split_signed
from salesperf.engine.metrics import COMPANY
from salesperf.engine.target_history import History, seasonal_index
from salesperf.engine.target_roster import UNASSIGNED
from salesperf.errors import SpecError
from salesperf.periods import Calendar
from salesperf.review import Review
from salesperf.sources.dataset import roster_conflicts
from salesperf.spec.models import Grain
from tests.engine.test_engine_properties import REPS, SETTINGS, TEAMS, rows_strategy
from tests.engine_helpers import dataset, frame, spec_from

SPEC = """
version: 1
period: @GRAIN@
sources:
  orders:
    path: o.csv
    columns: {date: d, rep: r, amount: a}
  feedback:
    path: f.csv
    columns: {date: d, rep: r, score: s}
@ORG@
@TARGETS@
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
    weight: 100
    target: @TARGET@
  - id: csat
    name: Satisfaction
    source: feedback
    measure: mean
    column: score
"""


def evaluate(spec, **options):
    """The reviewed period's results (what `salesperf progress` shows)."""
    return Review(spec, **options).results


TEAM_ORG = "org:\n  path: r.csv\n  columns: {rep: rep, team: team, start_date: start_date}\n"
FLAT_ORG = "org:\n  path: r.csv\n  columns: {rep: rep, name: name}\n"


def spec_text(target: str, org: str = "", grain: str = "month", targets: str = "") -> str:
    return (
        SPEC.replace("@TARGETS@", targets)
        .replace("@TARGET@", target)
        .replace("@ORG@", org)
        .replace("@GRAIN@", grain)
    )


def run(
    target: str,
    rows: list[tuple[str, str | None, float]],
    *,
    roster: pd.DataFrame | None = None,
    org: str = "",
    feedback: list[tuple[str, str, float]] | None = None,
    as_of: dt.date = dt.date(2017, 6, 30),
    period: str | None = "2017-06",
    grain: str = "month",
    targets: str = "",
):
    spec = spec_from(spec_text(target, org, grain, targets))
    orders = frame(rows, ["date", "rep", "amount"])
    sources = {"orders": orders, "feedback": feedback_rows(feedback or [])}
    return evaluate(spec, as_of=as_of, period=period, dataset=dataset(spec, sources, roster))


def feedback_rows(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    out = frame(rows, ["date", "rep", "score"])
    return out.astype({"date": "datetime64[ns]", "score": "float64"})


def roster_of(rows: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    out = frame(rows, ["rep", "team", "start_date"])
    out["start_date"] = pd.to_datetime(out["start_date"])
    return out


def spring(rep: str, value: float, months: tuple[str, ...] = ("03", "04", "05")):
    return [(f"2017-{m}-01", rep, value) for m in months]


def target(results, level: str, entity: str, kpi: str = "revenue") -> float:
    table = results.table
    row = table[(table.kpi == kpi) & (table.level == level) & (table.entity == entity)]
    assert len(row) == 1, f"no row for {level} {entity}"
    return row.iloc[0].target


def row_of(results, level: str, entity: str, kpi: str = "revenue") -> pd.Series:
    table = results.table
    return table[(table.kpi == kpi) & (table.level == level) & (table.entity == entity)].iloc[0]


def codes(results) -> dict[str, str]:
    return {f.code: f.message for f in results.findings}


TRAILING = "{method: trailing_mean, periods: 3}"
ALLOCATED = "{method: trailing_mean, periods: 3, allocate: history_share}"


# -- case 1: a flat roster (rep -> name, no team column) ------------------------------------


def test_flat_roster_has_no_levels_and_rolls_reps_up_to_the_company() -> None:
    spec = spec_from(spec_text(TRAILING, FLAT_ORG))
    assert spec.org is not None and spec.org.levels == []
    roster = frame([("A", "Ann"), ("B", "Bob")], ["rep", "name"])
    rows = spring("A", 100.0) + spring("B", 50.0)
    # Without allocate: A = (100 + 100 + 100) / 3 = 100, B = 50, company = 100 + 50 = 150.
    results = run(TRAILING, rows, roster=roster, org=FLAT_ORG)
    assert results.org.levels == []
    assert (target(results, "rep", "A"), target(results, "rep", "B")) == (100, 50)
    assert target(results, COMPANY, COMPANY) == 150
    assert row_of(results, "rep", "A")["name"] == "Ann"
    # With allocate: company = mean of 150, 150, 150 = 150, split 100 : 50 -> 100 and 50.
    results = run(ALLOCATED, rows, roster=roster, org=FLAT_ORG)
    assert target(results, COMPANY, COMPANY) == 150
    assert (target(results, "rep", "A"), target(results, "rep", "B")) == (100, 50)


def test_mapped_team_column_is_the_default_level() -> None:
    spec = spec_from(spec_text(TRAILING, "org:\n  path: r.csv\n  columns: {rep: r, team: t}\n"))
    assert spec.org is not None and spec.org.levels == ["team"]


def test_a_level_named_explicitly_without_a_column_is_still_an_error() -> None:
    org = "org:\n  path: r.csv\n  columns: {rep: r, name: n}\n  levels: [team]\n"
    with pytest.raises(SpecError) as caught:
        spec_from(spec_text(TRAILING, org))
    assert any("level 'team' has no column" in f.message for f in caught.value.findings)


# -- case 2: roster reps without rows --------------------------------------------------------

CASE2_ROSTER = [
    ("A", "T1", None),
    ("M", "T1", None),  # a manager: on the roster, never sells, no start_date
    ("B", "T2", None),
    ("N", "T2", "2017-06-16"),  # a real new hire: 15 of June's 30 days
]


def test_roster_rep_without_rows_or_start_date_gets_no_target() -> None:
    rows = spring("A", 100.0) + spring("B", 50.0)
    results = run(TRAILING, rows, roster=roster_of(CASE2_ROSTER), org=TEAM_ORG)
    # A = 100, B = 50 (their means); M: no target; N: the median of T2's targets (B's 50)
    # x 15/30 employed = 25. T1 = 100 (A alone), T2 = 50 + 25 = 75, company = 175.
    assert pd.isna(target(results, "rep", "M"))
    assert row_of(results, "rep", "M").target_basis["rule"].startswith("no rows in the look-back")
    assert row_of(results, "rep", "M").status == "no_target"
    assert target(results, "rep", "N") == 25
    assert target(results, "team", "T1") == 100
    assert target(results, "team", "T2") == 75
    assert target(results, COMPANY, COMPANY) == 175
    assert "M" in codes(results)["no-rows-in-lookback"]
    assert "give start_date" in codes(results)["no-rows-in-lookback"].lower()
    # The company target does not move: the same run without M.
    without = run(
        TRAILING, rows, roster=roster_of(CASE2_ROSTER[:1] + CASE2_ROSTER[2:]), org=TEAM_ORG
    )
    assert target(without, COMPANY, COMPANY) == 175


def test_roster_rep_without_rows_does_not_take_a_share_of_an_allocation() -> None:
    rows = spring("A", 100.0) + spring("B", 50.0)
    results = run(ALLOCATED, rows, roster=roster_of(CASE2_ROSTER), org=TEAM_ORG)
    # Company = 150. Teams by history: T1 100 (A; M has none), T2 50. T1 -> A alone: 100.
    # T2 50 -> B (weight 50) and N (median of T2's weights, 50, x 15/30 = 25):
    # 50 x 50/75 = 33.333 and 50 x 25/75 = 16.667 -> 33.33 + 16.67 (cents: below 100,
    # whole units would distort the shares; largest remainder keeps the sum exact).
    assert target(results, COMPANY, COMPANY) == 150
    assert (target(results, "team", "T1"), target(results, "team", "T2")) == (100, 50)
    assert target(results, "rep", "A") == 100
    assert (target(results, "rep", "B"), target(results, "rep", "N")) == (33.33, 16.67)
    assert pd.isna(target(results, "rep", "M"))


def test_start_date_in_the_look_back_makes_a_rep_without_rows_a_new_joiner() -> None:
    roster = roster_of([("A", "T1", None), ("M", "T1", "2017-04-10"), ("B", "T2", None)])
    rows = spring("A", 100.0) + spring("B", 50.0)
    results = run(TRAILING, rows, roster=roster, org=TEAM_ORG)
    # M started in April: a new joiner, the median of T1's targets (A's 100), whole June.
    assert target(results, "rep", "M") == 100
    assert row_of(results, "rep", "M").target_basis["rule"] == (
        "new joiner (start_date 2017-04-10): median of peers"
    )
    assert target(results, "team", "T1") == 200


def test_a_team_whose_reps_have_no_target_shows_none_not_zero() -> None:
    # Case 5's neighbour: T3 has only M, who has no target, so T3 has none either.
    roster = roster_of([("A", "T1", None), ("M", "T3", None)])
    results = run(TRAILING, spring("A", 100.0), roster=roster, org=TEAM_ORG)
    assert pd.isna(target(results, "team", "T3"))
    assert row_of(results, "team", "T3").status == "no_target"
    assert target(results, COMPANY, COMPANY) == 100


# -- case 3: tenure only from the roster (or the KPI's own first row, when asked) -------------


def revenue_targets(results) -> pd.Series:
    table = results.table
    kept = table[(table.kpi == "revenue") & table.target.notna()]
    return kept.set_index(["level", "entity"])["target"].sort_index()


def test_feedback_rows_never_move_a_revenue_target() -> None:
    rows = spring("A", 100.0) + spring("B", 50.0) + spring("C", 60.0, ("04", "05"))
    # A filled feedback form dated the last day of May names every rep (and D, who sells
    # nothing: a revenue row of 0 without a target).
    form = [("2017-05-31", rep, 4.0) for rep in ("A", "B", "C", "D")]
    plain = run(TRAILING, rows)
    fed = run(TRAILING, rows, feedback=form)
    pd.testing.assert_series_equal(revenue_targets(plain), revenue_targets(fed))
    assert pd.isna(target(fed, "rep", "D"))


def test_first_row_inside_the_look_back_without_start_date_is_reported() -> None:
    rows = spring("A", 100.0) + spring("B", 50.0) + spring("C", 60.0, ("04", "05"))
    results = run(TRAILING, rows)
    # No start_date: C is judged on its own history, March counting as 0:
    # (0 + 60 + 60) / 3 = 40. check names C and the date of its first row.
    assert target(results, "rep", "C") == 40
    message = codes(results)["tenure-unknown"]
    assert "C (first row 2017-04-01)" in message and "start_date" in message
    assert target(results, COMPANY, COMPANY) == 100 + 50 + 40


def test_tenure_from_the_first_row_of_the_kpis_own_source_when_asked() -> None:
    rows = spring("A", 100.0) + spring("B", 50.0) + spring("C", 60.0, ("04", "05"))
    form = [("2017-02-01", "C", 4.0)]  # C's first feedback is older: it must not count
    results = run(TRAILING, rows, feedback=form, targets="targets: {tenure: first_row}")
    # C's first order is on 2017-04-01, after March (the look-back's first month): a new
    # joiner, the median of the others' targets (100, 50) = 75.
    assert target(results, "rep", "C") == 75
    assert "tenure-unknown" not in codes(results)
    assert target(results, COMPANY, COMPANY) == 100 + 50 + 75


# -- case 4: a partial roster keeps the unassigned share visible ------------------------------


def test_partial_roster_allocation_keeps_the_unassigned_share() -> None:
    roster = roster_of([("A", "T1", None)])
    rows = spring("A", 100.0) + spring("B", 50.0) + spring("C", 30.0)
    results = run(ALLOCATED, rows, roster=roster, org=TEAM_ORG)
    # Company = 100 + 50 + 30 = 180 a month. T1's share is A's 100 / 180; B and C are not on
    # the roster: their 80 / 180 stays "(unassigned)". T1 = 100, A = 100, unassigned = 80.
    assert target(results, COMPANY, COMPANY) == 180
    assert target(results, "team", "T1") == 100
    assert target(results, "rep", "A") == 100  # not 180, as when the roster was the world
    assert target(results, "team", UNASSIGNED) == 80
    unassigned = row_of(results, "team", UNASSIGNED)
    assert unassigned.actual == 0 and unassigned.parent == COMPANY
    message = codes(results)["unassigned-share"]
    assert "B, C" in message and "44.4%" in message  # 80 / 180


def test_partial_roster_bottom_up_counts_the_unassigned_share() -> None:
    roster = roster_of([("A", "T1", None)])
    rows = spring("A", 100.0) + spring("B", 50.0) + spring("C", 30.0) + [("2017-06-01", "B", 20.0)]
    results = run(TRAILING, rows, roster=roster, org=TEAM_ORG)
    # A = 100; unassigned = mean of (50 + 30) x 3 = 80; company = 100 + 80 = 180.
    assert target(results, "rep", "A") == 100
    assert target(results, "team", UNASSIGNED) == 80
    assert target(results, COMPANY, COMPANY) == 180
    assert row_of(results, "team", UNASSIGNED).actual == 20  # B's June sale


def test_partial_flat_roster_puts_the_unassigned_share_under_the_company() -> None:
    roster = frame([("A", "Ann")], ["rep", "name"])
    rows = spring("A", 100.0) + spring("B", 50.0) + spring("C", 30.0)
    results = run(ALLOCATED, rows, roster=roster, org=FLAT_ORG)
    # No levels: the unassigned share sits at the rep level, beside A. 100 + 80 = 180.
    assert target(results, "rep", "A") == 100
    assert target(results, "rep", UNASSIGNED) == 80
    assert pd.isna(target(results, "rep", "B"))  # not on the roster: no target of its own


# -- case 5: company-level data ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # Mar 90, Apr 100, May 110 -> mean 100; x 1.1 = 110.
        ("{method: trailing_mean, periods: 3, growth: 0.1}", 110),
        # June 2016 = 80; x 1.1 = 88.
        ("{method: last_year, growth: 0.1}", 88),
        # Median of 90, 100, 110 = 100; x 1.1 = 110.
        ("{method: trailing_median, periods: 3, growth: 0.1}", 110),
    ],
)
def test_company_level_data_gets_a_target_from_every_method(method: str, expected) -> None:
    months = pd.period_range("2014-06", "2017-05", freq="M")
    values = {str(m): 100.0 for m in months}
    values.update({"2016-06": 80.0, "2017-03": 90.0, "2017-04": 100.0, "2017-05": 110.0})
    rows = [(f"{m}-01", None, v) for m, v in values.items()]
    text = spec_text(method).replace("{date: d, rep: r, amount: a}", "{date: d, amount: a}")
    spec = spec_from(text)
    orders = frame(rows, ["date", "rep", "amount"]).drop(columns=["rep"])
    empty = feedback_rows([])
    results = evaluate(
        spec,
        as_of=dt.date(2017, 6, 30),
        period="2017-06",
        dataset=dataset(spec, {"orders": orders, "feedback": empty}),
    )
    assert target(results, COMPANY, COMPANY) == expected
    assert (results.table.level == "rep").sum() == 0


def test_company_level_data_gets_a_seasonal_target() -> None:
    # 2014-06 .. 2017-05: 100 a month, 200 every June. The 2 x 12 centred average around a
    # June, or any month whose year holds a June inside it, is (2 x 50 + 10 x 100 + 200)
    # / 12 = 108.33: June's ratio 200 / 108.33, March to May's 100 / 108.33 (scaling all
    # indices alike cancels out). Target = 100 / (100 / 108.33) x (200 / 108.33) = 200,
    # x 1.1 = 220.
    months = pd.period_range("2014-06", "2017-05", freq="M")
    rows = [(f"{m}-01", None, 200.0 if m.month == 6 else 100.0) for m in months]
    text = spec_text("{method: seasonal, periods: 3, growth: 0.1}")
    spec = spec_from(text.replace("{date: d, rep: r, amount: a}", "{date: d, amount: a}"))
    orders = frame(rows, ["date", "rep", "amount"]).drop(columns=["rep"])
    results = evaluate(
        spec,
        as_of=dt.date(2017, 6, 30),
        period="2017-06",
        dataset=dataset(spec, {"orders": orders, "feedback": feedback_rows([])}),
    )
    company = row_of(results, COMPANY, COMPANY)
    assert company.target_method == "seasonal"
    assert company.target == pytest.approx(220)


# -- case 6: the seasonal index ---------------------------------------------------------------

SEASONS = {11: 1.5, 12: 1.3, 1: 0.7, 2: 0.8}
OTHER = (12 - sum(SEASONS.values())) / 8  # 0.9625: the twelve factors average 1


def _synthetic(first: str, months: int) -> dict[str, float]:
    """Linear trend (1000 + 25 per month) x known seasonal factors."""
    start = pd.Period(first, freq="M")
    return {
        str(start + t): (1000 + 25 * t) * SEASONS.get((start + t).month, OTHER)
        for t in range(months)
    }


def _company_history(values: dict[str, float]) -> tuple[History, Calendar]:
    calendar = Calendar(Grain.MONTH)
    kpi = spec_from(spec_text(TRAILING)).kpis[0]
    cube = pd.DataFrame(
        {
            "kpi": "revenue",
            "level": COMPANY,
            "entity": COMPANY,
            "p": [calendar.parse(m).ordinal for m in values],
            "actual": list(values.values()),
            "numerator": list(values.values()),
            "denominator": math.nan,
            "responses": 1,
        }
    )
    return History(cube, kpi, COMPANY), calendar


def test_seasonal_index_recovers_known_factors_despite_the_trend() -> None:
    # Four years (2013-11 .. 2017-10) of a series growing 2.5% a month at the start. The
    # ratio to the 2 x 12 centred moving average removes the trend: every index is within
    # 1.5% of the factor the series was built with (November 1.5, not the 3.05 that blocks
    # of 12 starting at the target period gave on real data).
    history, calendar = _company_history(_synthetic("2013-11", 48))
    index = seasonal_index(history, calendar, calendar.parse("2017-11"))
    assert index is not None
    for season, value in index.items():
        assert value == pytest.approx(SEASONS.get(season, OTHER), rel=0.015), season
    assert sum(index.values()) == pytest.approx(12)


def test_seasonal_target_on_a_trending_series() -> None:
    values = _synthetic("2013-11", 48)
    rows = [(f"{m}-01", "A", v) for m, v in values.items()]
    results = run(
        "{method: seasonal, periods: 3}",
        rows,
        as_of=dt.date(2017, 11, 30),
        period="2017-11",
    )
    # Aug, Sep, Oct 2017 are t = 45, 46, 47: de-seasonalised 2125, 2150, 2175 (the trend),
    # mean 2150, x November's 1.5 = 3225. The index is estimated, so within 2%.
    assert target(results, COMPANY, COMPANY) == pytest.approx(3225, rel=0.02)
    assert row_of(results, "rep", "A").target_basis["seasonal_factor"] == pytest.approx(
        1.5, rel=0.015
    )


def test_seasonal_index_needs_two_whole_years() -> None:
    history, calendar = _company_history(_synthetic("2015-12", 23))  # to 2017-10
    assert seasonal_index(history, calendar, calendar.parse("2017-11")) is None
    history, calendar = _company_history(_synthetic("2015-11", 24))
    assert seasonal_index(history, calendar, calendar.parse("2017-11")) is not None


# -- case 7: a period the data covers only partly ---------------------------------------------


def test_partial_first_period_is_left_out_of_the_basis() -> None:
    months = ("03", "04", "05", "06", "07", "08", "09")
    rows = spring("A", 100.0, months)
    results = run(TRAILING, rows, as_of=dt.date(2017, 12, 31), period="2017-Q4", grain="quarter")
    # The data starts on 1 March: Q1 holds March only (100) and is left out. Q2 = Q3 = 300:
    # the target is (300 + 300) / 2 = 300, not (100 + 300 + 300) / 3 = 233.
    assert target(results, COMPANY, COMPANY) == 300
    basis = row_of(results, "rep", "A").target_basis
    assert basis["left_out"] == {"2017-Q1": "partial: the data starts on 2017-03-01"}
    assert basis["periods"] == ["2017-Q2", "2017-Q3"]
    assert "2017-Q1" in codes(results)["partial-period"]


def test_a_month_starting_on_the_second_is_whole() -> None:
    rows = [("2017-03-02", "A", 100.0), *spring("A", 100.0, ("04", "05"))]
    results = run(TRAILING, rows)
    assert "left_out" not in row_of(results, "rep", "A").target_basis
    assert target(results, "rep", "A") == 100


# -- case 8: negative bases and targets -------------------------------------------------------


def test_growth_on_a_negative_base_means_improvement() -> None:
    rows = [*spring("A", -4842.0), ("2017-06-01", "A", 100.0)]
    results = run("{method: trailing_mean, periods: 3, growth: 0.05}", rows)
    # -4842 + |-4842| x 0.05 = -4842 + 242.1 = -4599.9 -> -4600 (whole units), not -5084.
    a = row_of(results, "rep", "A")
    assert a.target == -4600
    assert a.target_basis["rule"] == "negative base: base + |base| x growth"
    # A positive actual against a negative target is a real attainment, and on track:
    # 1 + (100 - (-4600)) / 4600 = 2.0217.
    assert a.attainment == pytest.approx(1 + 4700 / 4600)
    assert a.status == "on_track"
    company = row_of(results, COMPANY, COMPANY)
    assert (company.target, company.status) == (-4600, "on_track")


def test_doing_worse_than_a_negative_target_is_behind() -> None:
    rows = [*spring("A", -1000.0), ("2017-06-01", "A", -1500.0)]
    results = run(TRAILING, rows)
    # 1 + (-1500 - (-1000)) / 1000 = 0.5: behind.
    a = row_of(results, "rep", "A")
    assert (a.target, a.attainment, a.status) == (-1000, 0.5, "behind")


# -- issue 20 item 12: the rule for actuals and targets <= 0 ----------------------------------


def test_lower_is_better_below_zero_is_the_best_case() -> None:
    text = spec_text("{method: fixed, value: 20, level: rep}").replace(
        "measure: sum\n    column: amount", "measure: sum\n    column: amount\n    direction: lower"
    )
    spec = spec_from(text)
    orders = frame(
        [("2017-06-01", "A", -100.0), ("2017-06-02", "B", 40.0)], ["date", "rep", "amount"]
    )
    empty = feedback_rows([])
    results = evaluate(
        spec,
        as_of=dt.date(2017, 6, 30),
        dataset=dataset(spec, {"orders": orders, "feedback": empty}),
    )
    a = row_of(results, "rep", "A")
    assert a.status == "on_track" and pd.isna(a.attainment)  # not -20% "behind"
    b = row_of(results, "rep", "B")
    assert (b.attainment, b.status) == (0.5, "behind")  # 20 / 40
    from salesperf.evaluation.scoring import score

    card = score(results)
    scores = card.kpis if hasattr(card, "kpis") else None
    if scores is not None:
        top = scores[(scores.entity == "A") & (scores.kpi == "revenue")].iloc[0]
        assert top.score == pytest.approx(1.2)  # the top of the default rule


def test_a_negative_company_target_is_not_handed_to_the_one_rep_with_positive_history() -> None:
    rows = spring("A", 100.0) + spring("B", -300.0) + spring("C", -300.0)
    results = run("{method: trailing_mean, periods: 3, growth: 0.1, allocate: history_share}", rows)
    # Company: -500 + 500 x 0.1 = -450. Each rep keeps its own level (its monthly mean)
    # plus a share of the change (+50) by |level| (100, 300, 300 of 700): A 107.14,
    # B -278.57, C -278.57;
    # whole units, summing to -450: A 107, B -278, C -279 (the tie goes to B, first).
    assert target(results, COMPANY, COMPANY) == -450
    assert [target(results, "rep", r) for r in "ABC"] == [107, -278, -279]
    assert row_of(results, "rep", "A").target_basis["rule"].startswith("signed split")


def test_split_signed_is_proportional_for_weights_of_one_sign() -> None:
    assert split_signed(300, [1.0, 2.0]) == pytest.approx([100, 200])
    assert split_signed(-450, [100, -300, -300]) == pytest.approx(
        [100 + 50 / 7, -300 + 150 / 7, -300 + 150 / 7]
    )
    assert largest_remainder(-450, [100, -300, -300], 1.0) == [107, -278, -279]
    assert split_signed(10, [0.0, 0.0]) == [5, 5]


# -- issue 20 item 10: roster errors -------------------------------------------------------


def _conflicts(rows: list[tuple[str, str | None, str | None]], levels: str):
    org = "org:\n  path: r.csv\n  columns: {rep: rep, team: team, region: region}\n"
    org += f"  levels: {levels}\n"
    spec = spec_from(spec_text(TRAILING, org))
    roster = frame(rows, ["rep", "team", "region"])
    return roster_conflicts(dataset(spec, {}, roster))


def test_a_rep_with_a_blank_team_is_a_roster_error() -> None:
    found = _conflicts(
        [("A", "T1", "North"), ("B", None, "North"), ("C", "T2", "South")], "[team, region]"
    )
    assert [f.code for f in found] == ["roster-blank-level"]
    assert found[0].message.startswith("1 rep(s) with no team: B (rows 3)")
    assert found[0].location.line == 3


def test_a_team_in_two_regions_is_a_roster_error() -> None:
    found = _conflicts(
        [("A", "T1", "North"), ("B", "T1", "South"), ("C", "T2", "South")], "[team, region]"
    )
    assert [f.code for f in found] == ["roster-conflict"]
    assert "team 'T1' is in more than one region (North, South) on rows 2, 3" in found[0].message


# -- neighbours -------------------------------------------------------------------------------


def test_a_period_after_the_last_row_warns() -> None:
    results = run(TRAILING, spring("A", 100.0), as_of=dt.date(2017, 7, 31), period="2017-07")
    message = codes(results)["no-rows-after"]
    assert message.startswith("no rows after 2017-05-01 in source 'orders'")


def test_retention_is_not_paced() -> None:
    text = spec_text("{method: fixed, value: 0.8}").replace(
        "columns: {date: d, rep: r, amount: a}", "columns: {date: d, rep: r, customer: c}"
    )
    text = text.replace(
        "measure: sum\n    column: amount\n    unit: currency",
        "measure: retention_rate\n    unit: percent",
    )
    spec = spec_from(text)
    orders = frame(
        [("2017-05-03", "A", "c1"), ("2017-05-04", "A", "c2"), ("2017-06-02", "A", "c1")],
        ["date", "rep", "customer"],
    )
    empty = feedback_rows([])
    results = evaluate(
        spec,
        as_of=dt.date(2017, 6, 10),
        dataset=dataset(spec, {"orders": orders, "feedback": empty}),
    )
    a = row_of(results, "rep", "A")
    # 1 of May's 2 customers is back by 10 June: 50%. Not paced: expected = the target 80%,
    # pace = attainment = 0.5 / 0.8 = 0.625; the projection is the value so far.
    assert a.actual == 0.5
    assert a.expected_to_date == pytest.approx(0.8)
    assert a.pace == pytest.approx(0.625) and a.attainment == pytest.approx(0.625)
    assert a.projected == pytest.approx(0.5)


# -- property tests ---------------------------------------------------------------------------

PROPERTY_SPEC = """
version: 1
sources:
  orders:
    path: o.csv
    columns: {date: d, rep: r, amount: a, customer: c}
  pipeline:
    path: p.csv
    columns: {date: d, rep: r, value: v}
org:
  path: roster.csv
  columns: {rep: rep, team: team, region: region, start_date: start_date}
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
    target: {method: METHOD, growth: 0.07, periods: 3ALLOCATE}
KPIS
"""
PIPELINE_KPI = """  - id: open_pipeline
    name: Pipeline
    source: pipeline
    measure: sum
    column: value
    target: {method: trailing_mean, periods: 2}
"""

other_rows = st.lists(
    st.tuples(
        st.dates(min_value=dt.date(2016, 1, 1), max_value=dt.date(2017, 6, 30)),
        st.sampled_from(["A", "C", "E", "Z", "Y"]),
        st.floats(min_value=0, max_value=9_000, allow_nan=False).map(lambda v: round(v, 2)),
    ),
    max_size=20,
)
methods = st.sampled_from(["last_year", "trailing_mean", "trailing_median"])
allocations = st.sampled_from(["", ", allocate: history_share", ", allocate: equal"])


def _property_run(rows, method, allocate, *, pipeline=None, roster=None):
    with_pipeline = pipeline is not None
    text = (
        PROPERTY_SPEC.replace("METHOD", method)
        .replace("ALLOCATE", allocate)
        .replace("KPIS", PIPELINE_KPI if with_pipeline else "")
    )
    spec = spec_from(text)
    orders = frame(
        [(d.isoformat(), r, a, c) for d, r, a, c in rows], ["date", "rep", "amount", "customer"]
    )
    sources = {"orders": orders}
    if with_pipeline:
        sources["pipeline"] = frame(
            [(d.isoformat(), r, v) for d, r, v in pipeline], ["date", "rep", "value"]
        ).astype({"date": "datetime64[ns]", "value": "float64"})
    if roster is None:
        roster = _property_roster(())
    return evaluate(
        spec, as_of=dt.date(2017, 6, 20), period="2017-06", dataset=dataset(spec, sources, roster)
    )


def _property_roster(quiet: tuple[str, ...], partial: bool = False) -> pd.DataFrame:
    reps = REPS[:2] if partial else REPS
    rows = [(r, TEAMS[r], "South" if TEAMS[r] == "T3" else "North", None) for r in reps]
    rows.append(("NEW", "T1", "North", "2017-06-01"))
    rows += [(r, "T2", "North", None) for r in quiet]
    out = frame(rows, ["rep", "team", "region", "start_date"])
    out["start_date"] = pd.to_datetime(out["start_date"])
    return out


@SETTINGS
@given(rows_strategy, other_rows, methods, allocations)
def test_a_pipeline_source_never_changes_a_revenue_target(rows, pipeline, method, allocate):
    plain = _property_run(rows, method, allocate)
    more = _property_run(rows, method, allocate, pipeline=pipeline)
    pd.testing.assert_series_equal(revenue_targets(plain), revenue_targets(more))


@SETTINGS
@given(rows_strategy, methods, allocations)
def test_reps_without_rows_or_start_date_never_change_another_target(rows, method, allocate):
    quiet = ("Q1", "Q2")
    plain = _property_run(rows, method, allocate)
    more = _property_run(rows, method, allocate, roster=_property_roster(quiet))
    added = revenue_targets(more)
    assert not any(entity in quiet for _, entity in added.index)
    pd.testing.assert_series_equal(revenue_targets(plain), added)


@SETTINGS
@given(rows_strategy, methods, st.sampled_from(["history_share", "equal"]))
def test_partial_roster_allocation_sums_exactly_with_the_unassigned_share(rows, method, allocate):
    results = _property_run(
        rows, method, f", allocate: {allocate}", roster=_property_roster((), partial=True)
    )
    company = target(results, COMPANY, COMPANY)
    if pd.isna(company):
        return  # no company history: nothing to split
    table = results.table
    revenue = table[table.kpi == "revenue"]
    top = revenue[revenue.level == "region"]["target"]
    assert top.sum() == company  # exact: the regions and "(unassigned)"


# -- check ----------------------------------------------------------------------------------


def test_check_warns_where_a_rule_decided_a_target(write) -> None:
    from salesperf.check import run_check

    write(
        "orders.csv",
        """\
        Order Date,Rep,Amount
        2017-03-15,A,100
        2017-04-01,A,100
        2017-05-01,A,100
        2017-04-01,X,50
        2017-05-01,X,50
        2017-05-01,C,60
        2017-06-01,A,10
        """,
    )
    write("roster.csv", "rep,team\nA,T1\nC,T1\nM,T1\n")
    spec = write(
        "kpi.yaml",
        """\
        version: 1
        sources:
          orders:
            path: orders.csv
            columns: {date: Order Date, rep: Rep, amount: Amount}
        org:
          path: roster.csv
          columns: {rep: rep, team: team}
        kpis:
          - id: revenue
            name: Revenue
            source: orders
            measure: sum
            column: amount
            unit: currency
            target: {method: trailing_mean, periods: 3, allocate: history_share}
        """,
    )
    report = run_check(spec, today=dt.date(2017, 6, 2))
    warnings = {f.code: f.message for f in report.warnings}
    # Case 7: the data starts on 15 March: March is left out of June's basis.
    assert "2017-03 (partial: the data starts on 2017-03-15)" in warnings["partial-period"]
    # Case 2: M is on the roster with no rows in the look-back.
    assert "no rows in the look-back (2017-03..2017-05)" in warnings["no-rows-in-lookback"]
    assert warnings["no-rows-in-lookback"].endswith(
        "no target. Give start_date to make them new joiners"
    )
    # Case 3: C has no start_date and a first row inside the look-back.
    assert "C (first row 2017-05-01)" in warnings["tenure-unknown"]
    # Case 4: X sold 100 of the 360 in April and May (A 200, X 100, C 60): 27.8%.
    assert "reps not on the roster: X" in warnings["unassigned-share"]
    assert "27.8%" in warnings["unassigned-share"]
    assert report.to_dict()["usable"] is True
