"""View-model sections from the later stages: scorecard and plans, alerts, one rep's report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from salesperf.anomalies.digest import view
from salesperf.engine.levels import COMPANY
from salesperf.evaluation.scoring import TRENDS
from salesperf.evaluation.volume import MIN_VOLUME
from salesperf.formatting import fmt_fraction, fmt_points, fmt_signed_points
from salesperf.glossary import word
from salesperf.report.i18n import labels, level_name
from salesperf.report.model import closed_status

if TYPE_CHECKING:
    from salesperf.anomalies import Alert
    from salesperf.engine.pipeline import Results
    from salesperf.evaluation.performance import Evaluation


def _rank(value: Any, tied: Any = False) -> str:
    """ "3", or "=3" for a rank shared with others at the same score."""
    if value is None or value != value:
        return "–"
    return ("=" if tied is True else "") + str(int(value))


#: Marks a total scored on part of the weights; the table's note explains it.
PARTIAL_MARK = "†"


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
    # The per-KPI cells show what is scored: pace while the period is open (actual vs the
    # target expected by today), attainment once it is closed (they are then the same).
    measure = "attainment" if card.closed else "pace"
    by_entity: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in kpi_rows:
        status = r.get("status") or "no_data"
        if card.closed:
            attainment = r.get("attainment")
            status = closed_status(status, None if attainment != attainment else attainment)
        scored = r.get("attainment_to_date")
        by_entity.setdefault((r["level"], r["entity"]), {})[r["kpi"]] = {
            "kpi": r["kpi"],
            "measure": measure,
            "value": scored,
            "value_fmt": fmt_fraction(scored, locale),
            "attainment": r.get("attainment"),
            "attainment_fmt": fmt_fraction(r.get("attainment"), locale),
            "pace": r.get("pace"),
            "pace_fmt": fmt_fraction(r.get("pace"), locale),
            "status": status,
            "status_label": words.get(status, status),
            "scored_as": r.get("scored_as") if isinstance(r.get("scored_as"), str) else None,
        }
    weighted = list(card.weights)
    rows = []
    groups = []
    totals = card.totals.to_dict(orient="records")
    totals.sort(key=lambda r: (_order(r["rank"]), r["entity"]))
    for t in totals:
        cells = by_entity.get((t["level"], t["entity"]), {})
        parent = t["parent"] if isinstance(t["parent"], str) and t["parent"] != COMPANY else None
        row = {
            "level": t["level"],
            "level_name": level_name(t["level"], locale),
            "entity": t["entity"],
            # The company is "Company", not the report's title.
            "name": words["company"] if t["level"] == COMPANY else t["name"],
            "parent": parent,
            "total": t["total"],
            "total_fmt": fmt_points(t["total"]) + (PARTIAL_MARK if t["partial"] else ""),
            "partial": bool(t["partial"]),
            "tier": t["tier"] if isinstance(t["tier"], str) else None,
            "rank": t["rank"],
            "tied": t.get("tied") is True,
            "rank_fmt": _rank(t["rank"], t.get("tied")),
            "trend": _trend(t),
            "kpis": [cells.get(k, _empty_cell(k, measure, words)) for k in weighted],
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
    ordered = sorted(evaluation.plans.items(), key=lambda kv: _plan_order(kv[1]))
    # A plan only for reps with a material gap; the others share one line.
    plans = [
        {"entity": rep, "name": plan.name, "summary": plan.summary}
        for rep, plan in ordered
        if plan.weaknesses or plan.total is None
    ]
    fine = sorted(p.name for _, p in ordered if not p.weaknesses and p.total is not None)
    has_teams = any(r["parent"] for r in rows)
    return {
        "kpis": [{"kpi": k, "name": spec.kpi(k).name, "weight": card.weights[k]} for k in weighted],
        "measure": measure,
        "measure_label": words[measure],
        "rows": rows,
        "groups": groups,
        "groups_caption": words["scorecard"]
        + " · "
        + ", ".join(level_name(lv, locale) for lv in level_order),
        "has_teams": has_teams,
        "notes": scorecard_notes(evaluation, rows + groups, measure, locale),
        "plans": plans,
        "plans_on_target": word("plans_on_target", locale, names=", ".join(fine)) if fine else "",
        "previous_period": card.previous_period,
    }


def _empty_cell(kpi: str, measure: str, words: dict[str, str]) -> dict[str, Any]:
    return {
        "kpi": kpi,
        "measure": measure,
        "value": None,
        "value_fmt": "–",
        "attainment": None,
        "attainment_fmt": "–",
        "pace": None,
        "pace_fmt": "–",
        "status": "no_data",
        "status_label": words["no_data"],
        "scored_as": None,
    }


def scorecard_notes(
    evaluation: Evaluation, rows: list[dict[str, Any]], measure: str, locale: str
) -> list[str]:
    """What the table's marks mean, stated under it: what the KPI columns are, "=" for
    shared ranks, † for partial totals, KPIs scored at a higher level."""
    results = evaluation.results
    notes = []
    if measure == "pace":
        notes.append(word("pace_columns", locale, date=results.as_of.isoformat()))
    else:
        notes.append(word("attainment_columns", locale))
    if any(r["tied"] for r in rows):
        notes.append(word("tie_note", locale))
    if any(r["partial"] for r in rows):
        notes.append(word("partial_note", locale))
    for kpi_id, level in sorted(getattr(evaluation.scorecard, "scored_above", {}).items()):
        notes.append(
            word(
                "scored_company" if level == COMPANY else "scored_above",
                locale,
                kpi=results.spec.kpi(kpi_id).name,
                minimum=MIN_VOLUME,
                level=level_name(level, locale),
            )
        )
    return notes


def _plan_order(plan: Any) -> tuple[float, str]:
    total = plan.total if plan.total is not None and plan.total == plan.total else 9e9
    return (total, plan.rep)


def alerts_view(results: Results, alerts: list[Alert], locale: str) -> list[dict[str, Any]]:
    """Alerts with their message and analysis lines, in the report's language."""

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
                # The message without its leading "Name (id): ", for lists that show who
                # the alert is about beside it (no "Maria Gonzalez: Maria Gonzalez (R01): ").
                "text": without_who(alert.messages.get(locale, alert.message), alert.name),
                "details": list(row.details),
            }
        )
    return out


def without_who(message: str, name: str | None) -> str:
    """ "Maria Gonzalez (R01): Revenue at 48% of pace…" -> "Revenue at 48% of pace…"."""
    if not name:
        return message
    for separator in (": ", "："):
        head, found, rest = message.partition(separator)
        if found and head.startswith(name):
            return rest
    return message


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
                "total_fmt": fmt_points(t["total"]) + (PARTIAL_MARK if t["partial"] else ""),
                "tier": t["tier"] if isinstance(t["tier"], str) else None,
                "rank_fmt": _rank(t["rank"], t.get("tied")),
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
        "meta": {
            **view["meta"],
            "title": f"{(mine or {}).get('name', rep)}",
            "heading": word("rep_title", locale, name=(mine or {}).get("name", rep)),
            "team_heading": word("team_title", locale, name=team_row["name"]) if team_row else "",
        },
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
