"""The period-end review's evaluation: results -> scorecard (with change) -> plans -> comments.

:class:`Evaluation` is what :attr:`salesperf.review.Review.evaluation` hands to
`salesperf evaluate`, reports and notebooks;
:func:`select` narrows it to a rep, a team or a level; :func:`to_dict` and
:func:`csv_frame` are the JSON (contract ``salesperf.evaluation/1``) and CSV views. Every
number is a plain fraction (0.78 = 78%, a score of 1.0 = 100 points), never a string.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesperf.engine.pipeline import check_level, find_entity
from salesperf.errors import Finding, Level, UsageError, argument

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results
    from salesperf.evaluation.plans import Plan
    from salesperf.evaluation.scoring import Scorecard

EVALUATION_SCHEMA = "salesperf.evaluation/1"
#: Per-KPI numbers in the CSV, as ``<kpi>_<field>`` columns.
ENTITY_KEYS = ("level", "entity", "name", "parent")
CSV_KPI_FIELDS = ["actual", "target", "attainment", "attainment_to_date", "score", "weight_share"]


@dataclass
class Evaluation:
    results: Results
    scorecard: Scorecard
    #: Rep id -> improvement plan (every scored rep).
    plans: dict[str, Plan]
    #: The period's feedback comments, newest first (see salesperf.evaluation.feedback).
    comments: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Selection:
    """What one view shows: totals and KPI rows of some entities, their plans, comments."""

    totals: pd.DataFrame
    kpis: pd.DataFrame
    plans: list[Plan]
    comments: pd.DataFrame
    rep: str | None = None
    team: str | None = None
    level: str | None = None


def select(
    evaluation: Evaluation,
    *,
    rep: str | None = None,
    team: str | None = None,
    level: str | None = None,
) -> Selection:
    """Narrow an evaluation: one rep; one team and its reps; one level; or everything."""

    results = evaluation.results
    totals = evaluation.scorecard.totals
    kpis = evaluation.scorecard.kpis
    comments = evaluation.comments
    check_level(results, level)
    if rep is not None:
        entity = find_entity(results, "rep", rep)
        mask = (totals["level"] == "rep") & (totals["entity"] == entity)
        kmask = (kpis["level"] == "rep") & (kpis["entity"] == entity)
        plans = [evaluation.plans[entity]] if entity in evaluation.plans else []
        return Selection(
            totals.loc[mask],
            kpis.loc[kmask],
            plans,
            comments.loc[comments["rep"] == entity],
            rep=entity,
        )
    if team is not None:
        team_level = results.org.levels[0] if results.org.levels else None
        if team_level is None:
            raise UsageError(
                "No teams:",
                [
                    Finding(
                        Level.ERROR,
                        "this spec has no team level (map a team column or add an org roster)",
                        argument("team"),
                        "no-teams",
                    )
                ],
            )
        entity = find_entity(results, team_level, team)
        mask = ((totals["level"] == team_level) & (totals["entity"] == entity)) | (
            (totals["level"] == "rep") & (totals["parent"] == entity)
        )
        chosen = totals.loc[mask]
        reps = list(chosen.loc[chosen["level"] == "rep", "entity"])
        return Selection(
            chosen,
            _kpis_of(kpis, chosen),
            [evaluation.plans[r] for r in reps if r in evaluation.plans],
            comments.loc[comments["rep"].isin(reps)],
            team=entity,
        )
    if level is not None:
        chosen = totals.loc[totals["level"] == level]
        plans = list(evaluation.plans.values()) if level == "rep" else []
        return Selection(chosen, _kpis_of(kpis, chosen), plans, comments, level=level)
    return Selection(totals, kpis, list(evaluation.plans.values()), comments)


def _kpis_of(kpis: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    keys = totals[["level", "entity"]]
    return kpis.merge(keys, on=["level", "entity"], how="inner")


# -- views ---------------------------------------------------------------------------------


def to_dict(evaluation: Evaluation, selection: Selection | None = None) -> dict[str, Any]:
    """The JSON shape (``salesperf.evaluation/1``): every number a plain fraction."""
    chosen = selection or select(evaluation)
    results = evaluation.results
    card = evaluation.scorecard
    spec = results.spec
    by_entity: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in chosen.kpis.to_dict(orient="records"):
        by_entity.setdefault((row["level"], row["entity"]), []).append(
            _clean({k: v for k, v in row.items() if k not in ENTITY_KEYS})
        )
    entities = []
    for row in chosen.totals.to_dict(orient="records"):
        item = _clean(row)
        item["missing"] = list(row["missing"])
        item["kpis"] = by_entity.get((row["level"], row["entity"]), [])
        entities.append(item)
    comments = chosen.comments.assign(date=chosen.comments["date"].astype(str))
    return {
        "schema": EVALUATION_SCHEMA,
        "title": spec.title,
        "period": results.period.label,
        "period_start": results.period.start.isoformat(),
        "period_end": (results.period.end - dt.timedelta(days=1)).isoformat(),
        "as_of": results.as_of.isoformat(),
        "closed": card.closed,
        "previous_period": card.previous_period,
        "currency": spec.currency,
        "locale": spec.locale.value,
        "scoring": {
            "scored_value": "attainment_to_date",
            "kpis": {
                kpi: {"weight": card.weights[kpi], **rule.as_dict()}
                for kpi, rule in card.rules.items()
            },
            "tiers": [{"name": t.name, "minimum": t.minimum} for t in card.tiers],
        },
        "entities": entities,
        "plans": [plan.as_dict() for plan in chosen.plans],
        "comments": [_clean(r) for r in comments.to_dict(orient="records")],
        "findings": [f.to_dict() for f in evaluation.findings],
    }


def csv_frame(evaluation: Evaluation, selection: Selection | None = None) -> pd.DataFrame:
    """One row per entity: totals, ranks, change, then ``<kpi>_<field>`` per weighted KPI
    (fields: actual, target, attainment, attainment_to_date, score, weight_share) and, for
    reps, the plan's summary line."""

    chosen = selection or select(evaluation)
    frame = chosen.totals.copy()
    frame["missing"] = frame["missing"].map(lambda m: ";".join(m))
    for kpi in evaluation.scorecard.weights:
        rows = chosen.kpis.loc[chosen.kpis["kpi"] == kpi].set_index(["level", "entity"])
        keys = pd.MultiIndex.from_frame(frame[["level", "entity"]])
        for name in CSV_KPI_FIELDS:
            frame[f"{kpi}_{name}"] = rows[name].reindex(keys).to_numpy()
    summaries = {plan.rep: plan.summary for plan in evaluation.plans.values()}
    frame["summary"] = [
        summaries.get(e, "") if lv == "rep" else ""
        for lv, e in zip(frame["level"], frame["entity"], strict=True)
    ]
    return frame.reset_index(drop=True)


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None:
            out[key] = None
            continue
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        elif isinstance(value, tuple):
            value = list(value)
        elif not isinstance(value, (str, int, float, bool, list, dict)):
            value = None if _is_na(value) else str(value)
        out[key] = value
    return out


def _is_na(value: Any) -> bool:
    try:
        return bool(value != value) or str(value) == "<NA>"
    except (TypeError, ValueError):
        return True
