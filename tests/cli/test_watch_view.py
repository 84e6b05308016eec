"""The `watch` view: the filter in the heading, the footer always on screen ("… N more"
when the rows do not fit the terminal's height) and a redraw when the terminal is resized."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from salesperf.cli import render, views
from salesperf.review import Review

EXAMPLE = Path(__file__).parents[2] / "examples" / "kpi.yaml"


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    return Review(EXAMPLE, "2017-06", date(2017, 6, 21)).results


def _draw(monkeypatch, results, height: int, **filters: str | None) -> str:  # type: ignore[no-untyped-def]
    console = Console(file=io.StringIO(), width=80, height=height, highlight=False)
    monkeypatch.setattr(render, "out", console)
    rows = views.progress_rows(results, **filters)
    view = render.live_progress(rep=filters.get("rep"), team=filters.get("team"))
    with view:
        view.show((results, rows))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_heading_names_the_team_and_footer_stays(monkeypatch, results) -> None:  # type: ignore[no-untyped-def]
    text = _draw(monkeypatch, results, 24, team="Atlantic")
    lines = text.rstrip("\n").splitlines()
    assert lines[0].startswith("Team Atlantic · 2017-06")
    assert "more" in text and "… " in text
    assert "Ctrl-C to quit" in lines[-1]
    assert len(lines) <= 24


def test_heading_names_the_rep(monkeypatch, results) -> None:  # type: ignore[no-untyped-def]
    text = _draw(monkeypatch, results, 60, rep="Sarah Mitchell")
    assert text.startswith("Sarah Mitchell (")
    assert "more" not in text  # a tall terminal shows every row


def test_fit_counts_what_is_left_out(results) -> None:  # type: ignore[no-untyped-def]
    rows = views.progress_rows(results, team="Atlantic")
    view = render.live_progress()
    kpis = rows["kpi"].nunique()
    shown, more = view.fit(rows, height=view.CHROME + 2 * kpis + 5)
    assert (len(shown), more) == (5, len(rows) - 5)


def test_resize_redraws_the_last_view(monkeypatch, results) -> None:  # type: ignore[no-untyped-def]
    drawn = []
    view = render.live_progress()
    monkeypatch.setattr(view, "show", drawn.append)
    view._resized()  # nothing shown yet: nothing to redraw
    view.last = (results, views.progress_rows(results))
    view._resized()
    assert drawn == [view.last]
