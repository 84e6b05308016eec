"""The bundled example's dry run is the one docs/notify.md shows, byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from salesperf.cli import app

ROOT = Path(__file__).parent.parent.parent


def test_docs_show_the_real_dry_run() -> None:
    command = ["notify", "examples/notify/kpi.yaml", "--period", "2017-06", "--as-of", "2017-06-21"]
    spec = str(ROOT / command[1])
    result = CliRunner().invoke(app, [command[0], spec, *command[2:], "--dry-run"])
    assert result.exit_code == 0, result.output
    docs = (ROOT / "docs" / "notify.md").read_text(encoding="utf-8")
    shown = re.search(r"is:\n\n```text\n(.*?)```\n", docs, flags=re.S)
    assert shown is not None
    assert shown.group(1) == result.stdout
    assert f"salesperf {' '.join(command)} --dry-run" in docs
