"""Terminal rendering with rich. Only the CLI imports this module.

Colour is added here and nowhere else; rich already honours ``NO_COLOR`` and drops styling
when output is not a terminal.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape as escape_markup
from rich.table import Table

from salesperf.cli.options import cli_error
from salesperf.errors import Finding, Level, SalesperfError

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.check import CheckReport
    from salesperf.engine.pipeline import Results
    from salesperf.scaffold import Scaffold
    from salesperf.spec.models import Unit

# emoji=False: ":x:" in "ACME:x:Corp" is data, not an emoji code.
out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)

#: Characters that would act on the terminal rather than show: C0 and C1 controls (ESC
#: starts colour, cursor and title sequences; 0x9b is a one-byte CSI), DEL, and the
#: direction marks that make text display in another order than it reads.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def literal(value: object) -> str:
    """Data as rich markup that prints exactly as written: ``[bold]`` stays text, and a
    control character shows as its code (``\\x1b``) instead of acting on the terminal.

    Every data-derived string a renderer in :mod:`salesperf.cli` passes to rich goes
    through here (names, KPI titles, file names, values in messages); with emoji codes off
    on the consoles, rich then prints data literally.
    """
    return escape_markup(printable(value))


def printable(value: object) -> str:
    """``value`` with every control character shown as its code (``\\x1b``), for text
    printed without rich (``typer.echo``); line breaks and tabs stay."""
    return _UNSAFE.sub(lambda m: _visible(m.group()), str(value))


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


LEVEL_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.INFO: "dim"}


def _finding_line(finding: Finding) -> str:
    style = LEVEL_STYLE[finding.level]
    where = str(as_option(finding).location)
    prefix = f"{literal(where)}: " if where else ""
    return f"[{style}]{finding.level.value}[/]: {prefix}{literal(finding.message)}"


def as_option(finding: Finding) -> Finding:
    """A warning about a library argument (``period=``) names the option typed (``--period``),
    as :func:`salesperf.cli.options.cli_error` does for errors."""
    return cli_error(SalesperfError("", [finding])).findings[0]


def print_error(exc: SalesperfError) -> None:
    """One message naming the file, line, key and the fix; no traceback."""
    err.print(f"[bold red]error:[/] {literal(exc.message)}", soft_wrap=True)
    for finding in exc.findings:
        err.print("  " + _finding_line(finding), soft_wrap=True)


def render_check(report: CheckReport) -> None:
    out.print(f"[bold]salesperf check[/] {literal(report.spec_path)}")
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
            table.add_row("file", f"{literal(f.path)} ({detail}; {f.rows:,} rows)")
        table.add_row("rows", f"{source.rows_loaded:,} loaded of {source.rows_read:,} read")
        if source.rows_outside:
            table.add_row("outside where", f"{source.rows_outside:,} (not part of this source)")
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
        for gap in source.not_counted:
            style = "dim" if gap["expected"] else "yellow"
            note = f"expected: {gap['reason']}" if gap["expected"] and gap["reason"] else ""
            note = note or ("expected" if gap["expected"] else "unexpected")
            table.add_row(
                "not counted",
                f"[{style}]{gap['rows']:,} without {literal(gap['field'])} in "
                f"{literal(gap['kpi'])}[/] ({literal(note)})",
            )
        for name, info in source.derived.items():
            detail = literal(info["expression"])
            if info["divide_by_zero"]:
                detail += f" [yellow]({info['divide_by_zero']:,} ÷ 0 → missing)[/]"
            if info["missing_input"]:
                detail += f" ({info['missing_input']:,} missing: an input is empty)"
            table.add_row(f"derived {literal(name)}", detail)
        if source.unknown_reps:
            table.add_row(
                "not in roster", f"[yellow]{literal(', '.join(source.unknown_reps[:8]))}[/]"
            )
        out.print(table)
    if report.market is not None:
        _render_market(report.market)
    if report.smart:
        out.print()
        smart = Table(title="SMART review", title_justify="left")
        smart.add_column("KPI", style="bold", no_wrap=True)
        criteria = ("specific", "measurable", "achievable", "relevant", "time_bound")
        for criterion in criteria:
            smart.add_column(criterion[0].upper(), justify="center", no_wrap=True)
        smart.add_column("Notes", ratio=1)
        by_kpi: dict[str, dict[str, object]] = {}
        for item in report.smart:
            by_kpi.setdefault(item.kpi, {})[item.criterion] = item
        marks = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]·[/]"}
        for kpi_id, items in by_kpi.items():
            notes = [
                f"{name[0].upper()}: {literal(item.note)}"  # type: ignore[attr-defined]
                for name, item in items.items()
                if item.ok is not True or name == "achievable"  # type: ignore[attr-defined]
            ]
            smart.add_row(
                kpi_id,
                *(marks[items[c].ok] if c in items else "" for c in criteria),  # type: ignore[attr-defined]
                "; ".join(notes) or "[dim]ok[/]",
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


def _render_market(market: dict[str, object]) -> None:
    """The market file of `check`: what it covers, and how many cells each figure fills."""
    out.print()
    table = Table(title=f"market: {literal(str(market['source']))}", title_justify="left")
    table.show_header = False
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("file", f"{literal(str(market['file']))} ({market['rows']:,} rows)")
    if market["first_period"]:
        table.add_row("periods", f"{market['first_period']} .. {market['last_period']}")
    if market["level"]:
        entities = ", ".join(map(str, market["entities"]))  # type: ignore[call-overload]
        table.add_row(f"per {market['level']}", literal(entities) or "(whole market only)")
    figures: dict[str, int] = market["figures"]  # type: ignore[assignment]
    for figure, filled in figures.items():
        table.add_row(literal(figure), f"{filled:,} of {market['rows']:,} rows filled")
    out.print(table)


def render_init(path: Path, scaffold: Scaffold) -> None:
    """The spec as written (its comments say why), then what to do next."""
    out.print(f"[green]Wrote[/] {literal(str(path))}:")
    out.print()
    out.print(literal(scaffold.text), soft_wrap=True, highlight=False)
    if "date" not in scaffold.mapping:
        out.print("[yellow]No date column recognised: set sources.orders.columns.date.[/]")
    if scaffold.unmapped:
        out.print(
            f"[dim]Not mapped (listed as # ?: lines; map any you want to filter or drill "
            f"down by): {literal(', '.join(h.strip() for h in scaffold.unmapped))}[/]",
            soft_wrap=True,
        )
    out.print(f"Next: [bold]salesperf check {literal(str(path))}[/]", soft_wrap=True)
    out.print(
        f"Then: [bold]salesperf report {literal(str(path))}{scaffold.report_options}[/]",
        soft_wrap=True,
    )


def _status_style() -> dict[str, tuple[str, str]]:
    """Status colours, with the words of the glossary (the report says the same)."""
    from salesperf.glossary import word

    colours = {
        "on_track": "green",
        "at_risk": "yellow",
        "behind": "bold red",
        "met": "green",
        "missed": "bold red",
        "no_target": "dim",
        "no_data": "dim",
    }
    return {status: (colour, word(status, "en")) for status, colour in colours.items()}


STATUS_STYLE = _status_style()


def _bar(fraction: float | None, width: int = 6) -> str:
    from salesperf.formatting import fmt_fraction

    if fraction is None or fraction != fraction:
        return "[dim]" + "·" * width + "[/]     –"
    filled = max(0, min(width, round(fraction * width)))
    style = "green" if fraction >= 1 else "yellow" if fraction >= 0.9 else "red"
    return f"[{style}]{'█' * filled}[/][dim]{'░' * (width - filled)}[/] {fmt_fraction(fraction):>5}"


def _heading(results: Results, title: str) -> str:
    from salesperf.formatting import fmt_fraction

    elapsed = results.table["elapsed"].dropna()
    share = fmt_fraction(float(elapsed.iloc[0])) if len(elapsed) else "–"
    return (
        f"[bold]{literal(title)}[/] · {results.period.label} · as of {results.as_of.isoformat()}"
        f" · {share} elapsed"
    )


def progress_table(results: Results, rows: pd.DataFrame, title: str) -> Table:
    """One section per KPI (a bold heading row), one row per entity, worst first."""
    from salesperf.formatting import fmt_fraction, fmt_value

    spec = results.spec
    units = {k.id: k.unit for k in spec.kpis}
    locale = spec.locale.value
    from rich import box

    single = rows[["level", "entity"]].drop_duplicates().shape[0] == 1
    table = Table(
        expand=False,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("KPI" if single else "KPI / who", min_width=14, overflow="fold")
    table.add_column("Actual", justify="right", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    table.add_column("Attainment", no_wrap=True)
    table.add_column("Pace", justify="right", no_wrap=True)
    # On a narrow terminal the projection goes first: actual, target, pace and status
    # answer "am I on track?"; JSON and CSV always carry every column.
    show_projected = out.width >= 96
    if show_projected:
        table.add_column("Projected", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    previous_kpi = None
    for record in rows.itertuples(index=False):
        unit = units[record.kpi]
        if single:
            label_cell = f"[bold]{literal(str(record.kpi_name))}[/]"
        elif previous_kpi != record.kpi:
            if previous_kpi is not None:
                table.add_section()
            table.add_row(f"[bold]{literal(str(record.kpi_name))}[/]")
        previous_kpi = record.kpi
        status = record.status
        if record.elapsed == record.elapsed and record.elapsed >= 1:
            # The period is over: the target was met or missed, nobody is "at risk".
            from salesperf.report.model import closed_status

            attainment = None if record.attainment != record.attainment else record.attainment
            status = closed_status(status, attainment)
        style, label = STATUS_STYLE.get(status, ("", status))
        who = "Company" if record.level == "company" else literal(str(record.name))
        if record.level not in ("rep", "company"):
            who = f"{who} [dim]{record.level}[/]"
        elif record.level == "rep" and str(record.name) != str(record.entity):
            who = f"{who} [dim]{literal(str(record.entity))}[/]"
        cells = [
            label_cell if single else f"  {who}",
            fmt_value(record.actual, unit, spec.currency, locale),
            fmt_value(record.target, unit, spec.currency, locale),
            _bar(record.attainment),
            fmt_fraction(record.pace),
        ]
        if show_projected:
            cells.append(fmt_value(record.projected, unit, spec.currency, locale))
        table.add_row(*cells, f"[{style}]{label}[/]")
    return table


def _progress_title(results: Results, rows: pd.DataFrame, rep: str | None, team: str | None) -> str:
    if rep is not None and len(rows):
        first = rows.iloc[0]
        parent = f", {first['parent']}" if first["parent"] is not None else ""
        return f"{first['name']} ({first['entity']}{parent})"
    if team is not None and len(rows):
        teams = rows.loc[rows["level"] == "team", "entity"]
        return f"Team {teams.iloc[0]}" if len(teams) else f"Team {team}"
    return results.spec.title or "Progress"


def render_progress(
    results: Results,
    rows: pd.DataFrame,
    title_rep: str | None = None,
    title_team: str | None = None,
) -> None:
    if rows.empty:
        out.print("[dim]No rows match.[/]")
        return
    title = _progress_title(results, rows, title_rep, title_team)
    out.print(_heading(results, title), soft_wrap=True)
    out.print(progress_table(results, rows, title))
    _print_findings(results)


def _print_findings(results: Results) -> None:
    for finding in results.findings:
        if finding.level is Level.WARNING:
            err.print(_finding_line(finding), soft_wrap=True)


def render_targets(results: Results, rows: pd.DataFrame) -> None:
    """Per KPI: the rule in a heading row, then company, outer levels, teams, reps."""
    from rich import box

    from salesperf.cli.views import describe_basis
    from salesperf.engine.market import NO_MARKET
    from salesperf.formatting import fmt_value
    from salesperf.glossary import plain_note

    spec = results.spec
    kpis = {k.id: k for k in spec.kpis}
    order = {lv: i for i, lv in enumerate(["company", *reversed(results.org.levels), "rep"])}
    rows = rows.assign(_k=rows["kpi"].map({k: i for i, k in enumerate(kpis)}))
    rows = rows.assign(_l=rows["level"].map(order), _p=rows["parent"].fillna("").astype(str))
    rows = rows.sort_values(["_k", "_l", "_p", "entity"], kind="stable")
    out.print(f"[bold]Targets[/] · {results.period.label}", soft_wrap=True)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("KPI / who", min_width=16, overflow="fold")
    table.add_column("Level", no_wrap=True)
    table.add_column("Target", justify="right", no_wrap=True)
    table.add_column("Basis", overflow="fold", ratio=1)
    previous = None
    for record in rows.itertuples(index=False):
        kpi = kpis[record.kpi]
        if previous != record.kpi:
            if previous is not None:
                table.add_section()
            rule = kpi.target.method.value if kpi.target else ""
            if kpi.target and kpi.target.market_growth is not None:
                rule += f" + {kpi.target.market_growth.market}"
                if kpi.target.market_growth.margin:
                    rule += f" {kpi.target.market_growth.margin:+.1%}"
            elif kpi.target and kpi.target.fixed_growth:
                rule += f" {kpi.target.fixed_growth:+.0%}"
            if kpi.target and kpi.target.allocate:
                rule += f", split by {kpi.target.allocate.value}"
            table.add_row(
                f"[bold]{literal(str(record.kpi_name))}[/]", "", "", f"[dim]{literal(rule)}[/]"
            )
            previous = record.kpi
        who = "Company" if record.level == "company" else str(record.name)
        indent = "  " if record.level in ("company", "rep") else "    "

        def in_unit(value: float, unit: Unit = kpi.unit) -> str:
            return fmt_value(value, unit, spec.currency, spec.locale.value)

        basis = describe_basis(record.target_basis, in_unit, spec.locale.value)
        if record.note:
            note = str(record.note)
            if note == NO_MARKET:  # the market's words come from the glossary
                note = plain_note(note, spec.locale.value)
            basis += f" · {note}"
        table.add_row(
            f"{indent}{literal(who)}",
            str(record.level),
            fmt_value(record.target, kpi.unit, spec.currency, spec.locale.value),
            literal(basis),
        )
    out.print(table)
    _print_findings(results)


class live_progress:
    """The view behind `salesperf watch`: a rich Live display redrawn on every update and
    when the terminal is resized. The heading names the --rep or --team shown; the footer
    stays on screen: rows that do not fit the terminal's height are counted ("… N more")."""

    #: Lines around the table: heading, table header and rule, blank lines, footer.
    CHROME = 7

    def __init__(self, rep: str | None = None, team: str | None = None) -> None:
        from rich.live import Live

        self.live = Live(console=out, auto_refresh=False, screen=False)
        self.rep, self.team = rep, team
        self.last: tuple[Results, pd.DataFrame] | None = None
        self._previous_handler: object = None

    def __enter__(self) -> live_progress:
        import signal

        self.live.__enter__()
        if hasattr(signal, "SIGWINCH"):
            self._previous_handler = signal.signal(signal.SIGWINCH, self._resized)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if hasattr(signal, "SIGWINCH") and self._previous_handler is not None:
            signal.signal(signal.SIGWINCH, self._previous_handler)  # type: ignore[arg-type]
        self.live.__exit__(None, None, None)

    def _resized(self, *_: object) -> None:
        if self.last is not None:
            self.show(self.last)

    def fit(self, rows: pd.DataFrame, height: int) -> tuple[pd.DataFrame, int]:
        """The rows that fit ``height`` lines (a KPI heading row and a gap per KPI), and how
        many are left out."""
        kpis = rows["kpi"].nunique() if len(rows) else 0
        room = max(1, height - self.CHROME - 2 * kpis)
        return rows.head(room), max(0, len(rows) - room)

    def show(self, result: tuple[Results, pd.DataFrame]) -> None:
        import time

        from rich.console import Group
        from rich.text import Text

        self.last = result
        results, rows = result
        title = _progress_title(results, rows, self.rep, self.team)
        heading = Text.from_markup(_heading(results, title))
        shown, more = self.fit(rows, out.height)
        parts: list[object] = [heading, progress_table(results, shown, title)]
        if more:
            parts.append(
                Text.from_markup(
                    f"[yellow]… {more} more[/] [dim](a taller terminal, or --rep, --team, "
                    "--kpi, shows them)[/]"
                )
            )
        parts.append(
            Text.from_markup(
                f"[dim]updated {time.strftime('%H:%M:%S')} · watching "
                f"{literal(results.spec.path)} and its data files · Ctrl-C to quit[/]"
            )
        )
        self.live.update(Group(*parts))  # type: ignore[arg-type]
        self.live.refresh()

    def show_error(self, error: SalesperfError) -> None:
        from rich.text import Text

        lines = [f"[bold red]error:[/] {literal(error.message)}"]
        lines += ["  " + _finding_line(f) for f in error.findings]
        lines.append("[dim]fix the file and save: the view updates by itself[/]")
        self.live.update(Text.from_markup("\n".join(lines)))
        self.live.refresh()


