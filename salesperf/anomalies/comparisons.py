"""Comparing an open period fairly: the same point of earlier periods.

On 21 June, June has 21 days of orders and May has 31. Comparing them as they stand would
call every rep "down 40%". Alerts and problem analysis therefore compare *like for like*:
while the reviewed period is open, every period is cut at the same number of days from its
start (June 1-21 against May 1-21 and June 1-21 last year), which is :class:`Basis`
``to_date``. Once the period has ended every period counts whole (``full_period``). Unlike
scaling the partial value by the elapsed share, this needs no pacing model, and the
evidence can say exactly which days were compared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from salesperf.engine.aggregate import first_customer_rows
from salesperf.engine.metrics import Rows, compute_actuals
from salesperf.sources.parse import by_first_appearance
from salesperf.spec.models import MeasureKind

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.pipeline import Results
    from salesperf.periods import Calendar, Period

TO_DATE = "to_date"
FULL_PERIOD = "full_period"


@dataclass(frozen=True)
class Basis:
    """How periods are compared: whole, or cut at ``days`` days from their start."""

    kind: str  # TO_DATE | FULL_PERIOD
    days: int | None  # days counted from each period's start (TO_DATE only)

    @property
    def open(self) -> bool:
        return self.kind == TO_DATE

    def to_dict(self) -> dict[str, Any]:
        return {"basis": self.kind, "days": self.days}

    def span(self, period: Period) -> tuple[dt.date, dt.date]:
        """First and last day of ``period`` counted under this basis (inclusive)."""
        last = period.end - dt.timedelta(days=1)
        if self.days is not None:
            last = min(last, period.start + dt.timedelta(days=self.days - 1))
        return period.start, last


def basis_for(period: Period, as_of: dt.date) -> Basis:
    """``to_date`` while ``as_of`` is inside ``period``, else ``full_period``."""
    if period.start <= as_of < period.end - dt.timedelta(days=1):
        return Basis(TO_DATE, (as_of - period.start).days + 1)
    return Basis(FULL_PERIOD, None)


def day_in_period(frame: pd.DataFrame, calendar: Calendar) -> np.ndarray:
    """0-based day of each row within its period, NaN where the date is missing (``frame``
    needs ``date`` and ``p``). Each period's start is looked up once by ordinal, not per
    row: this runs over a million rows several times a run."""

    if frame.empty:
        return np.zeros(0)
    p = frame["p"].to_numpy(dtype=np.int64)
    first, last = int(p.min()), int(p.max())
    starts = np.array(
        [calendar.period(ordinal).start for ordinal in range(first, last + 1)],
        dtype="datetime64[D]",
    )
    elapsed = frame["date"].to_numpy(dtype="datetime64[ns]") - starts[p - first]
    days: np.ndarray = np.floor(elapsed / np.timedelta64(1, "D"))
    return days


def same_point(frame: pd.DataFrame, calendar: Calendar, basis: Basis) -> pd.DataFrame:
    """The rows of every period up to the basis' day (all rows for ``full_period``)."""
    if not basis.open or frame.empty:
        return frame
    return frame.loc[same_point_mask(frame, calendar, basis)]


def same_point_mask(frame: pd.DataFrame, calendar: Calendar, basis: Basis) -> np.ndarray:
    """Which rows :func:`same_point` keeps, as a boolean array (for callers that count or
    combine conditions rather than copy the rows)."""

    if not basis.open or frame.empty:
        return np.ones(len(frame), dtype=bool)
    return day_in_period(frame, calendar) < (basis.days or 0)  # NaN (no date): False


def _same_point_rows(
    rows: Rows, calendar: Calendar, basis: Basis, keep: np.ndarray | None = None
) -> Rows:
    """:func:`same_point` of one source's rows (``keep``: its :func:`same_point_mask`, when
    made already), with their codes cut alike (see :attr:`salesperf.engine.metrics.Rows.codes`):
    the cube below groups by them."""

    frame = rows.frame
    if not basis.open or frame.empty:
        return Rows(frame, rows.first_p, rows.codes)
    if keep is None:
        keep = same_point_mask(frame, calendar, basis)
    codes = {column: by_first_appearance(c[keep], v) for column, (c, v) in rows.codes.items()}
    return Rows(frame.loc[keep], rows.first_p, codes)


def same_point_cube(
    results: Results,
    rows: dict[str, Rows],
    basis: Basis,
    masks: dict[str, np.ndarray] | None = None,
    since: int | None = None,
) -> pd.DataFrame:
    """The actuals cube with every period cut at the basis' day.

    For ``full_period`` this is ``results.cube``. ``new_customers`` keeps its meaning
    (first-ever row in the *whole* history): first rows are found before the cut, else a
    customer first seen on 25 May would look new on 3 June. ``masks``: each source's
    :func:`same_point_mask`, when the caller has them. ``since``: the first period whose
    values the caller reads; rows of earlier periods are left out but for the one before
    (retention looks back a period), so values before ``since`` are not to be read.
    """

    if not basis.open:
        return results.cube
    masks = dict(masks or {})
    if since is not None:
        for name, r in rows.items():
            recent = r.frame["p"].to_numpy() >= since - 1
            known = masks.get(name)
            masks[name] = recent & (
                known if known is not None else same_point_mask(r.frame, results.calendar, basis)
            )
    cut = {
        name: _same_point_rows(r, results.calendar, basis, masks.get(name))
        for name, r in rows.items()
    }
    kpis = []
    for kpi in results.spec.kpis:
        if kpi.measure is MeasureKind.NEW_CUSTOMERS:
            source = rows[kpi.source]
            firsts = first_customer_rows(source.frame, kpi.where, source.codes.get("customer"))
            name = f"{kpi.source}#first-rows#{kpi.id}"
            firsts = same_point(firsts, results.calendar, basis)
            if since is not None:
                firsts = firsts.loc[firsts["p"] >= since - 1]
            cut[name] = Rows(firsts, rows[kpi.source].first_p)
            kpi = kpi.model_copy(update={"source": name})
        kpis.append(kpi)
    last_p = int(results.cube["p"].max()) if len(results.cube) else results.period.ordinal
    return compute_actuals(kpis, cut, results.org, results.calendar, last_p)
