"""The survey results' period: a year no date can hold ("0000") is a 422 naming the period, never a 500 (found by
tests/component/test_openapi_fuzz.py on GET /v1/surveys/results)."""

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.intake.surveys.domain.survey import FIRST_YEAR, LAST_YEAR, period_bounds


@pytest.mark.parametrize("text", ["0000", "0000-Q1", "9999-12", "1999-06", "2101"])
def test_a_year_outside_the_programs_years_is_refused_with_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        period_bounds(text)
    assert refused.value.field == "period"


def test_the_first_and_last_years_are_periods() -> None:
    assert period_bounds(str(FIRST_YEAR))[0] == date(FIRST_YEAR, 1, 1)
    assert period_bounds(f"{LAST_YEAR}-Q4")[1] == date(LAST_YEAR, 12, 31)
