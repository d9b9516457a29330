"""archive's event handlers: file every application, document and decision in the person's file."""

from __future__ import annotations

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.archive.person_files import service


def file_event(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        await service.file_event(ctx.scope_for(event).db(), event)

    return handle
