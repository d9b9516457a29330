"""Benefit accounts (待遇累计): one per person, disease and benefit year, opened when a qualification
is granted. Amounts are integer fen."""

from __future__ import annotations

from datetime import date
from typing import Any


def account_id(qualification_id: str, year: int) -> str:
    return f"{qualification_id}:{year}"


def open_account(qualification: Any) -> dict[str, Any]:
    """The account for the year benefits start (年度享受: the benefit year is the calendar year)."""
    start = date.fromisoformat(qualification.benefit_start)
    return {
        "_id": account_id(qualification.qualification_id, start.year),
        "qualification_id": qualification.qualification_id, "person_id": qualification.person_id,
        "disease_code": qualification.disease_code, "year": start.year, "benefit_start": start.isoformat(),
        "paid_fen": 0,
    }
