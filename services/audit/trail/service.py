"""The trail's use cases: record a tenant's batch of events (trail first, then the read model), append one
record of audit's own (a dead-letter replay), read the trail and verify its chain."""

from __future__ import annotations

import hashlib
from typing import Any

from chassis.errors import PoisonMessage
from chassis.events import Event
from services.audit.readmodel import service as readmodel
from services.audit.readmodel.domain.readmodel import Upsert
from services.audit.trail.domain.trail import Verification, verify
from services.audit.trail.store import ConcurrentAppend, TrailStore

__all__ = ["ConcurrentAppend", "append", "ensure_indexes", "entries", "record_batch", "trail_fields",
           "verify_chain"]


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


async def ensure_indexes(db: Any) -> None:
    """On start: the trail's indexes, and its head healed (built, or walked on past a crash)."""
    store = TrailStore(db)
    await store.ensure_indexes()
    await store.heal_head()


async def record_batch(db: Any, events: list[Event]) -> None:
    """One tenant's new events of a poll batch: one append to the trail, then the read model's writes.

    The trail keeps whatever arrived, first — also an event the read model cannot use, as before. Then, if any
    event cannot be projected, PoisonMessage: the consumer runs the batch again one event at a time, so the
    good ones are applied (their trail entries are skipped as already there) and only that one is parked with
    its reason. Both steps are idempotent, so a redelivered batch changes nothing."""
    upserts: list[Upsert] = []
    refused: PoisonMessage | None = None
    for event in events:
        try:
            upserts += readmodel.projection(event)
        except PoisonMessage as exc:
            refused = refused or exc
    await TrailStore(db).append_many([trail_fields(e) for e in events])
    if refused is not None:
        raise refused
    await readmodel.fold(db, upserts)


async def append(db: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    """Append one record once; None when its event id is in the trail already. ConcurrentAppend when other writers
    kept taking the next positions."""
    return await TrailStore(db).append(fields)


async def entries(db: Any, after: int = 0, limit: int = 1000, business_key: str | None = None) -> list[dict[str, Any]]:
    return await TrailStore(db).entries(after, limit, business_key)


async def verify_chain(db: Any) -> Verification:
    """Recompute the hash chain from the first entry."""
    return verify(await TrailStore(db).all_entries())
