"""docs/python-api.md: every Python block runs, in order, on the bundled example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGE = ROOT / "docs" / "python-api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_page_has_examples() -> None:
    blocks = python_blocks(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    used = "\n".join(blocks)
    for name in ("load_spec", "Review", "write_report", "run_backtest", "diff_reports"):
        assert f"salesperf.{name}(" in used, name


def test_every_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # From a folder that has the examples where the page says they are, as the repository
    # root does, so the blocks run as written without touching the repository.
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "python_api_docs"}
    for number, block in enumerate(python_blocks(PAGE.read_text(encoding="utf-8")), 1):
        code = compile(block, f"{PAGE.name} block {number}", "exec")
        exec(code, namespace)


def test_readme_points_to_the_page_and_uses_public_names() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it from Python", 1)[1].split("\n## ", 1)[0]
    assert "docs/python-api.md" in section
    imports = re.findall(r"^\s*(?:from|import) (\S+)", "\n".join(python_blocks(section)), re.M)
    assert imports and set(imports) == {"salesperf"}, imports
