"""The closed vocabularies of kpi.yaml: periods, measures, units, methods, rule names.

Plain enums and constants with no pydantic in sight, so stages that only need a name
(`MeasureKind.SUM`, `ALERT_RULES`) can import it without the models. Values are kpi.yaml
keys and a public interface: extend them, never rename them.
"""

from __future__ import annotations

import re
from enum import StrEnum


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
    #: Own sales (the sum of `column`, or `numerator:`) over the market size the KPI's
    #: `market:` field gives for the period (and region): a fraction, pooled like a ratio.
    MARKET_SHARE = "market_share"


#: Measures whose values add up from reps to teams to the company.
ADDITIVE_MEASURES = frozenset({MeasureKind.SUM, MeasureKind.COUNT, MeasureKind.NEW_CUSTOMERS})
#: Measures that grow through a period (paced by the elapsed share): the additive ones, and
#: distinct customers, which accumulate over time though not across reps. Retention is a
#: share, like a ratio: it is not paced (a linear pace of "retained so far" read 1,148%).
#: A market share grows too: own sales to date over the whole period's market size.
CUMULATIVE_MEASURES = ADDITIVE_MEASURES | {MeasureKind.COUNT_DISTINCT, MeasureKind.MARKET_SHARE}
#: Measures that aggregate a numeric column (the column must hold numbers).
NUMERIC_COLUMN_MEASURES = frozenset(
    {
        MeasureKind.SUM,
        MeasureKind.MEAN,
        MeasureKind.MEDIAN,
        MeasureKind.NPS,
        MeasureKind.MARKET_SHARE,
    }
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

#: Keys of a KPI's `advice:` that choose by severity (see :mod:`salesperf.evaluation.plans`).
ADVICE_SEVERITIES = ("behind", "at_risk", "default")
