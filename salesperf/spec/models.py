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

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator


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


#: Measures whose values add up from reps to teams to the company.
ADDITIVE_MEASURES = frozenset({MeasureKind.SUM, MeasureKind.COUNT, MeasureKind.NEW_CUSTOMERS})
#: Measures that aggregate a numeric column (the column must hold numbers).
NUMERIC_COLUMN_MEASURES = frozenset({MeasureKind.SUM, MeasureKind.MEAN, MeasureKind.MEDIAN})
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

    _where = field_validator("where")(classmethod(lambda cls, v: _check_where(v)))

    @property
    def additive(self) -> bool:
        return self.measure in ADDITIVE_MEASURES


class StatusThresholds(_Model):
    """Pace at or above `on_track` is on track; at or above `at_risk` at risk; else behind."""

    on_track: float = 1.0
    at_risk: float = 0.9


class TargetsSpec(_Model):
    overrides: str | None = None


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
