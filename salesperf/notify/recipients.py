"""Who hears what: each rule's recipients, what concerns each one, and whether it is due.

A recipient sees only what is theirs: a rep their own KPI lines and the alerts about them
(never another rep's figures, as in the per-rep reports); a team (or region) lead the
team's lines, its reps that are behind, and the alerts about the team and its reps; the
company channel the company lines and every alert (the digest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesperf.anomalies.model import Severity
from salesperf.spec.notify import Condition, Content

if TYPE_CHECKING:
    from salesperf.report import ReportBundle
    from salesperf.spec.notify import RuleSpec

COMPANY = "company"


@dataclass(frozen=True)
class Line:
    """One KPI of one entity, every value formatted for the spec's locale."""

    kpi: str
    kpi_name: str
    actual: str
    target: str
    attainment: str
    pace: str
    status: str
    status_label: str
    who: str = ""  # for a lead's "behind" list: the rep's name


@dataclass(frozen=True)
class AlertItem:
    """One alert as a message shows it; ``key`` identifies it in the state file."""

    key: str
    severity: str
    severity_label: str
    rule_label: str
    who: str
    kpi_name: str
    message: str
    details: tuple[str, ...] = ()


@dataclass
class Recipient:
    """A rep, a team (region...) or the company, with everything that concerns them."""

    level: str
    entity: str
    name: str
    lines: list[Line] = field(default_factory=list)
    #: A lead's members that are behind or at risk (team messages only).
    members_behind: list[Line] = field(default_factory=list)
    alerts: list[AlertItem] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.level}:{self.entity}"


def alert_key(alert: dict[str, Any]) -> str:
    """Stable identity of an alert within a period. The severity is part of it: an alert
    that turns from warning to critical is news."""
    parts = [alert["rule"], alert.get("kpi") or "", alert["level"], alert["entity"] or ""]
    return "|".join([*parts, alert["severity"]])


def _line(cell: dict[str, Any], names: dict[str, str], who: str = "") -> Line:
    return Line(
        cell["kpi"],
        names.get(cell["kpi"], cell["kpi"]),
        cell["actual_fmt"],
        cell["target_fmt"],
        cell["attainment_fmt"],
        cell["pace_fmt"],
        cell["status"],
        cell["status_label"],
        who,
    )


def _item(alert: dict[str, Any], *, personal: bool) -> AlertItem:
    # A rep's alert details (contributors, "also explains ...") can name their team or
    # customers; a rep's own message keeps only the alert's sentence.
    details = () if personal else tuple(alert.get("details") or ())
    return AlertItem(
        alert_key(alert),
        alert["severity"],
        alert["severity_label"],
        alert["rule_label"],
        alert["who"],
        alert["kpi_name"],
        alert["message"],
        details,
    )


def _entities(bundle: ReportBundle, level: str) -> list[dict[str, Any]]:
    if level == COMPANY:
        return []
    found = next((lv for lv in bundle.view["levels"] if lv["level"] == level), None)
    return list(found["entities"]) if found else []


def _reachable_reps(bundle: ReportBundle) -> set[str]:
    """Reps on the roster who had not left before the period began."""

    members = bundle.results.org.members
    start = pd.Timestamp(bundle.results.period.start)
    gone = members["end"].notna() & (members["end"] < start)
    return set(members.index[members["on_roster"].astype(bool) & ~gone].astype(str))


def recipients(bundle: ReportBundle, level: str) -> list[Recipient]:
    """Everyone at ``level`` (rep, a roster level, or company) with their lines and alerts."""
    names = {k["kpi"]: k["name"] for k in bundle.view["headline"]}
    alerts = bundle.alerts or []
    if level == COMPANY:
        company = Recipient(COMPANY, COMPANY, bundle.results.spec.title or "Company")
        company.lines = [_line(cell, names) for cell in _targeted(bundle.view["headline"])]
        company.alerts = [_item(a, personal=False) for a in alerts]
        return [company]
    out = []
    reachable = _reachable_reps(bundle) if level == "rep" else None
    members = bundle.results.org.members
    reps_by_entity = {e["entity"]: e for e in _entities(bundle, "rep")}
    for entity in _entities(bundle, level):
        key = str(entity["entity"])
        if reachable is not None and key not in reachable:
            continue
        recipient = Recipient(level, key, str(entity["name"]))
        recipient.lines = [_line(cell, names) for cell in _targeted(entity["kpis"])]
        if level == "rep":
            recipient.alerts = [
                _item(a, personal=True)
                for a in alerts
                if a["level"] == "rep" and a["entity"] == key
            ]
        else:
            inside = members[level] == key if level in members else None
            reps = set(members.index[inside].astype(str)) if inside is not None else set()
            recipient.members_behind = [
                _line(cell, names, who=str(reps_by_entity[rep]["name"]))
                for rep in sorted(reps & set(reps_by_entity))
                for cell in reps_by_entity[rep]["kpis"]
                if cell["status"] in ("behind", "at_risk")
            ]
            below = _levels_below(bundle, level)
            recipient.alerts = [
                _item(a, personal=False)
                for a in alerts
                if (a["level"] == level and a["entity"] == key)
                or (a["level"] in below and _inside(members, a, level, key))
            ]
        out.append(recipient)
    return out


def _targeted(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A reminder is about targets: KPIs shown for context only (no target) are left out."""
    return [cell for cell in cells if cell["status"] != "no_target"]


def _levels_below(bundle: ReportBundle, level: str) -> set[str]:
    levels = ["rep", *bundle.results.org.levels]
    return set(levels[: levels.index(level)]) if level in levels else set()


def _inside(members: Any, alert: dict[str, Any], level: str, key: str) -> bool:
    """Whether the alert's entity (a rep or a lower level) belongs to ``key`` at ``level``."""
    entity = alert["entity"]
    if level not in members:
        return False
    if alert["level"] == "rep":
        return entity in members.index and members.at[entity, level] == key
    inner = members[members[alert["level"]] == entity] if alert["level"] in members else None
    return inner is not None and bool((inner[level] == key).any())


def at_or_above(alerts: list[AlertItem], minimum: str) -> list[AlertItem]:
    return [a for a in alerts if Severity(a.severity).rank >= Severity(minimum).rank]


def triggered(rule: RuleSpec, recipient: Recipient) -> bool:
    """Whether any of the rule's `when` conditions holds for this recipient."""
    for condition in rule.when:
        if condition is Condition.ALWAYS:
            return True
        if condition is Condition.ALERT and at_or_above(recipient.alerts, rule.min_severity.value):
            return True
        statuses = {line.status for line in recipient.lines}
        if condition is Condition.BEHIND and "behind" in statuses:
            return True
        if condition is Condition.AT_RISK and statuses & {"behind", "at_risk"}:
            return True
    return False


def contents(rule: RuleSpec, only: str | None) -> set[Content]:
    """What the rule sends in this run (``--only`` narrows it)."""
    chosen = set(rule.send)
    return chosen & {Content(only)} if only is not None else chosen
