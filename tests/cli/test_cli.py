"""Every command, in-process, on tests/fixtures/mini (numbers worked out below).

Mini Co, June 2017, as of the 15th (the last date in the data): 15 of 30 days elapsed.
Revenue target: June 2016 = 1,000 + 500 + 500 + 2,000 = 4,000, x 1.1 = 4,400; North had
2,000 of it (R1 1,500, R2 500) and South 2,000 (R3) -> North 2,200 (R1 1,650, R2 550),
South 2,200 (R3). Actuals: R1 800, R2 700, R3 400.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_help_lists_commands() -> None:
    code, out = run("--help")
    assert code == 0
    for command in ("check", "init", "targets", "progress", "watch"):
        assert command in out


def test_module_entry_point_and_no_pandas_at_startup() -> None:
    code = (
        "import sys; import salesperf.cli; "
        "assert 'pandas' not in sys.modules, 'pandas imported at start-up'; "
        "assert 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    done = subprocess.run(
        [sys.executable, "-m", "salesperf", "--help"], capture_output=True, text=True, check=True
    )
    assert "progress" in done.stdout


def test_version_answers_before_the_cli_loads() -> None:
    """`salesperf --version` (salesperf.__main__) prints what the CLI's --version prints,
    without importing typer; any other command line goes to the CLI."""
    code = (
        "import sys; sys.argv = ['salesperf', '--version']; "
        "from salesperf.__main__ import main; main(); "
        "assert 'typer' not in sys.modules, 'typer imported for --version'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == run("--version")[1] == "salesperf 0.1.0\n"
    done = subprocess.run(
        [sys.executable, "-m", "salesperf", "--version", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == "salesperf 0.1.0\n"  # the CLI's eager option


def test_progress_imports_no_later_stage(project: Path) -> None:
    """progress needs the results only: no alerts, scoring, plans, report or charts code."""
    code = (
        "import sys; from typer.testing import CliRunner; from salesperf.cli import app; "
        f"result = CliRunner().invoke(app, ['progress', {str(project / 'kpi.yaml')!r}, "
        "'--rep', 'R1']); assert result.exit_code == 0, result.output; "
        "later = ('matplotlib', 'jinja2', 'openpyxl', 'salesperf.anomalies', "
        "'salesperf.evaluation', 'salesperf.report', 'salesperf.engine.replay'); "
        "print(sorted(m for m in sys.modules if m.startswith(later)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_check_mini(project: Path) -> None:
    code, out = run("check", str(project / "kpi.yaml"))
    assert code == 0, out
    assert "8 loaded of 8 read" in out
    assert "usable" in out


def test_check_json(project: Path) -> None:
    code, out = run("check", str(project / "kpi.yaml"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["usable"] is True
    orders = next(s for s in data["sources"] if s["name"] == "orders")
    assert (orders["rows_loaded"], orders["date_min"], orders["date_max"]) == (
        8,
        "2016-06-03",
        "2017-06-15",
    )


def test_progress_rep_by_name(project: Path) -> None:
    code, out = run("progress", str(project / "kpi.yaml"), "--rep", "ann lee")
    assert code == 0, out
    assert "Ann Lee" in out
    assert "$1,650" in out  # R1's revenue target
    assert "$800" in out
    assert "at risk" in out  # pace 800 / 825 = 97%
    assert "50% elapsed" in out


def test_progress_unknown_rep_suggests(project: Path) -> None:
    code, out = run("progress", str(project / "kpi.yaml"), "--rep", "Ann Le")
    assert code == 0  # a unique partial match is accepted
    code, out = run("progress", str(project / "kpi.yaml"), "--rep", "Anne Lee")
    assert code == 2
    assert "'Anne Lee' matches no rep key or name (did you mean 'Ann Lee'" in out


def test_two_reps_with_one_name_are_not_picked_silently(project: Path) -> None:
    """R2 renamed to Ann Lee: --rep "Ann Lee" used to show R1's numbers without a word."""
    roster = project / "roster.csv"
    roster.write_text(roster.read_text().replace("R2,Bo Chen", "R2,Ann Lee"))
    for command in ("progress", "evaluate", "alerts"):
        code, out = run(command, str(project / "kpi.yaml"), "--rep", "ann lee")
        assert code == 2, out
        assert (
            "--rep: 'ann lee' is the name of 2 reps: R1 (Ann Lee), R2 (Ann Lee); pass the key "
            "instead, e.g. R1"
        ) in " ".join(out.split())
    code, out = run("progress", str(project / "kpi.yaml"), "--rep", "R2")
    assert code == 0 and "Ann Lee (R2, North)" in out  # a key is never ambiguous


