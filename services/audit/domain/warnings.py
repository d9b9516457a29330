"""Anomaly warnings (预警): once an anomaly in fund operation is spotted, the written warning is due within
7 working days (RULES A); and the checks audit runs over its read model to spot one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from chassis.errors import InvalidInput
from chassis.money import from_fen, round_yuan
from services.audit.domain.periods import parse_period, previous_month
from services.audit.domain.sampling import parse_ratio

KIND_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
T = TypeVar("T")


class WarningIn(BaseModel):
    kind: str = Field(pattern=KIND_PATTERN, description="e.g. spending_growth, abnormal_claims, fund_shortfall")
    description: str = Field(min_length=1, max_length=4000)
    detected_on: date | None = Field(default=None, description="when the anomaly was spotted; today when absent")


class WarningReportIn(BaseModel):
    report: str = Field(min_length=1, max_length=20000, description="the written warning (书面预警) as sent")
    sent_to: str = Field(default="", max_length=200)


class SpendingCheckIn(BaseModel):
    month: str = Field(description="YYYY-MM, compared with the month before")
    threshold: str = Field(default="0.30", description="growth above this share raises a warning; decimal string")
    detected_on: date | None = Field(default=None, description="the warning's detection date; today when absent")


class FindingIn(BaseModel):
    kind: str = Field(pattern=KIND_PATTERN, description="e.g. desk_review, on_site, callback_unconfirmed")
    person_id: str = Field(pattern=r"^\d{17}[\dX]$", description="resident ID number of the person concerned")
    description: str = Field(min_length=1, max_length=4000)
    amount: str = Field(default="0.00", description="fund loss involved, decimal yuan string")
    plan_id: str | None = Field(default=None, max_length=64)
    carrier_caused: bool = Field(default=False, description="the loss was caused by the carrier (lax review, "
                                 "favouritism …) and is the carrier's in full (承办方全额承担); amount is then "
                                 "required")
    carrier_reason: str | None = Field(default=None, max_length=40, description="with carrier_caused: lax_review, "
                                       "favouritism, weak_supervision, poor_performance or irregular_operation")
    fund_year: int | None = Field(default=None, ge=2000, le=2100, description="with carrier_caused: the fund year "
                                  "whose benefits carried the loss (default the year raised)")


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
