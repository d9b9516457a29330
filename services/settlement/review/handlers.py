"""Smart review's event door on settlement's side (智能审核): audit's claim_review.completed (a part of an upload
reviewed: the lines its hits hold) and review_hit.decided (a reviewer's confirm → 拒付, or dismiss), each idempotent
by what it names (service.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chassis.events import Event
from chassis.host import ServiceContext
from services.settlement.review import service

Handler = Callable[[Event], Awaitable[None]]


def on_claim_review_completed(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        await service.review_completed(ctx.scope_for(event).db(), event.payload)

    return handle


def on_review_hit_decided(ctx: ServiceContext) -> Handler:
    async def handle(event: Event) -> None:
        await service.hit_decided(ctx.scope_for(event).db(), event.payload)

    return handle
