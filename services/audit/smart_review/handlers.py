"""Smart review's event door (智能审核): claim_lines.submitted — a part of an upload settlement accepted — is reviewed
against the tenant's history with the program's rule set, and answered with claim_review.completed (the holds).

Idempotent by event id twice over: the consumer records the ids it applied, and a part reviewed before (its
submission document, `<source>|<batch>|<part>`) is not reviewed again. A malformed event is poison, parked with its
reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.events import Event
from chassis.host import ServiceContext
from chassis.telemetry import current_carrier
from services.audit.smart_review import service

Handler = Callable[[Event], Awaitable[None]]


def on_claim_lines_submitted(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        scope = ctx.scope_for(event)
        await service.review_submission(scope.db(), scope.tenant, event.payload, event.id, current_carrier())

    return handle


def handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """event type → handler."""
    return {"claim_lines.submitted": on_claim_lines_submitted(ctx)}


def record_batch(ctx: ServiceContext) -> Callable[[str, list[Event]], Awaitable[None]]:
    """One tenant's new events of a poll batch (audit's consumer hands each batch to its batch handler, after the
    trail has recorded it): the submissions to review, in arrival order."""
    by_type = handlers(ctx)

    async def handle(tenant: str, events: list[Event]) -> None:
        for event in events:
            handler = by_type.get(event.type)
            if handler is not None:
                await handler(event)

    return handle
