"""Expected gaps: a source's own `where:`, `allow_missing:`, and rows a KPI cannot count."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesperf.check import run_check
from salesperf.cli import app
from salesperf.engine.coverage import kpi_exclusions
from salesperf.errors import Level, SpecError
from salesperf.report.model import data_quality
from salesperf.review import Review
from salesperf.sources.dataset import load_dataset
from salesperf.spec import load_spec, parse_spec

# A CRM pipeline: two open deals (rows 4 and 6) have no close date and no value; row 5 is a
# won deal without an account; row 7 is a won deal without a close date (a real problem).
DEALS = """\
opportunity_id,sales_agent,account,deal_stage,close_date,close_value
A1,Ann,Acme,Won,2024-01-10,100
A2,Ann,Beta,Lost,2024-01-15,0
A3,Bob,Acme,Engaging,,
A4,Bob,,Won,2024-01-20,50
A5,Bob,Gamma,Prospecting,,
A6,Bob,Gamma,Won,,70
"""

SPEC = """\
version: 1
sources:
  deals:
    path: deals.csv
    columns:
      date: close_date
      rep: sales_agent
      customer: account
      stage: deal_stage
      amount: close_value
    {extra}
kpis:
  - id: revenue
    name: Revenue
    source: deals
    measure: sum
    column: amount
    where: {{stage: Won}}
    weight: 50
  - {{id: new_customers, name: New customers, source: deals, measure: new_customers, weight: 50}}
"""


def evaluate(spec: object, **options: object) -> object:
    """The results table of a review (what the removed engine.pipeline.evaluate returned)."""
    return Review(spec, **options).results  # type: ignore[arg-type]


def project(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "deals.csv").write_text(DEALS)
    spec = SPEC.format(extra=textwrap.indent(textwrap.dedent(extra), "    ").strip())
    (tmp_path / "kpi.yaml").write_text(spec)
    return tmp_path / "kpi.yaml"


CLOSED = "where: {stage: [Won, Lost]}"


def test_a_source_where_leaves_open_deals_out_before_they_are_rejected(tmp_path: Path) -> None:
    loaded = load_dataset(load_spec(project(tmp_path, CLOSED))).sources["deals"]
    # 6 rows read: A3 and A5 are open (outside), A6 is won without a date (rejected),
    # A1, A2, A4 loaded: 3 + 1 + 2 = 6.
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_outside) == (6, 3, 2)
    assert [(r.row, r.reason) for r in loaded.rejected] == [(7, "missing-date")]
    assert loaded.frame["stage"].tolist() == ["Won", "Lost", "Won"]


def test_without_a_source_where_open_deals_are_rejected_rows(tmp_path: Path) -> None:
    loaded = load_dataset(load_spec(project(tmp_path, ""))).sources["deals"]
    assert [r.row for r in loaded.rejected] == [4, 6, 7]
    assert loaded.rows_outside == 0


def test_kpi_exclusions_count_rows_without_the_field_a_kpi_needs(tmp_path: Path) -> None:
    spec = project(tmp_path, CLOSED + "\nallow_missing: {customer: accounts are created later}")
    gaps = kpi_exclusions(load_dataset(load_spec(spec)))
    # new_customers: A4 has no account -> 1 row; revenue: every won row has an amount.
    assert [(g.kpi, g.field, g.rows, g.expected) for g in gaps] == [
        ("new_customers", "customer", 1, True)
    ]
    assert gaps[0].message() == (
        "1 row(s) of 'deals' without customer are not counted in New customers "
        "(expected: accounts are created later)"
    )


def findings(spec: Path) -> dict[str, tuple[Level, str]]:
    return {f.code: (f.level, f.message) for f in run_check(spec).findings}


def test_check_reports_expected_gaps_as_information_and_the_rest_as_warnings(
    tmp_path: Path,
) -> None:
    found = findings(project(tmp_path, CLOSED))
    assert found["outside-where"] == (
        Level.INFO,
        "source 'deals': 2 row(s) outside the source's where: (stage=['Won', 'Lost']) are not "
        "part of it",
    )
    assert found["rejected-rows"][0] is Level.WARNING  # A6: won, no close date
    assert found["not-counted"] == (
        Level.WARNING,
        "source 'deals': 1 row(s) of 'deals' without customer are not counted in New "
        "customers; if that is expected, say so with allow_missing: {customer: reason} under "
        "sources.deals",
    )
    expected = CLOSED + "\nallow_missing: {date: invoiced later, customer: accounts later}"
    found = findings(project(tmp_path, expected))
    assert found["expected-missing"] == (
        Level.INFO,
        "source 'deals': 1 row(s) without a date are not counted (expected: invoiced later), "
        "rows 7",
    )
    assert found["not-counted"][0] is Level.INFO
    assert "rejected-rows" not in found


def test_strict_fails_only_on_the_unexpected(tmp_path: Path) -> None:
    runner = CliRunner()
    unexpected = project(tmp_path, CLOSED)
    assert runner.invoke(app, ["check", "--strict", str(unexpected)]).exit_code == 1
    everything = project(tmp_path, CLOSED + "\nallow_missing: [date, customer]")
    result = runner.invoke(app, ["check", "--strict", str(everything)])
    assert result.exit_code == 0, result.output
    assert "outside where" in result.output and "not counted" in result.output


def test_report_data_quality_says_what_is_not_counted(tmp_path: Path) -> None:
    spec = project(tmp_path, CLOSED + "\nallow_missing: {customer: accounts later}")
    results = evaluate(spec)
    notes = data_quality(results)[0]["notes"]
    # The report's glossary (issue 14): lines, not "row(s)"; 条记录, not 行.
    assert [n["text"] for n in notes] == [
        "deals: 2 lines are outside its where: and not part of it",
        "deals: 1 lines without customer are not counted in New customers "
        "(expected: accounts later)",
    ]
    chinese = data_quality(results, "zh-CN")[0]["notes"]
    expected = "deals 中 1 条记录缺少customer，未计入「New customers」（预期内：accounts later）"
    assert chinese[1]["text"] == expected


def test_unknown_fields_in_source_where_and_allow_missing_are_spec_errors() -> None:
    text = SPEC.format(extra="where: {stag: Won}\n    allow_missing: [custmer]")
    with pytest.raises(SpecError) as info:
        parse_spec(text, "kpi.yaml", check_paths=False)
    messages = [str(f) for f in info.value.findings]
    assert any("sources.deals.where.stag: field 'stag' is not mapped" in m for m in messages)
    assert any("(did you mean 'customer'?)" in m for m in messages)
