"""A training as the tender counts it, pure:

- a **course** (《医疗保障基金合规使用》线下培训, tender 二(一)1(4)): its days, title, how many attended and which
  of the four topics the tender says the trainings cover (培训内容需涵盖) it covered;
- a **flight trip** (外出参与其他地区医疗保障基金飞行检查以干代训, tender 二(一)3(4)): its days, region
  (疆内（地市级） or 疆外), where, and the agency's staff who went (每次2名: at least two, a choice —
  the tender's "2 each time" is read as the minimum sent, not a ceiling).

`tally` gives the figures of a window against the required counts (4 courses; trips 4 in Xinjiang and 2 outside)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from chassis.errors import InvalidInput

COURSE, FLIGHT_TRIP = "course", "flight_trip"
KINDS = (COURSE, FLIGHT_TRIP)
# 培训内容需涵盖 (tender 二(一)1(4)), in the tender's order.
TOPICS: dict[str, str] = {
    "common_violations": "医疗保障基金使用过程中的常见违规行为",
    "compliant_charging": "如何合理合规进行医疗收费",
    "on_site_patrol": "如何进行现场巡查",
    "regulation": "如何贯彻执行《医疗保障基金使用监督管理条例》",
}
# 检查培训需包括: ①疆内（地市级）检查4次 ②疆外检查2次 (tender 二(一)3(4)).
REGIONS: dict[str, str] = {"xinjiang": "疆内（地市级）", "outside_xinjiang": "疆外"}
MIN_TRIP_STAFF = 2
COURSE_FIELDS = ("topics", "attendees")
TRIP_FIELDS = ("region", "destination", "staff")


def _refuse_other_kind(body: Mapping[str, Any], kind: str) -> None:
    for name in TRIP_FIELDS if kind == COURSE else COURSE_FIELDS:
        if body.get(name):
            raise InvalidInput(f"{name} is not a field of a {kind}", name, code="field_not_of_kind",
                               params={"kind": kind})


def check_training(body: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The training's values to keep, or 422 naming the field (codes in reasons.py)."""
    kind = str(body["kind"])
    if kind not in KINDS:
        raise InvalidInput(f"kind is one of {', '.join(KINDS)}", "kind")
    held_from: date = body["held_from"]
    held_to: date = body.get("held_to") or held_from
    if held_to < held_from:
        raise InvalidInput(f"held_to {held_to} is before held_from {held_from}", "held_to", code="held_reversed")
    for name, day in (("held_from", held_from), ("held_to", held_to)):
        if day > today:
            raise InvalidInput(f"{name} {day} is after today: a training is recorded once held", name,
                               code="date_in_future")
    _refuse_other_kind(body, kind)
    kept: dict[str, Any] = {"kind": kind, "title": str(body["title"]).strip(), "held_from": held_from.isoformat(),
                            "held_to": held_to.isoformat(), "note": str(body.get("note") or "")}
    if kind == COURSE:
        topics = [str(t) for t in body.get("topics") or []]
        if not topics:
            raise InvalidInput("a course names the tender's topics it covered", "topics", code="topics_required")
        for n, topic in enumerate(topics):
            if topic not in TOPICS:
                raise InvalidInput(f"a topic is one of {', '.join(TOPICS)}", f"topics[{n}]", code="unknown_topic")
            if topic in topics[:n]:
                raise InvalidInput(f"{topic} is named twice", f"topics[{n}]", code="duplicate_topic")
        attendees = int(body.get("attendees") or 0)
        if attendees < 1:
            raise InvalidInput("a course states how many attended", "attendees", code="attendees_required")
        return {**kept, "topics": topics, "attendees": attendees}
    region = str(body.get("region") or "")
    if region not in REGIONS:
        raise InvalidInput(f"region is one of {', '.join(REGIONS)}", "region", code="region_required")
    staff = [str(s) for s in body.get("staff") or []]
    for n, member in enumerate(staff):
        if member in staff[:n]:
            raise InvalidInput(f"{member} is named twice", f"staff[{n}]", code="duplicate_staff")
    if len(staff) < MIN_TRIP_STAFF:
        raise InvalidInput(f"a flight-inspection trip takes at least {MIN_TRIP_STAFF} of the agency's staff; "
                           f"{len(staff)} named", "staff", code="trip_staff_too_small",
                           params={"minimum": str(MIN_TRIP_STAFF)})
    return {**kept, "region": region, "destination": str(body.get("destination") or "").strip(), "staff": staff}


def tally(trainings: Iterable[Mapping[str, Any]], start: date, end: date, required_courses: int,
          required_trips: Mapping[str, int]) -> dict[str, Any]:
    """The courses and trips held within [start, end] (by the day they began) against the required counts: each
    count, the topics covered by the courses together, and whether each requirement is met."""
    held = [t for t in trainings if start.isoformat() <= str(t["held_from"]) <= end.isoformat()]
    courses = [t for t in held if t["kind"] == COURSE]
    trips = [t for t in held if t["kind"] == FLIGHT_TRIP]
    covered = {topic for c in courses for topic in c.get("topics") or []}
    by_region = {r: {"name": name, "held": sum(1 for t in trips if t.get("region") == r),
                     "required": int(required_trips.get(r, 0))} for r, name in REGIONS.items()}
    for row in by_region.values():
        row["met"] = row["held"] >= row["required"]
    return {
        "courses": {"held": len(courses), "required": required_courses, "met": len(courses) >= required_courses,
                    "attendees": sum(int(c.get("attendees") or 0) for c in courses),
                    "topics": {t: {"name": name, "covered": t in covered} for t, name in TOPICS.items()},
                    "topics_covered": sum(1 for t in TOPICS if t in covered),
                    "all_topics_covered": covered >= set(TOPICS)},
        "flight_trips": {"held": len(trips), "required": sum(int(v) for v in required_trips.values()),
                         "by_region": by_region, "met": all(r["met"] for r in by_region.values()),
                         "staff_sent": sum(len(t.get("staff") or []) for t in trips)},
        "items": [{k: t.get(k) for k in ("training_id", "kind", "title", "held_from", "held_to", "topics", "attendees",
                                         "region", "destination")} | {"staff": len(t.get("staff") or [])}
                  for t in sorted(held, key=lambda t: (str(t["held_from"]), str(t.get("training_id"))))],
    }
