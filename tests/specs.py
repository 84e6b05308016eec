"""kpi.yaml texts shared by the tests: one `orders` source and KPIs built from a few arguments.

Most engine, target and backtest tests need the same small spec: orders in ``o.csv`` with
columns d (date), r (rep), a (amount), and a revenue KPI whose target method is what the
test is about. They build it here instead of pasting the block, so a change to the spec
format is made once. Texts stay plain YAML (what a test reads is what the parser sees);
pass them to ``tests.engine_helpers.spec_from``.
"""

from __future__ import annotations

ORDERS_COLUMNS = "date: d, rep: r, amount: a"


def orders_spec(
    *kpis: str,
    columns: str = ORDERS_COLUMNS,
    top: str = "",
    org: str | None = None,
    levels: str | None = None,
    tail: str = "",
) -> str:
    """A spec with one source, ``orders`` (o.csv), and the given KPI items (see `kpi_item`).

    columns: the inside of the source's column mapping; top: extra top-level lines
    before ``sources`` (pacing, holidays, period); org: the inside of the roster's column
    mapping (roster.csv), with ``levels`` as a YAML list; tail: top-level lines after the
    KPIs (backtest, alerts, scoring).
    """
    text = f"version: 1\n{top}"
    if top and not top.endswith("\n"):
        text += "\n"
    text += f"sources:\n  orders:\n    path: o.csv\n    columns: {{{columns}}}\n"
    if org is not None:
        text += f"org:\n  path: roster.csv\n  columns: {{{org}}}\n"
        if levels is not None:
            text += f"  levels: {levels}\n"
    return text + "kpis:\n" + "".join(kpis) + tail


def kpi_item(
    id: str,
    name: str,
    measure: str,
    *,
    column: str | None = None,
    unit: str | None = None,
    weight: int | None = None,
    target: str | None = None,
    more: str = "",
) -> str:
    """One item of ``kpis:`` over the orders source; target is a YAML flow mapping such as
    ``{method: fixed, value: 100}``; more: extra ``key: value`` lines of the KPI."""
    lines = [f"  - id: {id}", f"    name: {name}", "    source: orders", f"    measure: {measure}"]
    if column is not None:
        lines.append(f"    column: {column}")
    if unit is not None:
        lines.append(f"    unit: {unit}")
    if weight is not None:
        lines.append(f"    weight: {weight}")
    if target is not None:
        lines.append(f"    target: {target}")
    lines += [f"    {line}" for line in more.splitlines() if line]
    return "\n".join(lines) + "\n"


def revenue(
    target: str | None = None, *, unit: str | None = None, weight: int | None = 100, more: str = ""
) -> str:
    """The revenue KPI: the sum of amount, weight 100 unless given."""
    return kpi_item(
        "revenue",
        "Revenue",
        "sum",
        column="amount",
        unit=unit,
        weight=weight,
        target=target,
        more=more,
    )


def revenue_spec(target: str, *, tail: str = "") -> str:
    """The smallest useful spec: orders and revenue (no unit, weight 100) with this target."""
    return orders_spec(revenue(target), tail=tail)
