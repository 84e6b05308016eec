"""Data-quality rules: a wrong number is worse than a late one.

They look at the rows of the last ``lookback`` periods (the reviewed one included) up to
as-of, except ``future_date`` (rows after as-of) and ``rejected_rows`` (rows that never made
it into a frame). One alert per rule, source and rep (rows without a rep: the company), so a
systematic problem is one line, not a thousand; ``period`` is the latest period affected and
the evidence lists the rows as a spreadsheet shows them (file, row number).

*Returns*: a negative amount is a return, not an error, when the source's ``key`` ends with
one of ``alerts.return_suffixes`` (default ``-R``, ``-T``: ``SO-101234-R``) or the row
matches ``alerts.returns_where`` (e.g. ``{type: Return}``). Every other negative amount is
reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.anomalies.messages import Text, Value
from salesperf.anomalies.model import Alert, Severity
from salesperf.engine.levels import COMPANY
from salesperf.sources.filters import where_mask
from salesperf.spec.models import Unit

if TYPE_CHECKING:
    from salesperf.anomalies.context import Context
    from salesperf.engine.metrics import Rows

#: Rows listed in an alert's evidence (the count says how many there are).
SHOW_ROWS = 10
#: large_transaction needs this many rows for a meaningful 99th percentile.
MIN_ROWS_FOR_P99 = 100


def _window(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    first = ctx.p - ctx.config.lookback + 1
    return frame.loc[(frame["p"] >= first) & (frame["p"] <= ctx.p)]


def _recent(ctx: Context, name: str) -> np.ndarray:
    """Which rows of source ``name`` are in :func:`_window`, as a boolean array made once:
    rules combine it with their own condition and copy out only the rows they report."""
    key = ("recent", name)
    if key not in ctx.cache:
        p = ctx.rows[name].frame["p"].to_numpy()
        ctx.cache[key] = (p >= ctx.p - ctx.config.lookback + 1) & (p <= ctx.p)
    recent: np.ndarray = ctx.cache[key]
    return recent


def _by_rep(frame: pd.DataFrame) -> Iterator[tuple[str, str, np.ndarray]]:
    """(level, entity, positions of its rows in ``frame``) per rep, in rep order; rows
    without a rep go to the company. Positions, not frames: most rules read a column or
    two of each group, and the first few rows."""

    if frame.empty:
        return
    if "rep" not in frame.columns:
        yield COMPANY, COMPANY, np.arange(len(frame))
        return
    codes, reps = pd.factorize(frame["rep"].astype("string"), use_na_sentinel=True)
    # One stable sort groups every rep's rows, each in frame order.
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes + 1, minlength=len(reps) + 1))
    groups = {str(rep): order[ends[i] : ends[i + 1]] for i, rep in enumerate(reps)}
    for rep in sorted(groups):
        yield "rep", rep, groups[rep]
    if ends[0]:
        yield COMPANY, COMPANY, order[: ends[0]]


def _row_refs(frame: pd.DataFrame, key: str | None = None) -> list[dict[str, Any]]:
    return _refs(_records(frame.head(SHOW_ROWS), key), key)


def _group_refs(
    frame: pd.DataFrame, groups: list[np.ndarray], key: str | None = None
) -> list[list[dict[str, Any]]]:
    """:func:`_row_refs` of each group of rows (positions in ``frame``), converting the first
    rows of every group at once: one small conversion per rep cost more than the rule."""

    heads = [positions[:SHOW_ROWS] for positions in groups]
    taken = np.concatenate(heads) if heads else np.zeros(0, dtype=np.intp)
    records = _records(frame.iloc[taken], key)
    out, start = [], 0
    for head in heads:
        out.append(_refs(records[start : start + len(head)], key))
        start += len(head)
    return out


def _records(frame: pd.DataFrame, key: str | None) -> list[dict[str, Any]]:
    """The rows as dicts of the columns a reference shows (file, row, date, key, amount)."""
    shown = [c for c in dict.fromkeys(("_file", "_row", "date", key, "amount")) if c]
    records: list[dict[str, Any]] = frame[[c for c in shown if c in frame.columns]].to_dict(
        orient="records"
    )
    return records


def _refs(records: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    out = []
    for record in records:
        item: dict[str, Any] = {
            "file": str(record.get("_file")) if record.get("_file") is not None else None,
            "row": int(record["_row"]) if record.get("_row") is not None else None,
            "date": record["date"].date().isoformat() if record.get("date") is not None else None,
        }
        if key and key in record:
            item[key] = None if record[key] is None else str(record[key])
        if "amount" in record:
            item["amount"] = record["amount"]
        out.append(item)
    return out


def _where(refs: list[dict[str, Any]]) -> str:
    """ "orders-2016.csv rows 8944, 8945" (file names only: paths are long)."""
    by_file: dict[str, list[str]] = {}
    for ref in refs:
        name = Path(ref["file"]).name if ref.get("file") else "?"
        by_file.setdefault(name, []).append(str(ref.get("row")))
    parts = []
    for name, rows in by_file.items():
        label = "row" if len(rows) == 1 else "rows"
        parts.append(f"{name} {label} {', '.join(rows)}")
    return "; ".join(parts)


def _latest_period(ctx: Context, periods: pd.Series) -> str:
    """The label of the latest of ``periods`` (period ordinals)."""
    return ctx.results.calendar.period(int(periods.max())).label


def _same(text: str) -> Text:
    return Text({"en": text, "zh-CN": text})


# -- rules -------------------------------------------------------------------------------------


def duplicate_key(ctx: Context) -> list[Alert]:
    """Rows sharing a source's ``key`` (an order id twice): every copy is counted."""

    out: list[Alert] = []
    if not ctx.enabled("duplicate_key"):
        return out
    for name, rows in ctx.rows.items():
        key = ctx.results.spec.sources[name].key
        frame = rows.frame
        if not key or key not in frame.columns:
            continue
        keys = frame[key]
        dupes = frame.loc[keys.notna() & keys.duplicated(keep=False)]
        if dupes.empty:
            continue
        touched = set(_window(ctx, dupes)[key])
        dupes = dupes.loc[dupes[key].isin(touched)].sort_values(
            [key, "date", "_row"], kind="stable"
        )
        # Sorted by key, each key's copies are one block of rows, starting at its first copy:
        # a rep's copies are the blocks of the keys whose first copy is theirs.
        first = ~dupes[key].duplicated(keep="first").to_numpy(dtype=bool)
        starts = np.flatnonzero(first)
        ends = np.append(starts[1:], len(dupes))
        reps = list(_by_rep(dupes.loc[first]))
        # Only the first examples are shown: their rows are converted at once.
        shown_blocks = [blocks[: max(SHOW_ROWS, 3)] for _, _, blocks in reps]
        refs = iter(
            _group_refs(
                dupes, [np.arange(starts[b], ends[b]) for blocks in shown_blocks for b in blocks]
            )
        )
        for (level, entity, blocks), shown_here in zip(reps, shown_blocks, strict=True):
            copies = np.concatenate([np.arange(starts[b], ends[b]) for b in blocks])
            extra = np.concatenate([np.arange(starts[b] + 1, ends[b]) for b in blocks])
            extra_amount = (
                float(dupes["amount"].iloc[extra].sum()) if "amount" in dupes.columns else None
            )
            examples = [
                {
                    "key": str(dupes[key].iloc[starts[b]]),
                    "date": dupes["date"].iloc[starts[b] : ends[b]].min().date().isoformat(),
                    "rows": next(refs),
                }
                for b in shown_here
            ]
            shown = "; ".join(f"{e['key']} {e['date']}, {_where(e['rows'])}" for e in examples[:3])
            if len(blocks) > 3:
                shown += ", …"
            extra_fact: Any = (
                Value(extra_amount, Unit.CURRENCY)
                if extra_amount is not None
                else Text({"en": f"{len(extra)} lines", "zh-CN": f"{len(extra)} 条记录"})
            )
            evidence = {
                "source": name,
                "key_field": key,
                "duplicated_keys": len(blocks),
                "extra_rows": len(extra),
                "extra_amount": extra_amount,
                "examples": examples[:SHOW_ROWS],
            }
            facts = {
                "count": len(blocks),
                "key": _same(key),
                "source": _same(name),
                "examples": _same(shown),
                "extra": extra_fact,
            }
            out.append(
                ctx.alert(
                    Severity.WARNING,
                    "duplicate_key",
                    "duplicate_key",
                    facts,
                    kpi=None,
                    level=level,
                    entity=entity,
                    observed=float(len(extra)),
                    expected=0.0,
                    evidence=evidence,
                    source=name,
                    period=_latest_period(ctx, dupes["p"].iloc[copies]),
                )
            )
    return out


