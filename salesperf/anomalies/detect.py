"""Run every rule, fold duplicates together, explain, and sort.

Folding keeps the list short without hiding anything (false alarms make managers ignore a
tool, and so do ten alerts about one cause):

- A team, region or company alert whose deviation is mostly (``rollup_share``) one rep's
  alert of the same rule and KPI is folded into that rep's alert (``evidence["also_moves"]``).
- When a team is itself behind (or off its history, or sharply down), its reps' alerts of
  the same rule and KPI are folded into the team's (``evidence["members"]``; its analysis
  splits the change by rep), unless a rep is worse off than the team (a higher severity, or
  a peer outlier as well). The same goes from teams to regions and to the company.
- A rep who has gone quiet on a source has, as symptoms, KPI alerts on that source (pace 0,
  a collapse against history...): they are folded into the gone-quiet alert
  (``evidence["symptoms"]``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from salesperf.anomalies.activity import gone_quiet
from salesperf.anomalies.analysis import Explainer
from salesperf.anomalies.context import Context, build_context
from salesperf.anomalies.data_rules import (
    duplicate_key,
    future_date,
    large_transaction,
    negative_amount,
    not_on_roster,
    rejected_rows,
)
from salesperf.anomalies.kpi_rules import (
    behind_pace,
    consecutive_declines,
    off_history,
    peer_outlier,
    sharp_change,
)
from salesperf.anomalies.model import ALERTS_SCHEMA, Alert
from salesperf.engine.levels import COMPANY
from salesperf.engine.pipeline import find_entity, find_team
from salesperf.spec.models import MeasureKind

if TYPE_CHECKING:
    from salesperf.engine.metrics import Rows
    from salesperf.engine.pipeline import Results
    from salesperf.spec.models import AlertsSpec

Rule = Callable[[Context], list[Alert]]

#: Every rule, in the order alerts of one entity are listed. Adding a rule: write a
#: function ``(Context) -> list[Alert]``, add it here, to ``ALERT_RULES`` in
#: salesperf.spec.models and to the message catalogue.
RULES: list[Rule] = [
    behind_pace,
    off_history,
    sharp_change,
    consecutive_declines,
    peer_outlier,
    gone_quiet,
    duplicate_key,
    negative_amount,
    future_date,
    large_transaction,
    rejected_rows,
    not_on_roster,
]
RULE_ORDER = {rule.__name__: i for i, rule in enumerate(RULES)}
#: Rules whose deviations add up from reps to the company.
ROLLUP_RULES = frozenset({"behind_pace", "off_history", "sharp_change"})
#: What each KPI rule's problem analysis compares with.
ANALYSIS_AGAINST = {
    "behind_pace": "target",
    "peer_outlier": "target",
    "off_history": "usual",
    "consecutive_declines": "period",
}


def detect(
    results: Results,
    rows: dict[str, Rows],
    config: AlertsSpec | None = None,
    *,
    today: dt.date | None = None,
    analyse: bool = True,
) -> list[Alert]:
    """All alerts for the reviewed period of ``results``, folded, explained and sorted.

    ``rows`` are the prepared rows the results were computed from
    (:attr:`salesperf.review.Review.rows`): the rules and the analysis read them as they are.

    ``config`` defaults to the spec's ``alerts:``; ``today`` (default: the system date)
    only decides which dates are in the future; ``analyse=False`` skips problem analysis.
    """
    config = config if config is not None else results.spec.alerts
    ctx = build_context(results, rows, config, today or dt.date.today())
    alerts = [alert for rule in RULES for alert in rule(ctx)]
    # A rep who joined or left during the period has a partial period by design.
    alerts = [a for a in alerts if a.kpi is None or not ctx.partial(a.level, a.entity)]
    alerts = fold_rollups(ctx, alerts)
    alerts = fold_members(ctx, alerts)
    alerts = fold_symptoms(ctx, alerts)
    if analyse:
        alerts = attach_analysis(ctx, alerts)
    return sort_alerts(results, alerts)


def sort_alerts(results: Results, alerts: list[Alert]) -> list[Alert]:
    """Severity (critical first), KPI (spec order; data quality last), level (company
    first), entity, rule: the same inputs always list the same alerts in the same order."""
    kpi_order = {k.id: i for i, k in enumerate(results.spec.kpis)}
    levels = [COMPANY, *reversed(results.org.levels), "rep"]
    level_order = {level: i for i, level in enumerate(levels)}

    def key(alert: Alert) -> tuple[Any, ...]:
        return (
            -alert.severity.rank,
            kpi_order.get(alert.kpi, len(kpi_order)) if alert.kpi else len(kpi_order),
            level_order.get(alert.level, len(levels)),
            alert.entity,
            RULE_ORDER.get(alert.rule, len(RULE_ORDER)),
            alert.source or "",
            alert.period,
            alert.message,
        )

    return sorted(alerts, key=key)


def fold_rollups(ctx: Context, alerts: list[Alert]) -> list[Alert]:
    """Fold a parent's alert into the descendant's alert that explains most of it."""
    kpis = {k.id: k for k in ctx.results.spec.kpis}
    by_key: dict[tuple[str, str | None], list[Alert]] = {}
    for alert in alerts:
        by_key.setdefault((alert.rule, alert.kpi), []).append(alert)
    folded: dict[int, tuple[Alert, float]] = {}
    for (rule, kpi_id), group in by_key.items():
        if rule not in ROLLUP_RULES or kpi_id is None or not kpis[kpi_id].additive:
            continue
        for parent in group:
            if parent.level == "rep":
                continue
            total = parent.evidence.get("deviation")
            if not total:
                continue
            best: tuple[Alert, float] | None = None
            for child in group:
                if (parent.level, parent.entity) not in ctx.ancestors(child.level, child.entity):
                    continue
                share = (child.evidence.get("deviation") or 0.0) / total
                if share >= ctx.settings(kpis[kpi_id]).rollup_share and (
                    best is None or share > best[1]
                ):
                    best = (child, share)
            if best is not None:
                folded[id(parent)] = best
    if not folded:
        return alerts
    notes: dict[int, list[dict[str, Any]]] = {}
    for parent_id, (child, share) in folded.items():
        parent = next(a for a in alerts if id(a) == parent_id)
        notes.setdefault(id(child), []).append(
            {
                "level": parent.level,
                "entity": parent.entity,
                "name": parent.name,
                "severity": parent.severity.value,
                "deviation": parent.evidence.get("deviation"),
                "share": share,
                "message": parent.message,
            }
        )
    out = []
    for alert in alerts:
        if id(alert) in folded:
            continue
        if id(alert) in notes:
            evidence = {**alert.evidence, "also_moves": notes[id(alert)]}
            alert = dataclasses.replace(alert, evidence=evidence)
        out.append(alert)
    return out


def fold_members(ctx: Context, alerts: list[Alert]) -> list[Alert]:
    """Fold alerts into their parent's alert of the same rule and KPI (see module doc)."""
    index = {(a.rule, a.kpi, a.level, a.entity): a for a in alerts if a.kpi is not None}
    outliers = {(a.kpi, a.entity) for a in alerts if a.rule == "peer_outlier"}
    lower = {k.id for k in ctx.results.spec.kpis if k.direction.value == "lower"}
    into: dict[int, Alert] = {}
    for alert in alerts:
        if alert.kpi is None or alert.rule not in ROLLUP_RULES or alert.level == COMPANY:
            continue
        if alert.level == "rep" and (alert.kpi, alert.entity) in outliers:
            continue
        parent = ctx.parents.get((alert.level, alert.entity))
        above = ctx.parent_level(alert.level)
        host = index.get((alert.rule, alert.kpi, above, parent)) if parent and above else None
        # Good news (a spike above the usual level) never folds into bad news, nor the
        # other way round: the host's line would call it "also behind".
        same_way = host is not None and _adverse(alert, lower) == _adverse(host, lower)
        if host is not None and same_way and alert.severity.rank <= host.severity.rank:
            into[id(alert)] = host
    if not into:
        return alerts
    members: dict[int, list[dict[str, Any]]] = {}
    for alert in alerts:
        if id(alert) not in into:
            continue
        host = into[id(alert)]
        while id(host) in into:  # a rep folded into a team folded into its region
            host = into[id(host)]
        members.setdefault(id(host), []).append(
            {
                "level": alert.level,
                "entity": alert.entity,
                "name": alert.name,
                "severity": alert.severity.value,
                "observed": alert.observed,
                "expected": alert.expected,
                "adverse": _adverse(alert, lower),
                "message": alert.message,
            }
        )
    out = []
    for alert in alerts:
        if id(alert) in into:
            continue
        if id(alert) in members:
            alert = dataclasses.replace(
                alert, evidence={**alert.evidence, "members": members[id(alert)]}
            )
        out.append(alert)
    return out


