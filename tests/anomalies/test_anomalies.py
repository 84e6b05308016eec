"""Alert rules and problem analysis on hand-made series (expected numbers by hand).

The base dataset: team T1 with reps A, B, C and D, each selling 12 orders of 100 a month
(on days 1-12, products P1..P3 in turn) from January 2015 to June 2017, so every rep-month
is 1,200, T1 is 4,800 a month and history is perfectly flat. Tests change one thing.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesperf.anomalies import Severity, detect
from salesperf.anomalies.analysis import customer_bridge, explain, volume_value
from salesperf.anomalies.messages import CATALOGUE, LOCALES
from salesperf.errors import SpecError
from salesperf.review import Review
from salesperf.sources import Rejection
from salesperf.sources.dataset import Dataset
from salesperf.spec.models import ALERT_RULES, AlertsSpec, KpiAlertsSpec
from tests.engine_helpers import StubSource, dataset, frame, spec_from
from tests.properties import examples
from tests.specs import orders_spec, revenue

SPEC = """
version: 1
title: Test Co
period: month
sources:
  orders:
    path: o.csv
    columns: {date: d, order_id: id, rep: r, customer: c, product: prod, amount: a}
    key: order_id
org:
  path: roster.csv
  columns: {rep: rep, name: name, team: team, start_date: start, end_date: end}
  levels: [team]