def negative_amount(ctx: Context) -> list[Alert]:
    """Negative amounts that are not returns (see the module docstring)."""

    out: list[Alert] = []
    if not ctx.enabled("negative_amount"):
        return out
    settings = ctx.config
    suffixes = tuple(s.casefold() for s in settings.return_suffixes)
    for name, rows in ctx.rows.items():
        frame = rows.frame
        if "amount" not in frame.columns:
            continue
        negative = frame.loc[_recent(ctx, name) & (frame["amount"] < 0).to_numpy(dtype=bool)]
        if negative.empty:
            continue
        key = ctx.results.spec.sources[name].key
        is_return = negative["amount"] != negative["amount"]  # all False, same index
        if key and key in negative.columns and suffixes:
            ids = negative[key].astype("string").str.casefold()
            is_return |= ids.str.endswith(suffixes).fillna(False).astype(bool)
        where = settings.returns_where
        if where and all(field in negative.columns for field in where):
            is_return |= where_mask(negative, where)
        odd = negative.loc[~is_return]
        groups = list(_by_rep(odd))
        examples = _group_refs(odd, [rows_of_rep for _, _, rows_of_rep in groups], key)
        for (level, entity, rows_of_rep), refs in zip(groups, examples, strict=True):
            count = len(rows_of_rep)
            total = float(odd["amount"].iloc[rows_of_rep].sum())
            evidence = {
                "source": name,
                "rows": count,
                "total": total,
                "return_suffixes": list(settings.return_suffixes),
                "returns_where": where,
                "examples": refs,
            }
            facts = {
                "count": count,
                "source": _same(name),
                "examples": _same(_where(refs[:3]) + (", …" if count > 3 else "")),
                "total": Value(total, Unit.CURRENCY),
            }
            out.append(
                ctx.alert(
                    Severity.WARNING,
                    "negative_amount",
                    "negative_amount",
                    facts,
                    kpi=None,
                    level=level,
                    entity=entity,
                    observed=total,
                    expected=0.0,
                    evidence=evidence,
                    source=name,
                    period=_latest_period(ctx, odd["p"].iloc[rows_of_rep]),
                )
            )
    return out


