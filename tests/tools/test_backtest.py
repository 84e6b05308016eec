"""Replaying target rules over closed periods (the Achievable check)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salesperf.backtest import (
    ALTERNATIVES,
    achievability,
    method_misfit,
    parse_methods,
    replay,
    replay_periods,
    run_backtest,
    with_method,
)
from salesperf.cli import app
from salesperf.errors import UsageError
from salesperf.review import Review
from tests.engine_helpers import dataset, frame, spec_from
from tests.specs import kpi_item, orders_spec, revenue, revenue_spec


def results_for(target: str, amounts: dict[str, float]):
    spec = spec_from(revenue_spec(target))
    rows = [
        (f"{month}-01", rep, amount)
        for month in pd.period_range("2016-12", "2017-06", freq="M").astype(str)
        for rep, amount in amounts.items()
    ]
    orders = frame(rows, ["date", "rep", "amount"])
    return Review(
        spec, as_of=dt.date(2017, 6, 30), dataset=dataset(spec, {"orders": orders})
    ).results


def test_replay_uses_only_earlier_periods() -> None:
    # Trailing mean of 1: each month's target is the previous month's actual. Every month
    # sells the same, so every replayed attainment is exactly 1.
    history = replay(results_for("{method: trailing_mean, periods: 1}", {"A": 100.0}), 6)
    reps = history[history.level == "rep"]
    assert list(reps.period) == ["2017-01", "2017-02", "2017-03", "2017-04", "2017-05"]
    assert (reps.attainment == 1).all()


@pytest.mark.parametrize(
    "target",
    ["{method: trailing_mean, periods: 2, allocate: history_share}", "{method: trailing_mean}"],
)
def test_company_only_replay_has_the_full_replays_numbers(target: str) -> None:
    # The report's trend replays the company rows only; split down or summed up from the
    # reps, their targets and attainments are those of the full replay.
    results = results_for(target, {"A": 120.0, "B": 35.5, "C": 80.0})
    full = replay(results, 6)
    company = replay(results, 6, levels=["company"])
    expected = full[full.level == "company"].reset_index(drop=True)
    assert len(expected) >= 3  # closed periods with a target
    # Same values; a period without any company target adds no rows, and pandas types the
    # columns of such an empty frame as object where the full replay's have rep rows.
    pd.testing.assert_frame_equal(company, expected, check_dtype=False)


def test_half_the_reps_hit_a_fixed_target() -> None:
    # A sells 150 a month, B 50, against a fixed rep target of 100: A hits, B misses.
    verdict = achievability(
        results_for("{method: fixed, value: 100, level: rep}", {"A": 150.0, "B": 50.0})
    )[0]
    assert verdict.hit_share == 0.5
    assert verdict.verdict is True
    assert (
        verdict.note == "50% of reps hit it over the last 5 closed periods"
    )  # 2016-12 has no history


def test_too_easy_and_out_of_reach() -> None:
    easy = achievability(results_for("{method: fixed, value: 100, level: rep}", {"A": 150.0}))
    assert (easy[0].verdict, easy[0].note.split(":")[0]) == (False, "too easy")
    hard = achievability(results_for("{method: fixed, value: 1000, level: rep}", {"A": 150.0}))
    assert (hard[0].verdict, hard[0].note.split(":")[0]) == (False, "out of reach")


# -- salesperf backtest ------------------------------------------------------------------------


def monthly(sales: dict[str, dict[str, float]]) -> pd.DataFrame:
    """{"2017-01": {"A": 100.0}} -> one order per rep and month, on the 1st (the data then
    covers its first month whole: a first row on the 10th would leave that month out of
    every basis, see the partly covered periods rule)."""
    rows = [(f"{m}-01", rep, amount) for m, reps in sales.items() for rep, amount in reps.items()]
    return frame(rows, ["date", "rep", "amount"])


def backtest_of(target: str, sales: dict[str, dict[str, float]], as_of: str, **options):
    spec = spec_from(revenue_spec(target))
    data = dataset(spec, {"orders": monthly(sales)})
    review = Review(spec, as_of=dt.date.fromisoformat(as_of), dataset=data)
    return run_backtest(review, **options)


HAND = {
    "2017-01": {"A": 100.0, "B": 100.0},
    "2017-02": {"A": 120.0, "B": 80.0},
    "2017-03": {"A": 90.0, "B": 100.0},
    "2017-04": {"A": 90.0, "B": 110.0},
}


def test_backtest_numbers_by_hand() -> None:
    # Each rep's target is their own previous month (trailing_mean of 1), the company's the
    # sum. Closed periods as of 2017-04-30: Feb, Mar, Apr (January has no history).
    #   Feb: A 120/100 = 1.2,  B 80/100 = 0.8,   company target 200, actual 200
    #   Mar: A 90/120  = 0.75, B 100/80 = 1.25,  company target 200, actual 190
    #   Apr: A 90/90   = 1.0,  B 110/100 = 1.1,  company target 190, actual 200
    # Sorted attainments 0.75 0.8 1.0 1.1 1.2 1.25: median (1.0 + 1.1) / 2 = 1.05; 4 of 6
    # at or above 1; p10 = 0.75 + 0.5 x 0.05 = 0.775 and p90 = 1.2 + 0.5 x 0.05 = 1.225
    # (linear between ranks: rank 0.1 x 5 = 0.5 and 0.9 x 5 = 4.5).
    # Company errors (target - actual) / actual: 0, 10/190, -10/200.
    bt = backtest_of("{method: trailing_mean, periods: 1}", HAND, "2017-04-30", periods=3)
    assert bt.periods == ["2017-02", "2017-03", "2017-04"]
    (kpi,) = bt.kpis
    mine = kpi.methods[0]
    assert (mine.method, mine.configured, mine.rep_periods, mine.periods) == (
        "trailing_mean",
        True,
        6,
        3,
    )
    assert mine.median_attainment == pytest.approx(1.05)
    assert mine.hit_share == pytest.approx(4 / 6)
    assert (mine.p10, mine.p90) == (pytest.approx(0.775), pytest.approx(1.225))
    assert mine.mape == pytest.approx((0 + 10 / 190 + 10 / 200) / 3)  # 0.0342
    assert mine.bias == pytest.approx((0 + 10 / 190 - 10 / 200) / 3)  # +0.0009
    assert mine.over_allocated is None  # not allocated: each rep's own history
    assert [c["target"] for c in mine.company] == [200, 200, 190]
    # 67% of reps on target is inside the default 50-70% band, and the bias inside 5%.
    assert mine.meets and kpi.best == "trailing_mean"
    assert kpi.verdict.startswith("keep trailing_mean: 67% of reps hit target")


def test_allocation_over_and_under() -> None:
    # February's company target is January's 200, split by January's shares: 100 each.
    # A then sold 40 (a target of 250% of it: over 150%), B 220 (45%: under 50%).
    sales = {"2017-01": {"A": 100.0, "B": 100.0}, "2017-02": {"A": 40.0, "B": 220.0}}
    bt = backtest_of(
        "{method: trailing_mean, periods: 1, allocate: history_share}",
        sales,
        "2017-02-28",
        periods=1,
        alerts=False,
    )
    mine = bt.kpis[0].methods[0]
    assert bt.kpis[0].allocated
    assert (mine.over_allocated, mine.under_allocated) == (0.5, 0.5)
    assert mine.bias == pytest.approx((200 - 260) / 260)  # -23%: the target was too low
    assert bt.alerts is None


SEASONS = {
    # Odd months sell 100 a rep, even months 200. In 2017 A sells 10% more than the same
    # month of 2016, B 10% less.
    f"{year}-{month:02d}": {
        "A": base * (1.1 if year == 2017 else 1.0),
        "B": base * (0.9 if year == 2017 else 1.0),
    }
    for year in (2016, 2017)
    for month in range(1, 13)
    if (year, month) <= (2017, 6)
    for base in [100.0 if month % 2 else 200.0]
}


def test_method_comparison_picks_last_year_on_a_seasonal_series() -> None:
    # last_year: A 110/100, B 90/100 every month: half the reps on target, and the company
    # target (200 or 400) is what happened: bias 0. Inside the criterion.
    # trailing_mean of 1 chases the swing: the company target is 400 in odd months (actual
    # 200: +100%) and 200 in even ones (actual 400: -50%): bias (3 x 1 - 3 x 0.5) / 6 = +25%.
    # trailing_median of 1 is the same; seasonal has a year of history, not two, and falls
    # back to trailing_mean.
    bt = backtest_of(
        "{method: trailing_mean, periods: 1}", SEASONS, "2017-06-30", periods=6, alerts=False
    )
    (kpi,) = bt.kpis
    by_method = {m.method: m for m in kpi.methods}
    assert list(by_method) == ["trailing_mean", "last_year", "trailing_median", "seasonal"]
    assert by_method["last_year"].hit_share == 0.5
    assert by_method["last_year"].bias == pytest.approx(0, abs=1e-12)
    assert by_method["trailing_mean"].bias == pytest.approx(0.25)
    assert by_method["trailing_mean"].mape == pytest.approx(0.75)
    assert by_method["trailing_mean"].distance == pytest.approx(0.20)  # 25% - 5%
    assert by_method["seasonal"].note.startswith("trailing_mean in 6 of 6 periods")
    assert kpi.best == "last_year"
    assert kpi.verdict == (
        "consider last_year: 50% of reps hit target, company bias +0.0% "
        "(configured trailing_mean: 50% of reps hit target, company bias +25.0%)"
    )


def test_criterion_comes_from_the_spec() -> None:
    # Demand 80%+ of reps on target: nothing qualifies, and the closest is named.
    spec = spec_from(
        revenue_spec(
            "{method: trailing_mean, periods: 1}",
            tail="backtest: {hit_share: [0.8, 1.0], max_bias: 0.01}\n",
        )
    )
    data = dataset(spec, {"orders": monthly(SEASONS)})
    bt = run_backtest(Review(spec, as_of=dt.date(2017, 6, 30), dataset=data), alerts=False)
    assert bt.kpis[0].best == "last_year"  # 0.3 short of the band, bias 0
    assert bt.kpis[0].verdict.startswith("none meets the criterion (80%–100% of reps")
    assert spec.kpis[0].target.method.value == "trailing_mean"  # the spec is never changed


MISFITS = orders_spec(
    kpi_item("revenue", "Revenue", "count", target="{method: fixed, value: 2, level: rep}"),
    kpi_item("avg", "Average order", "mean", column="amount", target="{method: fixed, value: 90}"),
)


def test_methods_option_and_misfits() -> None:
    spec = spec_from(MISFITS)
    data = dataset(spec, {"orders": monthly(HAND)})
    bt = run_backtest(
        Review(spec, as_of=dt.date(2017, 4, 30), dataset=data),
        methods=parse_methods("seasonal,trailing_median,last_year"),
        alerts=False,
    )
    methods = {k.kpi.id: [m.method for m in k.methods] for k in bt.kpis}
    assert methods == {
        "revenue": ["fixed", "seasonal", "trailing_median", "last_year"],
        "avg": ["fixed", "last_year"],  # a mean is pooled and has no volume season
    }
    assert bt.notes == [
        "avg: seasonal left out: a mean has no volume to follow the seasons",
        "avg: trailing_median left out: for a mean it equals trailing_mean (history is pooled)",
    ]
    with pytest.raises(UsageError) as caught:
        parse_methods("lastyear")
    assert "'lastyear' is not a target method (did you mean 'last_year'?)" in str(caught.value)


LOOKAHEAD = orders_spec(
    revenue("{method: last_year, growth: 0.05, allocate: history_share}", weight=50),
    kpi_item(
        "new_customers",
        "New customers",
        "new_customers",
        weight=25,
        target="{method: trailing_mean, periods: 6, allocate: equal}",
    ),
    kpi_item(
        "retention",
        "Retention",
        "retention_rate",
        weight=25,
        target="{method: trailing_mean, periods: 3}",
    ),
    columns="date: d, rep: r, amount: a, customer: c",
)


def lookahead_rows() -> pd.DataFrame:
    """30 months of varied orders; rep C joins in 2017-02, and customers come and go."""
    rows = []
    for i, month in enumerate(pd.period_range("2015-01", "2017-06", freq="M").astype(str)):
        for j, rep in enumerate(["A", "B", "C"]):
            if rep == "C" and month < "2017-02":
                continue
            for k in range(3 + (i + j) % 3):
                customer = f"K{(i * 5 + k + j * 3) % 23}" if k else f"N{i}-{rep}"
                amount = 100.0 + (i * 37 + j * 11 + k * 7) % 50
                rows.append((f"{month}-{1 + k * 5:02d}", rep, amount, customer))
    return frame(rows, ["date", "rep", "amount", "customer"])


def test_no_look_ahead() -> None:
    # The targets of 2017-03, for every KPI and method, are the same whether the data ends on
    # 2017-03-31 or runs to 2017-06-30 (new customers' first rows, last period's customers
    # for retention and the roster built from the data included).
    spec = spec_from(LOOKAHEAD)
    rows = lookahead_rows()
    full = Review(spec, as_of=dt.date(2017, 6, 30), dataset=dataset(spec, {"orders": rows})).results
    cut_rows = rows[rows["date"] <= "2017-03-31"]
    cut = Review(
        spec, as_of=dt.date(2017, 3, 31), dataset=dataset(spec, {"orders": cut_rows})
    ).results
    march = full.calendar.parse("2017-03").ordinal
    for kpi in spec.kpis:
        for method in [kpi.target.method, *ALTERNATIVES]:
            if method_misfit(kpi, method, full.calendar):
                continue
            changed = with_method(spec, kpi, method)
            before, after = (
                replay_periods(changed, r.cube, r.org, r.calendar, [march])
                .sort_values(["level", "entity"])
                .reset_index(drop=True)
                for r in (cut, full)
            )
            assert len(before) > 3, (kpi.id, method)
            pd.testing.assert_frame_equal(before, after, obj=f"{kpi.id} {method.value}")


SPIKE = revenue_spec("{method: trailing_mean, periods: 3}")


def test_alert_backtest_counts_a_slump() -> None:
    # Four reps sell 12 orders (100-102) a month; A sells 2 in March and April 2017. Each of
    # the two months raises one critical per KPI rule on A: behind pace, off its history,
    # sharp change and peer outlier. March's are followed by April, again behind target
    # (1,212 x 2/3 + 201 / 3 = 875 vs 201); April's by May, back on target (May's target
    # is (1,212 + 201 + 201) / 3 = 538): precision 1 of 2. June's wait for July.
    rows = [
        (f"{month}-{day + 1:02d}", rep, 100.0 + day % 3)
        for month in pd.period_range("2016-01", "2017-06", freq="M").astype(str)
        for rep in "ABCD"
        for day in range(2 if rep == "A" and month in ("2017-03", "2017-04") else 12)
    ]
    spec = spec_from(SPIKE)
    bt = backtest_of_rows(spec, frame(rows, ["date", "rep", "amount"]), "2017-06-30", 4)
    assert bt.alerts is not None
    assert bt.alerts.periods == ["2017-03", "2017-04", "2017-05", "2017-06"]
    fired = {r.rule: r for r in bt.alerts.rules if any(sum(c.values()) for c in r.counts.values())}
    assert sorted(fired) == ["behind_pace", "off_history", "peer_outlier", "sharp_change"]
    pace = fired["behind_pace"]
    assert [pace.counts[p]["critical"] for p in bt.alerts.periods] == [1, 1, 0, 0]
    assert pace.total == {"info": 0, "warning": 0, "critical": 2}
    assert (pace.judged, pace.behind_next, pace.precision, pace.pending) == (2, 1, 0.5, 0)
    # Later rows are not "future dates" in the past: the rows known on each last day only.
    assert not any(sum(c.values()) for c in _rule(bt, "future_date").counts.values())
    # April: A and the company (3 x 1,212 + 201 = 3,837 vs 4,511) of 3 x 5 entity-periods.
    assert bt.alerts.behind_rate == pytest.approx(2 / 15)


def backtest_of_rows(spec, rows: pd.DataFrame, as_of: str, periods: int):
    data = dataset(spec, {"orders": rows})
    review = Review(spec, as_of=dt.date.fromisoformat(as_of), dataset=data)
    return run_backtest(review, periods=periods)


def _rule(bt, name: str):
    return next(r for r in bt.alerts.rules if r.rule == name)


def test_backtest_json_shape() -> None:
    bt = backtest_of("{method: trailing_mean, periods: 1}", HAND, "2017-04-30", periods=3)
    doc = json.loads(json.dumps(bt.to_dict()))
    assert doc["schema"] == "salesperf.backtest/1"
    assert doc["criterion"] == {
        "hit_share": [0.5, 0.7],
        "max_bias": 0.05,
        "over_allocated": 1.5,
        "under_allocated": 0.5,
    }
    method = doc["kpis"][0]["methods"][0]
    assert method["hit_share"] == pytest.approx(4 / 6) and method["meets"] is True
    assert doc["alerts"]["rules"][0]["rule"] == "behind_pace"
    assert set(doc["alerts"]["rules"][0]["counts"]) == {"2017-02", "2017-03", "2017-04"}


def test_backtest_needs_history() -> None:
    with pytest.raises(UsageError, match="Nothing to backtest"):
        backtest_of("{method: trailing_mean}", {"2017-01": {"A": 1.0}}, "2017-01-31")


# -- the command -------------------------------------------------------------------------------

PROJECT = """
version: 1
title: Hand Co
sources:
  orders:
    path: orders.csv
    columns: {date: Date, rep: Rep, amount: Amount}
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
    weight: 100
    target: {method: trailing_mean, periods: 1}
  - id: orders
    name: Orders
    source: orders
    measure: count
