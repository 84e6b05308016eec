"""Review periods: ISO weeks, months, and (fiscal) quarters and years.

Every period has an integer *ordinal* so that grouping millions of rows by period is a
vectorised integer operation, and "the same period last year" is ``ordinal - per_year``.

Fiscal years: with ``fiscal_year_start: 4`` a fiscal year runs April..March and is named
after the calendar year in which it *ends* (April 2016 .. March 2017 is FY2017), the
convention of most US and UK companies. Fiscal quarters count from the first fiscal month.
With the default ``fiscal_year_start: 1`` fiscal and calendar years coincide.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from salesperf.errors import Finding, Level, UsageError, argument
from salesperf.spec.models import Grain

#: Years a period or an as-of date may fall in. Rows are held as pandas timestamps, which
#: end in 1677 and 2262; targets look back up to ten years and projections run a year
#: ahead, so a margin is kept on both sides (9999-12 raised OutOfBoundsDatetime).
FIRST_YEAR, LAST_YEAR = 1700, 2199

#: A Monday, so that week ordinals start on ISO week boundaries.
_WEEK_EPOCH = dt.date(1970, 1, 5)
PERIODS_PER_YEAR = {Grain.WEEK: 52, Grain.MONTH: 12, Grain.QUARTER: 4, Grain.YEAR: 1}


@dataclass(frozen=True, order=True)
class Period:
    """One review period: ``start`` inclusive, ``end`` exclusive."""

    grain: Grain
    ordinal: int
    start: dt.date
    end: dt.date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Calendar:
    """Turns dates into periods for one grain and fiscal-year start."""

    grain: Grain
    fiscal_year_start: int = 1

    # -- ordinals -------------------------------------------------------------------------
    def _month_index(self, year: int, month: int) -> int:
        return year * 12 + (month - 1)

    def ordinal_of(self, day: dt.date) -> int:
        if self.grain is Grain.WEEK:
            return (day - _WEEK_EPOCH).days // 7
        months = self._month_index(day.year, day.month)
        if self.grain is Grain.MONTH:
            return months
        shifted = months - (self.fiscal_year_start - 1)
        if self.grain is Grain.QUARTER:
            return shifted // 3
        return shifted // 12 + (1 if self.fiscal_year_start > 1 else 0)

    def ordinals(self, dates: pd.Series) -> pd.Series:
        """Vectorised :meth:`ordinal_of` for a datetime64 Series (NaT -> <NA>)."""

        if self.grain is Grain.WEEK:
            epoch = pd.Timestamp(_WEEK_EPOCH)
            days = (dates - epoch).dt.days
            return (days // 7).astype("Int64")
        months = dates.dt.year * 12 + (dates.dt.month - 1)
        if self.grain is Grain.MONTH:
            return months.astype("Int64")
        shifted = months - (self.fiscal_year_start - 1)
        if self.grain is Grain.QUARTER:
            return (shifted // 3).astype("Int64")
        return (shifted // 12 + (1 if self.fiscal_year_start > 1 else 0)).astype("Int64")

    def period(self, ordinal: int) -> Period:
        if self.grain is Grain.WEEK:
            start = _WEEK_EPOCH + dt.timedelta(weeks=ordinal)
            iso = start.isocalendar()
            return Period(
                self.grain,
                ordinal,
                start,
                start + dt.timedelta(days=7),
                f"{iso.year}-W{iso.week:02d}",
            )
        if self.grain is Grain.MONTH:
            year, month0 = divmod(ordinal, 12)
            start = dt.date(year, month0 + 1, 1)
            return Period(
                self.grain, ordinal, start, _add_months(start, 1), f"{year}-{month0 + 1:02d}"
            )
        offset = self.fiscal_year_start - 1
        if self.grain is Grain.QUARTER:
            first = ordinal * 3 + offset
            year, month0 = divmod(first, 12)
            start = dt.date(year, month0 + 1, 1)
            fy = self.fiscal_year_of(start)
            q = (ordinal % 4) + 1
            prefix = "FY" if self.fiscal_year_start > 1 else ""
            return Period(self.grain, ordinal, start, _add_months(start, 3), f"{prefix}{fy}-Q{q}")
        fy = ordinal
        first = (fy - (1 if self.fiscal_year_start > 1 else 0)) * 12 + offset
        year, month0 = divmod(first, 12)
        start = dt.date(year, month0 + 1, 1)
        label = f"FY{fy}" if self.fiscal_year_start > 1 else str(fy)
        return Period(self.grain, ordinal, start, _add_months(start, 12), label)

    def fiscal_year_of(self, day: dt.date) -> int:
        if self.fiscal_year_start == 1:
            return day.year
        return day.year + (1 if day.month >= self.fiscal_year_start else 0)

    def period_of(self, day: dt.date) -> Period:
        return self.period(self.ordinal_of(day))

    def last_year(self, period: Period) -> Period:
        """The same period one year earlier (for weeks: the same ISO week number)."""
        if self.grain is Grain.WEEK:
            iso = period.start.isocalendar()
            try:
                start = dt.date.fromisocalendar(iso.year - 1, iso.week, 1)
            except ValueError:  # week 53 in a 52-week year
                start = dt.date.fromisocalendar(iso.year - 1, 52, 1)
            return self.period_of(start)
        return self.period(period.ordinal - PERIODS_PER_YEAR[self.grain])

    def season(self, period: Period) -> int:
        """Position within the year (1-based): month of year, quarter number, ISO week."""
        if self.grain is Grain.WEEK:
            return min(period.start.isocalendar().week, 52)
        return period.ordinal % PERIODS_PER_YEAR[self.grain] + 1

    # -- parsing ----------------------------------------------------------------------------
    def parse(self, text: str) -> Period:
        """Parse ``2017-06``, ``2017-Q2``, ``2017-W23``, ``2017`` or ``FY2017``.

        The text must name a period of this calendar's grain; otherwise a :class:`UsageError`
        explains which grain the spec uses and gives an example.
        """
        raw = text.strip()
        value = raw.upper()
        examples = {
            Grain.WEEK: "2017-W23",
            Grain.MONTH: "2017-06",
            Grain.QUARTER: "FY2017-Q2" if self.fiscal_year_start > 1 else "2017-Q2",
            Grain.YEAR: "FY2017" if self.fiscal_year_start > 1 else "2017",
        }
        patterns: list[tuple[Grain, re.Pattern[str]]] = [
            (Grain.WEEK, re.compile(r"^(\d{4})-?W(\d{1,2})$")),
            (Grain.QUARTER, re.compile(r"^(?:FY)?(\d{4})-?Q([1-4])$")),
            (Grain.MONTH, re.compile(r"^(\d{4})-(\d{1,2})$")),
            (Grain.YEAR, re.compile(r"^(?:FY)?(\d{4})$")),
        ]
        for grain, pattern in patterns:
            match = pattern.match(value)
            if not match:
                continue
            if grain is not self.grain:
                raise _usage(
                    f"'{raw}' is a {grain.value}, but this spec reviews by {self.grain.value} "
                    f"(`period: {self.grain.value}`); use "
                    + self._holding(raw, grain, examples[self.grain])
                )
            year = int(match.group(1))
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise _usage(
                    f"'{raw}': salesperf reviews periods from {FIRST_YEAR} to {LAST_YEAR}; "
                    f"use e.g. --period {examples[self.grain]}"
                )
            if grain is Grain.WEEK:
                week = int(match.group(2))
                try:
                    start = dt.date.fromisocalendar(year, week, 1)
                except ValueError:
                    raise _usage(f"'{raw}': {year} has no ISO week {week}") from None
                return self.period_of(start)
            if grain is Grain.MONTH:
                month = int(match.group(2))
                if not 1 <= month <= 12:
                    raise _usage(f"'{raw}': month must be 01..12")
                return self.period(self._month_index(year, month))
            if grain is Grain.QUARTER:
                q = int(match.group(2))
                fy_first = self.period_of(self._fy_start(year))
                return self.period(fy_first.ordinal + q - 1)
            return self.period_of(self._fy_start(year))
        raise _usage(
            f"'{raw}' is not a period; this spec reviews by {self.grain.value}, "
            f"e.g. --period {examples[self.grain]}"
        )

    def _holding(self, raw: str, grain: Grain, example: str) -> str:
        """``--period X``, X being this grain's period that holds the start of ``raw`` (a
        period of another grain), so the hint names the right fiscal quarter or year."""
        try:
            other = Calendar(grain, self.fiscal_year_start).parse(raw)
        except UsageError:
            return f"e.g. --period {example}"
        holding = self.period_of(other.start)
        return (
            f"--period {holding.label} ({_span(holding)}), the {self.grain.value} that holds "
            f"{other.start.isoformat()}"
        )

    def reading(self, text: str) -> str | None:
        """How ``text`` was read, when a fiscal year makes that worth saying: ``2017-Q2``
        without "FY" is the fiscal quarter FY2017-Q2, not April-June 2017."""
        value = text.strip().upper()
        if self.fiscal_year_start == 1 or value.startswith("FY"):
            return None
        if self.grain not in (Grain.QUARTER, Grain.YEAR):
            return None
        period = self.parse(text)
        if self.grain is Grain.QUARTER:
            calendar_start = dt.date(int(value[:4]), 3 * int(value[-1]) - 2, 1)
            other = "calendar quarter"
        else:
            calendar_start = dt.date(int(value[:4]), 1, 1)
            other = "calendar year"
        holding = self.period_of(calendar_start)
        return (
            f"{text.strip()} was read as the fiscal {self.grain.value} {period.label} "
            f"({_span(period)}), because fiscal_year_start is {self.fiscal_year_start}; the "
            f"{other} {text.strip()} starts in {holding.label}. Write {period.label} to say so"
        )

    def _fy_start(self, fiscal_year: int) -> dt.date:
        if self.fiscal_year_start == 1:
            return dt.date(fiscal_year, 1, 1)
        return dt.date(fiscal_year - 1, self.fiscal_year_start, 1)


def _span(period: Period) -> str:
    """``2016-07-01 to 2016-09-30``: a period's first and last day."""
    return f"{period.start.isoformat()} to {(period.end - dt.timedelta(days=1)).isoformat()}"


def check_as_of(day: dt.date) -> None:
    """Refuse an as-of date outside the years salesperf reviews (a usage error)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise UsageError(
            "Bad as-of date:",
            [
                Finding(
                    Level.ERROR,
                    f"{day.isoformat()}: salesperf reviews dates from {FIRST_YEAR} to "
                    f"{LAST_YEAR}; pass the date the review is as of, e.g. --as-of 2017-06-15",
                    argument("as_of"),
                    "as-of",
                )
            ],
        )


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _usage(message: str) -> UsageError:
    return UsageError("Bad period:", [Finding(Level.ERROR, message, argument("period"), "period")])
