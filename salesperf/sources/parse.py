"""Turning raw cell text into values: missing markers, text and amounts.

Everything works on the distinct values of a column (``pd.factorize``) with pandas string
methods, then maps back by code: exports repeat the same rep, customer and amount strings
many times, so a million rows usually hold only thousands of distinct strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Cell texts that mean "no value" in every column. Deliberately *not* pandas' default list:
#: "NA" is North America in a territory column and must survive. Sources add their own with
#: ``missing_values:``.
DEFAULT_MISSING = ("NULL", "null", "Null", "N/A", "n/a", "#N/A", "NaN", "nan")

#: Currency codes and symbols removed from amounts ("USD 1,234", "1,234 EUR", "¥1,234", "US$5").
_CODE_AROUND = r"^(?:[A-Z]{1,3}\s?[$¥€£]|[A-Z]{3}(?![A-Za-z]))\s*|\s*(?<![A-Za-z])[A-Z]{3}$"
_SYMBOLS = r"[$¥€£₹₩₽元]"
#: Digit grouping: a decimal point with comma (or apostrophe, space) thousands...
_POINT = r"^(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?$"
#: ...or a decimal comma with dot thousands (used only when the column proves it).
_COMMA = r"^(?:\d{1,3}(?:\.\d{3})+|\d*)(?:,\d+)?$"
_DOT_THOUSANDS = r"^\d{1,3}(?:\.\d{3})+$"


def missing_markers(extra: Iterable[str] | None = None) -> frozenset[str]:
    """The texts that mean missing: empty, the defaults, and the spec's ``missing_values``."""
    return frozenset({"", *DEFAULT_MISSING, *(str(m).strip() for m in extra or ())})


def distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values as an object array of str); missing gets code -1."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def clean_text(raw: pd.Series, markers: frozenset[str]) -> pd.Series:
    """Strip surrounding whitespace (incl. NBSP and the ideographic space) and blank out markers.

    Returns the ``string`` dtype with ``<NA>`` for missing, on the same index.
    """
    codes, uniques = distinct(raw)
    stripped = pd.Series(uniques, dtype=object).str.strip()
    stripped = stripped.where(~stripped.isin(markers), None)
    array = pd.array(stripped.to_numpy(dtype=object), dtype="string")
    return pd.Series(array.take(codes, allow_fill=True), index=raw.index, name=raw.name)


@dataclass
class Numbers:
    values: np.ndarray  # float64, NaN where missing or bad
    bad: np.ndarray  # bool: present but not a number
    decimal_comma: bool


def parse_numbers(text: pd.Series) -> Numbers:
    """Amounts as exports write them -> float64.

    Accepted: ``1234.5``, ``1,234.50``, ``1 234.50``, ``1'234.50``, currency symbols and codes
    before or after (``¥1,234``, ``$1,234.50``, ``USD 1,234``, ``1,234 EUR``, ``1,234元``),
    negatives as ``-1``, ``(1,234.50)`` or ``1,234.50-``, percentages (``12.5%`` -> 0.125),
    full-width digits. A lone ``-`` (optionally with a currency sign) is **zero**: that is how
    Excel's Accounting format shows 0, and "Save as CSV" writes what is shown.

    A decimal comma (``1.234,50``, ``12,5``) is used for a column only when some value can
    only be read that way and no value can only be read with a decimal point; values such as
    ``1,234`` then follow the column. Otherwise such values are bad numbers, never guessed.
    ``text`` is already cleaned (missing is ``<NA>``); missing stays NaN and is not bad.
    """
    codes, uniques = distinct(text)
    plain = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    values = plain.copy()
    todo = ~np.isfinite(plain)
    decimal_comma = False
    if todo.any():
        formatted = _formatted(pd.Series(uniques[todo], dtype=object))
        comma_only = formatted["comma_ok"] & ~formatted["point_ok"]
        point_only = formatted["point_ok"] & ~formatted["comma_ok"]
        has_point = pd.Series(uniques[~todo], dtype=object).str.contains(".", regex=False)
        dot_groups = pd.Series(uniques[~todo], dtype=object).str.match(_DOT_THOUSANDS)
        plain_point_only = has_point & ~dot_groups
        decimal_comma = bool(comma_only.any()) and not (point_only.any() or plain_point_only.any())
        if decimal_comma:
            fixed = values[~todo]
            regroup = dot_groups.to_numpy(dtype=bool)
            regrouped = pd.to_numeric(
                pd.Series(uniques[~todo][regroup], dtype=object).str.replace(".", "", regex=False)
            )
            fixed[regroup] = regrouped.to_numpy(dtype=np.float64)
            values[~todo] = fixed
            values[todo] = formatted["comma_value"].to_numpy(dtype=np.float64)
        else:
            values[todo] = formatted["point_value"].to_numpy(dtype=np.float64)
    values[~np.isfinite(values)] = np.nan
    bad_unique = np.isnan(values)
    out = values.take(codes)
    out[codes < 0] = np.nan
    bad = np.zeros(len(codes), dtype=bool)
    present = codes >= 0
    bad[present] = bad_unique[codes[present]]
    return Numbers(out, bad, decimal_comma)


def _formatted(raw: pd.Series) -> pd.DataFrame:
    """Parse non-plain amounts both ways (decimal point, decimal comma); NaN where invalid."""
    s = raw.str.normalize("NFKC").str.replace("\u2212", "-", regex=False).str.strip()
    paren = s.str.match(r"^\(.*\)$")
    s = s.where(~paren, s.str.slice(1, -1)).str.strip()
    s = s.str.replace(_CODE_AROUND, "", regex=True).str.replace(_SYMBOLS, "", regex=True)
    s = s.str.strip()
    lead_minus = s.str.startswith("-")
    s = s.str.replace(r"^[-+]\s*", "", regex=True)
    s = s.str.replace(_CODE_AROUND, "", regex=True).str.replace(_SYMBOLS, "", regex=True)
    s = s.str.strip()
    trail_minus = s.str.endswith("-")
    s = s.str.replace(r"\s*-$", "", regex=True).str.strip()
    percent = s.str.endswith("%")
    s = s.str.replace(r"\s*%$", "", regex=True)
    s = s.str.replace(r"(?<=\d)[\s'](?=\d)", "", regex=True)
    negative = paren | lead_minus | trail_minus
    dash_zero = (s == "") & negative
    has_digit = s.str.contains(r"\d", regex=True)
    point_ok = s.str.match(_POINT) & has_digit
    comma_ok = s.str.match(_COMMA) & has_digit
    sign = np.where(negative, -1.0, 1.0) * np.where(percent, 0.01, 1.0)
    point_value = pd.to_numeric(
        s.str.replace(",", "", regex=False).where(point_ok), errors="coerce"
    )
    comma_value = pd.to_numeric(
        s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False).where(comma_ok),
        errors="coerce",
    )
    frame = pd.DataFrame(
        {
            "point_ok": point_ok.to_numpy(dtype=bool) | dash_zero.to_numpy(dtype=bool),
            "comma_ok": comma_ok.to_numpy(dtype=bool) | dash_zero.to_numpy(dtype=bool),
            "point_value": point_value.to_numpy(dtype=np.float64, na_value=np.nan) * sign,
            "comma_value": comma_value.to_numpy(dtype=np.float64, na_value=np.nan) * sign,
        }
    )
    zero = dash_zero.to_numpy(dtype=bool)
    frame.loc[zero, ["point_value", "comma_value"]] = 0.0
    # A dash-zero reads the same both ways: it is evidence for neither convention.
    return frame
