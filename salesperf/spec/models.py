"""The kpi.yaml contract as typed, frozen pydantic models.

Key names here are a public interface: extend them, never rename them. Every model forbids
unknown keys so a typo is reported (with a "did you mean") instead of silently ignored.
Checks that need more than one object (a KPI's source exists, weights sum to 100) live in
:mod:`salesperf.spec.rules` so each can point at the exact line.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from salesperf.spec.notify import NotifySpec


class Grain(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Locale(StrEnum):
    EN = "en"
    ZH_CN = "zh-CN"


class MeasureKind(StrEnum):
    SUM = "sum"
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    MEAN = "mean"
    MEDIAN = "median"
    RATIO = "ratio"
    NEW_CUSTOMERS = "new_customers"
    RETENTION_RATE = "retention_rate"
    #: Net Promoter Score of a 0-10 `column`: share of promoters (9-10) minus share of
    #: detractors (0-6), a fraction in -1..1 (0.25 = NPS 25). Pooled like a ratio.
    NPS = "nps"


#: Measures whose values add up from reps to teams to the company.
ADDITIVE_MEASURES = frozenset({MeasureKind.SUM, MeasureKind.COUNT, MeasureKind.NEW_CUSTOMERS})
#: Measures that grow through a period (paced by the elapsed share): the additive ones, and
#: distinct customers and retention, which accumulate over time though not across reps.
CUMULATIVE_MEASURES = ADDITIVE_MEASURES | {MeasureKind.COUNT_DISTINCT, MeasureKind.RETENTION_RATE}
#: Measures that aggregate a numeric column (the column must hold numbers).
NUMERIC_COLUMN_MEASURES = frozenset(
    {MeasureKind.SUM, MeasureKind.MEAN, MeasureKind.MEDIAN, MeasureKind.NPS}
)
#: Measures that need a `column:`.
COLUMN_MEASURES = NUMERIC_COLUMN_MEASURES | {MeasureKind.COUNT_DISTINCT}
#: Measures usable as a ratio's numerator or denominator.
PART_MEASURES = frozenset(
    {MeasureKind.SUM, MeasureKind.COUNT, MeasureKind.COUNT_DISTINCT, MeasureKind.NEW_CUSTOMERS}
)


class Unit(StrEnum):
    CURRENCY = "currency"
    COUNT = "count"
    PERCENT = "percent"
    NUMBER = "number"
    SCORE = "score"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class TargetMethod(StrEnum):
    FIXED = "fixed"
    LAST_YEAR = "last_year"
    TRAILING_MEAN = "trailing_mean"
    TRAILING_MEDIAN = "trailing_median"
    SEASONAL = "seasonal"


class Allocation(StrEnum):
    HISTORY_SHARE = "history_share"
    EQUAL = "equal"


class Pacing(StrEnum):
    CALENDAR = "calendar"
    WORKDAYS = "workdays"
    SEASONAL = "seasonal"


WHERE_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "not_in")
Scalar = str | int | float | bool
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML reads ``yes``, ``on`` and ``true`` as booleans, and pydantic would then
        take ``weight: yes`` as 1: refuse booleans where a number is expected."""
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and _numbers_only(field.annotation):
            raise ValueError(f"expected a number, got {str(value).lower()} (yes/no/on/off)")
        return value


