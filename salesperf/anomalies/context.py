"""Everything the rules share, computed once per run: same-point values, sample sizes,
seasonal indexes, names and parents, and a helper that turns facts into an :class:`Alert`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.anomalies.comparisons import (
    Basis,
    basis_for,
    same_point_cube,
    same_point_mask,
)
from salesperf.anomalies.messages import Text, render
from salesperf.anomalies.model import Alert, Severity
from salesperf.engine.levels import COMPANY
from salesperf.engine.target_history import History, seasonal_index
from salesperf.periods import PERIODS_PER_YEAR
from salesperf.spec.models import AlertsSpec, KpiSpec, MeasureKind

if TYPE_CHECKING:
    from salesperf.engine.metrics import Rows
    from salesperf.engine.pipeline import Results
    from salesperf.periods import Period

#: Measures whose value is itself a count: their sample size is the value.
COUNT_VALUED = frozenset({MeasureKind.COUNT, MeasureKind.NEW_CUSTOMERS, MeasureKind.COUNT_DISTINCT})
#: Measures that grow with activity and so follow the company's seasons.
VOLUME_LIKE = COUNT_VALUED | {MeasureKind.SUM}
#: Ratio parts that are counts: the ratio is then a proportion (won / closed).
COUNT_PARTS = frozenset({MeasureKind.COUNT, MeasureKind.COUNT_DISTINCT, MeasureKind.NEW_CUSTOMERS})


def is_proportion(kpi: KpiSpec) -> bool:
    """A share of a count (win rate, retention): its sampling noise is binomial."""
    if kpi.measure is MeasureKind.RETENTION_RATE:
        return True
    parts = (kpi.numerator, kpi.denominator)
    return kpi.measure is MeasureKind.RATIO and all(
        part is not None and part.measure in COUNT_PARTS for part in parts
    )


#: A robust scale never below this share of the median: a perfectly steady history must not
#: turn a 5% wobble into an outlier.
MIN_RELATIVE_SCALE = 0.1
#: 1.4826 x MAD estimates the standard deviation of normally distributed data.
MAD_TO_SD = 1.4826
LEVEL_WORDS = {"team": "团队", "region": "区域", "rep": "销售员"}


@dataclass
class Context:
    results: Results
    config: AlertsSpec
    today: dt.date
    rows: dict[str, Rows]
    basis: Basis
    #: Actual per (kpi, level, entity) x period ordinal, every period cut at the same point
    #: as the reviewed one; NaN below the KPI's min_responses. Periods from
    #: :func:`first_period_read` on: a rule reading further back must move that first.
    values: pd.DataFrame
    #: Sample size behind each value: rows (or ratio denominators), or the count itself.
    sizes: pd.DataFrame
    #: Ratio parts, for sampling noise of proportions (win rate, retention).
    numerators: pd.DataFrame
    denominators: pd.DataFrame
    seasonal: dict[str, dict[int, float] | None]
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    parents: dict[tuple[str, str], str | None] = field(default_factory=dict)
    #: Per-run memo for what several rules compute (history statistics).
    cache: dict[Any, Any] = field(default_factory=dict)

    # -- look-ups ---------------------------------------------------------------------------
    @property
    def period(self) -> Period:
        return self.results.period

    @property
    def p(self) -> int:
        return self.results.period.ordinal

    @property
    def levels(self) -> list[str]:
        return ["rep", *self.results.org.levels, COMPANY]

    def parent_level(self, level: str) -> str | None:
        levels = self.levels
        i = levels.index(level)
        return levels[i + 1] if i + 1 < len(levels) else None

    def ancestors(self, level: str, entity: str) -> list[tuple[str, str]]:
        """(level, entity) of every roll-up above an entity, innermost first."""
        out: list[tuple[str, str]] = []
        while True:
            parent = self.parents.get((level, entity))
            above = self.parent_level(level)
            if parent is None or above is None:
                return out
            level, entity = above, parent
            out.append((level, entity))

    def partial(self, level: str, entity: str) -> bool:
        """A rep who joined or left during the period so far: a low value is expected (a
        leaver is gone, not quiet), so KPI rules leave them alone."""

        members = self.results.org.members
        if level != "rep" or entity not in members.index:
            return False
        key = ("partial", entity)  # asked for every rep by several rules and the detector
        if key not in self.cache:
            start, end = members.at[entity, "start"], members.at[entity, "end"]
            joined = pd.notna(start) and start > pd.Timestamp(self.period.start)
            left = pd.notna(end) and end < pd.Timestamp(self.results.as_of)
            self.cache[key] = bool(joined or left)
        partial: bool = self.cache[key]
        return partial

    def same_point_mask(self, source: str) -> np.ndarray:
        """Which rows of ``source`` count at the same point of their period (see
        :mod:`salesperf.anomalies.comparisons`), made once per run."""
        key = ("same_point", source)
        if key not in self.cache:
            frame = self.rows[source].frame
            self.cache[key] = same_point_mask(frame, self.results.calendar, self.basis)
        mask: np.ndarray = self.cache[key]
        return mask

    def settings(self, kpi: KpiSpec) -> AlertsSpec:
        return self.config.for_kpi(kpi)

    def enabled(self, rule: str, kpi: KpiSpec | None = None) -> bool:
        settings = self.config if kpi is None else self.settings(kpi)
        return rule not in settings.disable

    def matrix(self, kpi: KpiSpec, level: str, what: str = "values") -> pd.DataFrame:
        """One of values, sizes, numerators, denominators for one KPI and level: entities x
        period ordinals (empty when the KPI has no such level)."""
        frame: pd.DataFrame = getattr(self, what)
        try:
            return frame.loc[(kpi.id, level)]
        except KeyError:
            return pd.DataFrame()

    def season_factor(self, kpi: KpiSpec, p: int) -> float:
        """Company seasonal index of period ``p`` (1.0 without two years of history)."""
        index = self.seasonal.get(kpi.id)
        if not index:
            return 1.0
        calendar = self.results.calendar
        return index.get(calendar.season(calendar.period(p)), 1.0)

    # -- words ------------------------------------------------------------------------------
    def name_of(self, level: str, entity: str) -> str:
        return self.names.get((level, entity), entity)

    def who(self, level: str, entity: str) -> Text:
        name = self.name_of(level, entity)
        if level == "rep":
            text = f"{name} ({entity})" if name != entity else entity
            return Text({"en": text, "zh-CN": text})
        if level == COMPANY:
            title = self.results.spec.title
            return Text({"en": title or "Company", "zh-CN": title or "公司"})
        return Text({"en": f"{level} {name}", "zh-CN": f"{LEVEL_WORDS.get(level, level)} {name}"})

    def span(self, p: int) -> Text:
        """A period under the comparison basis: "2017-06 (days 1-21)"."""
        label = self.results.calendar.period(p).label
        if not self.basis.open:
            return Text({"en": label, "zh-CN": label})
        days = self.basis.days
        return Text({"en": f"{label} (days 1-{days})", "zh-CN": f"{label}（1-{days} 日）"})

    # -- building alerts ----------------------------------------------------------------------
    def alert(
        self,
        severity: Severity,
        rule: str,
        message_key: str,
        facts: dict[str, Any],
        *,
        kpi: KpiSpec | None,
        level: str,
        entity: str,
        observed: float | None,
        expected: float | None,
        evidence: dict[str, Any],
        low: float | None = None,
        high: float | None = None,
        source: str | None = None,
        period: str | None = None,
    ) -> Alert:
        spec = self.results.spec
        facts = {"who": self.who(level, entity), **facts}
        if kpi is not None:
            facts.setdefault("kpi", kpi.name)
        messages = render(message_key, facts, spec.currency)
        return Alert(
            severity=severity,
            rule=rule,
            kpi=kpi.id if kpi is not None else None,
            level=level,
            entity=entity,
            name=self.name_of(level, entity),
            period=period or self.period.label,
            observed=observed,
            expected=expected,
            message=messages[spec.locale.value],
            messages=messages,
            evidence=evidence,
            low=low,
            high=high,
            parent=self.parents.get((level, entity)),
            source=source or (kpi.source if kpi is not None else None),
        )


def build_context(
    results: Results, rows: dict[str, Rows], config: AlertsSpec, today: dt.date
) -> Context:
    """What the rules share, from the results and the prepared rows they were made from."""

    basis = basis_for(results.period, results.as_of)
    # Made once: the cube below and the rules (Context.same_point_mask) both cut by them.
    masks = {name: same_point_mask(r.frame, results.calendar, basis) for name, r in rows.items()}
    since = first_period_read(results, config)
    cube = same_point_cube(results, rows, basis, masks, since).copy()
    # Earlier periods are left out of the cube (their values would be wrong): no rule
    # may read them, so they are not columns.
    cube = cube.loc[cube["p"] >= since]
    kpis = results.spec.kpis
    # Mapped through dicts, not functions: a function is called once per row of the cube.
    minimum = cube["kpi"].map({k.id: k.min_responses or 0 for k in kpis})
    cube["actual"] = cube["actual"].where(cube["responses"] >= minimum)
    counted = cube["kpi"].map({k.id: k.measure in COUNT_VALUED for k in kpis}).astype(bool)
    cube["size"] = np.where(counted, cube["actual"], cube["responses"])
    keyed = cube.set_index(["kpi", "level", "entity", "p"])
    values = keyed["actual"].unstack("p").sort_index()
    sizes = keyed["size"].astype("float64").unstack("p").sort_index()
    numerators = keyed["numerator"].astype("float64").unstack("p").sort_index()
    denominators = keyed["denominator"].astype("float64").unstack("p").sort_index()

    # A customer's first row in the export is not their first purchase: during the first
    # year of data nearly every customer looks new, so that year is no history for
    # new_customers (nor a basis for its seasons).
    per_year = PERIODS_PER_YEAR[results.calendar.grain]
    for kpi in results.spec.kpis:
        first = rows[kpi.source].first_p
        if kpi.measure is MeasureKind.NEW_CUSTOMERS and first is not None:
            warm = [p for p in values.columns if p < first + per_year]
            if warm and kpi.id in values.index.get_level_values("kpi"):
                values.loc[kpi.id, warm] = float("nan")
    seasonal: dict[str, dict[int, float] | None] = {}
    for kpi in results.spec.kpis:
        if kpi.measure in VOLUME_LIKE and kpi.measure is not MeasureKind.NEW_CUSTOMERS:
            history = History(results.cube, kpi, COMPANY)
            seasonal[kpi.id] = seasonal_index(history, results.calendar, results.period)
    table = results.table
    names = {}
    parents: dict[tuple[str, str], str | None] = {}
    for level, entity, name, parent in (
        table[["level", "entity", "name", "parent"]].drop_duplicates().itertuples(index=False)
    ):
        names[(str(level), str(entity))] = str(entity) if _missing(name) else str(name)
        parents[(str(level), str(entity))] = None if _missing(parent) else str(parent)
    context = Context(
        results,
        config,
        today,
        rows,
        basis,
        values,
        sizes,
        numerators,
        denominators,
        seasonal,
        names,
        parents,
    )
    context.cache.update({("same_point", name): mask for name, mask in masks.items()})
    return context


def first_period_read(results: Results, config: AlertsSpec) -> int:
    """The earliest period ordinal a KPI rule reads: the history window, last year, the
    previous period and the chain of declines, whichever reaches furthest back."""
    p0 = results.period.ordinal
    earliest = min(results.calendar.last_year(results.period).ordinal, p0 - 1)
    for kpi in results.spec.kpis:
        settings = config.for_kpi(kpi)
        earliest = min(earliest, p0 - settings.history_window, p0 - settings.declines)
    return earliest


def _missing(value: Any) -> bool:

    return value is None or bool(pd.isna(value))
