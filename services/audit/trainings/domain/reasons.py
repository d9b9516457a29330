"""The trainings room's catalogue (基金监管 培训与以干代训): error codes a client branches on."""

from __future__ import annotations

ERRORS = {
    "date_in_future": "a training is recorded once it was held: its days are today at the latest",
    "held_reversed": "a training ends (held_to) on or after the day it began (held_from)",
    "topics_required": "a course (线下培训) names at least one of the tender's topics",
    "unknown_topic": "a topic is one of common_violations, compliant_charging, on_site_patrol, regulation",
    "duplicate_topic": "a topic is named twice",
    "attendees_required": "a course (线下培训) states how many attended (at least one)",
    "region_required": "a flight-inspection trip (以干代训) states its region: xinjiang (疆内) or outside_xinjiang "
                       "(疆外)",
    "trip_staff_too_small": "a flight-inspection trip takes at least two of the agency's staff (每次2名) "
                            "(params: minimum)",
    "duplicate_staff": "a member of the agency's staff is named twice on one trip",
    "field_not_of_kind": "the field belongs to the other kind of training (course: topics, attendees; flight_trip: "
                         "region, destination, staff) (params: kind)",
}
