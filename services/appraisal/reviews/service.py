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

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, NotFound
from chassis.events import derived_event_id, new_event
from chassis.host import ServiceContext
from chassis.policies import PolicyReader
from chassis.programs import load_program
from contracts.v1 import common_pb2, events_pb2
from services.appraisal.cases.domain.case import check_conclusion_allowed, check_outcome_kind
from services.appraisal.cases.domain.conclusion import concluded_payload, conclusion_record
from services.appraisal.cases.domain.view import case_view
from services.appraisal.filing.domain.states import after_renewal, after_revocation
from services.appraisal.reviews.domain.renewal import (
    check_reviewable,
    notice_due,
    renewal,
    revocation_record,
    worklist_row,
)
from services.appraisal.reviews.store import ReviewStore

log = logging.getLogger(__name__)


async def reviews_due(db: Any, day: date, within_days: int) -> list[dict[str, Any]]:
    """The re-review worklist: active qualifications due within `within_days` of `day` (overdue ones included)."""
    horizon = (day + timedelta(days=within_days)).isoformat()
    return [worklist_row(c, day) for c in await ReviewStore(db).due_by(horizon)]


async def scan_reviews(db: Any, tenant: str, on: date) -> int:
    """Raise `qualification.review_due` once for every qualification entering its notice window on `on`."""
    store = ReviewStore(db)
    raised = 0
    for case in await store.not_notified():
        notice = int(load_program(case["program"]).setting("appraisal", "review_notice_days", 30))
        if not notice_due(date.fromisoformat(case["review_due"]), notice, on):
            continue
        q = case["qualification"]
        event = new_event("qualification.review_due", tenant, case["person_id"], events_pb2.QualificationReviewDue(
            qualification=common_pb2.Qualification(**q), due_on=case["review_due"]), source="appraisal",
            trace_context=case.get("trace_context") or {},
            event_id=derived_event_id(q["qualification_id"], "qualification.review_due", case["review_due"]))
        if await store.mark_notified(case["_id"], [event]):
            raised += 1
    return raised


async def review_loop(ctx: ServiceContext, interval_s: float = 3600) -> None:
    """Daily enough: scan each tenant every hour."""
    while True:
        for tenant in ctx.settings.tenants:
            try:
                if await scan_reviews(ctx.db(tenant), tenant, today_cn()):
                    ctx.relay.kick()
            except Exception:  # one tenant's trouble must not stop the others
                log.exception("review scan failed for %s", tenant)
        await asyncio.sleep(interval_s)


async def revoke(db: Any, tenant: str, qualification_id: str, reason: str, by: str) -> dict[str, Any]:
    """A clerk's or reviewer's revocation (撤销) of an active qualification; its case as answered."""
    store = ReviewStore(db)
    case = await store.case_of_qualification(qualification_id)
    if case is None:
        raise NotFound(f"qualification {qualification_id} not found")
    if case["qualification"]["status"] != "active":
        raise Conflict("the qualification is not active", code="qualification_not_active")
    # A filed qualification must also be revoked provincially; a pending filing is simply cancelled.
    if not await revoke_qualification(store, case, tenant, reason, by):
        raise Conflict("the qualification changed meanwhile", code="qualification_changed")
    return case_view(await store.case(case["_id"]) or case)


async def revoke_qualification(store: ReviewStore, qcase: dict[str, Any], tenant: str, reason: str, by: str,
                               review_case_id: str = "") -> bool:
    """Revoke (撤销) the qualification held in `qcase`, with its event, in one write; False when it is no longer
    active (changed meanwhile)."""
    today = today_cn()
    q = {**qcase["qualification"], "status": "revoked"}
    event = new_event("qualification.revoked", tenant, qcase["person_id"], events_pb2.QualificationRevoked(
        qualification=common_pb2.Qualification(**q), reason=reason, revoked_on=today.isoformat()),
        source="appraisal", trace_context=qcase.get("trace_context") or {})
    return await store.revoke(qcase["_id"], {
        "qualification": q, "revocation": revocation_record(reason, today, by, review_case_id),
        "filing_status": after_revocation(qcase), "filing_next_at": datetime.now(UTC).isoformat()}, [event])


async def _renew(store: ReviewStore, policies: PolicyReader, case: dict[str, Any], qcase: dict[str, Any],
                 tenant: str, today: date, by: str) -> bool:
    """A passed re-review: the qualification's next review date, the renewal recorded, the filing renewed."""
    q = qcase["qualification"]
    table = await policies.table(tenant, case["program"], today.isoformat())
    rule = next((d for d in table.diseases if d.code == q["disease_code"]), None)
    if rule is None:
        raise Conflict(f"disease {q['disease_code']} is not in policy table {table.version} in force on {today}: "
                       "its next re-review date cannot be set", "disease_code")
    renewal_from = str(load_program(case["program"]).setting("appraisal", "review_renewal_from", "due"))
    renewed, record = renewal(q, case, today, rule.review_months, renewal_from, table.version, by)
    event = new_event("qualification.renewed", tenant, case["person_id"], events_pb2.QualificationRenewed(
        qualification=common_pb2.Qualification(**renewed), previous_review_due=record["previous_review_due"],
        renewed_on=today.isoformat(), review_case_id=case["_id"], application_id=case["application_id"]),
        source="appraisal", trace_context=case.get("trace_context") or {},
        event_id=derived_event_id(case["_id"], "qualification.renewed", q["qualification_id"]))
    changes: dict[str, Any] = {"qualification": renewed, "review_due": renewed["review_due"],
                               "review_notified": False,
                               # The provincial filing ends on the old review date: replaced by one for the new period.
                               **after_renewal(qcase, today, renewed["review_due"], datetime.now(UTC))}
    return await store.renew(qcase["_id"], case["_id"], changes, record, [event])


async def conclude_review(db: Any, policies: PolicyReader, case: dict[str, Any], outcome: str, reason: str,
                          concluder: str, tenant: str, overdue: bool) -> dict[str, Any]:
    """Conclude a re-review case (continue | revoke, following the experts); the changes made to the case.
    A re-review of a qualification that is no longer active is refused, naming the rule; nothing is written."""
    store = ReviewStore(db)
    check_outcome_kind("review", outcome)
    check_conclusion_allowed(case["status"], case.get("opinions", []), concluder, outcome,
                             case["opinions_required"], kind="review")
    qid = case.get("reviews_qualification_id", "")
    qcase = await store.case_of_qualification(qid)
    done = check_reviewable(qid, qcase, case["_id"])
    assert qcase is not None
    now, today = datetime.now(UTC), today_cn()
    if not done:
        if outcome == "continue":
            ok = await _renew(store, policies, case, qcase, tenant, today, concluder)
        else:
            ok = await revoke_qualification(store, qcase, tenant, f"re-review (复审): {reason}", concluder,
                                            review_case_id=case["_id"])
        if not ok:
            raise Conflict(f"qualification {qid} changed meanwhile; try again", "qualification_id",
                           code="qualification_changed")
    conclusion = conclusion_record(outcome, reason, concluder, now, today, overdue, case.get("opinions", []))
    event = new_event("appraisal.concluded", tenant, case["person_id"],
                      events_pb2.AppraisalConcluded(**concluded_payload(case, conclusion, "review", qid)),
                      source="appraisal", trace_context=case.get("trace_context") or {})
    changes = {"status": "concluded", "conclusion": conclusion}
    if not await store.conclude(case["_id"], changes, [event]):
        raise Conflict("the case was concluded meanwhile", code="case_concluded")
    return changes
