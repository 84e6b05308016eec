"""The comparing commands of `salesperf`: backtest (target methods and alert rules against
what happened) and diff (two report JSONs).

Registered on :data:`salesperf.cli.app` when :mod:`salesperf.cli` is imported.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from salesperf.cli.commands import (
    AsOfOpt,
    KpiOpt,
    SpecPath,
    _guard,
    _json,
    _review,
    app,
)


class BacktestFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


@app.command()
def backtest(
    spec_path: SpecPath,
    periods: Annotated[
        int | None,
        typer.Option(
            "--periods",
            "-n",
            min=1,
            max=60,
            help="Closed periods to replay (default: 6, or periods: under backtest: in kpi.yaml).",
        ),
    ] = None,
    as_of: AsOfOpt = None,
    kpi: KpiOpt = None,
    methods: Annotated[
        str | None,
        typer.Option(
            "--methods",
            help="Methods to compare with the configured one, separated by commas "
            "(default: each of the standard ones that fits the KPI).",
        ),
    ] = None,
    alerts: Annotated[
        bool, typer.Option("--alerts/--no-alerts", help="Also replay the alert rules.")
    ] = True,
    output_format: Annotated[
        BacktestFormat, typer.Option("--format", "-f", help="table, json or md.")
    ] = BacktestFormat.table,
) -> None:
    """Would these targets and alerts have worked? Replay them.

    For each of the last N closed periods, targets are set as the spec would have set them then
    (only from earlier data) and compared with what happened: median attainment, share of reps on
    target, p10-p90 spread, company forecast error (MAPE, bias) and, for allocated KPIs, how often a
    rep's target was above 150% or below 50% of what they did. The configured method is compared
    with alternatives, and the one closest to the `backtest:` criterion of kpi.yaml is named (by
    default last_year, trailing_mean, trailing_median and seasonal are compared, where they fit the
    KPI). The alert rules are replayed too: alerts per rule and period, and how many were followed
    by a period behind target. The spec is never changed.

    Examples:

      salesperf backtest examples/kpi.yaml

      salesperf backtest kpi.yaml --methods last_year,seasonal

      salesperf backtest kpi.yaml -n 12 -f md > bt.md

      salesperf backtest kpi.yaml -f json | jq '.kpis[].best'
    """
    with _guard():
        from salesperf.backtest import parse_methods, run_backtest

        chosen = parse_methods(methods)
        review = _review(spec_path, None, as_of, busy=False, stages=())
        result = run_backtest(
            review,
            periods=periods,
            kpi=kpi,
            methods=chosen,
            alerts=alerts,
        )
        if output_format is BacktestFormat.json:
            typer.echo(_json(result.to_dict()), nl=False)
        else:
            from salesperf.cli import render_backtest as cli_render_backtest

            if output_format is BacktestFormat.md:
                typer.echo(cli_render_backtest.backtest_markdown(result), nl=False)
            else:
                cli_render_backtest.render_backtest(result)


def _report_argument(metavar: str, which: str) -> typer.models.ArgumentInfo:
    argument: typer.models.ArgumentInfo = typer.Argument(
        metavar=metavar,
        help=f"The {which} JSON report (written by `salesperf report -f json`).",
        exists=True,
        dir_okay=False,
        readable=True,
    )
    return argument


@app.command()
def diff(
    old: Annotated[Path, _report_argument("OLD.json", "earlier")],
    new: Annotated[Path, _report_argument("NEW.json", "later")],
    output_format: Annotated[
        BacktestFormat, typer.Option("--format", "-f", help="table, md or json.")
    ] = BacktestFormat.table,
) -> None:
    """What changed between two runs: compare two JSON reports.

    Lists KPI values, targets and statuses that changed (company and every entity), scores,
    tiers and ranks, alerts that appeared or cleared, and whether the kpi.yaml or an input
    file changed (SHA-256 in the reports' provenance). Numbers within a relative 1e-9 are
    equal.

    Exit codes: 0 identical, 1 different, 2 a file that is not a salesperf JSON report.

    Examples:

      salesperf diff review-06-14.json review-06-21.json

      salesperf diff old.json new.json -f md > changes.md

      salesperf diff old.json new.json -f json | jq .inputs

      salesperf diff old.json new.json >/dev/null || echo new
    """
    with _guard():
        from salesperf.diff import diff_reports, load_report

        changes = diff_reports(load_report(old), load_report(new), str(old), str(new))
        if output_format is BacktestFormat.json:
            typer.echo(_json(changes.to_dict()), nl=False)
        else:
            from salesperf.cli import render_backtest as cli_render_backtest

            if output_format is BacktestFormat.md:
                typer.echo(cli_render_backtest.diff_markdown(changes), nl=False)
            else:
                cli_render_backtest.render_diff(changes)
    if not changes.identical:
        raise typer.Exit(1)
