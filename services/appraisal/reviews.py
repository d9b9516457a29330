"""Re-review (复审) of a qualification, as a flow:

1. notice: a qualification entering its notice window (`appraisal.review_notice_days` before `review_due`) raises
   `qualification.review_due` once per review date; intake tells the person;
2. the person files a re-review application with its documents (intake, `kind: review`); once complete, a `review`
   case opens here and experts are drawn as for a first appraisal;
3. the conclusion follows the experts: `continue` moves the qualification's `review_due` on and publishes
   `qualification.renewed` (settlement pays again from the conclusion day; the provincial filing is renewed: 2504
   of the old, 2503 of the new period); `revoke` revokes the qualification (`qualification.revoked`, 2504).

Past its `review_due` without a passed re-review a qualification pays nothing (settlement's `review_overdue`).

The qualification lives in the case that granted it; the re-review is its own case. A conclusion writes the
qualification's case first (with its events, recording which review case did it), then the review case: a retry
after a crash between the two finds the first write done and finishes the second."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict
from chassis.events import derived_event_id, new_event
from chassis.host import ServiceContext
from chassis.policies import PolicyReader
from chassis.programs import load_program
from contracts.v1 import common_pb2, events_pb2
from services.appraisal.domain.case import (
    ConclusionIn,
    check_conclusion_allowed,
    check_outcome_kind,
    renewed_review_due,
)
from services.appraisal.store import AppraisalStore

log = logging.getLogger(__name__)

# Stable rule code: a re-review concludes only on an active qualification.
RULE_REVIEW_NEEDS_ACTIVE = "review_requires_active_qualification"


async def scan_reviews(ctx: ServiceContext, tenant: str, on: date) -> int:
    store = AppraisalStore(ctx.db(tenant))
    raised = 0
    for case in await store.cases({"qualification.status": "active", "review_due": {"$gt": ""},
                                   "review_notified": {"$ne": True}}, 10000):
        notice = int(load_program(case["program"]).setting("appraisal", "review_notice_days", 30))
        due = date.fromisoformat(case["review_due"])
        if due - timedelta(days=notice) > on:
            continue
        q = case["qualification"]
        event = new_event("qualification.review_due", tenant, case["person_id"], events_pb2.QualificationReviewDue(
            qualification=common_pb2.Qualification(**q), due_on=case["review_due"]), source="appraisal",
            trace_context=case.get("trace_context") or {},
            event_id=derived_event_id(q["qualification_id"], "qualification.review_due", case["review_due"]))
        if await store.update_case(case["_id"], {"review_notified": {"$ne": True}},
                                   {"$set": {"review_notified": True}}, [event]):
            raised += 1
    if raised:
        ctx.relay.kick()
    return raised


async def review_loop(ctx: ServiceContext, interval_s: float = 3600) -> None:
    """Daily enough: scan each tenant every hour."""
    import asyncio

    while True:
        for tenant in ctx.settings.tenants:
            try:
                await scan_reviews(ctx, tenant, today_cn())
            except Exception:  # one tenant's trouble must not stop the others
                log.exception("review scan failed for %s", tenant)
        await asyncio.sleep(interval_s)


def _next_filing(case: dict[str, Any]) -> str:
    """A revoked qualification's filing: one standing at the platform is revoked there (2504); one never filed (or
    whose old filing a renewal already revoked) is cancelled; one already revoked or cancelled stays so."""
    status = case.get("filing_status", "")
    standing = bool((case.get("qualification") or {}).get("filing_serial")) and not case.get("filing_renew_revoked")
    if status in ("filed", "renewing", "pending", "failed", "rejected"):
        return "revoking" if standing else "cancelled"
    return status


async def revoke_qualification(store: AppraisalStore, qcase: dict[str, Any], tenant: str, reason: str, by: str,
                               review_case_id: str = "") -> bool:
    """Revoke (撤销) the qualification held in `qcase`, with its event, in one write; False when it is no longer
    active (changed meanwhile)."""
    today = today_cn()
    q = {**qcase["qualification"], "status": "revoked"}
    event = new_event("qualification.revoked", tenant, qcase["person_id"], events_pb2.QualificationRevoked(
        qualification=common_pb2.Qualification(**q), reason=reason, revoked_on=today.isoformat()),
        source="appraisal", trace_context=qcase.get("trace_context") or {})
    revocation = {"reason": reason, "revoked_on": today.isoformat(), "by": by,
                  **({"review_case_id": review_case_id} if review_case_id else {})}
    return await store.update_case(qcase["_id"], {"qualification.status": "active"}, {"$set": {
        "qualification": q, "revocation": revocation, "filing_status": _next_filing(qcase),
        "filing_next_at": datetime.now(UTC).isoformat()}}, [event])


def _applied_by(qcase: dict[str, Any], review_case_id: str) -> bool:
    """The qualification already carries this re-review's outcome (a retry after the first write)."""
    return (any(r.get("review_case_id") == review_case_id for r in qcase.get("renewals") or [])
            or (qcase.get("revocation") or {}).get("review_case_id") == review_case_id)


