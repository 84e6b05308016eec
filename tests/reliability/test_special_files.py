"""Inputs that are not regular files: /dev/zero never ends and a named pipe blocks, so
neither is read. Each is "not a regular file", exit 2, at once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.errors import SpecError
from salesperf.spec import load_spec

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "kpi.yaml"
    os.mkfifo(path)
    return path


def test_a_spec_that_is_dev_zero_is_refused_before_reading() -> None:
    with pytest.raises(SpecError) as exc:
        load_spec("/dev/zero")
    assert str(exc.value.findings[0]) == (
        "/dev/zero: not a regular file (a character device); pass the kpi.yaml file"
    )
    result = CliRunner().invoke(app, ["check", "/dev/zero"])
    assert result.exit_code == 2
    assert "not a regular file (a character device)" in result.output


def test_a_spec_that_is_a_named_pipe_does_not_block(fifo: Path) -> None:
    with pytest.raises(SpecError, match="cannot be used") as exc:
        load_spec(fifo)
    assert "not a regular file (a named pipe)" in str(exc.value)


def test_a_spec_that_grows_past_the_limit_is_cut_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "kpi.yaml"
    spec.write_text("# x\n" * 300_000)
    monkeypatch.setattr("salesperf.spec.load.MAX_SPEC_BYTES", 1_000)
    with pytest.raises(SpecError, match=r"a kpi\.yaml is expected to be small"):
        load_spec(spec)


@pytest.mark.parametrize("data", ["/dev/zero", "fifo"])
def test_init_refuses_a_device_or_a_pipe(tmp_path: Path, data: str) -> None:
    if data == "fifo":
        os.mkfifo(tmp_path / "fifo")
        data = str(tmp_path / "fifo")
    result = CliRunner().invoke(app, ["init", data, "-o", str(tmp_path / "kpi.yaml")])
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.output
    assert not (tmp_path / "kpi.yaml").exists()


def test_a_roster_that_is_a_named_pipe_is_named(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "mini")
    roster = tmp_path / "mini" / "roster.csv"
    roster.unlink()
    os.mkfifo(roster)
    result = CliRunner().invoke(app, ["check", str(tmp_path / "mini" / "kpi.yaml")])
    assert result.exit_code == 2, result.output
    assert "org.path: not a regular file (a named pipe): 'roster.csv'" in result.output
