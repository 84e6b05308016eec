"""The glossary: every fixed word salesperf shows a reader, in English and Chinese.

One file for all outputs (terminal, HTML, Markdown, Excel, JSON labels, alert digests,
improvement plans), so a label means one thing everywhere. Each entry is ``key: (English,
简体中文)``. The Chinese words are the ones a sales manager uses in a monthly review:

- 达成率 (attainment: actual ÷ full-period target) is never used for pace; pace is
  进度达成率 (actual ÷ what the target expects by today, 时间进度 being the share of the
  period elapsed);
- the status of an open period says how the pace looks: 进度正常 / 有风险 / 落后; a closed
  period says whether the target was reached: 已达标 / 未达标. 达标 alone is never shown
  for a period that is still running;
- 销售员 (rep), 团队 (team), 区域 (region), 公司 (company); 预警 (alerts), 改进计划.

KPI names, people and team names come from the user's files and are shown as given.
"""

from __future__ import annotations

import re

LOCALES = ("en", "zh-CN")

WORDS: dict[str, tuple[str, str]] = {
    # -- statuses (an open period: pace; a closed one: target met or missed) --------------
    "on_track": ("on track", "进度正常"),
    "at_risk": ("at risk", "有风险"),
    "behind": ("behind", "落后"),
    "met": ("met", "已达标"),
    "missed": ("missed", "未达标"),
    "no_target": ("no target", "无目标"),
    "no_data": ("no data", "无数据"),
    "not measured at this level": ("not measured at this level", "该层级不统计"),
    "insufficient data": ("too few answers", "反馈过少"),
    "met_by": ("met, {amount} over ({percent})", "已达标，超出 {amount}（{percent}）"),
    "missed_by": ("missed by {amount} ({percent})", "未达标，差 {amount}（{percent}）"),
    "met_by_points": ("met, {amount} over", "已达标，超出 {amount}"),
    "missed_by_points": ("missed by {amount}", "未达标，差 {amount}"),
    "points": ("{n} pts", "{n} 个百分点"),
    "too_few_answers": (
        "{n} answers, fewer than the {minimum} needed: not rated",
        "仅 {n} 份反馈，少于 {minimum} 份：不计",
    ),
    # -- the figures ---------------------------------------------------------------------
    "actual": ("Actual", "实际"),
    "actual_to_date": ("Actual to date", "截至目前实际"),
    "target": ("Target", "目标"),
    "attainment": ("Attainment", "达成率"),
    "attainment_help": ("actual ÷ full-period target", "实际 ÷ 全期目标"),
    "pace": ("Pace", "进度达成率"),
    "pace_help": (
        "actual ÷ the target expected by {date}",
        "实际 ÷ 截至 {date} 按进度应完成的目标",
    ),
    "projected": ("Projected", "预计完成"),
    "open_note": (
        "Pace: actual ÷ the target expected by {date}. Projected: at the current run rate, for "
        "the whole period. Changes compare the projection with the whole earlier period.",
        "进度达成率：实际 ÷ 截至 {date} 按进度应完成的目标。预计完成：按当前节奏推算的全期数。"
        "环比、同比以预计完成数对比往期全期数。",
    ),
    "projected_help": (
        "at the current run rate, for the whole period",
        "按当前节奏推算的全期数",
    ),
    "to_date": ("to date", "截至目前"),
    "gap": ("Gap to target", "与目标差距"),
    "status": ("Status", "状态"),
    "previous": ("Last period", "上期"),
    "last_year": ("Same period last year", "去年同期"),
    "change": ("Change", "变化"),
    "change_previous": ("vs last period", "环比"),
    "change_last_year": ("vs last year", "同比"),
    # -- report structure ----------------------------------------------------------------
    "report": ("Sales performance report", "销售业绩报告"),
    "rep_report": ("Performance feedback", "个人业绩反馈"),
    "rep_title": ("Performance feedback: {name}", "个人业绩反馈：{name}"),
    "my_results": ("Your results", "本人业绩"),
    "team_title": ("Your team: {name}", "所在团队：{name}"),
    "period": ("Period", "期间"),
    "as_of": ("As of", "数据截至"),
    "elapsed": ("of the period elapsed", "时间进度"),
    "elapsed_text": ("{share} of the period elapsed", "时间进度 {share}"),
    "closed": ("closed period", "本期已结束"),
    "verdict": ("At a glance", "本期结论"),
    "headline": ("Company results", "公司业绩"),
    "kpi": ("KPI", "指标"),
    "scorecard": ("Scorecard", "绩效评分"),
    "rank": ("Rank", "排名"),
    "rep": ("Rep", "销售员"),
    "team": ("Team", "团队"),
    "score": ("Score", "得分"),
    "tier": ("Tier", "等级"),
    "trend": ("Trend", "趋势"),
    "by_level": ("By {level}", "按{level}"),
    "by_kpi": ("KPIs in detail", "指标详情"),
    "trend_chart": ("Actual vs target, last {n} periods", "近 {n} 期实际与目标"),
    "trend_chart_one": ("Actual vs target, this period", "本期实际与目标"),
    "trend_open": (
        "{period} is {actual} to date ({elapsed} of the period); the hollow mark is the "
        "projection for the whole period, {projected}.",
        "{period} 截至目前 {actual}（时间进度 {elapsed}）；空心点为按当前节奏推算的全期数 "
        "{projected}。",
    ),
    "trend_open_ratio": (
        "{period} is the value to date ({elapsed} of the period).",
        "{period} 为截至目前的数值（时间进度 {elapsed}）。",
    ),
    "trend_gaps": (
        "No target in {periods}: a gap, not zero.",
        "{periods} 无目标：曲线断开，不计为 0。",
    ),
    "alerts": ("Alerts", "预警"),
    "alerts_top": ("Alerts that matter", "重要预警"),
    "more_alerts": ("{n} more in Alerts", "另有 {n} 条见“预警”"),
    "no_alerts": ("No alerts for this period.", "本期没有预警。"),
    "plans": ("Improvement plans", "改进计划"),
    "strengths": ("Strengths", "优势"),
    "focus": ("Focus", "重点改进"),
    "feedback": ("Feedback", "反馈"),
    "data_quality": ("Data quality", "数据质量"),
    "coverage": ("Not counted", "未计入"),
    "not_counted": (
        "{source}: {rows} lines without {field} are not counted in {kpi}",
        "{source} 中 {rows} 条记录缺少{field}，未计入「{kpi}」",
    ),
    "expected_because": (" (expected: {reason})", "（预期内：{reason}）"),
    "expected": (" (expected)", "（预期内）"),
    "outside_where": (
        "{source}: {rows} lines are outside its where: and not part of it",
        "{source} 中 {rows} 条记录不在其 where: 范围内，不属于该数据源",
    ),
    "source": ("Source", "数据源"),
    "files": ("Files", "文件"),
    "rows_read": ("Lines read", "读取记录数"),
    "rows_loaded": ("Lines used", "采用记录数"),
    "rejected": ("Left out", "未采用"),
    "duplicates": ("Duplicate keys", "重复单号"),
    "unknown_reps": ("Reps not in the roster", "不在花名册的销售员"),
    "provenance": ("Provenance", "数据来源"),
    "file": ("File", "文件"),
    "rows": ("Lines", "记录数"),
    "sha256": ("SHA-256", "SHA-256"),
    "spec": ("KPI definition", "指标定义"),
    "version": ("salesperf version", "salesperf 版本"),
    "generated": ("Generated", "生成时间"),
    "name": ("Name", "名称"),
    "level": ("Level", "层级"),
    "company": ("Company", "公司"),
    "team_context": ("Your team", "所在团队"),
    "none": ("none", "无"),
    "colon": (": ", "："),
    "stop": (". ", "。"),
    "contents": ("Contents", "目录"),
    "severity": ("Severity", "级别"),
    "rule": ("Rule", "规则"),
    "contributors": ("Top contributors", "主要影响因素"),
    "info": ("info", "提示"),
    "warning": ("warning", "警告"),
    "critical": ("critical", "严重"),
    "scroll_hint": ("Table scrolls sideways →", "表格可左右滑动 →"),
    "partial_note": (
        "† scored on part of the weights: a KPI had no data or no target (the rest count "
        "in proportion).",
        "† 部分指标无数据或无目标，按其余指标的权重折算得分。",
    ),
    "tie_note": (
        "=n: equal scores share a rank (several reps at the same capped score).",
        "=n：得分相同者并列（多人得分同达上限时并列）。",
    ),
    "pace_columns": (
        "KPI columns: pace, actual ÷ the target expected by {date}.",
        "各指标列为进度达成率：实际 ÷ 截至 {date} 按进度应完成的目标。",
    ),
    "attainment_columns": (
        "KPI columns: attainment, actual ÷ target.",
        "各指标列为达成率：实际 ÷ 目标。",
    ),
    "scored_above": (
        "{kpi}: per-rep targets are below {minimum} a period, so reps are scored on their "
        "{level}'s result.",
        "{kpi}：每人目标不足 {minimum}，按所在{level}的结果计分。",
    ),
    "scored_company": (
        "{kpi}: targets below {minimum} a period at every level below the company, so reps "
        "are scored on the company's result.",
        "{kpi}：公司以下各层级目标均不足 {minimum}，按公司整体结果计分。",
    ),
    "verdict_line": ("{name} {actual}, {relation}", "{name} {actual}，{relation}"),
    "verdict_line_open": (
        "{name} {actual} to date, {relation} (projected {projected})",
        "{name}截至目前 {actual}，{relation}（预计完成 {projected}）",
    ),
    "below_target": ("{percent} below target", "低于目标 {percent}"),
    "above_target": ("{percent} above target", "高于目标 {percent}"),
    "on_target": ("on target", "与目标持平"),
    "below_pace": ("{percent} behind pace", "落后进度 {percent}"),
    "above_pace": ("{percent} ahead of pace", "领先进度 {percent}"),
    "on_pace": ("on pace", "与进度持平"),
    "furthest_behind": ("Furthest behind", "差距最大"),
    "furthest_ahead": ("Furthest ahead", "领先最多"),
    "by_amount": ("{kpi}, by amount", "{kpi}，按金额"),
    "behind_by": ("{name}: {amount} below ({percent})", "{name}：差 {amount}（{percent}）"),
    "ahead_by": ("{name}: {amount} above ({percent})", "{name}：超出 {amount}（{percent}）"),
    # -- improvement plans: the action follows the cause found ---------------------------
    "action.volume": (
        "fewer {kpi} than expected: book more, starting with accounts that ordered last "
        "quarter and not this period",
        "{kpi}不足：增加下单，先跟进上季度下过单、本期尚未下单的客户",
    ),
    "action.value": (
        "orders {percent} smaller than your recent average: quote bundles and upgrades on "
        "open deals",
        "单笔金额比近期平均低 {percent}：在跟进中的订单上推荐套餐和升级",
    ),
    "action.lost_customers": (
        "last period's customers are not reordering: call them this week",
        "上期客户未复购：本周逐一回访",
    ),
    "action.win_rate": (
        "deals are being lost: qualify earlier and follow up every open proposal",
        "丢单偏多：提前做商机筛选，跟进每一份未决报价",
    ),
    "plans_on_target": (
        "On or near target (within 5%) on every scored KPI: {names}",
        "各项计分指标均达到或接近目标（差距不超过 5%）：{names}",
    ),
    # -- levels ------------------------------------------------------------------------------
    "level.rep": ("rep", "销售员"),
    "level.team": ("team", "团队"),
    "level.region": ("region", "区域"),
    "level.company": ("company", "公司"),
    # -- Excel sheets ----------------------------------------------------------------------
    "sheet.summary": ("Summary", "概览"),
    "sheet.scorecard": ("Scorecard", "绩效评分"),
    "sheet.kpis": ("KPI results", "指标明细"),
    "sheet.alerts": ("Alerts", "预警"),
    "sheet.plans": ("Plans", "改进计划"),
    "sheet.trend": ("Trend", "趋势"),
    "sheet.data_quality": ("Data quality", "数据质量"),
    "sheet.provenance": ("Provenance", "数据来源"),
    "sheet.level": ("By {level}", "按{level}"),
    "col.id": ("ID", "编号"),
    "col.message": ("Message", "内容"),
    "col.kpi": ("KPI", "指标"),
    "col.kpi_name": ("KPI name", "指标名称"),
    "col.level": ("Level", "层级"),
    "col.entity": ("ID", "编号"),
    "col.name": ("Name", "名称"),
    "col.parent": ("Belongs to", "上级"),
    "col.period": ("Period", "期间"),
    "col.actual": ("Actual", "实际"),
    "col.target": ("Target", "目标"),
    "col.target_method": ("Target method", "目标方法"),
    "col.target_note": ("Target note", "目标说明"),
    "col.attainment": ("Attainment", "达成率"),
    "col.gap": ("Gap to target", "与目标差距"),
    "col.expected_to_date": ("Expected to date", "按进度应完成"),
    "col.pace": ("Pace", "进度达成率"),
    "col.projected": ("Projected", "预计完成"),
    "col.elapsed": ("Period elapsed", "时间进度"),
    "col.status": ("Status", "状态"),
    "col.note": ("Note", "备注"),
    "col.responses": ("Answers", "反馈数"),
    "col.numerator": ("Numerator", "分子"),
    "col.denominator": ("Denominator", "分母"),
    # -- alerts (rule names and analysis lines) --------------------------------------------
    "rule.behind_pace": ("behind pace", "进度落后"),
    "rule.missed_target": ("missed target", "未达标"),
    "rule.off_history": ("off its history", "偏离历史水平"),
    "rule.sharp_change": ("sharp change", "大幅波动"),
    "rule.consecutive_declines": ("declining", "连续下降"),
    "rule.peer_outlier": ("behind peers", "落后于同组"),
    "rule.gone_quiet": ("gone quiet", "无业务记录"),
    "rule.duplicate_key": ("duplicate lines", "重复记录"),
    "rule.negative_amount": ("negative amounts", "负数金额"),
    "rule.future_date": ("future dates", "日期超前"),
    "rule.large_transaction": ("unusually large line", "异常大额"),
    "rule.rejected_rows": ("lines left out", "未采用的记录"),
    "rule.not_on_roster": ("not on the roster", "不在花名册"),
    "alert.critical": ("Critical", "严重"),
    "alert.warning": ("Warning", "警告"),
    "alert.info": ("Info", "提示"),
    "alert.by": ("by {dimension}", "按{dimension}"),
    "alert.orders": ("orders", "订单数"),
    "alert.customers": ("customers", "客户数"),
    "alert.average order": ("average order", "平均订单额"),
    "alert.per customer": ("per customer", "客均"),
    "alert.both": ("count and size moving together", "量价同时变化"),
    "alert.new": ("new", "新客户"),
    "alert.returning": ("returning", "回流客户"),
    "alert.lost": ("lost", "流失客户"),
    "alert.existing": ("existing", "老客户"),
    "alert.against": ("vs {what}", "对比{what}"),
    "alert.target": ("target to date", "进度目标"),
    "alert.usual": ("usual level", "以往水平"),
    "alert.also": (
        "also explains {who} ({share} of its gap)",
        "也解释了{who}的差距（占 {share}）",
    ),
    "alert.symptoms": ("symptoms: {items}", "相关指标：{items}"),
    "alert.members": (
        "also behind: {count} of its members ({who})",
        "同样落后的下级：{count} 个（{who}）",
    ),
    "alert.members_ahead": (
        "also ahead: {count} of its members ({who})",
        "同样领先的下级：{count} 个（{who}）",
    ),
    "alert.lines": ("lines", "行数"),
    "alert.average line": ("average line", "平均每行金额"),
    "alert.none": ("No alerts.", "没有预警。"),
    "alert.title": ("Alerts", "预警"),
    "alert.as_of": ("as of {date}", "截至 {date}"),
    # -- the market figures behind a target (`growth: {market: ...}`) ------------------------
    "market.growth": (
        "market growth {period}{where} {value}",
        "{period} 市场增长率{where} {value}",
    ),
    "market.margin": ("margin {value} pts", "加成 {value} 个百分点"),
    "market.missing": (
        "no market figure for {period}{where}",
        "缺少 {period}{where}市场数据",
    ),
    "market.no_figure": ("no market figure", "缺少市场数据"),
}


