"""Working days for `pacing: workdays`: an official calendar plus the spec's own dates.

The official calendar comes from the `holidays` library (``calendar: {country: US,
subdivision: CA}``): its public holidays, its weekend (Saturday-Sunday in most countries,
Friday-Saturday in some) and, where a government moves working days, the make-up working
weekends. China's State Council schedule (调休) is one: in February 2026 the Spring Festival
runs Feb 15-23 and Saturdays Feb 14 and 28 are working days; `holidays` lists those as
``weekend_workdays``. The spec's ``holidays:`` then remove days and ``workdays:`` add days
(a company that works on an official holiday lists it under ``workdays:``).

Without ``calendar:``: Monday-Friday, minus ``holidays:``, plus ``workdays:``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy as np

    from salesperf.spec import Spec

#: Monday = 0 ... Sunday = 6.
WEEKEND = frozenset({5, 6})


@dataclass(frozen=True)
class Official:
    """What a country's calendar says about a span of years."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    weekend: frozenset[int]


@lru_cache(maxsize=64)
def official_calendar(country: str, subdivision: str | None, years: tuple[int, ...]) -> Official:
    """Public holidays, make-up working days and weekend of ``country`` for ``years``."""
    # lazy: holidays takes 0.08 s to import (python -X importtime); only a spec with
    # `calendar:` needs it.
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=years)
    wanted = set(years)
    # weekend_workdays holds every year the library knows of: keep the ones asked for.
    extra = {d for d in getattr(calendar, "weekend_workdays", set()) if d.year in wanted}
    weekend = frozenset(getattr(calendar, "weekend", WEEKEND))
    return Official(frozenset(calendar.keys()), frozenset(extra), weekend)


def working_days(spec: Spec, start: dt.date, end: dt.date) -> np.ndarray:
    """A boolean per day from ``start`` (included) to ``end`` (excluded): is it worked?"""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))
    weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday (3)
    weekend: frozenset[int] = WEEKEND
    off: set[dt.date] = set()
    on: set[dt.date] = set()
    if spec.calendar is not None:
        years = tuple(range(start.year, end.year + 1))
        official = official_calendar(spec.calendar.country, spec.calendar.subdivision, years)
        weekend, off, on = official.weekend, set(official.holidays), set(official.workdays)
    worked = ~np.isin(weekday, sorted(weekend))
    worked &= ~np.isin(days, _days(off))
    worked |= np.isin(days, _days(on))
    worked &= ~np.isin(days, _days(spec.holidays))
    worked |= np.isin(days, _days(spec.workdays))
    return worked


def _days(dates: object) -> np.ndarray:
    return np.array(sorted(dates), dtype="datetime64[D]")  # type: ignore[call-overload]


#: Countries whose governments move working days each year (make-up working weekends): a
#: year without any in the library means its official schedule is not known yet.
ADJUSTED = frozenset({"CN"})


def unknown_schedules(country: str, subdivision: str | None, years: list[int]) -> list[int]:
    """Years whose official adjusted schedule the installed `holidays` does not know (China
    announces each year's in November): pacing then uses the statutory holidays only."""
    if country not in ADJUSTED:
        return []
    return [
        year
        for year in sorted(set(years))
        if not official_calendar(country, subdivision, (year,)).workdays
    ]
