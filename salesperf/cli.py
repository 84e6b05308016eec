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
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from salesperf import __version__
from salesperf.errors import SalesperfError

app = typer.Typer(
    name="salesperf",
    help=(
        "Sales performance management from a KPI spec (kpi.yaml) and CRM/ERP exports.\n\n"
        "Examples:\n\n"
        "  salesperf init data/orders.csv -o kpi.yaml\n\n"
        "  salesperf check examples/kpi.yaml\n\n"
    ),
    no_args_is_help=True,
    add_completion=False,
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
    if debug:
        _state["debug"] = True


def _fail(exc: SalesperfError) -> NoReturn:
    from salesperf import cli_render

    cli_render.print_error(exc)
    raise typer.Exit(exc.exit_code)


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    """Map library errors to exit codes; never show a raw traceback unless --debug."""
    try:
        yield
    except SalesperfError as exc:
        _fail(exc)
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:
        if _state["debug"]:
            raise
        typer.echo(
            f"salesperf: internal error ({type(exc).__name__}). This is a bug in salesperf, "
            "not in your data or spec. Rerun the same command with --debug to see the "
            "traceback, and report it with the command line you used (leave out confidential "
            "data).",
            err=True,
        )
        raise typer.Exit(3) from None


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
    """Validate the spec, load every source and review each KPI (SMART).

    Prints, per source: files, format and encoding detected, rows, date range, reps, teams,
    rejected rows by reason, duplicate keys, negative amounts, future dates and reps missing
    from the roster; then a SMART review of each KPI.

    Exit codes: 0 usable, 1 warnings with --strict, 2 errors.

    Examples:

      salesperf check examples/kpi.yaml

      salesperf check kpi.yaml --format json | jq .findings

      salesperf check kpi.yaml --strict || echo "fix the warnings first"
    """
    with _guard():
        from salesperf.check import run_check

        report = run_check(spec_path)
        if output_format is CheckFormat.json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            from salesperf import cli_render

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
    """Write a starter kpi.yaml with the recognised columns of an export mapped.

    Recognises English and Chinese headers (Sales Rep/销售员/业务员 -> rep, Order Date/订单日期
    -> date, Amount/销售额/金额 -> amount, Customer/客户名称 -> customer, Team/团队 -> team...)
    and adds a few starter KPIs. Never overwrites a file without --force.

    Examples:

      salesperf init data/orders.csv

      salesperf init 销售明细.xlsx --sheet 0 -o kpi.yaml --force
    """
    with _guard():
        from salesperf.errors import Finding, Level, Location, UsageError
        from salesperf.outputs import atomic_write_text, refuse_inputs
        from salesperf.scaffold import build_scaffold
        from salesperf.sources import read_header

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
        headers = read_header(data_file, sheet=sheet_arg)
        scaffold = build_scaffold(data_file, headers, output.parent)
        atomic_write_text(output, scaffold.text)
        from salesperf import cli_render

        cli_render.render_init(output, scaffold)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="salesperf")
