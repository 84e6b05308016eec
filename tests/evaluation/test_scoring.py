"""Scorecards worked out by hand on tests/review_fixture.py (June 2017, closed).

June 2017 per rep (attainment to date = attainment, the period is closed):

    rep  revenue        discount (lower)        win rate (bands)         csat (min 2)
    A    150/100 = 1.5  0.10/mean(.08,.12)=1.0  1 of 2 = .5 -> 1.0      mean(5,4)=4.5 -> 1.125
    B     50/100 = 0.5  0.10/0.05 = 2.0         1 of 3 -> 0.667         1 answer: insufficient
    C     90/100 = 0.9  0.10/0.20 = 0.5         no closed deal: no data  mean(3,3) -> 0.75

Scores: clamp to [0, 1.2] (revenue, discount, csat); win rate bands [[0.7, 0], [1.0, 80],
[1.2, 100]] -> points / 100.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import textwrap
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesperf.errors import SpecError
from salesperf.evaluation.scoring import (
    DEFAULT_CAP,
    DEFAULT_FLOOR,
    TOTAL_COLUMNS,
    ScoreRule,
    interpolate,
    rank_order,
    rule_for,
    score,
    score_with_change,
    tier_of,
    tier_table,
)
from salesperf.periods import Calendar
from salesperf.review import Review
from salesperf.spec import Grain, parse_spec
from tests.engine_helpers import spec_from
from tests.properties import examples
from tests.review_fixture import SPEC, in_memory

JUNE_END = dt.date(2017, 6, 30)


@pytest.fixture(scope="module")
def card():
    data = in_memory()
    return Review(data.spec, period="2017-06", as_of=JUNE_END, dataset=data).scorecard


def total(card, level: str, entity: str) -> pd.Series:
    return card.total(level, entity)


def kpi(card, level: str, entity: str, kpi_id: str) -> pd.Series:
    rows = card.kpi_rows(level, entity)
    return rows.loc[rows["kpi"] == kpi_id].iloc[0]


def test_rep_a_capped_and_banded(card) -> None:
    # revenue 1.5 counts as the cap 1.2; win rate at 1.0 is 80 band points = 0.8.
    assert kpi(card, "rep", "A", "revenue").score == pytest.approx(1.2)
    assert kpi(card, "rep", "A", "win_rate").score == pytest.approx(0.8)
    # 0.4 x 1.2 + 0.2 x 1.0 + 0.2 x 0.8 + 0.2 x 1.125 = 0.48 + 0.2 + 0.16 + 0.225 = 1.065
    a = total(card, "rep", "A")
    assert a.total == pytest.approx(1.065)
    assert (a.tier, a.partial, a.scored_weight) == ("A", False, 1.0)


def test_lower_is_better_and_insufficient_feedback(card) -> None:
    # B's discount 0.05 against 0.10 (lower is better): attainment 2.0, capped at 1.2.
    discount = kpi(card, "rep", "B", "discount")
    assert discount.attainment_to_date == pytest.approx(2.0)
    assert discount.score == pytest.approx(1.2)
    # One CSAT answer < min_responses 2: excluded, said so, never a zero.
    csat = kpi(card, "rep", "B", "csat")
    assert (csat.scored, csat.reason) == (False, "insufficient_data")
    assert csat.note == "insufficient data: 1 < min_responses 2"
    assert math.isnan(csat.score)
    # Weights 40 + 20 + 20 = 80 renormalise to 0.5, 0.25, 0.25; win rate 0.667 is below the
    # first band (0.7) and scores 0:  0.5 x 0.5 + 0.25 x 1.2 + 0.25 x 0 = 0.55.
    b = total(card, "rep", "B")
    assert b.total == pytest.approx(0.55)
    assert (b.tier, b.partial, b.scored_weight, b.missing) == ("D", True, 0.8, ("csat",))
    shares = card.kpi_rows("rep", "B").set_index("kpi")["weight_share"]
    assert shares.to_dict() == pytest.approx(
        {"revenue": 0.5, "discount": 0.25, "win_rate": 0.25, "csat": 0.0}
    )


def test_missing_data_renormalises(card) -> None:
    # C has no closed deal: win rate has no data. 0.5 x 0.9 + 0.25 x 0.5 + 0.25 x 0.75
    # = 0.45 + 0.125 + 0.1875 = 0.7625.
    assert kpi(card, "rep", "C", "win_rate").reason == "no_data"
    c = total(card, "rep", "C")
    assert c.total == pytest.approx(0.7625)
    assert (c.tier, c.partial) == ("C", True)


def test_team_scored_from_its_own_rows_not_a_mean_of_reps(card) -> None:
    # T1 pools its rows: revenue 200/200 = 1.0; discount 0.10 / mean(.08,.12,.05) = 1.2;
    # win rate 2 won of 5 closed = 0.4 -> attainment 0.8 -> (0.8 - 0.7) / 0.3 x 80 = 26.67
    # points; csat mean(5, 4, 5) = 4.667 -> 1.1667 (3 answers: enough for the team).
    # 0.4 x 1.0 + 0.2 x 1.2 + 0.2 x 0.26667 + 0.2 x 1.16667 = 0.92667
    t1 = total(card, "team", "T1")
    assert kpi(card, "team", "T1", "win_rate").score == pytest.approx(80 / 3 / 100)
    assert t1.total == pytest.approx(0.926667, abs=1e-6)
    mean_of_reps = (1.065 + 0.55) / 2
    assert t1.total != pytest.approx(mean_of_reps)
    # Company: revenue 290/300; discount 0.10/0.1125; win rate 0.4 -> 0.26667; csat 4.0/4.0
    # 0.4 x 0.96667 + 0.2 x 0.88889 + 0.2 x 0.26667 + 0.2 x 1.0 = 0.81778
    assert total(card, "company", "company").total == pytest.approx(0.817778, abs=1e-6)


def test_ranks_percentiles_and_change(card) -> None:
    reps = card.totals[card.totals["level"] == "rep"].set_index("entity")
    assert reps["rank"].to_dict() == {"A": 1, "C": 2, "B": 3}
    assert reps["rank_in_parent"].to_dict() == {"A": 1, "C": 1, "B": 2}
    assert reps["percentile"].to_dict() == {"A": 1.0, "C": 0.5, "B": 0.0}
    # May: only revenue and discount scored (weights 2/3, 1/3): A 2/3 x 0.8 + 1/3 = 0.8667,
    # B 2/3 x 1.2 + 1/3 = 1.1333, C 1.0 -> May ranks B, C, A.
    assert card.previous_period == "2017-05"
    assert reps.loc["A", "previous_total"] == pytest.approx(0.866667, abs=1e-6)
    assert reps.loc["A", "total_change"] == pytest.approx(1.065 - 0.866667, abs=1e-6)
    assert reps["previous_rank"].to_dict() == {"A": 3, "C": 2, "B": 1}
    assert reps["rank_change"].to_dict() == {"A": 2, "C": 0, "B": -2}
    assert reps["trend"].to_dict() == {"A": "up", "C": "down", "B": "down"}
    assert list(card.totals.columns) == TOTAL_COLUMNS


def test_interpolation_of_bands() -> None:
    bands = ((0.7, 0.0), (1.0, 80.0), (1.2, 100.0))
    assert interpolate(bands, 0.5) == 0  # flat below the first point
    assert interpolate(bands, 0.85) == pytest.approx(40)  # half way from 0.7 to 1.0
    assert interpolate(bands, 1.1) == pytest.approx(90)  # half way from 1.0 to 1.2
    assert interpolate(bands, 3.0) == 100  # flat above the last point
    rule = ScoreRule("x", "bands", bands=bands)
    assert rule.score(1.1) == pytest.approx(0.9)
    assert (rule.lowest, rule.highest) == (0.0, 1.0)
    assert math.isnan(rule.score(math.nan))


def test_rule_resolution_and_defaults() -> None:
    spec = spec_from(SPEC.replace("version: 1", "version: 1\nscoring: {floor: 0.5}"))
    by_id = {k.id: rule_for(spec, k) for k in spec.kpis}
    # Top-level scoring replaces the default; a KPI's own `scoring:` replaces it as a whole.
    assert (by_id["revenue"].floor, by_id["revenue"].cap) == (0.5, DEFAULT_CAP)
    assert by_id["win_rate"].method == "bands"
    plain = spec_from(SPEC)
    assert (rule_for(plain, plain.kpis[0]).floor, rule_for(plain, plain.kpis[0]).cap) == (
        DEFAULT_FLOOR,
        DEFAULT_CAP,
    )


def test_lower_is_better_with_nothing_scores_the_top() -> None:
    # A discount-free month: attainment target / 0 is undefined, but it is the best case.
    data = in_memory()
    orders = data.sources["orders"].frame
    orders.loc[orders["rep"] == "A", "discount"] = 0.0
    card = score(Review(data.spec, period="2017-06", as_of=JUNE_END, dataset=data).results)
    discount = kpi(card, "rep", "A", "discount")
    assert discount.scored
    assert discount.score == DEFAULT_CAP


def test_tiers_default_and_custom() -> None:
    tiers = tier_table(spec_from(SPEC))
    assert [(t.name, t.minimum) for t in tiers] == [("A", 0.95), ("B", 0.85), ("C", 0.7), ("D", 0)]
    # 0.9499999999999 is 0.95 once float noise is rounded away.
    assert tier_of(0.95 - 1e-12, tiers) == "A"
    assert tier_of(0.6999, tiers) == "D"
    custom = spec_from(SPEC + "tiers: {gold: 1.0, silver: 0.8, bronze: 0}\n")
    assert [t.name for t in tier_table(custom)] == ["gold", "silver", "bronze"]
    with pytest.raises(SpecError, match="add one at 0"):
        spec_from(SPEC + "tiers: {gold: 1.0, silver: 0.8}\n")


@pytest.mark.parametrize(
    ("scoring", "message"),
    [
        ("{bands: [[1.0, 80]]}", "at least two"),
        ("{bands: [[0.7, 0], [1.0]]}", "each band is a pair"),
        ("{bands: [[1.0, 80], [0.7, 0]]}", "must increase"),
        ("{bands: [[0.7, 80], [1.0, 10]]}", "must not decrease"),
        ("{bands: [[0.7, 0], [1.0, 80]], cap: 1.5}", "replace `floor:` and `cap:`"),
        ("{floor: 1.5}", "must be below `cap:` 1.2"),
    ],
)
def test_scoring_spec_errors(scoring: str, message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("`", ".").replace("[", ".")):
        spec_from(SPEC + f"scoring: {scoring}\n")


def test_no_weights_is_a_spec_error() -> None:
    text = (
        textwrap.dedent(SPEC).replace("weight: 40", "weight: 0").replace("weight: 20", "weight: 0")
    )
    spec = parse_spec(text, "kpi.yaml", check_paths=False)
    data = in_memory(text)
    with pytest.raises(SpecError, match="nothing to score"):
        score(Review(spec, period="2017-06", as_of=JUNE_END, dataset=data).results)


def test_scorecard_without_previous_period() -> None:
    data = in_memory()
    review = Review(data.spec, period="2017-06", as_of=JUNE_END, dataset=data)
    card = score_with_change(review.results, None)
    assert card.previous_period is None
    assert card.totals["trend"].isna().all()


def test_previous_period_cut_from_the_cube_equals_a_review_of_it() -> None:
    # Scoring's previous period is cut from the reviewed cube, not counted again: it must be
    # exactly what a review of May as of its last day gives.
    data = in_memory()
    june = Review(data.spec, period="2017-06", as_of=JUNE_END, dataset=data)
    may = Review(data.spec, period="2017-05", as_of=dt.date(2017, 5, 31), dataset=data)
    assert june.previous is not None
    assert june.previous.period == may.period and june.previous.as_of == may.as_of
    pd.testing.assert_frame_equal(june.previous.table, may.results.table)
    pd.testing.assert_frame_equal(june.previous.cube, may.cube)


def test_previous_period_that_fails_leaves_a_warning(monkeypatch) -> None:
    data = in_memory()
    review = Review(data.spec, period="2017-06", as_of=JUNE_END, dataset=data)

    def broken() -> None:
        raise SpecError("overrides for 2017-05 are broken")

    card = score_with_change(review.results, broken)
    assert card.previous_period is None
    assert [f.code for f in card.findings] == ["previous-period"]


# -- properties ------------------------------------------------------------------------------

PROPERTY_SPEC = """
version: 1
sources:
  s: {path: s.csv, columns: {date: d, rep: r}}
