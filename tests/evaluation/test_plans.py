"""Improvement plans on tests/review_fixture.py (June 2017; scores in test_scoring.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from salesperf.evaluation.plans import advice_text, build_plans
from salesperf.evaluation.scoring import score
from salesperf.review import Review
from tests.engine_helpers import spec_from
from tests.review_fixture import SPEC, in_memory

JUNE_END = dt.date(2017, 6, 30)


def _plans(spec_text: str = SPEC):
    data = in_memory(spec_text)
    results = Review(data.spec, period="2017-06", as_of=JUNE_END, dataset=data).results
    return build_plans(results, score(results))


@pytest.fixture(scope="module")
def plans():
    return _plans()


def test_weakest_kpis_by_weighted_shortfall(plans) -> None:
    bob = plans["B"]
    # Points lost against scoring on target, x the KPI's weight (fraction of all weights):
    # revenue 0.4 x (1.0 - 0.5) = 0.2; win rate 0.2 x (0.8 - 0) = 0.16 (on target = 80 band
    # points). Discount (2.0) is above target, and csat is not scored.
    assert [i.kpi for i in bob.weaknesses] == ["revenue", "win_rate"]
    assert [round(i.impact, 6) for i in bob.weaknesses] == [-0.2, -0.16]
    assert [i.kpi for i in bob.items] == ["revenue", "discount", "win_rate"]
    revenue = bob.weaknesses[0]
    assert (revenue.severity, revenue.advice) == ("behind", "call your top ten accounts")
    # Team T1 = Ann (1.5) and Bob (0.5): median attainment 1.0; median revenue 100.
    assert revenue.team_median_attainment == pytest.approx(1.0)
    assert revenue.team_median_actual == pytest.approx(100)
    # His own last periods: May 120 (June is the reviewed period).
    assert revenue.recent == (("2017-05", 120.0),)
    assert revenue.recent_value == pytest.approx(120)
    assert bob.unscored == (("csat", "insufficient data: 1 < min_responses 2"),)
    assert bob.summary == (
        "Revenue at 50% of target (team median 100%); Win rate 33.3% vs 50.0% target"
        " — focus: call your top ten accounts; qualification and follow-up."
    )


def test_strengths_beat_target_and_team_median(plans) -> None:
    ann = plans["A"]
    # Revenue 1.5 > 1.05 and > T1 median 1.0; csat 1.125 > median 1.125? Ann is T1's only
    # scored csat, so the median is her own value and it is not a strength.
    assert [i.kpi for i in ann.strengths] == ["revenue"]
    assert ann.weaknesses == ()
    assert ann.summary == (
        "On or above target on every scored KPI; best: Revenue at 150% of target"
        " (team median 100%)."
    )
    bob = plans["B"]
    # Bob's discount (lower is better) 2.0 beats the T1 median of 1.5 (Ann 1.0, Bob 2.0).
    assert [i.kpi for i in bob.strengths] == ["discount"]


def test_at_risk_advice_and_language() -> None:
    cai = _plans()["C"]
    # Discount 0.5 (behind) loses 0.2 x 0.5 = 0.1; csat 0.75 loses 0.2 x 0.25 = 0.05;
    # revenue 0.9 (at risk, >= 0.9) loses 0.4 x 0.1 = 0.04.
    assert [(i.kpi, i.severity) for i in cai.weaknesses] == [
        ("discount", "behind"),
        ("csat", "behind"),
        ("revenue", "at_risk"),
    ]
    assert cai.focus == ("hold the list price", "close what is in late stage")
    zh = _plans(SPEC.replace("title: Review Co", "title: Review Co\nlocale: zh-CN"))["C"]
    assert zh.weaknesses[0].advice == "守住标价"
    assert zh.summary == "Average discount 20.0%，目标 10.0%；CSAT 3，目标 4——重点：守住标价。"


def test_advice_shapes() -> None:
    spec = spec_from(
        SPEC.replace(
            "advice: qualification and follow-up",
            "advice: {behind: {en: qualify harder, zh-CN: 严格筛选}, default: follow up}",
        )
    )
    win_rate = spec.kpi("win_rate")
    assert advice_text(win_rate, "behind", "zh-CN") == "严格筛选"
    assert advice_text(win_rate, "at_risk", "en") == "follow up"
    assert advice_text(win_rate, "on_track", "en") is None
    assert advice_text(spec.kpi("csat"), "behind", "en") is None


def test_plan_as_dict_is_plain_json(plans) -> None:
    import json

    data = plans["B"].as_dict()
    assert data["weaknesses"][0]["recent"] == [{"period": "2017-05", "value": 120.0}]
    assert data["unscored"] == [{"kpi": "csat", "reason": "insufficient data: 1 < min_responses 2"}]
    json.dumps(data)