drilldown: [product]
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
"""
TARGETED = SPEC + "    target: {method: trailing_mean, periods: 3}\n"
COLUMNS = ["date", "order_id", "rep", "customer", "product", "amount"]
KPI_RULES = ["behind_pace", "off_history", "sharp_change", "consecutive_declines", "peer_outlier"]
CLOSED = dt.date(2017, 6, 30)
TODAY = dt.date(2017, 7, 1)


def months(first: str = "2015-01", last: str = "2017-06") -> list[pd.Timestamp]:
    return list(pd.period_range(first, last, freq="M").to_timestamp())


def sales(
    rep: str,
    first: str = "2015-01",
    last: str = "2017-06",
    amount: float = 100.0,
    rows: int = 12,
    customer: str | None = None,
) -> list[tuple]:
    """``rows`` orders of ``amount`` on days 1..rows of every month."""
    out = []
    for month in months(first, last):
        for i in range(rows):
            day = month + pd.Timedelta(days=i)
            order = f"{rep}-{month:%Y%m}-{i + 1}"
            out.append((day, order, rep, customer or f"{rep}c{i % 4}", f"P{i % 3 + 1}", amount))
    return out


def roster(*reps: str, extra: list[tuple] | None = None) -> pd.DataFrame:
    rows = [(r, f"Rep {r}", "T1", "2014-01-01", None) for r in reps] + (extra or [])
    return frame(rows, ["rep", "name", "team", "start_date", "end_date"])


def run(
    rows: list[tuple],
    reps: tuple[str, ...] = ("A", "B", "C", "D"),
    *,
    spec: str = SPEC,
    as_of: dt.date = CLOSED,
    config: AlertsSpec | None = None,
    extra_roster: list[tuple] | None = None,
    analyse: bool = True,
):
    parsed = spec_from(spec)
    data = dataset(parsed, {"orders": frame(rows, COLUMNS)}, roster(*reps, extra=extra_roster))
    review = Review(parsed, as_of=as_of, dataset=data)
    return review.results, detect(review.results, review.rows, config, today=TODAY, analyse=analyse)


def flat(*reps: str) -> list[tuple]:
    return [row for rep in reps for row in sales(rep)]


def replace_month(rows: list[tuple], rep: str, month: str, amount: float) -> list[tuple]:
    start = pd.Timestamp(month)
    return [
        (*r[:5], amount) if r[2] == rep and r[0].to_period("M") == start.to_period("M") else r
        for r in rows
    ]


# -- constant series, spikes, short history ------------------------------------------------------


def test_constant_series_raises_nothing() -> None:
    _, alerts = run(flat("A", "B", "C", "D"))
    assert alerts == []


def test_constant_series_raises_nothing_mid_period() -> None:
    # On the 15th every period is cut at day 15: all 12 rows (days 1-12) are in, still flat.
    _, alerts = run(flat("A", "B", "C", "D"), as_of=dt.date(2017, 6, 15))
    assert alerts == []


def test_single_spike_raises_exactly_one_alert() -> None:
    rows = replace_month(flat("A", "B", "C", "D"), "A", "2017-06", 300.0)
    _, alerts = run(rows)
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.rule, alert.kpi, alert.level, alert.entity) == (
        "off_history",
        "revenue",
        "rep",
        "A",
    )
    # History: 12 x 1,200, median 1,200, MAD 0 -> scale floor 10% of 1,200 = 120.
    # June 12 x 300 = 3,600: z = (3,600 - 1,200) / 120 = 20 >= spike_warning 8: a warning.
    assert alert.severity is Severity.WARNING
    assert alert.observed == 3600 and alert.expected == 1200
    assert alert.evidence["z"] == pytest.approx(20.0)
    assert (alert.low, alert.high) == pytest.approx((1200 - 3.5 * 120, 1200 + 3.5 * 120))
    # T1 (4,800 -> 7,200, z 2,400 / 480 = 5) and the company moved by A's 2,400 alone:
    # folded into A's alert rather than listed three times.
    folded = {(m["level"], m["entity"]): m["share"] for m in alert.evidence["also_moves"]}
    assert folded == {("team", "T1"): 1.0, ("company", "company"): 1.0}
    assert "far above its usual $1,200" in alert.message
    assert "远高于以往的" in alert.messages["zh-CN"]


def test_short_history_does_not_trigger_history_rules() -> None:
    # E joined in March 2017: 3 months of history (< history_min 6), then collapses in June.
    rows = flat("A", "B", "C", "D") + sales("E", first="2017-03", last="2017-05")
    rows += sales("E", first="2017-06", last="2017-06", amount=10.0)
    joiner = [("E", "Rep E", "T1", "2017-03-01", None)]
    _, alerts = run(rows, extra_roster=joiner)
    # T1 went 4,800 -> 6,000 when E joined; June is 4,800 + 120: z vs median 4,800 is 0.25.
    assert alerts == []


# -- pace and peers ----------------------------------------------------------------------------


def test_behind_pace_critical_and_peer_outlier() -> None:
    # A sells 12 x 40 = 480 in June against a target of mean(Mar..May) = 1,200: pace 0.4.
    rows = replace_month(flat("A", "B", "C", "D", "E"), "A", "2017-06", 40.0)
    config = AlertsSpec(disable=["off_history", "sharp_change", "consecutive_declines"])
    _, alerts = run(rows, ("A", "B", "C", "D", "E"), spec=TARGETED, config=config)
    assert [(a.rule, a.entity, a.severity) for a in alerts] == [
        ("behind_pace", "A", Severity.CRITICAL),  # 0.4 < pace_critical 0.5
        ("peer_outlier", "A", Severity.CRITICAL),
    ]
    pace, peer = alerts
    assert pace.evidence["pace"] == pytest.approx(0.4)
    assert pace.evidence["deviation"] == pytest.approx(480 - 1200)
    # T1: 4 x 1,200 + 480 = 5,280 of 6,000 = 0.88, above pace_warning 0.7: no team alert.
    # Peers B..E all at pace 1.0: median 1.0, MAD 0 -> scale 0.1; z = (0.4 - 1) / 0.1 = -6.
    assert peer.evidence["median"] == 1.0
    assert peer.evidence["z"] == pytest.approx(-6.0)
    # The gap against target is split by product with the rep's usual mix (1/3 each):
    # 400 each expected, 160 each sold -> -240 each, a third of the -720 gap.
    rows_by_product = pace.analysis["drivers"][0]["rows"]
    assert [r["change"] for r in rows_by_product] == pytest.approx([-240.0, -240.0, -240.0])
    assert [r["share"] for r in rows_by_product] == pytest.approx([1 / 3] * 3)


def test_team_wide_shortfall_is_one_team_alert() -> None:
    # Everyone sells 12 x 60 = 720 against 1,200: pace 0.6 for each rep, T1 and the company.
    # Nobody is behind their peers, so the reps are folded into T1's alert, and T1 explains
    # all of the company's gap, so the company's alert is folded into T1's too.
    rows = flat("A", "B", "C", "D")
    for rep in "ABCD":
        rows = replace_month(rows, rep, "2017-06", 60.0)
    config = AlertsSpec(disable=["off_history", "sharp_change"])
    _, alerts = run(rows, spec=TARGETED, config=config)
    assert [(a.rule, a.level, a.entity) for a in alerts] == [("behind_pace", "team", "T1")]
    team = alerts[0]
    assert [m["entity"] for m in team.evidence["members"]] == ["A", "B", "C", "D"]
    assert team.evidence["also_moves"][0]["entity"] == "company"
    by_rep = next(d for d in team.analysis["drivers"] if d["dimension"] == "rep")
    # 4,800 expected, 2,880 sold: each rep -480 of -1,920 (a quarter).
    assert [r["change"] for r in by_rep["rows"][:3]] == pytest.approx([-480.0] * 3)


def test_company_only_data() -> None:
    # No rep, no roster: rules that need reps stay silent, the rest work.
    spec = spec_from(orders_spec(revenue(weight=None), columns="date: d, amount: a"))
    days = pd.date_range("2015-01-01", "2017-06-15", freq="D")
    data = dataset(spec, {"orders": frame([(d, 100.0) for d in days], ["date", "amount"])})
    review = Review(spec, dataset=data)
    assert detect(review.results, review.rows, today=TODAY) == []


def test_per_kpi_override_of_pace_threshold() -> None:
    # B at 12 x 90 = 1,080: pace 0.9 is fine by default (0.7) but not with pace_warning 0.95.
    rows = replace_month(flat("A", "B", "C", "D"), "B", "2017-06", 90.0)
    spec = TARGETED + "    alerts: {pace_warning: 0.95, disable: [off_history, sharp_change]}\n"
    _, alerts = run(rows, spec=spec)
    assert [(a.rule, a.entity, a.severity) for a in alerts] == [
        ("behind_pace", "B", Severity.WARNING)
    ]
    _, default = run(rows, spec=TARGETED, config=AlertsSpec(disable=["off_history"]))
    assert [a for a in default if a.rule == "behind_pace"] == []


def test_sharp_change_against_last_year() -> None:
    # A's June 2017: 12 x 50 = 600 against 1,200 in June 2016 (and May 2017): -50%,
    # = change_critical. Noise: |600 - 1,200| / (scale 120 x sqrt 2) = 3.5 >= 2.5.
    rows = replace_month(flat("A", "B", "C", "D"), "A", "2017-06", 50.0)
    config = AlertsSpec(disable=["off_history"])
    _, alerts = run(rows, config=config)
    assert [(a.rule, a.entity, a.severity) for a in alerts] == [
        ("sharp_change", "A", Severity.CRITICAL)
    ]
    alert = alerts[0]
    assert alert.evidence["against"] == "last_year"
    assert alert.expected == 1200 and alert.observed == 600
    assert alert.evidence["comparisons"][0]["noise_z"] == pytest.approx(600 / (120 * math.sqrt(2)))
    # Against June 2016 by product: P1..P3 each 400 -> 200.
    drivers = alert.analysis["drivers"][0]["rows"]
    assert {r["value"]: r["change"] for r in drivers} == {"P1": -200, "P2": -200, "P3": -200}


def test_consecutive_declines() -> None:
    # A: March 1,200 -> April 1,080 -> May 960 -> June 840 (12 rows each): three declines,
    # -30% in all (>= decline_min_total 0.2); noise |840 - 1,200| / (120 x sqrt 2) = 2.1,
    # below change_min_z 2.5 by default, so this needs change_min_z 2.
    rows = flat("A", "B", "C", "D")
    for month, amount in (("2017-04", 90.0), ("2017-05", 80.0), ("2017-06", 70.0)):
        rows = replace_month(rows, "A", month, amount)
    config = AlertsSpec(disable=["off_history", "sharp_change"], change_min_z=2.0)
    _, alerts = run(rows, config=config)
    assert [(a.rule, a.entity) for a in alerts] == [("consecutive_declines", "A")]
    alert = alerts[0]
    assert alert.evidence["values"] == [1200, 1080, 960, 840]
    # The company's seasonal index (ratio to the centred 2 x 12 moving average, June 2015 -
    # May 2017) does not take A's slide for a season: April and May 2017 are the last two
    # months, where no centred average exists, and they only nudge the averages of October
    # and November 2016 (4,795 and 4,780 against 4,800). March to June keep the same index,
    # so the adjusted values are the values.
    assert alert.evidence["adjusted_values"] == pytest.approx([1200, 1080, 960, 840])
    assert alert.evidence["total_change"] == pytest.approx(-0.3)
    assert "$1,200 → $1,080 → $960 → $840" in alert.message
    _, strict = run(rows, config=AlertsSpec(disable=["off_history", "sharp_change"]))
    assert strict == []


# -- gone quiet --------------------------------------------------------------------------------


def test_gone_quiet_folds_its_symptoms() -> None:
    # On 21 June, B has no June rows; by day 21 B always had 12. L left on 10 June (12 rows
    # of 1 a month, so the team barely notices): gone, not quiet.
    rows = [
        r
        for r in flat("A", "B", "C", "D")
        if not (r[2] == "B" and r[0] >= pd.Timestamp("2017-06-01"))
    ]
    rows += sales("L", last="2017-05", amount=1.0)
    leaver = [("L", "Rep L", "T1", "2014-01-01", "2017-06-10")]
    _, alerts = run(rows, as_of=dt.date(2017, 6, 21), extra_roster=leaver)
    assert [(a.rule, a.entity, a.severity) for a in alerts] == [
        ("gone_quiet", "B", Severity.CRITICAL)  # expected 12 >= 2 x quiet_min_expected 5
    ]
    alert = alerts[0]
    assert alert.evidence["expected_rows"] == 12
    assert alert.evidence["last_row_date"] == "2017-05-12"
    assert alert.evidence["days_silent"] == 40
    # B's revenue collapse (z = -1,200 / 120 = -10) and -100% vs last year are symptoms.
    assert {s["rule"] for s in alert.evidence["symptoms"]} == {"off_history", "sharp_change"}
    # The analysis against May (days 1-21): all of May's 1,200 is lost.
    assert alert.analysis["change"] == -1200
    assert alert.analysis["customers"]["lost"]["customers"] == 4


# -- data quality ------------------------------------------------------------------------------


def test_data_quality_rules() -> None:
    rows = flat("A", "B", "C", "D")
    rows.append((pd.Timestamp("2017-06-03"), "A-201706-1", "A", "Ac0", "P1", 100.0))  # dup
    rows.append((pd.Timestamp("2017-06-04"), "A-X", "A", "Ac0", "P1", -30.0))  # not a return
    rows.append((pd.Timestamp("2017-06-05"), "A-201705-1-R", "A", "Ac0", "P1", -100.0))  # return
    rows.append((pd.Timestamp("2099-01-01"), "B-F", "B", "Bc0", "P1", 100.0))  # future
    rows.append((pd.Timestamp("2017-06-20"), "C-BIG", "C", "Cc0", "P2", 10_000.0))  # one-off
    rows += [(pd.Timestamp(f"2017-05-0{d}"), f"Z-{d}", "Z", "Zc", "P1", 50.0) for d in (2, 3, 4)]
    spec = spec_from(SPEC)
    source = StubSource(frame(rows, COLUMNS))
    source.rejected = [Rejection("o.csv", 7, "bad-date", "d", "31/02/2017")]
    data = Dataset(spec, {"orders": source}, StubSource(roster("A", "B", "C", "D")))  # type: ignore[dict-item,arg-type]
    review = Review(spec, as_of=CLOSED, dataset=data)
    alerts = detect(review.results, review.rows, AlertsSpec(disable=KPI_RULES), today=TODAY)
    found = {(a.rule, a.entity): a for a in alerts}
    assert sorted(found) == [
        ("duplicate_key", "A"),
        ("future_date", "company"),
        ("large_transaction", "C"),
        ("negative_amount", "A"),
        ("not_on_roster", "Z"),
        ("rejected_rows", "company"),
    ]
    assert all(a.severity is Severity.WARNING for a in alerts)
    dup = found["duplicate_key", "A"].evidence
    assert (dup["duplicated_keys"], dup["extra_rows"], dup["extra_amount"]) == (1, 1, 100.0)
    negative = found["negative_amount", "A"].evidence
    assert (negative["rows"], negative["total"]) == (1, -30.0)  # A-201705-1-R is a return
    assert found["future_date", "company"].evidence["reference_date"] == "2017-07-01"
    # |amounts|: 1,925 rows of about 100; p99 = 100; 10,000 > 5 x 100, and is 100x.
    large = found["large_transaction", "C"]
    assert large.evidence["p99"] == 100.0
    assert large.evidence["ratio_to_p99"] == pytest.approx(100.0)
    assert large.period == "2017-06"
    stranger = found["not_on_roster", "Z"]
    assert (stranger.evidence["rows"], stranger.evidence["total"]) == (3, 150.0)
    assert stranger.period == "2017-05"
    assert found["rejected_rows", "company"].evidence["reasons"] == {"bad-date": 1}


def test_returns_where_marks_returns() -> None:
    rows = flat("A", "B", "C", "D")
    rows.append((pd.Timestamp("2017-06-04"), "A-X", "A", "Ac0", "Return", -30.0))
    config = AlertsSpec(disable=KPI_RULES, returns_where={"product": "Return"})
    _, alerts = run(rows, config=config)
    assert alerts == []


# -- problem analysis --------------------------------------------------------------------------

ANALYSIS_ROWS = [
    # June 2016: A sells P1 100 to c1, P2 200 to c2, P3 50 to c3; B sells P1 80 to c4.
    ("2016-06-02", "o1", "A", "c1", "P1", 100.0),
    ("2016-06-03", "o2", "A", "c2", "P2", 200.0),
    ("2016-06-04", "o3", "A", "c3", "P3", 50.0),
    ("2016-06-05", "o4", "B", "c4", "P1", 80.0),
    ("2017-05-02", "o5", "A", "c1", "P1", 90.0),
    # June 2017: A sells P1 300 to c1 (existing), P2 100 to c5 (first-ever: new) and P3 40
    # to c4 (bought before, from B: returning). c2 and c3 are lost.
    ("2017-06-02", "o6", "A", "c1", "P1", 300.0),
    ("2017-06-03", "o7", "A", "c5", "P2", 100.0),
    ("2017-06-04", "o8", "A", "c4", "P3", 40.0),
]


@pytest.fixture(scope="module")
def small_results():
    spec = spec_from(SPEC)
    data = dataset(spec, {"orders": frame(ANALYSIS_ROWS, COLUMNS)}, roster("A", "B"))
    review = Review(spec, as_of=CLOSED, dataset=data)
    return review.results, review.rows


def test_contributions_against_last_year(small_results) -> None:
    # A: 440 now vs 350 in June 2016, +90. P1 300 - 100 = +200, P2 100 - 200 = -100,
    # P3 40 - 50 = -10; listed in the direction of the change, the rest as "(other)".
    result = explain(*small_results, "revenue", "rep", "A", against="last_year", top=2)
    assert (result["current"], result["baseline"], result["change"]) == (440, 350, 90)
    rows = result["drivers"][0]["rows"]
    assert [(r["value"], r["change"]) for r in rows] == [
        ("P1", 200),
        ("P3", -10),
        ("(other) 1", -100),
    ]
    assert rows[0]["share"] == pytest.approx(200 / 90)
    assert sum(r["change"] for r in rows) == pytest.approx(90)


def test_volume_value_split_sums_exactly(small_results) -> None:
    result = explain(*small_results, "revenue", "rep", "A", against="last_year")
    orders, customers = result["volume_value"]
    # 3 orders averaging 350/3 -> 3 orders averaging 440/3: volume 0, value 3 x 30 = 90,
    # interaction 0.
    assert (orders["before"]["count"], orders["after"]["count"]) == (3, 3)
    assert orders["volume_effect"] == pytest.approx(0)
    assert orders["value_effect"] == pytest.approx(90)
    assert orders["interaction"] == pytest.approx(0)
    parts = customers["volume_effect"] + customers["value_effect"] + customers["interaction"]
    assert parts == pytest.approx(customers["change"]) and customers["change"] == 90
    # Against May (one order of 90): 1 -> 3 orders, average 90 -> 146.67.
    may = explain(*small_results, "revenue", "rep", "A", against="last_period")
    split = may["volume_value"][0]
    assert split["volume_effect"] == pytest.approx(2 * 90)  # (3 - 1) x 90
    assert split["value_effect"] == pytest.approx(1 * (440 / 3 - 90))
    assert split["interaction"] == pytest.approx(2 * (440 / 3 - 90))
    assert split["volume_effect"] + split["value_effect"] + split["interaction"] == pytest.approx(
        350
    )


def test_customer_bridge(small_results) -> None:
    result = explain(*small_results, "revenue", "rep", "A", against="last_year")
    bridge = result["customers"]
    # existing c1 +200; new c5 +100; returning c4 +40; lost c2 -200 and c3 -50.
    assert {k: (v["customers"], v["change"]) for k, v in bridge.items()} == {
        "new": (1, 100),
        "returning": (1, 40),
        "lost": (2, -250),
        "existing": (1, 200),
    }
    assert sum(v["change"] for v in bridge.values()) == result["change"]


def test_team_change_split_by_rep(small_results) -> None:
    # T1: 440 + 0 now vs 350 + 80 in June 2016: +10 = A +90, B -80.
    result = explain(*small_results, "revenue", "team", "T1", against="last_year")
    by_rep = next(d for d in result["drivers"] if d["dimension"] == "rep")
    assert {r["value"]: r["change"] for r in by_rep["rows"]} == {"A": 90, "B": -80}


def test_usual_baseline_is_spread_by_mix(small_results) -> None:
    # Mix over the 12 previous months: P1 190, P2 200, P3 50 of 440. Against a usual 1,000:
    # P1 300 - 1,000 x 190/440, P2 100 - 1,000 x 200/440, P3 40 - 1,000 x 50/440.
    result = explain(*small_results, "revenue", "rep", "A", against="usual", baseline=1000)
    rows = {r["value"]: r["change"] for r in result["drivers"][0]["rows"]}
    assert rows == pytest.approx(
        {"P1": 300 - 1000 * 190 / 440, "P2": 100 - 1000 * 200 / 440, "P3": 40 - 1000 * 50 / 440}
    )
    assert sum(rows.values()) == pytest.approx(440 - 1000)


# -- properties --------------------------------------------------------------------------------

amounts = st.floats(min_value=-1000, max_value=100_000, allow_nan=False).map(lambda x: round(x, 2))
row = st.tuples(st.sampled_from("abcde"), st.sampled_from(["c1", "c2", "c3", "c4"]), amounts)


def _frame(rows: list[tuple[str, str, float]], p: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": [r[0] for r in rows],
            "customer": [r[1] for r in rows],
            "_value": [r[2] for r in rows],
            "order_id": [f"o{p}-{i}" for i in range(len(rows))],
            "p": p,
        }
    )


@settings(
    max_examples=examples(60), deadline=None
)  # pandas under a loaded CI box is slow, not wrong
@given(st.lists(row, max_size=20), st.lists(row, max_size=20), st.integers(1, 5))
def test_contributions_always_sum_to_the_change(now, then, top) -> None:
    from salesperf.anomalies.analysis import _split

    current, before = _frame(now, 2), _frame(then, 1)
    change = current["_value"].sum() - before["_value"].sum()
    split = _split(current, before, "product", top) or []
    assert math.isclose(sum(r["change"] for r in split), change, rel_tol=1e-9, abs_tol=1e-6)
    for volume, key in (("orders", "order_id"), ("customers", None)):
        parts = volume_value(current, before, volume, key)
        total = parts["volume_effect"] + parts["value_effect"] + parts["interaction"]
        assert math.isclose(total, change, rel_tol=1e-9, abs_tol=1e-6)
    firsts = pd.Series({"c1": 0, "c2": 1, "c3": 2, "c4": 2})
    bridge = customer_bridge(current, before, firsts, 2, top)
    assert math.isclose(sum(b["change"] for b in bridge.values()), change, abs_tol=1e-6)


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.floats(min_value=1, max_value=50_000).map(lambda x: round(x, 2)),
    st.integers(min_value=1, max_value=15),
    st.integers(min_value=1, max_value=30),
)
def test_a_constant_series_never_alerts(amount, rows, day) -> None:
    data = [r for rep in ("A", "B", "C", "D") for r in sales(rep, amount=amount, rows=rows)]
    _, alerts = run(data, as_of=dt.date(2017, 6, day), analyse=False)
    assert alerts == []


# -- configuration and messages ------------------------------------------------------------------


def test_every_rule_has_messages_in_every_locale() -> None:
    import string

    rules = {key.split(".")[0] for key in CATALOGUE}
    assert rules == set(ALERT_RULES)
    for key, templates in CATALOGUE.items():
        fields = [
            {name for _, name, _, _ in string.Formatter().parse(templates[loc]) if name}
            for loc in LOCALES
        ]
        assert all(f == fields[0] for f in fields), key


def test_names_from_the_data_are_one_short_line_in_messages() -> None:
    from salesperf.anomalies.messages import NAME_CHARS, Value, render

    long_name = "Ann\nLee " + "x" * 500
    facts = {
        "who": long_name,
        "kpi": "Revenue",
        "n": 3,
        "path": "a → b",
        "total": Value(-5, "currency"),
    }
    messages = render("consecutive_declines", facts, "USD")
    who = messages["en"].split(": Revenue fell")[0]
    assert who.startswith("Ann\\nLee xxx") and who.endswith("…") and len(who) == NAME_CHARS
    assert messages["en"].endswith("fell 3 periods in a row (a → b), -$5.00 in all")
    assert "\n" not in messages["zh-CN"] and len(messages["zh-CN"]) < NAME_CHARS + 40


def test_kpi_overrides_have_the_same_keys_as_the_defaults() -> None:
    assert set(KpiAlertsSpec.model_fields) <= set(AlertsSpec.model_fields)


def test_alert_settings_are_checked() -> None:
    with pytest.raises(SpecError) as caught:
        spec_from(SPEC + "alerts: {pace_warning: 0.4, disable: [behind_pase]}\n")
    assert "'behind_pase' is not an alert rule (did you mean 'behind_pace'?)" in str(caught.value)
    with pytest.raises(SpecError) as caught:
        spec_from(SPEC + "    alerts: {pace_warning: 0.4}\n")
    text = str(caught.value)
    assert "kpis[0].alerts.pace_critical: pace_critical 0.5 is above pace_warning 0.4" in text


def test_drilldown_fields_must_be_mapped() -> None:
    with pytest.raises(SpecError) as caught:
        spec_from(SPEC.replace("drilldown: [product]", "drilldown: [prodct]"))
    assert "drill-down field 'prodct' is not mapped in any source" in str(caught.value)
    bad_kpi = SPEC + "    drilldown: [region]\n"
    with pytest.raises(SpecError) as caught:
        spec_from(bad_kpi)
    assert "kpis[0].drilldown[0]: drill-down field 'region' is not mapped" in str(caught.value)
    # A roster level and rep are fine on a source that maps rep.
    spec_from(SPEC + "    drilldown: [team, rep, customer]\n")
