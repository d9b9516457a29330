"""Who long-term care covers: severe grades, lasting six months (or through old age)."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.errors import InvalidInput
from services.appraisal.disability.domain.eligibility import add_months, eligibility
from services.appraisal.disability.domain.scale import grade, load_scale
from tests.unit.appraisal.disability.test_grading import scores

SCALE = load_scale()
SEVERE = grade(SCALE, scores(adl=40))  # 重度失能I级
MODERATE = grade(SCALE, scores(adl=60))


def test_severe_and_lasting_six_months_is_covered_to_the_day() -> None:
    on_the_day = eligibility(SEVERE, SCALE, date(2026, 6, 15), date(2025, 12, 15))
    assert on_the_day.eligible and [r.code for r in on_the_day.reasons] == ["severe", "lasting"]
    day_before = eligibility(SEVERE, SCALE, date(2026, 6, 14), date(2025, 12, 15))
    assert not day_before.eligible and day_before.earliest_on == date(2026, 6, 15)
    assert day_before.reasons[-1].code == "too_recent"


def test_old_age_needs_no_waiting_and_a_moderate_grade_is_not_covered() -> None:
    assert eligibility(SEVERE, SCALE, date(2026, 1, 5), None, through_old_age=True).eligible
    moderate = eligibility(MODERATE, SCALE, date(2026, 6, 15), date(2020, 1, 1))
    assert not moderate.eligible and moderate.reasons[0].code == "not_severe" and moderate.earliest_on is None


def test_month_ends_and_bad_dates() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    with pytest.raises(InvalidInput) as err:
        eligibility(SEVERE, SCALE, date(2026, 1, 1), None)
    assert err.value.field == "disabled_since"
    with pytest.raises(InvalidInput):
        eligibility(SEVERE, SCALE, date(2026, 1, 1), date(2026, 2, 1))
