"""Rows a KPI cannot count, and whether the spec expected them.

A loaded row can still be left out of a KPI: a sum skips rows whose amount is empty, new
customers skip rows without a customer, a distinct count skips empty values. Before, such
rows vanished silently; now `check` and the report's data-quality section say, per KPI,
"10,057 rows without a customer are not counted in New customers". A field listed under the
source's ``allow_missing:`` makes the gap expected (reported as information, with the
spec's reason); otherwise it is a warning, which ``check --strict`` fails on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salesperf.sources.filters import where_mask
from salesperf.spec.models import NUMERIC_COLUMN_MEASURES, MeasureKind

if TYPE_CHECKING:
    from salesperf.sources.dataset import Dataset
    from salesperf.spec.models import KpiSpec

#: Measures that need a customer on each row they count.
_CUSTOMER = frozenset({MeasureKind.NEW_CUSTOMERS, MeasureKind.RETENTION_RATE})
_DISTINCT = MeasureKind.COUNT_DISTINCT


@dataclass(frozen=True)
class Exclusion:
    """``rows`` rows of ``source`` matching the KPI's filter are not counted in it because
    ``field`` is empty on them; ``expected`` when the source's allow_missing: lists it."""

    kpi: str
    kpi_name: str
    source: str
    field: str
    rows: int
    expected: bool
    reason: str

    def message(self) -> str:
        text = (
            f"{self.rows:,} row(s) of '{self.source}' without {self.field} are not counted "
            f"in {self.kpi_name}"
        )
        if self.expected:
            return text + (f" (expected: {self.reason})" if self.reason else " (expected)")
        return text + (
            f"; if that is expected, say so with allow_missing: {{{self.field}: reason}} "
            f"under sources.{self.source}"
        )


def _fields(kpi: KpiSpec) -> list[tuple[str, dict[str, Any] | None]]:
    """(field that must be present, the filter of the part that needs it)."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    parts: list[tuple[MeasureKind, str | None, dict[str, Any] | None]] = [
        (kpi.measure, kpi.column, kpi.where)
    ]
    for part in (kpi.numerator, kpi.denominator):
        if part is not None:
            combined = {**(kpi.where or {}), **(part.where or {})}
            parts.append((part.measure, part.column, combined or None))
    for measure, column, condition in parts:
        if measure in _CUSTOMER:
            out.append(("customer", condition))
        elif column and (measure in NUMERIC_COLUMN_MEASURES or measure is _DISTINCT):
            out.append((column, condition))
    return out


def kpi_exclusions(dataset: Dataset, source: str | None = None) -> list[Exclusion]:
    """Per KPI (of ``source``, default all) and field, the loaded rows matching the KPI's
    filter that it cannot count."""
    spec = dataset.spec
    out: list[Exclusion] = []
    for kpi in spec.kpis:
        loaded = dataset.sources.get(kpi.source)
        if loaded is None or (source is not None and kpi.source != source):
            continue
        frame = loaded.frame
        allowed = spec.sources[kpi.source].allow_missing or {}
        seen: set[str] = set()
        for field, where in _fields(kpi):
            if field in seen or field not in frame:
                continue
            seen.add(field)
            rows = frame.loc[where_mask(frame, where)] if where else frame
            missing = int(rows[field].isna().sum())
            if missing:
                out.append(
                    Exclusion(
                        kpi.id,
                        kpi.name,
                        kpi.source,
                        field,
                        missing,
                        field in allowed,
                        allowed.get(field, ""),
                    )
                )
    return out
