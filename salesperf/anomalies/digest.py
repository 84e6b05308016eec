"""Alerts for people: a view model of formatted lines, and the Markdown digest.

:func:`view` turns alerts into :class:`AlertView` rows whose text is final (numbers
formatted for the spec's locale); the terminal renderer (``cli_render_alerts``) and
:func:`markdown` only lay them out, so the two always say the same thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from salesperf.anomalies.model import Alert, Severity
from salesperf.formatting import fmt_fraction, fmt_value
from salesperf.glossary import WORDS
from salesperf.glossary import word as glossary_word
from salesperf.markdown import md_text

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results

#: Dimensions shown per alert (the JSON has all of them).
SHOW_DIMENSIONS = 2

#: Rule names and analysis words come from the glossary (one file for every output).
_PREFIXES = ("rule.", "alert.")


#: Built-in field names in the report language (other fields are the user's own words).
FIELD_WORDS = {"zh-CN": {"rep": "销售员", "team": "团队", "region": "区域", "customer": "客户"}}


def word(key: str, locale: str, **values: Any) -> str:
    """A rule name (``behind_pace``) or an alert word (``orders``) from the glossary."""
    for prefix in _PREFIXES:
        if prefix + key in WORDS:
            return glossary_word(prefix + key, locale, **values)
    raise KeyError(key)


@dataclass(frozen=True)
class AlertView:
    """One alert as it is shown: every string final."""

    severity: str
    rule: str
    label: str  # the rule in words
    message: str
    details: list[str] = field(default_factory=list)  # contributors, decomposition, folds


def view(results: Results, alerts: list[Alert]) -> list[AlertView]:
    """Alerts as shown. A line already shown for the same KPI and entity (the volume and
    customer split that several rules share) is not repeated."""
    spec = results.spec
    locale = spec.locale.value
    units = {k.id: k.unit for k in spec.kpis}
    names = {k.id: k.name for k in spec.kpis}
    shown: set[tuple[Any, ...]] = set()
    out = []
    for alert in alerts:
        unit = units.get(alert.kpi or "", "currency")
        details = []
        for line in _punctuated(
            _analysis_lines(alert.analysis, unit, spec.currency, locale), locale
        ):
            key = (alert.kpi, alert.level, alert.entity, line)
            if key not in shown:
                shown.add(key)
                details.append(line)
        details += _punctuated(_fold_lines(alert, locale, names), locale)
        out.append(
            AlertView(
                alert.severity.value,
                alert.rule,
                _rule_label(alert, locale),
                alert.messages.get(locale, alert.message),
                details,
            )
        )
    return out


#: Chinese text takes full-width punctuation: "订单数 11 → 13（+¥12,415）；平均订单额…".
_FULL_WIDTH = ((" (", "（"), ("(", "（"), (")", "）"), ("; ", "；"), (": ", "："), (", ", "，"))


def _punctuated(lines: list[str], locale: str) -> list[str]:
    if locale != "zh-CN":
        return lines
    out = []
    for line in lines:
        for ascii_mark, full_width in _FULL_WIDTH:
            line = line.replace(ascii_mark, full_width)
        out.append(line)
    return out


def _rule_label(alert: Alert, locale: str) -> str:
    """The rule in words; behind pace in a closed period reads "missed target"."""
    elapsed = alert.evidence.get("elapsed") if alert.evidence else None
    if alert.rule == "behind_pace" and isinstance(elapsed, float) and elapsed >= 1:
        return word("missed_target", locale)
    return word(alert.rule, locale)


def counts(alerts: list[Alert]) -> dict[str, int]:
    out = {s.value: 0 for s in reversed(Severity)}
    for alert in alerts:
        out[alert.severity.value] += 1
    return out


def heading(results: Results, locale: str) -> str:
    title = results.spec.title or word("title", locale)
    date = results.as_of.isoformat()
    return f"{title} · {results.period.label} · {word('as_of', locale, date=date)}"


def markdown(results: Results, alerts: list[Alert]) -> str:
    """A digest to paste into a chat or an e-mail: grouped by severity, one bullet each."""
    locale = results.spec.locale.value
    lines = [f"## {word('title', locale)}: {md_text(heading(results, locale))}", ""]
    if not alerts:
        return "\n".join([*lines, word("none", locale), ""])
    tally = counts(alerts)
    lines += [" · ".join(f"{n} {word(s, locale).lower()}" for s, n in tally.items() if n), ""]
    views = view(results, alerts)
    for severity in ("critical", "warning", "info"):
        group = [v for v in views if v.severity == severity]
        if not group:
            continue
        lines += [f"### {word(severity, locale)} ({len(group)})", ""]
        for item in group:
            lines.append(f"- **{md_text(item.label)}**: {md_text(item.message)}")
            lines += [f"  - {md_text(detail)}" for detail in item.details]
        lines.append("")
    return "\n".join(lines)


# -- analysis in words ---------------------------------------------------------------------------


def _money(value: float | None, unit: Any, currency: str, locale: str, signed: bool = False) -> str:

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = fmt_value(abs(value) if signed else value, unit, currency, locale)
    if not signed:
        return text
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def _share(value: float | None, locale: str) -> str:

    return fmt_fraction(value, locale) if value is not None else "–"


def _analysis_lines(
    analysis: dict[str, Any] | None, unit: Any, currency: str, locale: str
) -> list[str]:
    if not analysis:
        return []
    lines = []
    change = analysis.get("change") or 0.0
    against = analysis.get("against")
    what = analysis.get("comparison_period") or word(
        "target" if against == "target" else "usual", locale
    )
    head = word("against", locale, what=what)
    for driver in analysis.get("drivers", [])[:SHOW_DIMENSIONS]:
        items = [
            f"{row['value']} {_money(row['change'], unit, currency, locale, signed=True)}"
            f" ({_share(row['share'], locale)})"
            for row in driver["rows"]
            if not row["value"].startswith("(other)") and row["change"] * change > 0
        ]
        if items:
            dimension = FIELD_WORDS.get(locale, {}).get(driver["dimension"], driver["dimension"])
            label = word("by", locale, dimension=dimension)
            lines.append(f"{label} {head}: {', '.join(items)}")
    for split in analysis.get("volume_value", [])[:1]:
        before, after = split["before"], split["after"]
        average = word(
            {"orders": "average order", "lines": "average line"}.get(
                split["volume"], "per customer"
            ),
            locale,
        )
        interaction = _money(split["interaction"], unit, currency, locale, signed=True)
        reference = analysis.get("reference_period")
        lines.append(
            f"{word(split['volume'], locale)} {before['count']} → {after['count']} "
            f"({_money(split['volume_effect'], unit, currency, locale, signed=True)}); "
            f"{average} {_money(before['average'], unit, currency, locale)} → "
            f"{_money(after['average'], unit, currency, locale)} "
            f"({_money(split['value_effect'], unit, currency, locale, signed=True)}); "
            f"{word('both', locale)} {interaction} ({word('against', locale, what=reference)})"
        )
    customers = analysis.get("customers")
    if customers:
        parts = []
        for bucket in ("lost", "new", "returning", "existing"):
            info = customers.get(bucket)
            if not info or not info["customers"]:
                continue
            names = ", ".join(c["customer"] for c in info["top"][:2])
            amount = _money(info["change"], unit, currency, locale, signed=True)
            parts.append(f"{info['customers']} {word(bucket, locale)} {amount} ({names})")
        if parts:
            lines.append(f"{word('customers', locale)}: " + "; ".join(parts))
    return lines


def _fold_lines(alert: Alert, locale: str, names: dict[str, str]) -> list[str]:
    lines = []
    for move in alert.evidence.get("also_moves", []) or []:
        who = move.get("name") or move.get("entity")
        if move.get("level") not in ("rep", "company"):
            who = f"{move.get('level')} {who}"
        lines.append(word("also", locale, who=who, share=_share(move.get("share"), locale)))
    folded = alert.evidence.get("members") or []
    if folded:
        who = ", ".join(str(m.get("name") or m.get("entity")) for m in folded)
        key = "members" if folded[0].get("adverse", True) else "members_ahead"
        lines.append(word(key, locale, count=len(folded), who=who))
    symptoms = alert.evidence.get("symptoms") or []
    if symptoms:
        by_kpi: dict[str, list[str]] = {}
        for symptom in symptoms:
            rules = by_kpi.setdefault(names.get(symptom["kpi"], symptom["kpi"]), [])
            if word(symptom["rule"], locale) not in rules:
                rules.append(word(symptom["rule"], locale))
        items = "; ".join(f"{kpi}: {', '.join(rules)}" for kpi, rules in by_kpi.items())
        lines.append(word("symptoms", locale, items=items))
    return lines
