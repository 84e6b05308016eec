"""View-model sections from the later stages: scorecard and plans, alerts, one rep's report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salesperf.engine.metrics import COMPANY
from salesperf.evaluation.scoring import TRENDS
from salesperf.formatting import fmt_fraction, fmt_points, fmt_signed_points
from salesperf.report.i18n import labels, level_name

if TYPE_CHECKING:
    from salesperf.anomalies import Alert
    from salesperf.engine.pipeline import Results
    from salesperf.evaluation.performance import Evaluation


def _rank(value: Any) -> str:
    return "–" if value is None or value != value else str(int(value))


def _order(value: Any) -> float:
    """Ranks sort first; unranked (None or NaN) last."""
    return 1e9 if value is None or value != value else float(value)


def _trend(row: dict[str, Any]) -> str:
    trend = row.get("trend")
    if not isinstance(trend, str):
        return ""
    text = TRENDS[trend]
    if trend != "new":
        text += " " + fmt_signed_points(row.get("total_change"))
    return text


def scorecard_view(evaluation: Evaluation, locale: str) -> dict[str, Any]:
    """Leaderboard rows (reps), group rows (teams and above) and plan summaries."""
    card = evaluation.scorecard
    words = labels(locale)
    spec = evaluation.results.spec
    kpi_rows = card.kpis.to_dict(orient="records")
    by_entity: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in kpi_rows:
        status = r.get("status") or "no_data"
        by_entity.setdefault((r["level"], r["entity"]), {})[r["kpi"]] = {
            "kpi": r["kpi"],
            "attainment": r.get("attainment_to_date"),
            "attainment_fmt": fmt_fraction(r.get("attainment_to_date"), locale),
            "status": status,
        }
    weighted = list(card.weights)
    rows = []
    groups = []
    totals = card.totals.to_dict(orient="records")
    totals.sort(key=lambda r: (_order(r["rank"]), r["entity"]))
    for t in totals:
        cells = by_entity.get((t["level"], t["entity"]), {})
        row = {
            "level": t["level"],
            "level_name": level_name(t["level"], locale),
            "entity": t["entity"],
            "name": t["name"],
            "parent": t["parent"] if isinstance(t["parent"], str) else None,
            "total": t["total"],
            "total_fmt": fmt_points(t["total"]) + ("*" if t["partial"] else ""),
            "tier": t["tier"] if isinstance(t["tier"], str) else None,
            "rank": t["rank"],
            "rank_fmt": _rank(t["rank"]),
            "trend": _trend(t),
            "kpis": [
                cells.get(
                    k, {"kpi": k, "attainment": None, "attainment_fmt": "–", "status": "no_data"}
                )
                for k in weighted
            ],
        }
        if t["level"] == "rep":
            rows.append(row)
        else:
            groups.append(row)
    level_order = {lv: i for i, lv in enumerate([*evaluation.results.org.levels, COMPANY])}
    groups.sort(
        key=lambda g: (
            level_order.get(g["level"], 99),
            g["rank"] if isinstance(g["rank"], int | float) and g["rank"] == g["rank"] else 1e9,
        )
    )
    plans = [
        {"entity": rep, "name": plan.name, "summary": plan.summary}
        for rep, plan in sorted(evaluation.plans.items(), key=lambda kv: _plan_order(kv[1]))
    ]
    return {
        "kpis": [{"kpi": k, "name": spec.kpi(k).name, "weight": card.weights[k]} for k in weighted],
        "rows": rows,
        "groups": groups,
        "groups_caption": words["scorecard"]
        + " · "
        + ", ".join(level_name(lv, locale) for lv in level_order),
        "plans": plans,
        "previous_period": card.previous_period,
    }


def _plan_order(plan: Any) -> tuple[float, str]:
    total = plan.total if plan.total is not None and plan.total == plan.total else 9e9
    return (total, plan.rep)


def alerts_view(results: Results, alerts: list[Alert], locale: str) -> list[dict[str, Any]]:
    """Alerts with their message and analysis lines, in the report's language."""
    from salesperf.anomalies.digest import view

    words = labels(locale)
    names = {k.id: k.name for k in results.spec.kpis}
    shown = view(results, alerts)
    out = []
    for alert, row in zip(alerts, shown, strict=True):
        who = alert.name or alert.entity or ""
        if alert.level and alert.level not in ("rep", COMPANY):
            who = f"{who} ({level_name(alert.level, locale)})"
        out.append(
            {
                "severity": alert.severity.value,
                "severity_label": words.get(alert.severity.value, alert.severity.value),
                "rule": alert.rule,
                "rule_label": row.label,
                "level": alert.level,
                "entity": alert.entity,
                "who": who,
                "kpi": alert.kpi,
                "kpi_name": names.get(alert.kpi or "", ""),
                "message": alert.messages.get(locale, alert.message),
                "details": list(row.details),
            }
        )
    return out


