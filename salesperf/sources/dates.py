"""Reading the date column: inferring its format per file, and refusing to guess day vs month.

Silently swapping day and month is the worst thing a sales tool can do to a date (March
revenue lands in January and nobody notices), so inference only ever decides the order from
evidence: a value such as ``24/02/2003`` can only be day-first, ``2/24/2003`` only
month-first. Zero-padding and ``H:MM`` vs ``HH:MM`` are the same form. Unambiguous forms
(ISO, ``2017年3月1日``, ``24-Feb-2003``, Excel serial numbers) may be mixed in one file.

Thresholds (documented in the README's data section):

* values the chosen reading cannot parse at all are rejected as ``bad-date`` when they are
  at most :data:`MAX_UNPARSED_SHARE` of the file's non-missing dates; more means the column
  is not a date column, or the format is not one salesperf knows: an error asks for
  ``date_format:``;
* values that only parse in the *other* order (``24/02/2003`` in a month-first file) are
  rejected as ``bad-date`` up to :data:`MAX_OTHER_ORDER_SHARE`; more means the file mixes
  orders, and an error asks for ``date_format:``;
* when every day-month value is ambiguous (all days <= 12) an error asks for
  ``date_format:``, unless another file of the same source settled the order.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesperf.sources.parse import Distinct

MAX_UNPARSED_SHARE = 0.05
MAX_OTHER_ORDER_SHARE = 0.01
#: Below this share of unambiguous day-month values a warning says how thin the evidence is.
THIN_EVIDENCE_SHARE = 0.05
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's 1900 date system, past its 1900-02-29 bug
SERIAL_RANGE = (10000, 100000)  # 1927-05-18 .. 2173-10-15: a 4-digit number is a year, not a date
#: Tried first on big columns: unambiguous and parsed by pandas' C fast path.
FAST_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
)
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_TIME = (
    r"(?:(?:[T\s]+|(?<=日))(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"\s*(?P<P>[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?"
)
_DATE = (
    r"(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
    r"|(?P<zy>\d{4})\s*年\s*(?P<zm>\d{1,2})\s*月\s*(?P<zd>\d{1,2})\s*日?"
    r"|(?P<ky>(?:19|20)\d{2})(?P<km>\d{2})(?P<kd>\d{2})"
    r"|(?P<nm>[A-Za-z]{3,9})\.?\s+(?P<nd>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<ny>\d{4})"
    r"|(?P<md>\d{1,2})[-\s/]?(?P<mm>[A-Za-z]{3,9})\.?[-\s/,]+(?P<my>\d{4}|\d{2})"
)
DATE_SHAPE = re.compile(rf"^\s*(?:(?:{_DATE})\s*{_TIME}|(?P<serial>\d{{5}}(?:\.\d+)?))\s*$")
_DASHES = re.compile(r"^[-–—\s]+$")


class DateProblem(Exception):
    """The date column cannot be read without a ``date_format:``; ``examples`` are row positions."""

    def __init__(self, code: str, message: str, examples: list[int]) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.examples = examples


@dataclass
class Dates:
    values: np.ndarray  # datetime64[ns], NaT where missing or bad
    missing: np.ndarray  # bool
    bad: np.ndarray  # bool: present but rejected
    format: str | None
    order: str | None = None  # "dmy" / "mdy" when day-month values were read
    notes: list[str] = field(default_factory=list)  # warnings, without the file name


def parse_dates(
    text: Distinct,
    date_format: str | None = None,
    typed: np.ndarray | None = None,
    order_hint: str | None = None,
) -> Dates:
    """Parse a cleaned text column into datetime64[ns].

    ``typed`` holds values the workbook already stored as dates (NaT elsewhere); they are
    taken as they are and never take part in inference. ``order_hint`` ("dmy"/"mdy") is the
    order another file of the same source proved; it is used only when this file alone
    cannot tell.
    """
    text = text.compact()
    if not _fast_iso(text.values[:200]):
        dashes = pd.Series(text.values, dtype=object).str.match(_DASHES).to_numpy(dtype=bool)
        if dashes.any():
            text = text.without(dashes[np.maximum(text.codes, 0)] & (text.codes >= 0)).compact()
    codes, uniques = text.codes, text.values
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    order: str | None = None
    notes: list[str] = []
    fmt: str | None = date_format
    if not len(uniques):
        parsed = np.array([np.datetime64("NaT", "ns")])
    elif date_format:
        parsed = _explicit(uniques, date_format)
    else:
        parsed, fmt, order, notes = _infer(uniques, counts, codes, order_hint)
    values = parsed.take(np.maximum(codes, 0))
    values[codes < 0] = np.datetime64("NaT")
    missing = codes < 0
    bad = ~missing & np.isnat(values)
    if typed is not None:
        has = ~np.isnat(typed)
        values = np.where(has, typed, values)
        missing &= ~has
        bad &= ~has
        if has.any():
            fmt = f"{fmt} | Excel date cells" if fmt else "Excel date cells"
    return Dates(values.astype("datetime64[ns]"), missing, bad, fmt, order, notes)


_TRAILING_TIME = re.compile(
    r"^(?P<date>.*?)[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"\s*(?P<P>[AaPp]\.?[Mm]\.?)?$"
)


def _explicit(uniques: np.ndarray, fmt: str) -> np.ndarray:
    """Parse with the spec's format; a time after a date-only format is accepted and kept.

    ``date_format: "%m/%d/%Y"`` is what people write for ``2/24/2003 0:00``: refusing
    every row over the time part would help nobody.
    """
    values = pd.Series(uniques, dtype=object)
    try:
        parsed = _to_ns(pd.to_datetime(values, format=fmt, errors="coerce"))
    except (ValueError, TypeError) as exc:
        raise DateProblem(
            "bad-date-format", f"date_format '{fmt}' is not a valid format ({exc})", []
        ) from None
    failed = np.flatnonzero(np.isnat(parsed))
    if len(failed) and not re.search(r"%[HIMSfpTXc]", fmt):
        parts = values.iloc[failed].str.extract(_TRAILING_TIME)
        dates = _to_ns(pd.to_datetime(parts["date"], format=fmt, errors="coerce"))
        num = {c: pd.to_numeric(parts[c], errors="coerce").to_numpy(np.float64) for c in parts}
        _, time_ok, time_ns = _time_of_day(parts, num)
        with np.errstate(invalid="ignore"):
            timed = dates + time_ns.astype("timedelta64[ns]")
        parsed[failed] = np.where(time_ok, timed, np.datetime64("NaT"))
        failed = np.flatnonzero(np.isnat(parsed))
    # pandas' fast ISO path is stricter than strptime about zero-padding: retry the stragglers.
    for i in failed[:10000].tolist():
        try:
            parsed[i] = np.datetime64(dt.datetime.strptime(str(uniques[i]).strip(), fmt), "ns")
        except ValueError:
            continue
    if np.isnat(parsed).all():
        raise DateProblem(
            "date-format-mismatch",
            f"no value matches date_format '{fmt}'",
            list(range(min(3, len(uniques)))),
        )
    return parsed


def _to_ns(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    series = pd.Series(values)
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    return np.array(series.to_numpy(dtype="datetime64[ns]"), copy=True)


def _infer(
    uniques: np.ndarray, counts: np.ndarray, codes: np.ndarray, hint: str | None
) -> tuple[np.ndarray, str | None, str | None, list[str]]:
    fast = _fast_iso(uniques)
    if fast is not None:
        return fast[0], fast[1], None, []
    first = _first_positions(codes, len(uniques))
    parts = pd.Series(uniques, dtype=object).str.extract(DATE_SHAPE)
    num = {c: pd.to_numeric(parts[c], errors="coerce").to_numpy(np.float64) for c in parts}
    hour, time_ok, time_ns = _time_of_day(parts, num)
    year = np.full(len(uniques), np.nan)
    month = year.copy()
    day = year.copy()
    forms = np.full(len(uniques), "", dtype=object)

    def assign(
        mask: np.ndarray, y: np.ndarray, m: np.ndarray, d: np.ndarray, form: str | np.ndarray
    ) -> None:
        year[mask], month[mask], day[mask] = y[mask], m[mask], d[mask]
        forms[mask] = form if isinstance(form, str) else form[mask]

    alen = parts["a"].str.len().to_numpy(np.float64, na_value=0)
    clen = parts["c"].str.len().to_numpy(np.float64, na_value=0)
    sep = parts["sep"].fillna("").to_numpy(dtype=object)
    ymd = (alen == 4) & (clen >= 1) & (clen <= 2)
    assign(ymd, num["a"], num["b"], num["c"], "%Y" + sep + "%m" + sep + "%d")
    assign(~np.isnan(num["zy"]), num["zy"], num["zm"], num["zd"], "%Y年%m月%d日")
    assign(~np.isnan(num["ky"]), num["ky"], num["km"], num["kd"], "%Y%m%d")
    name_month = _month_numbers(parts["nm"])
    assign(~np.isnan(name_month), num["ny"], name_month, num["nd"], "%b %d, %Y")
    name_month2 = _month_numbers(parts["mm"])
    my = _full_year(num["my"], parts["my"].str.len().to_numpy(np.float64, na_value=0))
    assign(~np.isnan(name_month2), my, name_month2, num["md"], "%d-%b-%Y")
    dates = _to_ns(_assemble(year, month, day))

    xy = (alen >= 1) & (alen <= 2) & ((clen == 2) | (clen == 4))
    xy_year = _full_year(num["c"], clen)
    as_dmy = _to_ns(_assemble(xy_year, num["b"], num["a"]))
    as_mdy = _to_ns(_assemble(xy_year, num["a"], num["b"]))
    dmy_ok = xy & ~np.isnat(as_dmy) & time_ok
    mdy_ok = xy & ~np.isnat(as_mdy) & time_ok
    only_d, only_m, both = dmy_ok & ~mdy_ok, mdy_ok & ~dmy_ok, dmy_ok & mdy_ok
    notes: list[str] = []
    order, other = _decide_order(only_d, only_m, both, counts, first, hint, notes)
    chosen = as_dmy if order == "dmy" else as_mdy
    dates[xy] = chosen[xy]
    first_two = ("%d", "%m") if order == "dmy" else ("%m", "%d")
    xy_form = first_two[0] + sep + first_two[1] + sep + _obj(np.where(clen == 2, "%y", "%Y"))
    forms[xy] = xy_form[xy]

    serial = parts["serial"].notna().to_numpy(dtype=bool, copy=True)
    days = num["serial"]
    serial &= (days >= SERIAL_RANGE[0]) & (days < SERIAL_RANGE[1])
    if serial.any():
        stamps = EXCEL_EPOCH + pd.to_timedelta(np.where(serial, days, 0), unit="D")
        dates[serial] = _to_ns(pd.Series(stamps).dt.round("ms"))[serial]
        forms[serial] = "Excel serial"
    with np.errstate(invalid="ignore"):
        dates = np.where(time_ok & ~serial, dates + time_ns.astype("timedelta64[ns]"), dates)
    dates[~time_ok] = np.datetime64("NaT")
    forms[np.isnat(dates)] = ""

    total = counts.sum()
    unparsed = np.isnat(dates)
    if other is not None:
        unparsed &= ~other
    if total and counts[unparsed].sum() > MAX_UNPARSED_SHARE * total:
        share = counts[unparsed].sum() / total
        raise DateProblem(
            "not-dates",
            f"{counts[unparsed].sum():,} of {total:,} values ({share:.0%}) are not dates in a "
            "form salesperf recognises",
            _examples(unparsed, first),
        )
    fmt = _describe(forms, hour, parts, counts)
    return dates, fmt, order if xy.any() else None, notes


def _decide_order(
    only_d: np.ndarray,
    only_m: np.ndarray,
    both: np.ndarray,
    counts: np.ndarray,
    first: np.ndarray,
    hint: str | None,
    notes: list[str],
) -> tuple[str, np.ndarray | None]:
    """Day-first or month-first, from values that can only be read one way."""
    n_d, n_m, n_both = counts[only_d].sum(), counts[only_m].sum(), counts[both].sum()
    total = n_d + n_m + n_both
    if not total:
        return "dmy", None
    if n_d and n_m:
        major, minor = ("dmy", n_m) if n_d >= n_m else ("mdy", n_d)
        minor_mask = only_m if major == "dmy" else only_d
        if minor > MAX_OTHER_ORDER_SHARE * total:
            raise DateProblem(
                "mixed-date-order",
                f"the file mixes day-first and month-first dates ({n_d:,} value(s) can only be "
                f"day-first, {n_m:,} only month-first)",
                _examples(only_d, first, 2) + _examples(only_m, first, 2),
            )
        notes.append(
            f"{minor:,} date value(s) can only be read {_order_name(_other(major))} in a "
            f"{_order_name(major)} file; rows rejected"
        )
        return major, minor_mask
    if n_d or n_m:
        order = "dmy" if n_d else "mdy"
        evidence = n_d or n_m
        if n_both and evidence < THIN_EVIDENCE_SHARE * total:
            notes.append(
                f"dates read {_order_name(order)} on the evidence of only {evidence:,} of "
                f"{total:,} values; set date_format: if that is wrong"
            )
        return order, None
    if hint:
        notes.append(
            f"every date could be day-first or month-first; read {_order_name(hint)} like "
            "the other files of this source"
        )
        return hint, None
    raise DateProblem(
        "ambiguous-dates",
        f"every date could be day-first or month-first (no day above 12 in {total:,} values)",
        _examples(both, first),
    )


def _order_name(order: str) -> str:
    return "day-first" if order == "dmy" else "month-first"


def _other(order: str) -> str:
    return "mdy" if order == "dmy" else "dmy"


def _fast_iso(uniques: np.ndarray) -> tuple[np.ndarray, str] | None:
    """All values in one ISO-like format, parsed by pandas' C fast path; else None."""
    if not len(uniques):
        return None
    sample = pd.Series(uniques[:200], dtype=object)
    for fmt in FAST_FORMATS:
        if pd.to_datetime(sample, format=fmt, errors="coerce").notna().all():
            if len(uniques) <= len(sample):
                parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
            else:
                whole = pd.Series(uniques, dtype=object)
                parsed = pd.to_datetime(whole, format=fmt, errors="coerce")
            return (_to_ns(parsed), fmt) if parsed.notna().all() else None
    return None


