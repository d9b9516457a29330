"""The monthly settlement deadline (月结清算时限): a month's institution statements are to be settled — closed,
reconciled with the provincial platform and paid — within `settlement.monthly_deadline_working_days` working days
after the month's last day (programs/<code>/program.yaml). Hanzhong's tender defers the number to the agency's
benefit list ("按照医保部门基金支付待遇清单规定的月结清算时限要求及时、足额结算和支付"), which is not in the seeds:
the programs ship a clearly labelled SAMPLE figure. A program without the setting has no deadline (None).

Pure: the working-day calendar is passed in (chassis.calendar.working_days_after by default), so chronic and
critical-illness statements share one rule:

    deadline = settlement_deadline(program, "2026-12")          # Deadline | None (due, provisional, calendar)
    statement_deadline_fields(deadline, paid_on, today)         # {"settlement_deadline", "overdue", "deadline"}
"""

from __future__ import annotations

import calendar as months
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.calendar import Deadline, working_days_after
from chassis.errors import InvalidInput
from chassis.programs import Program

SETTING = "monthly_deadline_working_days"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class SettlementRule:
    """How many working days after the month's end its statements must be settled, and where that is written."""

    working_days: int
    basis: str  # "programs/<code>/program.yaml settlement.monthly_deadline_working_days"


def settlement_rule(program: Program | None) -> SettlementRule | None:
    """The program's rule; None when it sets none. A setting that is not a whole number of working days from 1 to
    60 is refused, naming it."""
    if program is None:
        return None
    raw = program.setting("settlement", SETTING)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 60:
        raise InvalidInput(f"programs/{program.code}/program.yaml settlement.{SETTING} must be a whole number of "
                           f"working days between 1 and 60, not {raw!r}", f"settlement.{SETTING}")
    return SettlementRule(raw, f"programs/{program.code}/program.yaml settlement.{SETTING}")


def month_end(month: str) -> date:
    m = _MONTH.match(month or "")
    if not m:
        raise InvalidInput(f"month {month!r} is not YYYY-MM", "month")
    year, mon = int(m[1]), int(m[2])
    return date(year, mon, months.monthrange(year, mon)[1])


def settlement_deadline(program: Program | None, month: str,
                        working_days: Callable[[date, int], Deadline] = working_days_after) -> Deadline | None:
    """The day a month's statements must be settled by (月结清算时限), or None when the program sets no deadline.
    `provisional` when a day it depends on lies in a year whose official holiday schedule is not published yet."""
    rule = settlement_rule(program)
    if rule is None:
        return None
    return working_days(month_end(month), rule.working_days)


def statement_overdue(deadline: Deadline | None, paid_on: date | None, today: date) -> bool:
    """Paid after the deadline, or still unpaid past it. No deadline, never overdue."""
    if deadline is None:
        return False
    return (paid_on or today) > deadline.due


def statement_deadline_fields(deadline: Deadline | None, paid_on: date | None, today: date,
                              basis: str = "") -> dict[str, Any]:
    """What a statement view adds: `settlement_deadline` (ISO date or None), `overdue`, and `deadline` (the date's
    calendar: {due_on, provisional, calendar, basis})."""
    return {"settlement_deadline": deadline.due.isoformat() if deadline else None,
            "overdue": statement_overdue(deadline, paid_on, today),
            "deadline": {**deadline.as_json(), "basis": basis} if deadline else None}


def statement_clock(program: Program | None, month: str, paid_on: date | None, today: date,
                    working_days: Callable[[date, int], Deadline] = working_days_after) -> dict[str, Any]:
    """settlement_deadline + statement_deadline_fields in one: the fields a statement view (chronic or critical)
    shows for its month."""
    rule = settlement_rule(program)
    deadline = None if rule is None else working_days(month_end(month), rule.working_days)
    return statement_deadline_fields(deadline, paid_on, today, rule.basis if rule else "")
