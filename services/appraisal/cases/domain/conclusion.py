"""How a case concludes (鉴定结论): the experts' opinions make the outcome (the reviewer follows their majority, see
case.py), the reasons it carries as codes, and — when a first appraisal approves — the qualification (资格) granted:
its benefit start and the date its re-review (复审) falls due, from the disease's rule in the policy table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from chassis.reasons import Reason, as_json
from services.appraisal.cases.domain.case import benefit_start, review_due
from services.appraisal.cases.domain.reasons import REASONS

# The reason code of each outcome: a first appraisal (approved | rejected), a re-review (continue | revoke).
OUTCOME_REASON = {"approved": "experts_approve", "rejected": "experts_refuse", "continue": "review_passed",
                  "revoke": "review_failed"}


def conclusion_reasons(outcome: str, opinions: Sequence[dict[str, Any]]) -> list[Reason]:
    """Why the case concluded `outcome`: the experts' count for and against, and whether they disagreed."""
    approve = sum(1 for o in opinions if o.get("approve"))
    refuse = len(opinions) - approve
    side = approve if outcome in ("approved", "continue") else refuse
    word = "approve" if outcome in ("approved", "continue") else "refuse"
    reasons = [REASONS.reason(OUTCOME_REASON[outcome], f"{side} of {len(opinions)} experts {word}",
                              approve=approve, refuse=refuse, opinions=len(opinions))]
    if approve and refuse:
        reasons.append(REASONS.reason("experts_split", f"{approve} approve, {refuse} refuse",
                                      approve=approve, refuse=refuse))
    return reasons


def conclusion_record(outcome: str, reason: str, by: str, now: datetime, today: date, overdue: bool,
                      opinions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The conclusion as the case keeps it: the reviewer's words (`reason`) and the codes beside them."""
    return {"outcome": outcome, "reason": reason, "concluded_by": by, "concluded_at": now.isoformat(),
            "concluded_on": today.isoformat(), "overdue": overdue,
            "reason_codes": as_json(conclusion_reasons(outcome, opinions))}


def with_reason_codes(conclusion: dict[str, Any] | None, opinions: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """A conclusion stored before its codes were: the codes worked out from its outcome and the opinions."""
    if not conclusion or "reason_codes" in conclusion or conclusion.get("outcome") not in OUTCOME_REASON:
        return conclusion
    return {**conclusion, "reason_codes": as_json(conclusion_reasons(conclusion["outcome"], opinions))}


def qualification_granted(case: dict[str, Any], qualification_id: str, granted_on: date, start_rule: str,
                          review_months: int, policy_version: str) -> dict[str, Any]:
    """The qualification an approved first appraisal grants: benefits from `benefit_start` (the month after, or at
    once for the table's immediate diseases), re-reviewed `review_months` later (none when the table sets 0)."""
    due = review_due(granted_on, review_months)
    return {
        "qualification_id": qualification_id, "person_id": case["person_id"],
        "disease_code": case["disease_code"], "application_id": case["application_id"],
        "case_id": case["_id"], "granted_on": granted_on.isoformat(),
        "benefit_start": benefit_start(granted_on, start_rule).isoformat(), "status": "active",
        "review_due": due.isoformat() if due else "", "filing_serial": "",
        "policy_version": policy_version, "insutype": case.get("insutype", ""),
    }


def concluded_payload(case: dict[str, Any], conclusion: dict[str, Any], kind: str,
                      qualification_id: str = "") -> dict[str, Any]:
    """The fields of `appraisal.concluded`: the outcome, the reviewer's reason and its codes, the experts' opinions."""
    return {
        "case_id": case["_id"], "application_id": case["application_id"], "person_id": case["person_id"],
        "disease_code": case["disease_code"], "outcome": conclusion["outcome"], "reason": conclusion["reason"],
        "concluded_at": conclusion["concluded_at"], "concluded_by": conclusion["concluded_by"],
        "overdue": conclusion["overdue"], "kind": kind, "qualification_id": qualification_id,
        "opinions": [{k: o[k] for k in ("expert_id", "approve", "comment", "given_at")}
                     for o in case.get("opinions", [])],
        "reason_codes": [dict(r) for r in conclusion.get("reason_codes") or []],
    }
