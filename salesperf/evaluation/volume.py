"""Small counts are scored where they mean something.

A counted KPI (``unit: count``, additive) whose target for an entity is below
:data:`MIN_VOLUME` a period is scored on the nearest level up whose target reaches it
(rep -> team -> region -> company), or on the company when none does. With a target of 0.3
new customers a month, one customer more or less swings a rep from 0% to 300%: a review
must not hang on that. The entity's scorecard cell then carries its parent's attainment to
date, score and status, ``scored_as`` names the level, and the report says so under the
scorecard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesperf.engine.levels import COMPANY
from salesperf.spec.models import Unit

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.pipeline import Results
    from salesperf.evaluation.scoring import ScoreRule

#: A counted KPI whose target for an entity is below this (new customers: 0.3 a rep a
#: month) is scored at the nearest level up whose target reaches it.
MIN_VOLUME = 3


def score_small_targets_above(
    frame: pd.DataFrame, results: Results, rules: dict[str, ScoreRule]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Counted KPIs whose target for an entity is below :data:`MIN_VOLUME` are scored on
    the nearest level up whose target reaches it (rep -> team -> region -> company), or on
    the company when none does.

    One new customer more or less must not swing a review from 0% to 300%: with a target
    of 0.3 or 2 a period, a rep's own attainment is noise. The entity's cell then shows its
    parent's pace (``scored_as`` names the level) and the report says so under the
    scorecard. Returns the frame and, per KPI, the level most of its reps were scored at.
    """
    kpis = {k.id: k for k in results.spec.kpis}
    small = [k for k in rules if kpis[k].unit is Unit.COUNT and kpis[k].additive]
    frame["scored_as"] = None
    if not small:
        return frame, {}
    chain = ["rep", *results.org.levels, COMPANY]
    table = results.table
    parents = dict(
        zip(zip(table["level"], table["entity"], strict=True), table["parent"], strict=True)
    )
    index = {
        (lv, e, k): i
        for i, (lv, e, k) in enumerate(
            zip(frame["level"], frame["entity"], frame["kpi"], strict=True)
        )
    }
    targets = frame["target"].to_numpy()
    moved: dict[str, dict[str, int]] = {}
    updates: dict[int, int] = {}
    for i, (level, entity, kpi) in enumerate(
        zip(frame["level"], frame["entity"], frame["kpi"], strict=True)
    ):
        movable = bool(frame.at[i, "scored"]) or frame.at[i, "reason"] == "no_target"
        if kpi not in small or level == COMPANY or not movable:
            continue
        target = targets[i]
        if target == target and target >= MIN_VOLUME:
            continue
        here, who = level, entity
        while here in chain[:-1]:
            up = chain[chain.index(here) + 1]
            parent = COMPANY if up == COMPANY else parents.get((here, who))
            if parent is None or parent != parent:
                break
            j = index.get((up, str(parent), kpi))
            if j is None:
                break
            # The nearest level up that reaches the minimum; the company when none does
            # (a company target of 2 new customers is still one number, not 30 noises).
            if targets[j] == targets[j] and (targets[j] >= MIN_VOLUME or up == COMPANY):
                if targets[j] > 0:
                    updates[i] = j
                    moved.setdefault(kpi, {})
                    moved[kpi][up] = moved[kpi].get(up, 0) + 1
                break
            here, who = up, str(parent)
    for i, j in updates.items():
        for column in ("attainment_to_date", "score", "status", "scored", "reason", "note"):
            frame.at[i, column] = frame.at[j, column]
        frame.at[i, "scored_as"] = frame.at[j, "level"]
    scored_above = {k: max(levels, key=levels.__getitem__) for k, levels in moved.items()}
    return frame, scored_above
