"""Supervision's event door: the populations its quotas count, kept from the events of the long-term care tenants —
care_services.recorded (every accepted service record: the quarter's sampling population, a compact index per
upload and quarter), disability.concluded (the year's disabled persons: the status-survey population) and
institution.changed (the designated care institutions: the quarter's on-site population).

Idempotent by event id twice over: the consumer records the ids it applied, and each write here is keyed by what the
event names (the upload and quarter, the assessment, the institution's change by event id), so a redelivery after a
crash changes nothing. An event of a tenant outside the program is ignored (it has no supervision here); a malformed
one is poison, parked with its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.errors import NotFound
from chassis.events import Event
from chassis.host import ServiceContext
from services.audit.patrols import service

Handler = Callable[[Event], Awaitable[None]]


def _ltc(event: Event) -> bool:
    try:
        service.serves(event.tenant)
    except NotFound:
        return False
    return True


def on_care_services_recorded(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        if _ltc(event):
            await service.index_services(ctx.scope_for(event).db(), event.payload, event.id)

    return handle


def on_disability_concluded(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        if _ltc(event):
            await service.note_conclusion(ctx.scope_for(event).db(), event.payload, event.id)

    return handle


def on_institution_changed(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        if _ltc(event):
            await service.note_institution(ctx.scope_for(event).db(), event.payload, event.id,
                                           event.occurred_at.isoformat())

    return handle


def handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """event type → handler."""
    return {"care_services.recorded": on_care_services_recorded(ctx),
            "disability.concluded": on_disability_concluded(ctx),
            "institution.changed": on_institution_changed(ctx)}


def record_batch(ctx: ServiceContext) -> Callable[[str, list[Event]], Awaitable[None]]:
    """One tenant's new events of a poll batch (audit's consumer hands each batch to its batch handler, after the
    trail has recorded it): those this room keeps populations from, in arrival order."""
    by_type = handlers(ctx)

    async def handle(tenant: str, events: list[Event]) -> None:
        for event in events:
            handler = by_type.get(event.type)
            if handler is not None:
                await handler(event)

    return handle