def _adverse(alert: Alert, lower: set[str]) -> bool:
    """Whether the alert is bad news: below what was expected (above, when lower is
    better). Without both values (rules that judge otherwise) it counts as bad news."""
    if alert.observed is None or alert.expected is None:
        return True
    below = alert.observed < alert.expected
    return below != (alert.kpi in lower)


def fold_symptoms(ctx: Context, alerts: list[Alert]) -> list[Alert]:
    """Fold a quiet rep's KPI alerts on the same source into the gone-quiet alert."""
    quiet: dict[tuple[str, str | None], Alert] = {
        (a.entity, a.source): a for a in alerts if a.rule == "gone_quiet"
    }
    if not quiet:
        return alerts
    kpis = {k.id: k for k in ctx.results.spec.kpis}
    symptoms: dict[tuple[str, str | None], list[Alert]] = {}
    out = []
    for alert in alerts:
        if alert.kpi is not None and alert.level == "rep":
            key: tuple[str, str | None] = (alert.entity, kpis[alert.kpi].source)
            if key in quiet:
                symptoms.setdefault(key, []).append(alert)
                continue
        out.append(alert)
    result = []
    for alert in out:
        key = (alert.entity, alert.source)
        if alert.rule == "gone_quiet" and key in symptoms:
            listed = [
                {
                    "rule": s.rule,
                    "kpi": s.kpi,
                    "severity": s.severity.value,
                    "observed": s.observed,
                    "expected": s.expected,
                    "message": s.message,
                }
                for s in sort_alerts(ctx.results, symptoms[key])
            ]
            moves: dict[tuple[str, str], dict[str, Any]] = {}
            for symptom in symptoms[key]:
                for move in symptom.evidence.get("also_moves", []):
                    where = (move["level"], move["entity"])
                    if where not in moves or move["share"] > moves[where]["share"]:
                        moves[where] = move
            evidence = {**alert.evidence, "symptoms": listed}
            if moves:
                evidence["also_moves"] = list(moves.values())
            alert = dataclasses.replace(alert, evidence=evidence)
        result.append(alert)
    return result


