"""Group once, measure many: the arithmetic behind the actuals cube.

Every KPI of a source is measured at every level (rep, team..., company) for every period.
Grouping a million rows by a text column hashes every string; doing that for each KPI, level
and measure was most of a run's time on big exports (see benchmarks/README.md). Here a
source's rows get integer codes once per run: an entity code per level (``pandas.factorize``),
the period offset, a code per distinct customer, and each ``where:`` mask. A group is
``entity * periods + offset``, so sums and counts are ``numpy.bincount`` over the group codes,
distinct counts count unique (group, value) pairs, and only medians go through a pandas
``groupby`` (on the integer codes).

The measure definitions are in :mod:`salesperf.engine.metrics`. Results are those of a plain pandas
``groupby`` per (level, period), group for group: only groups with rows appear (the caller
adds the empty ones), and sums are ordinary float sums (tests/engine/test_aggregate.py compares the
two on random data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.engine.levels import COMPANY
from salesperf.sources.filters import where_mask
from salesperf.spec.models import MeasureKind

if TYPE_CHECKING:
    from salesperf.spec.models import KpiSpec

VALUE_COLUMNS = ["actual", "numerator", "denominator", "responses"]


class SourceGroups:
    """Integer codes for one source's prepared rows (needs ``p`` and the level columns).

    Built once per source and run, shared by every KPI and level; every code is computed on
    first use and kept. ``roster`` maps each roster level to a Series rep -> entity: the
    mapping :func:`salesperf.engine.metrics.prepare_rows` placed the rows with, so a level's codes
    come from the rep codes instead of hashing its text column again. ``codes`` are columns
    already coded as ``pd.factorize`` would code them (the loader's, see
    :attr:`salesperf.engine.metrics.Rows.codes`).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        roster: dict[str, pd.Series] | None = None,
        codes: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        self.frame = frame
        self.roster = roster or {}
        p = frame["p"].to_numpy(dtype=np.int64)
        self.first = int(p.min()) if len(p) else 0
        #: Periods from the first to the last one with rows.
        self.span = int(p.max()) - self.first + 1 if len(p) else 1
        # Per-row arrays are int32 (a level's codes and groups fit it): cached for every
        # level, they are a run's largest arrays after the rows themselves.
        self.offset = (p - self.first).astype(np.int32)
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {
            column: (np.asarray(c, dtype=np.int32), np.asarray(v, dtype=object))
            for column, (c, v) in (codes or {}).items()
        }
        self._groups: dict[str, np.ndarray] = {}
        self._masks: dict[str, np.ndarray] = {}
        self._firsts: dict[str, np.ndarray] = {}
        self._pairs: dict[tuple[str, str, str], np.ndarray] = {}
        self._selected: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._values: dict[str, np.ndarray] = {}

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(code per row, -1 where missing; the distinct values) of a column."""
        if column not in self._codes and column == COMPANY:
            # Every prepared row belongs to the company: no need to hash the column.
            self._codes[column] = (np.zeros(len(self.frame), np.int32), np.array([COMPANY], object))
        if column not in self._codes and column in self.roster and "rep" in self.frame:
            reps, names = self.codes("rep")
            of_rep, uniques = pd.factorize(self.roster[column].reindex(names), use_na_sentinel=True)
            codes = np.r_[of_rep, -1].astype(np.int32)[reps]  # -1 (no rep) stays -1
            self._codes[column] = (codes, np.asarray(uniques))
        if column not in self._codes:
            codes, uniques = pd.factorize(self.frame[column], use_na_sentinel=True)
            self._codes[column] = (codes.astype(np.int32), np.asarray(uniques))
        return self._codes[column]

    def groups(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        """(group code per row, -1 where the row has no entity at ``level``; entity labels)."""
        codes, labels = self.codes(level)
        if level not in self._groups:
            wide = len(labels) * self.span >= 2**31
            codes = codes.astype(np.int64) if wide else codes
            self._groups[level] = np.where(codes >= 0, codes * self.span + self.offset, -1)
        return self._groups[level], labels

    def seen(self, level: str) -> pd.MultiIndex:
        """(key, p) of the groups with at least one row, whatever the KPI's filter."""
        groups, labels = self.groups(level)
        present = np.bincount(groups[groups >= 0], minlength=len(labels) * self.span) > 0
        return _index(labels, self, present, self.span)

    def mask(self, where: dict[str, Any] | None) -> np.ndarray:
        """Rows matching a ``where:`` filter (all rows without one)."""
        key = repr(where)
        if key not in self._masks:
            if where:
                self._masks[key] = where_mask(self.frame, where).to_numpy(dtype=bool)
            else:
                self._masks[key] = np.ones(len(self.frame), dtype=bool)
        return self._masks[key]

    def selected(self, level: str, where: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
        """(rows matching ``where`` that have an entity at ``level``, their group codes)."""
        key = (level, repr(where))
        if key not in self._selected:
            groups, _ = self.groups(level)
            rows = self.mask(where) & (groups >= 0)
            # Kept for every KPI of this filter and level; no copy when every row counts.
            self._selected[key] = (rows, groups if rows.all() else groups[rows])
        return self._selected[key]

    def first_rows(self, where: dict[str, Any] | None) -> np.ndarray:
        """Positions of each customer's first row among those matching ``where`` (by date,
        file order on the same date): what ``new_customers`` counts."""
        key = repr(where)
        if key not in self._firsts:
            customers, names = self.codes("customer")
            candidates = np.flatnonzero(self.mask(where) & (customers >= 0))
            dates = self.frame["date"].to_numpy()
            self._firsts[key] = first_rows(dates, customers, names, candidates)
        return self._firsts[key]

    def pairs(self, level: str, column: str, where: dict[str, Any] | None) -> np.ndarray:
        """Sorted distinct (entity, value, period) codes of the rows matching ``where``.

        Coded ``(entity * values + value) * (span + 1) + offset``: one sort gives both the
        distinct values per group and, because the next period of a pair is its code + 1
        (the spare period keeps it inside the same entity and value), retention.
        """
        key = (level, column, repr(where))
        if key not in self._pairs:
            entities, _ = self.codes(level)
            values, uniques = self.codes(column)
            keep = self.mask(where) & (entities >= 0) & (values >= 0)
            width = max(len(uniques), 1)
            # (entity * width + value) * (span + 1) + offset, in place: one row-sized
            # temporary at a time instead of five.
            code = entities[keep].astype(np.int64)
            code *= width
            code += values[keep]
            code *= self.span + 1
            code += self.offset[keep]
            bound = max(len(self.codes(level)[1]), 1) * width * (self.span + 1)
            self._pairs[key] = _sorted_unique(code, bound)
        return self._pairs[key]

    def values(self, column: str) -> np.ndarray:
        """A numeric column as float64, NaN where missing (computed once per column)."""
        if column not in self._values:
            self._values[column] = self.frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        return self._values[column]

    def filled(self, column: str) -> np.ndarray:
        """:meth:`values` with missing as 0: what a sum adds."""
        key = f"{column}\0filled"
        if key not in self._values:
            values = self.values(column)
            complete = np.isfinite(values).all()  # the usual case: no second copy
            self._values[key] = values if complete else np.nan_to_num(values, nan=0.0)
        return self._values[key]


def first_rows(
    dates: np.ndarray,
    customers: np.ndarray,
    names: np.ndarray,
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of each customer's first row (by date, then position), in date order: what
    ``frame.dropna(subset=["customer"]).sort_values("date", kind="stable")
    .drop_duplicates("customer")`` keeps, without sorting a copy of every row.

    ``customers`` are codes into ``names`` (-1: no customer); ``candidates``, the positions
    to consider (default: every row with a customer).
    """
    ordered = np.flatnonzero(customers >= 0) if candidates is None else candidates
    when = dates[ordered]
    if not (when[1:] >= when[:-1]).all():  # exports are usually in date order already
        ordered = ordered[np.argsort(when, kind="stable")]
    # The first position of each customer in that order (no hash table of the rows).
    first = np.full(len(names), len(ordered), dtype=np.int64)
    np.minimum.at(first, customers[ordered], np.arange(len(ordered)))
    is_first = np.zeros(len(ordered), dtype=bool)
    is_first[first[first < len(ordered)]] = True
    return ordered[is_first]


def first_customer_rows(
    frame: pd.DataFrame,
    where: dict[str, Any] | None,
    codes: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Each customer's first row among those of ``frame`` matching ``where`` (by date, file
    order on the same date), in date order: the rows ``new_customers`` counts. ``codes``:
    the customer column's ``pd.factorize``, when the caller has it (the loader's)."""
    customers, names = codes or pd.factorize(frame["customer"], use_na_sentinel=True)
    candidates = None
    if where:
        matching = where_mask(frame, where).to_numpy(dtype=bool)
        candidates = np.flatnonzero(matching & (customers >= 0))
    return frame.iloc[first_rows(frame["date"].to_numpy(), customers, names, candidates)]


def kpi_values(kpi: KpiSpec, source: SourceGroups, level: str) -> pd.DataFrame:
    """actual / numerator / denominator / responses per (key, p) with rows, for one level."""
    _, labels = source.groups(level)
    n = len(labels) * source.span
    measure = kpi.measure
    selected, g = source.selected(level, kpi.where)
    size = np.bincount(g, minlength=n)
    nan = np.full(n, np.nan)
    if measure in (
        MeasureKind.SUM,
        MeasureKind.COUNT,
        MeasureKind.COUNT_DISTINCT,
        MeasureKind.NEW_CUSTOMERS,
    ):
        value, _ = _part(measure, kpi.column, kpi.where, source, level)
        columns = {"actual": value, "numerator": value, "denominator": nan, "responses": size}
        return _frame(labels, source, size > 0, columns)
    if measure is MeasureKind.MARKET_SHARE:
        # Own sales here; the market size (the denominator) comes from the market file.
        value, _ = _part(MeasureKind.SUM, kpi.column, kpi.where, source, level)
        columns = {"actual": nan, "numerator": value, "denominator": nan, "responses": size}
        return _frame(labels, source, size > 0, columns)
    if measure is MeasureKind.MEAN:
        values = source.values(str(kpi.column))[selected]
        known = ~np.isnan(values)
        g_known = g[known]
        count = np.bincount(g_known, minlength=n)
        total = np.bincount(g_known, weights=values[known], minlength=n)
        total = np.where(count > 0, total, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            actual = np.where(count > 0, total / count, np.nan)
        columns = {
            "actual": actual,
            "numerator": total,
            "denominator": count.astype(np.float64),
            "responses": count,
        }
        return _frame(labels, source, size > 0, columns)
    if measure is MeasureKind.MEDIAN:
        values = source.values(str(kpi.column))[selected]
        median = np.full(n, np.nan)
        by_group = pd.Series(values).groupby(g).median()
        median[by_group.index.to_numpy()] = by_group.to_numpy()
        count = np.bincount(g[~np.isnan(values)], minlength=n)
        columns = {"actual": median, "numerator": nan, "denominator": nan, "responses": count}
        return _frame(labels, source, size > 0, columns)
    if measure is MeasureKind.RATIO:
        assert kpi.numerator is not None and kpi.denominator is not None  # spec rules
        num, num_present = _part(
            kpi.numerator.measure, kpi.numerator.column, kpi.numerator.where, source, level
        )
        den, den_present = _part(
            kpi.denominator.measure, kpi.denominator.column, kpi.denominator.where, source, level
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            actual = np.where(den > 0, num / den, np.nan)
        columns = {"actual": actual, "numerator": num, "denominator": den, "responses": den}
        return _frame(labels, source, num_present | den_present, columns)
    if measure is MeasureKind.RETENTION_RATE:
        return _retention(kpi.where, source, level)
    if measure is MeasureKind.NPS:
        values = source.values(str(kpi.column))[selected]
        answered = ~np.isnan(values)
        score = values[answered]
        net = (score >= 9).astype(np.float64) - (score <= 6).astype(np.float64)
        count = np.bincount(g[answered], minlength=n)
        total = np.bincount(g[answered], weights=net, minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            actual = total / count
        columns = {
            "actual": actual,
            "numerator": total,
            "denominator": count.astype(np.float64),
            "responses": count.astype(np.float64),
        }
        return _frame(labels, source, count > 0, columns)
    raise ValueError(f"unknown measure: {measure}")


def _part(
    measure: MeasureKind,
    column: str | None,
    where: dict[str, Any] | None,
    source: SourceGroups,
    level: str,
) -> tuple[np.ndarray, np.ndarray]:
    """An additive building block per group (sum, count, count_distinct, new_customers),
    and which groups have rows for it."""
    groups, labels = source.groups(level)
    n = len(labels) * source.span
    if measure is MeasureKind.NEW_CUSTOMERS:
        first = groups[source.first_rows(where)]
        value = np.bincount(first[first >= 0], minlength=n).astype(np.float64)
        return value, value > 0
    selected, g = source.selected(level, where)
    size = np.bincount(g, minlength=n)
    if measure is MeasureKind.COUNT:
        return size.astype(np.float64), size > 0
    if measure is MeasureKind.SUM:
        values = source.filled(str(column))
        values = values if len(g) == len(values) else values[selected]
        return np.bincount(g, weights=values, minlength=n), size > 0
    if measure is MeasureKind.COUNT_DISTINCT:
        pairs = source.pairs(level, str(column), where)
        width = max(len(source.codes(str(column))[1]), 1)
        entity = pairs // (width * (source.span + 1))
        distinct = np.bincount(entity * source.span + pairs % (source.span + 1), minlength=n)
        return distinct.astype(np.float64), size > 0
    raise ValueError(f"not a part measure: {measure}")


def _retention(where: dict[str, Any] | None, source: SourceGroups, level: str) -> pd.DataFrame:
    """Of the customers an entity served in a period, the share it served in the next one.

    The customers of the last period are seen from the period after the data (one spare
    period per entity); the caller drops it.
    """
    _, labels = source.codes(level)
    width = max(len(source.codes("customer")[1]), 1)
    span = source.span + 1
    pairs = source.pairs(level, "customer", where)  # sorted: a customer's periods in a row
    retained = np.zeros(len(pairs), dtype=np.float64)
    retained[:-1] = np.diff(pairs) == 1  # the same entity and customer, one period later
    base = (pairs // (width * span)) * span + pairs % span + 1  # seen from the next period
    n = len(labels) * span
    denominator = np.bincount(base, minlength=n).astype(np.float64)
    numerator = np.bincount(base, weights=retained, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        actual = numerator / denominator
    columns = {
        "actual": actual,
        "numerator": numerator,
        "denominator": denominator,
        "responses": denominator,
    }
    return _frame(labels, source, denominator > 0, columns, span=span)


def _sorted_unique(values: np.ndarray, bound: int | None = None) -> np.ndarray:
    """``np.unique`` for int64 codes in ``[0, bound)``: a plain sort and a mask, several
    times faster than ``np.unique`` on a million rows with numpy 2.x.

    With few possible codes (team, region and company pairs) a bitmap of them is faster
    still, and codes that fit int32 sort about twice as fast as int64.
    """
    if bound is not None and bound <= 16 * len(values):
        seen = np.zeros(bound, dtype=bool)
        seen[values] = True
        return np.flatnonzero(seen).astype(np.int64, copy=False)
    if bound is not None and bound < 2**31:
        ordered = np.sort(values.astype(np.int32)).astype(np.int64)
    else:
        ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def _frame(
    labels: np.ndarray,
    source: SourceGroups,
    present: np.ndarray,
    columns: dict[str, np.ndarray],
    *,
    span: int | None = None,
) -> pd.DataFrame:
    """The groups with rows as a frame indexed by (key, p)."""
    index = np.flatnonzero(present)
    return pd.DataFrame(
        {name: columns[name][index] for name in VALUE_COLUMNS},
        index=_index(labels, source, present, span or source.span),
    )


def _index(
    labels: np.ndarray, source: SourceGroups, present: np.ndarray, span: int
) -> pd.MultiIndex:
    """Group codes -> (key, p), for the groups marked present."""
    index = np.flatnonzero(present)
    keys = np.asarray(labels, dtype=object)[index // span]
    periods = (source.first + index % span).astype(np.int64)
    return pd.MultiIndex.from_arrays([keys, periods], names=["key", "p"])