def _time_of_day(
    parts: pd.DataFrame, num: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hour, valid, nanoseconds since midnight) for each value; no time = midnight."""
    hour = np.nan_to_num(num["H"], nan=0.0)
    minute = np.nan_to_num(num["M"], nan=0.0)
    second = np.nan_to_num(num["S"], nan=0.0)
    fraction = parts["F"].fillna("").str.ljust(9, "0").str.slice(0, 9)
    nanos = pd.to_numeric(fraction, errors="coerce").fillna(0).to_numpy(np.float64)
    meridiem = parts["P"].fillna("").str.lower().str.slice(0, 1).to_numpy(dtype=object)
    has_p = meridiem != ""
    ok = (hour <= 23) & (minute <= 59) & (second <= 59)
    ok &= ~has_p | ((hour >= 1) & (hour <= 12))
    hour24 = np.where(has_p, hour % 12 + np.where(meridiem == "p", 12, 0), hour)
    total = ((hour24 * 60 + minute) * 60 + second) * 1e9 + nanos
    return num["H"], ok, total.astype(np.int64)


def _assemble(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> pd.Series:
    """Vectorised date construction; impossible dates (Feb 30, month 13) become NaT."""
    valid = (
        ~np.isnan(year)
        & (year >= 1900)
        & (year < 2200)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= 31)
    )
    frame = pd.DataFrame(
        {
            "year": np.where(valid, year, 2000),
            "month": np.where(valid, month, 1),
            "day": np.where(valid, day, 1),
        }
    )
    out = pd.to_datetime(frame, errors="coerce")
    out[~valid] = pd.NaT
    return out


def _full_year(value: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Two-digit years pivot like strptime's %y: 69-99 -> 1900s, 00-68 -> 2000s."""
    return np.where(length == 2, np.where(value < 69, 2000 + value, 1900 + value), value)


