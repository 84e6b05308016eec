"""Terminal rendering of `salesperf alerts` with rich. Only the CLI imports this module.

The words and numbers come from :func:`salesperf.anomalies.digest.view`; this module only
lays them out and adds colour (rich drops it off a terminal and under ``NO_COLOR``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesperf.cli.render import literal, out

if TYPE_CHECKING:
    from salesperf.anomalies import Alert
    from salesperf.engine.pipeline import Results

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
MARK = {"critical": "●", "warning": "▲", "info": "·"}


def render_alerts(results: Results, alerts: list[Alert]) -> None:
    """Grouped by severity: each alert's one-line reason, then its top contributors."""
    from salesperf.anomalies.digest import counts, heading, view, word

    locale = results.spec.locale.value
    out.print(f"[bold]{literal(heading(results, locale))}[/]", soft_wrap=True)
    if not alerts:
        out.print(f"[green]{word('none', locale)}[/]")
        return
    tally = counts(alerts)
    summary = " · ".join(
        f"[{SEVERITY_STYLE[s]}]{n} {word(s, locale).lower()}[/]" for s, n in tally.items() if n
    )
    out.print(summary)
    views = view(results, alerts)
    for severity in ("critical", "warning", "info"):
        group = [v for v in views if v.severity == severity]
        if not group:
            continue
        style = SEVERITY_STYLE[severity]
        out.print()
        out.print(f"[{style}]{word(severity, locale)} ({len(group)})[/]")
        for item in group:
            out.print(
                f"[{style}]{MARK[severity]}[/] [bold]{literal(item.label)}[/]: "
                f"{literal(item.message)}",
                soft_wrap=True,
            )
            for detail in item.details:
                out.print(f"    [dim]{literal(detail)}[/]", soft_wrap=True)