"""


@pytest.fixture
def hand_project(write) -> Path:
    lines = ["Date,Rep,Amount"]
    # The first month's rows on the 1st, so that the data covers it whole (else it would
    # be a partly covered period, left out of every basis); later ones on the 10th.
    first = min(HAND)
    lines += [
        f"{m}-{'01' if m == first else '10'},{rep},{amount}"
        for m, reps in HAND.items()
        for rep, amount in reps.items()
    ]
    write("orders.csv", "\n".join(lines) + "\n")
    return write("kpi.yaml", PROJECT)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_cli_backtest_formats(hand_project: Path) -> None:
    before = hand_project.read_bytes()
    spec = str(hand_project)
    code, out = invoke("backtest", spec, "--periods", "3", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["schema"], doc["as_of"], doc["periods"]) == (
        "salesperf.backtest/1",
        "2017-04-10",
        ["2017-02", "2017-03"],  # April is open on the 10th; January has no history
    )
    assert [m["method"] for m in doc["kpis"][0]["methods"]] == [
        "trailing_mean",
        "last_year",
        "trailing_median",
        "seasonal",
    ]
    code, out = invoke("backtest", spec, "--as-of", "2017-04-30", "-n", "3", "--format", "md")
    assert code == 0
    assert "## Revenue (revenue) · sum" in out
    assert "| ★ trailing_mean \\* | 6 | 105% | 66.7% | 77%–122% | 3.4% | +0.1% |" in out
    assert "**keep trailing_mean: 67% of reps hit target, company bias +0.1%" in out
    code, out = invoke("backtest", spec, "--as-of", "2017-04-30", "--no-alerts")
    assert code == 0
    assert "Hand Co · 3 closed periods, 2017-02 to 2017-04 · as of 2017-04-30" in out
    assert "keep trailing_mean" in out and "Alert rules" not in out
    assert hand_project.read_bytes() == before  # the spec is never changed


def test_cli_backtest_bad_input(hand_project: Path) -> None:
    spec = str(hand_project)
    code, out = invoke("backtest", spec, "--kpi", "revenu")
    assert code == 2
    assert "no KPI 'revenu' (did you mean 'revenue'?)" in out
    code, out = invoke("backtest", spec, "--kpi", "orders")
    assert code == 2
    assert "KPI 'orders' has no `target:` to backtest" in out
    code, out = invoke("backtest", spec, "--methods", "trailing_mean,lastyear")
    assert code == 2
    assert "'lastyear' is not a target method (did you mean 'last_year'?)" in out
    code, out = invoke("backtest", spec, "--as-of", "2017-01-31")
    assert code == 2
    assert "a backtest needs at least two periods of data" in out


def test_a_failing_alternative_is_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    # An alternative method that breaks (here: seasonal, made to fail on purpose) becomes a
    # note; the configured rule and the other alternatives are still judged.
    import salesperf.engine.targets

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(salesperf.engine.targets, "seasonal_index", broken)
    sales = {
        f"{year}-{month:02d}": {"A": 100.0, "B": 120.0}
        for year in (2015, 2016, 2017)
        for month in range(1, 13)
        if (year, month) <= (2017, 6)
    }
    bt = backtest_of("{method: trailing_mean, periods: 12}", sales, "2017-06-30", alerts=False)
    assert [m.method for m in bt.kpis[0].methods] == [
        "trailing_mean",
        "last_year",
        "trailing_median",
    ]
    assert bt.notes == ["revenue: seasonal failed (ZeroDivisionError)"]


def test_seasonal_alternative_survives_an_empty_season() -> None:
    # No sales in any August: August's seasonal index is 0, which the target rule now skips
    # instead of dividing by it, so seasonal is compared like the others.
    sales = {
        f"{year}-{month:02d}": {"A": 100.0, "B": 120.0}
        for year in (2015, 2016, 2017)
        for month in range(1, 13)
        if month != 8 and (year, month) <= (2017, 6)
    }
    bt = backtest_of("{method: trailing_mean, periods: 12}", sales, "2017-06-30", alerts=False)
    assert "seasonal" in [m.method for m in bt.kpis[0].methods]
    assert bt.notes == []
