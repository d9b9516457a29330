"""A handover's period: a year no date can hold ("0000-01") is a 422 naming the period, never a 500 (found by
tests/component/test_openapi_fuzz.py on POST /v1/exports)."""

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.archive.handover.domain.selection import FIRST_YEAR, LAST_YEAR, period_bounds


@pytest.mark.parametrize("text", ["0000", "0000-01", "9999-Q4", "1999", "2101-01"])
def test_a_year_outside_the_programs_years_is_refused_with_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        period_bounds(text)
    assert refused.value.field == "period"


def test_the_first_and_last_years_are_periods() -> None:
    assert period_bounds(f"{FIRST_YEAR}-01") == (date(FIRST_YEAR, 1, 1), date(FIRST_YEAR, 1, 31))
    assert period_bounds(str(LAST_YEAR))[1] == date(LAST_YEAR, 12, 31)
