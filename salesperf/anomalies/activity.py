"""The gone-quiet rule: a rep who was active and has no rows at all in the period so far."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesperf.anomalies.messages import Text
from salesperf.anomalies.model import Alert, Severity

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
        activity = _Activity(ctx, name)
        for i in activity.silent(ctx.p, recent):
            rep = activity.reps[i]
            start = members.at[rep, "start"] if rep in members.index else pd.NaT
            end = members.at[rep, "end"] if rep in members.index else pd.NaT
            if pd.notna(start) and start > pd.Timestamp(period.start):
                continue  # joined during the period: silence is not news yet
            if pd.notna(end) and end < as_of:
                continue  # left: not quiet, gone
            employed = [
                p
                for p in window
                if (pd.isna(start) or pd.Timestamp(calendar.period(p).end) > start)
                and (pd.isna(end) or pd.Timestamp(calendar.period(p).start) <= end)
            ]
            history = [activity.to_date(i, p) for p in employed]
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
            last = activity.last_seen(i)
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


class _Activity:
    """Rows per rep and period of one source, whole and cut at the same point: counted at
    once for every rep through rep codes, where grouping a million rep texts and then
    looking each rep up in a table cost most of the rule."""

    def __init__(self, ctx: Context, source: str) -> None:

        rows = ctx.rows[source]
        frame = rows.frame
        codes = rows.codes.get("rep")
        per_row, reps = codes if codes is not None else pd.factorize(frame["rep"])
        known = per_row >= 0
        code = per_row[known]
        p = frame["p"].to_numpy(dtype=np.int64)[known]
        self.reps = [str(rep) for rep in reps]
        self.first = int(p.min()) if len(p) else 0
        # One column per period with rows (a stray date decades off adds one, not decades).
        offset = p - self.first
        present = np.flatnonzero(np.bincount(offset))
        self._columns = np.full(int(offset.max()) + 1 if len(p) else 0, -1, dtype=np.int64)
        self._columns[present] = np.arange(len(present))
        width = len(present)
        cells = code.astype(np.int64) * width + self._columns[offset]
        size = len(self.reps) * width
        self.full = np.bincount(cells, minlength=size).reshape(len(self.reps), width)
        cut = ctx.same_point_mask(source)[known]
        self.counts = np.bincount(cells[cut], minlength=size).reshape(len(self.reps), width)
        self._dates = frame["date"][known]
        self._codes = code
        self._last: pd.Series | None = None

    def _column(self, p: int) -> int | None:
        """The column of period ``p``; None when no rep has rows in it."""
        offset = p - self.first
        if not 0 <= offset < len(self._columns) or self._columns[offset] < 0:
            return None
        return int(self._columns[offset])

    def silent(self, p0: int, recent: list[int]) -> list[int]:
        """Reps (by code, in rep order) with no rows in ``p0`` so far and rows in every
        period of ``recent``."""

        now = self._column(p0)
        quiet = self.counts[:, now] == 0 if now is not None else np.ones(len(self.reps), bool)
        for p in recent:
            column = self._column(p)
            quiet &= self.full[:, column] > 0 if column is not None else False
        return sorted(np.flatnonzero(quiet).tolist(), key=lambda i: self.reps[i])

    def to_date(self, rep: int, p: int) -> int:
        """Rows of rep (code) in period ``p`` up to the same point."""
        column = self._column(p)
        return int(self.counts[rep, column]) if column is not None else 0

    def last_seen(self, rep: int) -> Any:
        """The date of the rep's (code) last row."""
        if self._last is None:
            self._last = self._dates.groupby(self._codes).max()
        return self._last.get(rep)