def test_a_partial_match_of_several_reps_lists_them(project: Path) -> None:
    code, out = run("progress", str(project / "kpi.yaml"), "--rep", "c")
    assert code == 2
    assert "'c' matches 2 reps: R2 (Bo Chen), R3 (Cy Diaz); pass the key instead" in " ".join(
        out.split()
    )
    assert "matches no rep" not in out


def test_progress_wrong_grain(project: Path) -> None:
    code, out = run("progress", str(project / "kpi.yaml"), "--period", "2017-Q2")
    assert code == 2
    assert "'2017-Q2' is a quarter, but this spec reviews by month" in out


def test_progress_json_numbers(project: Path) -> None:
    code, out = run("progress", str(project / "kpi.yaml"), "--level", "rep", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "salesperf.results/1"
    assert (data["period"], data["as_of"]) == ("2017-06", "2017-06-15")
    rows = {(r["kpi"], r["entity"]): r for r in data["rows"]}
    r1 = rows[("revenue", "R1")]
    assert r1["target"] == 1650
    assert r1["actual"] == 800
    assert r1["expected_to_date"] == pytest.approx(825)
    assert r1["pace"] == pytest.approx(800 / 825)
    assert r1["projected"] == pytest.approx(1600)
    assert r1["status"] == "at_risk"
    assert rows[("revenue", "R3")]["status"] == "behind"
    assert rows[("win_rate", "R3")]["actual"] == 0
    # Worst first within each KPI: R3 (behind) before R1 (at risk) before R2 (on track).
    revenue = [r["entity"] for r in data["rows"] if r["kpi"] == "revenue"]
    assert revenue == ["R3", "R1", "R2"]


def test_progress_team_and_kpi(project: Path) -> None:
    code, out = run(
        "progress", str(project / "kpi.yaml"), "--team", "north", "--kpi", "win_rate", "-f", "csv"
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("kpi,kpi_name,level,entity")
    entities = [line.split(",")[3] for line in lines[1:]]
    assert sorted(entities) == ["North", "R1", "R2"]


def test_progress_unknown_kpi(project: Path) -> None:
    code, out = run("progress", str(project / "kpi.yaml"), "--kpi", "revnue")
    assert code == 2
    assert "did you mean 'revenue'" in out


def test_progress_period_without_data(project: Path) -> None:
    code, out = run("progress", str(project / "kpi.yaml"), "--period", "2015-01", "-f", "json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert {r["status"] for r in rows} <= {"no_target", "no_data"}


def test_targets_csv_round_trips_as_overrides(project: Path) -> None:
    csv_path = project / "targets.csv"
    code, out = run("targets", str(project / "kpi.yaml"), "-f", "csv", "-o", str(csv_path))
    assert code == 0, out
    text = csv_path.read_text()
    assert text.splitlines()[0] == "kpi,period,level,entity,target,name,target_method,basis,note"
    assert "revenue,2017-06,rep,R1,1650.0,Ann Lee,last_year" in text
    # An analyst raises R1's target in Excel and points the spec at the file.
    csv_path.write_text(
        text.replace("revenue,2017-06,rep,R1,1650.0", "revenue,2017-06,rep,R1,2000")
    )
    spec = (project / "kpi.yaml").read_text()
    (project / "kpi.yaml").write_text(spec + "targets: {overrides: targets.csv}\n")
    code, out = run("progress", str(project / "kpi.yaml"), "--level", "rep", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    r1 = next(r for r in data["rows"] if r["kpi"] == "revenue" and r["entity"] == "R1")
    assert r1["target"] == 2000
    assert r1["target_method"] == "override"
    # North and the company were overridden too (unchanged rows of the CSV), so they no
    # longer match their reps' sum: a warning, as a CRM's "target mismatch" flag.
    messages = [f["message"] for f in data["findings"]]
    assert any("target mismatch for revenue team 'North'" in m for m in messages)


def test_targets_refuses_to_overwrite_input(project: Path) -> None:
    code, out = run(
        "targets", str(project / "kpi.yaml"), "-f", "csv", "-o", str(project / "orders.csv")
    )
    assert code == 2
    assert "the output path is one of the inputs" in out
    assert (project / "orders.csv").read_text().startswith("Order,Date")


def test_init_writes_starter_spec(tmp_path: Path, write) -> None:
    data = write("销售明细.csv", "订单日期,业务员,客户名称,销售金额,部门\n2017-01-01,张三,甲,1,A\n")
    out_path = tmp_path / "kpi.yaml"
    code, out = run("init", str(data), "-o", str(out_path))
    assert code == 0, out
    text = out_path.read_text()
    for line in (
        "date: 订单日期",
        "rep: 业务员",
        "customer: 客户名称",
        "amount: 销售金额",
        "team: 部门",
    ):
        assert line in text
    assert "locale: zh-CN" in text
    code, out = run("check", str(out_path))
    assert code == 0, out
    code, out = run("init", str(data), "-o", str(out_path))
    assert code == 2
    assert "file exists; pass --force" in out


def test_watch_recomputes_on_change(project: Path) -> None:
    from salesperf.cli.watch import watch_files

    shown: list[object] = []

    class View:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def show(self, result):
            shown.append(result)

        def show_error(self, error):
            shown.append(error)

    calls = {"n": 0}

    def compute():
        calls["n"] += 1
        return calls["n"]

    def sleep(_seconds: float) -> None:
        with (project / "orders.csv").open("a") as handle:
            handle.write("9,2017-06-15,R1,C1,10.00\n")

    updates = watch_files(project / "kpi.yaml", compute, View(), max_updates=3, sleep=sleep)
    assert updates == 3
    assert shown == [1, 2, 3]


def test_missing_header_points_at_file_and_spec_line(project: Path) -> None:
    spec = project / "kpi.yaml"
    spec.write_text(spec.read_text().replace("amount: Amount,", "amount: Amout,"))
    code, out = run("progress", str(spec))
    assert code == 2
    assert "orders.csv:1: Amout: column 'Amout' (mapped to amount) is not in the header" in out
    assert "did you mean 'Amount'?" in out
    assert "kpi.yaml:9: sources.orders.columns.amount: 'Amout' is mapped here" in out


@pytest.mark.parametrize(
    "args",
    [
        ["progress", "--period", "9999-12"],
        ["targets", "--period", "2262-05"],
        ["evaluate", "--period", "1677-09"],
        ["alerts", "--as-of", "9999-12-31"],
        ["report", "--as-of", "9999-12-31", "-o", "r.html"],
        ["feedback-form", "--period", "9999-12", "-o", "f.xlsx"],
        ["backtest", "--as-of", "1677-09-21"],
    ],
)
def test_periods_and_dates_beyond_pandas_are_usage_errors(project: Path, args: list[str]) -> None:
    """They raised OutOfBoundsDatetime or OverflowError (exit 3) in five commands."""
    command, *options = args
    code, out = run(command, str(project / "kpi.yaml"), *options)
    assert code == 2, out
    assert "salesperf reviews " in out and "from 1700 to 2199" in out
    assert not (project / "r.html").exists() and not (project / "f.xlsx").exists()


def test_a_quarter_without_fy_is_read_as_fiscal_and_said(project: Path) -> None:
    """With fiscal years from April, 2017-Q2 is July-September 2016: the run says so."""
    spec = project / "kpi.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("period: month\n", "period: quarter\nfiscal_year_start: 4\n"))
    result = CliRunner().invoke(app, ["progress", str(spec), "--period", "2017-Q2"])
    assert result.exit_code == 0, result.output
    assert "Mini Co · FY2017-Q2 · as of 2016-09-30" in result.output
    assert (
        "warning: --period: 2017-Q2 was read as the fiscal quarter FY2017-Q2 (2016-07-01 to "
        "2016-09-30), because fiscal_year_start is 4"
    ) in " ".join(result.output.split())
    code, out = run("progress", str(spec), "--period", "2017-06")
    assert code == 2 and "use --period FY2018-Q1 (2017-04-01 to 2017-06-30)" in out
