"""Turning raw cell text into values: missing markers, text and amounts.

Everything works on the distinct values of a column (``pd.factorize``) with pandas string
methods, then maps back by code: exports repeat the same rep, customer and amount strings
many times, so a million rows usually hold only thousands of distinct strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Cell texts that mean "no value" in every column. Deliberately *not* pandas' default list:
#: "NA" is North America in a territory column and must survive. Sources add their own with
#: ``missing_values:``.
DEFAULT_MISSING = ("NULL", "null", "Null", "N/A", "n/a", "#N/A", "NaN", "nan")

#: Digit grouping: a decimal point with comma (or apostrophe, space) thousands...
_POINT = r"^(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?$"
#: ...or a decimal comma with dot thousands (used only when the column proves it).
_COMMA = r"^(?:\d{1,3}(?:\.\d{3})+|\d*)(?:,\d+)?$"
_DOT_THOUSANDS = r"^\d{1,3}(?:\.\d{3})+$"


#: What surrounds a value and is not part of it: Unicode whitespace (NBSP, the ideographic
#: space) and a byte-order mark left in the middle of concatenated files.
_BLANKS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\ufeff"


def missing_markers(extra: Iterable[str] | None = None) -> frozenset[str]:
    """The texts that mean missing: empty, the defaults, and the spec's ``missing_values``."""
    return frozenset({"", *DEFAULT_MISSING, *(str(m).strip() for m in extra or ())})


@dataclass
class Distinct:
    """A column as codes into its distinct values: what every parser here works on.

    ``values`` are the distinct cell texts, stripped; ``codes`` index them per row, -1 for
    missing (empty or a missing marker).
    """

    codes: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def without(self, rows: np.ndarray) -> Distinct:
        """The same column with ``rows`` (bool mask) made missing."""
        return Distinct(np.where(rows, -1, self.codes), self.values)

    def to_series(self, index: pd.Index | None = None) -> pd.Series:
        """As the ``string`` dtype with ``<NA>`` for missing."""
        array = pd.array(self.values, dtype="string") if len(self.values) else None
        if array is None:
            array = pd.array([None], dtype="string")
        return pd.Series(array.take(self.codes, allow_fill=True), index=index)

    def compact(self) -> Distinct:
        """Drop distinct values no row refers to any more (after ``without``)."""
        used = np.zeros(len(self.values), dtype=bool)
        used[self.codes[self.codes >= 0]] = True
        if used.all():
            return self
        remap = np.cumsum(used) - 1
        codes = np.where(self.codes >= 0, remap[np.maximum(self.codes, 0)], -1)
        return Distinct(codes, self.values[used])


def distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values as an object array of str); missing gets code -1.

    Distinct values are in order of first appearance (date inference relies on it), also
    for a categorical column (what the CSV reader returns), whose integer codes are
    renumbered instead of hashing a string per row.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories.to_numpy(dtype=object)
        return by_first_appearance(values.cat.codes.to_numpy(), categories)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def by_first_appearance(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into distinct ``values`` (-1: missing), renumbered as ``pd.factorize`` numbers
    the texts they stand for: by first appearance, values no row uses dropped. Factorizing
    the integer codes costs a fraction of hashing a string per row."""
    _, firsts = pd.factorize(codes)
    firsts = firsts[firsts >= 0]
    renumber = np.full(len(values) + 1, -1, dtype=np.intp)  # the last slot: missing
    renumber[firsts] = np.arange(len(firsts))
    return renumber[codes], np.asarray(values, dtype=object)[firsts]


def clean_text(raw: pd.Series, markers: frozenset[str]) -> Distinct:
    """A raw text column as codes into its cleaned distinct values.

    Surrounding whitespace (incl. NBSP, the ideographic space and a stray BOM) is stripped
    and missing markers become missing; the work is done once per distinct value.
    """
    codes, uniques = distinct(raw)
    stripped = pd.Series(uniques, dtype=object).str.strip(_BLANKS)
    missing = stripped.isin(markers).to_numpy(dtype=bool)
    if missing.any():
        codes = np.where((codes >= 0) & missing[np.maximum(codes, 0)], -1, codes)
    return Distinct(codes, stripped.to_numpy(dtype=object)).compact()


@dataclass
class Numbers:
    values: np.ndarray  # float64, NaN where missing or bad
    bad: np.ndarray  # bool: present but not a number
    decimal_comma: bool
    #: Positions (first few) of values such as ``1.234`` when *every* value with a
    #: separator reads as well with a decimal point as with dot thousands, and the spec
    #: gave no ``decimal:``; empty otherwise. The caller stops and asks.
    ambiguous: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    #: bool per row: read from a percentage ("12.5%" -> 0.125).
    percent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


#: "1.234", "-12.500", "€ 1.234": one dot followed by exactly three digits, and a first
#: group that does not start with 0 (0.125 can only be a decimal).
_DOT_OR_THOUSANDS = r"^[-+]?\s*[$¥€£]?\s*[1-9]\d{0,2}\.\d{3}\s*(?:[A-Z]{3}|[$¥€£元])?$"


def parse_numbers(text: Distinct, decimal: str | None = None) -> Numbers:
    """Amounts as exports write them -> float64 (see :func:`_parse_numbers`).

    ``decimal`` is the source's ``decimal:``: "," reads ``1.234,50`` and ``1.234`` (1234)
    and refuses ``12.5``; "." reads ``1,234.50`` and ``1.234`` (1.234) and refuses
    ``12,5``. Without it the separator is decided from the values, and when every value
    with a separator is like ``1.234`` (a decimal point, or a thousands dot as in most of
    Europe) nothing decides: :attr:`Numbers.ambiguous` lists examples.
    """
    if decimal == ",":
        swapped = pd.Series(text.values, dtype=object).str.translate(_SWAP_SEPARATORS).to_numpy()
        numbers = _parse_numbers(Distinct(text.codes, swapped), allow_comma=False)
        numbers.decimal_comma = False  # as the spec says: nothing to warn about
        return numbers
    numbers = _parse_numbers(text, allow_comma=decimal is None)
    if decimal is None and not numbers.decimal_comma:
        numbers.ambiguous = _ambiguous_separators(text, numbers.bad)
    return numbers


_SWAP_SEPARATORS = str.maketrans({".": ",", ",": "."})


def _ambiguous_separators(text: Distinct, bad: np.ndarray) -> np.ndarray:
    """Rows whose value reads as 1.234 or 1234, when no value tells which is meant."""
    values = pd.Series(text.values, dtype=object)
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    used = np.zeros(len(values), dtype=bool)
    good = (text.codes >= 0) & ~bad
    used[text.codes[good]] = True
    if _some_value_decides(text.values[used]):
        return np.zeros(0, dtype=np.intp)
    separated = values.str.contains(r"[.,]", regex=True).to_numpy(dtype=bool) & used
    if not separated.any():
        return np.zeros(0, dtype=np.intp)
    either = values.str.match(_DOT_OR_THOUSANDS).to_numpy(dtype=bool) & used
    if (separated & ~either).any():
        return np.zeros(0, dtype=np.intp)  # some value decides (12.5, 1,234.50, 0.125)
    rows = np.flatnonzero(good & either[np.maximum(text.codes, 0)])
    return rows[:3]


def _some_value_decides(texts: np.ndarray) -> bool:
    """True when one of ``texts`` has a separator and cannot be read as ``1.234``
    (:data:`_DOT_OR_THOUSANDS`), found without a regex per value: a comma (never in that
    form), or digits, a dot and digits with other than three decimals or a first group that
    starts with 0 or is longer than three digits ("12.50", "0.125", "1234.567").
    False leaves the question to the regexes, which decide the other cases."""
    for chunk in _fixed_width(texts):
        if (np.strings.find(chunk, ",") >= 0).any():
            return True
        head, point, tail = np.strings.partition(chunk, ".")
        simple = (point == ".") & np.strings.isdigit(head) & np.strings.isdigit(tail)
        # isdigit takes other scripts' digits too; the regex's \d does as well.
        head_length = np.strings.str_len(head)
        decides = (
            (np.strings.str_len(tail) != 3) | (head_length > 3) | np.strings.startswith(head, "0")
        )
        if (simple & decides).any():
            return True
    return False


def _parse_numbers(text: Distinct, *, allow_comma: bool = True) -> Numbers:
    """Amounts as exports write them -> float64.

    Accepted: ``1234.5``, ``1,234.50``, ``1 234.50``, ``1'234.50``, currency symbols and codes
    before or after (``¥1,234``, ``$1,234.50``, ``USD 1,234``, ``1,234 EUR``, ``1,234元``),
    negatives as ``-1``, ``(1,234.50)`` or ``1,234.50-``, percentages (``12.5%`` -> 0.125),
    full-width digits. A lone ``-`` (optionally with a currency sign) is **zero**: that is how
    Excel's Accounting format shows 0, and "Save as CSV" writes what is shown.

    A decimal comma (``1.234,50``, ``12,5``) is used for a column only when some value can
    only be read that way and no value can only be read with a decimal point; values such as
    ``1,234`` then follow the column. Otherwise such values are bad numbers, never guessed.
    Missing values stay NaN and are not bad.

    Three lanes, cheapest first, each on the values the previous one could not read: plain
    numbers (``pd.to_numeric``), ``1,234.50`` with an optional sign and currency symbol (one
    regex), and everything else (one regex that takes the value apart).
    """
    codes, uniques = text.codes, text.values
    series = pd.Series(uniques, dtype=object)
    texts = np.asarray(uniques, dtype=object)
    values = np.full(len(series), np.nan)
    percent_unique = np.zeros(len(series), dtype=bool)
    # A comma never reads as a plain number: leave those texts to the lanes below
    # (pd.to_numeric is slow on texts it cannot read, and those are most of a formatted
    # column).
    comma = [np.strings.find(chunk, ",") >= 0 for chunk in _fixed_width(texts)]
    plain_at = np.flatnonzero(~np.concatenate(comma)) if comma else np.zeros(0, dtype=np.intp)
    if len(plain_at):
        values[plain_at] = pd.to_numeric(series.iloc[plain_at], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    values[~np.isfinite(values)] = np.nan
    decimal_comma = False
    todo = np.flatnonzero(np.isnan(values))
    if len(todo):
        rest = series.iloc[todo]
        # "1,234.50"-style values, read with a decimal point: the usual ones by numpy string
        # functions, only the others by the regex (with a million distinct amounts, as
        # exports have, a regex per value took 2.5 s).
        fast, todo_values, dotted = _plain_grouped(texts[todo])
        is_grouped = fast.copy()
        slow = np.flatnonzero(~fast)
        if len(slow):
            is_grouped[slow] = rest.iloc[slow].str.fullmatch(_GROUPED).to_numpy(dtype=bool)
        matched_at = np.flatnonzero(is_grouped & ~fast)
        point_only = bool(dotted[fast].any())
        if len(matched_at):
            matched = rest.iloc[matched_at]
            todo_values[matched_at] = _grouped_values(matched)
            point_only |= bool(matched.str.contains(".", regex=False).any())
        comma_only = False
        other = np.flatnonzero(~is_grouped)
        general = None
        if len(other):
            general = _formatted(rest.iloc[other])
            todo_values[other] = general["point_value"].to_numpy(dtype=np.float64)
            percent_unique[todo[other]] = general["pct"].to_numpy(dtype=bool)
            point_only |= bool((general["point_ok"] & ~general["comma_ok"]).any())
            comma_only = bool((general["comma_ok"] & ~general["point_ok"]).any())
        if allow_comma and comma_only and not point_only:
            plain = np.flatnonzero(~np.isnan(values))
            dotted = series.iloc[plain].str.contains(".", regex=False).to_numpy(dtype=bool)
            groups = series.iloc[plain].str.match(_DOT_THOUSANDS).to_numpy(dtype=bool)
            decimal_comma = not (dotted & ~groups).any()
        if decimal_comma:
            grouped = rest.str.extract(_GROUPED)  # rare: the parts, to read "1,234" as 1.234
            sign = np.where(grouped["neg"].notna(), -1.0, 1.0)
            regroup = plain[groups]
            values[regroup] = pd.to_numeric(
                series.iloc[regroup].str.replace(".", "", regex=False)
            ).to_numpy(dtype=np.float64)
            comma_value = pd.to_numeric(
                grouped["num"].str.replace(",", ".", regex=False), errors="coerce"
            ).to_numpy(dtype=np.float64, na_value=np.nan)
            todo_values = comma_value * sign
            if general is not None:
                todo_values[other] = general["comma_value"].to_numpy(dtype=np.float64)
        values[todo] = todo_values
    values[~np.isfinite(values)] = np.nan
    bad_unique = np.isnan(values)
    out = values.take(np.maximum(codes, 0)) if len(values) else np.full(len(codes), np.nan)
    out[codes < 0] = np.nan
    bad = np.zeros(len(codes), dtype=bool)
    present = codes >= 0
    bad[present] = bad_unique[codes[present]]
    percent = np.zeros(len(codes), dtype=bool)
    percent[present] = percent_unique[codes[present]] & ~bad[present]
    return Numbers(out, bad, decimal_comma, percent=percent)


#: Texts converted to a fixed-width array at a time: numpy's string functions make several
#: such arrays, each as wide as the longest text; a million at once peaked at 270 MB.
_TEXT_CHUNK = 1 << 16


def _fixed_width(texts: np.ndarray) -> Iterator[np.ndarray]:
    """``texts`` (object array of str) as fixed-width unicode arrays, a chunk at a time."""
    for start in range(0, len(texts), _TEXT_CHUNK):
        yield np.asarray(texts[start : start + _TEXT_CHUNK], dtype=str)


def _plain_grouped(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(which texts are ``1,234.50`` amounts in their plainest form, their values (NaN for
    the others), which have decimals), with numpy's vectorised string functions.

    The form: an optional ``-``, an optional ``$ ¥ € £`` right after it, ASCII digits
    grouped by commas in threes (at least one comma), optional ``.`` and digits. Every such
    text fully matches :data:`_GROUPED` and gets the value the regex lane gives it; texts
    in any other form are left to that lane (tested against it).
    """
    parts = [_plain_grouped_chunk(chunk) for chunk in _fixed_width(texts)]
    if not parts:
        return np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0, dtype=bool)
    ok, values, dotted = zip(*parts, strict=True)
    return np.concatenate(ok), np.concatenate(values), np.concatenate(dotted)


