"""An appraisal case (鉴定案件): opinions by experts, then a conclusion that may grant a qualification."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from chassis.errors import Conflict, Forbidden

# Benefits start at once for these (RULES A: malignant tumour outpatient treatment, organ-transplant
# anti-rejection therapy, dialysis); every other disease starts the month after the grant.
IMMEDIATE_START_DISEASES = frozenset({"MT", "OT", "DL"})


class OpinionIn(BaseModel):
    approve: bool
    comment: str = Field(default="", max_length=2000)


class ConclusionIn(BaseModel):
    outcome: Literal["approved", "rejected"]
    reason: str = Field(min_length=1, max_length=2000)


def benefit_start(granted_on: date, disease_code: str) -> date:
    """First day of benefits (待遇享受起始日)."""
    if disease_code in IMMEDIATE_START_DISEASES:
        return granted_on
    if granted_on.month == 12:
        return date(granted_on.year + 1, 1, 1)
    return date(granted_on.year, granted_on.month + 1, 1)


def check_opinion_allowed(status: str, expert_id: str, opinions: list[dict[str, object]]) -> None:
    if status != "open":
        raise Conflict(f"case is {status}; opinions are closed")
    if any(o.get("expert_id") == expert_id for o in opinions):
        raise Conflict(f"expert {expert_id} has already given an opinion on this case")


def check_conclusion_allowed(status: str, opinions: list[dict[str, object]], concluder: str,
                             min_opinions: int = 1) -> None:
    if status != "open":
        raise Conflict(f"case is {status}; it cannot be concluded again")
    if len(opinions) < min_opinions:
        raise Conflict(f"a conclusion needs at least {min_opinions} expert opinion(s); the case has {len(opinions)}")
    if any(o.get("expert_id") == concluder for o in opinions):
        # Whoever gave an opinion may not also sign the conclusion (no self-review).
        raise Forbidden("an expert who gave an opinion cannot conclude the same case")
