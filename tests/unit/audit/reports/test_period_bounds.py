"""A period naming a year no date can hold ("0000", "9999-12": December's end is in year 10000) is a 422 naming the
period, never a 500 (found by tests/component/test_openapi_fuzz.py on GET /v1/figures and POST /v1/reports)."""

import pytest

from chassis.errors import InvalidInput
from services.audit.reports.domain.periods import FIRST_YEAR, LAST_YEAR, parse_period


@pytest.mark.parametrize("text", ["0000", "0000-01", "9999-12", "9999-Q4", "1999", "2101-01"])
def test_a_year_outside_the_programs_years_is_refused_with_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_period(text, field="query.period")
    assert refused.value.field == "query.period" and str(FIRST_YEAR) in refused.value.message


def test_the_first_and_last_years_are_periods() -> None:
    assert parse_period(f"{FIRST_YEAR}-01").start.year == FIRST_YEAR
    assert parse_period(f"{LAST_YEAR}-12").end.year == LAST_YEAR


@pytest.mark.parametrize("text", ["２０２６-Q1", "٢٠٢٦-12", "２０２６"])
def test_digits_of_another_script_are_no_period(text: str) -> None:
    """Else "２０２６-Q1" is a period (a quarter's sample, a report) of its own beside "2026-Q1" (found probing POST
    /v1/ltc/samples, tests/component/test_openapi_fuzz.py)."""
    with pytest.raises(InvalidInput) as refused:
        parse_period(text, ("month", "quarter", "year"), field="quarter")
    assert refused.value.field == "quarter"
