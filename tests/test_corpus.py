"""The broken-input corpus: every file under tests/corpus/ states what must happen.

The first line of each case is ``# expect: EXIT | fragment``: the exit code of
``salesperf check`` and a fragment that must appear in its output (file, line, key and
message). No case may print a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app

CORPUS = Path(__file__).parent / "corpus"


def _cases() -> list[Path]:
    return sorted(p for p in (CORPUS / "spec").glob("*.yaml"))


def _expectation(path: Path) -> tuple[int, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect:"), f"{path.name} has no '# expect:' line"
    code, fragment = first.removeprefix("# expect:").split("|", 1)
    return int(code), fragment.strip()


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.stem)
def test_spec_corpus(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case.parent)
    code, fragment = _expectation(case)
    result = CliRunner().invoke(app, ["check", case.name])
    output = result.output
    assert "Traceback" not in output
    assert result.exit_code == code, output
    assert fragment in output, output


def test_corpus_is_large_enough() -> None:
    assert len(_cases()) >= 20
