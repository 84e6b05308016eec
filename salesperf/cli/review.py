"""The review commands of `salesperf`: evaluate, feedback-form, alerts and report.

Registered on :data:`salesperf.cli.app` when :mod:`salesperf.cli` is imported; the same
rules hold as there: parse options, call the library, render, exit codes via ``_guard``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from salesperf.cli.commands import (
    AsOfOpt,
    PeriodOpt,
    SpecPath,
    TableFormat,
    _guard,
    _json,
    _review,
    app,
)


@app.command()
def evaluate(
    spec_path: SpecPath,
    period: PeriodOpt = None,
    as_of: AsOfOpt = None,
    team: Annotated[str | None, typer.Option("--team", help="One team and its reps.")] = None,
    rep: Annotated[
        str | None,
        typer.Option("--rep", help="One rep's full scorecard and plan, by id or name."),
    ] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="Rank another level: team, region...")
    ] = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="table, json or csv.")
    ] = TableFormat.table,
) -> None:
    """Scorecards, tiers, ranks, trends and improvement plans.

    Each weighted KPI scores its attainment to date (counted 0-120% by default; `scoring:`
    in kpi.yaml changes it), the weighted total gives a tier (`tiers:`), and reps are
    ranked within their team and the company, with the change since the previous period.
    Teams and the company are scored from their own KPI values, not averages of reps.
    --rep adds the rep's improvement plan and this period's feedback comments. JSON and
    CSV carry every number as a fraction (a score of 1.0 = 100 points).

    Examples:

      salesperf evaluate examples/kpi.yaml

      salesperf evaluate kpi.yaml --as-of 2017-06-21

      salesperf evaluate kpi.yaml --rep "Sarah Mitchell"

      salesperf evaluate kpi.yaml --team Rockies -p 2017-03

      salesperf evaluate kpi.yaml -f csv > scorecard.csv
    """
    with _guard():
        from salesperf.evaluation.performance import csv_frame, select, to_dict

        message = "Reading the exports and scoring…"
        review = _review(spec_path, period, as_of, message=message, stages=("evaluation",))
        evaluation = review.evaluation
        selection = select(evaluation, rep=rep, team=team, level=level)
        if output_format is TableFormat.json:
            typer.echo(_json(to_dict(evaluation, selection)), nl=False)
        elif output_format is TableFormat.csv:
            from salesperf.outputs import csv_text

            typer.echo(csv_text(csv_frame(evaluation, selection)), nl=False)
        else:
            from salesperf.cli import render_evaluate as cli_render_evaluate

            cli_render_evaluate.render_evaluation(evaluation, selection)


@app.command("feedback-form")
def feedback_form(
    spec_path: SpecPath,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The .xlsx form to write.", dir_okay=False)
    ],
    period: PeriodOpt = None,
    kinds: Annotated[
        str | None,
        typer.Option(
            "--kinds", help="Comma-separated kinds, one row per rep and kind (manager,peer)."
        ),
    ] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this team's reps.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an Excel form for manager or peer ratings.

    A 1-5 dropdown and a comment; one row per rep (x kind, x `feedback_form.criteria`), with the
    date (the period's last day), rep and kind filled in; headers in the report language, or the
    ones your feedback source already maps. The filled-in workbook is read back unchanged as a
    feedback source: the command prints the `sources:` entry to add. Never overwrites an input, nor
    an existing file without --force.

    Examples:

      salesperf feedback-form kpi.yaml -p 2017-06 -o form.xlsx

      salesperf feedback-form kpi.yaml --kinds peer -o p.xlsx
    """
    with _guard():
        from salesperf.evaluation.feedback_form import build_feedback_form, write_feedback_form
        from salesperf.spec import load_spec

        spec = load_spec(spec_path)
        chosen = kinds.split(",") if kinds is not None else None
        form = build_feedback_form(
            spec,
            period=period,
            kinds=chosen,
            team=team,
            file_name=_path_from_spec(output, spec_path),
        )
        write_feedback_form(output, form, force=force)
        from salesperf.cli import render_evaluate as cli_render_evaluate

        cli_render_evaluate.render_feedback_form(output, form)


class AlertSeverity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class FailOn(StrEnum):
    warning = "warning"
    critical = "critical"


class AlertFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