def _numbers_only(annotation: Any) -> bool:
    """True for int, float and their Optional/Annotated forms."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _numbers_only(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numbers_only(a) for a in args)
    return annotation in (int, float)


def _check_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    """A `where` maps a field to a value, a list of values, or {operator: value}."""
    if where is None:
        return None
    for field, condition in where.items():
        if isinstance(condition, dict):
            if not condition:
                raise ValueError(f"where.{field}: empty condition; use a value or an operator")
            for op, value in condition.items():
                if op not in WHERE_OPERATORS:
                    from salesperf.errors import did_you_mean

                    raise ValueError(
                        f"where.{field}: unknown operator '{op}'; use one of "
                        f"{', '.join(WHERE_OPERATORS)}{did_you_mean(op, WHERE_OPERATORS)}"
                    )
                if op in ("in", "not_in") and not isinstance(value, list):
                    raise ValueError(f"where.{field}.{op}: expects a list of values")
                if op not in ("in", "not_in") and isinstance(value, list | dict):
                    raise ValueError(f"where.{field}.{op}: expects a single value")
        elif isinstance(condition, list):
            if not condition:
                raise ValueError(f"where.{field}: empty list matches nothing")
            if any(isinstance(v, list | dict) for v in condition):
                raise ValueError(f"where.{field}: a list must hold plain values")
    return where


class SourceSpec(_Model):
    """One named input: a file or a glob of files with the same layout."""

    path: str
    sheet: str | int | None = None
    encoding: str = "auto"
    date_format: str | None = None
    delimiter: str | None = None
    header_row: Annotated[int, Field(ge=1)] = 1
    columns: dict[str, str]
    key: str | None = None
    missing_values: list[str] | None = None

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        if "date" not in value:
            raise ValueError(
                "the 'date' field must be mapped (it places each row in a period), "
                "e.g. columns: {date: Order Date}"
            )
        for field, header in value.items():
            if not FIELD_NAME.match(field):
                raise ValueError(
                    f"field name '{field}' must be a plain identifier (letters, digits, _); "
                    "map it as `field: Header as in the file`"
                )
            if not str(header).strip():
                raise ValueError(f"field '{field}' maps to an empty header")
        return value

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str | None) -> str | None:
        if value is not None and value not in {"\\t", "tab"} and len(value) != 1:
            raise ValueError("delimiter must be one character (or 'tab')")
        return "\t" if value in {"\\t", "tab"} else value


class OrgSpec(_Model):
    """The roster: who is on which team (and region...)."""

    path: str
    sheet: str | int | None = None
    encoding: str = "auto"
    delimiter: str | None = None
    header_row: Annotated[int, Field(ge=1)] = 1
    columns: dict[str, str]
    levels: list[str] = Field(default_factory=lambda: ["team"])

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        if "rep" not in value:
            raise ValueError("the 'rep' field must be mapped: the key that matches sources' rep")
        return value

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("levels must be distinct")
        reserved = {"rep", "company"} & set(value)
        if reserved:
            raise ValueError(f"'{sorted(reserved)[0]}' is built in and cannot be a roster level")
        return value


class PartSpec(_Model):
    """A ratio's numerator or denominator: a measure with its own filter."""

    measure: MeasureKind
    column: str | None = None
    where: dict[str, Any] | None = None

    _where = field_validator("where")(classmethod(lambda cls, v: _check_where(v)))


class TargetSpec(_Model):
    method: TargetMethod
    growth: float = 0.0
    periods: Annotated[int, Field(ge=1, le=60)] = 3
    value: float | None = None
    level: str = "company"
    allocate: Allocation | None = None
    min: float | None = None
    max: float | None = None

    @field_validator("growth")
    @classmethod
    def _growth(cls, value: float) -> float:
        if value <= -1:
            raise ValueError("growth is a fraction (0.08 = +8%); it must be above -1")
        if value > 3:
            raise ValueError(
                f"growth {value} means +{value * 100:.0f}%; write it as a fraction (0.08 = +8%)"
            )
        return value


#: Alert rules by name (salesperf.anomalies); `alerts.disable` lists names from here.
ALERT_RULES = (
    "behind_pace",
    "off_history",
    "sharp_change",
    "consecutive_declines",
    "peer_outlier",
    "gone_quiet",
    "duplicate_key",
    "negative_amount",
    "future_date",
    "large_transaction",
    "rejected_rows",
    "not_on_roster",
)
Fraction = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


def _check_disable(value: list[str]) -> list[str]:
    from salesperf.errors import did_you_mean

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


#: Keys of a KPI's `advice:` that choose by severity (see :mod:`salesperf.evaluation.plans`).
ADVICE_SEVERITIES = ("behind", "at_risk", "default")


def _check_advice(value: Any) -> Any:
    """`advice:` is text, {locale: text}, or {severity: text | {locale: text}}."""
    from salesperf.errors import did_you_mean

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


class KpiSpec(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    name: str
    description: str | None = None
    source: str
    measure: MeasureKind
    column: str | None = None
    where: dict[str, Any] | None = None
    numerator: PartSpec | None = None
    denominator: PartSpec | None = None
    unit: Unit = Unit.NUMBER
    direction: Direction = Direction.HIGHER
    weight: Annotated[float, Field(ge=0, le=100)] = 0.0
    target: TargetSpec | None = None
    min_responses: Annotated[int, Field(ge=1)] | None = None
    #: This KPI's scoring rule; replaces the top-level `scoring:` as a whole.
    scoring: ScoringSpec | None = None
    #: Improvement-plan advice: text, {locale: text} or {severity: text | {locale: text}}.
    advice: Any = None
    #: Overrides of the top-level `alerts:` thresholds for this KPI.
    alerts: KpiAlertsSpec | None = None
    #: Fields to explain this KPI's alerts by (None: the top-level `drilldown:`).
    drilldown: list[str] | None = None

    _where = field_validator("where")(classmethod(lambda cls, v: _check_where(v)))
    _advice = field_validator("advice")(classmethod(lambda cls, v: _check_advice(v)))

    @property
    def additive(self) -> bool:
        return self.measure in ADDITIVE_MEASURES


class FeedbackFormSpec(_Model):
    """What `salesperf feedback-form` asks for (see :mod:`salesperf.evaluation.feedback_form`)."""

    #: The source the filled-in form feeds: its `columns:` headers are reused.
    source: str = "feedback"
    #: One row per rep and kind (`--kinds` overrides).
    kinds: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["manager"])
    #: Optional: one row per rep, kind and criterion (e.g. teamwork, communication).
    criteria: list[str] = Field(default_factory=list)
    #: Add a column for the reviewer's name.
    reviewer: bool = True


