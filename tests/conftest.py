"""Shared fixtures: tiny specs and data written to tmp_path."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from salesperf.engine.pipeline import Results
from salesperf.review import Review
from salesperf.sources.dataset import Dataset, load_dataset
from salesperf.spec import Spec, load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Property tests (hypothesis). `ci`, the default, runs a quarter of hypothesis's usual 100
# examples per property (tests ask for more or fewer with tests.properties.examples), which
# keeps `pytest` within minutes on a 2-core machine; `thorough` runs five times the usual
# budget for a long local run before a release: `pytest --thorough` or
# `HYPOTHESIS_PROFILE=thorough pytest`. No deadline: pandas' first call in a process, and
# any call on a loaded machine, is slow without being wrong.
_PROPERTY_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=25, **_PROPERTY_SETTINGS)
settings.register_profile("thorough", max_examples=500, **_PROPERTY_SETTINGS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def _no_user_cache() -> Iterator[None]:
    """Tests never read or fill the user's cache of loaded sources (tests/sources/test_cache.py
    points it at a private folder). Session-wide, so session fixtures load without it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SALESPERF_CACHE", "off")
        yield


@pytest.fixture(scope="session")
def example_data() -> tuple[Spec, Dataset]:
    """examples/kpi.yaml and its loaded exports, once per session (read-only: the example
    tests only read what the pipeline makes of it)."""
    spec = load_spec(EXAMPLES / "kpi.yaml")
    return spec, load_dataset(spec)


@pytest.fixture(scope="session")
def example_june_review(example_data: tuple[Spec, Dataset]) -> Review:
    """The example reviewed as of its last order date, 2017-06-21 (June 2017, open)."""
    spec, data = example_data
    return Review(spec, dataset=data)


@pytest.fixture(scope="session")
def example_june(example_june_review: Review) -> Results:
    """Its results."""
    return example_june_review.results


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
    parser.addoption(
        "--thorough",
        action="store_true",
        default=False,
        help="Run property tests with the `thorough` hypothesis profile (5x the usual examples).",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Before collection, so the examples() counts in the test modules see this profile.
    if config.getoption("--thorough"):
        settings.load_profile("thorough")


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
