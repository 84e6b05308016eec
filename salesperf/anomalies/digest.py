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
from salesperf.markdown import md_text

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results

#: Dimensions shown per alert (the JSON has all of them).
SHOW_DIMENSIONS = 2

WORDS: dict[str, dict[str, str]] = {
    "behind_pace": {"en": "behind pace", "zh-CN": "进度落后"},
    "off_history": {"en": "off its history", "zh-CN": "偏离历史"},
    "sharp_change": {"en": "sharp change", "zh-CN": "骤变"},
    "consecutive_declines": {"en": "declining", "zh-CN": "连续下降"},
    "peer_outlier": {"en": "behind peers", "zh-CN": "落后同组"},
    "gone_quiet": {"en": "gone quiet", "zh-CN": "无活动"},
    "duplicate_key": {"en": "duplicate rows", "zh-CN": "重复记录"},
    "negative_amount": {"en": "negative amounts", "zh-CN": "负数金额"},
    "future_date": {"en": "future dates", "zh-CN": "未来日期"},
    "large_transaction": {"en": "unusually large row", "zh-CN": "异常大额"},
    "rejected_rows": {"en": "rejected rows", "zh-CN": "被拒绝的行"},
    "not_on_roster": {"en": "not on the roster", "zh-CN": "不在花名册"},
    "critical": {"en": "Critical", "zh-CN": "严重"},
    "warning": {"en": "Warning", "zh-CN": "警告"},
    "info": {"en": "Info", "zh-CN": "提示"},
    "by": {"en": "by {dimension}", "zh-CN": "按{dimension}"},
    "orders": {"en": "orders", "zh-CN": "订单数"},
    "customers": {"en": "customers", "zh-CN": "客户数"},
    "average order": {"en": "average order", "zh-CN": "平均订单额"},
    "per customer": {"en": "per customer", "zh-CN": "客均"},
    "both": {"en": "both together", "zh-CN": "交互项"},
    "new": {"en": "new", "zh-CN": "新客户"},
    "returning": {"en": "returning", "zh-CN": "回流"},
    "lost": {"en": "lost", "zh-CN": "流失"},
    "existing": {"en": "existing", "zh-CN": "老客户"},
    "against": {"en": "vs {what}", "zh-CN": "对比{what}"},
    "target": {"en": "target to date", "zh-CN": "目标进度"},
    "usual": {"en": "usual level", "zh-CN": "以往水平"},
    "also": {
        "en": "also explains {who} ({share} of its gap)",
        "zh-CN": "也解释了{who}（占其差距 {share}）",
    },
    "symptoms": {"en": "symptoms: {items}", "zh-CN": "相关指标：{items}"},
    "members": {
        "en": "also behind: {count} of its members ({who})",
        "zh-CN": "同样落后的下级：{count} 个（{who}）",
    },
    "none": {"en": "No alerts.", "zh-CN": "没有预警。"},
    "title": {"en": "Alerts", "zh-CN": "预警"},
    "as_of": {"en": "as of {date}", "zh-CN": "截至 {date}"},
}


#: Built-in field names in the report language (other fields are the user's own words).
FIELD_WORDS = {"zh-CN": {"rep": "销售员", "team": "团队", "region": "区域", "customer": "客户"}}


def word(key: str, locale: str, **values: Any) -> str:
    text = WORDS[key].get(locale, WORDS[key]["en"])
    return text.format(**values) if values else text


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
        for line in _analysis_lines(alert.analysis, unit, spec.currency, locale):
            key = (alert.kpi, alert.level, alert.entity, line)
            if key not in shown:
                shown.add(key)
                details.append(line)
        details += _fold_lines(alert, locale, names)
        out.append(
            AlertView(
                alert.severity.value,
                alert.rule,
                word(alert.rule, locale),
                alert.messages.get(locale, alert.message),
                details,
            )
        )
    return out


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
    from salesperf.formatting import fmt_value

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = fmt_value(abs(value) if signed else value, unit, currency, locale)
    if not signed:
        return text
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def _share(value: float | None, locale: str) -> str:
    from salesperf.formatting import fmt_fraction

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
        average = word("average order" if split["volume"] == "orders" else "per customer", locale)
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
        lines.append(word("members", locale, count=len(folded), who=who))
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