def _plain_grouped_chunk(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(texts)
    values = np.full(n, np.nan)
    if n == 0 or texts.dtype.itemsize == 0:
        return np.zeros(n, dtype=bool), values, np.zeros(n, dtype=bool)
    negative = np.strings.startswith(texts, "-")
    body = np.strings.slice(texts, negative.astype(np.intp), None)
    sign = np.zeros(n, dtype=bool)
    for symbol in "$¥€£":
        sign |= np.strings.startswith(body, symbol)
    body = np.strings.slice(body, sign.astype(np.intp), None)
    whole, point, decimals = np.strings.partition(body, ".")
    digits = np.strings.replace(whole, ",", "")
    length = np.strings.str_len(whole)
    count = np.strings.str_len(digits)
    commas = length - count
    # ASCII only: isdigit would also take "١٢" or "²", which the regex or float() read apart.
    width = body.dtype.itemsize // 4
    ascii_ = body.view(np.uint32).reshape(n, width).max(axis=1, initial=0) < 128
    ok = ascii_ & np.strings.isdigit(digits) & (commas >= 1) & (commas == (count - 1) // 3)
    has_decimals = point == "."
    ok &= ~has_decimals | (np.strings.isdigit(decimals) & (np.strings.str_len(decimals) > 0))
    for k in range(1, int(commas[ok].max(initial=0)) + 1):
        at = np.flatnonzero(ok & (commas >= k))
        where = length[at] - 4 * k  # the k-th comma from the right
        ok[at] &= np.strings.slice(whole[at], where, where + 1) == ","
    if ok.any():
        number = np.strings.add(np.strings.add(digits[ok], point[ok]), decimals[ok])
        read = number.astype(np.float64)
        values[ok] = np.where(negative[ok], -read, read)
    return ok, values, has_decimals & ok


def _grouped_values(matched: pd.Series) -> np.ndarray:
    """Values of texts that fully match :data:`_GROUPED`, read with a decimal point: the
    thousands commas dropped, then the sign, currency sign and spaces when present."""
    plain = matched.str.replace(",", "", regex=False)
    values: np.ndarray = pd.to_numeric(plain, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan, copy=True
    )
    marked = np.flatnonzero(np.isnan(values))  # "-$1234.50", "¥1234", "- 1234"
    if len(marked):
        bare = plain.iloc[marked].str.replace(r"[\s$¥€£]", "", regex=True)
        values[marked] = pd.to_numeric(bare, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    return values


#: "1,234.50", "-$1,234.50", "¥1,234": the usual formatted amount, in one regex.
_GROUPED = re.compile(r"^(?P<neg>-)?\s*(?:[$¥€£]\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?P<dec>\.\d+)?)$")
#: Everything else, taken apart: brackets, signs, currency before or after, percent.
_AMOUNT = re.compile(
    r"^(?P<open>\()?\s*(?P<s1>[-+])?\s*"
    r"(?P<c1>[A-Z]{1,3}\s?[$¥€£]|[A-Z]{3}(?![A-Za-z])|[$¥€£₹₩₽])?\s*(?P<s2>[-+])?\s*"
    r"(?P<body>\d[\d.,'\s]*\d|\d|[.,]\d+|)\s*(?P<pct>%)?\s*"
    r"(?P<c2>[A-Z]{3}|元|[$¥€£₹₩₽])?\s*(?P<s3>-)?\s*(?P<close>\))?$"
)


#: Currency marks that name the same money, so one column may mix them: $ and USD, € and
#: EUR, ¥, 元 and CNY (¥ is also the yen: a column mixing yuan and yen is not told apart).
CURRENCY_FAMILY = {
    "$": "$",
    "US$": "$",
    "USD": "$",
    "€": "€",
    "EUR": "€",
    "£": "£",
    "GBP": "£",
    "¥": "¥",
    "元": "¥",
    "CNY": "¥",
    "RMB": "¥",
    "JPY": "¥",
    "₹": "₹",
    "INR": "₹",
    "₩": "₩",
    "KRW": "₩",
    "₽": "₽",
    "RUB": "₽",
}
_CURRENCY_MARK = r"([A-Z]{2}\$|[$¥€£₹₩₽元]|(?<![A-Za-z])[A-Z]{3}(?![A-Za-z]))"


def currency_marks(text: Distinct, bad: np.ndarray) -> dict[str, np.ndarray]:
    """Row positions by the currency an amount is written in ('$', '€', 'CHF'...).

    Only amounts that carry a mark and parsed as numbers count; unmarked amounts go with
    any currency. Work is done once per distinct value.
    """
    if not len(text.values):
        return {}
    # A mark needs a capital letter, "$" or a non-ASCII sign (NFKC leaves ASCII as it is):
    # plain amounts such as "1,234.50" are most values and are not examined further.
    values = pd.Series(text.values, dtype=object)
    candidates = np.flatnonzero(_may_carry_mark(text.values))
    per_value = np.full(len(values), "", dtype=object)
    if len(candidates):
        normal = values.iloc[candidates].str.normalize("NFKC")
        marks = normal.str.extract(_CURRENCY_MARK, expand=False)
        family = marks.map(lambda m: CURRENCY_FAMILY.get(m, m) if isinstance(m, str) else "")
        per_value[candidates] = family.to_numpy(dtype=object)
    if not (per_value != "").any():
        return {}
    used = (text.codes >= 0) & ~bad
    per_row = np.full(len(text.codes), "", dtype=object)
    per_row[used] = per_value[text.codes[used]]
    return {
        str(mark): np.flatnonzero(per_row == mark) for mark in pd.unique(per_row[per_row != ""])
    }


def _may_carry_mark(texts: np.ndarray) -> np.ndarray:
    """Which texts hold an ASCII capital, "$" or a non-ASCII character (the regex
    ``[A-Z$]|[^\\x00-\\x7f]``), by their code points: a regex per value took 0.5 s over a
    million distinct amounts that carry no mark."""
    parts = []
    for chunk in _fixed_width(texts):
        points = _code_points(chunk)
        hit = ((points >= 65) & (points <= 90)) | (points == 36) | (points > 127)
        parts.append(hit.any(axis=1))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _code_points(chunk: np.ndarray) -> np.ndarray:
    """A fixed-width unicode array as (texts x width) uint32 code points, 0 past each end."""
    width = chunk.dtype.itemsize // 4
    if width == 0:
        return np.zeros((len(chunk), 0), dtype=np.uint32)
    return chunk.view(np.uint32).reshape(len(chunk), width)


def _formatted(raw: pd.Series) -> pd.DataFrame:
    """Parse other amounts both ways (decimal point, decimal comma); NaN where invalid."""
    wide = raw.str.contains(r"[^\x00-\x7f]", regex=True).to_numpy(dtype=bool)
    if wide.any():  # full-width digits and ￥ become ASCII; the minus sign becomes "-"
        normal = raw.str.normalize("NFKC").str.replace("\u2212", "-", regex=False)
        raw = raw.where(~wide, normal)
    parts = raw.str.extract(_AMOUNT)
    matched = parts["body"].notna().to_numpy(dtype=bool)
    balanced = (parts["open"].notna() == parts["close"].notna()).to_numpy(dtype=bool)
    signs = [parts[c].fillna("").to_numpy(dtype=object) for c in ("s1", "s2", "s3")]
    minus = sum((s == "-").astype(int) for s in signs) + parts["open"].notna().to_numpy(int)
    body = parts["body"].fillna("").str.replace(r"[\s']", "", regex=True)
    empty = (body == "").to_numpy(dtype=bool)
    dash_zero = matched & balanced & empty & (minus == 1)
    usable = matched & balanced & ~empty & (minus <= 1)
    point_ok = body.str.match(_POINT).to_numpy(dtype=bool) & usable
    comma_ok = body.str.match(_COMMA).to_numpy(dtype=bool) & usable
    scale = np.where(minus == 1, -1.0, 1.0) * np.where(parts["pct"].notna(), 0.01, 1.0)
    point_value = pd.to_numeric(
        body.str.replace(",", "", regex=False).where(point_ok), errors="coerce"
    ).to_numpy(dtype=np.float64, na_value=np.nan)
    comma_value = pd.to_numeric(
        body.str.replace(".", "", regex=False).str.replace(",", ".", regex=False).where(comma_ok),
        errors="coerce",
    ).to_numpy(dtype=np.float64, na_value=np.nan)
    point_value, comma_value = point_value * scale, comma_value * scale
    # A lone dash is zero whichever convention the column uses: evidence for neither.
    point_value[dash_zero] = comma_value[dash_zero] = 0.0
    return pd.DataFrame(
        {
            "point_ok": point_ok | dash_zero,
            "comma_ok": comma_ok | dash_zero,
            "point_value": point_value,
            "comma_value": comma_value,
            "pct": parts["pct"].notna().to_numpy(dtype=bool),
        }
    )
