"""Derived columns evaluated over loaded rows, and used by KPIs, `where:`, `key:` and check."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesperf.check import run_check
from salesperf.review import Review
from salesperf.sources.dataset import load_dataset
from salesperf.sources.derive import add_derived
from salesperf.spec import load_spec


def evaluate(spec: object, **options: object) -> object:
    """The results table of a review (what the removed engine.pipeline.evaluate returned)."""
    return Review(spec, **options).results  # type: ignore[arg-type]


def frame(**columns: list[object]) -> pd.DataFrame:
    out = pd.DataFrame(columns)
    out["_row"] = np.arange(2, len(out) + 2)
    return out


def derive(rows: pd.DataFrame, **formulas: str) -> tuple[pd.DataFrame, list]:
    return add_derived(rows, formulas, set(formulas))


def test_arithmetic_missing_inputs_and_division_by_zero() -> None:
    rows = frame(q=[6.0, 2.0, np.nan, 3.0], p=[2.5, 0.0, 1.0, 1.5])
    out, notes = derive(rows, amount="q * p", per="q / p", net="(q - 1) * p + 0.5")
    # 6*2.5 = 15; 2*0 = 0; missing q -> missing; 3*1.5 = 4.5
    assert out["amount"].tolist()[:2] == [15.0, 0.0]
    assert np.isnan(out["amount"][2]) and out["amount"][3] == 4.5
    # 6/2.5 = 2.4; 2/0 -> missing (row 3); missing/1 -> missing; 3/1.5 = 2
    assert out["per"][0] == pytest.approx(2.4) and out["per"][3] == pytest.approx(2.0)
    assert np.isnan(out["per"][1])
    per = next(n for n in notes if n.name == "per")
    assert (per.divide_by_zero, per.divide_by_zero_rows, per.missing_input) == (1, [3], 1)
    # (6-1)*2.5+0.5 = 13; (2-1)*0+0.5 = 0.5; (3-1)*1.5+0.5 = 3.5
    assert out["net"].tolist()[:2] == [13.0, 0.5] and out["net"][3] == 3.5


def test_a_division_in_the_branch_not_taken_does_not_count() -> None:
    rows = frame(q=[4.0, 5.0], p=[2.0, 0.0])
    out, notes = derive(rows, unit="q / p if p != 0 else 0")
    assert out["unit"].tolist() == [2.0, 0.0]  # 4/2; p = 0 -> the else branch
    assert notes[0].divide_by_zero == 0


def test_conditionals_on_text_and_truth_values_sum_as_one_and_zero() -> None:
    rows = frame(
        stage=pd.array(["Won", "Lost", None, "Won "], dtype="string"),
        value=[100.0, 50.0, 30.0, 20.0],
    )
    out, _ = derive(
        rows,
        won_value="value if stage == 'Won' else 0",
        won="stage == 'Won'",
        closed="stage in ('Won', 'Lost')",
        open_deal="not (stage in ('Won', 'Lost'))",
        size="'big' if value >= 50 and stage != 'Lost' else 'small'",
    )
    # "Won " is trimmed, as the loader and where: do; a missing stage is not 'Won'.
    assert out["won_value"].tolist() == [100.0, 0.0, 0.0, 20.0]
    assert out["won"].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert out["closed"].sum() == 2.0 and out["open_deal"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert out["size"].tolist() == ["big", "small", "small", "small"]
    assert str(out["size"].dtype) == "string"


def test_abs_and_round_half_away_from_zero() -> None:
    rows = frame(x=[2.5, -2.5, 1.005, -7.25, np.nan])
    out, _ = derive(rows, r0="round(x)", r2="round(x, 2)", a="abs(x)", r1="round(x, 1)")
    assert out["r0"].tolist()[:4] == [3.0, -3.0, 1.0, -7.0]  # not Python's 2 / -2
    assert out["r2"].tolist()[:4] == [2.5, -2.5, 1.01, -7.25]  # 1.005 -> 1.01 as in Excel
    assert out["r1"].tolist()[:4] == [2.5, -2.5, 1.0, -7.3]  # -7.25 -> -7.3
    assert out["a"].tolist()[:4] == [2.5, 2.5, 1.005, 7.25]
    assert out["r0"].isna().tolist()[4]


@given(
    st.lists(
        st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.floats(-1e3, 1e3, allow_nan=False)),
        min_size=1,
        max_size=30,
    )
)
def test_property_sum_of_derived_products_equals_row_by_row(pairs: list) -> None:
    q = [a for a, _ in pairs]
    p = [b for _, b in pairs]
    out, notes = derive(frame(q=q, p=p), amount="q * p", ratio="q / p")
    assert out["amount"].sum() == pytest.approx(sum(a * b for a, b in pairs), rel=1e-9, abs=1e-6)
    assert notes[1].divide_by_zero == sum(1 for b in p if b == 0)


LINES = """\
InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice,CustomerID
536365,2024-01-05,A,6,2.55,17850
536365,2024-01-05,B,2,0,17850
536366,2024-01-20,A,-1,2.55,
536367,2024-02-02,C,3,1.50,13047
536367,2024-02-03,D,4,x,13047
"""

SPEC = """\
version: 1
sources:
  lines:
    path: lines.csv
    columns:
      date: InvoiceDate
      order_id: InvoiceNo
      stock: StockCode
      quantity: Quantity
      unit_price: UnitPrice
      customer: CustomerID
    derive:
      amount: "quantity * unit_price"
      unit_share: "amount / unit_price"
      line: "'return' if quantity < 0 else 'sale'"
    key: line
