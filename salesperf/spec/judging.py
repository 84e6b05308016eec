"""How results are judged: alert thresholds, scoring rules, tiers and advice (kpi.yaml).

`alerts:` (top level and per KPI), `scoring:` (top level and per KPI), `tiers:` and a KPI's
`advice:`. Used by :mod:`salesperf.anomalies` and :mod:`salesperf.evaluation`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator, model_validator

from salesperf.errors import did_you_mean
from salesperf.spec.base import Fraction, Positive, _check_where, _Model
from salesperf.spec.vocabulary import ADVICE_SEVERITIES, ALERT_RULES, Locale

if TYPE_CHECKING:
    from salesperf.spec.models import KpiSpec


def _check_disable(value: list[str]) -> list[str]:
    for name in value:
        if name not in ALERT_RULES:
            raise ValueError(
                f"'{name}' is not an alert rule{did_you_mean(name, ALERT_RULES)}; "
                f"rules: {', '.join(ALERT_RULES)}"
            )
    return value


class KpiAlertsSpec(_Model):
    """Per-KPI overrides of the KPI rule thresholds in `alerts:` (None: use the top level).

    Every key here has the same meaning and unit as the key of the same name in
    :class:`AlertsSpec`, where the defaults are documented.
    """

    disable: list[str] = Field(default_factory=list)
    min_elapsed: Fraction | None = None
    min_sample: Annotated[int, Field(ge=1)] | None = None
    pace_warning: Positive | None = None
    pace_critical: Positive | None = None
    history_window: Annotated[int, Field(ge=3, le=60)] | None = None
    history_min: Annotated[int, Field(ge=3, le=60)] | None = None
    z_warning: Positive | None = None
    z_critical: Positive | None = None
    spike_warning: Positive | None = None
    change_warning: Annotated[float, Field(gt=0, le=1)] | None = None
    change_critical: Annotated[float, Field(gt=0, le=1)] | None = None
    change_min_z: Annotated[float, Field(ge=0)] | None = None
    declines: Annotated[int, Field(ge=0, le=24)] | None = None
    decline_min_total: Annotated[float, Field(ge=0, le=1)] | None = None
    peer_warning: Positive | None = None
    peer_critical: Positive | None = None
    peer_min: Annotated[int, Field(ge=3)] | None = None

    _disable = field_validator("disable")(classmethod(lambda cls, v: _check_disable(v)))


class AlertsSpec(_Model):
    """Thresholds of `salesperf alerts` (kpi.yaml.example documents each one).

    Fractions are fractions (0.7 = 70%); z thresholds are robust z-scores (deviation from the
    median in units of 1.4826 x MAD, which is one standard deviation for normal data).
    """

    #: Rules switched off for every KPI and source.
    disable: list[str] = Field(default_factory=list)
    #: Share of the period that must have elapsed before KPI rules judge it (too early = noise).
    min_elapsed: Fraction = 0.2
    #: A value made of fewer rows (or a count below this) is too noisy to alert on.
    min_sample: Annotated[int, Field(ge=1)] = 10
    #: behind_pace: pace below this is a warning, below pace_critical critical.
    pace_warning: Positive = 0.7
    pace_critical: Positive = 0.5
    #: off_history: trailing periods compared, and how many must have data before it fires.
    history_window: Annotated[int, Field(ge=3, le=60)] = 12
    history_min: Annotated[int, Field(ge=3, le=60)] = 6
    #: off_history: robust z at which a value is a warning / critical.
    z_warning: Positive = 3.5
    z_critical: Positive = 5.0
    #: off_history: a favourable deviation (a spike) is info, and a warning to check the
    #: data from this robust z on.
    spike_warning: Positive = 8.0
    #: sharp_change: drop vs last period (seasonally adjusted) or last year, as a fraction.
    change_warning: Annotated[float, Field(gt=0, le=1)] = 0.3
    change_critical: Annotated[float, Field(gt=0, le=1)] = 0.5
    #: sharp_change and consecutive_declines: the change must also be this many robust
    #: scales of the entity's own history (a 30% drop in a win rate made of 12 deals is noise).
    change_min_z: Annotated[float, Field(ge=0)] = 2.5
    #: consecutive_declines: this many declines in a row (0 = off) adding up to at least
    #: decline_min_total.
    declines: Annotated[int, Field(ge=0, le=24)] = 3
    decline_min_total: Annotated[float, Field(ge=0, le=1)] = 0.2
    #: peer_outlier: robust z of a rep's pace below the median of the rest of the team.
    peer_warning: Positive = 3.5
    peer_critical: Positive = 5.0
    #: peer_outlier: fewer reps than this in a team (the rep included): no comparison.
    peer_min: Annotated[int, Field(ge=3)] = 4
    #: gone_quiet: rows a rep usually has by this point of the period, for silence to count.
    quiet_min_expected: Positive = 5.0
    #: Data-quality rules look at the rows of this many periods, the reviewed one included.
    lookback: Annotated[int, Field(ge=1, le=120)] = 12
    #: large_transaction: a row whose amount exceeds this multiple of the source's 99th
    #: percentile (sources of at least 100 rows).
    large_factor: Annotated[float, Field(gt=1)] = 5.0
    #: negative_amount: a negative amount is a return (not a data error) when the source's
    #: `key` ends with one of these suffixes, or when the row matches `returns_where`.
    return_suffixes: list[str] = Field(default_factory=lambda: ["-R", "-T"])
    returns_where: dict[str, Any] | None = None
    #: Problem analysis: contributors listed per drill-down dimension.
    top: Annotated[int, Field(ge=1, le=50)] = 3
    #: A team/region/company alert is folded into a rep's alert of the same rule when that
    #: rep explains at least this share of its deviation.
    rollup_share: Annotated[float, Field(gt=0, le=1)] = 0.5

    _disable = field_validator("disable")(classmethod(lambda cls, v: _check_disable(v)))
    _returns = field_validator("returns_where")(classmethod(lambda cls, v: _check_where(v)))

    def for_kpi(self, kpi: KpiSpec) -> AlertsSpec:
        """These settings with the KPI's `alerts:` overrides applied."""
        if kpi.alerts is None:
            return self
        overrides = kpi.alerts.model_dump(exclude_none=True)
        overrides["disable"] = [*self.disable, *overrides.get("disable", [])]
        return self.model_copy(update=overrides)


