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

from salesperf.anomalies.messages import Text, Value
from salesperf.anomalies.model import Alert, Severity
from salesperf.metrics import COMPANY
from salesperf.spec.models import Unit

if TYPE_CHECKING:
    import pandas as pd

    from salesperf.anomalies.context import Context

#: Rows listed in an alert's evidence (the count says how many there are).
SHOW_ROWS = 10
#: large_transaction needs this many rows for a meaningful 99th percentile.
MIN_ROWS_FOR_P99 = 100


def _window(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    first = ctx.p - ctx.config.lookback + 1
    return frame.loc[(frame["p"] >= first) & (frame["p"] <= ctx.p)]


def _by_rep(frame: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(level, entity, rows) per rep; rows without a rep go to the company."""
    if frame.empty:
        return
    if "rep" not in frame.columns:
        yield COMPANY, COMPANY, frame
        return
    reps = frame["rep"].astype("string")
    for rep in sorted(reps.dropna().unique()):
        yield "rep", str(rep), frame.loc[reps == rep]
    missing = frame.loc[reps.isna()]
    if len(missing):
        yield COMPANY, COMPANY, missing


def _row_refs(frame: pd.DataFrame, key: str | None = None) -> list[dict[str, Any]]:
    out = []
    for record in frame.head(SHOW_ROWS).to_dict(orient="records"):
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


def _latest_period(ctx: Context, frame: pd.DataFrame) -> str:
    return ctx.results.calendar.period(int(frame["p"].max())).label


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
        firsts = dupes.drop_duplicates(key, keep="first")
        for level, entity, group in _by_rep(firsts):
            group_keys = set(group[key])
            copies = dupes.loc[dupes[key].isin(group_keys)]
            extra = copies.loc[copies.duplicated(key, keep="first")]
            extra_amount = float(extra["amount"].sum()) if "amount" in extra else None
            examples = []
            for value, rows_of_key in copies.groupby(key, sort=True, observed=True):
                examples.append(
                    {
                        "key": str(value),
                        "date": rows_of_key["date"].min().date().isoformat(),
                        "rows": _row_refs(rows_of_key),
                    }
                )
            shown = "; ".join(f"{e['key']} {e['date']}, {_where(e['rows'])}" for e in examples[:3])
            if len(examples) > 3:
                shown += ", …"
            extra_fact: Any = (
                Value(extra_amount, Unit.CURRENCY)
                if extra_amount is not None
                else Text({"en": f"{len(extra)} row(s)", "zh-CN": f"{len(extra)} 行"})
            )
            evidence = {
                "source": name,
                "key_field": key,
                "duplicated_keys": len(group_keys),
                "extra_rows": len(extra),
                "extra_amount": extra_amount,
                "examples": examples[:SHOW_ROWS],
            }
            facts = {
                "count": len(group_keys),
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
                    period=_latest_period(ctx, copies),
                )
            )
    return out


def negative_amount(ctx: Context) -> list[Alert]:
    """Negative amounts that are not returns (see the module docstring)."""
    from salesperf.filters import where_mask

    out: list[Alert] = []
    if not ctx.enabled("negative_amount"):
        return out
    settings = ctx.config
    suffixes = tuple(s.casefold() for s in settings.return_suffixes)
    for name, rows in ctx.rows.items():
        frame = _window(ctx, rows.frame)
        if "amount" not in frame.columns:
            continue
        negative = frame.loc[frame["amount"] < 0]
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
        for level, entity, group in _by_rep(odd):
            refs = _row_refs(group, key)
            total = float(group["amount"].sum())
            evidence = {
                "source": name,
                "rows": len(group),
                "total": total,
                "return_suffixes": list(settings.return_suffixes),
                "returns_where": where,
                "examples": refs,
            }
            facts = {
                "count": len(group),
                "source": _same(name),
                "examples": _same(_where(refs[:3]) + (", …" if len(group) > 3 else "")),
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
                    period=_latest_period(ctx, group),
                )
            )
    return out


def future_date(ctx: Context) -> list[Alert]:
    """Rows of the clock source (``as_of_source``) dated after as-of or today, whichever is
    later: no KPI counts them. Other sources may hold future dates on purpose (the expected
    close date of an open deal), so only the source that says "today" is checked."""
    import pandas as pd

    out: list[Alert] = []
    if not ctx.enabled("future_date"):
        return out
    name = ctx.results.spec.clock_source
    loaded = ctx.results.dataset.sources.get(name)
    if loaded is None:
        return out
    reference = max(ctx.results.as_of, ctx.today)
    frame = loaded.frame
    later = frame.loc[frame["date"] > pd.Timestamp(reference)].sort_values("date", kind="stable")
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
        recent = _window(ctx, frame)
        big = recent.loc[recent["amount"].abs() > factor * p99]
        big = big.assign(_size=big["amount"].abs()).sort_values(
            ["_size", "_row"], ascending=[False, True], kind="stable"
        )
        key = ctx.results.spec.sources[name].key
        for level, entity, group in _by_rep(big.drop(columns="_size")):
            refs = _row_refs(group, key)
            top = refs[0]
            ratio = abs(float(top["amount"])) / p99
            more = len(group) - 1
            facts = {
                "amount": Value(float(top["amount"]), Unit.CURRENCY),
                "date": top["date"],
                "source": _same(name),
                "where": _same((f"{top[key]}, " if key and top.get(key) else "") + _where([top])),
                "factor": f"{ratio:.0f}",
                "p99": Value(p99, Unit.CURRENCY),
                "more": Text(
                    {
                        "en": f" (and {more} more such row(s))" if more else "",
                        "zh-CN": f"（另有 {more} 行）" if more else "",
                    }
                ),
            }
            evidence = {
                "source": name,
                "p99": p99,
                "large_factor": factor,
                "threshold": factor * p99,
                "rows": len(group),
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
                    period=_latest_period(ctx, group),
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
        frame = _window(ctx, rows.frame)
        if "rep" not in frame.columns:
            continue
        reps = frame["rep"].astype("string")
        strangers = frame.loc[reps.notna() & ~reps.isin(known)]
        key = ctx.results.spec.sources[name].key
        for level, entity, group in _by_rep(strangers):
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
                    period=_latest_period(ctx, group),
                )
            )
    return out