async def _renew(store: AppraisalStore, policies: PolicyReader, case: dict[str, Any], qcase: dict[str, Any],
                 tenant: str, today: date, by: str) -> bool:
    """A passed re-review: the qualification's next review date, the renewal recorded, the filing renewed."""
    q = qcase["qualification"]
    table = await policies.table(tenant, case["program"], today.isoformat())
    rule = next((d for d in table.diseases if d.code == q["disease_code"]), None)
    if rule is None:
        raise Conflict(f"disease {q['disease_code']} is not in policy table {table.version} in force on {today}: "
                       "its next re-review date cannot be set", "disease_code")
    previous = q.get("review_due") or ""
    renewal_from = str(load_program(case["program"]).setting("appraisal", "review_renewal_from", "due"))
    due = renewed_review_due(date.fromisoformat(previous) if previous else None, today, rule.review_months,
                             renewal_from)
    renewed = {**q, "review_due": due.isoformat() if due else ""}
    renewal = {"review_case_id": case["_id"], "application_id": case["application_id"],
               "previous_review_due": previous, "renewed_on": today.isoformat(), "review_due": renewed["review_due"],
               "by": by, "policy_version": table.version}
    event = new_event("qualification.renewed", tenant, case["person_id"], events_pb2.QualificationRenewed(
        qualification=common_pb2.Qualification(**renewed), previous_review_due=previous,
        renewed_on=today.isoformat(), review_case_id=case["_id"], application_id=case["application_id"]),
        source="appraisal", trace_context=case.get("trace_context") or {},
        event_id=derived_event_id(case["_id"], "qualification.renewed", q["qualification_id"]))
    changes: dict[str, Any] = {"qualification": renewed, "review_due": renewed["review_due"],
                               "review_notified": False}
    if qcase.get("filing_status") == "filed":
        # The provincial filing ends on the old review date: replaced by one for the new period (2504, then 2503).
        changes.update({"filing_status": "renewing", "filing_renew_revoked": False, "filing_attempts": 0,
                        "filing_period": {"begins": today.isoformat(), "ends": renewed["review_due"]},
                        "filing_next_at": datetime.now(UTC).isoformat()})
    return await store.update_case(
        qcase["_id"], {"qualification.status": "active", "renewals.review_case_id": {"$ne": case["_id"]}},
        {"$set": changes, "$push": {"renewals": renewal}}, [event])


async def conclude_review(store: AppraisalStore, policies: PolicyReader, case: dict[str, Any], body: ConclusionIn,
                          concluder: str, tenant: str, overdue: bool) -> dict[str, Any]:
    """Conclude a re-review case (continue | revoke, following the experts); the changes made to the case.
    A re-review of a qualification that is no longer active is refused, naming the rule; nothing is written."""
    check_outcome_kind("review", body.outcome)
    check_conclusion_allowed(case["status"], case.get("opinions", []), concluder, body.outcome,
                             case["opinions_required"], kind="review")
    qid = case.get("reviews_qualification_id", "")
    qcase = await store.case_of_qualification(qid)
    if qcase is None:
        raise Conflict(f"{RULE_REVIEW_NEEDS_ACTIVE}: qualification {qid} of this re-review is not held here",
                       "qualification_id")
    done = _applied_by(qcase, case["_id"])
    status = qcase["qualification"]["status"]
    if not done and status != "active":
        raise Conflict(f"{RULE_REVIEW_NEEDS_ACTIVE}: qualification {qid} is {status}; a re-review (复审) concludes "
                       "only on an active qualification — nothing was changed", "qualification_id")
    now, today = datetime.now(UTC), today_cn()
    if not done:
        if body.outcome == "continue":
            ok = await _renew(store, policies, case, qcase, tenant, today, concluder)
        else:
            ok = await revoke_qualification(store, qcase, tenant, f"re-review (复审): {body.reason}", concluder,
                                            review_case_id=case["_id"])
        if not ok:
            raise Conflict(f"qualification {qid} changed meanwhile; try again", "qualification_id")
    conclusion = {"outcome": body.outcome, "reason": body.reason, "concluded_by": concluder,
                  "concluded_at": now.isoformat(), "concluded_on": today.isoformat(), "overdue": overdue}
    concluded = events_pb2.AppraisalConcluded(
        case_id=case["_id"], application_id=case["application_id"], person_id=case["person_id"],
        disease_code=case["disease_code"], outcome=body.outcome, reason=body.reason,
        concluded_at=conclusion["concluded_at"], concluded_by=concluder, overdue=overdue, kind="review",
        qualification_id=qid,
        opinions=[common_pb2.ExpertOpinion(expert_id=o["expert_id"], approve=o["approve"], comment=o["comment"],
                                           given_at=o["given_at"]) for o in case.get("opinions", [])])
    event = new_event("appraisal.concluded", tenant, case["person_id"], concluded, source="appraisal",
                      trace_context=case.get("trace_context") or {})
    changes = {"status": "concluded", "conclusion": conclusion}
    if not await store.update_case(case["_id"], {"status": "ready"}, {"$set": changes}, [event]):
        raise Conflict("the case was concluded meanwhile")
    return changes
