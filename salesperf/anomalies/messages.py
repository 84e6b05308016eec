"""The message catalogue: one sentence per rule (and variant), in English and Chinese.

Rules hand over *facts* (numbers with their kind); this module formats them per locale, so
a message is always written with the numbers the evidence holds. Add a locale by adding a
key to every entry of :data:`CATALOGUE` (a test checks that every entry has every locale
and that all locales use the same placeholders).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from salesperf.formatting import fmt_change, fmt_fraction, fmt_value
from salesperf.sources.models import clip
from salesperf.spec.models import Unit

LOCALES = ("en", "zh-CN")


@dataclass(frozen=True)
class Value:
    """A KPI value in its unit ($12,346 · 1,234 · 61.5%)."""

    value: float | None
    unit: Unit | str


@dataclass(frozen=True)
class Share:
    """A fraction shown as a percentage; ``signed`` adds + or − (changes)."""

    value: float | None
    signed: bool = False


@dataclass(frozen=True)
class Text:
    """Words that differ by locale: ``{"en": ..., "zh-CN": ...}``."""

    by_locale: dict[str, str]


CATALOGUE: dict[str, dict[str, str]] = {
    "behind_pace": {
        "en": "{who}: {kpi} at {pace} of pace: {actual} so far against {expected} expected "
        "by {as_of} (target {target})",
        "zh-CN": "{who}：{kpi}进度达成率 {pace}：截至 {as_of} 实际 {actual}，按进度应达 {expected}"
        "（目标 {target}）",
    },
    "behind_pace.closed": {
        "en": "{who}: {kpi} missed target by {gap}: {actual} against a target of {target} "
        "({pace} of target)",
        "zh-CN": "{who}：{kpi}未达标，差 {gap}：实际 {actual}，目标 {target}（达成率 {pace}）",
    },
    "off_history.low": {
        "en": "{who}: {kpi} {observed} in {span} is far below its usual {expected} "
        "(normal range {low} to {high}; {z} times the usual spread)",
        "zh-CN": "{who}：{kpi}在{span}为 {observed}，远低于以往的 {expected}"
        "（正常范围 {low} 至 {high}，偏离幅度为常态波动的 {z} 倍）",
    },
    "off_history.high": {
        "en": "{who}: {kpi} {observed} in {span} is far above its usual {expected} "
        "(normal range {low} to {high}; {z} times the usual spread)",
        "zh-CN": "{who}：{kpi}在{span}为 {observed}，远高于以往的 {expected}"
        "（正常范围 {low} 至 {high}，偏离幅度为常态波动的 {z} 倍）",
    },
    "off_history.spike": {
        "en": "{who}: {kpi} {observed} in {span} is far above its usual {expected} "
        "(normal range {low} to {high}; {z} times the usual spread): check it before it counts",
        "zh-CN": "{who}：{kpi}在{span}为 {observed}，远高于以往的 {expected}"
        "（正常范围 {low} 至 {high}，偏离幅度为常态波动的 {z} 倍），请先核实",
    },
    "sharp_change": {
        "en": "{who}: {kpi} {change} vs {against}: {observed} in {span} against {expected} "
        "in {comparison_span}",
        "zh-CN": "{who}：{kpi}较{against}{change}：{span} {observed}，{comparison_span} {expected}",
    },
    # Against last period x the seasonal move: the expected value is not an actual, so the
    # message says what each figure is.
    "sharp_change.adjusted": {
        "en": "{who}: {kpi} {change} vs {against}: actual {observed} in {span} against "
        "{expected} expected ({comparison_span} actual {before} x seasonal move {factor})",
        "zh-CN": "{who}：{kpi}较{against}{change}：{span}实际 {observed}，预期 {expected}"
        "（{comparison_span}实际 {before} × 季节变动 {factor}）",
    },
    "consecutive_declines": {
        "en": "{who}: {kpi} fell {n} periods in a row ({path}), {total} in all",
        "zh-CN": "{who}：{kpi}连续 {n} 期下降（{path}），累计 {total}",
    },
    "peer_outlier": {
        "en": "{who}: {kpi} pace {pace} is far below the rest of {team} (median {median}; "
        "{z} times the usual spread)",
        "zh-CN": "{who}：{kpi}进度达成率 {pace}，远低于{team}其他成员（中位数 {median}，"
        "偏离幅度为常态波动的 {z} 倍）",
    },
    "gone_quiet": {
        "en": "{who}: nothing in {source} in {span}; the last line was on {last_date}, {days} "
        "days ago, and by this point there are usually {expected} lines",
        "zh-CN": "{who}：{span}没有任何 {source} 记录；最后一条在 {last_date}（{days} 天前），"
        "以往到这个时点通常有 {expected} 条",
    },
    "duplicate_key": {
        "en": "{who}: {count} {key} repeated in {source} ({examples}); "
        "the extra copies add {extra} to the totals",
        "zh-CN": "{who}：{source} 中有 {count} 个 {key} 重复出现（{examples}），多计 {extra}",
    },
    "negative_amount": {
        "en": "{who}: negative amounts in {source} that are not returns: {count} ({examples}), "
        "{total} in all",
        "zh-CN": "{who}：{source} 中有 {count} 笔负数金额不是退货（{examples}），合计 {total}",
    },
    "future_date": {
        "en": "{source}: {count} lines dated after {reference} ({examples}); no KPI counts them",
        "zh-CN": "{source} 中有 {count} 条记录的日期晚于 {reference}（{examples}），未计入任何指标",
    },
    "large_transaction": {
        "en": "{who}: {amount} on {date} in {source} ({where}) is {factor}× the 99th "
        "percentile of its amounts ({p99}){more}: check it before it counts",
        "zh-CN": "{who}：{date} 的一笔 {amount}（{source}，{where}）是该来源金额第 99 百分位"
        "（{p99}）的 {factor} 倍{more}，请先核实",
    },
    "rejected_rows": {
        "en": "{source}: {count} lines could not be read ({reasons}); every total leaves them out",
        "zh-CN": "{source} 有 {count} 条记录无法读取（{reasons}），所有合计均未包含",
    },
    "not_on_roster": {
        "en": "{who} has {count} lines in {source} ({total}) but is not on the roster: "
        "counted for the company, in no team",
        "zh-CN": "{who} 在 {source} 中有 {count} 条记录（合计 {total}），但不在花名册中："
        "只计入公司，不属于任何团队",
    },
}


def format_fact(fact: Any, locale: str, currency: str) -> str:

    if isinstance(fact, Value):
        return fmt_value(fact.value, fact.unit, currency, locale)
    if isinstance(fact, Share):
        if fact.value is None or math.isnan(fact.value):
            return "–"
        if fact.signed:
            return fmt_change(fact.value, locale)  # to the nearest: −0.4% is ±0%, not −1%
        text = fmt_fraction(abs(fact.value), locale)
        return ("−" if fact.value < 0 else "") + text
    if isinstance(fact, Text):
        return fact.by_locale.get(locale, fact.by_locale["en"])
    if isinstance(fact, float):
        return f"{fact:.1f}"
    return str(fact)


#: Facts that are names from the data (rep, team): one line, at most :data:`NAME_CHARS`
#: characters in a message, however long or odd the export's names are (the evidence keeps
#: the entity id for lookups).
NAMES = frozenset({"who", "team"})
NAME_CHARS = 80


def render(key: str, facts: dict[str, Any], currency: str) -> dict[str, str]:
    """The message for ``key`` in every locale, with ``facts`` formatted for each."""

    templates = CATALOGUE[key]
    out = {}
    for locale in LOCALES:
        formatted = {name: format_fact(f, locale, currency) for name, f in facts.items()}
        for name in NAMES.intersection(formatted):
            formatted[name] = clip(formatted[name], NAME_CHARS)
        out[locale] = templates[locale].format_map(formatted)
    return out
