"""Qualitative inputs: NPS, feedback comments, and the Excel feedback form's round trip."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import openpyxl
import pytest
import yaml

from salesperf.errors import UsageError
from salesperf.evaluation.feedback import feedback_comments
from salesperf.evaluation.feedback_form import (
    build_feedback_form,
    mapping_yaml,
    write_feedback_form,
)
from salesperf.review import Review
from salesperf.sources import load_source
from salesperf.spec import load_spec
from salesperf.spec.models import SourceSpec
from tests.engine_helpers import dataset, frame, spec_from
from tests.review_fixture import (
    FEEDBACK_COLUMNS,
    ORDER_COLUMNS,
    ORDERS,
    ROSTER_COLUMNS,
    SPEC,
    in_memory,
    write_project,
)

JUNE_END = dt.date(2017, 6, 30)

NPS_SPEC = """
version: 1
sources:
  feedback: {path: f.csv, columns: {date: d, rep: r, kind: k, score: s, comment: c}}
org: {path: roster.csv, columns: {rep: rep, name: name, team: team}, levels: [team]}
kpis:
  - id: nps
    name: NPS
    source: feedback
    measure: nps
    column: score
    where: {kind: nps}
    min_responses: 3
    weight: 100
    target: {method: fixed, value: 0.3}
