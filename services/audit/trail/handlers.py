"""audit's event handling: every event of every tenant (but audit's own anchors, service.NOT_TRAILED) goes into that
tenant's trail, sealed with the tenant's trail key, then into the read model that sampling, warnings and reports
are computed from — a poll batch at a time (the consumer hands audit each tenant's new events of a batch at once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.events import Event
from chassis.host import ServiceContext
from services.audit.trail import service

BatchHandler = Callable[[str, list[Event]], Awaitable[None]]


def record_batch(ctx: ServiceContext) -> BatchHandler:
    async def handle(tenant: str, events: list[Event]) -> None:
        """One tenant's new events of a poll batch (all of that tenant: the consumer checked it), recorded by
        service.record_batch in the tenant's database."""
        if not events:
            return
        scope = ctx.scope_for(events[0])
        await service.record_batch(scope.db(), ctx.keys, scope.tenant, events)

    return handle


def record(ctx: ServiceContext) -> Callable[[Event], Awaitable[None]]:
    """One event as audit's consumer records it (a batch of one): for tools and tests that hand over one event."""
    handle_batch = record_batch(ctx)

    async def handle(event: Event) -> None:
        await handle_batch(event.tenant, [event])

    return handle
