"""The long-term care applications' event handlers: appraisal's disability assessment on the application's timeline
— `disability.assessment_opened` (the two assessors drawn, who may then open the application's documents) and
`disability.concluded` (the grade and whether it is covered). Idempotent: the consumer dedupes by event id, and the
application records each event once (its id is the marker)."""

from __future__ import annotations

from chassis.consumer import Handler
from chassis.events import Event
from chassis.host import ServiceContext
from services.intake.care_applications import service

__all__ = ["ASSESSMENT_EVENTS", "on_assessment_event"]

ASSESSMENT_EVENTS = service.ASSESSMENT_EVENTS


def on_assessment_event(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        await service.note_assessment_event(ctx.scope_for(event).db(), event)

    return handle
