"""Attainment, pace, projection and status for one period.

Definitions (fractions, not percent):

- ``attainment`` = actual / target (``direction: lower``: target / actual).
- ``gap`` = actual - target, in the KPI's unit (negative: below target).
- ``expected_to_date`` = target x elapsed share for KPIs that accumulate through a period
  (sum, count, new customers, distinct customers, retention to date); for ratios and means,
  which do not, it is the target itself.
- ``pace`` = actual / expected_to_date (lower: expected_to_date / actual). At period end
  pace equals attainment.
- ``projected`` = actual / elapsed share for accumulating KPIs (run rate on the same curve
  as the pacing; retention capped at 100%); the current value for ratios and means.
- ``status``: ``on_track`` when pace >= status.on_track (default 1.0) or, for ``direction:
  lower``, when the actual is 0 (attainment has no finite value then), ``at_risk`` when
  pace >= status.at_risk (default 0.9), else ``behind``; ``no_target`` without a usable
  target, ``no_data`` without an actual (or with fewer than ``min_responses``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesperf.spec.models import CUMULATIVE_MEASURES, Direction, MeasureKind

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.spec import Spec

STATUSES = ("on_track", "at_risk", "behind", "no_target", "no_data")


def compute_attainment(
    spec: Spec, actuals: pd.DataFrame, targets: pd.DataFrame, shares: dict[str, float]
) -> pd.DataFrame:
    """Join one period's actuals with targets and add the pacing columns.

    ``shares`` maps KPI id -> elapsed share of the period (0..1).
    """
    import numpy as np
    import pandas as pd

    table = actuals.merge(targets, on=["kpi", "level", "entity"], how="left")
    kpis = {k.id: k for k in spec.kpis}
    cumulative = table["kpi"].map(lambda k: kpis[k].measure in CUMULATIVE_MEASURES).astype(bool)
    share_capped = (
        table["kpi"].map(lambda k: kpis[k].measure is MeasureKind.RETENTION_RATE).astype(bool)
    )
    lower = table["kpi"].map(lambda k: kpis[k].direction is Direction.LOWER).astype(bool)
    min_responses = table["kpi"].map(lambda k: kpis[k].min_responses or 0).astype("int64")
    share = table["kpi"].map(shares).astype("float64")

    actual = table["actual"].astype("float64")
    insufficient = table["responses"].astype("int64") < min_responses
    actual = actual.where(~insufficient)
    table["actual"] = actual
    target = pd.to_numeric(table["target"], errors="coerce").astype("float64")
    table["target"] = target
    usable = target.notna() & (target > 0)

    with np.errstate(divide="ignore", invalid="ignore"):
        higher_att = actual / target
        lower_att = target / actual
    attainment = higher_att.where(~lower, lower_att).where(usable & actual.notna())
    attainment = attainment.replace([np.inf, -np.inf], np.nan)
    table["attainment"] = attainment
    table["gap"] = (actual - target).where(target.notna())

    expected = (target * share).where(cumulative, target)
    table["expected_to_date"] = expected.where(usable)
    with np.errstate(divide="ignore", invalid="ignore"):
        pace_higher = actual / expected
        pace_lower = expected / actual
    pace = pace_higher.where(~lower, pace_lower)
    pace = pace.where(usable & actual.notna() & (expected > 0))
    table["pace"] = pace.replace([np.inf, -np.inf], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        projected = (actual / share).where(cumulative & (share > 0), actual)
    # A share cannot project past 100%.
    projected = projected.where(~share_capped, projected.clip(upper=1.0))
    table["projected"] = projected.where(~(cumulative & (share <= 0)))
    table["elapsed"] = share

    on_track = spec.status.on_track
    at_risk = spec.status.at_risk
    # Lower is better and nothing happened (no returns, no complaints): the best case,
    # though target / actual has no finite value.
    perfect = (lower & usable & (actual == 0)).to_numpy()
    status = np.select(
        [
            actual.isna().to_numpy(),
            ~usable.to_numpy(),
            perfect,
            (table["pace"] >= on_track).to_numpy(),
            (table["pace"] >= at_risk).to_numpy(),
            table["pace"].notna().to_numpy(),
        ],
        ["no_data", "no_target", "on_track", "on_track", "at_risk", "behind"],
        default="no_data",
    )
    table["status"] = status
    note = table["target_note"].fillna("").astype(str) if "target_note" in table else ""
    fewer = insufficient & table["responses"].notna()
    reason = (
        "insufficient data: "
        + table["responses"].astype("int64").astype(str)
        + " < min_responses "
        + min_responses.astype(str)
    )
    table["note"] = reason.where(fewer, note)
    return table
