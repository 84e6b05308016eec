"""Qualitative feedback: the comments behind the scores, for each rep's feedback report.

Ratings themselves are ordinary KPI inputs: a feedback source (date, rep, kind, score,
comment) feeds KPIs such as ``measure: mean, column: score, where: {kind: csat}`` with
``min_responses``, or ``measure: nps`` on a 0-10 score. This module only keeps the words.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results

COMMENT_COLUMNS = ["date", "rep", "name", "kind", "score", "comment", "source"]


def feedback_comments(
    results: Results, rep: str | None = None, kinds: list[str] | None = None
) -> pd.DataFrame:
    """Non-empty comments of the results' period (up to as-of), newest first.

    Read from every source that maps both ``rep`` and ``comment``. Same-day comments keep
    the file's order reversed (the later row first). ``score`` is NaN where the source's
    score is not loaded as a number (no KPI aggregates it) or was left blank.
    """

    start = pd.Timestamp(results.period.start)
    end = pd.Timestamp(min(results.period.end, results.as_of + dt.timedelta(days=1)))
    parts = []
    for name, loaded in results.dataset.sources.items():
        frame = loaded.frame
        if not {"rep", "comment", "date"} <= set(frame.columns):
            continue
        text = frame["comment"].astype("string").str.strip()
        keep = frame["date"].ge(start) & frame["date"].lt(end) & text.fillna("").ne("")
        if rep is not None:
            keep &= frame["rep"].astype("string").eq(rep).fillna(False)
        if kinds is not None and "kind" in frame.columns:
            keep &= frame["kind"].astype("string").isin(kinds).fillna(False)
        rows = frame.loc[keep]
        part = pd.DataFrame(
            {
                "date": rows["date"].dt.date,
                "rep": rows["rep"].astype("string"),
                "kind": rows["kind"].astype("string") if "kind" in rows else pd.NA,
                "score": pd.to_numeric(rows["score"], errors="coerce")
                if "score" in rows
                else float("nan"),
                "comment": text.loc[keep],
                "source": name,
                "_row": rows["_row"] if "_row" in rows else range(len(rows)),
            }
        )
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=COMMENT_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["date", "source", "_row"], ascending=[False, True, False])
    names = results.org.members.get("name")
    out["name"] = out["rep"].map(names).fillna(out["rep"]) if names is not None else out["rep"]
    return out[COMMENT_COLUMNS].reset_index(drop=True)