def rep_view(
    view: dict[str, Any],
    results: Results,
    rep: str,
    evaluation: Evaluation | None,
    alerts: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """One rep's feedback report: their own numbers, plan and comments, and their team's
    totals as context (no other rep's personal numbers)."""
    locale = view["meta"]["locale"]
    rep_level = next((lv for lv in view["levels"] if lv["level"] == "rep"), None)
    mine = next((e for e in (rep_level or {}).get("entities", []) if e["entity"] == rep), None)
    team = mine["parent"] if mine else None
    team_row = None
    if team is not None and results.org.levels:
        first = results.org.levels[0]
        level = next((lv for lv in view["levels"] if lv["level"] == first), None)
        team_row = next((e for e in (level or {}).get("entities", []) if e["entity"] == team), None)
    names = {k["kpi"]: k["name"] for k in view["headline"]}
    kpis = []
    for cell in (mine or {}).get("kpis", []):
        kpis.append({**cell, "name": names.get(cell["kpi"], cell["kpi"])})
    plan = None
    score = None
    comments: list[dict[str, Any]] = []
    if evaluation is not None:
        found = evaluation.plans.get(rep)
        plan = found.as_dict() if found is not None else None
        if plan is not None:
            for key in ("strengths", "weaknesses"):
                for item in plan[key]:
                    item["name"] = names.get(item["kpi"], item["kpi"])
        totals = evaluation.scorecard.totals
        hit = totals[(totals["level"] == "rep") & (totals["entity"] == rep)]
        if len(hit):
            t = hit.iloc[0].to_dict()
            score = {
                "total_fmt": fmt_points(t["total"]) + ("*" if t["partial"] else ""),
                "tier": t["tier"] if isinstance(t["tier"], str) else None,
                "rank_fmt": _rank(t["rank"]),
                "ranked_fmt": _rank(t["ranked"]),
                "trend": _trend(t),
            }
        frame = evaluation.comments
        if len(frame) and "rep" in frame:
            for c in frame[frame["rep"] == rep].to_dict(orient="records"):
                comments.append(
                    {
                        "date": str(c.get("date", ""))[:10],
                        "kind": c.get("kind") if isinstance(c.get("kind"), str) else "",
                        "score": c.get("score"),
                        "comment": str(c.get("comment") or ""),
                    }
                )
    return {
        "schema": view["schema"],
        "kind": "rep",
        "meta": {**view["meta"], "title": f"{(mine or {}).get('name', rep)}"},
        "labels": view["labels"],
        "rep": {"entity": rep, "name": (mine or {}).get("name", rep), "team": team},
        "kpis": kpis,
        "team": (
            {
                "name": team_row["name"],
                "kpis": [{**c, "name": names.get(c["kpi"], c["kpi"])} for c in team_row["kpis"]],
            }
            if team_row
            else None
        ),
        "score": score,
        "plan": plan,
        "comments": comments,
        "alerts": [a for a in (alerts or []) if a.get("level") == "rep" and a.get("entity") == rep],
        "provenance": view["provenance"],
        "locale_name": locale,
    }
