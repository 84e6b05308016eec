"""What a history-based target is computed from: one KPI's history per entity, the look-back
window of a target method, the seasonal index, and the pre-growth basis.

Works on the small actuals cube (one row per kpi, level, entity, period) only;
:mod:`salesperf.engine.targets` turns a basis into targets and splits them.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.engine.levels import COMPANY
from salesperf.periods import PERIODS_PER_YEAR
from salesperf.spec.models import KpiSpec, MeasureKind, TargetMethod

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from salesperf.periods import Calendar, Period

#: Measures with a numerator and denominator: history is pooled over the window (sum of
#: numerators / sum of denominators), never an average of period ratios.
POOLED_MEASURES = frozenset(
    {
        MeasureKind.RATIO,
        MeasureKind.MEAN,
        MeasureKind.RETENTION_RATE,
        MeasureKind.NPS,
        MeasureKind.MARKET_SHARE,
    }
)


#: The columns of a targets frame (targets.compute_targets, overrides.apply_overrides).
TARGET_COLUMNS = [
    "kpi",
    "level",
    "entity",
    "target",
    "target_method",
    "target_basis",
    "target_note",
]


@dataclass(frozen=True)
class Basis:
    """What a history-based target was computed from."""

    periods: list[str]
    values: list[float]
    value: float | None  # the basis before growth (None: no usable history)
    seasonal_factor: float | None = None
    #: Period label -> why it is not in the basis (a period the data covers only partly).
    left_out: dict[str, str] = field(default_factory=dict)
    #: The growth applied when it follows the market (None: the spec's fixed growth).
    growth: float | None = None
    #: The market figure behind ``growth``: figure, period, value, margin (and level and
    #: entity when the market rows are per region); value None when the file has none.
    market: dict[str, Any] | None = None

    @property
    def no_market_figure(self) -> bool:
        """The growth follows the market, and the market file has no figure for it."""
        return self.market is not None and self.market.get("value") is None

    def as_dict(self, growth: float, rule: str | None = None) -> dict[str, Any]:
        """The target's ``target_basis``: what it was computed from and, under ``rule``,
        which documented rule (rather than the data alone) decided it."""
        applied = self.growth if self.growth is not None else growth
        out: dict[str, Any] = {"periods": self.periods, "values": self.values, "growth": applied}
        if self.market is not None:
            out["market"] = dict(self.market)
        if self.seasonal_factor is not None:
            out["seasonal_factor"] = round(self.seasonal_factor, 6)
        if self.left_out:
            out["left_out"] = dict(self.left_out)
        if rule:
            out["rule"] = rule
        return out


class History:
    """Fast look-ups into the cube for one KPI and level: an entities x periods array per
    value column, built with numpy in one pass (a dict of (entity, period) keys cost a
    minute for 100,000 reps over three years)."""

    def __init__(self, cube: pd.DataFrame, kpi: KpiSpec, level: str) -> None:
        part = cube.loc[(cube["kpi"] == kpi.id) & (cube["level"] == level)]
        self.kpi = kpi
        self._part = part
        codes, uniques = pd.factorize(part["entity"].to_numpy(dtype=object), sort=False)
        self._names = [str(u) for u in uniques.tolist()]
        self._row = {name: i for i, name in enumerate(self._names)}
        p = part["p"].to_numpy(dtype=np.int64)
        self._p0 = int(p.min()) if len(p) else 0
        self._width = int(p.max()) - self._p0 + 1 if len(p) else 0
        self._cells = (codes, p - self._p0)
        self.actual = self._grid("actual")

    def _grid(self, column: str) -> np.ndarray:
        """Entities x periods array of ``column``; NaN where the cube has no row."""
        grid = np.full((len(self._names), self._width), np.nan)

        values = pd.to_numeric(self._part[column], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        grid[self._cells] = values
        return grid

    # Built on first use: only pooled measures read them.
    @functools.cached_property
    def numerator(self) -> np.ndarray:
        return self._grid("numerator")

    @functools.cached_property
    def denominator(self) -> np.ndarray:
        return self._grid("denominator")

    @functools.cached_property
    def entities(self) -> list[str]:
        return sorted(self._names)

    def _columns(self, ordinals: list[int]) -> list[tuple[int, int]]:
        """(ordinal, column) of the ordinals inside the array."""
        return [(p, p - self._p0) for p in ordinals if 0 <= p - self._p0 < self._width]

    def with_rows(self, ordinals: list[int]) -> frozenset[str]:
        """Entities with at least one row counted by the KPI in these periods (a zero that
        only fills a roster rep's gap is not a row)."""
        key = tuple(ordinals)
        cache: dict[tuple[int, ...], frozenset[str]] = self.__dict__.setdefault("_with_rows", {})
        if key not in cache:
            part = self._part
            inside = np.isin(part["p"].to_numpy(), ordinals)
            counted = (part["responses"].to_numpy() > 0) & part["actual"].notna().to_numpy()
            rows = np.unique(self._cells[0][inside & counted])
            cache[key] = frozenset(self._names[i] for i in rows.tolist())
        return cache[key]

    def window_values(self, entity: str, ordinals: list[int]) -> list[tuple[int, float]]:
        i = self._row.get(entity)
        if i is None:
            return []
        row = self.actual[i]
        out = []
        for p, j in self._columns(ordinals):
            value = row[j]
            if value == value:
                out.append((p, float(value)))
        return out

    def pooled(self, entity: str, ordinals: list[int]) -> float | None:
        """Sum of numerators over sum of denominators (ratios, means, retention)."""
        i = self._row.get(entity)
        if i is None:
            return None
        num = den = 0.0
        numerators, denominators = self.numerator[i], self.denominator[i]
        for _, j in self._columns(ordinals):
            n, d = numerators[j], denominators[j]
            if n != n or d != d:
                continue
            num += n
            den += d
        return num / den if den > 0 else None


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def basis_window(kpi: KpiSpec, calendar: Calendar, period: Period) -> list[int]:
    """Ordinals of the periods a history method looks back on (partly covered ones
    included; :func:`history_basis` leaves those out)."""
    target = kpi.target
    assert target is not None
    if target.method is TargetMethod.LAST_YEAR:
        return [calendar.last_year(period).ordinal]
    return list(range(period.ordinal - target.periods, period.ordinal))


#: Whole years of consecutive company history the seasonal index needs: with two, the
#: centred moving average exists for one full year, so every season has a ratio.
SEASONAL_MIN_YEARS = 2
#: At most this many years are used (older seasonality says little about next month).
SEASONAL_MAX_YEARS = 10


def seasonal_index(
    company: History,
    calendar: Calendar,
    period: Period,
    exclude: Collection[int] = (),
) -> dict[int, float] | None:
    """Season position -> index (mean 1) by classical multiplicative decomposition.

    Ratio-to-centred-moving-average (Macaulay 1931; the first stage of Census X-11; Hyndman &
    Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., section 3.4): the trend
    of the company series is its centred moving average over one year (a 2 x m average for
    an even m periods a year, so that it is centred on a period), each period's ratio is
    value / trend, and a season's index is the mean of its ratios over the years, scaled so
    that the indices average 1. Seasons are positions in the (fiscal) calendar year, so a
    November is compared only with Novembers, whatever period is being targeted.

    Uses the last run of consecutive known periods before ``period`` (periods in
    ``exclude``, which the data covers only partly, end the run), at most
    ``SEASONAL_MAX_YEARS`` years; None with fewer than ``SEASONAL_MIN_YEARS`` whole years,
    for one-period years, or when a season has no ratio (its trend is 0 or negative).
    """
    per_year = PERIODS_PER_YEAR[calendar.grain]
    if per_year == 1:
        return None
    values = dict(
        company.window_values(
            COMPANY, list(range(period.ordinal - SEASONAL_MAX_YEARS * per_year, period.ordinal))
        )
    )
    run: list[tuple[int, float]] = []
    p = period.ordinal - 1
    while p in values and p not in exclude:
        run.append((p, values[p]))
        p -= 1
    run.reverse()
    if len(run) < SEASONAL_MIN_YEARS * per_year:
        return None
    series = [v for _, v in run]
    half = per_year // 2
    ratios: dict[int, list[float]] = {}
    for i in range(half, len(series) - half):
        window = series[i - half : i + half + 1]
        if per_year % 2 == 0:  # 2 x m: the two ends count half
            trend = (sum(window) - (window[0] + window[-1]) / 2) / per_year
        else:
            trend = sum(window) / per_year
        if trend <= 0:
            continue
        season = calendar.season(calendar.period(run[i][0]))
        ratios.setdefault(season, []).append(series[i] / trend)
    if len(ratios) < per_year:
        return None
    index = {s: sum(vs) / len(vs) for s, vs in ratios.items()}
    norm = sum(index.values()) / len(index)
    if norm <= 0:
        return None
    return {s: v / norm for s, v in sorted(index.items())}


@functools.lru_cache(maxsize=1024)
def _window_periods(calendar: Calendar, window: tuple[int, ...]) -> dict[int, tuple[str, int]]:
    """Ordinal -> (label, season position) over a look-back window: asked for every entity,
    each one's window the same few periods."""
    periods = {p: calendar.period(p) for p in window}
    return {p: (period.label, calendar.season(period)) for p, period in periods.items()}


def history_basis(
    history: History,
    entity: str,
    calendar: Calendar,
    period: Period,
    season: dict[int, float] | None,
    left_out: dict[int, str] | None = None,
) -> Basis:
    """The pre-growth basis of a history method for one entity. Periods in ``left_out``
    (ordinal -> reason: the data covers them only partly) are not used."""
    kpi = history.kpi
    target = kpi.target
    assert target is not None
    window = basis_window(kpi, calendar, period)
    known = _window_periods(calendar, tuple(window))
    skipped = {known[p][0]: left_out[p] for p in window if left_out and p in left_out}
    if skipped:
        window = [p for p in window if p not in left_out]  # type: ignore[operator]
    values = history.window_values(entity, window)
    if not values:
        return Basis([known[p][0] for p in window], [], None, left_out=skipped)
    shown = [round(v, 6) for _, v in values]
    shown_periods = [known[p][0] for p, _ in values]
    pooled = kpi.measure in POOLED_MEASURES
    method = target.method
    if method is TargetMethod.SEASONAL and season is not None:
        # A season with no sales at all has index 0: it says nothing about the level, so it
        # is left out of the de-seasonalised mean (and a target in such a season is 0).
        indices = [season[known[p][1]] for p, _ in values]
        adjusted = [v / i for (_, v), i in zip(values, indices, strict=True) if i > 0]
        factor = season[calendar.season(period)]
        if adjusted:
            value = sum(adjusted) / len(adjusted) * factor
            return Basis(shown_periods, shown, value, factor, skipped)
    if pooled:
        ratio = history.pooled(entity, [p for p, _ in values])
        return Basis(shown_periods, shown, ratio, left_out=skipped)
    if method is TargetMethod.TRAILING_MEDIAN:
        ordered = sorted(v for _, v in values)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return Basis(shown_periods, shown, median, left_out=skipped)
    value = sum(v for _, v in values) / len(values)
    return Basis(shown_periods, shown, value, left_out=skipped)
