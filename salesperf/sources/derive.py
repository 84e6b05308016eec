"""Computed columns (`derive:`) evaluated over whole columns of a loaded source.

The expression tree comes from :mod:`salesperf.spec.expressions`. Evaluation is vectorised
(numpy over the frame's columns, no Python loop over rows) and follows the rules a
spreadsheet user expects:

- a missing input gives a missing result (an empty quantity is not 0);
- division by zero gives a missing result, and the rows are counted (``check`` lists them);
  a division in the branch a conditional does not take does not count;
- comparisons with a missing value are false (as in ``where:``); a comparison's result is
  1 or 0, so ``won: "stage == 'Won'"`` can be summed;
- ``round`` rounds halves away from zero (2.5 -> 3, -2.5 -> -3), as spreadsheets do, not
  to even as Python does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesperf.spec.expressions import (
    Arithmetic,
    Choose,
    Compare,
    Expr,
    Function,
    Logic,
    Member,
    Name,
    Negate,
    Not,
    Number,
    Text,
    dependencies,
    is_text,
    parse_expression,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Row numbers kept per derived column for messages.
SHOW_ROWS = 5


@dataclass(frozen=True)
class DerivedColumn:
    """What computing one derived column found: rows where it is missing, and why."""

    name: str
    expression: str
    #: Rows (spreadsheet numbers) where a division by zero made the value missing.
    divide_by_zero: int = 0
    divide_by_zero_rows: list[int] = field(default_factory=list)
    #: Rows where an input was missing, so the value is too.
    missing_input: int = 0


@dataclass
class _Value:
    """An intermediate result: numbers (float, NaN = missing), texts or truth values, plus
    the rows where a division by zero happened on the way."""

    values: np.ndarray | pd.Series
    kind: str  # number | text | truth
    zero: np.ndarray


def add_derived(
    frame: pd.DataFrame, derive: Mapping[str, str], wanted: set[str]
) -> tuple[pd.DataFrame, list[DerivedColumn]]:
    """``frame`` with the derived columns in ``wanted`` (and those they use) added, in the
    order ``derive`` defines them; plus what was found computing each."""
    _, needed = dependencies(dict(derive), wanted)
    notes = []
    rows = frame["_row"].to_numpy() if "_row" in frame else np.arange(1, len(frame) + 1)
    columns: dict[str, np.ndarray | pd.Series] = {}
    for name, text in derive.items():
        if name not in needed:
            continue
        expr = parse_expression(text)
        result = _eval(expr, frame, columns)
        zero = result.zero
        if result.kind == "text":
            values = pd.Series(result.values, index=frame.index, dtype="string")
            missing = values.isna().to_numpy()
        else:
            values = pd.Series(_number(result), index=frame.index, dtype="float64")
            missing = values.isna().to_numpy()
        columns[name] = values
        inputs_missing = missing & ~zero
        notes.append(
            DerivedColumn(
                name,
                text,
                int(zero.sum()),
                [int(r) for r in rows[zero][:SHOW_ROWS]],
                int(inputs_missing.sum()),
            )
        )
    if columns:
        frame = frame.assign(**columns)
    return frame, notes


def _column(frame: pd.DataFrame, done: Mapping[str, object], name: str) -> _Value:
    values = done[name] if name in done else frame[name]
    zero = np.zeros(len(frame), dtype=bool)
    if isinstance(values, pd.Series) and pd.api.types.is_numeric_dtype(values):
        return _Value(values.to_numpy(dtype="float64", na_value=np.nan), "number", zero)
    return _Value(pd.Series(values, index=frame.index).astype("string"), "text", zero)


def _number(value: _Value) -> np.ndarray:
    if value.kind == "truth":
        return np.asarray(value.values, dtype="float64")
    if value.kind == "text":
        raise TypeError("text used as a number")  # excluded by the spec rules
    return np.asarray(value.values, dtype="float64")


def _truth(value: _Value) -> np.ndarray:
    """A condition: comparisons are already true/false; a number is true when non-zero."""
    if value.kind == "truth":
        return np.asarray(value.values, dtype=bool)
    numbers = _number(value)
    return np.asarray(~np.isnan(numbers) & (numbers != 0), dtype=bool)


def _eval(expr: Expr, frame: pd.DataFrame, done: Mapping[str, object]) -> _Value:
    count = len(frame)
    none = np.zeros(count, dtype=bool)
    if isinstance(expr, Number):
        return _Value(np.full(count, expr.value), "number", none)
    if isinstance(expr, Text):
        return _Value(pd.Series([expr.value] * count, dtype="string"), "text", none)
    if isinstance(expr, Name):
        return _column(frame, done, expr.name)
    if isinstance(expr, Negate):
        inner = _eval(expr.operand, frame, done)
        return _Value(-_number(inner), "number", inner.zero)
    if isinstance(expr, Arithmetic):
        left, right = _eval(expr.left, frame, done), _eval(expr.right, frame, done)
        a, b = _number(left), _number(right)
        zero = left.zero | right.zero
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if expr.op == "+":
                out = a + b
            elif expr.op == "-":
                out = a - b
            elif expr.op == "*":
                out = a * b
            else:
                by_zero = (b == 0) & ~np.isnan(a)
                zero = zero | by_zero
                out = np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))
        return _Value(out, "number", zero)
    if isinstance(expr, Function):
        inner = _eval(expr.argument, frame, done)
        x = _number(inner)
        if expr.name == "abs":
            return _Value(np.abs(x), "number", inner.zero)
        scale = 10.0**expr.digits
        # Half away from zero; the inner round absorbs binary noise (1.005 * 100 = 100.4999...).
        scaled = np.round(np.abs(x) * scale, 9)
        return _Value(np.sign(x) * np.floor(scaled + 0.5) / scale, "number", inner.zero)
    if isinstance(expr, Compare):
        return _compare(expr, frame, done)
    if isinstance(expr, Member):
        inner = _eval(expr.operand, frame, done)
        if inner.kind == "text":
            texts = [str(v) for v in expr.values]
            series = pd.Series(inner.values, index=frame.index).astype("string")
            hit = series.isin(texts).fillna(False).to_numpy(dtype=bool)
        else:
            numbers = [float(v) for v in expr.values if not isinstance(v, str)]
            hit = np.isin(_number(inner), numbers)
        return _Value(~hit if expr.negated else hit, "truth", inner.zero)
    if isinstance(expr, Not):
        inner = _eval(expr.operand, frame, done)
        return _Value(~_truth(inner), "truth", inner.zero)
    if isinstance(expr, Logic):
        parts = [_eval(e, frame, done) for e in expr.operands]
        truths = [_truth(p) for p in parts]
        combine = np.logical_and if expr.op == "and" else np.logical_or
        combined = combine.reduce(truths)
        zero = np.logical_or.reduce([p.zero for p in parts])
        return _Value(combined, "truth", zero)
    assert isinstance(expr, Choose)
    test = _eval(expr.test, frame, done)
    then, otherwise = _eval(expr.then, frame, done), _eval(expr.otherwise, frame, done)
    chosen = _truth(test)
    zero = test.zero | (chosen & then.zero) | (~chosen & otherwise.zero)
    if is_text(expr):
        a = _as_text(then, frame)
        b = _as_text(otherwise, frame)
        return _Value(a.where(chosen, b), "text", zero)
    return _Value(np.where(chosen, _number(then), _number(otherwise)), "number", zero)


def _as_text(value: _Value, frame: pd.DataFrame) -> pd.Series:
    if value.kind == "text":
        return pd.Series(value.values, index=frame.index).astype("string")
    numbers = pd.Series(_number(value), index=frame.index)
    return numbers.map(lambda v: f"{v:g}", na_action="ignore").astype("string")


def _compare(expr: Compare, frame: pd.DataFrame, done: Mapping[str, object]) -> _Value:
    left, right = _eval(expr.left, frame, done), _eval(expr.right, frame, done)
    zero = left.zero | right.zero
    if "text" in (left.kind, right.kind):
        a = pd.Series(left.values, index=frame.index).astype("string").str.strip()
        b = pd.Series(right.values, index=frame.index).astype("string").str.strip()
        result = {
            "==": a == b,
            "!=": a != b,
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
        }[expr.op]
        hit = result.fillna(expr.op == "!=").to_numpy(dtype=bool)
        if expr.op == "!=":
            # As `where: {ne: ...}`: a missing value is "not equal".
            hit = hit | a.isna().to_numpy() | b.isna().to_numpy()
        return _Value(hit, "truth", zero)
    a, b = _number(left), _number(right)
    with np.errstate(invalid="ignore"):
        hit = {
            "==": a == b,
            "!=": a != b,
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
        }[expr.op]
    return _Value(np.asarray(hit, dtype=bool), "truth", zero)
