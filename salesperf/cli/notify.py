"""`salesperf notify`: tell reps, leads and channels what needs their attention.

Registered on :data:`salesperf.cli.app` when :mod:`salesperf.cli` is imported; the same
rules hold as there: parse options, call the library, render, exit codes via ``_guard``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from salesperf.cli.commands import AsOfOpt, PeriodOpt, SpecPath, _busy, _guard, app


class Only(StrEnum):
    alerts = "alerts"
    progress = "progress"
    report = "report"


@app.command()
def notify(
    spec_path: SpecPath,
    period: PeriodOpt = None,
    as_of: AsOfOpt = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what would be sent to whom; send nothing."),
    ] = False,
    only: Annotated[
        Only | None,
        typer.Option("--only", help="Send only this part of each rule: alerts, progress, report."),
    ] = None,
) -> None:
    """Send reminders by e-mail and chat (`notify:` in kpi.yaml).

    A rep gets their own progress and alerts (never another rep's figures), a team lead
    the team's, a channel the company digest. Each rule speaks when its condition holds
    (behind, at risk, an alert at or above min_severity, or always), at most once per
    period, and after that only about alerts that are new; what was delivered is kept in
    the state file next to kpi.yaml. Nothing is sent without `notify:`. Secrets come from
    the environment only. See docs/notify.md.

    Exit codes: 0 all delivered (or nothing due), 1 a delivery failed (the reason is
    printed per recipient; the others are still sent), 2 errors in the spec or options.

    Examples:

      salesperf notify examples/notify.yaml --dry-run

      salesperf notify kpi.yaml --only alerts

      salesperf notify kpi.yaml -p 2017-06 --only report
    """
    with _guard():
        from salesperf.notify import deliver, plan
        from salesperf.notify.preview import describe, summary

        with _busy("Reading the exports and deciding who to tell…"):
            due = plan(
                spec_path,
                period=period,
                as_of=as_of.date() if as_of else None,
                only=only.value if only else None,
            )
        from salesperf.cli.render import printable  # names from data: no escape sequences

        if dry_run:
            typer.echo(printable(describe(due)), nl=False)
            return
        done, failed = summary(deliver(due))
        for line in done:
            typer.echo(printable(line))
        for line in failed:
            typer.echo(printable(line), err=True)
    if failed:
        raise typer.Exit(1)
