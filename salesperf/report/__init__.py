"""`salesperf report`: the evaluation and feedback report, in HTML, Markdown, Excel or JSON.

    bundle = build_report("kpi.yaml", period="2017-06")
    write_report(bundle, "html", Path("report.html"))
    write_rep_reports(bundle, "html", Path("reps/"))

The stages run once: results (targets, attainment) -> evaluation (scores, plans) -> alerts;
then a view model (:mod:`salesperf.report.model`) is rendered by templates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesperf.errors import Finding, Level, Location, UsageError

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results
    from salesperf.evaluation.performance import Evaluation

FORMATS = ("html", "md", "xlsx", "json")
EXTENSIONS = {".html": "html", ".htm": "html", ".md": "md", ".xlsx": "xlsx", ".json": "json"}


@dataclass
class ReportBundle:
    results: Results
    evaluation: Evaluation | None
    view: dict[str, Any]
    alerts: list[dict[str, Any]] | None
    locale: str
    template_dir: Path | None
    written: list[Path] = field(default_factory=list)


def resolve_format(fmt: str | None, output: Path | None) -> str:
    """--format wins; else the output's extension; else HTML."""
    if fmt is not None:
        return fmt
    if output is not None and output.suffix.lower() in EXTENSIONS:
        return EXTENSIONS[output.suffix.lower()]
    return "html"


def default_name(period: str, fmt: str) -> Path:
    return Path(f"salesperf-report-{period}.{fmt}")


def build_report(
    spec_path: str | Path,
    *,
    period: str | None = None,
    as_of: dt.date | None = None,
    locale: str | None = None,
    template_dir: Path | None = None,
    charts: bool = True,
) -> ReportBundle:
    from salesperf.anomalies import detect
    from salesperf.evaluation.performance import evaluate_performance
    from salesperf.report.model import build_view
    from salesperf.report.sections import alerts_view, scorecard_view

    evaluation = evaluate_performance(spec_path, period=period, as_of=as_of)
    results = evaluation.results
    spec = results.spec
    locale = locale or spec.locale.value
    if template_dir is None and spec.report is not None and spec.report.templates:
        template_dir = Path(spec._base_dir) / spec.report.templates
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(
            "No such template folder:",
            [Finding(Level.ERROR, "not a folder", Location(str(template_dir)), "template-dir")],
        )
    # Alerts compare dates with "today". The data's own latest date (not the wall clock)
    # keeps the report reproducible, and a past --as-of does not make later rows "future".
    from salesperf.engine.pipeline import last_data_date

    today = max(results.as_of, last_data_date(results.dataset) or results.as_of)
    alerts = alerts_view(results, detect(results, today=today), locale)
    view = build_view(
        results,
        locale=locale,
        alerts=alerts,
        scorecard=scorecard_view(evaluation, locale),
        charts=charts,
    )
    return ReportBundle(results, evaluation, view, alerts, locale, template_dir)


def render_bytes(view: dict[str, Any], fmt: str, template_dir: Path | None = None) -> bytes:
    from salesperf.report.render import render_json, render_template

    if fmt == "json":
        return render_json(view).encode("utf-8")
    if fmt == "xlsx":
        raise ValueError("xlsx is written from the bundle, see write_report")
    return render_template(view, fmt, template_dir).encode("utf-8")


def write_report(bundle: ReportBundle, fmt: str, output: Path) -> list[Path]:
    """Write the company report (and, for Markdown, its charts as SVG files beside it)."""
    from salesperf.outputs import atomic_write_bytes, refuse_inputs

    inputs = [bundle.results.spec._path, *bundle.results.dataset.input_files()]
    refuse_inputs(output, inputs)
    written = []
    view = bundle.view
    if fmt == "md":
        view = _with_chart_files(view, output)
        for section in view["kpis"]:
            if section["chart_file"]:
                chart = output.parent / section["chart_file"]
                refuse_inputs(chart, inputs)
                atomic_write_bytes(chart, str(section["chart_svg"]).encode("utf-8"))
                written.append(chart)
    if fmt == "xlsx":
        from salesperf.report.xlsx import workbook_bytes

        data = workbook_bytes(bundle)
    else:
        data = render_bytes(view, fmt, bundle.template_dir)
    atomic_write_bytes(output, data)
    written.append(output)
    bundle.written.extend(written)
    return written


def _with_chart_files(view: dict[str, Any], output: Path) -> dict[str, Any]:
    """Markdown links its charts as .svg files written next to it."""
    stem = output.stem
    kpis = []
    for section in view["kpis"]:
        name = f"{stem}-{section['kpi']}.svg" if section["chart_svg"] else None
        kpis.append({**section, "chart_file": name})
    return {**view, "kpis": kpis}


def write_rep_reports(bundle: ReportBundle, fmt: str, folder: Path) -> list[Path]:
    """One feedback report per rep (their data, plus non-personal team context)."""
    from salesperf.outputs import atomic_write_bytes, distinct_filename, refuse_inputs
    from salesperf.report.sections import rep_view

    if fmt == "xlsx":
        raise UsageError(
            "--per-rep writes html, md or json:",
            [
                Finding(
                    Level.ERROR,
                    "use --format html, md or json",
                    Location(key="--per-rep"),
                    "format",
                )
            ],
        )
    folder.mkdir(parents=True, exist_ok=True)
    inputs = [bundle.results.spec._path, *bundle.results.dataset.input_files()]
    reps = sorted(
        {
            e["entity"]
            for lv in bundle.view["levels"]
            if lv["level"] == "rep"
            for e in lv["entities"]
        }
    )
    on_roster = bundle.results.org.members
    written = []
    taken: set[str] = set()
    for rep in reps:
        if rep in on_roster.index and not bool(on_roster.at[rep, "on_roster"]):
            continue  # not on the roster: nobody to send it to
        view = rep_view(bundle.view, bundle.results, rep, bundle.evaluation, bundle.alerts)
        # Reps are sorted, so which of two colliding reps gets "-2" is the same every run.
        target = folder / distinct_filename(f"{rep}-{view['rep']['name']}", f".{fmt}", taken)
        refuse_inputs(target, inputs)
        atomic_write_bytes(target, render_bytes(view, fmt, bundle.template_dir))
        written.append(target)
    bundle.written.extend(written)
    return written
