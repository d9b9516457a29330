"""A training as the tender counts it (trainings/domain/trainings.py): a course with its topics and attendance, a
flight-inspection trip with its region and at least two of the agency's staff; every bad input refused with its code
and field; the figures of a window against 4 courses and 4 + 2 trips."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.audit.trainings.domain.trainings import check_training, tally

TODAY = date(2024, 6, 30)


def course(**kw: Any) -> dict[str, Any]:
    return {"kind": "course", "title": "《医疗保障基金合规使用》培训", "held_from": date(2024, 6, 12), "topics":
            ["common_violations"], "attendees": 30, **kw}


def trip(**kw: Any) -> dict[str, Any]:
    return {"kind": "flight_trip", "title": "以干代训", "held_from": date(2024, 6, 1), "held_to": date(2024, 6, 4),
            "region": "xinjiang", "destination": "伊犁州", "staff": ["km-01", "km-02"], **kw}


def test_a_course_and_a_trip_kept() -> None:
    c = check_training(course(), TODAY)
    assert (c["held_to"], c["topics"], c["attendees"]) == ("2024-06-12", ["common_violations"], 30)
    t = check_training(trip(), TODAY)
    assert (t["region"], t["staff"], t["held_to"]) == ("xinjiang", ["km-01", "km-02"], "2024-06-04")


@pytest.mark.parametrize(("body", "field", "code"), [
    (course(held_from=date(2024, 7, 1)), "held_from", "date_in_future"),
    (course(held_to=date(2024, 6, 11)), "held_to", "held_reversed"),
    (course(held_to=date(2024, 7, 1)), "held_to", "date_in_future"),
    (course(topics=[]), "topics", "topics_required"),
    (course(topics=["cooking"]), "topics[0]", "unknown_topic"),
    (course(topics=["regulation", "regulation"]), "topics[1]", "duplicate_topic"),
    (course(attendees=0), "attendees", "attendees_required"),
    (course(region="xinjiang"), "region", "field_not_of_kind"),
    (trip(topics=["regulation"]), "topics", "field_not_of_kind"),
    (trip(region=None), "region", "region_required"),
    (trip(staff=["km-01"]), "staff", "trip_staff_too_small"),
    (trip(staff=["km-01", "km-01"]), "staff[1]", "duplicate_staff"),
])
def test_bad_input_names_its_field_and_code(body: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_training(body, TODAY)
    assert (err.value.field, err.value.code) == (field, code)


def test_the_window_against_four_courses_all_topics_and_four_plus_two_trips() -> None:
    held = [{"training_id": f"c{n}", **check_training(course(held_from=date(2024, 6, n), topics=topics), TODAY)}
            for n, topics in enumerate([["common_violations"], ["compliant_charging"], ["on_site_patrol"],
                                        ["regulation", "common_violations"]], start=1)]
    held += [{"training_id": f"t{n}", **check_training(trip(held_from=date(2024, 5, n), held_to=date(2024, 5, n),
                                                            region=region), TODAY)}
             for n, region in enumerate(["xinjiang"] * 4 + ["outside_xinjiang"] * 2, start=1)]
    f = tally(held, date(2024, 3, 1), date(2024, 11, 20), 4, {"xinjiang": 4, "outside_xinjiang": 2})
    assert (f["courses"]["held"], f["courses"]["met"], f["courses"]["all_topics_covered"]) == (4, True, True)
    assert f["flight_trips"]["by_region"]["outside_xinjiang"] == {"name": "疆外", "held": 2, "required": 2,
                                                                  "met": True}
    assert (f["flight_trips"]["held"], f["flight_trips"]["met"], f["flight_trips"]["staff_sent"]) == (6, True, 12)
    short = tally(held[:3] + held[4:8], date(2024, 3, 1), date(2024, 11, 20), 4,
                  {"xinjiang": 4, "outside_xinjiang": 2})
    assert (short["courses"]["met"], short["courses"]["topics_covered"], short["flight_trips"]["met"]) == (
        False, 3, False)
    june = tally(held, date(2024, 6, 1), date(2024, 6, 30), 4, {"xinjiang": 4, "outside_xinjiang": 2})
    assert june["courses"]["held"] == 4 and june["flight_trips"]["held"] == 0
