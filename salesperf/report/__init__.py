"""`salesperf report`: the evaluation and feedback report, in HTML, Markdown, Excel or JSON.

    review = Review("kpi.yaml", period="2017-06")
    write_report(review, "html", Path("report.html"))
    write_rep_reports(review, "html", Path("reps/"))

A :class:`~salesperf.review.Review` runs the stages once: results (targets, attainment) ->
evaluation (scores, plans) -> alerts -> trend; a view model (:mod:`salesperf.report.model`)
is made of them and rendered by templates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesperf.errors import Finding, Level, Location, UsageError, argument
from salesperf.outputs import destination, distinct_filename, refuse_inputs, write_files
from salesperf.report.model import build_view
from salesperf.report.render import render_json, render_template
from salesperf.report.sections import alerts_view, rep_view, scorecard_view

if TYPE_CHECKING:
    from salesperf.engine.pipeline import Results
    from salesperf.evaluation.performance import Evaluation
    from salesperf.review import Review

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
    """--format, else the format of ``-o``'s extension, else HTML (see :func:`check_output`)."""
    suffix = output.suffix.lower() if output is not None else ""
    return fmt or EXTENSIONS.get(suffix) or "html"


def check_output(fmt: str, output: Path) -> None:
    """A report file's extension must say what it holds: ``-o r.pdf`` (no such format) and
    ``--format md -o r.html`` are usage errors, not an HTML file named r.pdf. An output
    without an extension takes ``--format``."""
    suffix = output.suffix.lower()
    if suffix and suffix not in EXTENSIONS:
        known = ", ".join(EXTENSIONS)
        message = (
            f"-o {output}: '{suffix}' is not a report format; name the file with one of "
            f"{known} (the format follows the extension)"
        )
        raise UsageError("Cannot write the report:", [_usage(message)])
    by_suffix = EXTENSIONS.get(suffix)
    if by_suffix is not None and by_suffix != fmt:
        message = (
            f"--format {fmt} but -o {output} is a .{by_suffix} name; drop --format or name "
            f"the file .{fmt}"
        )
        raise UsageError("Cannot write the report:", [_usage(message)])


def _usage(message: str) -> Finding:
    return Finding(Level.ERROR, message, Location(key="--output"), "output-format")


def default_name(period: str, fmt: str) -> Path:
    return Path(f"salesperf-report-{period}.{fmt}")


def report_bundle(
    review: Review,
    *,
    locale: str | None = None,
    template_dir: Path | None = None,
    charts: bool = True,
) -> ReportBundle:
    """The report's view model from a review's stages (each computed once, by the review).

    ``locale`` defaults to the spec's; ``template_dir`` to the spec's ``report.templates``;
    ``charts=False`` leaves the chart pictures out (JSON and Excel carry the trend as
    numbers). Prefer :meth:`salesperf.review.Review.report`, which keeps the bundle.
    """
    results = review.results
    spec = results.spec
    locale = locale or spec.locale.value
    if template_dir is None and spec.report is not None and spec.report.templates:
        template_dir = spec.base_dir / spec.report.templates
    if template_dir is not None and not template_dir.is_dir():
        raise UsageError(
            "No such template folder:",
            [Finding(Level.ERROR, "not a folder", Location(str(template_dir)), "template-dir")],
        )
    alerts = alerts_view(results, review.alerts, locale)
    view = build_view(
        results,
        review.trend,
        locale=locale,
        alerts=alerts,
        scorecard=scorecard_view(review.evaluation, locale),
        charts=charts,
    )
    return ReportBundle(results, review.evaluation, view, alerts, locale, template_dir)


def render_bytes(view: dict[str, Any], fmt: str, template_dir: Path | None = None) -> bytes:
    if fmt == "json":
        return render_json(view).encode("utf-8")
    if fmt == "xlsx":
        raise ValueError("xlsx is written from the bundle, see write_report")
    return render_template(view, fmt, template_dir).encode("utf-8")


def _bundle(
    report: Review | ReportBundle, fmt: str, locale: str | None, template_dir: Path | None
) -> ReportBundle:
    if isinstance(report, ReportBundle):
        return report
    # JSON and Excel carry the trend as numbers: no chart pictures to draw.
    charts = fmt in ("html", "md")
    return report.report(locale=locale, template_dir=template_dir, charts=charts)


def report_inputs(bundle: ReportBundle) -> list[str]:
    """Files a report must never be written over: the spec, the data and the templates."""
    inputs = [str(bundle.results.spec.path), *bundle.results.dataset.input_files()]
    if bundle.template_dir is not None:
        folder = Path(bundle.template_dir)
        inputs += [str(p) for p in itertools.islice(folder.rglob("*"), 10_000) if p.is_file()]
    return inputs


