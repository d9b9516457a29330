"""Report deadlines (调查报告, tender 二(一)1(3)): calendar days after the inspection ended — three for a hospital, the
next day for a pharmacy, three for the agency — across month and year ends and 29 February; overdue from the day
after the due day when unreported, and recorded when filed late."""

from __future__ import annotations

from datetime import date

import pytest

from services.audit.inspections.domain.deadlines import days_late, due_on, overdue

DAYS = {"hospital": 3, "pharmacy": 1, "agency": 3}


@pytest.mark.parametrize(("kind", "ended", "due"), [
    ("hospital", "2024-01-31", "2024-02-03"),
    ("hospital", "2024-02-28", "2024-03-02"),   # 2024 is a leap year: 29 Feb, 1 Mar, 2 Mar
    ("hospital", "2023-02-27", "2023-03-02"),
    ("pharmacy", "2024-02-28", "2024-02-29"),
    ("pharmacy", "2024-04-30", "2024-05-01"),
    ("pharmacy", "2024-12-31", "2025-01-01"),
    ("agency", "2024-12-30", "2025-01-02"),
    ("hospital", "2024-10-01", "2024-10-04"),   # calendar days: the National Day holiday is not skipped
])
def test_due_on_counts_calendar_days_over_month_ends(kind: str, ended: str, due: str) -> None:
    assert due_on(kind, date.fromisoformat(ended), DAYS) == date.fromisoformat(due)


def test_overdue_from_the_day_after_the_due_day() -> None:
    due = date(2024, 3, 2)
    assert not overdue(due, None, date(2024, 3, 2))       # still the due day
    assert overdue(due, None, date(2024, 3, 3))
    assert not overdue(due, date(2024, 3, 2), date(2024, 3, 9))   # filed on the due day: on time for good
    assert overdue(due, date(2024, 3, 3), date(2024, 3, 3))
    assert days_late(due, date(2024, 3, 5), date(2024, 3, 9)) == 3
    assert days_late(due, None, date(2024, 3, 4)) == 2 and days_late(due, date(2024, 3, 1), date(2024, 3, 9)) == 0
