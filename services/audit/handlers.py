"""audit's event handling: every event of every tenant goes into that tenant's trail, then into the read
model that sampling, warnings and reports are computed from — a poll batch at a time (the consumer hands audit
each tenant's new events of a batch at once)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from chassis.errors import JingbanError, PoisonMessage
from chassis.events import Event
from chassis.host import ServiceContext
from services.audit.domain.readmodel import Upsert, project
from services.audit.store import AuditStore

BatchHandler = Callable[[str, list[Event]], Awaitable[None]]


def trail_fields(event: Event) -> dict[str, Any]:
    """What the trail keeps of an event: its envelope and a digest of its payload."""
    env = event.envelope
    traceparent = env.trace_context.get("traceparent", "")
    return {
        "event_id": env.event_id, "type": env.type, "tenant": env.tenant, "business_key": env.business_key,
        "occurred_at": event.occurred_at.isoformat(), "source": env.source, "causation_id": env.causation_id,
        "payload_sha256": hashlib.sha256(env.payload).hexdigest(),
        "trace_id": traceparent.split("-")[1] if traceparent else "",
    }


def projection(event: Event) -> list[Upsert]:
    """The event's read-model writes; PoisonMessage when it can never be projected (a malformed amount, no id).

    Projecting is pure, so any other failure here is this event's for good, not the store's: it is parked too,
    its reason naming only the kind of failure (a message could quote personal data)."""
    try:
        return project(event)
    except PoisonMessage:
        raise
    except JingbanError as exc:
        raise PoisonMessage(f"{event.type}: {exc.message}") from exc
    except Exception as exc:
        raise PoisonMessage(f"{event.type} cannot be projected ({type(exc).__name__})") from exc


def record_batch(ctx: ServiceContext) -> BatchHandler:
    async def handle(tenant: str, events: list[Event]) -> None:
        """One tenant's new events of a poll batch: one append to the trail, then the read model's writes.

        The trail keeps whatever arrived, first — also an event the read model cannot use, as before. Then, if any
        event cannot be projected, PoisonMessage: the consumer runs the batch again one event at a time, so the
        good ones are applied (their trail entries are skipped as already there) and only that one is parked with
        its reason. Both steps are idempotent, so a redelivered batch changes nothing."""
        upserts: list[Upsert] = []
        refused: PoisonMessage | None = None
        for event in events:
            try:
                upserts += projection(event)
            except PoisonMessage as exc:
                refused = refused or exc
        await AuditStore(ctx.db(tenant)).append_many([trail_fields(e) for e in events])
        if refused is not None:
            raise refused
        await AuditStore(ctx.db(tenant)).apply(upserts)

    return handle


def record(ctx: ServiceContext) -> Callable[[Event], Awaitable[None]]:
    """One event as audit's consumer records it (a batch of one): for tools and tests that hand over one event."""
    handle_batch = record_batch(ctx)

    async def handle(event: Event) -> None:
        await handle_batch(event.tenant, [event])

    return handle
