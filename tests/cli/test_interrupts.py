"""Ctrl-C is always "Interrupted.", exit 130, with no output written: at start-up (while
typer and rich are imported), mid-run, and when a library swallowed the KeyboardInterrupt."""

from __future__ import annotations

import builtins
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf import interrupts
from salesperf.cli import app

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "mini")
    return tmp_path / "mini"


def _swallowed_ctrl_c(*args: object, **kwargs: object) -> None:
    """A real SIGINT whose KeyboardInterrupt a library swallows (a __del__, a broad except)."""
    with contextlib.suppress(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)


def test_ctrl_c_swallowed_mid_run_still_writes_nothing_and_exits_130(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import salesperf.report.sections as sections

    real = sections.scorecard_view

    def scorecard_view(*args: object, **kwargs: object) -> object:
        _swallowed_ctrl_c()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("salesperf.report.scorecard_view", scorecard_view)
    out = project / "review.md"
    result = CliRunner().invoke(
        app, ["report", str(project / "kpi.yaml"), "-o", str(out), "--per-rep", str(project / "r")]
    )
    assert (result.exit_code, result.stderr.strip()) == (130, "Interrupted."), result.output
    assert not out.exists() and not (project / "r").exists()
    assert not list(project.glob(".*.tmp")) and not list(project.glob("review*"))
    assert signal.getsignal(signal.SIGINT) is not interrupts._handler  # put back


def test_ctrl_c_swallowed_in_a_printing_command_is_130(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import salesperf.cli.views as views

    real = views.progress_rows

    def progress_rows(*args: object, **kwargs: object) -> object:
        _swallowed_ctrl_c()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "progress_rows", progress_rows)
    result = CliRunner().invoke(app, ["progress", str(project / "kpi.yaml")])
    assert (result.exit_code, result.stderr.strip()) == (130, "Interrupted.")


def test_ctrl_c_while_the_cli_is_imported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from salesperf import __main__ as entry

    real_import = builtins.__import__

    def importing(name: str, *args: object, **kwargs: object) -> object:
        if name == "salesperf.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", importing)
    with pytest.raises(SystemExit) as exc:
        entry.main()
    assert exc.value.code == 130
    assert capsys.readouterr().err == "Interrupted.\n"


def test_ctrl_c_in_a_real_process_during_start_up() -> None:
    """A real SIGINT, sent while typer is being imported (a finder on sys.meta_path sends
    it): one line and 130, no traceback."""
    code = (
        "import os, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'typer':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['salesperf', '--help']\n"
        "from salesperf.__main__ import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert "Traceback" not in done.stderr
    assert (done.returncode, done.stderr) == (130, "Interrupted.\n"), done.stderr
