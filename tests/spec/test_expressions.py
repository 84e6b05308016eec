"""The `derive:` expression language: what parses, what is refused, and the spec rules."""

from __future__ import annotations

import textwrap

import pytest

from salesperf.errors import SpecError
from salesperf.spec import parse_spec
from salesperf.spec.expressions import (
    Arithmetic,
    Choose,
    Compare,
    ExpressionError,
    Name,
    Number,
    Text,
    dependencies,
    names_in,
    parse_expression,
    text_names,
)
from salesperf.spec.rules import derived_needed, fields_needed


def test_arithmetic_parses_into_a_small_tree() -> None:
    tree = parse_expression("(quantity - 1) * unit_price / 2")
    assert tree == Arithmetic(
        "/",
        Arithmetic("*", Arithmetic("-", Name("quantity"), Number(1.0)), Name("unit_price")),
        Number(2.0),
    )
    assert names_in(tree) == ["quantity", "unit_price"]


def test_conditional_on_a_text_field() -> None:
    tree = parse_expression("value if stage == 'Won' else 0")
    assert tree == Choose(Compare("==", Name("stage"), Text("Won")), Name("value"), Number(0.0))
    assert text_names(tree) == {"stage"}
    assert text_names(parse_expression("1 if stage in ('Won', 'Lost') else 0")) == {"stage"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('x')", "attribute access"),
        ("open('x')", "function 'open' is not allowed"),
        ("amount.real", "attribute access"),
        ("amount[0]", "subscripts"),
        ("amount ** 2", "powers"),
        ("amount // 2", "integer division"),
        ("lambda: 1", "lambda"),
        ("f'{amount}'", "f-strings"),
        ("1 < amount < 3", "chained comparisons"),
        ("round(amount, digits)", "digits must be a whole number"),
        ("amount +", "cannot read"),
        ("True", "not allowed"),
        ("", "empty expression"),
    ],
)
def test_anything_outside_the_allow_list_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=fragment.replace("(", r"\(").replace("*", r"\*")):
        parse_expression(text)


def test_dependencies_follow_derived_columns() -> None:
    derive = {"amount": "quantity * price", "net": "amount - discount", "x": "other"}
    expected = ({"quantity", "price", "discount"}, {"amount", "net"})
    assert dependencies(derive, {"net", "rep"}) == expected


SPEC = """
version: 1
sources:
  lines:
    path: l.csv
    columns: {{date: Date, quantity: Qty, price: Price, stage: Stage, discount: Disc}}
    derive:
      amount: "quantity * price"
      won_amount: "amount if stage == 'Won' else 0"
      {extra}
kpis:
  - {{id: revenue, name: Revenue, source: lines, measure: sum, column: won_amount, weight: 100}}
"""


def parse(extra: str = ""):
    text = textwrap.dedent(SPEC).format(extra=extra).lstrip("\n")
    return parse_spec(text, "kpi.yaml", check_paths=False)


def errors(extra: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse(extra)
    return [str(f) for f in info.value.findings]


def test_a_kpi_can_sum_a_derived_column_and_only_its_inputs_load() -> None:
    spec = parse()
    fields, numeric = fields_needed(spec, "lines")
    # won_amount needs amount (quantity, price) and stage; discount is not used.
    assert fields == {"date", "quantity", "price", "stage"}
    assert numeric == {"quantity", "price"}  # stage is compared with a text: loaded as text
    assert derived_needed(spec, "lines") == {"amount", "won_amount"}


def test_unknown_name_gets_did_you_mean_and_the_spec_line() -> None:
    found = errors('net: "amount - discont"')
    assert found == [
        "kpi.yaml:9: sources.lines.derive.net: 'discont' in 'amount - discont' is not a field "
        "of source 'lines' (did you mean 'discount'?); names are the keys of columns: (map "
        "the file's header there first) or derived columns above; fields: date, quantity, "
        "price, stage, discount, amount, won_amount"
    ]


def test_a_derived_column_must_be_defined_before_use_and_not_shadow_a_field() -> None:
    text = (
        textwrap.dedent(SPEC)
        .format(extra="")
        .replace('amount: "quantity * price"', 'amount: "later + 1"\n      later: "price"')
    )
    with pytest.raises(SpecError) as info:
        parse_spec(text, "kpi.yaml", check_paths=False)
    assert "which is derived below it; define 'later' first" in str(info.value.findings[0])
    assert "is both mapped under columns: and derived" in errors('stage: "1"')[0]


def test_a_field_used_as_text_and_as_number_is_an_error() -> None:
    assert "used both as text" in errors('odd: "stage + 1"')[0]
