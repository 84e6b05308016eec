"""Working-day pacing with official calendars (`holidays`), China's make-up weekends included."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from salesperf.engine.pacing import elapsed_share, workday_share
from salesperf.errors import SpecError
from salesperf.periods import Calendar
from salesperf.review import Review
from salesperf.spec import Grain, parse_spec

BASE = """
version: 1
pacing: workdays
{extra}
sources:
  orders: {{path: o.csv, columns: {{date: Date, rep: Rep, amount: Amount}}}}
kpis:
  - id: revenue
    name: Revenue
    source: orders
    measure: sum
    column: amount
    weight: 100
    target: {{method: fixed, value: 1600}}
"""


def evaluate(spec: object, **options: object) -> object:
    """The results table of a review (what the removed engine.pipeline.evaluate returned)."""
    return Review(spec, **options).results  # type: ignore[arg-type]


def spec(extra: str = ""):
    text = textwrap.dedent(BASE).format(extra=textwrap.dedent(extra)).lstrip("\n")
    return parse_spec(text, "kpi.yaml", check_paths=False)


FEB_2026 = Calendar(Grain.MONTH, 1).parse("2026-02")


def share(extra: str, day: int) -> float:
    return workday_share(spec(extra), FEB_2026, dt.date(2026, 2, day))


# February 2026 in China: Spring Festival Feb 15-23. Weekdays: 2-6, 9-13, 16-20, 23-27 = 20;
# official days off on weekdays: 16, 17, 18, 19, 20, 23 = 6 -> 14; make-up working Saturdays
# Feb 14 and Feb 28 -> 16 working days.
CN = "calendar: {country: CN}"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (13, 10 / 16),  # Fri: 2-6 and 9-13 worked = 10
        (14, 11 / 16),  # the make-up Saturday counts
        (22, 11 / 16),  # nothing worked during the holiday week
        (24, 12 / 16),  # Tue 24: back to work on the 24th (23rd is still a day off)
        (27, 15 / 16),  # 24, 25, 26, 27
    ],
)
def test_cn_golden_week_with_two_make_up_saturdays(day: int, expected: float) -> None:
    assert share(CN, day) == pytest.approx(expected)


def test_the_specs_own_dates_still_remove_and_add_days() -> None:
    # Company day off Fri Feb 27: 15 working days; as of the 24th: 12 / 15 = 0.8.
    assert share(CN + "\nholidays: [2026-02-27]", 24) == pytest.approx(12 / 15)
    # Sunday Feb 22 worked (and the official holiday Feb 23): 18 days; as of the 24th:
    # 11 + 22nd + 23rd + 24th = 14 -> 14 / 18.
    assert share(CN + "\nworkdays: [2026-02-22, 2026-02-23]", 24) == pytest.approx(14 / 18)


def test_us_california_and_plain_monday_to_friday() -> None:
    # US-CA: Presidents' Day Mon Feb 16 is off: 20 - 1 = 19; as of Fri Feb 13: 10 / 19.
    assert share("calendar: {country: US, subdivision: CA}", 13) == pytest.approx(10 / 19)
    # No calendar: Monday-Friday, 20 days; as of the 24th: 2-6, 9-13, 16-20, 23-24 = 17.
    assert share("", 24) == pytest.approx(17 / 20)
    # The calendar share of the same day, for contrast: 24 / 28.
    no_pacing = spec("").model_copy(update={"pacing": spec("").pacing.CALENDAR})
    assert elapsed_share(no_pacing, FEB_2026, dt.date(2026, 2, 24)) == pytest.approx(24 / 28)


def test_evaluate_paces_the_target_by_the_official_calendar(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text("Date,Rep,Amount\n2026-02-03,r1,500\n2026-02-24,r1,400\n")
    text = textwrap.dedent(BASE).format(extra=CN).lstrip("\n")
    (tmp_path / "kpi.yaml").write_text(text)
    results = evaluate(tmp_path / "kpi.yaml", as_of=dt.date(2026, 2, 24))
    row = results.table.loc[results.table["level"] == "company"].iloc[0]
    # 12 of 16 working days: expected to date 1600 * 0.75 = 1200; actual 900; pace 0.75.
    assert row["elapsed"] == pytest.approx(0.75)
    assert row["expected_to_date"] == pytest.approx(1200.0)
    assert row["pace"] == pytest.approx(900 / 1200)


def test_unknown_country_and_subdivision_are_spec_errors_with_suggestions() -> None:
    with pytest.raises(SpecError) as info:
        spec("calendar: {country: CH, subdivision: ZHH}")
    assert "subdivision 'ZHH' is not one of CH's" in str(info.value.findings[0])
    with pytest.raises(SpecError) as info:
        spec("calendar: {country: XX}")
    assert "country 'XX' has no official calendar in the holidays library" in str(
        info.value.findings[0]
    )


def test_a_calendar_without_workdays_pacing_is_a_warning() -> None:
    text = textwrap.dedent(BASE).format(extra=CN).replace("pacing: workdays", "pacing: calendar")
    parsed = parse_spec(text, "kpi.yaml", check_paths=False)
    assert any("only used by `pacing: workdays`" in w.message for w in parsed._warnings)


def test_a_year_without_an_official_schedule_is_named() -> None:
    from salesperf.engine.workdays import unknown_schedules

    # 2026's schedule (two make-up Saturdays in February) is published; a year far ahead is
    # not, and the US moves no working days.
    assert unknown_schedules("CN", None, [2026]) == []
    assert unknown_schedules("CN", None, [2026, 2099]) == [2099]
    assert unknown_schedules("US", "CA", [2099]) == []


def test_check_warns_when_the_data_reaches_a_year_without_a_schedule(tmp_path: Path) -> None:
    from salesperf.check import run_check

    (tmp_path / "o.csv").write_text("Date,Rep,Amount\n2099-02-03,r1,500\n")
    (tmp_path / "kpi.yaml").write_text(textwrap.dedent(BASE).format(extra=CN).lstrip("\n"))
    report = run_check(tmp_path / "kpi.yaml", today=dt.date(2099, 3, 1))
    found = [f for f in report.findings if f.code == "calendar-schedule"]
    assert len(found) == 1
    assert found[0].message.startswith("the official 2099 working-day schedule of CN")
