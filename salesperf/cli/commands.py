"""The `salesperf` command: a thin skin over the library.

Each command parses options, calls one library function and renders the result. Errors are
mapped to exit codes in one place (:func:`_guard`): 0 ok, 1 findings at or above a
threshold (``--strict``, ``--fail-on``), 2 usage/spec/data error, 3 internal error.
pandas and friends are imported inside commands so ``salesperf --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from salesperf import __version__
from salesperf.cli.helpfmt import Command, Group
from salesperf.cli.options import cli_error
from salesperf.errors import SalesperfError

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.engine.pipeline import Results
    from salesperf.review import Review


_Function = TypeVar("_Function", bound=Callable[..., Any])


class _Typer(typer.Typer):
    """Every command's help in the house style (:mod:`salesperf.cli.helpfmt`)."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[_Function], _Function]:
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


app = _Typer(
    name="salesperf",
    cls=Group,
    help=(
        "Sales performance management from a KPI spec (kpi.yaml) and CRM/ERP exports.\n\n"
        "Examples:\n\n"
        "  salesperf init data/orders.csv -o kpi.yaml\n\n"
        "  salesperf check examples/kpi.yaml\n\n"
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)

_state = {"debug": bool(os.environ.get("SALESPERF_DEBUG"))}

SpecPath = Annotated[
    Path,
    typer.Argument(
        metavar="KPI_YAML",
        help="The KPI definition (kpi.yaml).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


class CheckFormat(StrEnum):
    table = "table"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"salesperf {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    # Set on every run, not only turned on: one process (a test session, a notebook) may run
    # several commands, and --debug must not leak from one into the next.
    _state["debug"] = debug or bool(os.environ.get("SALESPERF_DEBUG"))


def _fail(exc: SalesperfError) -> NoReturn:
    from salesperf.cli import render as cli_render

    cli_render.print_error(cli_error(exc))
    raise typer.Exit(exc.exit_code)


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    """Map library errors to exit codes; never show a raw traceback unless --debug.

    Ctrl-C is "Interrupted.", exit 130, even when a library swallowed the KeyboardInterrupt
    (in a ``__del__`` or a broad ``except``): :mod:`salesperf.interrupts` records it, outputs
    are not committed and the command does not end with 0.
    """
    from salesperf import interrupts

    installed = interrupts.install()
    try:
        with _mapped_errors():
            yield
            interrupts.check()
    finally:
        if installed:
            interrupts.uninstall()


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    from salesperf import interrupts

    try:
        yield
    except SalesperfError as exc:
        _fail(exc)
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        interrupts.report()
        raise typer.Exit(130) from None
    except BrokenPipeError:
        # The reader went away (`salesperf progress -f csv | head`): not an error of ours.
        _silence_stdout()
        raise typer.Exit(0) from None
    except Exception as exc:
        if _state["debug"]:
            import traceback

            traceback.print_exc()  # to stderr; still exit 3, which scripts rely on
            raise typer.Exit(3) from None
        if isinstance(exc, MemoryError):
            typer.echo(
                "salesperf: out of memory. The inputs are too large for this machine: "
                "export fewer rows (a shorter period) or run it where more memory is free.",
                err=True,
            )
            raise typer.Exit(3) from None
        typer.echo(
            f"salesperf: internal error ({type(exc).__name__}). This is a bug in salesperf, "
            "not in your data or spec. Rerun the same command with --debug to see the "
            "traceback, and report it with the command line you used (leave out confidential "
            "data).",
            err=True,
        )
        raise typer.Exit(3) from None


def _silence_stdout() -> None:
    import sys

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@app.command()
def check(
    spec_path: SpecPath,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
    ] = CheckFormat.table,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when there are warnings.")
    ] = False,
) -> None:
    """Validate the spec and the data; review each KPI (SMART).

    Loads every source and prints, per source: files, format and encoding detected, rows,
    date range, reps, teams, rejected rows by reason, duplicate keys, negative amounts,
    future dates and reps missing from the roster; then a SMART review of each KPI.

    Exit codes: 0 usable, 1 warnings with --strict, 2 errors.

    Examples:

      salesperf check examples/kpi.yaml

      salesperf check kpi.yaml -f json | jq .findings

      salesperf check kpi.yaml --strict || echo "fix first"
    """
    with _guard():
        from salesperf.check import run_check

        report = run_check(spec_path)
        if output_format is CheckFormat.json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            from salesperf.cli import render as cli_render

            cli_render.render_check(report)
    if report.errors:
        raise typer.Exit(2)
    if strict and report.warnings:
        raise typer.Exit(1)


@app.command()
def init(
    data_file: Annotated[
        Path,
        typer.Argument(
            metavar="EXPORT",
            help="A CSV/Excel export whose header row is read.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the starter spec.")
    ] = Path("kpi.yaml"),
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Excel sheet name or 0-based index.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a starter kpi.yaml for an export, saying why.

    Prints the spec with the reason for each choice. Recognises English and Chinese headers
    (Sales Rep/销售员/业务员 -> rep, Order Date/订单日期 -> date,
    Amount/close_value/实付金额 -> amount, Customer ID/客户ID -> customer...) and reads the
    first rows: repeating order ids (line items), quantity x unit price (a derived amount),
    won/lost stages (a pipeline), a roster file or sheet next to it. Never overwrites a file
    without --force.

    Examples:

      salesperf init data/orders.csv

      salesperf init 销售明细.xlsx --sheet 0 --force
    """
    with _guard():
        from salesperf.errors import Finding, Level, Location, UsageError
        from salesperf.outputs import atomic_write_text, refuse_inputs
        from salesperf.scaffold import build_scaffold

        if output.exists() and not force:
            raise UsageError(
                "Not overwriting:",
                [
                    Finding(
                        Level.ERROR,
                        "file exists; pass --force to replace it or -o to write elsewhere",
                        Location(str(output)),
                        "exists",
                    )
                ],
            )
        refuse_inputs(output, [data_file])
        sheet_arg: str | int | None = int(sheet) if sheet and sheet.isdigit() else sheet
        scaffold = build_scaffold(
            data_file, None, output.parent, sheet=sheet_arg, spec_name=output.name
        )
        atomic_write_text(output, scaffold.text)
        from salesperf.cli import render as cli_render

        cli_render.render_init(output, scaffold)


class TableFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


PeriodOpt = Annotated[
    str | None,
    typer.Option(
        "--period",
        "-p",
        help="Period to review: 2017-06, 2017-Q2, 2017-W23, 2017 or FY2017 (the spec's "
        "grain). Default: the period containing --as-of.",
    ),
]
AsOfOpt = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Count rows up to this date (YYYY-MM-DD). Default: the last date in the data.",
    ),
]
KpiOpt = Annotated[str | None, typer.Option("--kpi", help="Only this KPI id.")]


def _emit(text: str, output: Path | None, inputs: list[str]) -> None:
    """Print to stdout, or write atomically to -o (never over an input)."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    from salesperf.outputs import atomic_write_text, refuse_inputs

    refuse_inputs(output, inputs)
    atomic_write_text(output, text)
    from salesperf.cli.render import printable

    typer.echo(f"Wrote {printable(output)}", err=True)


def _review(
    spec_path: Path,
    period: str | None,
    as_of: datetime | None,
    *,
    busy: bool = True,
    message: str = "Reading the exports and computing…",
    stages: tuple[str, ...] = ("results",),
) -> Review:
    """A :class:`~salesperf.review.Review` of the period, with ``stages`` computed behind
    the spinner."""
    from salesperf.review import Review

    with _busy(message) if busy else contextlib.nullcontext():
        review = Review(spec_path, period, as_of.date() if as_of else None)
        for stage in stages:
            getattr(review, stage)
        return review


def _evaluate(
    spec_path: Path, period: str | None, as_of: datetime | None, *, busy: bool = True
) -> Results:
    return _review(spec_path, period, as_of, busy=busy).results


@contextlib.contextmanager
def _busy(message: str, delay: float = 1.0) -> Iterator[None]:
    """A spinner on stderr when the work takes longer than ``delay`` seconds, and only when
    stdout and stderr are a terminal: cron jobs, pipes and redirects never see it."""
    import sys
    import threading

    if not (sys.stdout.isatty() and sys.stderr.isatty()):
        yield
        return
    from rich.console import Console

    status = Console(stderr=True).status(message)
    lock, done = threading.Lock(), threading.Event()

    def show() -> None:
        with lock:
            if not done.is_set():
                status.start()

    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            done.set()
            status.stop()


@app.command()
def targets(
    spec_path: SpecPath,
    period: PeriodOpt = None,
    kpi: KpiOpt = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="table, csv or json.")
    ] = TableFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (csv/json).")
    ] = None,
) -> None:
    """Proposed targets for a period at every level, with basis.

    The CSV is accepted unchanged as a target overrides file (`targets: {overrides: ...}`
    in kpi.yaml): adjust it in Excel and feed it back.

    Examples:

      salesperf targets examples/kpi.yaml --period 2017-07

      salesperf targets kpi.yaml -f csv -o targets.csv
    """
    with _guard():
        from salesperf.cli import views

        results = _evaluate(spec_path, period, None)
        rows = views.target_rows(results, kpi)
        if output_format is TableFormat.table and output is None:
            from salesperf.cli import render as cli_render

            cli_render.render_targets(results, rows)
            return
        if output_format is TableFormat.csv or (output and output.suffix.lower() == ".csv"):
            from salesperf.outputs import csv_text

            text = csv_text(views.targets_csv_frame(rows))
        else:
            text = _json(results.to_dict(rows))
        _emit(text, output, [str(spec_path), *results.dataset.input_files()])


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


