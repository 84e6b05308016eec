"""From an export to a first report: `init`, then `check`, then `report`, on five shapes,
with nothing edited by hand beyond what `init` prints (tests/onboarding/exports.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from salesperf.cli import app
from salesperf.cli import render as cli_render
from salesperf.review import Review
from tests.onboarding import exports


def evaluate(spec: object, **options: object) -> object:
    """The results table of a review (what the removed engine.pipeline.evaluate returned)."""
    return Review(spec, **options).results  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_render.out, "width", 200)


def onboard(tmp_path: Path, shape: str) -> tuple[Path, dict, str, list[str]]:
    """Run init, check and report as a new user would; return the spec, its YAML, init's
    output and the report options it suggested."""
    data = exports.SHAPES[shape](tmp_path)
    spec = tmp_path / "kpi.yaml"
    runner = CliRunner()
    init = runner.invoke(app, ["init", str(data), "-o", str(spec)])
    assert init.exit_code == 0, init.output
    assert f"Next: salesperf check {spec}" in init.output
    suggested = re.search(r"Then: salesperf report (\S+)(.*)", init.output)
    assert suggested is not None and suggested.group(1) == str(spec)
    options = shlex.split(suggested.group(2))
    check = runner.invoke(app, ["check", str(spec)])
    assert check.exit_code == 0, check.output
    assert "✓ usable" in check.output
    for name in ("r.html", "r.md"):
        report = runner.invoke(app, ["report", str(spec), *options, "-o", str(tmp_path / name)])
        assert report.exit_code == 0, report.output
        assert (tmp_path / name).stat().st_size > 1000
    return spec, yaml.safe_load(spec.read_text(encoding="utf-8")), init.output, options


def company(spec: Path, options: list[str]) -> dict[str, float]:
    as_of = None
    if options:
        import datetime as dt

        as_of = dt.date.fromisoformat(options[options.index("--as-of") + 1])
    table = evaluate(spec, as_of=as_of).table
    rows = table.loc[table["level"] == "company"]
    return dict(zip(rows["kpi"], rows["actual"], strict=True))


def test_invoice_lines_get_a_derived_amount_and_distinct_orders(tmp_path: Path) -> None:
    spec, parsed, output, options = onboard(tmp_path, "invoice_lines")
    source = parsed["sources"]["orders"]
    assert source["derive"] == {"amount": "quantity * unit_price"}
    assert "key" not in source  # InvoiceNo repeats: not a key
    assert set(source["allow_missing"]) == {"customer"}
    kpis = {k["id"]: k for k in parsed["kpis"]}
    assert (kpis["orders"]["measure"], kpis["orders"]["column"]) == ("count_distinct", "order_id")
    assert "'InvoiceNo' repeats (one row per order line)" in " ".join(output.split())
    # February 2024 by hand: 2 x 3.50 + 1 x 10.00 + 4 x 2.25 = 26.00; invoices 536901 and
    # 536902; one new customer (C900; 536902 has none).
    assert company(spec, options) == {"revenue": 26.0, "orders": 2.0, "new_customers": 1.0}


def test_pipeline_holds_closed_deals_and_maps_the_roster_next_to_it(tmp_path: Path) -> None:
    spec, parsed, _, options = onboard(tmp_path, "pipeline")
    source = parsed["sources"]["orders"]
    assert source["where"] == {"stage": ["Won", "Lost"]}
    assert source["key"] == "order_id"
    assert parsed["org"]["path"] == "sales_teams.csv"
    assert parsed["org"]["columns"] == {
        "rep": "sales_agent",
        "team": "manager",
        "region": "regional_office",
    }
    # February 2024 by hand: won 1,200 + 300 = 1,500; 2 won of 3 closed.
    actual = company(spec, options)
    assert actual["revenue"] == 1500.0 and actual["won_deals"] == 2.0
    assert actual["win_rate"] == pytest.approx(2 / 3)
    table = evaluate(spec).table
    north = table.loc[(table["kpi"] == "revenue") & (table["entity"] == "North")]
    assert north["actual"].tolist() == [1500.0]  # Ann 1,200 + Bob 300


def test_chinese_order_list(tmp_path: Path) -> None:
    spec, parsed, _, options = onboard(tmp_path, "chinese_orders")
    assert (parsed["locale"], parsed["currency"]) == ("zh-CN", "CNY")
    columns = parsed["sources"]["orders"]["columns"]
    assert (columns["date"], columns["amount"], columns["order_id"]) == (
        "订单创建时间",
        "买家实际支付金额",
        "订单编号",
    )
    # February 2024 by hand: 100.00 + 250.50 + 49.50 = 400.00, 3 orders, 2 new buyers.
    assert company(spec, options) == {"revenue": 400.0, "orders": 3.0, "new_customers": 2.0}
    assert "销售额" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_workbook_with_a_roster_sheet(tmp_path: Path) -> None:
    spec, parsed, output, options = onboard(tmp_path, "workbook_with_roster")
    assert parsed["sources"]["orders"]["columns"]["customer"] == "Customer ID"
    assert "preferred over the name column 'Customer Name'" in output
    assert parsed["org"] == {
        "path": "sales.xlsx",
        "sheet": "Reps",
        "columns": {"rep": "Sales Rep", "name": "Name", "team": "Team"},
        "levels": ["team"],
    }
    # February 2024 by hand: 400 + 250 + 150 = 800; East (R1, R2) = 650.
    assert company(spec, options)["revenue"] == 800.0
    table = evaluate(spec).table
    east = table.loc[(table["kpi"] == "revenue") & (table["entity"] == "East"), "actual"]
    assert east.tolist() == [650.0]


def test_company_level_series(tmp_path: Path) -> None:
    spec, parsed, _, options = onboard(tmp_path, "company_series")
    assert [k["id"] for k in parsed["kpis"]] == ["revenue"]  # rows are months, not orders
    assert options == ["--as-of", "2024-02-29"]
    table = evaluate(spec, as_of=__import__("datetime").date(2024, 2, 29)).table
    row = table.iloc[0]
    # last_year +5%: February 2023 was 50,000 -> 52,500; actual 61,000.
    assert (row["actual"], row["target"]) == (61000.0, pytest.approx(52500.0))
