"""When an inspection's report (调查报告) is due (tender 二(一)1(3)): "每家医疗机构调查结束后三日内、每家定点零售药店
调查结束后次日" — CALENDAR days after the day the inspection ended (no working-day calendar: the tender counts days),
by institution kind (program.yaml `supervision.report_days`: hospital 3, pharmacy 1, the agency 3 by choice).
Overdue: filed after the due day, or not filed by the end of it. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta


def due_on(kind: str, ended_on: date, report_days: Mapping[str, int]) -> date:
    """The last day the report may be filed on: the day the inspection ended plus the kind's calendar days (a
    hospital ending on 31 January 2024 is due 3 February; one ending on 28 February 2024 is due 2 March)."""
    return ended_on + timedelta(days=int(report_days[kind]))


def overdue(due: date, reported_on: date | None, today: date) -> bool:
    """Filed after its due day, or (not filed) today is past the due day."""
    if reported_on is not None:
        return reported_on > due
    return today > due


def days_late(due: date, reported_on: date | None, today: date) -> int:
    """Calendar days past the due day (0 when on time)."""
    return max(0, ((reported_on or today) - due).days)
