"""A small review project shared by the scoring, plan and CLI tests (numbers in test_scoring).

Team T1: Ann (A) and Bob (B); team T2: Cai (C). Targets are fixed so every score can be
worked out by hand. May 2017 is the previous period, June 2017 the reviewed one (closed:
as of 2017-06-30).

    revenue   sum of amount, target 100 per rep (teams: sums)      weight 40, clamp 0..1.2
    discount  mean discount, lower is better, target 0.10           weight 20, clamp 0..1.2
    win_rate  won / (won + lost), target 0.5                        weight 20, bands
    csat      mean csat score, min_responses 2, target 4.0          weight 20, clamp 0..1.2
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from salesperf.sources.dataset import Dataset
from tests.engine_helpers import dataset, frame, spec_from

SPEC = """
version: 1
title: Review Co
period: month
sources:
  orders:
    path: orders.csv
    columns: {date: Date, rep: Rep, amount: Amount, discount: Discount}
  pipeline:
    path: pipeline.csv
    columns: {date: Closed, rep: Owner, stage: Stage}
  feedback:
    path: feedback.csv
    columns: {date: Date, rep: Rep, kind: Kind, score: Score, comment: Comment}
org:
  path: roster.csv
  columns: {rep: id, name: name, team: team}
  levels: [team]
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
    weight: 40
    target: {method: fixed, value: 100, level: rep}
    advice: {behind: call your top ten accounts, at_risk: close what is in late stage}
  - id: discount
    name: Average discount
    source: orders
    measure: mean
    column: discount
    unit: percent
    direction: lower
    weight: 20
    target: {method: fixed, value: 0.1}
    advice: {en: hold the list price, zh-CN: 守住标价}
  - id: win_rate
    name: Win rate
    source: pipeline
    measure: ratio
    numerator: {measure: count, where: {stage: Won}}
    denominator: {measure: count, where: {stage: [Won, Lost]}}
    unit: percent
    weight: 20
    target: {method: fixed, value: 0.5}
    scoring: {bands: [[0.7, 0], [1.0, 80], [1.2, 100]]}
    advice: qualification and follow-up
  - id: csat
    name: CSAT
    source: feedback
    measure: mean
    column: score
    where: {kind: csat}
    min_responses: 2
    unit: score
    weight: 20
    target: {method: fixed, value: 4.0}
"""

ORDERS = [
    ("2017-05-10", "A", 80.0, 0.10),
    ("2017-05-11", "B", 120.0, 0.10),
    ("2017-05-12", "C", 100.0, 0.10),
    ("2017-06-05", "A", 100.0, 0.08),
    ("2017-06-06", "A", 50.0, 0.12),
    ("2017-06-07", "B", 50.0, 0.05),
    ("2017-06-08", "C", 90.0, 0.20),
]
ORDER_COLUMNS = ["date", "rep", "amount", "discount"]
PIPELINE = [
    ("2017-06-01", "A", "Won"),
    ("2017-06-02", "A", "Lost"),
    ("2017-06-03", "B", "Won"),
    ("2017-06-04", "B", "Lost"),
    ("2017-06-05", "B", "Lost"),
    ("2017-06-06", "C", "Open"),
]
PIPELINE_COLUMNS = ["date", "rep", "stage"]
FEEDBACK = [
    ("2017-06-02", "A", "csat", 5.0, "Quick and clear quote."),
    ("2017-06-20", "A", "csat", 4.0, ""),
    ("2017-06-20", "A", "manager", 4.0, "Strong month, keep the pace."),
    ("2017-06-25", "A", "csat", None, "Late reply on the invoice."),
    ("2017-06-09", "B", "csat", 5.0, "Bob fixed it the same day."),
    ("2017-06-11", "C", "csat", 3.0, "Delivery was late."),
    ("2017-06-12", "C", "csat", 3.0, None),
    ("2017-07-01", "C", "csat", 1.0, "After the period."),
]
FEEDBACK_COLUMNS = ["date", "rep", "kind", "score", "comment"]
ROSTER = [("A", "Ann", "T1"), ("B", "Bob", "T1"), ("C", "Cai", "T2")]
ROSTER_COLUMNS = ["rep", "name", "team"]


def in_memory(spec_text: str = SPEC) -> Dataset:
    spec = spec_from(spec_text)
    return dataset(
        spec,
        {
            "orders": frame(ORDERS, ORDER_COLUMNS),
            "pipeline": frame(PIPELINE, PIPELINE_COLUMNS),
            "feedback": frame(FEEDBACK, FEEDBACK_COLUMNS),
        },
        frame(ROSTER, ROSTER_COLUMNS),
    )


def write_project(folder: Path, spec_text: str = SPEC) -> Path:
    """The same project as files; returns the kpi.yaml path."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "orders.csv": (ORDERS, ["Date", "Rep", "Amount", "Discount"]),
        "pipeline.csv": (PIPELINE, ["Closed", "Owner", "Stage"]),
        "feedback.csv": (FEEDBACK, ["Date", "Rep", "Kind", "Score", "Comment"]),
        "roster.csv": (ROSTER, ["id", "name", "team"]),
    }
    for name, (rows, headers) in tables.items():
        pd.DataFrame(rows, columns=headers).to_csv(folder / name, index=False)
    path = folder / "kpi.yaml"
    path.write_text(textwrap.dedent(spec_text).lstrip("\n"), encoding="utf-8")
    return path
