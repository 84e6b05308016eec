"""`salesperf init`: propose a first kpi.yaml from an export, with the reason for each choice.

It reads the header and the first rows (:mod:`salesperf.sources.sample`), so it can see
what a header alone does not say:

- line items (an order id that repeats) get no `key:` and an Orders KPI counting distinct
  order ids, not rows;
- an amount missing but quantity and unit price present: a derived ``amount``;
- a CRM pipeline (a stage with won/lost values): the source holds the closed deals
  (``where:``), revenue and won deals count the won ones, and a win rate is proposed;
- an id column is preferred over a name column for customers;
- customers missing on part of the rows: ``allow_missing:`` with the share seen, to confirm;
- a roster file in the same folder, or a roster sheet in the same workbook, whose reps match
  the export's, becomes ``org:``;
- an export without reps (a company-level series) gets company-level KPIs only.

Every choice is written into the spec as a comment and returned as a reason, and the
spec is printed with the next command to run.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from salesperf.scaffold_text import write_spec
from salesperf.scaffold_words import (
    CANCELLED,
    CUSTOMER_IDS,
    LOST,
    NAME_HEADERS,
    ROSTER_NAMES,
    SYNONYMS,
    WON,
    is_chinese,
    norm,
)
from salesperf.sources.sample import read_sample

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.sources.sample import Sample

#: A field missing on more than this share of rows is worth an allow_missing: proposal.
GAP_SHARE = 0.01


@dataclass
class Roster:
    """A roster found next to the export: a file, or a sheet of the same workbook."""

    path: Path
    sheet: str | None
    columns: dict[str, str]
    levels: list[str]
    matched: int
    reps: int


@dataclass
class Scaffold:
    mapping: dict[str, str]  # field -> header
    unmapped: list[str]  # headers left alone
    text: str
    reasons: list[str] = field(default_factory=list)
    roster: Roster | None = None
    #: Extra options for `salesperf report` that init suggests (a closed --as-of).
    report_options: str = ""


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Map salesperf fields to headers by synonym; each header is used at most once.

    For customers an id column wins over a name column when both exist."""
    normalised: dict[str, str] = {}
    for header in headers:
        normalised.setdefault(norm(header), header)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field_name, synonyms in SYNONYMS.items():
        for synonym in synonyms:
            found = normalised.get(norm(synonym))
            if found is None:
                continue
            header = found
            if header not in taken and header.strip():
                mapping[field_name] = header.strip()
                taken.add(header)
                break
    return mapping


def _missing(values: pd.Series) -> pd.Series:
    return values.isna() | values.isin(["", "nan", "NaN", "NULL", "null", "N/A", "#N/A", "None"])


def _repeats(values: pd.Series) -> bool:
    present = values[~_missing(values)]
    return bool(len(present)) and present.nunique() < len(present)


def _stage_values(values: pd.Series) -> tuple[list[str], list[str], int]:
    """(won values, lost values, rows with another stage) as written in the export."""
    present = values[~_missing(values)]
    distinct = list(dict.fromkeys(present.tolist()))
    won = [v for v in distinct if norm(v) in WON]
    lost = [v for v in distinct if norm(v) in LOST]
    closed = set(won) | set(lost)
    return won, lost, int((~present.isin(closed)).sum())


def _fraction(values: pd.Series) -> bool:
    """Whether a discount column holds fractions (0.15 = 15% off) rather than amounts."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(numbers)) and bool(((numbers >= 0) & (numbers <= 1)).all())


def _cancelled(values: pd.Series) -> list[str]:
    present = values[~_missing(values)]
    return [v for v in dict.fromkeys(present.tolist()) if norm(v) in CANCELLED]


def _span_months(values: pd.Series) -> int:
    """Months between the first and last readable date of a sample (0 when unreadable)."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dates = pd.to_datetime(values[~_missing(values)], errors="coerce", format="mixed")
    dates = dates.dropna()
    if dates.empty:
        return 0
    first, last = dates.min(), dates.max()
    return int((last.year - first.year) * 12 + last.month - first.month + 1)


