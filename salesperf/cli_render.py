"""Terminal rendering with rich. Only the CLI imports this module.

Colour is added here and nowhere else; rich already honours ``NO_COLOR`` and drops styling
when output is not a terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from salesperf.errors import Finding, Level, SalesperfError

if TYPE_CHECKING:
    from salesperf.check import CheckReport
    from salesperf.scaffold import Scaffold

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

LEVEL_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.INFO: "dim"}


def _finding_line(finding: Finding) -> str:
    style = LEVEL_STYLE[finding.level]
    where = str(finding.location)
    prefix = f"{escape(where)}: " if where else ""
    return f"[{style}]{finding.level.value}[/]: {prefix}{escape(finding.message)}"


def print_error(exc: SalesperfError) -> None:
    """One message naming the file, line, key and the fix; no traceback."""
    err.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True)
    for finding in exc.findings:
        err.print("  " + _finding_line(finding), soft_wrap=True)


def render_check(report: CheckReport) -> None:
    out.print(f"[bold]salesperf check[/] {escape(report.spec_path)}")
    for source in report.sources:
        out.print()
        table = Table(title=f"source: {source.name}", title_justify="left", show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value")
        for f in source.files:
            detail = ", ".join(
                x
                for x in (
                    f.format,
                    f.encoding or "",
                    f"delimiter {f.delimiter!r}" if f.delimiter else "",
                    f"sheet {f.sheet}" if f.sheet else "",
                    f"dates {f.date_format}" if f.date_format else "",
                )
                if x
            )
            table.add_row("file", f"{escape(f.path)} ({detail}; {f.rows:,} rows)")
        table.add_row("rows", f"{source.rows_loaded:,} loaded of {source.rows_read:,} read")
        if source.date_min:
            table.add_row("dates", f"{source.date_min} .. {source.date_max}")
        if source.reps is not None:
            table.add_row("reps", str(source.reps))
        if source.teams is not None:
            table.add_row("teams", str(source.teams))
        for reason, info in source.rejected.items():
            rows = ", ".join(map(str, info["rows"]))
            more = ", …" if info["count"] > len(info["rows"]) else ""
            table.add_row("rejected", f"[yellow]{info['count']} {reason}[/] (rows {rows}{more})")
        if source.duplicate_keys:
            table.add_row("duplicate keys", f"[yellow]{source.duplicate_keys}[/]")
        if source.negative_amounts:
            table.add_row("negative amounts", f"{source.negative_amounts} (returns?)")
        if source.future_dates:
            table.add_row("future dates", f"[yellow]{source.future_dates}[/]")
        if source.unknown_reps:
            table.add_row(
                "not in roster", f"[yellow]{escape(', '.join(source.unknown_reps[:8]))}[/]"
            )
        out.print(table)
    if report.smart:
        out.print()
        smart = Table(title="SMART review", title_justify="left")
        smart.add_column("KPI", style="bold")
        for criterion in ("specific", "measurable", "achievable", "relevant", "time_bound"):
            smart.add_column(criterion.replace("_", "-").capitalize())
        by_kpi: dict[str, dict[str, str]] = {}
        for item in report.smart:
            mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]…[/]"}[item.ok]
            by_kpi.setdefault(item.kpi, {})[item.criterion] = f"{mark} {escape(item.note)}"
        for kpi_id, cells in by_kpi.items():
            smart.add_row(
                kpi_id,
                *(
                    cells.get(c, "")
                    for c in ("specific", "measurable", "achievable", "relevant", "time_bound")
                ),
            )
        out.print(smart)
    findings = [f for f in report.findings if f.level is not Level.INFO]
    if findings:
        out.print()
        for finding in findings:
            target = err if finding.level is Level.ERROR else out
            target.print(_finding_line(finding), soft_wrap=True)
    out.print()
    if report.errors:
        err.print(
            f"[bold red]✗ not usable:[/] {len(report.errors)} error(s), "
            f"{len(report.warnings)} warning(s)"
        )
    else:
        out.print(f"[green]✓ usable[/] with {len(report.warnings)} warning(s)")


def render_init(path: Path, scaffold: Scaffold) -> None:
    out.print(f"[green]Wrote[/] {escape(str(path))}")
    for field, header in scaffold.mapping.items():
        out.print(f"  {field:<10} ← {escape(header)}")
    if scaffold.unmapped:
        out.print(
            f"[dim]  not mapped: {escape(', '.join(h.strip() for h in scaffold.unmapped))}[/]"
        )
    if "date" not in scaffold.mapping:
        out.print("[yellow]No date column recognised: set sources.orders.columns.date.[/]")
    out.print(f"Next: [bold]salesperf check {escape(str(path))}[/]")
