"""Which plan is in force: a newer plan replaces older ones from its start; a record checked against the grade."""

from __future__ import annotations

from datetime import date, datetime

from services.settlement.care.domain.plans import (
    Approved,
    Cover,
    Plan,
    ServiceRecord,
    catalogue_mode,
    check_visit,
    in_force_periods,
)


def test_a_newer_plan_replaces_the_older_from_its_start() -> None:
    old = Approved("p1", date(2026, 1, 1), date(2026, 12, 31), ("2026-01-01T00:00", 0))
    new = Approved("p2", date(2026, 4, 1), date(2026, 6, 30), ("2026-03-20T00:00", 0))
    assert in_force_periods([new, old]) == {"p1": (date(2026, 1, 1), date(2026, 3, 31)),
                                            "p2": (date(2026, 4, 1), date(2026, 6, 30))}


def test_a_newer_plan_starting_first_replaces_the_older_wholly() -> None:
    old = Approved("p1", date(2026, 4, 1), date(2026, 6, 30), ("2026-03-01T00:00", 0))
    new = Approved("p2", date(2026, 3, 1), date(2026, 12, 31), ("2026-03-02T00:00", 0))
    assert in_force_periods([old, new]) == {"p1": None, "p2": (date(2026, 3, 1), date(2026, 12, 31))}


def test_plans_that_do_not_meet_both_stay() -> None:
    a = Approved("a", date(2026, 1, 1), date(2026, 3, 31), ("1", 0))
    b = Approved("b", date(2026, 4, 1), date(2026, 6, 30), ("1", 1))
    assert in_force_periods([a, b]) == {"a": (date(2026, 1, 1), date(2026, 3, 31)),
                                        "b": (date(2026, 4, 1), date(2026, 6, 30))}


def test_a_record_on_a_day_of_another_grade_needs_a_new_plan() -> None:
    plan = Plan("p", catalogue_mode("home_visit"), 4, date(2026, 1, 1), date(2026, 12, 31), {"bathing": 4})
    visit = ServiceRecord("r", "p", "c", "bathing", datetime(2026, 3, 3, 9), datetime(2026, 3, 3, 10))
    assert check_visit(plan, Cover(date(2026, 1, 1)), 4, visit, [], []).code == "record_accepted"
    assert check_visit(plan, Cover(date(2026, 1, 1)), 5, visit, [], []).code == "plan_grade_changed"
    assert check_visit(plan, Cover(date(2026, 1, 1)), 5, ServiceRecord(
        "r", "p", "c", "rehab", visit.start, visit.end), [], []).code == "outside_plan"