def _whole_months(values: pd.Series) -> str | None:
    """The last month's last day when every date is a 1st and no month repeats."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dates = pd.to_datetime(values[~_missing(values)], errors="coerce", format="mixed")
    dates = dates.dropna()
    if len(dates) < 3 or not (dates.dt.day == 1).all():
        return None
    months = dates.dt.to_period("M")
    if months.duplicated().any():
        return None
    return str(months.max().end_time.date().isoformat())


def find_roster(data_file: Path, sample: Sample, rep_header: str) -> Roster | None:
    """A roster next to the export whose rep column matches the export's reps."""
    reps = set(sample.columns[rep_header][~_missing(sample.columns[rep_header])])
    if not reps:
        return None
    candidates: list[tuple[Path, str | None]] = []
    if sample.format != "csv":
        candidates += [(data_file, s) for s in sample.sheets if s != sample.sheet]
    folder = data_file.parent
    for other in sorted(folder.iterdir()):
        if other == data_file or not other.is_file():
            continue
        if other.suffix.lower() in (".csv", ".xlsx", ".xls", ".tsv") and ROSTER_NAMES.search(
            other.stem
        ):
            candidates.append((other, None))
    best: Roster | None = None
    for path, sheet in candidates:
        try:
            roster = read_sample(path, sheet, rows=5000)
        except Exception:  # a file that cannot be read is simply not a roster
            continue
        found = _roster_mapping(path, sheet, roster, reps)
        if found is not None and (best is None or found.matched > best.matched):
            best = found
    return best


