"""`where:` filters from kpi.yaml turned into vectorised boolean masks.

Text values compare exactly after trimming surrounding spaces (the loader already trims),
so ``stage: Won`` does not match ``won``: exports are usually consistent, and a silent
case-fold could merge two codes that differ only by case. Comparisons (gt, ge, lt, le) are
numeric when the field is numeric or the value is a number, otherwise text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def where_mask(frame: pd.DataFrame, where: dict[str, Any] | None) -> pd.Series:
    """Rows of ``frame`` that satisfy every condition of ``where`` (all True when None)."""

    mask = pd.Series(np.ones(len(frame), dtype=bool), index=frame.index)
    for field, condition in (where or {}).items():
        column = frame[field]
        ops = condition if isinstance(condition, dict) else {"eq": condition}
        for op, value in ops.items():
            if isinstance(value, list) and op == "eq":
                op = "in"
            mask &= _apply(column, op, value)
    return mask


def _apply(column: pd.Series, op: str, value: Any) -> pd.Series:

    numeric = pd.api.types.is_numeric_dtype(column)
    if op in ("in", "not_in"):
        values = value if isinstance(value, list) else [value]
        if numeric:
            hit = column.isin([float(v) for v in values if _is_number(v)])
        else:
            hit = column.astype("string").isin([_as_text(v) for v in values])
        hit = hit.fillna(False).astype(bool)
        return hit if op == "in" else ~hit
    if op in ("eq", "ne"):
        if numeric and _is_number(value):
            hit = column == float(value)
        else:
            hit = column.astype("string") == _as_text(value)
        hit = hit.fillna(False).astype(bool)
        return hit if op == "eq" else ~hit
    if numeric or _is_number(value):
        left = column if numeric else pd.to_numeric(column, errors="coerce")
        right: Any = float(value)
    else:
        left = column.astype("string")
        right = _as_text(value)
    result = {
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }[op]
    return result.fillna(False).astype(bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True