def future_date(ctx: Context) -> list[Alert]:
    """Rows of the clock source (``as_of_source``) dated after as-of or today, whichever is
    later: no KPI counts them. Other sources may hold future dates on purpose (the expected
    close date of an open deal), so only the source that says "today" is checked."""

    out: list[Alert] = []
    if not ctx.enabled("future_date"):
        return out
    name = ctx.results.spec.clock_source
    loaded = ctx.results.dataset.sources.get(name)
    if loaded is None:
        return out
    reference = max(ctx.results.as_of, ctx.today)
    frame = loaded.frame
    # Dates may carry a time of day (exports with "2024-02-20 16:45"): after the as-of DAY.
    after = pd.Timestamp(reference) + pd.Timedelta(days=1)
    later = frame.loc[frame["date"] >= after].sort_values("date", kind="stable")
    if later.empty:
        return out
    refs = _row_refs(later)
    evidence = {
        "source": name,
        "reference_date": reference.isoformat(),
        "rows": len(later),
        "latest": later["date"].max().date().isoformat(),
        "examples": refs,
    }
    shown = ", ".join(f"{r['date']} ({_where([r])})" for r in refs[:3])
    facts = {
        "count": len(later),
        "source": _same(name),
        "reference": reference.isoformat(),
        "examples": _same(shown + (", …" if len(later) > 3 else "")),
    }
    out.append(
        ctx.alert(
            Severity.WARNING,
            "future_date",
            "future_date",
            facts,
            kpi=None,
            level=COMPANY,
            entity=COMPANY,
            observed=float(len(later)),
            expected=0.0,
            evidence=evidence,
            source=name,
        )
    )
    return out


def large_transaction(ctx: Context) -> list[Alert]:
    """Rows whose amount is beyond ``large_factor`` x the 99th percentile of the source's
    absolute amounts (over all loaded history): one-offs that distort a month, and typos
    (an extra zero). Needs at least 100 rows."""
    out: list[Alert] = []
    if not ctx.enabled("large_transaction"):
        return out
    factor = ctx.config.large_factor
    for name, rows in ctx.rows.items():
        frame = rows.frame
        if "amount" not in frame.columns:
            continue
        sizes = frame["amount"].abs().dropna()
        if len(sizes) < MIN_ROWS_FOR_P99:
            continue
        p99 = float(sizes.quantile(0.99))
        if p99 <= 0:
            continue
        big = frame.loc[_recent(ctx, name) & (frame["amount"].abs() > factor * p99).to_numpy()]
        big = big.assign(_size=big["amount"].abs()).sort_values(
            ["_size", "_row"], ascending=[False, True], kind="stable"
        )
        key = ctx.results.spec.sources[name].key
        big = big.drop(columns="_size")
        groups = list(_by_rep(big))
        examples = _group_refs(big, [rows_of_rep for _, _, rows_of_rep in groups], key)
        for (level, entity, rows_of_rep), refs in zip(groups, examples, strict=True):
            top = refs[0]
            ratio = abs(float(top["amount"])) / p99
            more = len(rows_of_rep) - 1
            facts = {
                "amount": Value(float(top["amount"]), Unit.CURRENCY),
                "date": top["date"],
                "source": _same(name),
                "where": _same((f"{top[key]}, " if key and top.get(key) else "") + _where([top])),
                "factor": f"{ratio:.0f}",
                "p99": Value(p99, Unit.CURRENCY),
                "more": Text(
                    {
                        "en": f" (and {more} more like it)" if more else "",
                        "zh-CN": f"（另有 {more} 笔类似）" if more else "",
                    }
                ),
            }
            evidence = {
                "source": name,
                "p99": p99,
                "large_factor": factor,
                "threshold": factor * p99,
                "rows": len(rows_of_rep),
                "ratio_to_p99": ratio,
                "examples": refs,
            }
            out.append(
                ctx.alert(
                    Severity.WARNING,
                    "large_transaction",
                    "large_transaction",
                    facts,
                    kpi=None,
                    level=level,
                    entity=entity,
                    observed=float(top["amount"]),
                    expected=p99,
                    high=factor * p99,
                    evidence=evidence,
                    source=name,
                    period=_latest_period(ctx, big["p"].iloc[rows_of_rep]),
                )
            )
    return out


