"""archive's event door for the trail's anchors: every `trail.anchored` kept as received, in the tenant's
database (the event's tenant, checked by the consumer)."""

from __future__ import annotations

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.archive.trail_anchors import service

ANCHORED = "trail.anchored"


def keep_anchor(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        await service.keep(ctx.scope_for(event).db(), event)

    return handle
