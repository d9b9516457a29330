"""The agency feed's event door: an assessment concluded (appraisal), care services recorded and a care statement
paid (settlement) become pushes to the agency's long-term care system."""

from __future__ import annotations

from collections.abc import Callable

from chassis.consumer import Handler, Subscription
from chassis.events import Event
from chassis.host import ServiceContext
from services.settlement.agency_feed import service


def subscriptions(ctx: ServiceContext, kick: Callable[[], None]) -> list[Subscription]:
    """disability.concluded → LTC01, care_services.recorded → LTC02 (a push per 500 records), care_statement.paid →
    LTC03; the worker is woken when there is something new to send."""

    def on_event() -> Handler:
        async def handle(event: Event) -> None:
            if await service.record(ctx.scope_for(event).db(), event):
                kick()

        return handle

    return [Subscription(event_type, on_event()) for event_type in service.SUBSCRIBED]
