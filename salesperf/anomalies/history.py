"""What the KPI rules share: when a rule may judge, and robust statistics of an entity's
own history (see :class:`History`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.anomalies.context import (
    COUNT_VALUED,
    MAD_TO_SD,
    MIN_RELATIVE_SCALE,
    VOLUME_LIKE,
    Context,
    is_proportion,
)
from salesperf.spec.models import Direction, KpiSpec, MeasureKind, Unit

if TYPE_CHECKING:
    from salesperf.spec.models import AlertsSpec

#: Measures that grow through an open period although the engine does not pace them.
CUMULATIVE = frozenset({MeasureKind.COUNT_DISTINCT, MeasureKind.RETENTION_RATE})


def elapsed(ctx: Context, kpi: KpiSpec) -> float:
    key = ("elapsed", kpi.id)  # every KPI rule asks, once per KPI
    if key not in ctx.cache:
        table = ctx.results.table
        shares = table.loc[table["kpi"] == kpi.id, "elapsed"].dropna()
        ctx.cache[key] = float(shares.iloc[0]) if len(shares) else 0.0
    share: float = ctx.cache[key]
    return share


def active(ctx: Context, rule: str, kpi: KpiSpec) -> bool:
    """The rule is on for this KPI and enough of the period has elapsed to judge it."""
    return ctx.enabled(rule, kpi) and elapsed(ctx, kpi) >= ctx.settings(kpi).min_elapsed


def adverse(kpi: KpiSpec, delta: float) -> bool:
    return delta < 0 if kpi.direction is Direction.HIGHER else delta > 0


def season_factor(ctx: Context, kpi: KpiSpec, p: int) -> float:
    return ctx.season_factor(kpi, p) if kpi.measure in VOLUME_LIKE else 1.0


def comparable_across_seasons(ctx: Context, kpi: KpiSpec) -> bool:
    """Volume-like KPIs move with the seasons: comparing them other than year on year needs
    the company's seasonal index (two years of history). Ratios and means need none."""
    return kpi.measure not in VOLUME_LIKE or bool(ctx.seasonal.get(kpi.id))


def paced(ctx: Context, kpi: KpiSpec) -> bool:
    """Whether pace means something now: distinct counts and retention grow through an open
    period, but the engine compares them with a whole-period target (it does not pace them)."""
    return not (ctx.basis.open and kpi.measure in CUMULATIVE)


def clip(kpi: KpiSpec, value: float) -> float:
    """Keep an expected range inside what the measure can be (no negative counts, no
    retention above 100%)."""
    if kpi.measure in VOLUME_LIKE:
        return max(value, 0.0)
    if kpi.measure is MeasureKind.RETENTION_RATE or (
        kpi.unit is Unit.PERCENT and kpi.measure is MeasureKind.RATIO
    ):
        return min(max(value, 0.0), 1.0)
    return value


def number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


@dataclass
class History:
    """One KPI and level: the values compared and robust statistics of the trailing window
    (deseasonalised for volume-like KPIs, so December is not compared with August)."""

    values: pd.DataFrame  # entities x period ordinals (same point while the period is open)
    sizes: pd.DataFrame  # sample size behind each value
    columns: list[int]  # the window's period ordinals
    factors: list[float]  # seasonal index of each window period (1.0 without one)
    now_factor: float  # seasonal index of the reviewed period
    median: pd.Series
    mad: pd.Series
    scale: pd.Series  # 1.4826 x MAD, never below 10% of the median nor sampling noise
    count: pd.Series  # periods with a value in the window
    typical: pd.Series  # median sample size over the window
    current_size: pd.Series
    proportion: bool
    numerators: pd.DataFrame
    denominators: pd.DataFrame

    # Rules look values up entity by entity, period by period: pandas' scalar look-ups
    # (``.at``, ``Series.get``) cost more than the statistics, so they go through plain
    # dicts and arrays made once per KPI and level.
    @cached_property
    def _series(self) -> dict[str, dict[Any, Any]]:
        named = {"count": self.count, "typical": self.typical, "current_size": self.current_size}
        return {
            **{name: series.to_dict() for name, series in named.items()},
            "median": self.median.to_dict(),
            "scale": self.scale.to_dict(),
        }

    @cached_property
    def _grids(self) -> dict[str, _Grid]:
        return {
            "values": _Grid(self.values),
            "sizes": _Grid(self.sizes),
            "numerators": _Grid(self.numerators),
            "denominators": _Grid(self.denominators),
        }

    def has(self, p: int) -> bool:
        """Whether period ``p`` is a column of the values."""
        return p in self._grids["values"].columns

    def at(self, entity: str, p: int, what: str = "values") -> float:
        """``values.at[entity, p]`` (or of sizes, numerators, denominators) as a float."""
        return self._grids[what].at(entity, p)

    def enough(self, kpi: KpiSpec, settings: AlertsSpec, entity: str) -> bool:
        """history_min periods whose usual sample is min_sample rows (counts: that big);
        ratios and means also need that many rows now (3 of 4 deals won is not a trend)."""
        series = self._series
        if not series["count"].get(entity, 0) >= settings.history_min:
            return False
        if not series["typical"].get(entity, math.nan) >= settings.min_sample:
            return False
        return kpi.additive or series["current_size"].get(entity, 0) >= settings.min_sample

    def outlier(self, entity: str, p: int, z_limit: float) -> bool:
        """Whether period ``p`` was itself far off the entity's usual level: a poor
        yardstick for a change."""
        scale = float(self._series["scale"].get(entity, math.nan))
        if not scale > 0 or not self.has(p):
            return False
        value = self.at(entity, p) / self.factor_of(p)
        return abs(value - float(self._series["median"][entity])) / scale >= z_limit

    def factor_of(self, p: int) -> float:
        return self.factors[self.columns.index(p)] if p in self.columns else 1.0

    def noise_z(self, entity: str, p: int, expected: float, p_before: int) -> float:
        """How far the value of period ``p`` is from ``expected`` (derived from period
        ``p_before``), in units of the noise of a difference between two periods.

        Proportions (win rate, retention): the two-proportion z-test on their counts, whose
        sampling noise is known. Anything else: the robust scale of the entity's history
        (at this season) x sqrt(2), because both values carry noise.
        """
        observed = self.at(entity, p)
        if self.proportion:
            x1, n1 = (
                self._grids["numerators"].raw(entity, p),
                self._grids["denominators"].raw(entity, p),
            )
            x0 = self._grids["numerators"].raw(entity, p_before)
            n0 = self._grids["denominators"].raw(entity, p_before)
            if not (n1 > 0 and n0 > 0):
                return math.nan
            pooled = (x1 + x0) / (n1 + n0)
            spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
            return float(abs(x1 / n1 - x0 / n0) / spread) if spread > 0 else math.nan
        scale = float(self._series["scale"].get(entity, math.nan)) * self.now_factor * math.sqrt(2)
        return abs(observed - expected) / scale if scale > 0 else math.nan


