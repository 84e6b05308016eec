"""Terminal and Markdown rendering of `salesperf backtest` and `salesperf diff`.

Only the CLI imports this module. The numbers come from :class:`salesperf.backtest.Backtest`
and :class:`salesperf.diff.ReportDiff`; the view functions here turn them into rows of text
once, and the rich and Markdown renderers only lay those rows out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.box import SIMPLE_HEAD
from rich.table import Table

from salesperf.cli.render import fitted_table, literal, out
from salesperf.diff import SECTIONS
from salesperf.formatting import fmt_fraction
from salesperf.markdown import md_text

if TYPE_CHECKING:
    from salesperf.backtest import Backtest, KpiBacktest, MethodResult
    from salesperf.diff import Change, ReportDiff

#: Changes listed per section on a terminal; JSON and Markdown list them all.
TERMINAL_ROWS = 40
SEVERITY_LETTER = {"info": "i", "warning": "w", "critical": "c"}
METHOD_COLUMNS = ["Method", "n", "Median", "Hit", "p10–p90", "MAPE", "Bias", ">150%", "<50%"]
#: Columns only allocated (top-down) KPIs have.
ALLOCATION_COLUMNS = 2


# -- backtest: view ---------------------------------------------------------------------------


def _pct(value: float | None, digits: int = 1, signed: bool = False) -> str:
    if value is None:
        return "–"
    value = round(value, digits + 4) + 0.0  # no "-0.0%" from float noise
    return f"{value:+.{digits}%}" if signed else f"{value:.{digits}%}"


def backtest_heading(bt: Backtest) -> list[str]:
    low, high = bt.spec.backtest.hit_share
    span = f"{bt.periods[0]} to {bt.periods[-1]}" if bt.periods else "–"
    parts = [bt.spec.title, f"{len(bt.periods)} closed periods, {span}"]
    return [
        " · ".join([*filter(None, parts), f"as of {bt.as_of.isoformat()}"]),
        f"Achievable but challenging: {low:.0%}–{high:.0%} of rep-periods on target and a "
        f"company bias within ±{bt.spec.backtest.max_bias:.0%} (`backtest:` in kpi.yaml)",
    ]


def kpi_title(item: KpiBacktest) -> str:
    target = item.kpi.target
    assert target is not None
    how = item.kpi.measure.value
    if item.allocated and target.allocate is not None:
        how += f", allocated ({target.allocate.value})"
    return f"{item.kpi.name} ({item.kpi.id}) · {how}"


def method_columns(item: KpiBacktest) -> list[str]:
    return METHOD_COLUMNS if item.allocated else METHOD_COLUMNS[:-ALLOCATION_COLUMNS]


def method_row(item: KpiBacktest, method: MethodResult) -> list[str]:
    """One method's numbers as text: attainments floored to whole percents like everywhere
    else, shares and errors to a tenth (49.7% misses a 50% band; "50%" would not say so)."""
    name = ("★ " if method.method == item.best else "") + method.method
    name += " *" if method.configured else ""
    spread = "–"
    if method.p10 is not None:
        spread = f"{fmt_fraction(method.p10)}–{fmt_fraction(method.p90)}"
    row = [
        name,
        str(method.rep_periods),
        fmt_fraction(method.median_attainment),
        _pct(method.hit_share),
        spread,
        _pct(method.mape),
        _pct(method.bias, signed=True),
        _pct(method.over_allocated, 0),
        _pct(method.under_allocated, 0),
    ]
    return row if item.allocated else row[:-ALLOCATION_COLUMNS]


def method_notes(item: KpiBacktest) -> list[str]:
    return [f"{m.method}: {m.note}" for m in item.methods if m.note]


LEGEND = (
    "* configured · ★ closest to the criterion · n rep-periods judged · Median, p10–p90: rep "
    "attainment · Hit: share of rep-periods on target · MAPE, Bias: company target vs actual "
    "(bias > 0: targets above what happened) · >150%, <50%: allocated targets above 150% or "
    "below 50% of what the rep then did"
)


def alert_columns(bt: Backtest) -> list[str]:
    assert bt.alerts is not None
    return ["Rule", *bt.alerts.periods, "Total", "Precision"]


def _severities(count: dict[str, int]) -> str:
    """{"critical": 1, "warning": 2, "info": 0} -> "1c 2w"; nothing -> "·"."""
    shown = [f"{count[s]}{SEVERITY_LETTER[s]}" for s in ("critical", "warning", "info") if count[s]]
    return " ".join(shown) or "·"


def alert_rows(bt: Backtest) -> list[list[str]]:
    """Per rule: alerts per period ("1c 2w": one critical, two warnings), the total, and
    behind-next / judged."""
    assert bt.alerts is not None
    rows = []
    for rule in bt.alerts.rules:
        precision = "–"
        if rule.precision is not None:
            precision = f"{rule.behind_next}/{rule.judged} {rule.precision:.0%}"
        cells = [_severities(rule.counts[label]) for label in bt.alerts.periods]
        rows.append([rule.rule, *cells, _severities(rule.total), precision])
    return rows


def alert_footnotes(bt: Backtest) -> list[str]:
    assert bt.alerts is not None
    notes = [
        "Each period's alerts as `salesperf alerts` would have raised them on its last day, "
        "from the rows known by then (c critical, w warning, i info).",
        "Precision: of the warnings and criticals on a KPI, the share whose entity ended the "
        "next period below target.",
    ]
    if bt.alerts.behind_rate is not None:
        notes[-1] += (
            f" For comparison, {bt.alerts.behind_rate:.0%} of all entity-periods ended below "
            "target."
        )
    pending = sum(r.pending for r in bt.alerts.rules)
    if pending and bt.alerts.periods:
        notes.append(
            f"{pending} warning(s)/critical(s) of {bt.alerts.periods[-1]} wait for the next "
            "period to close."
        )
    return notes


# -- backtest: terminal and Markdown ----------------------------------------------------------


def render_backtest(bt: Backtest) -> None:
    first, second = backtest_heading(bt)
    out.print(f"[bold]{literal(first)}[/]", soft_wrap=True)
    out.print(f"[dim]{literal(second)}[/]", soft_wrap=True)
    for item in bt.kpis:
        out.print()
        out.print(f"[bold]{literal(kpi_title(item))}[/]", soft_wrap=True)
        names = method_columns(item)
        columns = [
            (name, {"justify": "left" if i == 0 else "right", "no_wrap": True})
            for i, name in enumerate(names)
        ]
        rows = [
            (
                [literal(c) for c in method_row(item, method)],
                "bold" if method.method == item.best else None,
            )
            for method in item.methods
        ]
        # Least needed first: the allocation checks, the spread, then the rep count.
        drop = [names.index(c) for c in (">150%", "<50%", "p10–p90", "n") if c in names]
        table, hidden = fitted_table(columns, rows, drop)
        out.print(table)
        if hidden:
            out.print(f"[dim]  Not shown at this width: {literal(', '.join(hidden))}[/]")
        for note in method_notes(item):
            out.print(f"[dim]  {literal(note)}[/]", soft_wrap=True)
        style = "green" if item.best == item.methods[0].method else "yellow"
        out.print(f"[{style}]→ {literal(item.verdict)}[/]", soft_wrap=True)
    if bt.kpis:
        out.print(f"[dim]{LEGEND}[/]")
    if bt.alerts is not None:
        out.print()
        out.print("[bold]Alert rules, replayed[/]")
        names = alert_columns(bt)
        columns = [
            (name, {"no_wrap": True} if i == 0 else {"justify": "right", "no_wrap": True})
            for i, name in enumerate(names)
        ]
        rows = []
        for row in alert_rows(bt):
            quiet = all(c == "·" for c in row[1 : 1 + len(bt.alerts.periods)])
            rows.append(([literal(c) for c in row], "dim" if quiet else None))
        # Oldest periods go first; the rule, the totals and the precision stay.
        table, hidden = fitted_table(columns, rows, list(range(1, len(bt.alerts.periods))))
        out.print(table)
        if hidden:
            out.print(f"[dim]Periods not shown at this width: {literal(', '.join(hidden))}[/]")
        for note in alert_footnotes(bt):
            out.print(f"[dim]{literal(note)}[/]", soft_wrap=True)
    for note in bt.notes:
        out.print(f"[dim]note: {literal(note)}[/]", soft_wrap=True)


def _md_table(columns: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    """A Markdown table; every header and cell through :func:`md_text` (names, periods
    and file names come from data, or from a report JSON file that anyone may edit)."""
    lines = ["| " + " | ".join(md_text(c) for c in columns) + " |"]
    lines.append("|" + "|".join("--:" if i in right else "---" for i in range(len(columns))) + "|")
    lines.extend("| " + " | ".join(md_text(c) for c in row) + " |" for row in rows)
    return lines


def backtest_markdown(bt: Backtest) -> str:
    first, second = backtest_heading(bt)  # the second line is ours, with a `code` span
    lines = [f"# Backtest: {md_text(first)}", "", second, ""]
    for item in bt.kpis:
        columns = method_columns(item)
        lines += [f"## {md_text(kpi_title(item))}", ""]
        rows = [method_row(item, m) for m in item.methods]
        lines += _md_table(columns, rows, set(range(1, len(columns))))
        lines += [""] + [f"- {md_text(note)}" for note in method_notes(item)]
        lines += ["", f"**{md_text(item.verdict)}**", ""]
    if bt.kpis:
        lines += [f"Legend: {LEGEND}", ""]
    if bt.alerts is not None:
        columns = alert_columns(bt)
        lines += ["## Alert rules, replayed", ""]
        lines += _md_table(columns, alert_rows(bt), set(range(1, len(columns))))
        lines += ["", *alert_footnotes(bt), ""]
    lines += [f"- note: {md_text(note)}" for note in bt.notes]
    return "\n".join(lines).rstrip() + "\n"


# -- diff -------------------------------------------------------------------------------------


def _who(change: Change) -> str:
    if change.level == "company":
        return "company"
    if change.name and change.name != change.entity and change.level == "rep":
        return f"{change.name} ({change.entity})"
    return str(change.entity or "")


def _delta(change: Change) -> str:
    old, new = change.old, change.new
    numbers = isinstance(old, int | float) and isinstance(new, int | float)
    if not numbers or isinstance(old, bool) or isinstance(new, bool):
        return ""
    if change.what == "total":
        return f"{(new - old) * 100:+.2f} pts"
    if change.what == "rank":
        return f"{int(new - old):+d}"
    return f"{new / old - 1:+.1%}" if old else ""


def diff_heading(diff: ReportDiff) -> str:
    def side(file: str, meta: dict[str, Any]) -> str:
        return f"{file} ({meta.get('period')} as of {meta.get('as_of')})"

    head = f"{side(diff.old_file, diff.old_meta)} → {side(diff.new_file, diff.new_meta)}"
    if diff.identical:
        return f"{head}: identical"
    counts = ", ".join(f"{s} {len(diff.section(s))}" for s in SECTIONS if diff.section(s))
    return f"{head}: {len(diff.changes)} change(s) ({counts})"


DIFF_TITLES = {
    "run": "Run",
    "inputs": "Inputs (kpi.yaml and data files, by SHA-256)",
    "values": "KPI values and targets",
    "scores": "Scores, tiers and ranks",
    "alerts": "Alerts (matched on rule, KPI, level and entity)",
}
DIFF_COLUMNS = {
    "run": ["What", "Old", "New"],
    "inputs": ["File", "Change", "Old", "New"],
    "values": ["KPI", "Level", "Who", "Field", "Old", "New", "Change"],
    "scores": ["Level", "Who", "Field", "Old", "New", "Change"],
}


def diff_row(change: Change) -> list[str]:
    section = change.section
    if section == "run":
        return [change.what, change.old_fmt, change.new_fmt]
    if section == "inputs":
        what = "changed" if change.what == "spec" else change.what
        return [str(change.entity), what, change.old_fmt or "–", change.new_fmt or "–"]
    if section == "values":
        if change.what in ("added", "removed"):
            return ["", change.level or "", _who(change), change.what, "", "", ""]
        return [
            change.kpi or "",
            change.level or "",
            _who(change),
            change.what,
            change.old_fmt,
            change.new_fmt,
            _delta(change),
        ]
    if section == "scores":
        if change.what in ("added", "removed"):
            return [change.level or "", _who(change), change.what, "", "", ""]
        return [
            change.level or "",
            _who(change),
            change.what,
            change.old_fmt,
            change.new_fmt,
            _delta(change),
        ]
    raise ValueError(f"alerts are listed with alert_line, not as rows: {change}")


ALERT_MARK = {"appeared": "+", "cleared": "-", "severity": "~"}


def alert_line(change: Change) -> tuple[str, str]:
    """("+ appeared (warning) off_history · revenue · Sarah Mitchell (R05)", message)."""
    if change.what == "severity":
        how = f"{change.old} → {change.new}"
    else:
        how = str(change.new if change.what == "appeared" else change.old)
    who = _who(change)
    if change.level not in ("rep", "company", None):
        who = f"{change.level} {who}"
    where = " · ".join(x for x in (change.rule, change.kpi, who) if x)
    message = change.new_fmt or change.old_fmt
    return f"{ALERT_MARK[change.what]} {change.what} ({how}) {where}", message


def render_diff(diff: ReportDiff) -> None:
    style = "green" if diff.identical else "yellow"
    out.print(f"[bold {style}]{literal(diff_heading(diff))}[/]", soft_wrap=True)
    for section in SECTIONS:
        changes = diff.section(section)
        if not changes:
            continue
        out.print()
        out.print(f"[bold]{literal(DIFF_TITLES[section])}[/]")
        if section == "alerts":
            for change in changes[:TERMINAL_ROWS]:
                head, message = alert_line(change)
                out.print(literal(head), soft_wrap=True)
                out.print(f"    [dim]{literal(message)}[/]", soft_wrap=True)
        else:
            table = Table(box=SIMPLE_HEAD, pad_edge=False)
            for column in DIFF_COLUMNS[section]:
                table.add_column(column, overflow="fold")
            for change in changes[:TERMINAL_ROWS]:
                table.add_row(*(literal(c) for c in diff_row(change)))
            out.print(table)
        if len(changes) > TERMINAL_ROWS:
            out.print(
                f"[dim]… and {len(changes) - TERMINAL_ROWS} more: --format md or json lists "
                "every change[/]"
            )


def diff_markdown(diff: ReportDiff) -> str:
    lines = [f"# salesperf diff: {md_text(diff_heading(diff))}", ""]
    for section in SECTIONS:
        changes = diff.section(section)
        if not changes:
            continue
        lines += [f"## {DIFF_TITLES[section]}", ""]
        if section == "alerts":
            for change in changes:
                head, message = alert_line(change)
                lines.append(f"- **{md_text(head[2:])}**: {md_text(message)}")
        else:
            lines += _md_table(DIFF_COLUMNS[section], [diff_row(c) for c in changes], set())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
