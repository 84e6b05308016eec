"""examples/market end to end: market research and the official US calendar on Northbridge.

The orders and roster are the main example's; examples/market/data/market.csv is made by
examples/generate.py (market_rows). "Today" is Wednesday 2017-06-21.
"""

from __future__ import annotations

import csv
import importlib
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.cli import app

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "market" / "kpi.yaml"
MARKET = ROOT / "examples" / "market" / "data" / "market.csv"


def market_row(month: str, region: str) -> dict[str, str]:
    with MARKET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return next(r for r in rows if r["Month"] == month and r["Region"] == region)


def size(month: str, region: str) -> float:
    return float(market_row(month, region)["Market size (USD)"].replace(",", ""))


@pytest.fixture(scope="module")
def targets() -> dict:
    result = CliRunner().invoke(app, ["targets", str(EXAMPLE), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_market_file_is_what_generate_makes() -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        generate = importlib.import_module("generate")
        rows = generate.market_rows()
    finally:
        sys.path.remove(str(ROOT / "examples"))
    with MARKET.open(encoding="utf-8", newline="") as handle:
        committed = [tuple(r) for r in csv.reader(handle)][1:]
    assert committed == [tuple(str(v) for v in row) for row in rows]
    assert MARKET.read_bytes().count(b"\r") == 0


def test_check_passes_and_describes_the_market_file() -> None:
    result = CliRunner().invoke(app, ["check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "market_growth │ 48 of 72 rows filled" in result.output
    document = json.loads(
        CliRunner().invoke(app, ["check", str(EXAMPLE), "--format", "json"]).stdout
    )
    # 2 regions x 36 months (2015-01..2017-12); 2015 has no year-on-year growth: 72 - 24.
    shown = document["market"].pop("file")  # relative to the working directory
    assert shown.replace("\\", "/").endswith("market/data/market.csv")
    assert document["market"] == {
        "source": "market",
        "rows": 72,
        "first_period": "2015-01",
        "last_period": "2017-12",
        "level": "region",
        "entities": ["East", "West"],
        "figures": {"market_size": 72, "market_growth": 48},
    }


def test_region_targets_follow_their_own_market(targets: dict) -> None:
    rows = {(r["kpi"], r["level"], r["entity"]): r for r in targets["rows"]}
    for region in ("East", "West"):
        row = rows[("revenue", "region", region)]
        basis = row["target_basis"]
        percent = market_row("2017-06", region)["Market growth (YoY)"].rstrip("%")
        growth = round(float(percent) / 100, 6)
        assert basis["market"] == {
            "figure": "market_growth",
            "period": "2017-06",
            "value": growth,
            "margin": 0.01,
            "level": "region",
            "entity": region,
        }
        # last_year: June 2016 x (1 + the region's market growth for June 2017 + 1 point),
        # in whole dollars (East: 1,335,038.xx x 1.048).
        assert basis["periods"] == ["2016-06"]
        expected = basis["values"][0] * (1 + growth + 0.01)
        assert row["target"] == pytest.approx(round(expected), abs=0.5)
    company = rows[("revenue", "company", "company")]["target"]
    east = rows[("revenue", "region", "East")]["target"]
    west = rows[("revenue", "region", "West")]["target"]
    assert company == east + west
    reps_east = [
        r["target"]
        for r in targets["rows"]
        if r["kpi"] == "revenue" and r["level"] == "team" and r["parent"] == "East"
    ]
    assert sum(reps_east) == east  # allocated exactly


def test_market_share_and_workday_pace() -> None:
    result = CliRunner().invoke(
        app, ["progress", str(EXAMPLE), "--period", "2017-05", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {(r["kpi"], r["level"], r["entity"]): r for r in json.loads(result.stdout)["rows"]}
    revenue = rows[("revenue", "company", "company")]["actual"]
    share = rows[("market_share", "company", "company")]
    # May 2017: the company's revenue over East's and West's market sizes added up.
    market = size("2017-05", "East") + size("2017-05", "West")
    assert share["denominator"] == market
    assert share["actual"] == pytest.approx(revenue / market)
    east = rows[("market_share", "region", "East")]
    assert east["denominator"] == size("2017-05", "East")
    # June 2017 as of Wednesday the 21st: 15 of June's 22 weekdays have passed (no US
    # federal holiday falls in June 2017): 15 / 22 = 0.6818.
    june = CliRunner().invoke(app, ["progress", str(EXAMPLE), "--format", "json"])
    elapsed = json.loads(june.stdout)["rows"][0]["elapsed"]
    assert elapsed == pytest.approx(15 / 22)


def test_report_renders(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["report", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "Market share" in text and "targets from the market" in text
