"""What an alert is: plain, frozen data with a ``to_dict()`` for JSON and reports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ALERTS_SCHEMA = "salesperf.alerts/1"


class Severity(StrEnum):
    """How urgent an alert is. ``info``: worth knowing; ``warning``: look at it this week;
    ``critical``: act now (a number is badly off, or cannot be trusted)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "critical": 2}[self.value]


@dataclass(frozen=True)
class Alert:
    """One thing a manager should look at, with the numbers behind it.

    ``observed`` and ``expected`` are in the KPI's unit (currency amounts, counts, fractions
    for percent KPIs; pace for ``behind_pace`` and ``peer_outlier``, whose evidence also
    holds the KPI values); ``low``/``high`` bound the expected range when the rule has one.
    Data-quality alerts have no ``kpi`` and name their ``source``. ``message`` is in the
    spec's locale, ``messages`` in every supported locale. ``evidence`` holds the numbers the
    rule used; ``analysis`` (additive KPIs) the problem analysis from
    :func:`salesperf.anomalies.analysis.explain`.
    """

    severity: Severity
    rule: str
    kpi: str | None
    level: str
    entity: str
    name: str
    period: str
    observed: float | None
    expected: float | None
    message: str
    messages: dict[str, str]
    evidence: dict[str, Any]
    low: float | None = None
    high: float | None = None
    parent: str | None = None
    source: str | None = None
    analysis: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain numbers (fractions, never strings), None for missing."""
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "kpi": self.kpi,
            "level": self.level,
            "entity": self.entity,
            "name": self.name,
            "parent": self.parent,
            "source": self.source,
            "period": self.period,
            "observed": plain(self.observed),
            "expected": plain(self.expected),
            "low": plain(self.low),
            "high": plain(self.high),
            "message": self.message,
            "messages": dict(self.messages),
            "evidence": plain(self.evidence),
            "analysis": plain(self.analysis),
        }


def plain(value: Any) -> Any:
    """numpy scalars -> Python, NaN/inf -> None, recursively through dicts and lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
