"""How much of a period "should" be done by the as-of date.

- ``calendar``: days elapsed (as-of day included) / days in the period.
- ``workdays``: working days elapsed / working days in the period: the official calendar
  of ``calendar:`` (or Monday-Friday), minus the spec's ``holidays:``, plus its
  ``workdays:`` (see :mod:`salesperf.engine.workdays`).
- ``seasonal``: the share of a period's total that the company had reached at the same
  point of the period, averaged over up to 12 previous periods (captures end-of-month
  pushes). Falls back to ``calendar`` when there are fewer than 3 such periods.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from salesperf.engine.workdays import working_days
from salesperf.spec.models import Pacing

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.periods import Calendar, Period
    from salesperf.spec import Spec

SEASONAL_LOOKBACK = 12
SEASONAL_MIN_PERIODS = 3


def _elapsed_end(period: Period, as_of: dt.date) -> dt.date:
    """Exclusive end of the elapsed part of the period (the as-of day counts as done)."""
    return max(period.start, min(period.end, as_of + dt.timedelta(days=1)))


def calendar_share(period: Period, as_of: dt.date) -> float:
    return (_elapsed_end(period, as_of) - period.start).days / period.days


def workday_share(spec: Spec, period: Period, as_of: dt.date) -> float:
    worked = working_days(spec, period.start, period.end)
    total = int(worked.sum())
    if total == 0:
        return calendar_share(period, as_of)
    elapsed = (_elapsed_end(period, as_of) - period.start).days
    return int(worked[:elapsed].sum()) / total


def seasonal_share(
    values: pd.DataFrame, calendar: Calendar, period: Period, as_of: dt.date
) -> float | None:
    """Average share of the period total reached at the same elapsed fraction.

    ``values`` has columns ``date`` and ``value`` (company rows of one additive KPI).
    """

    fraction = calendar_share(period, as_of)
    if fraction in (0.0, 1.0):
        return fraction
    shares = []
    for back in range(1, SEASONAL_LOOKBACK + 1):
        past = calendar.period(period.ordinal - back)
        start = np.datetime64(past.start)
        end = np.datetime64(past.end)
        dates = values["date"].to_numpy(dtype="datetime64[D]")
        in_period = (dates >= start) & (dates < end)
        total = float(values["value"].to_numpy()[in_period].sum())
        if total <= 0:
            continue
        cutoff = start + np.timedelta64(round(fraction * past.days), "D")
        done = float(values["value"].to_numpy()[in_period & (dates < cutoff)].sum())
        shares.append(done / total)
    if len(shares) < SEASONAL_MIN_PERIODS:
        return None
    return float(min(1.0, max(0.0, sum(shares) / len(shares))))


def elapsed_share(
    spec: Spec,
    period: Period,
    as_of: dt.date,
    *,
    calendar: Calendar | None = None,
    company_values: pd.DataFrame | None = None,
) -> float:
    if as_of >= period.end - dt.timedelta(days=1):
        return 1.0
    if as_of < period.start:
        return 0.0
    if spec.pacing is Pacing.WORKDAYS:
        return workday_share(spec, period, as_of)
    if spec.pacing is Pacing.SEASONAL and calendar is not None and company_values is not None:
        share = seasonal_share(company_values, calendar, period, as_of)
        if share is not None:
            return share
    return calendar_share(period, as_of)
