"""`--dry-run`: exactly what would go to whom, as plain text (no secret is ever shown).

E-mails show their headers, attachment and plain-text part; chat messages the JSON
document the service would receive, and the url as written in kpi.yaml (``${ENV}`` left
unexpanded; a robot key from `contacts:` shown only by its last four characters).
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

from salesperf.notify import channels, render
from salesperf.spec.notify import ADDRESS_PLACEHOLDER, EMAIL

if TYPE_CHECKING:
    from salesperf.notify.plan import Delivery, Plan


def _masked(address: str) -> str:
    return "…" + address[-4:] if len(address) > 8 else "…"


def describe(plan: Plan) -> str:
    """The whole dry run: a heading, then every delivery that is due."""
    results = plan.bundle.results
    title = results.spec.title or "salesperf"
    head = (
        f"Dry run: {title} · {results.period.label} · as of {results.as_of.isoformat()}. "
        "Nothing is sent and the state file is not changed."
    )
    if not plan.deliveries:
        return f"{head}\nNothing is due: no rule's condition holds, or all was delivered.\n"
    count = len(plan.deliveries)
    parts = [f"{head}\n{count} message{'s' if count != 1 else ''} due.\n"]
    for number, delivery in enumerate(plan.deliveries, 1):
        parts.append(_one(plan, number, delivery))
    return "\n".join(parts)


def _one(plan: Plan, number: int, delivery: Delivery) -> str:

    notify = plan.spec.notify
    assert notify is not None
    message = delivery.message
    who = message.recipient
    lines = []
    if delivery.via == EMAIL:
        assert notify.smtp is not None
        target = f"{who.name} <{delivery.address}>" if delivery.address else who.name
        lines.append(f"[{number}] rule {delivery.rule} · email → {target}")
        if delivery.problem:
            return "\n".join([*lines, f"    cannot be sent: {delivery.problem}", ""])
        lines += [
            f"    From: {notify.smtp.sender}",
            f"    To: {delivery.address}",
            f"    Subject: {message.subject}",
        ]
        if message.page is not None:
            size = len(message.page.html.encode("utf-8"))
            how = "HTML body" if message.page.inline else "Attachment"
            lines.append(f"    {how}: {message.page.filename} (text/html, {size:,} bytes)")
        lines += ["", textwrap.indent(render.plain_text(message), "    ")]
        return "\n".join(lines)
    channel = notify.channels[delivery.via]
    signed = ", signed" if channel.secret_env else ""
    lines.append(
        f"[{number}] rule {delivery.rule} · {delivery.via} ({channel.type.value}{signed}) → "
        f"{who.name}"
    )
    if delivery.problem:
        return "\n".join([*lines, f"    cannot be sent: {delivery.problem}", ""])
    lines.append(f"    POST {channel.url}")
    if ADDRESS_PLACEHOLDER in channel.url and delivery.address:
        lines.append(f"    {ADDRESS_PLACEHOLDER} = {_masked(delivery.address)}")
    document = json.dumps(channels.payload(channel, message), ensure_ascii=False, indent=2)
    lines += [textwrap.indent(document, "    "), ""]
    return "\n".join(lines)


def summary(deliveries: list[Delivery]) -> tuple[list[str], list[str]]:
    """(lines for what was delivered, lines for what failed with the reason)."""
    done, failed = [], []
    for item in deliveries:
        who = item.message.recipient.name
        if item.via == EMAIL and item.address:
            who = f"{who} <{item.address}>"
        text = f"{item.rule} · {item.via} → {who}: {item.message.subject}"
        if item.delivered:
            done.append(f"sent    {text}")
        else:
            tries = f" after {item.attempts} attempt(s)" if item.attempts > 1 else ""
            failed.append(f"failed  {item.rule} · {item.via} → {who}{tries}: {item.error}")
    return done, failed
