"""Anomaly warnings (预警): once an anomaly in fund operation is spotted, the written warning is due within
7 working days (RULES A); and the checks audit runs over its read model to spot one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from chassis.errors import InvalidInput
from chassis.money import from_fen, round_yuan
from services.audit.reports.domain.periods import cn_date, parse_period, previous_month
from services.audit.sampling.domain.sampling import parse_ratio

T = TypeVar("T")


def warning_due_on(detected_on: date, working_days: int, add_working_days: Callable[[date, int], T]) -> T:
    """`working_days` (7) working days after the anomaly was found; the calendar function decides the type (a date,
    or a chassis.calendar.Deadline that says whether it is provisional)."""
    return add_working_days(detected_on, working_days)


def check_detected_on(detected_on: date, today: date) -> None:
    if detected_on > today:
        raise InvalidInput("detected_on cannot be in the future", "detected_on")


@dataclass(frozen=True)
class SpendingGrowth:
    month: str
    previous_month: str
    current: Decimal
    previous: Decimal
    growth: Decimal | None  # None when there was nothing to compare with
    threshold: Decimal

    @property
    def triggered(self) -> bool:
        return self.growth is not None and self.growth > self.threshold


def spending_growth(benefits: Iterable[Mapping[str, Any]], month: str, threshold_text: str) -> SpendingGrowth:
    """Fund payments (payable) of a month against the month before."""
    parse_period(month, ("month",), field="month")
    threshold = parse_ratio(threshold_text, "threshold", maximum=Decimal(10))
    before = previous_month(month)
    totals = {month: 0, before: 0}
    for b in benefits:
        if b.get("month") in totals:
            totals[b["month"]] += int(b.get("payable_fen", 0))
    current, previous = from_fen(totals[month]), from_fen(totals[before])
    growth = None if previous == 0 else ((current - previous) / previous).quantize(Decimal("0.0001"))
    return SpendingGrowth(month, before, round_yuan(current), round_yuan(previous), growth, threshold)


def warning_overdue(warning: Mapping[str, Any], as_of: date) -> bool:
    """Past its due date without a written report, or reported after it."""
    due = cn_date(warning.get("due_on"))
    if due is None:
        return False
    reported = cn_date(warning.get("reported_on"))
    return reported > due if reported is not None else as_of > due
