"""Reporting periods and report due dates: 'by the 10th' (10日前) — the last working day on or before it on the
official calendar, never later."""

from datetime import date

import pytest

from chassis.calendar import due_by, is_working_day
from chassis.errors import InvalidInput
from services.audit.reports.domain.periods import (
    cn_date,
    parse_period,
    previous_month,
    report_deadline_day,
    report_due,
    report_due_on,
)


def due(period: str) -> date:
    return report_due_on(parse_period(period), 10, is_working_day)


def test_periods_parse_to_inclusive_ranges() -> None:
    assert parse_period("2025-06").start == date(2025, 6, 1) and parse_period("2025-06").end == date(2025, 6, 30)
    assert parse_period("2024-02").end == date(2024, 2, 29)  # leap year
    q = parse_period("2025-Q4")
    assert (q.kind, q.start, q.end, q.months()) == ("quarter", date(2025, 10, 1), date(2025, 12, 31),
                                                    ["2025-10", "2025-11", "2025-12"])
    assert parse_period("2025").months()[0] == "2025-01" and len(parse_period("2025").months()) == 12
    assert parse_period("2025-05").within(parse_period("2025-Q2"))
    assert not parse_period("2025-07").within(parse_period("2025-Q2"))
    assert previous_month("2025-01") == "2024-12" and previous_month("2025-10") == "2025-09"


@pytest.mark.parametrize("bad", ["2025-13", "2025-6", "2025-Q5", "25-06", "", "2025-06-01", "Q2-2025"])
def test_bad_periods_are_refused_naming_the_forms(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_period(bad)
    assert err.value.field == "period" and "YYYY-MM" in err.value.message


def test_a_monthly_report_refuses_a_quarter() -> None:
    with pytest.raises(InvalidInput):
        parse_period("2025-Q2", ("month",))


def test_due_on_the_10th_when_it_is_a_working_day() -> None:
    assert due("2025-06") == date(2025, 7, 10)
    # The National Day holiday is 2025-10-01..08; the 10th (a Friday) is a working day again.
    assert due("2025-09") == date(2025, 10, 10)
    assert due("2025-Q3") == date(2025, 10, 10)
    assert due("2023-12") == date(2024, 1, 10)


def test_a_10th_on_a_holiday_makes_the_report_due_the_working_day_before() -> None:
    # 2024-06-10 is the Dragon Boat Festival (a Monday off): May's report is due Friday the 7th, not Tuesday the 11th.
    assert not is_working_day(date(2024, 6, 10)) and date(2024, 6, 7).weekday() == 4
    assert due("2024-05") == date(2024, 6, 7)
    # 2024-02-10..17 is the Spring Festival holiday: January's report is due Friday 2024-02-09 — never the
    # adjusted working Sunday 2024-02-18 after it.
    assert not is_working_day(date(2024, 2, 10)) and is_working_day(date(2024, 2, 18))
    assert due("2024-01") == date(2024, 2, 9)


def test_a_10th_on_a_weekend_makes_the_report_due_the_friday_before() -> None:
    assert date(2026, 1, 10).weekday() == 5 and due("2025-Q4") == date(2026, 1, 9)
    assert date(2025, 5, 10).weekday() == 5 and due("2025-04") == date(2025, 5, 9)


def test_an_adjusted_working_saturday_on_the_10th_is_the_due_date() -> None:
    # 2026-10-10 is a Saturday made a working day (调休) for the National Day holiday.
    assert date(2026, 10, 10).weekday() == 5 and is_working_day(date(2026, 10, 10))
    assert due("2026-09") == due("2026-Q3") == date(2026, 10, 10)
    # 2026-05-10 is a Sunday, and Saturday 2026-05-09 is worked (调休 for Labour Day): due that Saturday.
    assert date(2026, 5, 10).weekday() == 6 and due("2026-04") == date(2026, 5, 9)


def test_never_later_than_the_10th_and_always_a_working_day() -> None:
    for year in (2024, 2025, 2026):
        for month in range(1, 13):
            period = parse_period(f"{year}-{month:02d}")
            due_on, tenth = report_due_on(period, 10, is_working_day), report_deadline_day(period, 10)
            assert due_on <= tenth and is_working_day(due_on)
            assert all(not is_working_day(date.fromordinal(d)) for d in range(due_on.toordinal() + 1,
                                                                                tenth.toordinal() + 1))


def test_a_due_date_says_which_calendar_and_whether_it_is_provisional() -> None:
    official = report_due(parse_period("2025-12"), 10, due_by)
    assert official.due == date(2026, 1, 9) and not official.provisional and official.calendar.startswith("official")
    # 2027 has no official schedule in the repo yet: the statutory holidays decide, provisionally.
    guessed = report_due(parse_period("2026-12"), 10, due_by)
    assert date(2027, 1, 10).weekday() == 6
    assert guessed.due == date(2027, 1, 8) and guessed.provisional and guessed.calendar.startswith("statutory")


def test_years_far_past_any_known_schedule_are_refused_not_guessed() -> None:
    with pytest.raises(InvalidInput):
        due("2098-12")


def test_half_years_and_years_are_report_periods_of_long_term_care() -> None:
    """Long-term care's half-yearly and yearly reports are due by the 10th of the month after them, as the others."""
    h1 = parse_period("2025-H1", ("half",))
    assert (h1.kind, h1.start, h1.end, len(h1.months())) == ("half", date(2025, 1, 1), date(2025, 6, 30), 6)
    assert parse_period("2025-H2", ("half",)).start == date(2025, 7, 1)
    assert report_due_on(h1, 10, is_working_day) == date(2025, 7, 10)
    assert due("2025") == date(2026, 1, 9)  # Saturday 10 January 2026: the Friday before
    with pytest.raises(InvalidInput) as err:
        parse_period("2025-H1")  # only where half years are asked for
    assert "YYYY-Hn" not in err.value.message
    with pytest.raises(InvalidInput) as err:
        parse_period("2025-H3", ("half",))
    assert "YYYY-Hn" in err.value.message


def test_cn_date_reads_instants_in_beijing_time() -> None:
    assert cn_date("2025-06-30T17:00:00+00:00") == date(2025, 7, 1)  # 01:00 on 1 July in Beijing
    assert cn_date("2025-06-30T15:59:59Z") == date(2025, 6, 30)
    assert cn_date("2025-06-30") == date(2025, 6, 30)
    assert cn_date("", date(2025, 1, 1)) == date(2025, 1, 1)
    assert cn_date("garbage") is None
