"""intake's event handlers: what appraisal decides shows on the applicant's timeline and reaches them
as a notification (结果送达); the experts drawn for an application's cases may open its documents.

An application may list several diseases, each appraised in its own case: every event carries its disease, kept
per disease in `disease_status` (the application's own status sums them up when read)."""

from __future__ import annotations

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.intake.applications import service
from services.intake.applications.domain.outcomes import APPRAISAL_EVENTS

__all__ = ["APPRAISAL_EVENTS", "on_appraisal_event"]


def on_appraisal_event(ctx: ServiceContext, notifier: service.Notifier) -> Handler:
    async def handle(event: Event) -> None:
        await service.note_appraisal_event(ctx.scope_for(event).db(), notifier, event)

    return handle
