"""A notification in each channel's words: plain text, chat Markdown, Slack mrkdwn, HTML.

A :class:`Message` holds final strings (formatted for the spec's locale, labelled as in the
reports). Each formatter only lays it out and escapes the text that came from the data for
its markup, so a rep called ``*Bob* <!channel>`` is shown as written and pings nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from salesperf.markdown import md_text
from salesperf.report.i18n import labels, level_name
from salesperf.report.render import render_template

if TYPE_CHECKING:
    from collections.abc import Callable

    from salesperf.notify.recipients import AlertItem, Line, Recipient

#: Words only notifications use (the report's own labels come from report.i18n).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "progress": "Progress",
        "members_behind": "Behind or at risk",
        "new_alerts": "New alerts",
        "page_attached": "Your performance page is attached.",
        "report_attached": "The report is attached.",
        "more": "… and {n} more (see the report)",
    },
    "zh-CN": {
        "progress": "业绩达成",
        "members_behind": "落后或有风险",
        "new_alerts": "新增预警",
        "page_attached": "附件为你的个人业绩反馈页。",
        "report_attached": "附件为业绩报告。",
        "more": "……另有 {n} 条（见报告）",
    },
}


@dataclass(frozen=True)
class Page:
    """An HTML page that goes with an e-mail: attached, or as its body."""

    filename: str
    html: str
    inline: bool = False


@dataclass
class Message:
    """What one recipient is told under one rule, before any channel's markup."""

    rule: str
    recipient: Recipient
    locale: str
    title: str  # the spec's title (or "Sales performance report")
    period: str
    as_of: str
    progress: list[Line] = field(default_factory=list)
    members_behind: list[Line] = field(default_factory=list)
    alerts: list[AlertItem] = field(default_factory=list)
    page: Page | None = None

    @property
    def words(self) -> dict[str, str]:
        return {**labels(self.locale), **WORDS.get(self.locale, WORDS["en"])}

    @property
    def update_only(self) -> bool:
        """Only alerts that are new since the last message: no progress this time."""
        return not self.progress and not self.members_behind and self.page is None

    @property
    def subject(self) -> str:
        w = self.words
        who = self.recipient.name
        if self.recipient.level not in ("rep", "company"):
            who = f"{level_name(self.recipient.level, self.locale)} {who}"
        if self.recipient.level == "company":
            head = w["new_alerts"] if self.update_only else self.title
            text = f"{head} · {self.period}"
        elif self.recipient.level == "rep":
            head = w["new_alerts"] if self.update_only else w["rep_report"]
            text = f"{head}: {who} · {self.period}"
        else:
            head = w["new_alerts"] if self.update_only else self.title
            text = f"{head}: {who} · {self.period}"
        return _one_line(text)

    @property
    def meta(self) -> str:
        w = self.words
        return f"{w['period']} {self.period} · {w['as_of']} {self.as_of}"

    def to_dict(self) -> dict[str, Any]:
        """The generic webhook's document (contract ``salesperf.notify/1``)."""
        return {
            "schema": "salesperf.notify/1",
            "rule": self.rule,
            "period": self.period,
            "as_of": self.as_of,
            "locale": self.locale,
            "recipient": {
                "level": self.recipient.level,
                "entity": self.recipient.entity,
                "name": self.recipient.name,
            },
            "subject": self.subject,
            "text": plain_text(self),
            "progress": [_line_dict(x) for x in self.progress],
            "members_behind": [_line_dict(x) for x in self.members_behind],
            "alerts": [
                {
                    "severity": a.severity,
                    "rule": a.key.split("|")[0],
                    "who": a.who,
                    "kpi_name": a.kpi_name,
                    "message": a.message,
                    "details": list(a.details),
                }
                for a in self.alerts
            ],
        }


def _line_dict(line: Line) -> dict[str, str]:
    out = {
        "kpi": line.kpi,
        "kpi_name": line.kpi_name,
        "actual": line.actual,
        "target": line.target,
        "attainment": line.attainment,
        "pace": line.pace,
        "status": line.status,
        "status_label": line.status_label,
    }
    if line.who:
        out["who"] = line.who
    return out


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# -- escaping ------------------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """Chat Markdown (DingTalk, WeCom): the same rule as the alert digest's Markdown."""

    return _one_line(md_text(text))  # md_text turns control characters into spaces


def escape_mrkdwn(text: str) -> str:
    """Slack mrkdwn: &, < and > as entities (Slack's documented escapes, which also stop
    ``<!channel>`` and links); a zero-width space after * _ ~ ` so they cannot pair up into
    bold, italics, strike or code (Slack has no backslash escape)."""
    text = _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "*_~`":
        text = text.replace(char, char + "\u200b")
    return text


