"""Transactional outbox without transactions (FerretDB 1.x has none): pending events ride inside
the changed document itself (`_outbox`, counted by `_outbox_pending`), written in the same atomic
single-document update; the relay publishes them and then removes exactly those it published."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from chassis.bus.port import Bus, BusMessage
from chassis.events import encode, topic_for
from chassis.metrics import EVENTS_RELAYED
from chassis.telemetry import context_from, tracer

log = logging.getLogger(__name__)


def with_events(doc: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """A new document that carries its pending events."""
    return {**doc, "_outbox": list(events), "_outbox_pending": len(events)}


def push_events(update: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Add pending events to an update document, so they are stored with the state change."""
    out = {k: dict(v) for k, v in update.items()}
    out.setdefault("$push", {})["_outbox"] = {"$each": list(events)}
    out.setdefault("$inc", {})["_outbox_pending"] = len(events)
    return out


class OutboxRelay:
    """Moves pending events from a service's documents to the bus, tenant by tenant."""

    def __init__(self, service: str, store: Any, bus: Bus, tenants: tuple[str, ...], collections: list[str],
                 topic_prefix: str = "", interval_s: float = 0.5) -> None:
        self._service, self._store, self._bus = service, store, bus
        self._tenants, self._collections = tenants, collections
        self._prefix, self._interval = topic_prefix, interval_s
        self._wake = asyncio.Event()
        self._stopping = False

    def kick(self) -> None:
        """Call after a write that staged events: publish now rather than at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                moved = await self.relay_once()
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                moved = 0
            if moved:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def relay_once(self, batch: int = 200) -> int:
        moved = 0
        for tenant in self._tenants:
            db = self._store.database(self._service, tenant)
            for name in self._collections:
                docs = await db[name].find({"_outbox_pending": {"$gt": 0}}, {"_outbox": 1}).to_list(batch)
                docs = [d for d in docs if d.get("_outbox")]
                if not docs:
                    continue
                # One acknowledged batch per pass; a crash before the removals republishes it, which
                # the consumers' dedupe by event id absorbs.
                await self._publish([ev for d in docs for ev in d["_outbox"]])
                for doc in docs:
                    # Remove exactly what was published; events pushed meanwhile stay pending.
                    await db[name].update_one(
                        {"_id": doc["_id"]},
                        {"$pullAll": {"_outbox": doc["_outbox"]}, "$inc": {"_outbox_pending": -len(doc["_outbox"])}},
                    )
                    moved += len(doc["_outbox"])
        return moved

    async def _publish(self, events: list[dict[str, Any]]) -> None:
        messages = []
        for ev in events:
            # The produce span continues the trace of the work that caused the event.
            token = otel_context.attach(context_from(ev.get("trace_context") or {}))
            try:
                topic = topic_for(ev["tenant"], ev["type"], self._prefix)
                with tracer().start_as_current_span(
                    f"{topic} publish", kind=trace.SpanKind.PRODUCER,
                    attributes={"messaging.system": "kafka", "messaging.destination.name": topic,
                                "messaging.message.id": ev["event_id"], "jingban.tenant": ev["tenant"]},
                ):
                    headers: dict[str, str] = {}
                    from opentelemetry import propagate

                    propagate.inject(headers)
                    headers["event-type"] = ev["type"]
                    messages.append(BusMessage(topic, ev["business_key"], encode(ev), headers))
            finally:
                otel_context.detach(token)
        await self._bus.ensure_topics(sorted({m.topic for m in messages}))
        await self._bus.publish(messages)
        for ev in events:
            EVENTS_RELAYED.labels(self._service, ev["type"]).inc()
