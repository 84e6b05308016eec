"""The README stays true: every command is documented and has examples in its help, and
CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from salesperf.cli import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_command_documented_in_readme(command: str) -> None:
    assert f"`salesperf {command}" in README, f"README has no section for `salesperf {command}`"


@pytest.mark.parametrize("command", _commands())
def test_command_help_has_examples(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert f"salesperf {command}" in result.output


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    first_screen = blocks[:2]
    assert len(first_screen) == 2
    test_command = first_screen[1].strip()
    assert test_command.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install --quiet -e ".[dev]"' in ci
    assert ci.rstrip().endswith("pytest")
