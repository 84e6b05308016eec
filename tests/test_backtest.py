"""Replaying target rules over closed periods (the Achievable check)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from salesperf.backtest import achievability, replay
from salesperf.pipeline import evaluate
from tests.engine_helpers import dataset, frame, spec_from

SPEC = """
version: 1
sources:
  orders:
    path: o.csv
    columns: {date: d, rep: r, amount: a}
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    weight: 100
    target: TARGET
"""


def results_for(target: str, amounts: dict[str, float]):
    spec = spec_from(SPEC.replace("TARGET", target))
    rows = [
        (f"{month}-10", rep, amount)
        for month in pd.period_range("2016-12", "2017-06", freq="M").astype(str)
        for rep, amount in amounts.items()
    ]
    orders = frame(rows, ["date", "rep", "amount"])
    return evaluate(spec, as_of=dt.date(2017, 6, 30), dataset=dataset(spec, {"orders": orders}))


def test_replay_uses_only_earlier_periods() -> None:
    # Trailing mean of 1: each month's target is the previous month's actual. Every month
    # sells the same, so every replayed attainment is exactly 1.
    history = replay(results_for("{method: trailing_mean, periods: 1}", {"A": 100.0}), 6)
    reps = history[history.level == "rep"]
    assert list(reps.period) == ["2017-01", "2017-02", "2017-03", "2017-04", "2017-05"]
    assert (reps.attainment == 1).all()


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
