"""archive's handlers of access events: file every read of a person's data under the person."""

from __future__ import annotations

from chassis.access import ACCESS_EVENTS
from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.archive.accesses import service

# Every service's access events (chassis/access.py): intake, settlement and archive itself.
SUBSCRIBED = ACCESS_EVENTS


def file_access(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        await service.file_access(ctx.scope_for(event).db(), event)

    return handle
