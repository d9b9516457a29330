"""Consultations and complaints (咨询与投诉): each has a working-day deadline and an overdue flag."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from chassis.calendar import add_working_days


class ComplaintIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=40)
    kind: Literal["consultation", "complaint"]
    subject: str = Field(min_length=1, max_length=200)
    detail: str = Field(default="", max_length=4000)
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")


class ResolutionIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=4000)


def due_on(kind: str, filed_on: date, consultation_days: int, complaint_days: int) -> date:
    return add_working_days(filed_on, consultation_days if kind == "consultation" else complaint_days)


def is_overdue(due: date, resolved_on: date | None, today: date) -> bool:
    """Overdue if answered after the deadline, or still open past it."""
    return (resolved_on or today) > due