@app.command()
def progress(
    spec_path: SpecPath,
    period: PeriodOpt = None,
    as_of: AsOfOpt = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="One rep, by id or name (case-insensitive).")
    ] = None,
    team: Annotated[str | None, typer.Option("--team", help="One team and its reps.")] = None,
    kpi: KpiOpt = None,
    level: Annotated[
        str | None, typer.Option("--level", help="List every entity of a level: rep, team...")
    ] = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="table, json or csv.")
    ] = TableFormat.table,
) -> None:
    """Am I on track? Actual vs target, pace, projection.

    Worst first. Without --rep/--team/--level it shows the company and the outermost roster level.

    Examples:

      salesperf progress examples/kpi.yaml

      salesperf progress examples/kpi.yaml --rep "maria"

      salesperf progress kpi.yaml --team North --kpi revenue

      salesperf progress kpi.yaml --period 2017-05 -f json
    """
    with _guard():
        from salesperf.cli import views

        results = _evaluate(spec_path, period, as_of)
        rows = views.progress_rows(results, rep=rep, team=team, kpi=kpi, level=level)
        if output_format is TableFormat.json:
            typer.echo(_json(results.to_dict(rows)), nl=False)
        elif output_format is TableFormat.csv:
            from salesperf.outputs import csv_text

            export = rows.copy()
            export["target_basis"] = export["target_basis"].map(views.describe_basis)
            typer.echo(csv_text(export), nl=False)
        else:
            from salesperf.cli import render as cli_render

            cli_render.render_progress(results, rows, title_rep=rep, title_team=team)


@app.command()
def watch(
    spec_path: SpecPath,
    period: PeriodOpt = None,
    rep: Annotated[str | None, typer.Option("--rep", help="One rep, by id or name.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="One team and its reps.")] = None,
    kpi: KpiOpt = None,
    level: Annotated[str | None, typer.Option("--level", help="rep, team, region...")] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.2, help="Seconds between file checks.")
    ] = 2.0,
) -> None:
    """Live progress view, redrawn when a file changes.

    Recomputes when the spec or a source file changes, and redraws when the terminal is
    resized; the header names the --rep or --team shown. Quit with Ctrl-C.

    Examples:

      salesperf watch examples/kpi.yaml --team North

      salesperf watch kpi.yaml --rep R07 --interval 5
    """
    from salesperf.cli import render as cli_render
    from salesperf.cli.watch import watch_files

    def compute() -> tuple[Results, pd.DataFrame]:
        from salesperf.cli import views

        results = _evaluate(spec_path, period, None, busy=False)  # the live view shows it
        rows = views.progress_rows(results, rep=rep, team=team, kpi=kpi, level=level)
        return results, rows

    try:
        with _guard():
            view = cli_render.live_progress(rep=rep, team=team)
            watch_files(spec_path, compute, view, interval=interval)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
