"""What a history-based target is computed from: one KPI's history per entity, the look-back
window of a target method, the seasonal index, and the pre-growth basis.

Works on the small actuals cube (one row per kpi, level, entity, period) only;
:mod:`salesperf.engine.targets` turns a basis into targets and splits them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salesperf.engine.metrics import COMPANY
from salesperf.spec.models import KpiSpec, MeasureKind, TargetMethod

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.periods import Calendar, Period

#: Measures with a numerator and denominator: history is pooled over the window (sum of
#: numerators / sum of denominators), never an average of period ratios.
POOLED_MEASURES = frozenset(
    {MeasureKind.RATIO, MeasureKind.MEAN, MeasureKind.RETENTION_RATE, MeasureKind.NPS}
)


@dataclass(frozen=True)
class Basis:
    """What a history-based target was computed from."""

    periods: list[str]
    values: list[float]
    value: float | None  # the basis before growth (None: no usable history)
    seasonal_factor: float | None = None

    def as_dict(self, growth: float) -> dict[str, Any]:
        out: dict[str, Any] = {"periods": self.periods, "values": self.values, "growth": growth}
        if self.seasonal_factor is not None:
            out["seasonal_factor"] = round(self.seasonal_factor, 6)
        return out


class History:
    """Fast look-ups into the cube for one KPI and level."""

    def __init__(self, cube: pd.DataFrame, kpi: KpiSpec, level: str) -> None:
        part = cube.loc[(cube["kpi"] == kpi.id) & (cube["level"] == level)]
        self.kpi = kpi
        # Plain lists zipped into dicts: several times faster than set_index().to_dict().
        self._part = part
        self._keys = list(zip(part["entity"].tolist(), part["p"].tolist(), strict=True))
        self.actual = dict(zip(self._keys, part["actual"].tolist(), strict=True))

    # Built on first use: only pooled measures read them, and a planner builds a History
    # for every KPI and level (tens of thousands of rep rows each).
    @functools.cached_property
    def numerator(self) -> dict[tuple[str, int], float]:
        return dict(zip(self._keys, self._part["numerator"].tolist(), strict=True))

    @functools.cached_property
    def denominator(self) -> dict[tuple[str, int], float]:
        return dict(zip(self._keys, self._part["denominator"].tolist(), strict=True))

    @functools.cached_property
    def entities(self) -> list[str]:
        return sorted({entity for entity, _ in self._keys})

    def window_values(self, entity: str, ordinals: list[int]) -> list[tuple[int, float]]:
        out = []
        for p in ordinals:
            value = self.actual.get((entity, p))
            if value is not None and not is_missing(value):
                out.append((p, float(value)))
        return out

    def pooled(self, entity: str, ordinals: list[int]) -> float | None:
        """Sum of numerators over sum of denominators (ratios, means, retention)."""
        num = den = 0.0
        for p in ordinals:
            n = self.numerator.get((entity, p))
            d = self.denominator.get((entity, p))
            if n is None or d is None or is_missing(n) or is_missing(d):
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
    target = kpi.target
    assert target is not None
    if target.method is TargetMethod.LAST_YEAR:
        return [calendar.last_year(period).ordinal]
    return list(range(period.ordinal - target.periods, period.ordinal))


def seasonal_index(company: History, calendar: Calendar, period: Period) -> dict[int, float] | None:
    """Season position -> index (mean 1) from whole years of company history before
    ``period``; None with fewer than two years."""
    from salesperf.engine.periods import PERIODS_PER_YEAR

    per_year = PERIODS_PER_YEAR[calendar.grain]
    if per_year == 1:
        return None
    series = company.window_values(
        COMPANY, list(range(period.ordinal - 10 * per_year, period.ordinal))
    )
    years = len(series) // per_year
    if years < 2:
        return None
    series = series[-years * per_year :]
    ratios: dict[int, list[float]] = {}
    for chunk_start in range(0, len(series), per_year):
        chunk = series[chunk_start : chunk_start + per_year]
        mean = sum(v for _, v in chunk) / per_year
        if mean <= 0:
            continue
        for p, v in chunk:
            ratios.setdefault(calendar.season(calendar.period(p)), []).append(v / mean)
    if len(ratios) < per_year:
        return None
    index = {s: sum(vs) / len(vs) for s, vs in ratios.items()}
    norm = sum(index.values()) / len(index)
    return {s: v / norm for s, v in index.items()}


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
) -> Basis:
    """The pre-growth basis of a history method for one entity."""
    kpi = history.kpi
    target = kpi.target
    assert target is not None
    window = basis_window(kpi, calendar, period)
    known = _window_periods(calendar, tuple(window))
    values = history.window_values(entity, window)
    if not values:
        return Basis([known[p][0] for p in window], [], None)
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
            return Basis(shown_periods, shown, sum(adjusted) / len(adjusted) * factor, factor)
    if pooled:
        return Basis(shown_periods, shown, history.pooled(entity, [p for p, _ in values]))
    if method is TargetMethod.TRAILING_MEDIAN:
        ordered = sorted(v for _, v in values)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return Basis(shown_periods, shown, median)
    return Basis(shown_periods, shown, sum(v for _, v in values) / len(values))
