"""Care plans against the (SAMPLE) catalogue, and service records against the plan, the cover and the caregiver."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chassis.errors import InvalidInput
from services.settlement.care.domain.plans import Cover, Plan, ServiceRecord, check_plan, check_record, load_catalogue

CATALOGUE = load_catalogue()
PLAN = check_plan(CATALOGUE, Plan("p1", "home_visits", 4, date(2026, 3, 1), date(2026, 8, 31),
                                  {"bathing": 2, "pressure_care": 8}))
COVER = Cover(date(2026, 2, 20))


def rec(rid: str, item: str = "bathing", day: int = 10, hour: int = 9, caregiver: str = "c1",
        month: int = 3) -> ServiceRecord:
    return ServiceRecord(rid, "p1", caregiver, item, datetime(2026, month, day, hour), datetime(2026, month, day,
                                                                                               hour + 1))


def test_the_plan_records_the_catalogue_version() -> None:
    assert PLAN.catalogue_version == "wz-ltc-care-sample.1"


@pytest.mark.parametrize(("plan", "field"), [
    (Plan("p1", "home_visits", 4, date(2026, 3, 1), date(2026, 8, 31), {"bathing": 9}), "frequencies.bathing"),
    (Plan("p1", "home_visits", 3, date(2026, 3, 1), date(2026, 8, 31), {"tube_care": 1}), "frequencies.tube_care"),
    (Plan("p1", "family", 4, date(2026, 3, 1), date(2026, 8, 31), {"bathing": 1}, True), "frequencies.bathing"),
    (Plan("p1", "family", 4, date(2026, 3, 1), date(2026, 8, 31), {"family_care_day": 20}), "agreement_signed"),
    (Plan("p1", "boarding", 4, date(2026, 3, 1), date(2026, 8, 31), {"bathing": 1}), "mode"),
    (Plan("p1", "home_visits", 4, date(2026, 3, 1), date(2026, 2, 1), {"bathing": 1}), "end"),
])
def test_a_plan_outside_the_catalogue_is_refused(plan: Plan, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_plan(CATALOGUE, plan)
    assert (err.value.field, err.value.code) == (field, "invalid_plan")


def test_a_record_within_everything_counts() -> None:
    assert check_record(PLAN, COVER, rec("r1"), [], []).code == "record_accepted"


def test_records_outside_the_plan_cover_or_time_are_refused_with_their_reason() -> None:
    assert check_record(PLAN, COVER, rec("r1", item="rehab"), [], []).code == "outside_plan"
    assert check_record(PLAN, COVER, rec("r1", month=9), [], []).code == "outside_plan_period"
    assert check_record(PLAN, Cover(date(2026, 3, 15)), rec("r1"), [], []).code == "person_not_covered"
    assert check_record(PLAN, Cover(date(2026, 2, 1), died_on=date(2026, 3, 9)), rec("r1"), [], []).code == \
        "person_deceased"
    month = [rec("a"), rec("b", day=12)]
    assert check_record(PLAN, COVER, rec("r1", day=20), month, []).code == "over_frequency"
    assert check_record(PLAN, COVER, rec("r1", day=20), [rec("a")], []).code == "record_accepted"
    other_person = ServiceRecord("x", "p2", "c1", "bathing", datetime(2026, 3, 10, 9, 30), datetime(2026, 3, 10, 11))
    assert check_record(PLAN, COVER, rec("r1"), [], [other_person]).code == "caregiver_overlap"
    back_to_back = ServiceRecord("y", "p2", "c1", "bathing", datetime(2026, 3, 10, 10), datetime(2026, 3, 10, 11))
    assert check_record(PLAN, COVER, rec("r1"), [], [back_to_back]).code == "record_accepted"


def test_a_malformed_record_is_an_error() -> None:
    bad = ServiceRecord("r1", "p1", "c1", "bathing", datetime(2026, 3, 10, 9), datetime(2026, 3, 10, 9))
    with pytest.raises(InvalidInput) as err:
        check_record(PLAN, COVER, bad, [], [])
    assert err.value.code == "invalid_record"
    with pytest.raises(InvalidInput):
        check_record(PLAN, COVER, ServiceRecord("r2", "p9", "c1", "bathing", datetime(2026, 3, 10, 9),
                                                datetime(2026, 3, 10, 10)), [], [])
