"""settlement's event handlers: qualifications open and close a person's holdings (资格), idempotently.

A granted qualification adds a holding keyed by its qualification id (a redelivery adds nothing); a revoked one
closes it from `revoked_on` (claims dated on or after it no longer count it). The two arrive on different topics,
so a revocation may come first: it then records the holding already closed, and the later grant leaves it so."""

from __future__ import annotations

from datetime import date

from chassis.errors import PoisonMessage
from chassis.events import Event
from chassis.host import ServiceContext
from services.settlement.engine import Settler, person_lock
from services.settlement.records import holding_doc
from services.settlement.store import PERSONS, SettlementStore, new_person

MAX_ATTEMPTS = 20


def _checked(q: object, what: str) -> tuple[str, str, str, str]:
    person_id = getattr(q, "person_id", "")
    qid = getattr(q, "qualification_id", "")
    disease = getattr(q, "disease_code", "")
    granted_on = getattr(q, "granted_on", "")
    if not person_id or not qid or not disease:
        raise PoisonMessage(f"{what} lacks person_id, qualification_id or disease_code")
    try:
        date.fromisoformat(granted_on)
    except ValueError as exc:
        raise PoisonMessage(f"{what} has no valid granted_on: {granted_on!r}") from exc
    return person_id, qid, disease, granted_on


def on_qualification_granted(ctx: ServiceContext, settler: Settler):
    async def handle(event: Event) -> None:
        q = event.payload.qualification
        person_id, qid, disease, granted_on = _checked(q, "qualification.granted")
        holding = holding_doc(qid, disease, granted_on, q.benefit_start, None, source=event.id)
        async with settler.locks.hold(person_lock(event.tenant, person_id)):
            await SettlementStore(ctx.db(event.tenant)).add_holdings([(person_id, holding)])

    return handle


def on_qualification_revoked(ctx: ServiceContext, settler: Settler):
    async def handle(event: Event) -> None:
        q = event.payload.qualification
        async with settler.locks.hold(person_lock(event.tenant, q.person_id)):
            await revoke(ctx, event)

    return handle


async def revoke(ctx: ServiceContext, event: Event) -> None:
    q = event.payload.qualification
    person_id, qid, disease, granted_on = _checked(q, "qualification.revoked")
    revoked_on = event.payload.revoked_on or event.occurred_at.date().isoformat()
    try:
        date.fromisoformat(revoked_on)
    except ValueError as exc:
        raise PoisonMessage(f"qualification.revoked has no valid revoked_on: {revoked_on!r}") from exc
    store = SettlementStore(ctx.db(event.tenant))
    for _ in range(MAX_ATTEMPTS):
        doc = await store.person(person_id, {"holdings": 1, "version": 1})
        if doc is None:
            closed = holding_doc(qid, disease, granted_on, q.benefit_start, revoked_on, source=event.id)
            if not await store.insert_many_new(PERSONS, [new_person(person_id, [closed], version=1)]):
                return
            continue
        holdings = [dict(h) for h in doc.get("holdings") or []]
        mine = next((h for h in holdings if h["qualification_id"] == qid), None)
        if mine is None:
            holdings.append(holding_doc(qid, disease, granted_on, q.benefit_start, revoked_on, source=event.id))
        elif mine.get("revoked_on") and mine["revoked_on"] <= revoked_on:
            return  # already closed (redelivery)
        else:
            mine["revoked_on"] = revoked_on
        if await store.replace_holdings(person_id, doc.get("version", 0), holdings):
            return
    raise RuntimeError(f"person {person_id} kept changing while revoking {qid}; retrying")
