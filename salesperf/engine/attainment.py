"""Attainment, pace, projection and status for one period.

Definitions (fractions, not percent):

- ``attainment`` = actual / target (``direction: lower``: target / actual) for positive
  targets; see :func:`attainment_ratio` for targets and actuals <= 0.
- ``gap`` = actual - target, in the KPI's unit (negative: below target).
- ``expected_to_date`` = target x elapsed share for KPIs that accumulate through a period
  (sum, count, new customers, distinct customers); for ratios, means and retention, which
  are shares or averages, it is the target itself.
- ``pace`` = actual / expected_to_date (lower: expected_to_date / actual). At period end
  pace equals attainment.
- ``projected`` = actual / elapsed share for accumulating KPIs (run rate on the same curve
  as the pacing); the current value for ratios, means and retention.
- ``status``: ``on_track`` when pace >= status.on_track (default 1.0) or, for ``direction:
  lower``, when the actual is 0 (attainment has no finite value then), ``at_risk`` when
  pace >= status.at_risk (default 0.9), else ``behind``; ``no_target`` without a usable
  target, ``no_data`` without an actual (or with fewer than ``min_responses``). Any target
  shown is a target: a negative one gets a status like a positive one, and a target of 0
  is on track when the actual is at or better than 0, else behind.
- Retention is a share, like a ratio: it is not paced (expected_to_date is the target and
  the projection is the value to date), so pace equals attainment to date. Retention to
  date only rises through a period: before it ends, its status compares the share so far
  with the full target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesperf.spec.models import CUMULATIVE_MEASURES, Direction

if TYPE_CHECKING:
    from salesperf.spec import Spec

STATUSES = ("on_track", "at_risk", "behind", "no_target", "no_data")


def attainment_ratio(actual: pd.Series, target: pd.Series, lower: pd.Series) -> pd.Series:
    """Attainment as a fraction (1.0 = on target), for targets and actuals of any sign.

    - Higher is better: actual / target for a positive target. For a negative target (a
      loss to narrow) it is 1 + (actual - target) / |target|, the same formula written so
      that doing better than the target always scores above 1: target -100, actual -50
      -> 1.5; actual +50 -> 2.5. (For a positive target the two are equal.)
    - Lower is better: target / actual when both are positive; an actual <= 0 under a
      positive target is the best case (no finite value; status on track). For a negative
      target: 1 + (target - actual) / |target|.
    - A target of 0 has no ratio (NaN); its status follows the sign of the gap.
    """
    scale = target.abs()
    with np.errstate(divide="ignore", invalid="ignore"):
        higher = 1 + (actual - target) / scale
        lower_value = (target / actual).where(target > 0, 1 + (target - actual) / scale)
    lower_value = lower_value.where(~((target > 0) & (actual <= 0)))
    out = higher.where(~lower, lower_value).where((target != 0) & target.notna())
    return out.replace([np.inf, -np.inf], np.nan)


def compute_attainment(
    spec: Spec, actuals: pd.DataFrame, targets: pd.DataFrame, shares: dict[str, float]
) -> pd.DataFrame:
    """Join one period's actuals with targets and add the pacing columns.

    ``shares`` maps KPI id -> elapsed share of the period (0..1).
    """

    table = actuals.merge(targets, on=["kpi", "level", "entity"], how="left")
    kpis = {k.id: k for k in spec.kpis}
    cumulative = table["kpi"].map(lambda k: kpis[k].measure in CUMULATIVE_MEASURES).astype(bool)
    lower = table["kpi"].map(lambda k: kpis[k].direction is Direction.LOWER).astype(bool)
    min_responses = table["kpi"].map(lambda k: kpis[k].min_responses or 0).astype("int64")
    share = table["kpi"].map(shares).astype("float64")

    actual = table["actual"].astype("float64")
    insufficient = table["responses"].astype("int64") < min_responses
    actual = actual.where(~insufficient)
    table["actual"] = actual
    target = pd.to_numeric(table["target"], errors="coerce").astype("float64")
    table["target"] = target
    usable = target.notna()

    table["attainment"] = attainment_ratio(actual, target, lower).where(actual.notna())
    table["gap"] = (actual - target).where(target.notna())

    expected = (target * share).where(cumulative, target)
    table["expected_to_date"] = expected.where(usable)
    pace = attainment_ratio(actual, expected, lower)
    table["pace"] = pace.where(usable & actual.notna() & (expected != 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        projected = (actual / share).where(cumulative & (share > 0), actual)
    table["projected"] = projected.where(~(cumulative & (share <= 0)))
    table["elapsed"] = share

    on_track = spec.status.on_track
    at_risk = spec.status.at_risk
    # Lower is better and nothing happened (no returns, no complaints) or better than
    # nothing: the best case, though target / actual has no finite value.
    perfect = (lower & (target > 0) & (actual <= 0)).to_numpy()
    # A target of 0 has no ratio: on track at or better than 0.
    zero = (target == 0).to_numpy()
    zero_ok = zero & np.where(lower, actual <= 0, actual >= 0)
    status = np.select(
        [
            actual.isna().to_numpy(),
            ~usable.to_numpy(),
            perfect,
            zero_ok,
            zero,
            (table["pace"] >= on_track).to_numpy(),
            (table["pace"] >= at_risk).to_numpy(),
            table["pace"].notna().to_numpy(),
        ],
        ["no_data", "no_target", "on_track", "on_track", "behind", "on_track", "at_risk", "behind"],
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
