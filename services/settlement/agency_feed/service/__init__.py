"""The agency feed's use cases: an event becomes its pushes (stored pending, each with its msgid), the list of pushes,
and ops' retry of a failed one. The worker that sends them: worker.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import yaml

from agency.envelope import make_msgid
from agency.messages import AssessmentConclusion, ServiceRecord, Settlement, split_batch
from chassis.errors import Conflict, NotFound
from chassis.events import Event
from chassis.programs import PROGRAMS_DIR, load_program, program_of_tenant
from services.settlement.agency_feed.domain.pushes import (
    RETRYABLE,
    TRANSACTION_OF_EVENT,
    new_push,
    push_id,
    push_view,
    retried,
)
from services.settlement.agency_feed.store import AgencyPushStore

LTC_PROGRAM = "wz-ltc"
SUBSCRIBED = tuple(TRANSACTION_OF_EVENT)  # disability.concluded, care_services.recorded, care_statement.paid


@dataclass(frozen=True)
class Carrier:
    """The sender the agency's system knows: the lot's carrier code and name, its lot, the program's division."""

    tenant: str
    code: str
    name: str
    lot: str
    division: str


def runs_ltc(tenant: str) -> bool:
    program = program_of_tenant(tenant)
    return program is not None and program.code == LTC_PROGRAM


def serves(tenant: str) -> None:
    """Long-term care work exists only for the carriers of wz-ltc; elsewhere it is 404."""
    if not runs_ltc(tenant):
        raise NotFound("long-term care is not run by this tenant")


@cache
def _lot_letters() -> dict[str, str]:
    """tenant → lot letter (A–E), from programs/wz-ltc/lots.yaml."""
    lots = yaml.safe_load((PROGRAMS_DIR / LTC_PROGRAM / "lots.yaml").read_text(encoding="utf-8"))["lots"]
    return {str(v["tenant"]): str(letter) for letter, v in lots.items()}


def carrier(tenant: str) -> Carrier:
    program = load_program(LTC_PROGRAM)
    share = next((t for t in program.tenants if t.tenant == tenant), None)
    if share is None:
        raise NotFound(f"tenant {tenant} is not a carrier of {LTC_PROGRAM}")
    return Carrier(tenant, share.fixmedins_code, share.name, _lot_letters()[tenant], program.division)


def _now() -> datetime:
    return datetime.now(UTC)


def pushes_for(event: Event, sender: str, now: datetime) -> list[dict[str, Any]]:
    """The pushes an event makes (domain/pushes.py), each with the transaction's wire data and a msgid of `sender`."""
    p, t = event.payload, event.type
    txn = TRANSACTION_OF_EVENT[t]
    occurred = event.occurred_at.isoformat()
    if t == "disability.concluded":
        conclusion = AssessmentConclusion(
            assessment_id=p.assessment_id, application_id=p.application_id, person_id=p.person_id, grade=p.grade,
            grade_name=p.grade_name, adl_level=p.adl_level, cognition_level=p.cognition_level,
            perception_level=p.perception_level, eligible=p.eligible, scale_version=p.scale_version,
            concluded_at=p.concluded_at or occurred, recheck_due=p.recheck_due, round=p.round or 1,
            kind=p.kind or "initial", assessors=tuple(p.assessors), city_level=p.city_level,
            assessment_fee=p.assessment_fee)
        return [new_push(push_id(event.id), txn, t, event.id, conclusion.business_id, conclusion.to_wire(),
                         make_msgid(sender), now, records=0, persons=1, institution_id="", month="")]
    if t == "care_services.recorded":
        records = [ServiceRecord(r.record_id, r.person_id, r.caregiver_id, r.date, tuple(r.items), r.start, r.end,
                                 r.plan_id) for r in p.records]
        return [new_push(push_id(event.id, part.part), txn, t, event.id, part.business_id, part.to_wire(),
                         make_msgid(sender), now, institution_id=p.institution_id, month=p.month, part=part.part,
                         parts=part.parts, records=len(part.records),
                         persons=len({r.person_id for r in part.records}))
                for part in split_batch(p.batch_id, p.institution_id, p.month, records)]
    settlement = Settlement(statement_id=p.statement_id, institution_id=p.institution_id, month=p.month,
                            amount=p.amount, records=p.records, person_ids=tuple(p.person_ids),
                            paid_at=p.paid_at or occurred, benefits_version=p.benefits_version,
                            persons=p.persons or None)
    return [new_push(push_id(event.id), txn, t, event.id, settlement.business_id, settlement.to_wire(),
                     make_msgid(sender), now, institution_id=p.institution_id, month=p.month, records=p.records,
                     persons=p.persons or len(p.person_ids))]


async def record(db: Any, event: Event) -> int:
    """File the event's pushes (pending); the same event filed again adds nothing. Returns how many are new. A
    tenant outside wz-ltc has nothing to push (its events of these kinds are not the agency's), nor has a conclusion
    migrated from before the platform (kind `migrated`: it came from the agency's system, and LTC01 knows no such
    assessment type)."""
    if event.type not in TRANSACTION_OF_EVENT or not runs_ltc(event.tenant):
        return 0
    if event.type == "disability.concluded" and event.payload.kind == "migrated":
        return 0
    return await AgencyPushStore(db).add(pushes_for(event, carrier(event.tenant).code, _now()))


async def listed(db: Any, tenant: str, status: str | None, limit: int) -> dict[str, Any]:
    store = AgencyPushStore(db)
    return {"tenant": tenant, "counts": await store.counts(),
            "pushes": [push_view(p) for p in await store.listed(status, limit)]}


async def retry(db: Any, tenant: str, pid: str) -> dict[str, Any]:
    """Ops sends a failed push again (a refused one under a new msgid: the system would answer the old one alike)."""
    store = AgencyPushStore(db)
    push = await store.push(pid)
    if push is None:  # missing, or another tenant's: the same answer
        raise NotFound(f"agency push {pid} not found")
    if push["status"] not in RETRYABLE or not await store.change(
            pid, push["status"], retried(push, _now(), make_msgid(carrier(tenant).code))):
        raise Conflict(f"the push is {push['status']}: only a failed push can be retried",
                       code="agency_push_not_retryable")
    return push_view(await store.push(pid) or push)


async def ensure_indexes(db: Any) -> None:
    await AgencyPushStore(db).ensure_indexes()
