"""The disability room's event door: an accepted application for disability assessment (care_application.accepted,
intake's screening passed) opens its first assessment and draws its pair."""

from __future__ import annotations

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.appraisal.disability.service.assessments import open_from_application


def on_care_application_accepted(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        if await open_from_application(ctx.scope_for(event).db(), event.tenant, event):
            ctx.relay.kick()

    return handle
