"""The shortcuts alerts and problem analysis take for speed give exactly what the plain
pandas way gives: the same rows, the same order and the same sums to the last bit (pandas'
sums depend on the order of the values, so "close" is not enough for a report)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from salesperf.anomalies.analysis import BLANK, _Scope, _sums, _top, _top_customers, _top_frame
from salesperf.anomalies.comparisons import Basis, day_in_period, same_point_mask
from salesperf.anomalies.data_rules import _by_rep
from salesperf.engine.metrics import COMPANY
from salesperf.periods import Calendar, Grain
from tests.properties import examples

# Labels that sort in surprising ways, the label of missing values itself, and missing.
labels = st.sampled_from(["a", "B", "b", "c10", "c9", "é", "", "Z z", BLANK, None])
amounts = st.one_of(
    st.sampled_from([0.0, 1.0, -1.0, 0.1, 1e16]),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
)
rows = st.lists(st.tuples(labels, amounts, st.integers(0, 2)), max_size=40)


def _frame(data: list[tuple[str | None, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": pd.array([r[0] for r in data], dtype="string"),
            "_value": pd.Series([r[1] for r in data], dtype="float64"),
            "p": pd.Series([r[2] for r in data], dtype="int64"),
        }
    )


@settings(max_examples=examples(150), deadline=None)
@given(rows, st.integers(0, 2))
def test_scope_sums_are_the_sums_by_label(data, p) -> None:
    frame = _frame(data)
    scope = _Scope(frame, frame["p"].to_numpy(), np.arange(len(frame)))
    picked = (frame["p"] == p).to_numpy()
    fast, plain = scope.sums("product", picked), _sums(frame.loc[picked], "product")
    pd.testing.assert_series_equal(fast, plain, check_exact=True)
    assert scope.total(picked) == float(frame.loc[picked, "_value"].sum())
    assert scope.distinct("product", picked) == frame.loc[picked, "product"].nunique(dropna=False)


@settings(max_examples=examples(150), deadline=None)
@given(rows, rows, st.integers(-1, 5))
def test_top_contributions_are_those_of_the_sorted_table(now, then, top) -> None:
    table = pd.concat(
        {"current": _sums(_frame(now), "product"), "baseline": _sums(_frame(then), "product")},
        axis=1,
    ).fillna(0.0)
    if table.empty:
        return
    change = table["current"] - table["baseline"]
    total = float(change.sum())
    plain = _top_frame(table.assign(change=change), total, total > 0, top)
    assert repr(_top(table, top)) == repr(plain)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(st.text(max_size=3), amounts, amounts), max_size=30), st.integers(1, 5))
def test_top_customers_are_those_of_the_sorted_table(data, top) -> None:
    by_name = {name: (now, then) for name, now, then in data}  # customers are distinct
    names = pd.Index(list(by_name), dtype="string")
    now = np.array([v[0] for v in by_name.values()], dtype="float64")
    then = np.array([v[1] for v in by_name.values()], dtype="float64")
    part = pd.DataFrame({"current": now, "baseline": then, "change": now - then}, index=names)
    ordered = part.assign(_size=part["change"].abs()).sort_index(kind="stable")
    ordered = ordered.sort_values("_size", ascending=False, kind="stable").head(top)
    plain = [
        {
            "customer": str(name),
            "current": float(r["current"]),
            "baseline": float(r["baseline"]),
            "change": float(r["change"]),
        }
        for name, r in ordered.iterrows()
    ]
    assert _top_customers(names, now, then, now - then, top) == plain


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.datetimes(dt.datetime(2015, 1, 1), dt.datetime(2018, 12, 31))),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(list(Grain)),
    st.integers(1, 40),
    st.sampled_from(["ns", "us", "s"]),
)
def test_day_in_period_and_same_point_mask_match_plain_pandas(dates, grain, days, unit) -> None:
    calendar = Calendar(grain)
    stamps = pd.Series(pd.to_datetime(dates)).astype(f"datetime64[{unit}]")
    known = stamps.fillna(pd.Timestamp("2015-01-01"))
    frame = pd.DataFrame({"date": stamps, "p": calendar.ordinals(known).astype("int64")})
    # The plain pandas way (what day_in_period was): each row's period start, mapped.
    starts = frame["p"].map(lambda p: pd.Timestamp(calendar.period(int(p)).start))
    elapsed = (frame["date"] - starts.astype("datetime64[ns]")).dt.days
    plain = (elapsed < days).to_numpy(dtype=bool)
    assert same_point_mask(frame, calendar, Basis("to_date", days)).tolist() == plain.tolist()
    in_days = day_in_period(frame, calendar)
    assert np.array_equal(in_days, elapsed.to_numpy(dtype=float), equal_nan=True)


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.sampled_from(["R2", "R10", "R1", "r1", None]), max_size=30))
def test_by_rep_groups_are_each_reps_rows_in_order(reps) -> None:
    frame = pd.DataFrame({"rep": pd.array(reps, dtype="string"), "n": range(len(reps))})
    text = frame["rep"].astype("string")
    plain = [("rep", rep, frame.loc[text == rep]) for rep in sorted(text.dropna().unique())]
    if text.isna().any():
        plain.append((COMPANY, COMPANY, frame.loc[text.isna()]))
    fast = [(level, entity, frame.iloc[rows]) for level, entity, rows in _by_rep(frame)]
    assert [(level, entity) for level, entity, _ in fast] == [(lv, e) for lv, e, _ in plain]
    for (_, _, got), (_, _, want) in zip(fast, plain, strict=True):
        pd.testing.assert_frame_equal(got, want)


def test_rules_read_no_period_left_out_of_the_cube(monkeypatch, example_june_review) -> None:
    # The same-point cube leaves out periods before first_period_read: with every period
    # kept instead, the example's alerts (June 2017, an open period) are the same, and the
    # periods kept hold the same values.
    import salesperf.anomalies.context as context
    from salesperf.anomalies import detect, to_document

    review = example_june_review  # examples/kpi.yaml as of 2017-06-21 (tests/conftest.py)
    results, rows = review.results, review.rows
    today = dt.date(2017, 6, 21)
    trimmed = context.build_context(results, rows, results.spec.alerts, today)
    found = to_document(results, detect(results, rows, today=today))
    monkeypatch.setattr(context, "first_period_read", lambda results, config: -(10**6))
    whole = context.build_context(results, rows, results.spec.alerts, today)
    assert to_document(results, detect(results, rows, today=today)) == found
    assert trimmed.basis.open and len(whole.values.columns) > len(trimmed.values.columns)
    kept = whole.values.loc[trimmed.values.index, trimmed.values.columns]
    pd.testing.assert_frame_equal(trimmed.values, kept, check_exact=True)
