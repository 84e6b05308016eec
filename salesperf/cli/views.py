"""Selections of the results table that commands show: plain frames, no rendering."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from salesperf.engine.levels import COMPANY
from salesperf.engine.pipeline import Results, check_level, find_entity, find_team
from salesperf.errors import Finding, Level, Location, UsageError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

#: Worst first: what needs attention comes to the top.
STATUS_ORDER = {"behind": 0, "at_risk": 1, "on_track": 2, "no_data": 3, "no_target": 4}

TARGET_CSV_COLUMNS = [
    "kpi",
    "period",
    "level",
    "entity",
    "target",
    "name",
    "target_method",
    "basis",
    "note",
]


def _check_kpi(results: Results, kpi: str | None) -> None:
    ids = [k.id for k in results.spec.kpis]
    if kpi is not None and kpi not in ids:
        raise UsageError(
            f"No KPI called '{kpi}':",
            [
                Finding(
                    Level.ERROR,
                    f"'{kpi}' is not a KPI id{did_you_mean(kpi, ids)}; ids: {', '.join(ids)}",
                    Location(key="--kpi"),
                    "unknown-kpi",
                )
            ],
        )


def progress_rows(
    results: Results,
    *,
    rep: str | None = None,
    team: str | None = None,
    kpi: str | None = None,
    level: str | None = None,
) -> pd.DataFrame:
    """Rows for `salesperf progress`, worst first within each KPI.

    - ``rep``: that rep's row for every KPI.
    - ``team``: the team's row and its reps' rows.
    - otherwise ``level`` (a level name) or, by default, the company and the first roster
      level, so the whole picture fits one screen.
    """
    table = results.table
    _check_kpi(results, kpi)
    check_level(results, level)
    if rep is not None:
        entity = find_entity(results, "rep", rep)
        rows = table[(table["level"] == "rep") & (table["entity"] == entity)]
    elif team is not None:
        entity = find_team(results, team)
        rows = table[
            ((table["level"] == "team") & (table["entity"] == entity))
            | ((table["level"] == "rep") & (table["parent"] == entity))
        ]
    elif level is not None:
        rows = table[table["level"] == level]
    else:
        shown = [COMPANY, *results.org.levels[-1:]] if results.org.levels else [COMPANY, "rep"]
        rows = table[table["level"].isin(shown)]
    if kpi is not None:
        rows = rows[rows["kpi"] == kpi]
    return sort_worst_first(results, rows)


def sort_worst_first(results: Results, rows: pd.DataFrame) -> pd.DataFrame:
    order = {k.id: i for i, k in enumerate(results.spec.kpis)}
    levels = {lv: i for i, lv in enumerate([COMPANY, *reversed(results.org.levels), "rep"])}
    keyed = rows.assign(
        _k=rows["kpi"].map(order),
        _l=rows["level"].map(levels),
        _s=rows["status"].map(STATUS_ORDER),
        _p=rows["pace"].fillna(float("inf")),
    )
    keyed = keyed.sort_values(["_k", "_l", "_s", "_p", "entity"], kind="stable")
    return keyed.drop(columns=["_k", "_l", "_s", "_p"]).reset_index(drop=True)


def target_rows(results: Results, kpi: str | None = None) -> pd.DataFrame:
    """Rows for `salesperf targets`: every entity's proposed target with its basis.

    The CSV view (:func:`targets_csv_frame`) is accepted unchanged as an overrides file.
    """
    _check_kpi(results, kpi)
    table = results.table
    rows = table[table["target_method"].notna()]
    if kpi is not None:
        rows = rows[rows["kpi"] == kpi]
    return rows.reset_index(drop=True)


def describe_basis(
    basis: Any, fmt: Callable[[float], str] | None = None, locale: str = "en"
) -> str:
    """A target's basis as one line: '2016-06: $300 (+10%)' or '49.2% of region East';
    a growth that follows the market names the market figure used, in the glossary's
    words for ``locale`` ('market growth 2017-04 (East) +9.0%, margin +1.0 pts').

    ``fmt`` formats history values (default: plain number with thousands separators).
    """
    if not isinstance(basis, dict):
        return ""
    show = fmt or (lambda v: f"{v:,.6g}")
    if "share" in basis:
        parent = (
            "company"
            if basis["parent_level"] == COMPANY
            else (f"{basis['parent_level']} {basis['parent']}")
        )
        return f"{basis['share']:.1%} of {parent}"
    if "sum_of" in basis:
        return f"sum of {basis['sum_of']}s"
    if "value" in basis and len(basis) == 1:
        return "fixed"
    periods = basis.get("periods") or []
    values = basis.get("values") or []
    parts = ", ".join(f"{p}: {show(v)}" for p, v in zip(periods, values, strict=False))
    growth = basis.get("growth") or 0
    text = parts or "no history"
    if growth:
        text += f" ({growth:+.0%})"
    if basis.get("seasonal_factor") is not None:
        text += f" x season {basis['seasonal_factor']:.3f}"
    if isinstance(basis.get("market"), dict):
        text += " · " + describe_market(basis["market"], locale)
    return text


def describe_market(market: dict[str, Any], locale: str = "en") -> str:
    """The market figure behind a target's growth, in the glossary's words."""
    from salesperf.glossary import word

    comma = "，" if locale == "zh-CN" else ", "
    where = f" ({market['entity']})" if market.get("entity") else ""
    if locale == "zh-CN" and where:
        where = f"（{market['entity']}）"
    if market.get("value") is None:
        return word("market.missing", locale, period=market["period"], where=where)
    text = word(
        "market.growth",
        locale,
        period=market["period"],
        where=where,
        value=f"{market['value']:+.1%}",
    )
    if market.get("margin"):
        text += comma + word("market.margin", locale, value=f"{market['margin'] * 100:+.1f}")
    return text


def targets_csv_frame(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    out["basis"] = out["target_basis"].map(describe_basis)
    return out[TARGET_CSV_COLUMNS]
