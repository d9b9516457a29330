"""Re-review (复审): qualifications entering their notice window raise `qualification.review_due` once."""

from __future__ import annotations

from datetime import date, timedelta

from chassis.events import derived_event_id, new_event
from chassis.host import ServiceContext
from chassis.programs import load_program
from jingban.contracts.v1 import common_pb2, events_pb2
from services.appraisal.store import AppraisalStore


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

    from chassis.calendar import today_cn

    while True:
        for tenant in ctx.settings.tenants:
            try:
                await scan_reviews(ctx, tenant, today_cn())
            except Exception:  # one tenant's trouble must not stop the others
                import logging

                logging.getLogger(__name__).exception("review scan failed for %s", tenant)
        await asyncio.sleep(interval_s)
