"""A population's period near the calendar's first years: the two years before it would begin before 0001-01-01,
so the period reaches back to the calendar's first day at most (found by probing the door: a 500)."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.audit.record_sampling.domain.population import check_period, years_before


def test_two_years_before_the_calendars_first_years_is_its_first_day() -> None:
    assert years_before(date(1, 1, 2), 2) == years_before(date(2, 1, 2), 2) == date.min
    assert years_before(date(3, 1, 1), 2) == date(1, 1, 2)
    assert years_before(date(2024, 11, 20), 2) == date(2022, 11, 21)
    check_period(date(1, 1, 1), date(1, 1, 2), 2, date(2026, 12, 1))
    with pytest.raises(InvalidInput) as e:
        check_period(date(1, 1, 1), date(3, 1, 2), 2, date(2026, 12, 1))
    assert (e.value.code, e.value.field) == ("period_too_long", "period_from")
