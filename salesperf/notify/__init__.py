"""`salesperf notify`: reminders that reach people, by e-mail and team-chat webhooks.

    from salesperf.notify import plan, deliver
    due = plan("kpi.yaml")              # what is due now (reads the state file)
    for d in deliver(due):              # sends, records what was delivered
        print(d.via, d.message.recipient.name, d.error or "ok")

Modules: ``recipients`` (who hears what, rule conditions), ``render`` (text, chat Markdown,
Slack mrkdwn, HTML), ``channels`` (SMTP and webhooks, signing, retries), ``state`` (what was
delivered), ``plan`` (putting them together). The `notify:` section of kpi.yaml is modelled
in :mod:`salesperf.spec.notify`; docs/notify.md is the user's guide.
"""

from salesperf.notify.plan import Delivery, Plan, deliver, plan

__all__ = ["Delivery", "Plan", "deliver", "plan"]