class ScoringSpec(_Model):
    """How a KPI's attainment becomes a score (see :mod:`salesperf.evaluation.scoring`).

    Scores are fractions on the attainment scale: 1.0 = on target = 100 points. ``floor``
    and ``cap`` clamp the attainment (defaults 0 and 1.2: counted up to 120%). ``bands``
    instead map attainment to points on a 0-100 scale, linear in between and flat outside:
    ``[[0.7, 0], [1.0, 80], [1.2, 100]]``.
    """

    floor: Annotated[float, Field(ge=0)] | None = None
    cap: Annotated[float, Field(gt=0)] | None = None
    bands: list[list[float]] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScoringSpec:
        if self.bands is not None:
            if any(len(band) != 2 for band in self.bands):
                raise ValueError("each band is a pair [attainment, points], e.g. [1.0, 80]")
            if self.floor is not None or self.cap is not None:
                raise ValueError("`bands:` replace `floor:` and `cap:`; use one or the other")
            if len(self.bands) < 2:
                raise ValueError("`bands:` needs at least two [attainment, points] pairs")
            for (a1, p1), (a2, p2) in zip(self.bands, self.bands[1:], strict=False):
                if a2 <= a1:
                    raise ValueError("`bands:` attainments must increase: [[0.7, 0], [1.0, 80]]")
                if p2 < p1:
                    raise ValueError("`bands:` points must not decrease as attainment rises")
            if any(a < 0 or pts < 0 for a, pts in self.bands):
                raise ValueError("`bands:` attainments and points must be 0 or more")
        floor = 0.0 if self.floor is None else self.floor
        cap = 1.2 if self.cap is None else self.cap  # the defaults of salesperf.evaluation.scoring
        if self.bands is None and cap <= floor:
            raise ValueError(f"`floor:` {floor:g} must be below `cap:` {cap:g}")
        return self


def _check_advice(value: Any) -> Any:
    """`advice:` is text, {locale: text}, or {severity: text | {locale: text}}."""
    locales = [loc.value for loc in Locale]

    def texts(mapping: dict[Any, Any], where: str) -> None:
        for key, text in mapping.items():
            if key not in locales:
                raise ValueError(
                    f"{where}unknown language '{key}'; use {', '.join(locales)}"
                    f"{did_you_mean(str(key), locales)}"
                )
            if not isinstance(text, str):
                raise ValueError(f"{where}{key}: expects text")

    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict) or not value:
        raise ValueError("expects text, {en: ..., zh-CN: ...} or {behind: ..., at_risk: ...}")
    if all(key in locales for key in value):
        texts(value, "")
        return value
    for key, item in value.items():
        if key not in ADVICE_SEVERITIES:
            choices = [*ADVICE_SEVERITIES, *locales]
            raise ValueError(
                f"unknown key '{key}'; use a severity ({', '.join(ADVICE_SEVERITIES)}) or a "
                f"language ({', '.join(locales)}){did_you_mean(str(key), choices)}"
            )
        if isinstance(item, dict):
            texts(item, f"{key}.")
        elif not isinstance(item, str):
            raise ValueError(f"{key}: expects text or {{en: ..., zh-CN: ...}}")
    return value


def _check_tiers(value: dict[str, float] | None) -> dict[str, float] | None:
    """Thresholds are fractions; the lowest tier must catch every score (see scoring)."""
    if value is None:
        return None
    if not value:
        raise ValueError("give at least one tier, e.g. {A: 0.95, B: 0.85, C: 0.7}")
    for name, threshold in value.items():
        if not str(name).strip():
            raise ValueError("a tier needs a name")
        if not 0 <= threshold <= 10:
            raise ValueError(
                f"{name}: {threshold:g} is not a fraction of target (0.95 = 95 points)"
            )
    if len(set(value.values())) != len(value):
        raise ValueError("two tiers share a threshold; give each tier its own minimum")
    lowest = min(value, key=lambda k: value[k])
    if value[lowest] > 0 and not re.fullmatch(r"[A-Y]", str(lowest)):
        raise ValueError(
            f"scores below {value[lowest]:g} need a tier: add one at 0 "
            "(e.g. `needs improvement: 0`); only single-letter names get the next letter"
        )
    return value
