"""Chinese working days (工作日), following the State Council's holiday schedule including
adjusted working weekends (调休), via the `chinese_calendar` package."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from chassis.errors import InvalidInput


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        # The package only knows published years; guessing would move legal deadlines.
        raise InvalidInput(f"no official holiday schedule is known for {day.year}", "date") from exc


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise InvalidInput("days must be >= 0", "days")
    current, left = start, days
    while left:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_working_day(current)
    return count


def nth_working_day_on_or_before(year: int, month: int, day: int) -> date:
    """Deadline like 'by the 10th': the 10th if it is a working day, else the working day before it."""
    current = date(year, month, day)
    while not is_working_day(current):
        current -= timedelta(days=1)
    return current


def today_cn() -> date:
    """Today in China Standard Time: business dates follow Beijing time, not the server's zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
