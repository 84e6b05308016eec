"""`salesperf evaluate` and `salesperf feedback-form`, in-process, on tests/review_fixture.py.

June 2017 as of the 30th (closed): Ann 1.065 (A), Cai 0.7625 (C, partial), Bob 0.55 (D,
partial); T1 0.92667, T2 0.7625; the company 0.81778 (see tests/evaluation/test_scoring.py).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.cli import render_evaluate as cli_render_evaluate
from tests.review_fixture import write_project

JUNE = ["--period", "2017-06", "--as-of", "2017-06-30"]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as a 200-column terminal draws them (CliRunner is not a terminal: 80)."""
    monkeypatch.setattr(cli_render_evaluate.out, "width", 200)


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    return write_project(tmp_path / "review")


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_evaluate_table(spec_path: Path) -> None:
    code, out = run("evaluate", spec_path, *JUNE)
    assert code == 0, out
    assert "Review Co · 2017-06 · as of 2017-06-30 (closed) · vs 2017-05" in out
    lines = [line.split() for line in out.splitlines()]
    ranked = [(words[0], words[1]) for words in lines if words and words[0] in {"1", "2", "3"}]
    assert ranked[:3] == [("1", "Ann"), ("2", "Cai"), ("3", "Bob")]
    assert "106.5" in out and "76.2†" in out and "55.0†" in out
    # KPI names and plain words, not the id and the kpi.yaml key (min_responses).
    assert "Bob: CSAT: 1 answers, fewer than the 2 needed: not rated" in out
    assert "Teams and above, scored from their own KPI values (not averages of reps)" in out


def test_evaluate_json_carries_fractions(spec_path: Path) -> None:
    code, out = run("evaluate", spec_path, *JUNE, "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["schema"] == "salesperf.evaluation/1"
    assert (data["period"], data["closed"], data["previous_period"]) == ("2017-06", True, "2017-05")
    entities = {(e["level"], e["entity"]): e for e in data["entities"]}
    ann = entities[("rep", "A")]
    assert ann["total"] == pytest.approx(1.065)
    assert (ann["tier"], ann["rank"], ann["rank_change"], ann["trend"]) == ("A", 1, 2, "up")
    revenue = next(k for k in ann["kpis"] if k["kpi"] == "revenue")
    assert (revenue["attainment_to_date"], revenue["score"]) == (1.5, 1.2)
    assert entities[("team", "T1")]["total"] == pytest.approx(0.926667, abs=1e-6)
    assert entities[("rep", "B")]["missing"] == ["csat"]
    assert data["scoring"]["kpis"]["win_rate"]["bands"] == [[0.7, 0], [1.0, 80], [1.2, 100]]
    assert [t["name"] for t in data["scoring"]["tiers"]] == ["A", "B", "C", "D"]
    assert {p["rep"] for p in data["plans"]} == {"A", "B", "C"}
    assert data["comments"][0] == {
        "date": "2017-06-25",
        "rep": "A",
        "name": "Ann",
        "kind": "csat",
        "score": None,
        "comment": "Late reply on the invoice.",
        "source": "feedback",
    }


def test_evaluate_csv_one_row_per_entity(spec_path: Path) -> None:
    code, out = run("evaluate", spec_path, *JUNE, "-f", "csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["level"], r["entity"]) for r in rows] == [
        ("rep", "A"),
        ("rep", "C"),
        ("rep", "B"),
        ("team", "T1"),
        ("team", "T2"),
        ("company", "company"),
    ]
    ann = rows[0]
    assert float(ann["total"]) == pytest.approx(1.065)
    assert float(ann["revenue_score"]) == 1.2
    assert float(ann["win_rate_attainment"]) == 1.0
    assert ann["summary"].startswith("On or above target on every scored KPI")
    assert rows[2]["missing"] == "csat"


def test_evaluate_rep_scorecard_and_plan(spec_path: Path) -> None:
    code, out = run("evaluate", spec_path, *JUNE, "--rep", "bob")
    assert code == 0, out
    assert "Bob (B, T1)" in out
    assert "score 55.0 (partial) · tier D · #3 of 3 (team #2 of 2)" in out
    assert "Plan: Revenue at 50% of target (team median 100%)" in out
    assert "call your top ten accounts" in out
    assert "Bob fixed it the same day." in out  # this period's comments


def test_evaluate_unknown_rep_suggests(spec_path: Path) -> None:
    code, out = run("evaluate", spec_path, *JUNE, "--rep", "Bobb")
    assert code == 2
    assert "No rep called 'Bobb':" in out
    assert "did you mean 'Bob'?" in out


def test_evaluate_team_and_level(spec_path: Path) -> None:
    code, out = run("evaluate", spec_path, *JUNE, "--team", "t1", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    assert [(e["level"], e["entity"]) for e in data["entities"]] == [
        ("rep", "A"),
        ("rep", "B"),
        ("team", "T1"),
    ]
    code, out = run("evaluate", spec_path, *JUNE, "--level", "team")
    assert code == 0, out
    assert "by team" in out and "T2" in out
    code, out = run("evaluate", spec_path, *JUNE, "--level", "teams")
    assert code == 2
    assert "did you mean 'team'?" in out


def test_feedback_form_writes_and_refuses(spec_path: Path) -> None:
    folder = spec_path.parent
    code, out = run("feedback-form", spec_path, "--period", "2017-06", "-o", folder / "f.xlsx")
    assert code == 0, out
    assert "3 rows (3 reps x manager) for 2017-06" in out
    assert "columns: {date: Date, rep: Rep, kind: Kind" in out
    sheet = openpyxl.load_workbook(folder / "f.xlsx").worksheets[0]
    assert sheet.max_row == 4
    code, out = run("feedback-form", spec_path, "-o", folder / "f.xlsx", "--kinds", "peer")
    assert code == 2
    assert "Not overwriting:" in out and "pass --force" in out
    code, out = run(
        "feedback-form", spec_path, "-o", folder / "f.xlsx", "--kinds", "peer,manager", "--force"
    )
    assert code == 0, out
    assert "6 rows (3 reps x peer, manager)" in out
    code, out = run("feedback-form", spec_path, "-o", folder / "feedback.csv", "--force")
    assert code == 2
    assert "Refusing to overwrite an input file:" in out
    assert (folder / "feedback.csv").read_text().startswith("Date,Rep,Kind,Score,Comment")


def test_feedback_form_prints_the_path_to_paste_relative_to_the_spec(spec_path: Path) -> None:
    elsewhere = spec_path.parent / "forms" / "june.xlsx"
    elsewhere.parent.mkdir()
    code, out = run("feedback-form", spec_path, *JUNE[:2], "-o", elsewhere)
    assert code == 0, out
    # Paths in a kpi.yaml are relative to its folder: forms/june.xlsx, not june.xlsx.
    assert "path: forms/june.xlsx" in out
