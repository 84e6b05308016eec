"""Spec loading: models, line numbers, suggestions and cross-object rules.

Broken specs as files live in tests/corpus/spec (run through the CLI by test_corpus.py);
these tests cover the library API and the bundled specs.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from salesperf.errors import Level, SpecError
from salesperf.spec import MeasureKind, TargetMethod, load_spec, parse_spec
from salesperf.spec.rules import fields_needed

ROOT = Path(__file__).parents[2]

MINIMAL = """
version: 1
sources:
  orders:
    path: o.csv
    columns: {date: Date, rep: Rep, amount: Amount, customer: Cust, stage: Stage}
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    weight: 60
  - id: won
    name: Won deals
    source: orders
    measure: count
    where: {stage: Won}
    weight: 40
"""


def parse(text: str):
    return parse_spec(textwrap.dedent(text).lstrip("\n"), "kpi.yaml", check_paths=False)


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse(text)
    return [str(f) for f in info.value.findings]


@pytest.mark.parametrize(
    "path",
    [
        "examples/kpi.yaml",
        "examples/zh/kpi.yaml",
        "examples/market/kpi.yaml",
        "tests/fixtures/mini/kpi.yaml",
    ],
)
def test_bundled_specs_are_valid_without_warnings(path: str) -> None:
    spec = load_spec(ROOT / path)
    assert [str(w) for w in spec.warnings if w.level is not Level.INFO] == []


def test_reference_example_parses() -> None:
    spec = load_spec(ROOT / "kpi.yaml.example", check_paths=False)
    assert spec.kpis[0].target.method is TargetMethod.LAST_YEAR
    assert spec.holidays == [dt.date(2017, 5, 1), dt.date(2017, 5, 29)]
    # The reference shows `value:` next to last_year on purpose; that is its only warning.
    assert [w.code for w in spec.warnings if w.level is Level.WARNING] == ["unused-value"]


def test_defaults() -> None:
    spec = parse(MINIMAL)
    assert (spec.currency, spec.locale.value, spec.period.value, spec.fiscal_year_start) == (
        "USD",
        "en",
        "month",
        1,
    )
    assert spec.levels == ["team"]
    assert spec.kpis[0].measure is MeasureKind.SUM
    assert spec.kpis[0].additive


def test_all_problems_reported_together_with_lines() -> None:
    found = problems(
        """
        version: 1
        period: monthly
        sources:
          orders:
            path: o.csv
            colums: {date: D}
            columns: {date: D}
        kpis:
          - id: revenue
            name: Revenue
            source: orders
            measure: summ
        """
    )
    assert found == [
        "kpi.yaml:2: period: 'monthly' is not one of week, month, quarter, year "
        "(did you mean 'month'?)",
        "kpi.yaml:6: sources.orders.colums: unknown key 'colums' (did you mean 'columns'?); "
        "allowed here: allow_missing, columns, date_format, decimal, delimiter, derive, "
        "encoding, header_row, key, max_rejected_share, missing_values, path, sheet, where",
        "kpi.yaml:12: kpis[0].measure: 'summ' is not one of sum, count, count_distinct, mean, "
        "median, ratio, new_customers, retention_rate, nps, market_share (did you mean 'sum'?)",
    ]


def test_weights_warning() -> None:
    spec = parse(MINIMAL.replace("weight: 40", "weight: 30"))
    warnings = [str(w) for w in spec.warnings if w.level is Level.WARNING]
    assert warnings == [
        "kpi.yaml:6: kpis: KPI weights sum to 90, not 100; scores will be renormalised"
    ]


def test_unquoted_and_quoted_holidays() -> None:
    spec = parse(MINIMAL + "holidays: [2017-05-01, '2017-05-29']\n")
    assert spec.holidays == [dt.date(2017, 5, 1), dt.date(2017, 5, 29)]


def test_windows_paths_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "o.csv").write_text("Date\n2017-01-01\n")
    text = MINIMAL.replace("path: o.csv", "path: data\\o.csv")
    spec = parse_spec(textwrap.dedent(text), "kpi.yaml", base_dir=tmp_path)
    assert spec.sources["orders"].path == "data\\o.csv"


def test_fields_needed_loads_only_used_columns() -> None:
    spec = parse(MINIMAL)
    fields, numeric = fields_needed(spec, "orders")
    # customer is mapped but no KPI uses it: not loaded.
    assert fields == {"date", "rep", "amount", "stage"}
    assert numeric == {"amount"}


def test_spec_errors_never_leak_pydantic_jargon() -> None:
    found = problems(
        """
        version: 1
        sources: []
        kpis: {}
        """
    )
    text = "\n".join(found)
    assert "dict_type" not in text and "pydantic" not in text
    assert "sources: expected a mapping of keys here, got a list" in text


def test_where_values_typed_by_yaml_are_refused_in_parts_and_alerts() -> None:
    """Ratio parts and alerts.returns_where are filters too: the same rule, at each line."""
    found = problems(
        MINIMAL.replace(
            "    where: {stage: Won}\n",
            "    where: {stage: Won}\n"
            "  - id: rate\n    name: Rate\n    source: orders\n    measure: ratio\n"
            "    numerator: {measure: count, where: {stage: off}}\n"
            "    denominator: {measure: count}\n",
        )
        + "alerts:\n  returns_where: {customer: 017}\n"
    )
    assert found == [
        "kpi.yaml:22: kpis[2].numerator.where.stage: YAML reads off as false, which matches "
        "no text in a column; write 'off' in quotes to match that text",
        "kpi.yaml:26: alerts.returns_where.customer: YAML reads 017 as the number 15 "
        "(octal: a leading zero); write '017' in quotes to match that text",
    ]


def test_quoted_and_decimal_where_values_are_kept() -> None:
    spec = parse(
        MINIMAL.replace(
            "where: {stage: Won}", "where: {stage: ['Yes', '010'], amount: {gt: 1_000}}"
        )
    )
    assert spec.kpis[1].where == {"stage": ["Yes", "010"], "amount": {"gt": 1000}}


def test_mapping_keys_are_the_words_written() -> None:
    """`no:` is a field named "no", not False (and `010:` is "010", not 8)."""
    spec = parse(MINIMAL.replace("stage: Stage}", "stage: Stage, no: Order No}"))
    assert "no" in spec.sources["orders"].columns
