"""settlement's event handlers: qualifications open and close a person's holdings (资格), idempotently.

A granted qualification adds a holding keyed by its qualification id (a redelivery adds nothing); a revoked one
closes it from `revoked_on` (claims dated on or after it no longer count it). The two arrive on different topics,
so a revocation may come first: it then records the holding already closed, and the later grant leaves it so.
A renewal (a re-review passed, 复审通过) moves the holding's `review_due` on and, when the re-review passed after the
old date, records the days between as a lapse (not covered); it too may arrive before the grant."""

from __future__ import annotations

from datetime import date

from chassis.errors import PoisonMessage
from chassis.events import Event
from chassis.host import ServiceContext
from services.settlement.chronic.domain.holdings import add_holding, close_holding, renew_holding
from services.settlement.chronic.domain.records import holding_doc
from services.settlement.chronic.service.settler import Settler


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
        _valid_day(q.review_due, "qualification.granted review_due", optional=True)
        holding = holding_doc(qid, disease, granted_on, q.benefit_start, None, source=event.id,
                              review_due=q.review_due, insutype=q.insutype)
        tenant = ctx.scope_for(event).tenant  # the event's tenant, served here (chassis/scope.py)
        await settler.change_holdings(tenant, {person_id: add_holding(holding)}, f"event {event.id}")

    return handle


def on_qualification_revoked(ctx: ServiceContext, settler: Settler):
    async def handle(event: Event) -> None:
        q = event.payload.qualification
        person_id, qid, disease, granted_on = _checked(q, "qualification.revoked")
        revoked_on = event.payload.revoked_on or event.occurred_at.date().isoformat()
        try:
            date.fromisoformat(revoked_on)
        except ValueError as exc:
            raise PoisonMessage(f"qualification.revoked has no valid revoked_on: {revoked_on!r}") from exc
        holding = holding_doc(qid, disease, granted_on, q.benefit_start, None, source=event.id,
                              review_due=q.review_due, insutype=q.insutype)
        tenant = ctx.scope_for(event).tenant  # the event's tenant, served here (chassis/scope.py)
        await settler.change_holdings(tenant, {person_id: close_holding(holding, revoked_on)},
                                      f"event {event.id}")

    return handle


def _valid_day(value: str, what: str, optional: bool = False) -> None:
    if optional and not value:
        return
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise PoisonMessage(f"{what} is not a valid date: {value!r}") from exc


def on_qualification_renewed(ctx: ServiceContext, settler: Settler):
    """qualification.renewed: benefits continue from `renewed_on` until the new review_due."""

    async def handle(event: Event) -> None:
        p = event.payload
        q = p.qualification
        person_id, qid, disease, granted_on = _checked(q, "qualification.renewed")
        _valid_day(q.review_due, "qualification.renewed review_due", optional=True)
        _valid_day(p.previous_review_due, "qualification.renewed previous_review_due", optional=True)
        _valid_day(p.renewed_on, "qualification.renewed renewed_on")
        holding = holding_doc(qid, disease, granted_on, q.benefit_start, None, source=event.id,
                              review_due=q.review_due, insutype=q.insutype)
        tenant = ctx.scope_for(event).tenant  # the event's tenant, served here (chassis/scope.py)
        await settler.change_holdings(tenant, {person_id: renew_holding(holding, p.previous_review_due,
                                                                               p.renewed_on)}, f"event {event.id}")

    return handle