def render_written(report: Path, per_rep: list[Path], beside: list[Path] | None = None) -> None:
    """Where the report went, on stderr (stdout stays clean for scripts); ``beside`` are the
    files written next to it (a Markdown report's charts), which must travel with it."""
    # soft_wrap: a path is never broken across lines (it is copied and pasted).
    err.print(f"[green]Wrote[/] {literal(str(report))}", soft_wrap=True)
    if beside:
        names = ", ".join(literal(p.name) for p in beside[:4]) + (", …" if len(beside) > 4 else "")
        err.print(
            f"[green]Wrote[/] {len(beside)} chart file(s) next to it, linked from the report: "
            f"{names}; copy them along with it",
            soft_wrap=True,
        )
    if per_rep:
        folder = literal(str(per_rep[0].parent))
        err.print(f"[green]Wrote[/] {len(per_rep)} rep reports in {folder}", soft_wrap=True)


def natural_width(table: Table) -> int:
    """The width ``table`` takes when nothing is wrapped or cut."""
    import io

    from rich.cells import cell_len

    wide = Console(width=1000, file=io.StringIO(), highlight=False, emoji=False)
    with wide.capture() as captured:
        wide.print(table)
    return max((cell_len(line) for line in captured.get().splitlines()), default=0)


def fitted_table(
    columns: list[tuple[str, dict[str, Any]]],
    rows: list[tuple[list[str], str | None]],
    drop_order: list[int],
    width: int | None = None,
) -> tuple[Table, list[str]]:
    """A table whose numbers are never cut: columns go, in ``drop_order`` (indexes, the
    least needed first), until the table fits ``width`` (the terminal's). Returns the table
    and the headers left out, for a note (JSON and Markdown always carry every column)."""
    from rich import box

    width = width or out.width
    shown = list(range(len(columns)))
    pending = list(drop_order)
    while True:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for i in shown:
            header, options = columns[i]
            table.add_column(header, **options)
        for cells, style in rows:
            table.add_row(*(cells[i] for i in shown), style=style)
        if not pending or natural_width(table) <= width:
            return table, [columns[i][0] for i in range(len(columns)) if i not in shown]
        shown.remove(pending.pop(0))
