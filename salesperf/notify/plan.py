"""Deciding what to send in this run, and sending it.

:func:`plan` evaluates the period once (the same results, alerts and pages as
``salesperf report``), walks the `notify.rules`, and returns the deliveries that are due:
those whose rule's conditions hold and that carry something the state file says was not
delivered yet. :func:`deliver` sends them, channel by channel (one failing does not stop
the others), and records in the state file only what was delivered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesperf.errors import Finding, Level, Location, UsageError, argument
from salesperf.notify import channels, render
from salesperf.notify.recipients import Recipient, at_or_above, contents, recipients, triggered
from salesperf.notify.render import Message, Page
from salesperf.notify.state import State, load_state, locked, save_state
from salesperf.outputs import refuse_inputs, safe_filename
from salesperf.report import render_bytes
from salesperf.report.sections import rep_view
from salesperf.review import Review
from salesperf.spec import load_spec
from salesperf.spec.notify import ADDRESS_PLACEHOLDER, EMAIL, Content

if TYPE_CHECKING:
    from salesperf.notify.channels import Transport
    from salesperf.report import ReportBundle
    from salesperf.spec import Spec
    from salesperf.spec.notify import NotifySpec, RuleSpec

ONLY = ("alerts", "progress", "report")


@dataclass
class Delivery:
    """One message to one recipient through one channel (`email` or a channel name)."""

    rule: str
    via: str
    message: Message
    address: str | None
    #: Set when the delivery cannot even be attempted (no address...).
    problem: str | None = None
    #: Whether this message is the period's progress message (else only new alerts).
    full: bool = False
    #: Filled by :func:`deliver`.
    attempts: int = 0
    error: str | None = None
    delivered: bool = False

    @property
    def slot(self) -> str:
        return f"{self.via}|{self.message.recipient.key}"


@dataclass
class Plan:
    spec: Spec
    bundle: ReportBundle
    state: State
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def period(self) -> str:
        return self.bundle.results.period.label


def _notify_spec(spec: Spec) -> NotifySpec:
    if spec.notify is None:
        raise UsageError(
            "Nothing to do: this kpi.yaml has no `notify:` section, and nothing is ever sent "
            "without one:",
            [
                Finding(
                    Level.ERROR,
                    "add `notify:` with rules and channels (see docs/notify.md)",
                    Location(spec.path, key="notify"),
                    "no-notify",
                )
            ],
        )
    return spec.notify


def plan(
    spec_path: str | Path,
    *,
    period: str | None = None,
    as_of: dt.date | None = None,
    only: str | None = None,
) -> Plan:
    """The deliveries due now (nothing is sent; the state file is only read)."""

    spec = load_spec(spec_path)
    notify = _notify_spec(spec)
    if only is not None and only not in ONLY:
        raise UsageError(
            "Nothing to send of that kind:",
            [Finding(Level.ERROR, f"use one of {', '.join(ONLY)}", argument("only"))],
        )
    wants_pages = any(
        Content.REPORT in rule.send and EMAIL in rule.via and rule.to != "rep"
        for rule in notify.rules
    )
    bundle = Review(spec, period, as_of).report(charts=wants_pages)
    state_path = spec.base_dir / notify.state
    refuse_inputs(state_path, [spec.path, *bundle.results.dataset.input_files()])
    state = load_state(state_path)
    out = Plan(spec, bundle, state)
    by_level: dict[str, list[Recipient]] = {}
    for rule in notify.rules:
        kinds = contents(rule, only)
        if not kinds:
            continue
        if rule.to not in by_level:
            by_level[rule.to] = recipients(bundle, rule.to)
        for recipient in by_level[rule.to]:
            if not triggered(rule, recipient):
                continue
            for via in rule.via:
                delivery = _due(out, notify, rule, recipient, via, kinds)
                if delivery is not None:
                    out.deliveries.append(delivery)
    return out


def _due(
    plan_: Plan,
    notify: NotifySpec,
    rule: RuleSpec,
    recipient: Recipient,
    via: str,
    kinds: set[Content],
) -> Delivery | None:
    """The message this rule owes this recipient on this channel, or None (quiet)."""
    bundle = plan_.bundle
    slot = f"{via}|{recipient.key}"
    sent = plan_.state.sent(rule.name, plan_.period, slot)
    fresh = []
    if Content.ALERTS in kinds:
        fresh = [
            a
            for a in at_or_above(recipient.alerts, rule.min_severity.value)
            if a.key not in sent.alerts
        ]
    full = bool(kinds & {Content.PROGRESS, Content.REPORT}) and not sent.progress
    if not full and not fresh:
        return None
    results = bundle.results
    message = Message(
        rule.name,
        recipient,
        bundle.locale,
        results.spec.title or bundle.view["labels"]["report"],
        results.period.label,
        results.as_of.isoformat(),
        alerts=fresh,
    )
    if full:
        message.progress = list(recipient.lines)
        message.members_behind = list(recipient.members_behind)
        if Content.REPORT in kinds and via == EMAIL:
            message.page = _page(bundle, recipient, inline=rule.page.value == "inline")
    address, problem = _address(plan_, notify, via, recipient)
    return Delivery(rule.name, via, message, address, problem, full)


def _page(bundle: ReportBundle, recipient: Recipient, *, inline: bool) -> Page:
    """The rep's feedback page, or for a lead or the company the full report."""

    if recipient.level == "rep":
        view = rep_view(
            bundle.view, bundle.results, recipient.entity, bundle.evaluation, bundle.alerts
        )
        name = safe_filename(f"{recipient.entity}-{recipient.name}", ".html")
    else:
        view = bundle.view
        name = f"salesperf-report-{bundle.results.period.label}.html"
    html = render_bytes(view, "html", bundle.template_dir).decode("utf-8")
    return Page(name, html, inline)


