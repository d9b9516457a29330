from datetime import date

import pytest

from chassis.calendar import add_working_days, is_working_day, working_days_between
from chassis.errors import InvalidInput


def test_adjusted_working_weekend_counts() -> None:
    # 2025-09-28 is a Sunday made a working day (调休) for the National Day holiday.
    assert date(2025, 9, 28).weekday() == 6
    assert is_working_day(date(2025, 9, 28))
    assert not is_working_day(date(2025, 10, 1))  # National Day
    assert not is_working_day(date(2025, 10, 4))  # Saturday inside the holiday


def test_ten_working_days_across_national_day() -> None:
    # A complete application on Fri 2025-09-26: 9-28 (adjusted Sunday), 9-29, 9-30 = 3; 10-1..10-8 off;
    # 10-9, 10-10, 10-11 (adjusted Saturday) = 6; 10-13, 10-14, 10-15, 10-16 = 10.
    assert add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 16)) == 10


def test_plain_week() -> None:
    assert add_working_days(date(2025, 3, 3), 5) == date(2025, 3, 10)


def test_unknown_year_is_refused_not_guessed() -> None:
    with pytest.raises(InvalidInput):
        is_working_day(date(2099, 1, 5))
