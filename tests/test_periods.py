import datetime as dt

import pytest

from salesperf.errors import UsageError
from salesperf.periods import Calendar
from salesperf.spec.models import Grain


def test_month_parse_and_bounds() -> None:
    cal = Calendar(Grain.MONTH)
    p = cal.parse("2017-06")
    assert (p.start, p.end, p.label, p.days) == (
        dt.date(2017, 6, 1),
        dt.date(2017, 7, 1),
        "2017-06",
        30,
    )
    assert cal.last_year(p).label == "2016-06"
    assert cal.period(p.ordinal - 1).label == "2017-05"
    assert cal.season(p) == 6


def test_quarter_with_fiscal_year_april() -> None:
    # FY2017 = April 2016 .. March 2017, named after the year it ends in.
    cal = Calendar(Grain.QUARTER, fiscal_year_start=4)
    q1 = cal.parse("FY2017-Q1")
    assert (q1.start, q1.end, q1.label) == (dt.date(2016, 4, 1), dt.date(2016, 7, 1), "FY2017-Q1")
    assert cal.period_of(dt.date(2017, 3, 31)).label == "FY2017-Q4"
    assert cal.period_of(dt.date(2017, 4, 1)).label == "FY2018-Q1"
    assert cal.parse("2017-Q2").start == dt.date(2016, 7, 1)


def test_year_fiscal_and_calendar() -> None:
    fy = Calendar(Grain.YEAR, fiscal_year_start=7)
    p = fy.parse("FY2017")
    assert (p.start, p.end, p.label) == (dt.date(2016, 7, 1), dt.date(2017, 7, 1), "FY2017")
    assert fy.period_of(dt.date(2017, 6, 30)).label == "FY2017"
    plain = Calendar(Grain.YEAR)
    assert plain.parse("2017").start == dt.date(2017, 1, 1)
    assert plain.period_of(dt.date(2017, 12, 31)).label == "2017"


def test_iso_weeks() -> None:
    cal = Calendar(Grain.WEEK)
    p = cal.parse("2017-W23")
    assert (p.start, p.end, p.label) == (dt.date(2017, 6, 5), dt.date(2017, 6, 12), "2017-W23")
    # 2015 has 53 ISO weeks; 2016 does not, so W53 maps to W52 a year later... and back.
    w53 = cal.parse("2015-W53")
    assert w53.start == dt.date(2015, 12, 28)
    assert cal.last_year(cal.parse("2016-W10")).label == "2015-W10"
    assert cal.period_of(dt.date(2021, 1, 1)).label == "2020-W53"


def test_vectorised_ordinals_match_scalar() -> None:
    import pandas as pd

    dates = pd.Series(pd.to_datetime(["2016-04-01", "2017-03-31", "2017-06-21", "2020-12-31"]))
    for grain in Grain:
        for fys in (1, 4, 7):
            cal = Calendar(grain, fys)
            got = cal.ordinals(dates).tolist()
            want = [cal.ordinal_of(d.date()) for d in dates]
            assert got == want, (grain, fys)


@pytest.mark.parametrize(
    ("grain", "text", "fragment"),
    [
        (Grain.MONTH, "2017-Q2", "'2017-Q2' is a quarter, but this spec reviews by month"),
        (Grain.QUARTER, "2017-06", "use --period 2017-Q2 (2017-04-01 to 2017-06-30)"),
        (Grain.MONTH, "2017-13", "month must be 01..12"),
        (Grain.WEEK, "2017-W54", "2017 has no ISO week 54"),
        (Grain.MONTH, "June", "'June' is not a period"),
    ],
)
def test_bad_periods(grain: Grain, text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        Calendar(grain).parse(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        # June 2017 is in April 2017 .. March 2018 = FY2018, its first quarter (the hint
        # used to name FY2017-Q2, July-September 2016).
        ("2017-06", "use --period FY2018-Q1 (2017-04-01 to 2017-06-30), the quarter that holds"),
        ("2017-W13", "use --period FY2017-Q4 (2017-01-01 to 2017-03-31)"),  # Mon 27 March
    ],
)
def test_hint_names_the_fiscal_quarter_that_holds_the_date(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        Calendar(Grain.QUARTER, 4).parse(text)
    assert fragment in str(info.value)


def test_a_quarter_without_fy_says_how_it_was_read() -> None:
    calendar = Calendar(Grain.QUARTER, 4)
    assert calendar.parse("2017-Q2").label == "FY2017-Q2"
    assert calendar.reading("2017-Q2") == (
        "2017-Q2 was read as the fiscal quarter FY2017-Q2 (2016-07-01 to 2016-09-30), because "
        "fiscal_year_start is 4; the calendar quarter 2017-Q2 starts in FY2018-Q1. Write "
        "FY2017-Q2 to say so"
    )
    assert calendar.reading("FY2017-Q2") is None
    assert Calendar(Grain.QUARTER, 1).reading("2017-Q2") is None
    assert "the calendar year 2017 starts in FY2017" in str(Calendar(Grain.YEAR, 4).reading("2017"))


@pytest.mark.parametrize(
    ("grain", "text"),
    [
        (Grain.MONTH, "9999-12"),
        (Grain.MONTH, "2262-05"),
        (Grain.MONTH, "1677-09"),
        (Grain.WEEK, "2262-W10"),
        (Grain.QUARTER, "0001-Q1"),
        (Grain.YEAR, "9999"),
    ],
)
def test_periods_beyond_the_supported_years_are_usage_errors(grain: Grain, text: str) -> None:
    with pytest.raises(UsageError) as info:
        Calendar(grain).parse(text)
    assert "salesperf reviews periods from 1700 to 2199" in str(info.value)


def test_as_of_beyond_the_supported_years_is_a_usage_error() -> None:
    from salesperf.periods import check_as_of

    check_as_of(dt.date(2199, 12, 31))
    with pytest.raises(UsageError, match="9999-12-31: salesperf reviews dates from 1700"):
        check_as_of(dt.date(9999, 12, 31))
