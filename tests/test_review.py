"""The Review owns a run: each stage once, handed on; the public API and its errors."""

from __future__ import annotations

import collections
import datetime as dt
import importlib
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import salesperf
import salesperf.report.xlsx
from salesperf.cli import app
from salesperf.errors import UsageError
from salesperf.evaluation.performance import select
from salesperf.review import Review

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "kpi.yaml"

#: Stage functions whose calls are counted, wherever a module bound them.
STAGES = {
    "salesperf.sources.dataset": ["load_dataset"],
    "salesperf.engine.org": ["build_org"],
    "salesperf.engine.metrics": ["prepare_rows", "compute_actuals"],
    "salesperf.engine.overrides": ["read_overrides"],
    "salesperf.engine.targets": ["compute_targets"],
    "salesperf.engine.attainment": ["compute_attainment"],
    "salesperf.evaluation.scoring": ["score"],
    "salesperf.evaluation.plans": ["build_plans"],
    "salesperf.evaluation.feedback": ["feedback_comments"],
    "salesperf.anomalies.detect": ["detect"],
}


def count_stages(monkeypatch: pytest.MonkeyPatch) -> tuple[collections.Counter, list]:
    """Wrap every stage function in every loaded salesperf module that holds it (a module
    that imported it by name holds its own reference), counting calls; the periods targets
    are set for are recorded with the levels asked for."""
    calls: collections.Counter = collections.Counter()
    targets: list[tuple[str, tuple[str, ...] | None]] = []
    for module_name, names in STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            original = getattr(module, name)

            def counted(*args, __name=name, __original=original, **kwargs):
                calls[__name] += 1
                if __name == "compute_targets":
                    levels = kwargs.get("levels")
                    targets.append((args[4].label, tuple(levels) if levels else None))
                return __original(*args, **kwargs)

            for loaded in list(sys.modules.values()):
                if getattr(loaded, "__name__", "").startswith("salesperf") and (
                    getattr(loaded, name, None) is original
                ):
                    monkeypatch.setattr(loaded, name, counted)
    return calls, targets


@pytest.mark.parametrize(
    ("as_of", "cubes"),
    [
        # May closed: one cube serves results, the previous period, alerts and the trend.
        ("2017-05-31", 1),
        # June open on the 21st: alerts compare like for like, every period cut at day 21,
        # which is a second cube of other rows (see salesperf.anomalies.comparisons).
        ("2017-06-21", 2),
    ],
)
def test_report_visits_each_stage_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, as_of: str, cubes: int
) -> None:
    calls, targets = count_stages(monkeypatch)
    output = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLE), "--as-of", as_of, "-f", "json", "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert output.exists()
    for stage in ("load_dataset", "build_org", "prepare_rows", "read_overrides"):
        assert calls[stage] == 1, stage
    assert calls["compute_actuals"] == cubes
    # The reviewed period and the previous one (for the change in score), each once.
    assert calls["compute_attainment"] == 2
    assert calls["score"] == 2
    for stage in ("build_plans", "feedback_comments", "detect"):
        assert calls[stage] == 1, stage
    # Targets: the reviewed period once at every level (with overrides), the previous
    # period once for scoring, and the trend's 11 earlier periods once each, company only.
    period = as_of[:7]
    assert targets.count((period, None)) == 1
    assert len(targets) == len(set(targets)), "targets set twice for the same period"
    trend = [label for label, levels in targets if levels == ("company",)]
    assert len(trend) == 11 and period not in trend


def test_stages_are_cached_and_handed_on() -> None:
    review = Review(EXAMPLE, period="2017-05")
    assert review.as_of == dt.date(2017, 5, 31)
    assert review.results is review.results
    assert review.results.cube is review.cube
    assert review.evaluation.scorecard is review.scorecard
    assert review.scorecard.previous_period == "2017-04"
    assert review.previous is not None and review.previous.period.label == "2017-04"
    assert review.report(charts=False) is review.report(charts=False)
    assert list(review.trend["period"].unique())[-1] == "2017-05"
    assert repr(review).startswith("Review(") and "2017-05" in repr(review)


def test_errors_name_the_argument_and_the_cli_names_the_option() -> None:
    review = Review(EXAMPLE, period="2017-06")
    with pytest.raises(UsageError) as caught:
        select(review.evaluation, rep="Nobody")
    assert caught.value.findings[0].location.key == "rep="
    with pytest.raises(UsageError) as caught:
        Review(EXAMPLE, period="2017-13")
    assert caught.value.findings[0].location.key == "period="
    result = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "--rep", "Nobody"])
    assert result.exit_code == 2
    assert "--rep: 'Nobody' matches no rep key or name" in result.output
    assert "rep=" not in result.output


def test_public_names() -> None:
    for name in salesperf.__all__:
        assert getattr(salesperf, name) is not None, name
    assert salesperf.Review is Review
    with pytest.raises(AttributeError):
        salesperf.evaluate  # noqa: B018  the old orchestrator is gone
