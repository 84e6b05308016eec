"""`salesperf alerts` in-process: exit codes (--fail-on, --quiet, bad options) and formats.

Tiny Co: reps A and B each book 12 orders of 100 a month on days 1-12 from January 2016.
In June 2017 only B books (the last date, 12 June, is "today"): A has gone quiet, a
critical alert (A usually has 12 rows by day 12). The "dirty" export also holds B's order
B-201705-1 twice: a duplicate_key warning.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app

SPEC = """\
version: 1
title: Tiny Co
period: month
sources:
  orders:
    path: orders.csv
    columns: {date: Date, order_id: Order, rep: Rep, customer: Customer, amount: Amount}
    key: order_id
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    unit: currency
"""
ROOT = Path(__file__).parents[2]


def orders(reps: dict[str, str], duplicate: bool) -> str:
    lines = ["Order,Date,Rep,Customer,Amount"]
    for year, month in [(y, m) for y in (2016, 2017) for m in range(1, 13) if (y, m) <= (2017, 6)]:
        for rep, last in reps.items():
            if f"{year}-{month:02d}" > last:
                continue
            for day in range(1, 13):
                date = f"{year}-{month:02d}-{day:02d}"
                lines.append(f"{rep}-{year}{month:02d}-{day},{date},{rep},{rep}{day % 3},100")
    if duplicate:
        lines.append("B-201705-1,2017-05-01,B,B1,100")
        assert lines.count(lines[-1]) == 2
    return "\n".join(lines) + "\n"


@pytest.fixture
def dirty(tmp_path: Path) -> Path:
    (tmp_path / "orders.csv").write_text(orders({"A": "2017-05", "B": "2017-06"}, True))
    (tmp_path / "kpi.yaml").write_text(SPEC)
    return tmp_path / "kpi.yaml"


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    (tmp_path / "orders.csv").write_text(orders({"B": "2017-06"}, False))
    (tmp_path / "kpi.yaml").write_text(SPEC)
    return tmp_path / "kpi.yaml"


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["alerts", *map(str, args)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_table_groups_by_severity(dirty: Path) -> None:
    code, out = run(dirty)
    assert code == 0, out
    assert "Tiny Co · 2017-06 · as of 2017-06-12" in out
    assert "1 critical · 1 warning" in out
    critical, warning = out.index("Critical (1)"), out.index("Warning (1)")
    assert critical < out.index("gone quiet: A: nothing in orders") < warning
    assert warning < out.index("duplicate lines: B: 1 order_id repeated")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--fail-on", "warning"], 1),
        (["--fail-on", "critical"], 1),
        (["--fail-on", "critical", "--rep", "B"], 0),  # B's only alert is a warning
        (["--fail-on", "warning", "--rep", "B"], 1),
        (["--fail-on", "warning", "--min-severity", "critical"], 1),  # hidden still counts
    ],
)
def test_fail_on(dirty: Path, options: list[str], expected: int) -> None:
    code, out = run(dirty, *options)
    assert code == expected, out


def test_no_alerts_and_quiet(clean: Path) -> None:
    code, out = run(clean)
    assert code == 0 and "No alerts." in out
    assert run(clean, "--quiet", "--fail-on", "warning") == (0, "")
    assert run(clean, "--quiet", "--format", "json") == (0, "")
    assert run(clean, "-q", "--format", "md") == (0, "")


def test_quiet_still_prints_alerts(dirty: Path) -> None:
    code, out = run(dirty, "--quiet", "--min-severity", "critical")
    assert code == 0 and "gone quiet" in out and "duplicate" not in out
    assert run(dirty, "--quiet", "--rep", "B", "--min-severity", "critical") == (0, "")


def test_json(dirty: Path) -> None:
    code, out = run(dirty, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["schema"] == "salesperf.alerts/1"
    assert (document["period"], document["as_of"]) == ("2017-06", "2017-06-12")
    assert [(a["severity"], a["rule"], a["entity"]) for a in document["alerts"]] == [
        ("critical", "gone_quiet", "A"),
        ("warning", "duplicate_key", "B"),
    ]
    quiet = document["alerts"][0]
    assert quiet["evidence"]["expected_rows"] == 12
    assert quiet["analysis"]["change"] == -1200  # May 1-12: 12 x 100, June: nothing
    assert quiet["messages"]["zh-CN"].startswith("A：")


def test_markdown_digest(dirty: Path) -> None:
    code, out = run(dirty, "--format", "md")
    assert code == 0
    assert out.startswith("## Alerts: Tiny Co · 2017-06 · as of 2017-06-12\n")
    assert "### Critical (1)\n\n- **gone quiet**: A: nothing in orders" in out
    assert "  - orders 12 → 0 (−$1,200); average order $100 → $100 (±$0)" in out
    assert out.count("also explains Tiny Co (100% of its gap)") == 1


@pytest.mark.parametrize(
    "options",
    [
        ["--min-severity", "loud"],
        ["--fail-on", "info"],
        ["--format", "xml"],
        ["--rep", "nobody"],
        ["--team", "Sales"],  # no team level in this spec
        ["--period", "2017-Q2"],  # the spec reviews by month
    ],
)
def test_bad_options_exit_2(dirty: Path, options: list[str]) -> None:
    code, _ = run(dirty, *options)
    assert code == 2


def test_missing_spec_exits_2(tmp_path: Path) -> None:
    code, _ = run(tmp_path / "nope.yaml")
    assert code == 2


def test_example_digest() -> None:
    code, out = run(
        ROOT / "examples" / "kpi.yaml",
        "--format",
        "md",
        "--min-severity",
        "critical",
        "--fail-on",
        "critical",
    )
    assert code == 1
    assert "### Critical (2)" in out
    assert "Sarah Mitchell (R05): Revenue at 48% of pace" in out
    assert "Liam Murphy (R21): nothing in orders" in out
