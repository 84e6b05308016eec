"""Every `--help` reads well at 60, 80 and 120 columns: no orphaned word left by a hard line
break in a docstring, every example whole on one line (it is pasted), nothing cut with "…",
and no Python type names (``<bool>``, ``<str>``) or ``{KPI_YAML}`` in place of a metavar."""

from __future__ import annotations

import inspect
import itertools
import re

import pytest
import typer
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.cli.helpfmt import EXAMPLE_PREFIX, reflow

WIDTHS = (60, 80, 120)


def _commands() -> list[str]:
    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def render_help(args: list[str], width: int) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


def _examples(command: str) -> list[str]:
    group = typer.main.get_command(app)
    help_text = group.commands[command].help or ""  # type: ignore[attr-defined]
    return [
        line.strip() for line in help_text.splitlines() if line.strip().startswith(EXAMPLE_PREFIX)
    ]


def _description(output: str) -> list[str]:
    """The prose between the usage line and the first panel."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    end = next((i for i, line in enumerate(lines) if line.startswith("╭")), len(lines))
    return [line.rstrip() for line in lines[start:end]]


def orphans(lines: list[str], width: int) -> list[str]:
    """Lines holding one word that would have fitted at the end of the line above: a hard
    line break in the source, not rich's wrapping."""
    found = []
    for previous, line in itertools.pairwise(lines):
        words = line.split()
        if len(words) != 1 or not previous.strip() or words[0].endswith(":"):
            continue
        if len(previous) + 1 + len(words[0]) <= width - 1:
            found.append(line)
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", [None, *_commands()])
def test_help_reads_well(command: str | None, width: int) -> None:
    output = render_help([command] if command else [], width)
    assert not orphans(_description(output), width)
    assert "…" not in output, "a default or help text is cut"
    assert not re.search(r"<(bool|str|int|float|path|file|dir)\b|%Y|\{KPI_YAML\}", output)
    for example in _examples(command) if command else []:
        assert any(line.strip() == example for line in output.splitlines()), (
            f"example broken across lines at {width} columns: {example}"
        )


@pytest.mark.parametrize("command", _commands())
def test_commands_panel_has_one_line_summaries(command: str) -> None:
    output = render_help([], 80)
    row = next(line for line in output.splitlines() if line.startswith(f"│ {command} "))
    summary = row.strip("│ ").split(None, 1)[1]
    assert summary.rstrip().endswith((".", ")", "?")), f"summary of {command} wraps: {row}"


def test_orphan_check_catches_a_hard_break() -> None:
    # The check itself: "are" fits after the line above, so a hard break put it there.
    assert orphans([" Thresholds live under `alerts:` in kpi.yaml. These", " are"], 80)
    assert not orphans([" " + "x" * 76, " are"], 80)


def test_reflow_joins_prose_and_keeps_examples() -> None:
    doc = inspect.cleandoc(
        """First line
        goes on.

        Examples:

          salesperf check kpi.yaml
        """
    )
    assert reflow(doc) == "First line goes on.\n\nExamples:\n\n  salesperf check kpi.yaml"