def rejected_rows(ctx: Context) -> list[Alert]:
    """Rows read but not loaded (bad dates, unreadable numbers...): missing from every total."""
    out: list[Alert] = []
    if not ctx.enabled("rejected_rows"):
        return out
    dataset = ctx.results.dataset
    named = list(dataset.sources.items())
    if dataset.roster is not None:
        named.append(("org", dataset.roster))
    for name, loaded in named:
        rejected = list(getattr(loaded, "rejected", []) or [])
        if not rejected:
            continue
        reasons: dict[str, int] = {}
        for item in rejected:
            reasons[item.reason] = reasons.get(item.reason, 0) + 1
        refs = [
            {"file": r.file, "row": r.row, "reason": r.reason, "column": r.column, "value": r.value}
            for r in rejected[:SHOW_ROWS]
        ]
        listing = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        shown = f"{listing}: {_where(refs[:5])}" + (", …" if len(rejected) > 5 else "")
        evidence = {"source": name, "rows": len(rejected), "reasons": reasons, "examples": refs}
        facts = {"count": len(rejected), "source": _same(name), "reasons": _same(shown)}
        out.append(
            ctx.alert(
                Severity.WARNING,
                "rejected_rows",
                "rejected_rows",
                facts,
                kpi=None,
                level=COMPANY,
                entity=COMPANY,
                observed=float(len(rejected)),
                expected=0.0,
                evidence=evidence,
                source=name,
            )
        )
    return out


def not_on_roster(ctx: Context) -> list[Alert]:
    """Reps with rows but no roster line: their sales reach the company total but no team,
    so team totals do not add up to the company and nobody manages them."""
    out: list[Alert] = []
    roster = ctx.results.dataset.roster
    if not ctx.enabled("not_on_roster") or roster is None or "rep" not in roster.frame:
        return out
    known = set(roster.frame["rep"].dropna().astype(str))
    for name, rows in ctx.rows.items():
        frame = rows.frame
        if "rep" not in frame.columns:
            continue
        strangers = frame.loc[_recent(ctx, name) & _unknown_rep(rows, known)]
        key = ctx.results.spec.sources[name].key
        for level, entity, rows_of_rep in _by_rep(strangers):
            group = strangers.iloc[rows_of_rep]
            refs = _row_refs(group, key)
            total = float(group["amount"].sum()) if "amount" in group else None
            periods = sorted(
                {ctx.results.calendar.period(int(p)).label for p in group["p"].unique()}
            )
            evidence = {
                "source": name,
                "rows": len(group),
                "total": total,
                "periods": periods,
                "examples": refs,
            }
            facts = {
                "count": len(group),
                "source": _same(name),
                "total": Value(total, Unit.CURRENCY)
                if total is not None
                else Text({"en": "no amounts", "zh-CN": "无金额"}),
            }
            out.append(
                ctx.alert(
                    Severity.WARNING,
                    "not_on_roster",
                    "not_on_roster",
                    facts,
                    kpi=None,
                    level=level,
                    entity=entity,
                    observed=float(len(group)),
                    expected=0.0,
                    evidence=evidence,
                    source=name,
                    period=_latest_period(ctx, group["p"]),
                )
            )
    return out


def _unknown_rep(rows: Rows, known: set[str]) -> np.ndarray:
    """Rows whose rep is given but not in ``known``: decided once per distinct rep through
    the loader's codes where there are some, else per row."""

    codes = rows.codes.get("rep")
    if codes is None:
        reps = rows.frame["rep"].astype("string")
        by_row: np.ndarray = (reps.notna() & ~reps.isin(known)).to_numpy(dtype=bool)
        return by_row
    per_row, values = codes
    # The last slot stands for code -1 (no rep): never unknown.
    unknown = np.array([str(value) not in known for value in values] + [False], dtype=bool)
    by_code: np.ndarray = unknown[per_row]
    return by_code
