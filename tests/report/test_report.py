"""`salesperf report`: golden Markdown/JSON, reproducibility, escaping, Excel, templates,
per-rep files, and what a browser actually renders."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.report import render_bytes, write_rep_reports, write_report
from salesperf.review import Review

ROOT = Path(__file__).parents[2]
MINI = Path(__file__).parents[1] / "fixtures" / "mini"
AS_OF = dt.date(2017, 6, 21)


@pytest.fixture(scope="module")
def example_review():
    """The bundled example's June 2017 review, loaded from the repository root so that the
    paths in its report's provenance are the same on every machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        yield Review("examples/kpi.yaml", as_of=AS_OF)


@pytest.fixture(scope="module")
def example(example_review):
    """Its report (view model with the chart pictures)."""
    return example_review.report()


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The mini project with names that try to become markup, formulas and paths."""
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    (project / "roster.csv").write_text(
        "id,name,team\n"
        'R1,<script>alert(1)</script>,"<img src=x onerror=alert(2)>"\n'
        'R2,"=HYPERLINK(""http://evil.example"",""click"")",North\n'
        "R3,Cy Diaz,South\n",
        encoding="utf-8",
    )
    orders = (project / "orders.csv").read_text(encoding="utf-8")
    (project / "orders.csv").write_text(orders.replace(",R3,", ",../../etc/passwd,"), "utf-8")
    (project / "roster.csv").write_text(
        (project / "roster.csv").read_text(encoding="utf-8").replace("R3,", "../../etc/passwd,"),
        encoding="utf-8",
    )
    return project


def test_golden_markdown(example, golden) -> None:
    golden("report-2017-06.md", render_bytes(example.view, "md").decode("utf-8"))


def test_golden_json(example, golden) -> None:
    text = render_bytes(example.view, "json").decode("utf-8")
    data = json.loads(text)
    assert data["schema"] == "salesperf.report/1"
    assert data["meta"]["period"] == "2017-06"
    golden("report-2017-06.json", text)


def test_json_and_excel_skip_the_chart_pictures_but_keep_the_trend(example_review, example) -> None:
    view = example_review.report(charts=False).view
    assert example_review.report(charts=False) is example_review.report(charts=False)
    assert all(k["chart_svg"] is None for k in view["kpis"])
    assert all(k["chart_svg"] for k in example.view["kpis"] if len(k["trend"]) >= 2)
    # The JSON leaves pictures out anyway: it is the same, trend numbers included.
    assert render_bytes(view, "json") == render_bytes(example.view, "json")


def test_cached_formatting_keeps_the_sign_of_zero(example) -> None:
    # The formatter caches by value, and -0.0 == 0.0 in a dict key: babel writes them apart.
    from salesperf.report.model import _Fmt

    fmt = _Fmt(example.results, "en")
    assert [fmt.value("revenue", v) for v in (0.0, -0.0, 0.0)] == ["$0", "-$0", "$0"]
    assert [fmt.value("revenue", v) for v in (None, float("nan"), 1234.5)] == ["–", "–", "$1,234"]
    assert [fmt.fraction(v) for v in (0.997, 0.997, None)] == ["99%", "99%", "–"]


def test_sections_present(example) -> None:
    view = example.view
    assert [k["kpi"] for k in view["headline"]][:2] == ["revenue", "orders"]
    assert view["scorecard"]["rows"][0]["rank"] == 1
    assert {a["rule"] for a in view["alerts"]} >= {"behind_pace", "gone_quiet", "duplicate_key"}
    assert [lv["level"] for lv in view["levels"]] == ["region", "team", "rep"]
    revenue = next(k for k in view["kpis"] if k["kpi"] == "revenue")
    assert len(revenue["trend"]) == 12
    assert revenue["chart_svg"].startswith("<svg")
    assert view["data_quality"][0]["duplicate_keys"] == 1
    files = [f["path"] for f in view["provenance"]["inputs"]]
    # Relative to kpi.yaml's folder, not to wherever the report was made.
    assert "data/orders-2016.csv" in files
    assert view["provenance"]["spec"]["path"] == "kpi.yaml"
    assert all(len(f["sha256"]) == 64 for f in view["provenance"]["inputs"])


def test_two_runs_give_identical_bytes(example, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    again = Review("examples/kpi.yaml", as_of=AS_OF).report()
    for fmt in ("html", "md", "json"):
        assert render_bytes(example.view, fmt) == render_bytes(again.view, fmt), fmt
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_report(example, "xlsx", first)
    write_report(again, "xlsx", second)
    assert first.read_bytes() == second.read_bytes()


def test_html_is_self_contained_and_escaped(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(hostile / "kpi.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<script" not in html.lower()  # no JavaScript at all
    # No external requests: nothing is loaded from anywhere (url(#id) is an in-page link).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|@import|url\((?!#)""", html)