class StatusThresholds(_Model):
    """Pace at or above `on_track` is on track; at or above `at_risk` at risk; else behind."""

    on_track: float = 1.0
    at_risk: float = 0.9


class TargetsSpec(_Model):
    overrides: str | None = None


class BacktestSpec(_Model):
    """`backtest:` how `salesperf backtest` judges a target rule (see salesperf.backtest).

    A rule is *achievable but challenging* when, over the replayed closed periods, the share
    of rep-periods at or above target lies within ``hit_share`` and the company target was
    off by at most ``max_bias`` on average (signed, as a fraction of the actual). Fractions.
    """

    #: Closed periods replayed (`--periods` overrides).
    periods: Annotated[int, Field(ge=1, le=60)] = 6
    #: [low, high] share of rep-periods hitting target: below is out of reach, above too easy.
    hit_share: tuple[Fraction, Fraction] = (0.5, 0.7)
    #: Largest acceptable |mean (target - actual) / actual| of the company target.
    max_bias: Annotated[float, Field(ge=0, le=1)] = 0.05

    @model_validator(mode="after")
    def _band(self) -> BacktestSpec:
        low, high = self.hit_share
        if low > high:
            raise ValueError(f"hit_share: [{low:g}, {high:g}] must be [low, high]")
        return self


class ReportSpec(_Model):
    """`report:` options for `salesperf report`."""

    #: A folder (relative to the kpi.yaml) whose templates override the built-in ones by
    #: file name (report.html.j2, report.md.j2, rep.html.j2, rep.md.j2, _style.css.j2...).
    templates: str | None = None


class Spec(_Model):
    version: Literal[1]
    title: str | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    locale: Locale = Locale.EN
    period: Grain = Grain.MONTH
    fiscal_year_start: Annotated[int, Field(ge=1, le=12)] = 1
    pacing: Pacing = Pacing.CALENDAR
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)
    status: StatusThresholds = Field(default_factory=StatusThresholds)
    #: The source whose last date is the default --as-of (default: the first KPI's source).
    #: Other sources may hold future-dated rows (expected close dates of open deals).
    as_of_source: str | None = None
    sources: dict[str, SourceSpec]
    org: OrgSpec | None = None
    targets: TargetsSpec | None = None
    report: ReportSpec | None = None
    #: Default scoring rule of every KPI (see ScoringSpec and salesperf.evaluation.scoring).
    scoring: ScoringSpec | None = None
    #: Tier name -> minimum total score (a fraction: 0.95 = 95 points), best first.
    tiers: dict[str, float] | None = None
    feedback_form: FeedbackFormSpec | None = None
    #: How `salesperf backtest` judges target rules.
    backtest: BacktestSpec = Field(default_factory=BacktestSpec)
    #: Reminders by e-mail and chat (`salesperf notify`); nothing is sent without it.
    notify: NotifySpec | None = None

    _tiers = field_validator("tiers")(classmethod(lambda cls, v: _check_tiers(v)))
    #: Thresholds of the alert rules (`salesperf alerts`).
    alerts: AlertsSpec = Field(default_factory=AlertsSpec)
    #: Fields that problem analysis splits a KPI's change by (any mapped field, rep or a
    #: roster level), for KPIs whose source maps them.
    drilldown: list[str] = Field(default_factory=list)
    kpis: Annotated[list[KpiSpec], Field(min_length=1)]

    # Set by the loader: where the spec lives (relative paths resolve from here).
    _path: str = PrivateAttr(default="kpi.yaml")
    _base_dir: str = PrivateAttr(default=".")
    _raw: Any = PrivateAttr(default=None)
    _warnings: tuple[Any, ...] = PrivateAttr(default=())

    @property
    def levels(self) -> list[str]:
        """Roster levels between rep and company, innermost first."""
        return list(self.org.levels) if self.org else ["team"]

    @property
    def clock_source(self) -> str:
        """The source that says "today" when --as-of is not given."""
        return self.as_of_source or self.kpis[0].source

    def kpi(self, kpi_id: str) -> KpiSpec:
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        raise KeyError(kpi_id)
