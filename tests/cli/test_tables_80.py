"""At 80 columns a terminal table never cuts a number: `backtest` drops its least needed
columns (and says which) instead of printing "+14.…"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app

EXAMPLE = Path(__file__).parents[2] / "examples" / "kpi.yaml"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def backtest() -> tuple[str, dict]:
    table = _run("backtest", str(EXAMPLE), "--as-of", "2017-06-21")
    document = json.loads(_run("backtest", str(EXAMPLE), "--as-of", "2017-06-21", "-f", "json"))
    return table, document


def test_backtest_numbers_whole_at_80_columns(backtest: tuple[str, dict]) -> None:
    table, document = backtest
    assert "…" not in table
    lines = table.splitlines()
    checked = 0
    for kpi in document["kpis"]:
        start = next(i for i, line in enumerate(lines) if f"({kpi['kpi']}) · " in line)
        for method in kpi["methods"]:
            row = next(
                line
                for line in lines[start:]
                if line.strip().lstrip("★ ").startswith(method["method"] + " ")
            )
            for key in ("mape", "bias"):
                value = method[key]
                if value is None:
                    continue
                # The JSON's fraction, as the table shows it: a percent to a tenth.
                shown = f"{value:+.1%}" if key == "bias" else f"{value:.1%}"
                assert shown in row, f"{method['method']} {key} {shown} not whole in: {row}"
                checked += 1
    assert checked > 10


def test_backtest_says_which_columns_it_left_out(backtest: tuple[str, dict]) -> None:
    table, _ = backtest
    assert "Not shown at this width: >150%" in table
