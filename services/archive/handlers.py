"""archive's event handlers: file every application, document and decision in the person's file."""

from __future__ import annotations

from chassis.events import Event
from chassis.host import ServiceContext
from services.archive.domain.person_file import entries_for
from services.archive.store import ArchiveStore


def file_event(ctx: ServiceContext):
    async def handle(event: Event) -> None:
        await ArchiveStore(ctx.db(event.tenant)).file(entries_for(event))

    return handle
