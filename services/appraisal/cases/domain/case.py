"""An appraisal case (鉴定案件): experts drawn at random (never chosen by a clerk), their opinions, the
conclusion, and the qualification it grants (资格) with its benefit start and re-review date."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from chassis.errors import Conflict, Forbidden, InvalidInput

# The conclusions a case of each kind can reach, in the order of the experts' majority (approve, refuse).
OUTCOMES = {"initial": ("approved", "rejected"), "review": ("continue", "revoke")}


def case_id_for(application_id: str, disease: str, several: bool) -> str:
    """One case per disease of an application. An application of one disease keeps the case id it always had (the
    application's id); one of several gets `<application id>.<disease>` per disease."""
    return f"{application_id}.{disease}" if several else application_id


def outcome_for(kind: str, recommended: str | None) -> str | None:
    """The experts' majority (approved / rejected) in the words of the case's kind."""
    if recommended is None:
        return None
    approve, refuse = OUTCOMES[kind]
    return approve if recommended == "approved" else refuse


def check_outcome_kind(kind: str, outcome: str) -> None:
    if outcome not in OUTCOMES[kind]:
        what = "a re-review (复审)" if kind == "review" else "a first appraisal"
        raise InvalidInput(f"{what} concludes with one of {list(OUTCOMES[kind])}, not {outcome!r}", "outcome",
                           code="outcome_of_other_kind")


def benefit_start(granted_on: date, start_rule: str) -> date:
    """First day of benefits: the month after the grant, or at once (tumour, transplant, dialysis)."""
    if start_rule == "immediate":
        return granted_on
    if granted_on.month == 12:
        return date(granted_on.year + 1, 1, 1)
    return date(granted_on.year, granted_on.month + 1, 1)


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (2025-01-31 + 1 → 2025-02-28)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def review_due(granted_on: date, review_months: int) -> date | None:
    """Next re-review (复审) date; None where the table sets no period."""
    return add_months(granted_on, review_months) if review_months > 0 else None


def eligible_experts(pool: Sequence[dict[str, Any]], specialty: str, treating_hospital: str,
                     already: Sequence[str]) -> list[dict[str, Any]]:
    """Same specialty, never from the applicant's treating hospital, not already on the case."""
    return sorted((e for e in pool if e["specialty"] == specialty and e.get("active", True)
                   and (not treating_hospital or e["hospital"] != treating_hospital)
                   and e["_id"] not in already), key=lambda e: e["_id"])


def draw(candidates: Sequence[dict[str, Any]], n: int, seed: str) -> list[str]:
    """A random draw reproducible from the recorded seed and candidate list (auditable, 防人情鉴定)."""
    ids = [c["_id"] for c in candidates]
    if len(ids) < n:
        raise Conflict(f"only {len(ids)} eligible expert(s) for this case; {n} needed", code="too_few_experts")
    return random.Random(seed).sample(ids, n)


def majority(opinions: Sequence[dict[str, Any]]) -> str | None:
    """approved / rejected when more than half agree; None on a tie."""
    votes = Counter("approved" if o["approve"] else "rejected" for o in opinions)
    for outcome, count in votes.items():
        if count * 2 > len(opinions):
            return outcome
    return None


def after_opinion(opinions: Sequence[dict[str, Any]], required: int) -> str:
    """What the case needs next: `wait` for opinions, `third` expert on disagreement, or `ready`."""
    if len(opinions) < required:
        return "wait"
    return "ready" if majority(opinions) else "third"


def check_opinion_allowed(status: str, expert_id: str, assigned: Sequence[str], opinions: Sequence[dict]) -> None:
    if status not in ("open", "ready"):
        raise Conflict(f"case is {status}; opinions are closed", code="opinions_closed")
    if expert_id not in assigned:
        raise Forbidden("only an expert drawn for this case may give an opinion on it", code="expert_not_drawn")
    if any(o.get("expert_id") == expert_id for o in opinions):
        raise Conflict(f"expert {expert_id} has already given an opinion on this case", code="opinion_already_given")


def check_conclusion_allowed(status: str, opinions: Sequence[dict[str, Any]], concluder: str, outcome: str,
                             required: int, kind: str = "initial") -> None:
    if status == "concluded":
        raise Conflict("case is concluded; it cannot be concluded again", code="case_concluded")
    if status != "ready" or len(opinions) < required:
        tie = " and a tie: a third expert is drawn" if status == "open" and opinions else ""
        raise Conflict(f"a conclusion needs {required} expert opinions with a majority; the case has "
                       f"{len(opinions)}{tie}", code="opinions_missing")
    if any(o.get("expert_id") == concluder for o in opinions):
        raise Forbidden("an expert who gave an opinion cannot conclude the same case", code="concluder_gave_opinion")
    recommended = outcome_for(kind, majority(opinions))
    if outcome != recommended:
        raise Conflict(f"the conclusion must follow the experts' majority ({recommended})",
                       code="conclusion_against_experts")
