"""The verdict: the first screen of the report, answering "how did we do, and who needs
help?" in words a manager reads in ten seconds.

- the company's result per KPI with a target: "Revenue $1.13M, 4% below target" for a
  closed period; "Revenue $1.48M to date, 9% below pace (projected $2.68M)" for an open one;
- the reps and teams furthest behind and furthest ahead *by amount* on the heaviest-weighted
  KPI counted in money (else in units): behind the target for a closed period, behind the
  target expected by today for an open one;
- the alerts that matter: the critical ones first, at most :data:`TOP_ALERTS`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from salesperf.engine.levels import COMPANY
from salesperf.formatting import fmt_change, fmt_value
from salesperf.glossary import word
from salesperf.report.i18n import level_name
from salesperf.spec.models import Unit

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results
    from salesperf.spec import KpiSpec

#: How many reps (and teams) are named as furthest behind and furthest ahead.
TOP_ENTITIES = 3
#: How many alerts the verdict repeats (the Alerts section has all of them).
TOP_ALERTS = 3


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def company_results(view: dict[str, Any], locale: str, closed: bool) -> list[dict[str, Any]]:
    """One sentence per KPI with a target, from the headline cells (the same numbers): a
    closed period against the target, an open one against the pace (the target expected
    by today) with the projection, when the KPI accumulates."""
    out = []
    for cell in view["headline"]:
        accumulates = cell["projected"] != cell["actual"]
        measure = cell["pace"] if not closed and accumulates else cell["attainment"]
        if measure is None:
            continue
        against = "pace" if not closed and accumulates else "target"
        # Never "on pace" next to an "at risk" status: below 100% is at least 1% below.
        whole = round(abs(measure - 1) * 100)
        if measure < 1:
            side, whole = "below", max(whole, 1)
        else:
            side = "above" if whole else "on"
        relation = word(f"{side}_{against}", locale, percent=f"{whole}%")
        key = "verdict_line_open" if against == "pace" else "verdict_line"
        text = word(
            key,
            locale,
            name=cell["name"],
            actual=cell["actual_fmt"],
            relation=relation,
            projected=cell["projected_fmt"],
        )
        out.append({"kpi": cell["kpi"], "status": cell["status"], "text": text})
    return out


def money_kpi(results: Results) -> KpiSpec | None:
    """The KPI a manager counts gaps in: the heaviest-weighted currency KPI that adds up,
    else the heaviest-weighted count."""
    candidates = [
        k
        for k in results.spec.kpis
        if k.additive and k.target is not None and k.unit in (Unit.CURRENCY, Unit.COUNT)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda k: (k.unit is Unit.CURRENCY, k.weight or 0))


def furthest(
    results: Results, kpi: KpiSpec, level: str, closed: bool, locale: str
) -> dict[str, list[str]]:
    """The entities of ``level`` furthest behind and ahead of their target (closed) or their
    target to date (open), by amount, each as "Name: $12,345 below (−23%)"."""
    table = results.table
    rows = table[(table["kpi"] == kpi.id) & (table["level"] == level)]
    reference = rows["target"] if closed else rows["expected_to_date"]
    gaps = []
    for name, actual, expected in zip(rows["name"], rows["actual"], reference, strict=True):
        actual, expected = _number(actual), _number(expected)
        if actual is None or expected is None or expected <= 0:
            continue
        gaps.append((actual - expected, actual / expected - 1, str(name)))
    gaps.sort(key=lambda g: (g[0], g[2]))
    currency = results.spec.currency

    def say(key: str, gap: tuple[float, float, str]) -> str:
        amount = fmt_value(abs(gap[0]), kpi.unit, currency, locale)
        return word(key, locale, name=gap[2], amount=amount, percent=fmt_change(gap[1], locale))

    behind = [say("behind_by", g) for g in gaps if g[0] < 0][:TOP_ENTITIES]
    ahead = [say("ahead_by", g) for g in reversed(gaps) if g[0] > 0][:TOP_ENTITIES]
    return {"behind": behind, "ahead": ahead}


def top_alerts(alerts: list[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], int]:
    """The critical alerts (then warnings about people, not data), at most TOP_ALERTS."""
    if not alerts:
        return [], 0
    order = {"critical": 0, "warning": 1}
    people = [a for a in alerts if a["severity"] in order and a.get("level") != COMPANY]
    people.sort(key=lambda a: order[a["severity"]])
    shown = people[:TOP_ALERTS]
    return shown, len(alerts) - len(shown)


def verdict(view: dict[str, Any], results: Results) -> dict[str, Any]:
    locale = view["meta"]["locale"]
    closed = not view["meta"]["open"]
    kpi = money_kpi(results)
    groups = []
    if kpi is not None:
        levels = [lv for lv in [*results.org.levels[:1], "rep"] if lv]
        for level in levels:
            found = furthest(results, kpi, level, closed, locale)
            if found["behind"] or found["ahead"]:
                groups.append(
                    {
                        "level": level,
                        "level_name": level_name(level, locale),
                        "title": word("by_amount", locale, kpi=kpi.name),
                        **found,
                    }
                )
    alerts, more = top_alerts(view.get("alerts"))
    return {
        "results": company_results(view, locale, closed),
        "kpi": kpi.id if kpi is not None else None,
        "kpi_name": kpi.name if kpi is not None else None,
        "groups": groups,
        "alerts": alerts,
        "more_alerts": more,
        "more_alerts_fmt": word("more_alerts", locale, n=more) if more else "",
    }