def report_files(bundle: ReportBundle, fmt: str, output: Path) -> list[tuple[Path, bytes]]:
    """The company report's bytes (and, for Markdown, its charts as SVG files beside it).

    A Markdown report sent to a device or a pipe (``-o /dev/stdout``) has no folder for
    chart files: it goes without them.
    """
    files = []
    view = bundle.view
    if fmt == "md":
        view = _with_chart_files(view, output, with_files=not destination(output).stream)
        for section in view["kpis"]:
            if section["chart_file"]:
                chart = output.parent / section["chart_file"]
                files.append((chart, str(section["chart_svg"]).encode("utf-8")))
    if fmt == "xlsx":
        # lazy: openpyxl takes 0.6 s to import (python -X importtime); only Excel needs it.
        from salesperf.report.xlsx import workbook_bytes

        data = workbook_bytes(bundle)
    else:
        data = render_bytes(view, fmt, bundle.template_dir)
    files.append((output, data))
    return files


def write_report(
    report: Review | ReportBundle,
    fmt: str,
    output: str | Path,
    *,
    locale: str | None = None,
    template_dir: Path | None = None,
    per_rep: str | Path | None = None,
    per_rep_fmt: str | None = None,
) -> list[Path]:
    """Write the company report of a review (or of a bundle made already) as ``fmt``
    (html, md, xlsx or json) to ``output``; Markdown's charts are written as SVG files
    beside it; with ``per_rep``, one report per rep into that folder (as ``per_rep_fmt``,
    default ``fmt``). All of them or, if any fails, none: see
    :func:`salesperf.outputs.write_files`. Never over an input (the spec, the data, the
    templates). Returns the files written, the company report before the reps'."""
    output = Path(output)
    bundle = _bundle(report, fmt, locale, template_dir)
    refuse_inputs(output, report_inputs(bundle))  # the first thing to say about -o kpi.yaml
    check_output(fmt, output)
    files = report_files(bundle, fmt, output)
    folders = []
    if per_rep is not None:
        files += rep_report_files(bundle, per_rep_fmt or fmt, Path(per_rep))
        folders.append(Path(per_rep))
    write_files(files, report_inputs(bundle), folders)
    written = [path for path, _ in files]
    bundle.written.extend(written)
    return written


def _with_chart_files(
    view: dict[str, Any], output: Path, *, with_files: bool = True
) -> dict[str, Any]:
    """Markdown links its charts as .svg files written next to it."""
    stem = output.stem
    kpis = []
    for section in view["kpis"]:
        name = f"{stem}-{section['kpi']}.svg" if section["chart_svg"] and with_files else None
        kpis.append({**section, "chart_file": name})
    return {**view, "kpis": kpis}


def rep_report_files(bundle: ReportBundle, fmt: str, folder: Path) -> list[tuple[Path, bytes]]:
    """One feedback report per rep (their data, plus non-personal team context)."""
    if fmt == "xlsx":
        raise UsageError(
            "Rep reports are written as html, md or json:",
            [Finding(Level.ERROR, "use html, md or json", argument("fmt"), "format")],
        )
    reps = sorted(
        {
            e["entity"]
            for lv in bundle.view["levels"]
            if lv["level"] == "rep"
            for e in lv["entities"]
        }
    )
    on_roster = bundle.results.org.members
    files = []
    taken: set[str] = set()
    for rep in reps:
        if rep in on_roster.index and not bool(on_roster.at[rep, "on_roster"]):
            continue  # not on the roster: nobody to send it to
        view = rep_view(bundle.view, bundle.results, rep, bundle.evaluation, bundle.alerts)
        # Reps are sorted, so which of two colliding reps gets "-2" is the same every run.
        # "R01-Maria Gonzalez.html"; a rep whose id is the name is just "张伟.html".
        name = view["rep"]["name"]
        stem = rep if name == rep else f"{rep}-{name}"
        target = folder / distinct_filename(stem, f".{fmt}", taken)
        files.append((target, render_bytes(view, fmt, bundle.template_dir)))
    return files


def write_rep_reports(
    report: Review | ReportBundle,
    fmt: str,
    folder: str | Path,
    *,
    locale: str | None = None,
    template_dir: Path | None = None,
) -> list[Path]:
    """One feedback report per rep (their data, plus non-personal team context) as ``fmt``
    (html, md or json) into ``folder`` (made if missing): all of them or none. Returns the
    files written."""
    folder = Path(folder)
    bundle = _bundle(report, fmt, locale, template_dir)
    files = rep_report_files(bundle, fmt, folder)
    write_files(files, report_inputs(bundle), [folder])
    written = [path for path, _ in files]
    bundle.written.extend(written)
    return written