def _plain(text: str) -> str:
    return _one_line(text)


# -- layouts -------------------------------------------------------------------------------------


def _kpi_text(line: Line, w: dict[str, str], esc: Callable[[str], str], bold: str) -> str:
    name = f"{bold}{esc(line.kpi_name)}{bold}"
    if line.who:
        name = f"{esc(line.who)} · {name}"
    return (
        f"{name}: {w['actual']} {esc(line.actual)} · {w['target']} {esc(line.target)} · "
        f"{w['attainment']} {esc(line.attainment)} · {w['pace']} {esc(line.pace)} · "
        f"{esc(line.status_label)}"
    )


def _alert_text(alert: AlertItem, esc: Callable[[str], str], bold: str) -> str:
    head = f"{bold}{esc(alert.severity_label)}{bold} · {esc(alert.rule_label)}"
    if alert.kpi_name:
        head += f" · {esc(alert.kpi_name)}"
    return f"{head}: {esc(alert.message)}"


def body_lines(
    message: Message,
    esc: Callable[[str], str],
    *,
    bold: str = "",
    heading: Callable[[str], str] = lambda s: s,
    bullet: str = "- ",
) -> list[str]:
    """The message as lines of one markup (``esc`` escapes data, ``bold`` wraps labels)."""
    w = message.words
    lines = [esc(message.meta)]
    if message.progress:
        lines += ["", heading(w["progress"])]
        lines += [bullet + _kpi_text(x, w, esc, bold) for x in message.progress]
    if message.members_behind:
        lines += ["", heading(w["members_behind"])]
        lines += [bullet + _kpi_text(x, w, esc, bold) for x in message.members_behind]
    if message.alerts:
        lines += ["", heading(w["new_alerts"] if message.update_only else w["alerts"])]
        for alert in message.alerts:
            lines.append(bullet + _alert_text(alert, esc, bold))
            lines += ["    " + bullet + esc(d) for d in alert.details]
    if message.page is not None and not message.page.inline:
        key = "page_attached" if message.recipient.level == "rep" else "report_attached"
        lines += ["", w[key]]
    return lines


def plain_text(message: Message) -> str:
    return "\n".join([message.subject, "", *body_lines(message, _plain)]) + "\n"


def chat_markdown(message: Message, limit: int) -> str:
    """DingTalk / WeCom Markdown, cut at a line boundary to fit ``limit`` UTF-8 bytes."""
    head = f"### {escape_markdown(message.subject)}"
    lines = body_lines(message, escape_markdown, bold="**", heading=lambda s: f"**{s}**")
    return fit([head, "", *lines], limit, message.words["more"])


def slack_mrkdwn(message: Message, limit: int) -> str:
    head = f"*{escape_mrkdwn(message.subject)}*"
    lines = body_lines(message, escape_mrkdwn, bold="*", heading=lambda s: f"*{s}*", bullet="• ")
    return fit([head, "", *lines], limit, message.words["more"])


def fit(lines: list[str], limit: int, more: str) -> str:
    """Join ``lines``; when they exceed ``limit`` bytes, keep whole lines and say how many
    were left out (chat services reject a message over their size limit)."""
    text = "\n".join(lines)
    if len(text.encode("utf-8")) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        tail = "\n" + more.format(n=len(lines) - i)
        if size + len(line.encode("utf-8")) + 1 + len(tail.encode("utf-8")) > limit:
            return "\n".join([*kept, tail.lstrip("\n")])
        kept.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(kept)


def html_body(message: Message, template_dir: Any = None) -> str:
    """The e-mail's HTML part: the rep's page when inline, else ``notify.html.j2`` (the
    report templates' style; overridable from the report template folder)."""
    if message.page is not None and message.page.inline:
        return message.page.html

    w = message.words
    view = {
        "kind": "notify",
        "labels": w,
        "meta": {"lang": message.locale, "subject": message.subject, "line": message.meta},
        "progress": [_line_dict(x) for x in message.progress],
        "members_behind": [_line_dict(x) for x in message.members_behind],
        "alerts_heading": w["new_alerts"] if message.update_only else w["alerts"],
        "alerts": [
            {
                "severity": a.severity,
                "severity_label": a.severity_label,
                "rule_label": a.rule_label,
                "kpi_name": a.kpi_name,
                "message": a.message,
                "details": list(a.details),
            }
            for a in message.alerts
        ],
        "attached": (
            None
            if message.page is None
            else w["page_attached" if message.recipient.level == "rep" else "report_attached"]
        ),
    }
    return render_template(view, "html", template_dir)
