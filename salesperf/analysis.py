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
open every period is cut at the same day (see :mod:`salesperf.comparisons`).

Orders are the distinct ``key`` values of the rows (rows, without a key) and customers the
distinct customers, returns included: with no orders there is no revenue, so volume x
average is the total on both sides and the three parts always add up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salesperf.comparisons import Basis, basis_for, prepared_rows, same_point
from salesperf.metrics import COMPANY
from salesperf.spec.models import MeasureKind

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from salesperf.metrics import Rows
    from salesperf.pipeline import Results
    from salesperf.spec.models import KpiSpec

COMPARISONS = ("last_year", "last_period", "period", "target", "usual")
#: Periods whose mix spreads a target or usual value over a dimension.
MIX_PERIODS = 12
OTHER = "(other)"
BLANK = "(blank)"


def explain(
    results: Results,
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
    return Explainer(results).explain(
        kpi,
        level,
        entity,
        against=against,
        baseline=baseline,
        compare_period=compare_period,
        top=top,
    )


class Explainer:
    """Explains many entities of one run, preparing each KPI's rows once."""

    def __init__(
        self, results: Results, rows: dict[str, Rows] | None = None, basis: Basis | None = None
    ) -> None:
        from salesperf.spec.rules import drilldown_fields

        self.results = results
        self.rows = rows if rows is not None else prepared_rows(results)
        self.basis = basis or basis_for(results.period, results.as_of)
        self._kpi_rows: dict[str, pd.DataFrame] = {}
        self._first_p: dict[str, pd.Series] = {}
        self._entity_codes: dict[tuple[str, str], tuple[np.ndarray, dict[Any, int]]] = {}
        self._dimensions = {k.id: drilldown_fields(results.spec, k) for k in results.spec.kpis}

    # -- rows ---------------------------------------------------------------------------------
    def kpi_rows(self, kpi: KpiSpec) -> pd.DataFrame:
        """The rows that make up the KPI (after `where`; first rows for new_customers), all
        periods, with the amount each contributes in ``_value``."""
        if kpi.id not in self._kpi_rows:
            from salesperf.filters import where_mask

            frame = self.rows[kpi.source].frame
            frame = frame.loc[where_mask(frame, kpi.where)] if kpi.where else frame
            if kpi.measure is MeasureKind.NEW_CUSTOMERS:
                frame = frame.dropna(subset=["customer"]).sort_values("date", kind="stable")
                frame = frame.drop_duplicates("customer", keep="first")
            if kpi.measure is MeasureKind.SUM:
                value = frame[kpi.column].fillna(0.0).astype("float64")
            else:
                value = 1.0
            self._kpi_rows[kpi.id] = frame.assign(_value=value)
        return self._kpi_rows[kpi.id]

    def first_period(self, kpi: KpiSpec) -> pd.Series:
        """Customer -> period ordinal of their first-ever row in the source (after `where`)."""
        if kpi.id not in self._first_p:
            frame = self.kpi_rows(kpi).dropna(subset=["customer"])
            self._first_p[kpi.id] = frame.groupby("customer", observed=True)["p"].min()
        return self._first_p[kpi.id]

    def _is_entity(self, kpi: KpiSpec, column: str, entity: str) -> np.ndarray:
        """``kpi_rows(kpi)[column] == entity``, through codes made once per KPI and column:
        comparing every row's text again for each alert was most of the analysis time."""
        import numpy as np
        import pandas as pd

        key = (kpi.id, column)
        if key not in self._entity_codes:
            codes, uniques = pd.factorize(self.kpi_rows(kpi)[column], use_na_sentinel=True)
            self._entity_codes[key] = (codes, {value: i for i, value in enumerate(uniques)})
        codes, index = self._entity_codes[key]
        code = index.get(entity)
        return codes == code if code is not None else np.zeros(len(codes), dtype=bool)

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
        mine = same_point(data.loc[self._is_entity(kpi, column, entity)], calendar, self.basis)
        current = mine.loc[mine["p"] == p0]
        last_year = calendar.last_year(results.period).ordinal
        if against == "last_year":
            reference = last_year
        elif against == "last_period":
            reference = p0 - 1
        elif against == "period":
            if compare_period is None:
                raise ValueError("against='period' needs compare_period")
            reference = compare_period
        else:
            reference = last_year if (mine["p"] == last_year).any() else p0 - 1
        before = mine.loc[mine["p"] == reference]
        mix = None
        if against in ("target", "usual"):
            if against == "target":
                baseline = self._expected(kpi.id, level, entity)
            if baseline is None:
                return None
            mix = mine.loc[(mine["p"] >= p0 - MIX_PERIODS) & (mine["p"] < p0)]
        else:
            baseline = float(before["_value"].sum())
        current_total = float(current["_value"].sum())
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
            if mix is not None:
                split = _split_by_mix(current, mix, dimension, baseline, top)
            else:
                split = _split(current, before, dimension, top)
            if split is not None:
                out["drivers"].append({"dimension": dimension, "rows": split})
        if kpi.measure is MeasureKind.SUM:
            key = results.spec.sources[kpi.source].key
            key = key if key in data.columns else None
            out["volume_value"] = [volume_value(current, before, "orders", key)]
            if "customer" in data.columns:
                out["volume_value"].append(volume_value(current, before, "customers", None))
                out["customers"] = customer_bridge(current, before, self.first_period(kpi), p0, top)
        return out

    def _expected(self, kpi_id: str, level: str, entity: str) -> float | None:
        table = self.results.table
        match = table.loc[
            (table["kpi"] == kpi_id) & (table["level"] == level) & (table["entity"] == entity),
            "expected_to_date",
        ].dropna()
        return float(match.iloc[0]) if len(match) else None

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


def _split(
    current: pd.DataFrame, before: pd.DataFrame, dimension: str, top: int
) -> list[dict[str, Any]] | None:
    """Contribution of each value of ``dimension``: current minus comparison, top first."""
    import pandas as pd

    now = current.groupby(_labels(current, dimension), observed=True)["_value"].sum()
    then = before.groupby(_labels(before, dimension), observed=True)["_value"].sum()
    table = pd.concat({"current": now, "baseline": then}, axis=1).fillna(0.0)
    return _top(table, top)


def _split_by_mix(
    current: pd.DataFrame, mix: pd.DataFrame, dimension: str, baseline: float, top: int
) -> list[dict[str, Any]] | None:
    """Against a value with no rows (a target): spread it by the entity's usual mix."""
    import pandas as pd

    usual = mix.groupby(_labels(mix, dimension), observed=True)["_value"].sum()
    total = float(usual.sum())
    if usual.empty or total == 0:
        return None
    now = current.groupby(_labels(current, dimension), observed=True)["_value"].sum()
    table = pd.concat({"current": now, "baseline": usual / total * baseline}, axis=1)
    return _top(table.fillna(0.0), top)


def _top(table: pd.DataFrame, top: int) -> list[dict[str, Any]] | None:
    if table.empty:
        return None
    table = table.assign(change=table["current"] - table["baseline"])
    total = float(table["change"].sum())
    descending = total > 0
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
    n1, n0 = _volume(current, volume, key), _volume(before, volume, key)
    r1, r0 = float(current["_value"].sum()), float(before["_value"].sum())
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
    """Orders (distinct keys, or rows) or customers. Every row counts, returns included, so
    that no orders means no revenue and n x average is the total on both sides."""
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
    import pandas as pd

    now = current.groupby(current["customer"].astype("string").fillna(BLANK))["_value"].sum()
    then = before.groupby(before["customer"].astype("string").fillna(BLANK))["_value"].sum()
    table = pd.concat({"current": now, "baseline": then}, axis=1)
    in_now, in_then = table["current"].notna(), table["baseline"].notna()
    table = table.fillna(0.0)
    table["change"] = table["current"] - table["baseline"]
    first = first_period.reindex(table.index.astype(object))
    first.index = table.index
    is_new = in_now & ~in_then & (first == p0).fillna(False).astype(bool)
    buckets = {
        "new": is_new,
        "returning": in_now & ~in_then & ~is_new,
        "lost": ~in_now & in_then,
        "existing": in_now & in_then,
    }
    out: dict[str, Any] = {}
    for name, mask in buckets.items():
        part = table.loc[mask & (table.index != BLANK)]
        out[name] = {
            "customers": len(part),
            "change": float(part["change"].sum()),
            "top": _top_customers(part, top),
        }
    blank = table.loc[table.index == BLANK]
    if len(blank):
        out["no_customer"] = {"customers": 0, "change": float(blank["change"].sum()), "top": []}
    return out


def _top_customers(part: pd.DataFrame, top: int) -> list[dict[str, Any]]:
    ordered = part.assign(_size=part["change"].abs()).sort_index(kind="stable")
    ordered = ordered.sort_values("_size", ascending=False, kind="stable").head(top)
    return [
        {
            "customer": str(name),
            "current": float(r["current"]),
            "baseline": float(r["baseline"]),
            "change": float(r["change"]),
        }
        for name, r in ordered.iterrows()
    ]