def attach_analysis(ctx: Context, alerts: list[Alert]) -> list[Alert]:
    """Problem analysis for every alert on an additive KPI (and gone-quiet reps)."""

    explainer = Explainer(ctx.results, ctx.rows, ctx.basis)
    kpis = {k.id: k for k in ctx.results.spec.kpis}
    top = ctx.config.top
    out = []
    for alert in alerts:
        analysis = None
        if alert.kpi is not None and kpis[alert.kpi].additive:
            against = ANALYSIS_AGAINST.get(alert.rule) or alert.evidence.get("against", "last_year")
            compare = None
            if against == "period":
                compare = ctx.p - int(alert.evidence.get("declines", 1))
            analysis = explainer.explain(
                alert.kpi,
                alert.level,
                alert.entity,
                against=against,
                baseline=alert.expected if against == "usual" else None,
                compare_period=compare,
                top=top,
            )
        elif alert.rule == "gone_quiet":
            kpi = _main_kpi(ctx, alert.source)
            if kpi is not None:
                analysis = explainer.explain(
                    kpi, alert.level, alert.entity, against="last_period", top=top
                )
        if analysis is not None:
            alert = dataclasses.replace(alert, analysis=analysis)
        out.append(alert)
    return out


def _main_kpi(ctx: Context, source: str | None) -> str | None:
    """The KPI that best describes a source's activity: its first sum, else first additive."""
    kpis = [k for k in ctx.results.spec.kpis if k.source == source and k.additive]
    sums = [k for k in kpis if k.measure is MeasureKind.SUM]
    chosen = (sums or kpis)[:1]
    return chosen[0].id if chosen else None


def select(
    results: Results, alerts: list[Alert], *, rep: str | None = None, team: str | None = None
) -> list[Alert]:
    """The alerts of one rep (by id or name), or of one team and its reps."""

    if rep is not None:
        entity = find_entity(results, "rep", rep)
        return [a for a in alerts if a.level == "rep" and a.entity == entity]
    if team is not None:
        entity = find_team(results, team)
        return [
            a
            for a in alerts
            if (a.level == "team" and a.entity == entity)
            or (a.level == "rep" and a.parent == entity)
        ]
    return alerts


def to_document(results: Results, alerts: list[Alert]) -> dict[str, Any]:
    """The JSON document (contract ``salesperf.alerts/1``)."""
    counts = dict.fromkeys(("critical", "warning", "info"), 0)
    for alert in alerts:
        counts[alert.severity.value] += 1
    return {
        "schema": ALERTS_SCHEMA,
        "title": results.spec.title,
        "period": results.period.label,
        "as_of": results.as_of.isoformat(),
        "currency": results.spec.currency,
        "locale": results.spec.locale.value,
        "counts": counts,
        "alerts": [a.to_dict() for a in alerts],
    }
