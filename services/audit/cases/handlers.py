"""Leads and cases' event door: complaint.filed of kind tip (群众举报) → a lead, inspection.reported → the inspection a
case may be opened from. Idempotent by event id twice over: the consumer records the ids it applied, and each write
here is keyed by what the event names (the complaint, the inspection), so a redelivery changes nothing. An event of a
tenant outside fund supervision is ignored; a malformed one is poison, parked with its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.events import Event
from chassis.host import ServiceContext
from services.audit.cases import service

Handler = Callable[[Event], Awaitable[None]]
TIP_EVENT = "complaint.filed"
INSPECTION_EVENT = "inspection.reported"


def handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """event type → handler."""
    async def on_complaint(event: Event) -> None:
        if service.supervised(event.tenant):
            await service.note_tip(ctx.scope_for(event).db(), event.payload, event.id,
                                   event.occurred_at.isoformat())

    async def on_inspection(event: Event) -> None:
        if service.supervised(event.tenant):
            await service.note_inspection(ctx.scope_for(event).db(), event.payload, event.id)

    return {TIP_EVENT: on_complaint, INSPECTION_EVENT: on_inspection}


def record_batch(ctx: ServiceContext) -> Callable[[str, list[Event]], Awaitable[None]]:
    """One tenant's new events of a poll batch (audit's batch handler, after the trail recorded them): those this
    room keeps, in arrival order."""
    by_type = handlers(ctx)

    async def handle(tenant: str, events: list[Event]) -> None:
        if not service.supervised(tenant):
            return
        for event in events:
            handler = by_type.get(event.type)
            if handler is not None:
                await handler(event)

    return handle
