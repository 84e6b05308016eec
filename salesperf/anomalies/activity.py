"""The gone-quiet rule: a rep who was active and has no rows at all in the period so far."""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesperf.anomalies.messages import Text
from salesperf.anomalies.model import Alert, Severity
from salesperf.comparisons import same_point

if TYPE_CHECKING:
    from salesperf.anomalies.context import Context

#: Periods before the reviewed one that must each have rows: "active before".
ACTIVE_PERIODS = 3


def gone_quiet(ctx: Context) -> list[Alert]:
    """No rows of a source in the period so far from a rep who is still employed, had rows
    in each of the last 3 periods, and usually has at least ``quiet_min_expected`` rows by
    this point (median of the same point of the last ``history_window`` periods, counting
    only periods in which the rep was employed).

    Critical when the rep usually has twice that many. One alert per rep and source; the
    rep's KPI alerts on that source are its symptoms (the detector folds them in).
    """
    import pandas as pd

    if not ctx.enabled("gone_quiet"):
        return []
    out: list[Alert] = []
    settings = ctx.config
    results = ctx.results
    calendar = results.calendar
    members = results.org.members
    period = ctx.period
    as_of = pd.Timestamp(results.as_of)
    window = list(range(ctx.p - settings.history_window, ctx.p))
    recent = list(range(ctx.p - ACTIVE_PERIODS, ctx.p))
    for name, rows in ctx.rows.items():
        frame = rows.frame
        if "rep" not in frame.columns or frame.empty:
            continue
        frame = frame.dropna(subset=["rep"])
        full = frame.groupby(["rep", "p"], observed=True).size().unstack("p", fill_value=0)
        cut = same_point(frame, calendar, ctx.basis)
        to_date = cut.groupby(["rep", "p"], observed=True).size().unstack("p", fill_value=0)
        to_date = to_date.reindex(index=full.index, columns=full.columns, fill_value=0)
        last_seen = frame.groupby("rep", observed=True)["date"].max()
        for rep in full.index:
            rep = str(rep)
            if ctx.p in to_date.columns and to_date.at[rep, ctx.p] > 0:
                continue
            start = members.at[rep, "start"] if rep in members.index else pd.NaT
            end = members.at[rep, "end"] if rep in members.index else pd.NaT
            if pd.notna(start) and start > pd.Timestamp(period.start):
                continue  # joined during the period: silence is not news yet
            if pd.notna(end) and end < as_of:
                continue  # left: not quiet, gone
            if any(p not in full.columns or full.at[rep, p] == 0 for p in recent):
                continue
            employed = [
                p
                for p in window
                if (pd.isna(start) or pd.Timestamp(calendar.period(p).end) > start)
                and (pd.isna(end) or pd.Timestamp(calendar.period(p).start) <= end)
            ]
            history = [int(to_date.at[rep, p]) if p in to_date.columns else 0 for p in employed]
            if len(history) < ACTIVE_PERIODS:
                continue
            expected = float(pd.Series(history).median())
            if expected < settings.quiet_min_expected:
                continue
            severity = (
                Severity.CRITICAL
                if expected >= 2 * settings.quiet_min_expected
                else Severity.WARNING
            )
            last = last_seen.get(rep)
            days = (as_of - last).days if last is not None and pd.notna(last) else None
            evidence = {
                **ctx.basis.to_dict(),
                "source": name,
                "rows_so_far": 0,
                "expected_rows": expected,
                "history_periods": [calendar.period(p).label for p in employed],
                "history_rows": history,
                "last_row_date": last.date().isoformat() if days is not None else None,
                "days_silent": days,
                "quiet_min_expected": settings.quiet_min_expected,
            }
            facts = {
                "source": Text({"en": name, "zh-CN": name}),
                "span": ctx.span(ctx.p),
                "last_date": evidence["last_row_date"] or "–",
                "days": days if days is not None else "–",
                "expected": f"{expected:g}",
            }
            out.append(
                ctx.alert(
                    severity,
                    "gone_quiet",
                    "gone_quiet",
                    facts,
                    kpi=None,
                    level="rep",
                    entity=rep,
                    observed=0.0,
                    expected=expected,
                    evidence=evidence,
                    source=name,
                )
            )
    return out