def _roster_mapping(path: Path, sheet: str | None, roster: Sample, reps: set[str]) -> Roster | None:
    overlap = {h: len(reps & set(v)) for h, v in roster.columns.items()}
    rep_header = max(overlap, key=lambda h: overlap[h], default=None)
    if rep_header is None or overlap[rep_header] < max(1, len(reps) // 2):
        return None
    others = [h for h in roster.headers if h and h != rep_header]
    mapping = guess_mapping(others)
    columns = {"rep": rep_header}
    names = [h for h in others if norm(h) in NAME_HEADERS]
    if names:
        columns["name"] = names[0]
    levels: list[str] = []
    for level in ("team", "region"):
        if level in mapping:
            columns[level] = mapping[level]
            levels.append(level)
    if not levels:
        return None
    return Roster(path, sheet, columns, levels, overlap[rep_header], len(reps))


@dataclass
class _Plan:
    """What init decided, before it is written out."""

    mapping: dict[str, str]
    reasons: list[str] = field(default_factory=list)
    derive: dict[str, str] = field(default_factory=dict)
    where: dict[str, object] = field(default_factory=dict)
    allow_missing: dict[str, str] = field(default_factory=dict)
    key: str | None = None
    line_items: bool = False
    won: list[str] = field(default_factory=list)
    currency: str = "USD"
    chinese: bool = False
    months: int = 0
    roster: Roster | None = None
    #: Each row is a whole period (dates on the 1st, one row per month): the last month's
    #: last day, to review it as closed (the data's last date is its first day).
    closes: str | None = None


def plan(data_file: Path, sample: Sample) -> _Plan:
    """Decide the mapping and the source's settings from the sample."""
    headers = [h for h in sample.headers if h]
    mapping = guess_mapping(headers)
    chinese = any(is_chinese(h) for h in headers)
    result = _Plan(mapping, chinese=chinese, currency="CNY" if chinese else "USD")
    say = result.reasons.append
    for field_name, header in mapping.items():
        say(f"{field_name} ← '{header}'{_because(field_name, header, headers)}")
    columns = sample.columns
    if "amount" not in mapping and {"quantity", "unit_price"} <= set(mapping):
        formula = "quantity * unit_price"
        if "discount" in mapping:
            fraction = _fraction(columns[mapping["discount"]])
            formula += " * (1 - discount)" if fraction else " - discount"
        result.derive["amount"] = formula
        say(
            f"amount = {formula}: the export has '{mapping['quantity']}' and "
            f"'{mapping['unit_price']}' but no amount column"
        )
    if "amount" in mapping:
        result.currency = _currency(columns[mapping["amount"]], result.currency)
    if "stage" in mapping:
        won, lost, other = _stage_values(columns[mapping["stage"]])
        cancelled = _cancelled(columns[mapping["stage"]])
        if cancelled and not won:
            result.where = {"stage": {"not_in": cancelled}}
            say(
                f"status {', '.join(cancelled)}: the sale did not happen, so the source leaves "
                "those orders out (where:)"
            )
        if won:
            result.won = won
            result.where = {"stage": won + lost}
            say(
                f"a pipeline: stage values {', '.join(won + lost)} close a deal; the source "
                f"holds closed deals only (where:), so {other:,} open deal(s) in the sample "
                "and their empty close dates are not data problems"
            )
    if "order_id" in mapping:
        header = mapping["order_id"]
        if _repeats(columns[header]):
            result.line_items = True
            say(
                f"'{header}' repeats (one row per order line): no key:, and Orders counts "
                "distinct order ids, not rows"
            )
        else:
            result.key = "order_id"
            say(f"'{header}' is unique per row: key: order_id (duplicates will be reported)")
    if "customer" in mapping:
        gaps = _missing(columns[mapping["customer"]])
        if result.won:  # only the rows the source will hold
            gaps = gaps[columns[mapping["stage"]].isin(result.where["stage"])]
        if gaps.mean() > GAP_SHARE and len(gaps):
            share = f"{gaps.mean():.0%}"
            result.allow_missing["customer"] = (
                f"{share} of the export's rows have no {mapping['customer']}"
            )
            say(
                f"{share} of rows have no '{mapping['customer']}': allow_missing: customer "
                "(those rows count in revenue but not in New customers; delete the line if "
                "that is not expected)"
            )
    if "date" in mapping:
        result.months = _span_months(columns[mapping["date"]])
        result.closes = _whole_months(columns[mapping["date"]])
        if result.closes:
            say(
                "one row per month, dated on the 1st: each row is a month's total, so review "
                f"closed months: salesperf report ... --as-of {result.closes}"
            )
    if "rep" in mapping:
        result.roster = find_roster(data_file, sample, mapping["rep"])
        if result.roster is not None:
            where = result.roster.path.name + (
                f", sheet '{result.roster.sheet}'" if result.roster.sheet else ""
            )
            say(
                f"roster: {where} lists {result.roster.matched} of the {result.roster.reps} "
                f"reps seen, with {' and '.join(result.roster.levels)}: org: maps it"
            )
            for level in result.roster.levels:
                mapping.pop(level, None)
    else:
        say("no rep column: a company-level spec (no scorecards per rep)")
    return result


def _because(field_name: str, header: str, headers: list[str]) -> str:
    if field_name == "customer" and norm(header) in CUSTOMER_IDS:
        named = {"customername", "customer", "客户名称", "客户名"}
        names = [h for h in headers if norm(h) in named]
        if names:
            return f" (an id, preferred over the name column '{names[0]}')"
    return ""


def _currency(values: pd.Series, default: str) -> str:
    text = "".join(values.head(200).tolist())
    for mark, code in (("¥", "CNY"), ("￥", "CNY"), ("£", "GBP"), ("€", "EUR"), ("$", "USD")):
        if mark in text:
            return code
    return default


def build_scaffold(
    data_file: Path,
    headers: list[str] | None,
    spec_dir: Path,
    *,
    sheet: str | int | None = None,
    sample: Sample | None = None,
    spec_name: str = "kpi.yaml",
) -> Scaffold:
    """The starter spec for ``data_file`` (its header and first rows are read)."""
    sample = sample or read_sample(data_file, sheet)
    decided = plan(data_file, sample)
    text = write_spec(data_file, sample, decided, spec_dir, spec_name)
    used = set(decided.mapping.values())
    unmapped = [h for h in (headers or sample.headers) if h.strip() and h.strip() not in used]
    options = f" --as-of {decided.closes}" if decided.closes else ""
    return Scaffold(decided.mapping, unmapped, text, decided.reasons, decided.roster, options)
