"""Periodic eligibility re-checks (待遇资格审查): every eligible conclusion carries its re-check date
(`ltc.recheck_months` after it). The worklist lists the persons whose current conclusion falls due; a clerk opens the
re-check, a new assessment drawn like any other (kind `recheck`, the next round); and when a date comes with nothing
opened, `disability.recheck_due` is raised once — a periodic sweep, as re-reviews raise `qualification.review_due`."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import NotFound
from chassis.events import derived_event_id, new_event
from chassis.host import ServiceContext
from contracts.v1 import events_pb2
from services.appraisal.disability.domain.assessment import check_recheckable, recheck_row, view
from services.appraisal.disability.service.assessments import open_following
from services.appraisal.disability.service.common import SERVICE, runs, serves
from services.appraisal.disability.store import DisabilityStore

log = logging.getLogger(__name__)
RECHECK_DUE = "disability.recheck_due"


async def due(db: Any, due_by: date, today: date) -> list[dict[str, Any]]:
    """Eligible persons whose current conclusion's re-check falls due on or before `due_by` (overdue ones
    included), soonest first; a re-check already opened shows its assessment id."""
    store = DisabilityStore(db)
    found = await store.eligible_due(due_by.isoformat())
    followers = await store.statuses([a["next_assessment_id"] for a in found if a.get("next_assessment_id")])
    # A conclusion replaced by a later one (its re-check or an objection's re-assessment concluded) is not current.
    return [recheck_row(a, today, followers.get(a.get("next_assessment_id") or "")) for a in found
            if followers.get(a.get("next_assessment_id") or "") != "concluded"]


async def open_recheck(db: Any, tenant: str, person_id: str, by: str) -> dict[str, Any]:
    """A clerk opens the person's re-check on their current conclusion: 404 without a conclusion, 409
    `assessment_open` while another assessment is under way, 409 `recheck_not_eligible` for a conclusion that does
    not make them eligible."""
    serves(tenant)
    store = DisabilityStore(db)
    assessments = await store.of_person(person_id)
    concluded = [a for a in assessments if a["status"] == "concluded"]
    if not concluded:
        raise NotFound("the person has no concluded assessment")
    current = max(concluded, key=lambda a: a["conclusion"]["concluded_at"])
    check_recheckable(current, [a for a in assessments if a["status"] != "concluded"])
    recheck = await open_following(store, current, "recheck", tenant, by, [])
    await store.link_next(current["_id"], recheck["_id"])
    return view(recheck)


async def scan_rechecks(db: Any, tenant: str, on: date) -> int:
    """Raise `disability.recheck_due` once for every eligible conclusion due by `on` that nothing followed."""
    store = DisabilityStore(db)
    raised = 0
    for a in await store.recheck_not_raised(on.isoformat()):
        due_on = a["conclusion"]["recheck_due"]
        event = new_event(RECHECK_DUE, tenant, a["person_id"], events_pb2.DisabilityRecheckDue(
            person_id=a["person_id"], assessment_id=a["_id"], due_on=due_on), source=SERVICE,
            trace_context=a.get("trace_context") or {}, event_id=derived_event_id(a["_id"], RECHECK_DUE, due_on))
        if await store.mark_recheck_raised(a["_id"], [event]):
            raised += 1
    return raised


async def recheck_loop(ctx: ServiceContext, interval_s: float = 3600) -> None:
    """Daily enough: each long-term care tenant scanned every hour."""
    while True:
        for tenant in ctx.settings.tenants:
            if not runs(tenant):
                continue
            try:
                if await scan_rechecks(ctx.db(tenant), tenant, today_cn()):
                    ctx.relay.kick()
            except Exception:  # one tenant's trouble must not stop the others
                log.exception("re-check scan failed for %s", tenant)
        await asyncio.sleep(interval_s)
