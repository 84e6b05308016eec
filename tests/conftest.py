"""Shared fixtures: tiny specs and data written to tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or fill the user's cache of loaded sources (tests/sources/test_cache.py
    points it at a private folder)."""
    monkeypatch.setenv("SALESPERF_CACHE", "off")


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write("kpi.yaml", "...") -> path; text is dedented; bytes are written as is."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding=encoding)
        return path

    return _write


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/* from the current output instead of comparing.",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """golden("name.md", text): compare with tests/golden/name.md (unified diff on failure),
    or rewrite it with --update-golden."""
    import difflib

    folder = Path(__file__).parent / "golden"
    update = bool(request.config.getoption("--update-golden"))

    def _check(name: str, text: str) -> None:
        path = folder / name
        if update or not path.exists():
            if not update:
                pytest.fail(f"{path} does not exist; run pytest --update-golden to create it")
            folder.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"golden/{name}",
                    tofile="output",
                    n=2,
                )
            )
            pytest.fail(
                f"output differs from golden/{name} (pytest --update-golden):\n{diff[:6000]}"
            )

    return _check
