"""Fund supervision's event door: the institutions it inspects, kept from the registry's institution.changed (kind,
level, agreement terms, suspensions, termination) for the tenants of the fund-supervision program; every other
tenant's event is ignored here (it has no fund supervision). Idempotent twice over: the consumer records the event ids
it applied, and the store keeps an institution only at a newer registry version, so a redelivery changes nothing. A
malformed event is poison, parked with its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.events import Event
from chassis.host import ServiceContext
from services.audit.inspections import service

Handler = Callable[[Event], Awaitable[None]]


def on_institution_changed(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        if service.served(event.tenant):
            await service.note_institution(ctx.scope_for(event).db(), event.payload, event.id,
                                           event.occurred_at.isoformat())

    return handle


def record_batch(ctx: ServiceContext) -> Callable[[str, list[Event]], Awaitable[None]]:
    """One tenant's new events of a poll batch (after the trail recorded them): the institutions, in arrival
    order."""
    handle = on_institution_changed(ctx)

    async def batch(tenant: str, events: list[Event]) -> None:
        if not service.served(tenant):
            return
        for event in events:
            if event.type == "institution.changed":
                await handle(event)

    return batch
