"""Long-term care supervision quotas at their boundaries, and the patrol team's rule."""

from __future__ import annotations

import pytest

from chassis.errors import InvalidInput
from services.audit.patrols.domain.quotas import (
    Inspector,
    check_patrol_team,
    institution_patrols,
    pace_target,
    quarter_sampling,
    quarter_target,
    sample_targets,
    status_survey,
    year_coverage,
    year_pace,
)


@pytest.mark.parametrize(("delivered", "checked", "required", "met"), [
    (10, 2, 2, True), (10, 1, 2, False), (11, 2, 3, False), (11, 3, 3, True), (0, 0, 0, True), (100, 20, 20, True),
    (1_000_000, 199_999, 200_000, False),
])
def test_a_quarter_samples_at_least_a_fifth_rounded_up(delivered: int, checked: int, required: int,
                                                       met: bool) -> None:
    a = quarter_sampling(delivered, checked)
    assert (a.required, a.met, a.shortfall) == (required, met, max(0, required - checked))
    assert a.reason.code == "quarter_sampling"


def test_the_year_checks_every_service_and_every_institution_and_person_is_seen() -> None:
    assert year_coverage(500, 500).met and not year_coverage(500, 499).met
    patrols = institution_patrols({"C01", "C02", "C03"}, ["C01", "C03", "C01", "X99"])
    assert (patrols.required, patrols.done, patrols.missing, patrols.met) == (3, 2, ("C02",), False)
    survey = status_survey(["p1", "p2"], ["p2", "p1"])
    assert survey.met and survey.missing == ()


def test_more_checked_than_delivered_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        quarter_sampling(5, 6)
    assert err.value.field == "checked"
    with pytest.raises(InvalidInput):
        year_coverage(-1, 0)


@pytest.mark.parametrize(("team", "code"), [
    ([Inspector("i1", True, "college")], "patrol_team_too_small"),
    ([Inspector("i1", True, "college"), Inspector("i1", False, "bachelor")], "patrol_team_too_small"),
    ([Inspector("i1", False, "college"), Inspector("i2", False, "bachelor")], "patrol_team_without_medical"),
    ([Inspector("i1", True, "college"), Inspector("i2", False, "secondary")], "inspector_degree"),
])
def test_a_patrol_is_two_people_one_medical_each_with_a_degree(team: list[Inspector], code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_patrol_team(team)
    assert err.value.code == code


def test_a_proper_team_passes() -> None:
    check_patrol_team([Inspector("i1", True, "college"), Inspector("i2", False, "master")])


@pytest.mark.parametrize(("own", "own_sampled", "known", "sampled", "quarter", "percent", "expected"), [
    (100, 0, 100, 0, 1, 20, (20, 20, 25, 25)),      # Q1: the pace (1/4) asks more than the quota
    (100, 25, 100, 25, 1, 20, (20, 0, 25, 0)),      # re-planning with nothing new adds nothing
    (100, 0, 200, 25, 2, 20, (20, 20, 100, 75)),    # Q2: its own 20 first, up to half the year so far in all
    (10, 0, 10, 0, 1, 30, (3, 3, 3, 3)),            # the plan's 30% (rounded up), the pace 3 as well
    (11, 0, 11, 0, 1, 20, (3, 3, 3, 3)),
    (50, 10, 400, 300, 4, 20, (10, 0, 400, 100)),   # Q4: every service left
    (0, 0, 0, 0, 3, 20, (0, 0, 0, 0)),
])
def test_a_sample_meets_its_quota_and_keeps_the_year_on_pace(own: int, own_sampled: int, known: int, sampled: int,
                                                              quarter: int, percent: int,
                                                              expected: tuple[int, int, int, int]) -> None:
    t = sample_targets(own, own_sampled, known, sampled, quarter, percent)
    assert (t.own_required, t.own, t.pace_required, t.total) == expected


def test_a_share_below_the_tenders_20_percent_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        quarter_target(100, 15)
    assert err.value.code == "plan_sample_below_quota"
    assert quarter_target(100, 20) == 20 and pace_target(7, 2) == 4


def test_the_year_pace_is_an_attainment() -> None:
    a = year_pace(400, 150, 2)
    assert (a.required, a.done, a.met, a.shortfall, a.reason.code) == (200, 150, False, 50, "year_pace")