def _address(
    plan_: Plan, notify: NotifySpec, via: str, recipient: Recipient
) -> tuple[str | None, str | None]:
    """(address, problem): the e-mail or robot key from `notify.contacts`."""
    if via != EMAIL and ADDRESS_PLACEHOLDER not in notify.channels[via].url:
        return None, None  # a group robot: the url is the address
    contact = notify.contacts.get(via, {}).get(recipient.level)
    if isinstance(contact, dict):
        found = contact.get(recipient.entity) or contact.get(recipient.name)
        where = f"notify.contacts.{via}.{recipient.level}"
    else:
        found = _roster_value(plan_, recipient, str(contact))
        where = f"roster field '{contact}'"
    if not found:
        return None, f"no address for {recipient.name} ({recipient.entity}) in {where}"
    return str(found).strip(), None


def _roster_value(plan_: Plan, recipient: Recipient, field_name: str) -> str | None:
    """A rep's roster value, or for a team the first value among its members' rows (the
    lead's e-mail is usually repeated on every member's row)."""
    roster = plan_.bundle.results.dataset.roster
    if roster is None or field_name not in roster.frame:
        return None
    frame = roster.frame
    column = "rep" if recipient.level == "rep" else recipient.level
    if column not in frame:
        return None
    values = frame.loc[frame[column].astype(str) == recipient.entity, field_name].dropna()
    values = values[values.astype(str).str.strip() != ""]
    return str(values.iloc[-1 if recipient.level == "rep" else 0]) if len(values) else None


def deliver(plan_: Plan, transport: Transport | None = None) -> list[Delivery]:
    """Send every delivery of the plan; record each success in the state file at once
    (atomically), so an interrupted run never sends the same message twice."""

    notify = plan_.spec.notify
    assert notify is not None
    if transport is None:
        transport = channels.Transport(
            notify.delivery.timeout, notify.delivery.retries, notify.delivery.backoff
        )
    template_dir = plan_.bundle.template_dir
    with locked(plan_.state.path):
        # Another run may have delivered some of this since the plan was made.
        plan_.state = load_state(plan_.state.path)
        plan_.deliveries = [d for d in plan_.deliveries if not _already_sent(plan_, d)]
        for item in plan_.deliveries:
            if item.problem is not None:
                item.error = item.problem
                continue
            item.attempts, item.error = _send_one(
                notify, item, transport, template_dir, plan_.spec.base_dir
            )
            item.delivered = item.error is None
            if item.delivered:
                keys = [a.key for a in item.message.alerts]
                plan_.state.record(item.rule, plan_.period, item.slot, item.full, keys)
                save_state(plan_.state)
    return plan_.deliveries


def _already_sent(plan_: Plan, item: Delivery) -> bool:
    sent = plan_.state.sent(item.rule, plan_.period, item.slot)
    if item.full:
        return sent.progress
    return all(a.key in sent.alerts for a in item.message.alerts)


def _send_one(
    notify: NotifySpec, item: Delivery, transport: Transport, template_dir: Any, base_dir: Path
) -> tuple[int, str | None]:

    if item.via == EMAIL:
        assert notify.smtp is not None and item.address is not None
        smtp = notify.smtp
        try:
            html = render.html_body(item.message, template_dir)
            mail = channels.build_email(smtp, item.message, item.address, html)
        except channels.DeliveryError as exc:
            return 0, exc.reason
        ca_file = base_dir / smtp.ca_file if smtp.ca_file else None
        return channels.attempt(
            lambda: channels.send_email(smtp, mail, transport, ca_file), transport
        )
    channel = notify.channels[item.via]
    return channels.attempt(
        lambda: channels.post_chat(channel, item.message, item.address, transport), transport
    )