scoring: {floor: FLOOR, cap: CAP}
kpis:
  - {id: k1, name: K1, source: s, measure: count, weight: 50}
  - {id: k2, name: K2, source: s, measure: count, weight: 30}
  - {id: k3, name: K3, source: s, measure: count, weight: 20}
"""
KPIS = ["k1", "k2", "k3"]


def _fake_results(spec, paces: dict[tuple[str, str], float | None], teams: dict[str, str]):
    """A results table with the given attainment to date (None: no data) per (rep, kpi)."""
    rows = []
    for (rep, kpi_id), pace in paces.items():
        rows.append(
            {
                "kpi": kpi_id,
                "level": "rep",
                "entity": rep,
                "name": rep,
                "parent": teams[rep],
                "actual": math.nan if pace is None else 1.0,
                "target": 1.0,
                "attainment": pace,
                "pace": pace,
                "expected_to_date": 1.0,
                "status": "no_data" if pace is None else "on_track",
                "responses": 5,
                "note": "",
            }
        )
    calendar = Calendar(Grain.MONTH)
    period = calendar.parse("2017-06")
    org = SimpleNamespace(levels=["team"])
    return SimpleNamespace(
        spec=spec, table=pd.DataFrame(rows), org=org, period=period, as_of=JUNE_END
    )


attainments = st.one_of(st.none(), st.floats(min_value=0, max_value=5, allow_nan=False))
scorecards = st.dictionaries(
    st.sampled_from([f"R{i}" for i in range(8)]),
    st.tuples(attainments, attainments, attainments),
    min_size=1,
)


@settings(max_examples=examples(60), deadline=None)
@given(
    scorecards,
    st.floats(min_value=0, max_value=0.9),
    st.floats(min_value=1.0, max_value=2.0),
)
def test_scores_are_bounded_weights_renormalise_and_ranks_permute(data, floor, cap) -> None:
    spec = spec_from(PROPERTY_SPEC.replace("FLOOR", str(floor)).replace("CAP", str(cap)))
    teams = {rep: f"T{int(rep[1:]) % 3}" for rep in data}
    paces = {(rep, k): v for rep, values in data.items() for k, v in zip(KPIS, values, strict=True)}
    card = score(_fake_results(spec, paces, teams))
    totals = card.totals.set_index("entity")
    for rep, values in data.items():
        shares = card.kpi_rows("rep", rep)["weight_share"]
        if all(v is None for v in values):
            assert math.isnan(totals.loc[rep, "total"])
            assert shares.sum() == 0
            continue
        # The total is a weighted mean of scores, each clamped to [floor, cap].
        assert floor - 1e-9 <= totals.loc[rep, "total"] <= cap + 1e-9
        assert shares.sum() == pytest.approx(1.0)
    # Competition ranking: 1 + the number of strictly higher totals; tied iff shared.
    ranked = totals.dropna(subset=["rank"])
    rounded = ranked["total"].round(9)
    for entity, row in ranked.iterrows():
        higher = int((rounded > rounded[entity]).sum())
        assert row["rank"] == 1 + higher
        assert bool(row["tied"]) == (int((rounded == rounded[entity]).sum()) > 1)
    for _, group in ranked.groupby("parent"):
        inner = group["total"].round(9)
        for entity, row in group.iterrows():
            assert row["rank_in_parent"] == 1 + int((inner > inner[entity]).sum())


@settings(max_examples=examples(40), deadline=None)
@given(scorecards, st.randoms(use_true_random=False))
def test_ties_are_broken_deterministically(data, rng: random.Random) -> None:
    spec = spec_from(PROPERTY_SPEC.replace("FLOOR", "0").replace("CAP", "1.2"))
    teams = dict.fromkeys(data, "T")
    paces = {(rep, k): v for rep, values in data.items() for k, v in zip(KPIS, values, strict=True)}
    shuffled = list(paces.items())
    rng.shuffle(shuffled)
    first = score(_fake_results(spec, paces, teams)).totals
    second = score(_fake_results(spec, dict(shuffled), teams)).totals
    key = ["entity", "rank"]
    pd.testing.assert_frame_equal(
        first[key].sort_values("entity").reset_index(drop=True),
        second[key].sort_values("entity").reset_index(drop=True),
    )
    # The documented rule: total desc, then scored weight desc, then entity key asc.
    ordered = rank_order(first)
    keys = [
        (-round(t, 9), -round(w, 9), e)
        for t, w, e in zip(
            ordered["total"], ordered["scored_weight"], ordered["entity"], strict=True
        )
    ]
    assert keys == sorted(keys)


def test_equal_totals_share_a_rank_and_are_listed_complete_first() -> None:
    spec = spec_from(PROPERTY_SPEC.replace("FLOOR", "0").replace("CAP", "1.2"))
    paces = {
        ("R2", "k1"): 1.0,
        ("R2", "k2"): 1.0,
        ("R2", "k3"): 1.0,  # complete, total 1.0
        ("R1", "k1"): 1.0,
        ("R1", "k2"): 1.0,
        ("R1", "k3"): None,  # partial, total 1.0
        ("R3", "k1"): 1.0,
        ("R3", "k2"): 1.0,
        ("R3", "k3"): 1.0,  # complete, total 1.0, key after R2
    }
    teams = dict.fromkeys(["R1", "R2", "R3"], "T")
    card = score(_fake_results(spec, paces, teams)).totals
    reps = card[card["level"] == "rep"]
    # Listed: the complete scorecards first, then by key; ranked: all three share rank 1
    # (equal totals, 100 points each: nothing in the scorecard tells them apart).
    assert reps["entity"].tolist() == ["R2", "R3", "R1"]
    totals = reps.set_index("entity")
    assert totals["rank"].to_dict() == {"R2": 1, "R3": 1, "R1": 1}
    assert totals["tied"].to_dict() == {"R2": True, "R3": True, "R1": True}
    assert totals["percentile"].to_dict() == {"R2": 0.0, "R3": 0.0, "R1": 0.0}


def test_a_tie_below_the_top_leaves_a_gap_after_it() -> None:
    spec = spec_from(PROPERTY_SPEC.replace("FLOOR", "0").replace("CAP", "1.2"))
    # Totals: R1 1.2 (all capped), R2 and R3 1.0, R4 0.5 -> ranks 1, =2, =2, 4.
    paces = {("R1", k): 1.5 for k in KPIS}
    paces |= {("R2", k): 1.0 for k in KPIS} | {("R3", k): 1.0 for k in KPIS}
    paces |= {("R4", k): 0.5 for k in KPIS}
    teams = dict.fromkeys(["R1", "R2", "R3", "R4"], "T")
    totals = score(_fake_results(spec, paces, teams)).totals
    reps = totals[totals["level"] == "rep"].set_index("entity")
    assert reps["rank"].to_dict() == {"R1": 1, "R2": 2, "R3": 2, "R4": 4}
    assert reps["tied"].to_dict() == {"R1": False, "R2": True, "R3": True, "R4": False}


def test_thin_scorecards_are_shown_but_not_ranked() -> None:
    spec = spec_from(PROPERTY_SPEC.replace("FLOOR", "0").replace("CAP", "1.2"))
    paces = {("R1", "k1"): 1.0, ("R1", "k2"): 1.0, ("R1", "k3"): 1.0}
    paces |= {("R9", "k1"): None, ("R9", "k2"): None, ("R9", "k3"): 2.0}  # 20% of the weight
    totals = score(_fake_results(spec, paces, {"R1": "T", "R9": "T"})).totals.set_index("entity")
    assert totals.loc["R9", "total"] == pytest.approx(1.2)
    assert pd.isna(totals.loc["R9", "rank"]) and totals.loc["R9", "tier"] is None
    assert totals.loc["R1", "rank"] == 1