def _month_numbers(names: pd.Series) -> np.ndarray:
    numbers: np.ndarray = names.str.lower().map(MONTHS).to_numpy(np.float64, na_value=np.nan)
    return numbers


def _obj(values: np.ndarray) -> np.ndarray:
    return values.astype(object)


def _first_positions(codes: np.ndarray, n: int) -> np.ndarray:
    """Row position where each distinct value first appears (factorize numbers them so)."""
    first = np.full(n, -1, dtype=np.int64)
    positions = np.flatnonzero(codes >= 0)
    present = codes[positions]
    if len(present):
        running = np.maximum.accumulate(present)
        new = np.r_[True, running[1:] > running[:-1]]
        first[present[new]] = positions[new]
    return first


def _examples(mask: np.ndarray, first: np.ndarray, k: int = 3) -> list[int]:
    positions = np.sort(first[mask & (first >= 0)])
    return [int(p) for p in positions[:k]]


def _describe(
    forms: np.ndarray, hour: np.ndarray, parts: pd.DataFrame, counts: np.ndarray
) -> str | None:
    """A strftime-like summary of the forms found, most frequent first."""
    seconds = parts["S"].notna().to_numpy(dtype=bool)
    fraction = parts["F"].notna().to_numpy(dtype=bool)
    meridiem = parts["P"].notna().to_numpy(dtype=bool)
    timed = ~np.isnan(hour)
    suffix = (
        _obj(np.where(meridiem, " %I:%M", " %H:%M"))
        + _obj(np.where(seconds, ":%S", ""))
        + _obj(np.where(fraction, ".%f", ""))
        + _obj(np.where(meridiem, " %p", ""))
    )
    full = np.where(forms != "", forms + _obj(np.where(timed, suffix, "")), "")
    weights = pd.Series(counts, index=full).groupby(level=0).sum()
    weights = weights[weights.index != ""].sort_values(ascending=False, kind="stable")
    if weights.empty:
        return None
    return " | ".join(str(f) for f in weights.index[:3])
