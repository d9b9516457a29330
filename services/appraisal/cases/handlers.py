"""The case room's event door: a complete application opens a case per disease and experts are drawn for each."""

from __future__ import annotations

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from chassis.policies import PolicyReader
from services.appraisal.cases.service.opening import open_cases


def on_application_completed(ctx: ServiceContext, policies: PolicyReader) -> Handler:
    async def handle(event: Event) -> None:
        if await open_cases(ctx, policies, ctx.scope_for(event).db(), event):
            ctx.relay.kick()

    return handle