@app.command()
def alerts(
    spec_path: SpecPath,
    period: PeriodOpt = None,
    as_of: AsOfOpt = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="One rep's alerts, by id or name.")
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", help="One team's alerts and its reps'.")
    ] = None,
    min_severity: Annotated[
        AlertSeverity, typer.Option("--min-severity", help="Show alerts at or above this.")
    ] = AlertSeverity.info,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when an alert at or above this severity exists (whatever "
            "--min-severity shows).",
        ),
    ] = None,
    output_format: Annotated[
        AlertFormat,
        typer.Option("--format", "-f", help="table, json, or md (a digest for chat or e-mail)."),
    ] = AlertFormat.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing when there are no alerts.")
    ] = False,
) -> None:
    """What needs attention, and why: alerts with analysis.

    Rules: behind pace, off its own history (robust z), sharp change (vs last
    period or last year), consecutive declines, peer outlier, gone quiet, and
    data quality (duplicate keys, negative amounts that are not returns, future
    dates, unusually large rows, rows rejected at load, reps not on the roster).
    Thresholds live under `alerts:` in kpi.yaml. An alert on an additive KPI is
    split by the `drilldown:` fields, into volume and value, and into new, lost
    and existing customers.

    Exit codes: 0 ok, 1 with --fail-on when an alert at or above it exists,
    2 errors.

    Examples:

      salesperf alerts examples/kpi.yaml

      salesperf alerts kpi.yaml --min-severity warning

      salesperf alerts kpi.yaml --rep R05 --format json

      salesperf alerts kpi.yaml --fail-on critical --quiet
    """
    with _guard():
        from salesperf.anomalies import Severity, select, to_document

        review = _review(spec_path, period, as_of, stages=("results", "alerts"))
        results = review.results
        found = select(results, review.alerts, rep=rep, team=team)
        shown = [a for a in found if a.severity.rank >= Severity(min_severity.value).rank]
        if shown or not quiet:
            if output_format is AlertFormat.json:
                typer.echo(_json(to_document(results, shown)), nl=False)
            elif output_format is AlertFormat.md:
                from salesperf.anomalies.digest import markdown

                typer.echo(markdown(results, shown), nl=False)
            else:
                from salesperf.cli import render_alerts as cli_render_alerts

                cli_render_alerts.render_alerts(results, shown)
    if fail_on is not None and any(a.severity.rank >= Severity(fail_on.value).rank for a in found):
        raise typer.Exit(1)


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    xlsx = "xlsx"
    json = "json"


class LocaleOpt(StrEnum):
    en = "en"
    zh_CN = "zh-CN"


@app.command()
def report(
    spec_path: SpecPath,
    period: PeriodOpt = None,
    as_of: AsOfOpt = None,
    output_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f", help="html, md, xlsx or json (default: from -o, else html)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default: named after the period and the format, in the "
            "current folder).",
        ),
    ] = None,
    per_rep: Annotated[
        Path | None,
        typer.Option(
            "--per-rep",
            metavar="DIR",
            help="Also write one feedback report per rep into this folder.",
        ),
    ] = None,
    template_dir: Annotated[
        Path | None,
        typer.Option(
            "--template-dir",
            help="Folder of templates that override the built-in ones by file name.",
            file_okay=False,
        ),
    ] = None,
    locale: Annotated[
        LocaleOpt | None, typer.Option("--locale", help="Report language (default: the spec's).")
    ] = None,
) -> None:
    """The period's report: HTML, Markdown, Excel or JSON.

    Headline, scorecard, roll-ups, KPI trends, alerts with their analysis, improvement
    plans, data quality and provenance.

    The same inputs and --as-of give byte-identical files (set SOURCE_DATE_EPOCH to stamp a
    generation time). Files are written atomically and never over an input.

    Examples:

      salesperf report examples/kpi.yaml

      salesperf report kpi.yaml --period 2017-05 -o review.md

      salesperf report kpi.yaml -o review.xlsx --per-rep reps/

      salesperf report examples/zh/kpi.yaml --locale zh-CN
    """
    with _guard():
        from salesperf.report import default_name, resolve_format, write_report

        fmt = resolve_format(output_format.value if output_format else None, output)
        review = _review(spec_path, period, as_of, stages=())
        bundle = review.report(
            locale=locale.value if locale else None,
            template_dir=template_dir,
            charts=fmt in ("html", "md"),  # JSON and Excel carry the trend as numbers
        )
        target = output or default_name(bundle.results.period.label, fmt)
        # Rep reports go to people: an Excel report comes with HTML rep reports.
        rep_fmt = "html" if fmt == "xlsx" else fmt
        written = write_report(bundle, fmt, target, per_rep=per_rep, per_rep_fmt=rep_fmt)
        reps = written[written.index(target) + 1 :]  # the company report, then the reps'
        from salesperf.cli import render as cli_render

        cli_render.render_written(target, reps, written[: written.index(target)])


def _path_from_spec(output: Path, spec_path: Path) -> str:
    """The form's path as a kpi.yaml `path:` reads it: relative to the spec's folder (paths
    in a spec are), absolute when it is on another drive."""
    import os

    try:
        return Path(os.path.relpath(output.resolve(), spec_path.resolve().parent)).as_posix()
    except ValueError:  # Windows: another drive
        return str(output.resolve())
