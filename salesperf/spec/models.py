"""The kpi.yaml contract as typed, frozen pydantic models.

Key names here are a public interface: extend them, never rename them. Every model forbids
unknown keys so a typo is reported (with a "did you mean") instead of silently ignored.
Checks that need more than one object (a KPI's source exists, weights sum to 100) live in
:mod:`salesperf.spec.rules` so each can point at the exact line.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

# The models are split by section (base, vocabulary, judging); every name stays importable
# from here, the module the rest of salesperf has always imported.
from salesperf.spec.base import Fraction, Positive, _check_where, _Model, _numbers_only
from salesperf.spec.expressions import ExpressionError, parse_expression
from salesperf.spec.judging import (
    AlertsSpec,
    KpiAlertsSpec,
    ScoringSpec,
    _check_advice,
    _check_tiers,
)
from salesperf.spec.notify import NotifySpec
from salesperf.spec.vocabulary import (
    ADDITIVE_MEASURES,
    ADVICE_SEVERITIES,
    ALERT_RULES,
    COLUMN_MEASURES,
    CUMULATIVE_MEASURES,
    FIELD_NAME,
    NUMERIC_COLUMN_MEASURES,
    PART_MEASURES,
    WHERE_OPERATORS,
    Allocation,
    Direction,
    Grain,
    Locale,
    MeasureKind,
    Pacing,
    Scalar,
    TargetMethod,
    Unit,
)

__all__ = [
    "ADDITIVE_MEASURES",
    "ADVICE_SEVERITIES",
    "ALERT_RULES",
    "COLUMN_MEASURES",
    "CUMULATIVE_MEASURES",
    "FIELD_NAME",
    "NUMERIC_COLUMN_MEASURES",
    "PART_MEASURES",
    "WHERE_OPERATORS",
    "AlertsSpec",
    "Allocation",
    "BacktestSpec",
    "Direction",
    "FeedbackFormSpec",
    "Fraction",
    "Grain",
    "KpiAlertsSpec",
    "KpiSpec",
    "Locale",
    "MarketGrowth",
    "MarketSpec",
    "MeasureKind",
    "OrgSpec",
    "Pacing",
    "PartSpec",
    "Positive",
    "ReportSpec",
    "Scalar",
    "ScoringSpec",
    "SourceSpec",
    "Spec",
    "StatusThresholds",
    "TargetMethod",
    "TargetSpec",
    "TargetsSpec",
    "Unit",
    "_numbers_only",
]


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
    #: Computed columns: field name -> expression over this source's fields (see
    #: salesperf.spec.expressions), e.g. {amount: "quantity * unit_price"}.
    derive: dict[str, str] | None = None
    #: The rows this source holds (e.g. closed deals of a pipeline export): rows outside it
    #: are not read, so their gaps (an open deal's missing close date) are not problems.
    where: dict[str, Any] | None = None
    #: Fields expected to be empty on some rows, with the reason: {date: "open deals have no
    #: close date", customer: "walk-in sales"}. A list of fields is read as reasons unknown.
    #: Rows they leave out are reported as expected (info), not as warnings.
    allow_missing: dict[str, str] | None = None

    _where = field_validator("where")(classmethod(lambda cls, v: _check_where(v)))

    @field_validator("allow_missing", mode="before")
    @classmethod
    def _allow_missing(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {str(field): "" for field in value}
        return value

    @field_validator("derive")
    @classmethod
    def _derive(cls, value: dict[str, str] | None, info: ValidationInfo) -> dict[str, str] | None:
        if value is None:
            return None
        mapped = info.data.get("columns") or {}
        for name, text in value.items():
            if not FIELD_NAME.match(str(name)):
                raise ValueError(
                    f"derived field name '{name}' must be a plain identifier (letters, digits, _)"
                )
            if name in mapped:
                raise ValueError(
                    f"'{name}' is both mapped under columns: and derived; give the derived "
                    "column another name"
                )
            if not isinstance(text, str):
                raise ValueError(f'{name}: expects a formula in quotes, e.g. "quantity * price"')
            try:
                parse_expression(text)
            except ExpressionError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return value

    @property
    def fields(self) -> list[str]:
        """Every field a KPI can name: the mapped ones, then the derived ones."""
        return [*self.columns, *(self.derive or {})]

    #: The decimal separator of amounts: "." or ",". Needed only when every amount could be
    #: read either way (1.234 is 1.234 or 1234): the load stops and asks for it.
    decimal: Literal[".", ","] | None = None
    #: Share of rows (a fraction) a source may lose to rejections before `check` warns that
    #: the mapping or the export is probably wrong (`--strict` makes that exit 1).
    max_rejected_share: Annotated[float, Field(gt=0, le=1)] = 0.5

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


#: The levels a roster has when `levels:` is not given: those of these that are mapped.
#: Other columns (e-mail addresses, chat robots...) are levels only when listed.
DEFAULT_LEVELS = ("team", "region")


class OrgSpec(_Model):
    """The roster: who is on which team (and region...)."""

    path: str
    sheet: str | int | None = None
    encoding: str = "auto"
    delimiter: str | None = None
    header_row: Annotated[int, Field(ge=1)] = 1
    columns: dict[str, str]
    #: Roster levels, innermost first. Default: team and region, those of them that are
    #: mapped (neither: reps roll up straight to the company).
    levels: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _default_levels(cls, data: Any) -> Any:
        columns = data.get("columns") if isinstance(data, dict) else None
        if isinstance(columns, dict) and "levels" not in data:
            data = {**data, "levels": [lv for lv in DEFAULT_LEVELS if lv in columns]}
        return data

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


class MarketGrowth(_Model):
    """`growth: {market: market_growth, margin: 0.02}`: the target period's market growth
    (a field of the `market:` source) plus ``margin`` (a fraction; negative: grow slower
    than the market) instead of a fixed growth."""

    market: str
    margin: float = 0.0

    @field_validator("margin")
    @classmethod
    def _margin(cls, value: float) -> float:
        if not -1 < value <= 1:
            raise ValueError(
                f"margin {value:g} is a fraction added to the market growth (0.02 = 2 points "
                "above the market); it must lie in (-1, 1]"
            )
        return value


class TargetSpec(_Model):
    method: TargetMethod
    #: A fraction (0.08 = +8%), or {market: <field>, margin: <fraction>} (see MarketGrowth).
    growth: float | MarketGrowth = 0.0
    periods: Annotated[int, Field(ge=1, le=60)] = 3
    value: float | None = None
    level: str = "company"
    allocate: Allocation | None = None
    min: float | None = None
    max: float | None = None

    @field_validator("growth", mode="before")
    @classmethod
    def _growth_kind(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {str(value).lower()} (yes/no/on/off)")
        if isinstance(value, str):
            raise ValueError(
                f"growth '{value}' is text: write a fraction (0.08 = +8%) or "
                "{market: <field of the market source>}"
            )
        return value

    @field_validator("growth")
    @classmethod
    def _growth(cls, value: float | MarketGrowth) -> float | MarketGrowth:
        if isinstance(value, MarketGrowth):
            return value
        if value <= -1:
            raise ValueError("growth is a fraction (0.08 = +8%); it must be above -1")
        if value > 3:
            raise ValueError(
                f"growth {value} means +{value * 100:.0f}%; write it as a fraction (0.08 = +8%)"
            )
        return value

    @property
    def market_growth(self) -> MarketGrowth | None:
        """The market growth this target follows (None: a fixed ``growth``)."""
        return self.growth if isinstance(self.growth, MarketGrowth) else None

    @property
    def fixed_growth(self) -> float:
        """The fixed growth (0 when the growth follows the market)."""
        return 0.0 if isinstance(self.growth, MarketGrowth) else float(self.growth)


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
    #: `measure: market_share`: the field of the `market:` source holding the market size.
    market: str | None = None

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


class CalendarSpec(_Model):
    """`calendar:` the official working-day calendar of `pacing: workdays` (the `holidays`
    library: public holidays, the country's weekend, make-up working weekends such as
    China's 调休). The spec's `holidays:` and `workdays:` still remove and add days."""

    #: ISO 3166 country code: US, CN, DE, GB...
    country: Annotated[str, Field(pattern=r"^[A-Z]{2,3}$")]
    #: Optional state/province code as `holidays` names it: CA, NY, BY...
    subdivision: str | None = None


class MarketSpec(_Model):
    """`market:` market research figures per period (market size, market growth, a
    competitor's sales...): one of `sources:`, read by `growth: {market: <field>}` and by
    `measure: market_share`. One row per period (at the spec's `period:` grain) or, with
    ``level``, per period and entity of that roster level (region...)."""

    #: The source (under `sources:`) holding the figures; every mapped field but `date` and
    #: ``level`` is a number (5% or 0.05 for a growth).
    source: str
    #: Optional roster level the rows are per (region...): entities at and below it use
    #: their own row; a row with that column blank is the whole market.
    level: str | None = None


class StatusThresholds(_Model):
    """Pace at or above `on_track` is on track; at or above `at_risk` at risk; else behind."""

    on_track: float = 1.0
    at_risk: float = 0.9


class Tenure(StrEnum):
    """Where a rep's start date comes from (new joiners and proration)."""

    ROSTER = "roster"  # only the roster's start_date / end_date
    FIRST_ROW = "first_row"  # else the rep's first row in the KPI's own source


class TargetsSpec(_Model):
    overrides: str | None = None
    tenure: Tenure = Tenure.ROSTER


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
    #: Official working-day calendar for `pacing: workdays` (see CalendarSpec).
    calendar: CalendarSpec | None = None
    status: StatusThresholds = Field(default_factory=StatusThresholds)
    #: The source whose last date is the default --as-of (default: the first KPI's source).
    #: Other sources may hold future-dated rows (expected close dates of open deals).
    as_of_source: str | None = None
    sources: dict[str, SourceSpec]
    org: OrgSpec | None = None
    #: Market research figures (see MarketSpec).
    market: MarketSpec | None = None
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
    def path(self) -> str:
        """The kpi.yaml as error messages show it (the path it was loaded from)."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the spec (sources, overrides, templates) start from."""
        return Path(self._base_dir)

    @property
    def raw(self) -> Any:
        """The parsed YAML with line numbers (for :func:`salesperf.spec.locate`)."""
        return self._raw

    @property
    def warnings(self) -> tuple[Any, ...]:
        """Findings of the spec's rules that do not stop a run (weights not summing to 100)."""
        return self._warnings

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