class _Grid:
    """An entities x periods frame as an array with row and column positions."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.array = frame.to_numpy()
        self.rows = {entity: i for i, entity in enumerate(frame.index)}
        self.columns = {p: j for j, p in enumerate(frame.columns)}

    def raw(self, entity: str, p: int) -> Any:
        """The stored value, as ``frame.at[entity, p]`` gives it (KeyError when absent)."""
        return self.array[self.rows[entity], self.columns[p]]

    def at(self, entity: str, p: int) -> float:
        return float(self.raw(entity, p))


def history(ctx: Context, kpi: KpiSpec, level: str) -> History | None:
    """Statistics for one KPI and level; None without values for the reviewed period."""
    key = ("history", kpi.id, level)
    if key not in ctx.cache:
        ctx.cache[key] = _history(ctx, kpi, level)
    stats: History | None = ctx.cache[key]
    return stats


def _history(ctx: Context, kpi: KpiSpec, level: str) -> History | None:

    settings = ctx.settings(kpi)
    values, sizes = ctx.matrix(kpi, level), ctx.matrix(kpi, level, "sizes")
    if values.empty or ctx.p not in values.columns:
        return None
    columns = [p for p in range(ctx.p - settings.history_window, ctx.p) if p in values.columns]
    factors = [season_factor(ctx, kpi, p) for p in columns]
    window = values[columns].div(factors, axis=1)
    median = window.median(axis=1, skipna=True)
    mad = window.sub(median, axis=0).abs().median(axis=1, skipna=True)
    scale = pd.Series(
        np.fmax((mad * MAD_TO_SD).to_numpy(), (median.abs() * MIN_RELATIVE_SCALE).to_numpy()),
        index=values.index,
    )
    typical = sizes[columns].median(axis=1, skipna=True)
    # Sampling noise is a floor under the history's own spread: a count of about m varies
    # by sqrt(m) (Poisson), a proportion p of n by sqrt(p(1-p)/n) (binomial).
    if kpi.measure in COUNT_VALUED:
        scale = pd.Series(
            np.fmax(scale.to_numpy(), np.sqrt(median.clip(lower=0)).to_numpy()), index=scale.index
        )
    elif is_proportion(kpi):
        n = sizes[ctx.p].where(sizes[ctx.p] > 0)
        binomial = np.sqrt((median * (1 - median)).clip(lower=0) / n).fillna(0.0)
        scale = pd.Series(np.fmax(scale.to_numpy(), binomial.to_numpy()), index=scale.index)
    return History(
        values,
        sizes,
        columns,
        factors,
        season_factor(ctx, kpi, ctx.p),
        median,
        mad,
        scale,
        window.notna().sum(axis=1),
        typical,
        sizes[ctx.p],
        is_proportion(kpi),
        ctx.matrix(kpi, level, "numerators"),
        ctx.matrix(kpi, level, "denominators"),
    )
