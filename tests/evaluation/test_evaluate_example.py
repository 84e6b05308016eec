"""The bundled example gives a believable review: the planted anomalies show in the scores.

examples/README.md plants R05's revenue slump (May-June 2017), R21 going quiet (June 2017)
and R17's one-off huge order (March 2017). examples/kpi.yaml counts revenue up to 200% and
scores new customers on bands, so one big month can top a review and a single new
customer more or less cannot.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salesperf.review import Review

EXAMPLE = Path(__file__).parents[2] / "examples" / "kpi.yaml"


@pytest.fixture(scope="module")
def data(example_data):
    return example_data[1]  # examples/kpi.yaml, loaded once per session (tests/conftest.py)


def _reps(evaluation) -> list[str]:
    totals = evaluation.scorecard.totals
    ranked = totals[(totals["level"] == "rep") & totals["rank"].notna()]
    return list(ranked.sort_values("rank")["entity"])


def test_june_2017_r21_last_and_r05_near_the_bottom(data) -> None:
    june = Review(data.spec, period="2017-06", as_of=dt.date(2017, 6, 21), dataset=data).evaluation
    order = _reps(june)
    assert len(order) == 29
    assert order[-1] == "R21"  # no order at all in June
    assert "R05" in order[-3:]  # revenue at half pace
    r21 = june.scorecard.total("rep", "R21")
    assert (r21.tier, r21.partial, r21.trend) == ("D", True, "down")
    assert june.plans["R05"].weaknesses[0].kpi == "revenue"
    assert june.plans["R05"].summary.startswith("Revenue at 48% of target pace")
    # R40 sells but is not on the roster: shown, never ranked.
    assert "R40" not in order


def test_may_2017_r05_slump(data) -> None:
    may = Review(data.spec, period="2017-05", dataset=data).evaluation
    order = _reps(may)
    assert "R05" in order[-4:]
    revenue = may.scorecard.kpi_rows("rep", "R05").set_index("kpi").loc["revenue"]
    assert revenue.attainment_to_date == pytest.approx(0.36, abs=0.01)


def test_march_2017_r17_tops_the_review(data) -> None:
    march = Review(data.spec, period="2017-03", dataset=data).evaluation
    assert _reps(march)[0] == "R17"
    revenue = march.scorecard.kpi_rows("rep", "R17").set_index("kpi").loc["revenue"]
    assert revenue.attainment == pytest.approx(2.46, abs=0.01)
    assert revenue.score == pytest.approx(2.0)  # the example's revenue cap
