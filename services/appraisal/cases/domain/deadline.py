"""A case's appraisal deadline (鉴定时限) as stored and as read: `appraisal.working_days` (10) working days after
the clock's start (`clock_from`: the day the application became complete — 申报完成, its last required document in —
or, where the program says so, its submission; see clock.py).

The case saves the deadline with its calendar (`due_on`, `due_provisional`, `due_calendar`) and what it was
computed from (`clock_from`, `due_working_days`). A deadline worked out on a year whose official holiday schedule
was not known yet is worked out again on every read, so it turns official once chassis/calendars/cn-<year>.yaml is
there (chassis/calendars/README.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from chassis.calendar import Deadline, refreshed, working_days_after

DEADLINE_KEYS = ("due_on", "due_provisional", "due_calendar")


def case_deadline(clock_from: date, working_days: int) -> Deadline:
    return working_days_after(clock_from, working_days)


def stored_case_deadline(clock_from: date, working_days: int) -> dict[str, Any]:
    """The fields a new case saves for its deadline."""
    return {**case_deadline(clock_from, working_days).stored(), "due_working_days": working_days}


def current_case(case: dict[str, Any]) -> dict[str, Any]:
    """The case with a provisional deadline worked out again on today's calendar (a copy)."""
    start = case.get("clock_from") or case.get("completed_on")
    if not case.get("due_provisional") or not start or not case.get("due_working_days"):
        return case
    return refreshed(case, lambda: case_deadline(date.fromisoformat(start), int(case["due_working_days"])))


def overdue_on(case: dict[str, Any], day: date) -> bool:
    """Past the deadline on `day` (the conclusion's day once concluded)."""
    return bool(case.get("due_on")) and day > date.fromisoformat(case["due_on"])
