"""Reporting periods and report due dates: 'by the 10th', moved past holidays on the official calendar."""

from datetime import date

import pytest

from chassis.calendar import is_working_day
from chassis.errors import InvalidInput
from services.audit.domain.periods import cn_date, parse_period, previous_month, report_due_on


def due(period: str, roll: str = "forward") -> date:
    return report_due_on(parse_period(period), 10, is_working_day, roll)  # type: ignore[arg-type]


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


def test_due_date_moves_past_a_holiday_to_the_next_working_day() -> None:
    # 2024-06-10 is the Dragon Boat Festival (a Monday off): May's report is due Tuesday the 11th.
    assert not is_working_day(date(2024, 6, 10))
    assert due("2024-05") == date(2024, 6, 11)
    # 2024-02-10..17 is the Spring Festival holiday; Sunday 2024-02-18 is an adjusted working day (调休).
    assert date(2024, 2, 18).weekday() == 6 and is_working_day(date(2024, 2, 18))
    assert due("2024-01") == date(2024, 2, 18)


def test_due_date_moves_past_a_weekend() -> None:
    assert due("2025-Q4") == date(2026, 1, 12)  # 2026-01-10 is a Saturday
    assert due("2025-04") == date(2025, 5, 12)  # 2025-05-10 is a Saturday


def test_backward_roll_is_available_for_a_strict_reading() -> None:
    assert due("2024-01", "backward") == date(2024, 2, 9)
    assert due("2024-05", "backward") == date(2024, 6, 7)
    assert due("2025-06", "backward") == date(2025, 7, 10)


def test_unknown_holiday_years_are_refused_not_guessed() -> None:
    with pytest.raises(InvalidInput):
        due("2098-12")


def test_years_are_not_report_periods() -> None:
    with pytest.raises(InvalidInput):
        due("2025")


def test_cn_date_reads_instants_in_beijing_time() -> None:
    assert cn_date("2025-06-30T17:00:00+00:00") == date(2025, 7, 1)  # 01:00 on 1 July in Beijing
    assert cn_date("2025-06-30T15:59:59Z") == date(2025, 6, 30)
    assert cn_date("2025-06-30") == date(2025, 6, 30)
    assert cn_date("", date(2025, 1, 1)) == date(2025, 1, 1)
    assert cn_date("garbage") is None
