"""The credit room's event door: the facts its rules count — review_hit.decided (a confirmed hit), inspection.reported
(each finding), record_sample.completed (problem records), case.closed (a lead's case's findings) — and
institution.changed (who a year's evaluation covers). Idempotent by event id twice over: the consumer records the ids
it applied, and each fact is keyed by what the event names (the hit, the inspection's finding, the sample, the case's
finding), so a redelivery changes nothing. Events of tenants outside fund supervision are ignored (review hits are
decided in every program); a malformed one is poison, parked with its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.events import Event
from chassis.host import ServiceContext
from services.audit.credit import service

Handler = Callable[[Event], Awaitable[None]]
EVENTS = ("review_hit.decided", "inspection.reported", "record_sample.completed", "case.closed",
          "institution.changed")


def handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """event type → handler."""
    async def on_hit(event: Event) -> None:
        await service.note_hit(ctx.scope_for(event).db(), event.payload, event.id, event.occurred_at.isoformat())

    async def on_inspection(event: Event) -> None:
        await service.note_inspection(ctx.scope_for(event).db(), event.payload, event.id)

    async def on_sample(event: Event) -> None:
        await service.note_sample(ctx.scope_for(event).db(), event.payload, event.id, event.occurred_at.isoformat())

    async def on_case(event: Event) -> None:
        await service.note_case(ctx.scope_for(event).db(), event.payload, event.id)

    async def on_institution(event: Event) -> None:
        await service.note_institution(ctx.scope_for(event).db(), event.payload)

    return dict(zip(EVENTS, (on_hit, on_inspection, on_sample, on_case, on_institution), strict=True))


def record_batch(ctx: ServiceContext) -> Callable[[str, list[Event]], Awaitable[None]]:
    """One tenant's new events of a poll batch (audit's batch handler, after the trail recorded them): the facts, in
    arrival order; nothing for a tenant outside fund supervision."""
    by_type = handlers(ctx)

    async def handle(tenant: str, events: list[Event]) -> None:
        if not service.supervised(tenant):
            return
        for event in events:
            handler = by_type.get(event.type)
            if handler is not None:
                await handler(event)

    return handle
