"""audit's event handler: every event of every tenant goes into that tenant's trail, then into the read
model that sampling, warnings and reports are computed from."""

from __future__ import annotations

import hashlib

from chassis.events import Event
from chassis.host import ServiceContext
from services.audit.domain.readmodel import project
from services.audit.store import AuditStore


def record(ctx: ServiceContext):
    async def handle(event: Event) -> None:
        env = event.envelope
        store = AuditStore(ctx.db(event.tenant))
        # The trail keeps whatever arrived, first; a payload the read model cannot use (a malformed amount)
        # is then dead-lettered with the reason. Both steps are idempotent when a retry runs them again.
        await store.append({
            "event_id": env.event_id, "type": env.type, "tenant": env.tenant, "business_key": env.business_key,
            "occurred_at": event.occurred_at.isoformat(), "source": env.source, "causation_id": env.causation_id,
            "payload_sha256": hashlib.sha256(env.payload).hexdigest(),
            "trace_id": env.trace_context.get("traceparent", "").split("-")[1] if env.trace_context.get(
                "traceparent") else "",
        })
        await store.apply(project(event))

    return handle
