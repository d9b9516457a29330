"""The assessors' draw: two, one medical, none of the care institution, a re-assessment by a different pair,
reproducible from the recorded seed."""

from __future__ import annotations

import pytest

from chassis.errors import Conflict
from services.appraisal.disability.domain.draw import Assessor, draw_pair

POOL = [Assessor("a1", True), Assessor("a2", False), Assessor("a3", False, "C01"), Assessor("a4", True, "C01"),
        Assessor("a5", False), Assessor("a6", True)]


def test_a_pair_with_a_medical_assessor_none_of_the_care_institution_reproducibly() -> None:
    for seed in (f"s{i}" for i in range(50)):
        d = draw_pair(POOL, seed, care_institution="C01")
        medical = {a.assessor_id for a in POOL if a.medical}
        assert len(set(d.assessors)) == 2 and d.assessors[0] in medical
        assert not set(d.assessors) & {"a3", "a4"} and d.candidates == ("a1", "a2", "a5", "a6")
        assert draw_pair(POOL, seed, care_institution="C01") == d  # the recorded seed gives the same pair


def test_a_re_assessment_is_by_a_different_pair() -> None:
    first = draw_pair(POOL, "s1", care_institution="C01")
    again = draw_pair(POOL, "s2", care_institution="C01", excluded=first.assessors)
    assert not set(again.assessors) & set(first.assessors)


@pytest.mark.parametrize(("pool", "code"), [
    ([Assessor("a1", True)], "too_few_assessors"),
    ([Assessor("a1", False), Assessor("a2", False)], "no_medical_assessor"),
    ([Assessor("a1", True, "C01"), Assessor("a2", False)], "too_few_assessors"),
])
def test_a_draw_that_cannot_be_made_says_why(pool: list[Assessor], code: str) -> None:
    with pytest.raises(Conflict) as err:
        draw_pair(pool, "s", care_institution="C01")
    assert err.value.code == code