"""


def test_nps_pools_promoters_minus_detractors() -> None:
    spec = spec_from(NPS_SPEC)
    rows = [
        # A: promoters 10, 9; passive 7; detractor 3 -> (2 - 1) / 4 = 0.25
        ("2017-06-01", "A", "nps", 10.0, ""),
        ("2017-06-02", "A", "nps", 9.0, ""),
        ("2017-06-03", "A", "nps", 7.0, ""),
        ("2017-06-04", "A", "nps", 3.0, ""),
        # B: detractor 6, passive 8 -> (0 - 1) / 2 = -0.5, but 2 answers < min_responses 3
        ("2017-06-05", "B", "nps", 6.0, ""),
        ("2017-06-06", "B", "nps", 8.0, ""),
        ("2017-06-06", "B", "csat", 1.0, ""),  # another kind: not an NPS answer
        ("2017-06-07", "B", "nps", None, ""),  # unanswered: not counted
    ]
    data = dataset(
        spec,
        {"feedback": frame(rows, FEEDBACK_COLUMNS)},
        frame([("A", "Ann", "T1"), ("B", "Bob", "T1")], ROSTER_COLUMNS),
    )
    table = Review(spec, period="2017-06", as_of=JUNE_END, dataset=data).results.table.set_index(
        ["level", "entity"]
    )
    assert table.loc[("rep", "A"), "actual"] == pytest.approx(0.25)
    assert table.loc[("rep", "A"), "attainment"] == pytest.approx(0.25 / 0.3)
    assert table.loc[("rep", "B"), "status"] == "no_data"
    assert table.loc[("rep", "B"), "note"] == "insufficient data: 2 < min_responses 3"
    # T1 pools the 6 answers: (2 promoters - 2 detractors) / 6 = 0, not mean(0.25, -0.5).
    team = table.loc[("team", "T1")]
    assert (team["numerator"], team["denominator"], team["actual"]) == (0, 6, 0)


def test_comments_newest_first_in_the_period() -> None:
    data = in_memory()
    results = Review(data.spec, period="2017-06", as_of=JUNE_END, dataset=data).results
    comments = feedback_comments(results)
    # Blank comments are left out; July's is after the period.
    assert list(comments["comment"]) == [
        "Late reply on the invoice.",
        "Strong month, keep the pace.",
        "Delivery was late.",
        "Bob fixed it the same day.",
        "Quick and clear quote.",
    ]
    assert comments["date"].iloc[0] == dt.date(2017, 6, 25)
    ann = feedback_comments(results, rep="A", kinds=["manager"])
    assert list(ann["comment"]) == ["Strong month, keep the pace."]
    assert ann["name"].iloc[0] == "Ann"
    # As of the 15th, later comments are not in yet.
    early = Review(data.spec, period="2017-06", as_of=dt.date(2017, 6, 15), dataset=data).results
    assert len(feedback_comments(early)) == 3


# -- the form ----------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "review")


def test_form_layout(project: Path, tmp_path: Path) -> None:
    spec = load_spec(project)
    form = build_feedback_form(spec, period="2017-06", kinds=["manager", "peer"])
    assert (form.period, form.reps, form.rows) == ("2017-06", 3, 6)
    assert form.unused_kinds == ("manager", "peer")  # no KPI reads them yet
    path = tmp_path / "form.xlsx"
    write_feedback_form(path, form)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    assert sheet.title == "Feedback"
    # The feedback source's own headers, so the filled form loads with the same mapping.
    header = [c.value for c in sheet[1]]
    assert header == ["Date", "Rep", "Name", "Team", "Kind", "Reviewer", "Score", "Comment"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0][:5] == [dt.datetime(2017, 6, 30), "A", "Ann", "T1", "manager"]
    assert [r[1] for r in rows] == ["A", "A", "B", "B", "C", "C"]  # by team, then name
    assert sheet.freeze_panes == "A2"
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"1,2,3,4,5"'
    assert str(validation.sqref) == "G2:G7"
    assert sheet.column_dimensions["H"].width == 60
    assert book.worksheets[1].title == "Instructions"


def test_form_headers_in_chinese_and_neutralised(tmp_path: Path) -> None:
    text = """
    version: 1
    title: 评审
    locale: zh-CN
    sources:
      orders: {path: o.csv, columns: {date: Date, rep: Rep, amount: Amount}}
    org: {path: r.csv, columns: {rep: rep, name: name, team: team}, levels: [team]}
    kpis:
      - {id: revenue, name: 销售额, source: orders, measure: sum, column: amount, weight: 100}
    """
    spec = spec_from(text)
    roster = frame(
        [("A", '=HYPERLINK("http://evil")', "+T1"), ("B", "王芳", "华东")], ROSTER_COLUMNS
    )
    data = dataset(spec, {"orders": frame(ORDERS, ORDER_COLUMNS)}, roster)
    form = build_feedback_form(spec, period="2017-06", dataset=data)
    assert list(form.headers.values()) == [
        "日期",
        "销售员",
        "姓名",
        "团队",
        "类型",
        "评价人",
        "评分",
        "评语",
    ]
    path = tmp_path / "form.xlsx"
    write_feedback_form(path, form)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    assert (sheet.title, book.worksheets[1].title) == ("反馈", "填写说明")
    cells = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row}
    # Text that a spreadsheet would run as a formula stays text.
    assert '\'=HYPERLINK("http://evil")' in cells
    assert cells['\'=HYPERLINK("http://evil")'].data_type == "s"
    assert "'+T1" in cells
    prompt = sheet.data_validations.dataValidation[0].prompt
    assert prompt == "选择 1（差）到 5（优秀）"


def test_filled_form_round_trips_into_a_manager_kpi(project: Path) -> None:
    spec = load_spec(project)
    form = build_feedback_form(spec, period="2017-06", kinds=["manager"])
    path = project.parent / "reviews.xlsx"
    write_feedback_form(path, form)
    # A manager fills it in: Ann 4, Bob 5, Cai left blank (skipped).
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        rep = row[1].value
        row[5].value = "Dana"
        row[6].value = {"A": 4, "B": 5}.get(rep)
        row[7].value = "Great teamwork" if rep == "A" else None
    book.save(path)
    # The loader reads it unchanged with the mapping the form prints.
    mapping = yaml.safe_load(mapping_yaml("reviews", form.headers, "reviews.xlsx"))["reviews"]
    source = SourceSpec(**mapping)
    loaded = load_source("reviews", source, project.parent, numeric=["score"])
    assert loaded.rejected == []
    assert list(loaded.frame["score"].fillna(0)) == [4, 5, 0]
    assert loaded.frame["date"].dt.date.unique().tolist() == [dt.date(2017, 6, 30)]
    # ...and a KPI on it scores the ratings in the reviewed period.
    source_yaml = mapping_yaml("reviews", form.headers, "reviews.xlsx")
    text = textwrap.dedent(SPEC).replace("org:", source_yaml + "org:", 1)
    text += (
        "  - {id: manager, name: Manager rating, source: reviews, measure: mean, column: score,"
        " where: {kind: manager}, unit: score}\n"
    )
    project.write_text(text, encoding="utf-8")
    results = Review(load_spec(project), period="2017-06", as_of=JUNE_END).results
    table = results.table.set_index(["kpi", "level", "entity"])
    assert table.loc[("manager", "rep", "A"), "actual"] == 4
    assert table.loc[("manager", "team", "T1"), "actual"] == pytest.approx(4.5)
    assert table.loc[("manager", "rep", "C"), "status"] == "no_data"
    comments = feedback_comments(results, kinds=["manager"])
    assert "Great teamwork" in set(comments["comment"])


def test_form_team_filter_and_bad_options(project: Path) -> None:
    spec = load_spec(project)
    assert build_feedback_form(spec, period="2017-06", team="t2").reps == 1
    with pytest.raises(UsageError) as info:
        build_feedback_form(spec, period="2017-06", team="TT1")
    assert "no team called 'TT1' (did you mean 'T1'?)" in str(info.value)
    with pytest.raises(UsageError, match="at least one kind"):
        build_feedback_form(spec, period="2017-06", kinds=[" "])


def test_form_never_overwrites(project: Path) -> None:
    spec = load_spec(project)
    form = build_feedback_form(spec, period="2017-06")
    with pytest.raises(UsageError, match="Refusing to overwrite an input"):
        write_feedback_form(project.parent / "feedback.csv", form, force=True)
    target = project.parent / "form.xlsx"
    target.write_bytes(b"keep me")
    with pytest.raises(UsageError, match="Not overwriting"):
        write_feedback_form(target, form)
    assert target.read_bytes() == b"keep me"
    write_feedback_form(target, form, force=True)
    assert target.read_bytes()[:2] == b"PK"