def plain_note(note: str, locale: str) -> str:
    """An engine note in a manager's words: "insufficient data: 2 < min_responses 3" (the
    kpi.yaml key) becomes "only 2 answers (fewer than 3): not rated"."""
    found = re.match(r"insufficient data: (\d+) < min_responses (\d+)", note)
    if found:
        return word("too_few_answers", locale, n=found[1], minimum=found[2])
    if note == "no market figure":  # salesperf.engine.market.NO_MARKET
        return word("market.no_figure", locale)
    for key in (note, note.replace(" ", "_")):
        if key in WORDS:
            return word(key, locale)
    return note


def word(key: str, locale: str, **values: object) -> str:
    """The glossary entry ``key`` in ``locale`` (English for any other locale)."""
    english, chinese = WORDS[key]
    text = chinese if locale == "zh-CN" else english
    return text.format(**values) if values else text


def words_for(locale: str, prefix: str = "") -> dict[str, str]:
    """Every entry (whose key starts with ``prefix``, the prefix dropped) in ``locale``."""
    index = 1 if locale == "zh-CN" else 0
    return {
        key[len(prefix) :]: pair[index] for key, pair in WORDS.items() if key.startswith(prefix)
    }


def level_word(level: str, locale: str) -> str:
    """A roster level in words; a level the glossary does not know is shown as named."""
    key = f"level.{level}"
    return word(key, locale) if key in WORDS else level