kpis:
  - {id: revenue, name: Revenue, source: lines, measure: sum, column: amount, weight: 50}
  - id: sales_lines
    name: Sale lines
    source: lines
    measure: count
    where: {line: sale, unit_share: {gt: 0}}
    weight: 50
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "lines.csv").write_text(LINES)
    (tmp_path / "kpi.yaml").write_text(SPEC)
    return tmp_path / "kpi.yaml"


def test_derived_columns_in_column_where_and_key(project: Path) -> None:
    results = evaluate(project, period="2024-01")
    company = results.table.loc[results.table["level"] == "company"].set_index("kpi")
    # January: 6*2.55 + 2*0 + (-1)*2.55 = 15.30 + 0 - 2.55 = 12.75
    assert company.loc["revenue", "actual"] == pytest.approx(12.75)
    # Sale lines with unit_share > 0: row 2 (15.30/2.55 = 6); row 3 divides by zero
    # (missing, not > 0); row 4 is a return.
    assert company.loc["sales_lines", "actual"] == 1
    loaded = load_dataset(load_spec(project)).sources["lines"]
    # Row 6's unit price 'x' is rejected as a bad number: the formula's inputs are numbers.
    assert [(r.row, r.reason) for r in loaded.rejected] == [(6, "bad-number")]
    assert loaded.frame["line"].tolist() == ["sale", "sale", "return", "sale"]


def test_check_counts_division_by_zero_and_duplicate_derived_keys(project: Path) -> None:
    report = run_check(project)
    summary = report.sources[0]
    assert summary.derived["unit_share"]["divide_by_zero"] == 1
    assert summary.derived["unit_share"]["rows"] == [3]
    # key: line has 2 distinct duplicated values? 'sale' x3 only ('return' once) -> 1.
    assert summary.duplicate_keys == 1
    messages = [f.message for f in report.findings]
    assert (
        "source 'lines': derived 'unit_share' (amount / unit_price) divides by zero on 1 "
        "row(s), rows 3: the value is missing there and those rows count in no sum or "
        "average of it" in messages
    )
    assert not report.errors


def test_the_loader_codes_survive_adding_derived_columns(tmp_path: Path) -> None:
    (tmp_path / "lines.csv").write_text(LINES)
    text = textwrap.dedent(SPEC).replace("key: line", "key: order_id")
    text = text.replace("measure: count\n", "measure: count_distinct\n    column: customer\n")
    (tmp_path / "kpi.yaml").write_text(text)
    loaded = load_dataset(load_spec(tmp_path / "kpi.yaml")).sources["lines"]
    assert "amount" in loaded.frame
    assert loaded.codes("customer") is not None
