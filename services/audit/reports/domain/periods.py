"""Reporting periods (月度 2025-06, 季度 2025-Q2, 半年度 2025-H1, 年度 2025) and the reports' due dates."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from chassis.errors import InvalidInput

if TYPE_CHECKING:
    from chassis.calendar import Deadline

CN = ZoneInfo("Asia/Shanghai")
# ASCII digits only: `\d` is any script's, and "２０２６-Q1" would be a period of its own beside "2026-Q1".
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.ASCII)
_HALF = re.compile(r"^(\d{4})-H([12])$", re.ASCII)
_YEAR = re.compile(r"^(\d{4})$", re.ASCII)

PeriodKind = Literal["month", "quarter", "half", "year"]
ALL_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "half", "year")
# The years a period may name: the programs' (as the fund's years, 2000–2100); "0000" or "9999-12" is no period.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    label: str
    start: date
    end: date  # inclusive

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def months(self) -> list[str]:
        """The YYYY-MM months the period covers."""
        out, y, m = [], self.start.year, self.start.month
        while date(y, m, 1) <= self.end:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def within(self, other: Period) -> bool:
        return other.start <= self.start and self.end <= other.end


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def parse_period(text: str, allowed: tuple[PeriodKind, ...] = ("month", "quarter", "year"),
                 field: str = "period") -> Period:
    """`2025-06`, `2025-Q2`, `2025-H1` (half years only where `allowed` names them) or `2025`; anything else is
    refused with the accepted forms."""
    value = (text or "").strip()
    year = re.match(r"^\d{4}", value, re.ASCII)
    if year and not FIRST_YEAR <= int(year[0]) <= LAST_YEAR:
        raise InvalidInput(f"{field} {text!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}", field)
    if (m := _MONTH.match(value)) and "month" in allowed:
        y, mo = int(m[1]), int(m[2])
        return Period("month", value, date(y, mo, 1), _month_end(y, mo))
    if (m := _QUARTER.match(value)) and "quarter" in allowed:
        y, q = int(m[1]), int(m[2])
        return Period("quarter", value, date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
    if (m := _HALF.match(value)) and "half" in allowed:
        y, h = int(m[1]), int(m[2])
        return Period("half", value, date(y, 6 * h - 5, 1), _month_end(y, 6 * h))
    if (m := _YEAR.match(value)) and "year" in allowed:
        y = int(m[1])
        return Period("year", value, date(y, 1, 1), date(y, 12, 31))
    forms = {"month": "YYYY-MM", "quarter": "YYYY-Qn", "half": "YYYY-Hn", "year": "YYYY"}
    raise InvalidInput(f"period {text!r} is not one of {', '.join(forms[k] for k in allowed)}", field)


def previous_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def report_deadline_day(period: Period, report_day: int) -> date:
    """The day a report is due by, before working days: the `report_day` (10th) of the next month / of the next
    quarter's first month (RULES A: "次月（季）10日前"); a half year's and a year's (long-term care) likewise of the
    month after them."""
    if not 1 <= report_day <= 28:
        raise InvalidInput("report_day must be between 1 and 28", "report_day")
    first_after = period.end + timedelta(days=1)
    return date(first_after.year, first_after.month, report_day)


def report_due_on(period: Period, report_day: int, is_working_day: Callable[[date], bool]) -> date:
    """Due **by** the `report_day` ("10日前"): that day when it is a working day, else the last working day before
    it. A deadline never moves later (no 顺延 past a weekend or holiday)."""
    due = report_deadline_day(period, report_day)
    while not is_working_day(due):
        due -= timedelta(days=1)
    return due


def report_due(period: Period, report_day: int, due_by: Callable[[date], Deadline]) -> Deadline:
    """As report_due_on, with the calendar it was worked out on (`chassis.calendar.due_by`): `provisional` when
    the year's official holiday schedule is not known yet."""
    return due_by(report_deadline_day(period, report_day))


def cn_date(value: str | None, fallback: date | None = None) -> date | None:
    """The Beijing calendar date of an RFC 3339 instant or an ISO date; the fallback when empty or unreadable."""
    if not value:
        return fallback
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return fallback
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(CN).date()
