"""Problem analysis: *why* an additive KPI moved, from the rows behind it.

For one KPI and entity (a rep, a team, the company...) in the reviewed period, against a
comparison, :func:`explain` returns plain data (JSON-ready dicts and lists):

- ``drivers``: the change split across each drill-down dimension (``drilldown:`` in kpi.yaml,
  plus the level below the entity: a team's change by rep). Every dimension value's
  contribution is its current value minus its comparison value; they sum exactly to the
  change. The top contributors (in the direction of the change) are listed with their share
  of it, and the rest as ``(other)``.
- ``volume_value`` (sums): the change as volume x average value, twice: orders x average
  order value, and customers x revenue per customer. With n orders and average a,
  ``n1*a1 - n0*a0 = (n1-n0)*a0 + n0*(a1-a0) + (n1-n0)*(a1-a0)``: volume effect, value effect
  and the interaction, stated explicitly so the three parts sum exactly to the change.
- ``customers`` (sums with a ``customer`` field): the change from customers who are *new*
  (first-ever row in the source falls in the period), *returning* (bought before, but not
  from this entity in the comparison period), *lost* (bought in the comparison period, not
  in this one so far) and *existing* (both). The four changes sum to the change.

Comparisons (``against``): ``last_year`` (same period a year earlier), ``last_period``,
``period`` (an explicit period ordinal), ``target`` (the expected-to-date value) or ``usual``
(a ``baseline`` value, e.g. an alert's expected value). ``target`` and ``usual`` have no rows
of their own: the baseline is spread over each dimension by the entity's mix over the
previous 12 periods, and volume/value and customers compare with the *reference period*
(last year when the entity had rows then, else the previous period). While the period is
open every period is cut at the same day (see :mod:`salesperf.anomalies.comparisons`).

Orders are the distinct ``key`` values of the rows (rows, without a key) and customers the
distinct customers, returns included: with no orders there is no revenue, so volume x
average is the total on both sides and the three parts always add up.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.anomalies.comparisons import Basis, basis_for, same_point_mask
from salesperf.engine.aggregate import first_customer_rows
from salesperf.engine.levels import COMPANY
from salesperf.sources.filters import where_mask
from salesperf.spec.models import MeasureKind
from salesperf.spec.rules import drilldown_fields

if TYPE_CHECKING:
    from salesperf.engine.metrics import Rows
    from salesperf.engine.pipeline import Results
    from salesperf.spec.models import KpiSpec

COMPARISONS = ("last_year", "last_period", "period", "target", "usual")
#: Periods whose mix spreads a target or usual value over a dimension.
MIX_PERIODS = 12
OTHER = "(other)"
BLANK = "(blank)"


def explain(
    results: Results,
    rows: dict[str, Rows],
    kpi: str,
    level: str,
    entity: str,
    *,
    against: str = "last_year",
    baseline: float | None = None,
    compare_period: int | None = None,
    top: int = 3,
) -> dict[str, Any] | None:
    """Explain one entity's KPI change (see the module docstring); None when the KPI is not
    additive (a ratio's change does not split into parts that add up)."""
    return Explainer(results, rows).explain(
        kpi,
        level,
        entity,
        against=against,
        baseline=baseline,
        compare_period=compare_period,
        top=top,
    )


class _Scope:
    """Rows an analysis reads (see :meth:`Explainer._scope`), with their period ordinals.

    Every alert selects its rows with a boolean mask and asks for sums by a dimension,
    totals and distinct counts, through codes made once per column: copying each alert's
    rows out and grouping their texts again was most of the analysis time.
    """

    def __init__(self, frame: pd.DataFrame, p: np.ndarray, positions: np.ndarray) -> None:
        self.frame = frame
        self.p = p
        self.positions = positions  # where these rows are in the KPI's rows
        self.value = frame["_value"].to_numpy(dtype="float64")
        self._codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self._positions: dict[str, dict[Any, int]] = {}
        self._ranks: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}

    def with_values(self, value: np.ndarray) -> _Scope:
        """The same rows with another KPI's ``_value``, sharing the codes made so far and
        to come."""
        twin = copy.copy(self)
        twin.value = value
        twin.frame = self.frame.assign(_value=value)
        return twin

    def codes(self, column: str) -> tuple[np.ndarray, pd.Index]:
        """``pd.factorize(frame[column])`` (-1 for missing), made once."""

        if column not in self._codes:
            self._codes[column] = pd.factorize(self.frame[column], use_na_sentinel=True)
        return self._codes[column]

    def is_entity(self, column: str, entity: str) -> np.ndarray:
        """``frame[column] == entity`` as a boolean array (missing values never match)."""

        codes, uniques = self.codes(column)
        if column not in self._positions:
            self._positions[column] = {value: i for i, value in enumerate(uniques)}
        code = self._positions[column].get(entity)
        return codes == code if code is not None else np.zeros(len(codes), dtype=bool)

    def distinct(self, column: str, rows: np.ndarray) -> int:
        """``frame.loc[rows, column].nunique(dropna=False)``."""

        codes, _ = self.codes(column)
        return len(np.unique(codes[rows]))

    def total(self, rows: np.ndarray) -> float:
        """``frame.loc[rows, "_value"].sum()``."""

        return float(pd.Series(self.value[rows]).sum())

    def sums(self, column: str, rows: np.ndarray) -> pd.Series:
        """:func:`_sums` of ``frame.loc[rows]``: the same numbers, summed in the same order.

        The rows are grouped by the rank of their label among the column's labels, so the
        groups, their order and the order of the rows in each are those of grouping by the
        labels themselves (pandas' sums depend on all three), without hashing the texts.
        """

        ranked = self._label_ranks(column)
        if ranked is None or not rows.any():
            return _sums(self.frame.loc[rows], column)
        per_row, labels = ranked
        summed = pd.Series(self.value[rows]).groupby(per_row[rows]).sum()
        index = pd.Index(labels[summed.index.to_numpy()], dtype="string", name=column)
        return pd.Series(summed.to_numpy(), index=index, name="_value")

    def _label_ranks(self, column: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Per row, the rank of its :func:`_labels` label in label order, and the labels in
        that order; None when two values share a label (a value written "(blank)")."""

        if column not in self._ranks:
            codes, uniques = self.codes(column)
            names = uniques.astype("string").tolist()
            if (codes < 0).any():
                names.append(BLANK)  # the label of missing values: code -1, the last slot
            ordered = sorted(set(names))
            if len(ordered) < len(names):
                self._ranks[column] = None
            else:
                rank = {name: i for i, name in enumerate(ordered)}
                per_code = np.array([rank[name] for name in names] or [0], dtype=np.intp)
                labels = np.array(ordered, dtype=object)
                self._ranks[column] = (per_code[codes], labels)
        return self._ranks[column]


class _Selection:
    """The rows of a scope an analysis compares (an entity's rows of one period, or of its
    mix window), as a boolean mask over the scope."""

    def __init__(self, scope: _Scope, rows: np.ndarray) -> None:
        self.scope = scope
        self.rows = rows

    def sums(self, column: str) -> pd.Series:
        return self.scope.sums(column, self.rows)

    def total(self) -> float:
        return self.scope.total(self.rows)

    def volume(self, volume: str, key: str | None) -> int:
        """:func:`_volume` of these rows."""
        if volume == "customers":
            return self.scope.distinct("customer", self.rows)
        return self.scope.distinct(key, self.rows) if key else int(self.rows.sum())


class Explainer:
    """Explains many entities of one run, preparing each KPI's rows once."""

    def __init__(self, results: Results, rows: dict[str, Rows], basis: Basis | None = None) -> None:

        self.results = results
        self.rows = rows
        self.basis = basis or basis_for(results.period, results.as_of)
        self._kpi_rows: dict[str, pd.DataFrame] = {}
        self._first_p: dict[str, pd.Series] = {}
        self._scopes: dict[tuple[str, int, int], _Scope] = {}
        self._bases: dict[tuple[str, int, int], _Scope] = {}
        self._expected_to_date: dict[tuple[str, str, str], float] | None = None
        self._dimensions = {k.id: drilldown_fields(results.spec, k) for k in results.spec.kpis}

    # -- rows ---------------------------------------------------------------------------------
    def kpi_rows(self, kpi: KpiSpec) -> pd.DataFrame:
        """The rows that make up the KPI (after `where`; first rows for new_customers), all
        periods, with the amount each contributes in ``_value``."""
        if kpi.id not in self._kpi_rows:
            rows = self.rows[kpi.source]
            frame = rows.frame
            if kpi.measure is MeasureKind.NEW_CUSTOMERS:
                frame = first_customer_rows(frame, kpi.where, rows.codes.get("customer"))
            elif kpi.where:
                frame = frame.loc[where_mask(frame, kpi.where)]
            if kpi.measure is MeasureKind.SUM:
                value = frame[kpi.column].fillna(0.0).astype("float64")
            else:
                value = 1.0
            self._kpi_rows[kpi.id] = frame.assign(_value=value)
        return self._kpi_rows[kpi.id]

    def first_period(self, kpi: KpiSpec) -> pd.Series:
        """Customer -> period ordinal of their first-ever row in the source (after `where`)."""
        key = self._rows_key(kpi)  # the same for KPIs over the same rows
        if key not in self._first_p:
            frame = self.kpi_rows(kpi)
            codes, customers = self._customer_codes(kpi, frame)
            # The minimum per customer code: grouping a million customer texts again took
            # longer than the rest of an alert's analysis.
            known = codes >= 0
            never = np.iinfo(np.int64).max
            first = np.full(len(customers), never, dtype=np.int64)
            np.minimum.at(first, codes[known], frame["p"].to_numpy(dtype=np.int64)[known])
            seen = first != never
            names = np.asarray(customers, dtype=object)[seen]
            index = pd.Index(names, dtype=frame["customer"].dtype, name="customer")
            self._first_p[key] = pd.Series(first[seen], index=index, name="p")
        return self._first_p[key]

    def _customer_codes(self, kpi: KpiSpec, frame: pd.DataFrame) -> tuple[np.ndarray, Any]:
        """``pd.factorize(frame["customer"])``, from the loader's codes when the KPI's rows
        are all of its source's rows (no `where`, not first rows only)."""

        rows = self.rows[kpi.source]
        codes = rows.codes.get("customer")
        whole = not kpi.where and kpi.measure is not MeasureKind.NEW_CUSTOMERS
        if codes is not None and whole and len(codes[0]) == len(frame):
            return codes
        factorized: tuple[np.ndarray, Any] = pd.factorize(frame["customer"], use_na_sentinel=True)
        return factorized

    def _scope(self, kpi: KpiSpec, first: int, last: int) -> _Scope:
        """The KPI's rows of periods ``first`` to ``last``, cut at the same point, made once
        per KPI: an analysis reads only the reviewed period and its comparisons, and
        selecting an entity's rows of every period for every alert was most of its time.
        KPIs over the same rows (all of a source's) share them and their codes."""
        key = (kpi.id, first, last)
        if key not in self._scopes:
            data = self.kpi_rows(kpi)
            shared = (self._rows_key(kpi), first, last)
            base = self._bases.get(shared)
            if base is None:
                p = data["p"].to_numpy()
                inside = np.flatnonzero((p >= first) & (p <= last))
                window = data.iloc[inside]
                keep = same_point_mask(window, self.results.calendar, self.basis)
                frame = window.loc[keep]
                base = self._bases[shared] = _Scope(frame, frame["p"].to_numpy(), inside[keep])
                self._scopes[key] = base
            else:
                value = data["_value"].to_numpy(dtype="float64")[base.positions]
                self._scopes[key] = base.with_values(value)
        return self._scopes[key]

    def _rows_key(self, kpi: KpiSpec) -> str:
        """KPIs whose rows are all of their source's (no `where`, not first rows only) have
        the same rows: what is made of them once serves them all."""
        if not kpi.where and kpi.measure is not MeasureKind.NEW_CUSTOMERS:
            return f"source {kpi.source}"
        return f"kpi {kpi.id}"

    # -- the analysis ---------------------------------------------------------------------------
    def explain(
        self,
        kpi_id: str,
        level: str,
        entity: str,
        *,
        against: str = "last_year",
        baseline: float | None = None,
        compare_period: int | None = None,
        top: int = 3,
    ) -> dict[str, Any] | None:
        if against not in COMPARISONS:
            raise ValueError(f"against must be one of {', '.join(COMPARISONS)}")
        results = self.results
        kpi = results.spec.kpi(kpi_id)
        if not kpi.additive:
            return None
        calendar = results.calendar
        p0 = results.period.ordinal
        column = COMPANY if level == COMPANY else level
        data = self.kpi_rows(kpi)
        if column not in data.columns:
            return None
        last_year = calendar.last_year(results.period).ordinal
        # Every period this analysis may read: the reviewed one, last year, the previous
        # one, the mix window and an explicit comparison.
        periods = [p0, last_year, p0 - 1, p0 - MIX_PERIODS]
        if compare_period is not None:
            periods.append(compare_period)
        scope = self._scope(kpi, min(periods), max(periods))
        p = scope.p
        mine = scope.is_entity(column, entity)
        current = _Selection(scope, mine & (p == p0))
        if against == "last_year":
            reference = last_year
        elif against == "last_period":
            reference = p0 - 1
        elif against == "period":
            if compare_period is None:
                raise ValueError("against='period' needs compare_period")
            reference = compare_period
        else:
            reference = last_year if (mine & (p == last_year)).any() else p0 - 1
        before = _Selection(scope, mine & (p == reference))
        mix = None
        if against in ("target", "usual"):
            if against == "target":
                baseline = self._expected(kpi.id, level, entity)
            if baseline is None:
                return None
            mix = _Selection(scope, mine & (p >= p0 - MIX_PERIODS) & (p < p0))
        else:
            baseline = before.total()
        current_total = current.total()
        out: dict[str, Any] = {
            "kpi": kpi.id,
            "level": level,
            "entity": entity,
            "period": results.period.label,
            **self.basis.to_dict(),
            "against": against,
            "comparison_period": None
            if against in ("target", "usual")
            else calendar.period(reference).label,
            "current": current_total,
            "baseline": baseline,
            "change": current_total - baseline,
            "drivers": [],
            "reference_period": calendar.period(reference).label,
        }
        for dimension in self._dimensions_for(kpi, level, data):
            now = current.sums(dimension)
            if mix is not None:
                split = _split_by_mix_sums(now, mix.sums(dimension), baseline, top)
            else:
                split = _split_sums(now, before.sums(dimension), top)
            if split is not None:
                out["drivers"].append({"dimension": dimension, "rows": split})
        if kpi.measure is MeasureKind.SUM:
            key = results.spec.sources[kpi.source].key
            key = key if key in data.columns else None
            totals = (current_total, before.total())
            # Distinct order ids are orders; without a key, rows are only lines (calling
            # them orders beside an Orders KPI that counts ids would state another number).
            volume = "orders" if key else "lines"
            orders = (current.volume(volume, key), before.volume(volume, key))
            out["volume_value"] = [_volume_split(volume, orders, totals)]
            if "customer" in data.columns:
                customers = (current.volume("customers", None), before.volume("customers", None))
                out["volume_value"].append(_volume_split("customers", customers, totals))
                out["customers"] = _bridge(
                    current.sums("customer"),
                    before.sums("customer"),
                    self.first_period(kpi),
                    p0,
                    top,
                )
        return out

    def _expected(self, kpi_id: str, level: str, entity: str) -> float | None:
        """The first expected-to-date value of (kpi, level, entity) in the results table."""
        if self._expected_to_date is None:
            table = self.results.table
            known = table.loc[table["expected_to_date"].notna()]
            keys = zip(known["kpi"], known["level"], known["entity"], strict=True)
            values = known["expected_to_date"].tolist()
            lookup: dict[tuple[str, str, str], float] = {}
            for key, value in zip(keys, values, strict=True):
                lookup.setdefault(key, float(value))
            self._expected_to_date = lookup
        return self._expected_to_date.get((kpi_id, level, entity))

    def _dimensions_for(self, kpi: KpiSpec, level: str, data: pd.DataFrame) -> list[str]:
        """The level below the entity first (a team's change by rep), then the configured
        fields; never the entity's own level or the levels above it (one value each)."""
        levels = ["rep", *self.results.org.levels, COMPANY]
        position = levels.index(level) if level in levels else 0
        above = set(levels[position:])
        below = [levels[position - 1]] if position > 0 else []
        fields = [*below, *self._dimensions.get(kpi.id, [])]
        return [f for f in dict.fromkeys(fields) if f not in above and f in data.columns]


def _labels(frame: pd.DataFrame, dimension: str) -> pd.Series:
    return frame[dimension].astype("string").fillna(BLANK)


def _sums(frame: pd.DataFrame, dimension: str) -> pd.Series:
    """``_value`` summed per label of ``dimension``, in label order."""
    return frame.groupby(_labels(frame, dimension), observed=True)["_value"].sum()


def _split(
    current: pd.DataFrame, before: pd.DataFrame, dimension: str, top: int
) -> list[dict[str, Any]] | None:
    """Contribution of each value of ``dimension``: current minus comparison, top first."""
    return _split_sums(_sums(current, dimension), _sums(before, dimension), top)


def _split_sums(now: pd.Series, then: pd.Series, top: int) -> list[dict[str, Any]] | None:
    """:func:`_split` of the sums per label."""

    table = pd.concat({"current": now, "baseline": then}, axis=1).fillna(0.0)
    return _top(table, top)


def _split_by_mix(
    current: pd.DataFrame, mix: pd.DataFrame, dimension: str, baseline: float, top: int
) -> list[dict[str, Any]] | None:
    """Against a value with no rows (a target): spread it by the entity's usual mix."""
    return _split_by_mix_sums(_sums(current, dimension), _sums(mix, dimension), baseline, top)


def _split_by_mix_sums(
    now: pd.Series, usual: pd.Series, baseline: float, top: int
) -> list[dict[str, Any]] | None:
    """:func:`_split_by_mix` of the sums per label."""

    total = float(usual.sum())
    if usual.empty or total == 0:
        return None
    table = pd.concat({"current": now, "baseline": usual / total * baseline}, axis=1)
    return _top(table.fillna(0.0), top)


def _top(table: pd.DataFrame, top: int) -> list[dict[str, Any]] | None:

    if table.empty:
        return None
    change = table["current"] - table["baseline"]
    total = float(change.sum())
    descending = total > 0
    if change.dtype != np.float64:
        return _top_frame(table.assign(change=change), total, descending, top)
    # Largest contribution first, ties (and missing values, last) in label order: what
    # sorting the table by label and then by contribution gives, without a sorted copy of
    # the table for every dimension of every alert.
    labels = table.index.to_numpy(dtype=object)
    rank = np.empty(len(labels), dtype=np.intp)
    rank[np.argsort(labels, kind="stable")] = np.arange(len(labels))
    key = (change if descending else -change).to_numpy()
    missing = np.isnan(key)
    order = np.lexsort((rank, np.where(missing, 0.0, -key), missing)).tolist()
    head, rest = order[:top], order[top:]
    columns = (table["current"].to_numpy(), table["baseline"].to_numpy(), change.to_numpy())
    now, then, delta = columns
    rows = [_contribution(str(labels[i]), now[i], then[i], delta[i], total) for i in head]
    if rest:
        now_sum, then_sum, delta_sum = (pd.Series(column[rest]).sum() for column in columns)
        rows.append(_contribution(f"{OTHER} {len(rest)}", now_sum, then_sum, delta_sum, total))
    return rows


def _top_frame(
    table: pd.DataFrame, total: float, descending: bool, top: int
) -> list[dict[str, Any]]:
    """:func:`_top` by sorting the table itself (contributions that are not floats)."""
    table = table.assign(_key=table["change"] if descending else -table["change"])
    # Ties in label order, so the same data always lists the same contributors.
    table = table.sort_index(kind="stable").sort_values("_key", ascending=False, kind="stable")
    head, rest = table.iloc[:top], table.iloc[top:]
    rows = [
        _contribution(str(label), r["current"], r["baseline"], r["change"], total)
        for label, r in head.iterrows()
    ]
    if len(rest):
        rows.append(
            _contribution(
                f"{OTHER} {len(rest)}",
                rest["current"].sum(),
                rest["baseline"].sum(),
                rest["change"].sum(),
                total,
            )
        )
    return rows


def _contribution(label: str, now: Any, then: Any, change: Any, total: float) -> dict[str, Any]:
    return {
        "value": label,
        "current": float(now),
        "baseline": float(then),
        "change": float(change),
        "share": float(change) / total if total else None,
    }


def volume_value(
    current: pd.DataFrame, before: pd.DataFrame, volume: str, key: str | None
) -> dict[str, Any]:
    """The change in a sum as volume effect + value effect + interaction (exact)."""
    counts = (_volume(current, volume, key), _volume(before, volume, key))
    totals = (float(current["_value"].sum()), float(before["_value"].sum()))
    return _volume_split(volume, counts, totals)


def _volume_split(
    volume: str, counts: tuple[int, int], totals: tuple[float, float]
) -> dict[str, Any]:
    """:func:`volume_value` of the volumes and totals (after, before)."""
    (n1, n0), (r1, r0) = counts, totals
    a1 = r1 / n1 if n1 else None
    a0 = r0 / n0 if n0 else None
    # No orders on one side (so no revenue): its average is undefined, and taking the other
    # side's makes the whole change volume.
    a0 = a0 if a0 is not None else (a1 if a1 is not None else 0.0)
    a1 = a1 if a1 is not None else a0
    return {
        "volume": volume,
        "before": {"count": n0, "average": a0, "total": r0},
        "after": {"count": n1, "average": a1, "total": r1},
        "volume_effect": (n1 - n0) * a0,
        "value_effect": n0 * (a1 - a0),
        "interaction": (n1 - n0) * (a1 - a0),
        "change": r1 - r0,
    }


def _volume(frame: pd.DataFrame, volume: str, key: str | None) -> int:
    """Orders (distinct keys), lines (rows, without a key) or customers. Every row counts,
    returns included, so that no orders means no revenue and n x average is the total on
    both sides."""
    if volume == "customers":
        return int(frame["customer"].nunique(dropna=False))
    return int(frame[key].nunique(dropna=False)) if key else len(frame)


def customer_bridge(
    current: pd.DataFrame,
    before: pd.DataFrame,
    first_period: pd.Series,
    p0: int,
    top: int,
) -> dict[str, Any]:
    """The change split into new, returning, lost and existing customers (see module doc)."""
    return _bridge(_sums(current, "customer"), _sums(before, "customer"), first_period, p0, top)


def _bridge(
    now: pd.Series, then: pd.Series, first_period: pd.Series, p0: int, top: int
) -> dict[str, Any]:
    """:func:`customer_bridge` of the sums per customer label."""

    table = pd.concat({"current": now, "baseline": then}, axis=1)
    in_now = table["current"].notna().to_numpy(dtype=bool)
    in_then = table["baseline"].notna().to_numpy(dtype=bool)
    table = table.fillna(0.0)
    change = (table["current"] - table["baseline"]).to_numpy()
    # Customers first seen in p0 are few: matching the table against them is much cheaper
    # than looking every customer of the table up in first_period (tens of thousands).
    firsts = first_period.index[(first_period == p0).to_numpy(dtype=bool, na_value=False)]
    is_new = in_now & ~in_then & table.index.isin(firsts)
    buckets = {
        "new": is_new,
        "returning": in_now & ~in_then & ~is_new,
        "lost": ~in_now & in_then,
        "existing": in_now & in_then,
    }
    named = np.asarray(table.index != BLANK, dtype=bool)
    current, baseline = table["current"].to_numpy(), table["baseline"].to_numpy()
    out: dict[str, Any] = {}
    for name, mask in buckets.items():
        rows = np.flatnonzero(mask & named)
        out[name] = {
            "customers": len(rows),
            "change": float(pd.Series(change[rows]).sum()),
            "top": _top_customers(
                table.index[rows], current[rows], baseline[rows], change[rows], top
            ),
        }
    if not named.all():
        blank = pd.Series(change[~named]).sum()
        out["no_customer"] = {"customers": 0, "change": float(blank), "top": []}
    return out


def _top_customers(
    names: pd.Index, current: np.ndarray, baseline: np.ndarray, change: np.ndarray, top: int
) -> list[dict[str, Any]]:
    """The ``top`` customers by size of change, ties in customer order."""

    size = np.abs(change)
    if top > 0 and size.dtype == np.float64 and not np.isnan(size).any():
        # Only customers at least as big as the top-th can be listed: sorting those alone
        # gives the same head as sorting thousands of customers by name and size.
        rows = np.arange(len(size))
        if len(size) > top:
            kth = np.partition(size, len(size) - top)[len(size) - top]
            rows = np.flatnonzero(size >= kth)
        labels = names[rows].tolist()
        chosen = sorted(range(len(rows)), key=lambda i: (-size[rows[i]], labels[i]))[:top]
        picked = [int(rows[i]) for i in chosen]
    else:
        part = pd.DataFrame(
            {"current": current, "baseline": baseline, "change": change, "_size": size},
            index=names,
        )
        ordered = part.assign(_position=np.arange(len(part))).sort_index(kind="stable")
        ordered = ordered.sort_values("_size", ascending=False, kind="stable").head(top)
        picked = ordered["_position"].tolist()
    return [
        {
            "customer": str(names[i]),
            "current": float(current[i]),
            "baseline": float(baseline[i]),
            "change": float(change[i]),
        }
        for i in picked
    ]
