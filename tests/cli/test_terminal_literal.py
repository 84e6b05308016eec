"""The terminal prints data literally: escape sequences in names never reach the terminal,
rich markup in data stays text, and ``:x:`` in "ACME:x:Corp" is not an emoji.

Every renderer in salesperf/cli/ runs its data through ``render.literal``; these tests run
each command's terminal output over the same hostile names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.cli.render import literal

MINI = Path(__file__).parents[1] / "fixtures" / "mini"
ESC_NAME = "Esc\x1b[31mRED"
MARKUP_NAME = "[bold red]Bo[/] Chen"
EMOJI_TEAM = "ACME:x:Corp"
BIDI_NAME = "Cy\u202eziaD"
KPI_NAME = "Revenue [link=http://evil.example]here[/link] :smile:"
#: What must never appear: raw control characters, emoji rich made from ":x:"/":smile:".
FORBIDDEN = ("\x1b", "\x9b", "\u202e", "❌", "😄")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    (project / "roster.csv").write_text(
        f'id,name,team\nR1,"{ESC_NAME}",North\nR2,"{MARKUP_NAME}","{EMOJI_TEAM}"\n'
        f'R3,"{BIDI_NAME}",South\n',
        encoding="utf-8",
    )
    orders = (project / "orders.csv").read_text(encoding="utf-8")
    (project / "orders.csv").write_text(
        orders + '99,2017-06-02,R1,C9,"12\x1b]0;pwned\x07"\n', encoding="utf-8"
    )
    spec = (project / "kpi.yaml").read_text(encoding="utf-8")
    (project / "kpi.yaml").write_text(
        spec.replace("name: Revenue", f"name: '{KPI_NAME}'"), encoding="utf-8"
    )
    return project


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    for text in FORBIDDEN:
        assert text not in result.output, (text, result.output)
    return result.output


@pytest.mark.parametrize(
    "args",
    [
        ["progress", "--level", "rep"],
        ["progress", "--rep", "R2"],
        ["progress", "--team", EMOJI_TEAM],
        ["targets"],
        ["evaluate"],
        ["evaluate", "--rep", "R2"],
        ["alerts"],
    ],
    ids=lambda args: " ".join(args)[:30],
)
def test_tables_show_names_as_written(hostile: Path, args: list[str]) -> None:
    output = _run(args[0], str(hostile / "kpi.yaml"), *args[1:])
    if args[0] != "alerts":
        assert MARKUP_NAME in output or EMOJI_TEAM in output or "[link=" in output, output


def test_check_prints_no_control_character_from_the_data(hostile: Path) -> None:
    _run("check", str(hostile / "kpi.yaml"))


def test_init_shows_header_names_literally(tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    data.write_text("Date,Rep,Amount,root:x:0,[red]x[/red],Esc\x1b[2J\n2017-06-01,R1,5,a,b,c\n")
    output = _run("init", str(data), "-o", str(tmp_path / "kpi.yaml"))
    assert "root:x:0" in output and "[red]x[/red]" in output and "Esc\\x1b[2J" in output


def test_errors_show_values_literally(hostile: Path) -> None:
    result = CliRunner().invoke(
        app, ["progress", str(hostile / "kpi.yaml"), "--rep", "[bold]no:x:one\x1b[5m"]
    )
    assert result.exit_code == 2
    for text in FORBIDDEN:
        assert text not in result.output
    assert "[bold]no:x:one\\x1b[5m" in result.output


def test_written_paths_are_shown_literally(hostile: Path) -> None:
    out = hostile / "r:x:[b]\x1b[1m.html"
    output = _run("report", str(hostile / "kpi.yaml"), "-o", str(out))
    assert "r:x:[b]\\x1b[1m.html" in output
    assert out.exists()


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ("plain 张伟", "plain 张伟"),
        ("[bold]x[/]", "\\[bold]x\\[/]"),
        ("a\x1b[31mb", "a\\x1b[31mb"),  # "[31m" is no rich tag: it prints as is
        ("c\x9bd", "c\\x9bd"),
        ("e\u202ef", "e\\u202ef"),
        ("tab\tand\nline", "tab\tand\nline"),
    ],
)
def test_literal(data: str, shown: str) -> None:
    assert literal(data) == shown


def test_diff_and_backtest_tables_show_names_as_written(hostile: Path, tmp_path: Path) -> None:
    spec = str(hostile / "kpi.yaml")
    for name, as_of in (("old.json", "2017-06-10"), ("new.json", "2017-06-20")):
        args = ["report", spec, "-o", str(tmp_path / name), "--as-of", as_of]
        assert CliRunner().invoke(app, args).exit_code == 0
    output = _run("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"))
    assert "Esc\\x1b[31mRED (R1)" in output and "Cy\\u202eziaD (R3)" in output
    output = _run("backtest", spec, "--periods", "2")
    assert KPI_NAME in output


def test_a_written_file_name_is_printed_without_control_characters(hostile: Path) -> None:
    out = hostile / "t\x1b[2J.csv"
    result = CliRunner().invoke(app, ["targets", str(hostile / "kpi.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "t\\x1b[2J.csv" in result.output
