"""Targets replayed over closed periods, from one actuals cube.

For each period asked for, targets are set exactly as the spec would have set them then
(:func:`salesperf.engine.targets.compute_targets` only ever reads periods before the one it
sets, so there is no look-ahead) and joined with what actually happened. The report's trend
(:attr:`salesperf.review.Review.trend`) and `salesperf backtest` both cut the cube a review
has already counted instead of running the pipeline again.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesperf.engine.attainment import attainment_ratio
from salesperf.engine.targets import compute_targets
from salesperf.spec.models import Direction

if TYPE_CHECKING:
    from salesperf.engine.org import Org
    from salesperf.engine.pipeline import Results
    from salesperf.periods import Calendar
    from salesperf.sources.market import MarketFigures
    from salesperf.spec import Spec


def replay(
    results: Results, periods: int = 6, levels: Collection[str] | None = None
) -> pd.DataFrame:
    """Targets and actuals for the last ``periods`` closed periods before the current one.

    Columns: kpi, level, entity, period, actual, target, target_method, attainment.
    ``levels``: only these levels' rows (all by default), with the same numbers.
    """
    cube = results.cube
    first = int(cube["p"].min()) if len(cube) else results.period.ordinal
    ordinals = [results.period.ordinal - back for back in range(periods, 0, -1)]
    ordinals = [o for o in ordinals if o > first]  # the first period has no history
    return replay_periods(
        results.spec,
        cube,
        results.org,
        results.calendar,
        ordinals,
        levels=levels,
        market=results.dataset.market,
    )


def replay_periods(
    spec: Spec,
    cube: pd.DataFrame,
    org: Org,
    calendar: Calendar,
    ordinals: list[int],
    *,
    levels: Collection[str] | None = None,
    market: MarketFigures | None = None,
) -> pd.DataFrame:
    """Targets as ``spec`` sets them for each period ordinal, joined with its actuals.

    One cube serves every period: :func:`~salesperf.engine.targets.compute_targets` reads only the
    periods before the one it sets, and the actuals of a period depend on no later row (its
    own rows; for new customers, a first-ever row, which later rows cannot move; for
    retention, the period before). So a cube counted up to today holds, for every closed
    period, exactly what was known when it closed (``tests/tools/test_backtest.py`` deletes the
    later rows to prove it). Actuals made of fewer than ``min_responses`` answers count as
    no data, as in :mod:`salesperf.engine.attainment`. Target overrides are not applied: the
    replay judges the rule. ``levels`` keeps only these levels' rows (see
    :func:`~salesperf.engine.targets.compute_targets`).
    """
    columns = ["kpi", "level", "entity", "period", "actual", "target", "target_method"]
    frames = []
    lookups: dict[Any, Any] = {}  # one spec, cube and org: their look-ups serve every period
    actuals = cube if levels is None else cube[cube["level"].isin(list(levels))]
    for ordinal in ordinals:
        period = calendar.period(ordinal)
        targets = compute_targets(
            spec, cube, org, calendar, period, lookups=lookups, levels=levels, market=market
        ).frame
        actual = actuals.loc[
            actuals["p"] == ordinal, ["kpi", "level", "entity", "actual", "responses"]
        ]
        merged = actual.merge(
            targets[["kpi", "level", "entity", "target", "target_method"]], how="inner"
        )
        merged["period"] = period.label
        frames.append(merged)
    if not frames:
        return pd.DataFrame(columns=[*columns, "attainment"])
    out = pd.concat(frames, ignore_index=True)
    out["target"] = pd.to_numeric(out["target"], errors="coerce").astype("float64")
    out["actual"] = out["actual"].astype("float64")
    least = out["kpi"].map({k.id: k.min_responses or 0 for k in spec.kpis}).astype("int64")
    out["actual"] = out["actual"].where(out["responses"].astype("int64") >= least)
    lower = out["kpi"].map({k.id: k.direction is Direction.LOWER for k in spec.kpis}).astype(bool)
    attainment = attainment_ratio(out["actual"], out["target"], lower)
    out = out[columns].copy()
    out["attainment"] = attainment.where(out["actual"].notna())
    return out