def test_excel_numbers_formats_and_neutralised_formulas(hostile: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(app, ["report", str(hostile / "kpi.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Scorecard", "KPI results", "Alerts", "Data quality"]
    summary = book["Summary"]
    assert summary.freeze_panes == "A2"
    assert summary["A2"].value == "Revenue"
    assert summary["B2"].value == 1900  # a number, not "$1,900"
    assert summary["D2"].number_format == "0.0%"
    assert summary["B2"].number_format.startswith('"$"')
    results = book["KPI results"]
    assert results.auto_filter.ref is not None
    names = [c.value for c in results["E"]]
    assert '\'=HYPERLINK("http://evil.example","click")' in names
    assert not any(isinstance(v, str) and v.startswith("=") for v in names)


def test_per_rep_files_stay_inside_the_folder(hostile: Path, tmp_path: Path) -> None:
    folder = tmp_path / "reps"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(hostile / "kpi.yaml"),
            "-o",
            str(tmp_path / "r.md"),
            "--per-rep",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 3
    assert all((folder / name).resolve().parent == folder.resolve() for name in written)
    assert any(name.startswith("_._etc_passwd") or "etc_passwd" in name for name in written)
    # A rep's report holds their numbers and their team's, not other reps'.
    bo = next(folder / n for n in written if n.startswith("R2-"))
    text = bo.read_text(encoding="utf-8")
    assert "$700" in text and "Cy Diaz" not in text
    # Markdown reports link their charts as SVG files beside them.
    assert (tmp_path / "r-revenue.svg").exists() or "![" not in (tmp_path / "r.md").read_text()


def test_per_rep_names_that_clean_to_the_same_file_get_distinct_files(tmp_path: Path) -> None:
    """Rep ids "A/B" and "a:b" with the same name both clean to "A_B-Ann.html" on a file
    system that ignores case: the second gets "-2" instead of overwriting the first."""
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    for name in ("orders.csv", "pipeline.csv", "roster.csv"):
        path = project / name
        text = path.read_text(encoding="utf-8").replace("R1,", "A/B,").replace("R2,", "a:b,")
        path.write_text(text.replace("Bo Chen", "Ann Lee"), encoding="utf-8")
    folder = tmp_path / "reps"
    args = ["report", str(project / "kpi.yaml"), "-o", str(tmp_path / "r.html")]
    result = CliRunner().invoke(app, [*args, "--per-rep", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "A_B-Ann Lee.html",
        "R3-Cy Diaz.html",
        "a_b-Ann Lee-2.html",
    ]
    first, second = (folder / n for n in ("A_B-Ann Lee.html", "a_b-Ann Lee-2.html"))
    assert first.read_bytes() != second.read_bytes()  # each rep's own report


def test_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    result = CliRunner().invoke(
        app, ["report", str(project / "kpi.yaml"), "-f", "md", "-o", str(project / "orders.csv")]
    )
    assert result.exit_code == 2
    assert "the output path is one of the inputs" in result.output
    assert (project / "orders.csv").read_text().startswith("Order,Date")


def test_user_templates_override_and_are_sandboxed(tmp_path: Path) -> None:
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.md.j2").write_text("# {{ meta.title }} for {{ meta.period }}\n")
    out = tmp_path / "r.md"
    args = ["report", str(project / "kpi.yaml"), "-o", str(out), "--template-dir", str(templates)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_text() == "# Mini Co for 2017-06\n"
    # A typo is an error with the template and line, not a blank.
    (templates / "report.md.j2").write_text("line one\n{{ meta.titel }}\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "report.md.j2:2" in result.output and "titel" in result.output
    # The sandbox refuses to reach outside the view model.
    (templates / "report.md.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "unsafe" in result.output or "not safely" in result.output
    assert "Traceback" not in result.output


def test_format_from_extension_and_default_name(tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", str(project / "kpi.yaml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "salesperf-report-2017-06.html").exists()
    result = CliRunner().invoke(app, ["report", str(project / "kpi.yaml"), "-o", "x.json"])
    assert json.loads((tmp_path / "x.json").read_text())["schema"] == "salesperf.report/1"


def test_chinese_report(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    bundle = Review("examples/zh/kpi.yaml").report()
    html = render_bytes(bundle.view, "html").decode("utf-8")
    assert '<html lang="zh-CN">' in html
    assert "达成率" in html and "销售额" in html
    assert "¥" in html or "￥" in html
    reps = write_rep_reports(bundle, "md", tmp_path / "reps")
    assert reps and "个人业绩反馈" in reps[0].read_text(encoding="utf-8")


sys.path.insert(0, str(ROOT / "scripts"))
from browser import Browser, chromium, pdf_pages  # noqa: E402

#: Printed pages (A4) each example may take: the English one has 29 reps, 11 alerts with
#: their analysis and 8 KPIs; the Chinese one 9 reps and 5 KPIs. A section no longer
#: starts a page, so more pages means something is cut or pushed.
PAGE_BUDGET = {"en": 10, "zh": 6}
PHONE = 390
DESKTOP = 1280


@pytest.fixture(scope="module")
def browser():
    if chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with Browser() as running:
        yield running


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The English example mid-month (open period) and the Chinese one, as HTML files."""
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        for name, spec, as_of in (
            ("en", "examples/kpi.yaml", AS_OF),
            ("zh", "examples/zh/kpi.yaml", None),
        ):
            bundle = Review(spec, as_of=as_of).report()
            page = folder / f"{name}.html"
            write_report(bundle, "html", page)
            out[name] = (bundle, page)
    return out


def _last_actuals(bundle) -> dict[str, tuple[float, float | None]]:
    """kpi -> (the actual to date of the last period, its projection)."""
    return {
        k["kpi"]: (k["trend"][-1]["actual"], k["trend"][-1]["projected"])
        for k in bundle.view["kpis"]
        if k["chart_svg"]
    }


@pytest.mark.parametrize("name", ["en", "zh"])
def test_browser_desktop_charts_show_the_actual_to_date(browser, rendered, name) -> None:
    bundle, page = rendered[name]
    view = browser.open(page.as_uri(), width=DESKTOP)
    facts = view.measure()
    view.close()
    assert facts["stacked"] == [], "CJK text wrapped one character a line"
    expected = _last_actuals(bundle)
    assert {c["kpi"] for c in facts["charts"]} == set(expected)
    for chart in facts["charts"]:
        actual, projected = expected[chart["kpi"]]
        # The last solid point, read back from where it is drawn against the labelled grid
        # lines, is the actual to date (within 1% of the axis), never the projection.
        assert chart["last_actual"] == pytest.approx(actual, abs=0.01 * chart["range"])
        if projected is not None:
            assert chart["projected"], chart["kpi"]
            assert abs(chart["last_actual"] - projected) > 0.02 * chart["range"]
    if name == "en":  # mid-month: the amounts have a projection, drawn apart
        assert any(c["projected"] for c in facts["charts"])


@pytest.mark.parametrize("name", ["en", "zh"])
def test_browser_phone_fits_and_reads(browser, rendered, name) -> None:
    _, page = rendered[name]
    view = browser.open(page.as_uri(), width=PHONE, mobile=True)
    facts = view.measure()
    view.close()
    assert facts["viewport"] == PHONE
    # Nothing wider than the phone, except inside a marked sideways-scrolling table.
    assert facts["overflow"] == []
    assert facts["stacked"] == [], "CJK text wrapped one character a line"
    # Charts full width (the page has 10 px margins) with text a reader can read.
    assert all(c["width"] >= PHONE - 30 for c in facts["charts"]), facts["charts"]
    assert all(c["smallest_text"] >= 9 for c in facts["charts"]), facts["charts"]
    # The headline's status is on screen without scrolling the table.
    assert facts["status_right"] and all(r <= PHONE for r in facts["status_right"])


@pytest.mark.parametrize("name", ["en", "zh"])
def test_browser_print_fits_the_page_within_budget(browser, rendered, name) -> None:
    _, page = rendered[name]
    view = browser.open(page.as_uri(), width=DESKTOP)
    pdf = view.pdf()
    # A4 minus 12 mm margins is 718 CSS pixels: laid out at that width for print, nothing
    # may stick out (a printed table cannot scroll).
    view.call("Emulation.setEmulatedMedia", media="print")
    view.call(
        "Emulation.setDeviceMetricsOverride",
        width=718,
        height=1000,
        deviceScaleFactor=1,
        mobile=False,
    )
    facts = view.evaluate(
        "[...document.querySelectorAll('table')].filter(t => t.getBoundingClientRect().right > "
        "document.documentElement.clientWidth + 1).length"
    )
    stacked = view.measure()["stacked"]
    view.close()
    assert pdf.startswith(b"%PDF")
    assert 1 <= pdf_pages(pdf) <= PAGE_BUDGET[name]
    assert facts == 0, "a table is cut at the printed page's edge"
    assert stacked == []


def test_markdown_escapes_markup_in_names(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    reps = tmp_path / "reps"
    args = ["report", str(hostile / "kpi.yaml"), "-o", str(out), "--per-rep", str(reps)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for text in [out.read_text(encoding="utf-8")] + [
        p.read_text(encoding="utf-8") for p in reps.iterdir()
    ]:
        unescaped = text.replace("\\<", "")  # "\\<" shows "<" and starts no tag
        assert "<script" not in unescaped and "<img" not in unescaped
    assert "\\<script\\>alert(1)\\</script\\>" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "r.pdf"], "-o r.pdf: '.pdf' is not a report format; name the file with one of"),
        (["-f", "md", "-o", "r.html"], "--format md but -o r.html is a .html name"),
    ],
)
def test_the_format_follows_the_extension_or_it_is_an_error(
    tmp_path: Path, monkeypatch, args: list[str], message: str
) -> None:
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", str(project / "kpi.yaml"), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / args[-1]).exists()


def test_markdown_report_says_it_wrote_chart_files(tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", str(project / "kpi.yaml"), "-o", "r.md"])
    assert result.exit_code == 0, result.output
    charts = sorted(p.name for p in tmp_path.glob("r-*.svg"))
    assert charts
    text = " ".join(result.output.split())
    assert f"Wrote {len(charts)} chart file(s) next to it, linked from the report:" in text
    assert charts[0] in text
