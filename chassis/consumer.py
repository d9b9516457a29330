"""Idempotent event consumers: dedupe by event id, commit only after the work is stored, retry with
backoff, and park poison messages on the tenant's dead-letter topic with the reason."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from pymongo.errors import DuplicateKeyError
from tenacity import AsyncRetrying, retry_if_not_exception_type, stop_after_attempt, wait_exponential

from chassis.bus.port import Bus, BusMessage
from chassis.errors import JingbanError, PoisonMessage
from chassis.events import Event, dead_letter_topic, decode, tenant_of_topic, topic_for
from chassis.identity import Identity, current_identity
from chassis.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from chassis.telemetry import context_from, tracer

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]

PROCESSED = "processed_events"


@dataclass(frozen=True)
class Subscription:
    event_type: str
    handler: Handler


class EventConsumer:
    """One consumer group per service, reading its subscribed topics of every tenant it serves."""

    def __init__(self, service: str, bus: Bus, store: Any, tenants: tuple[str, ...],
                 subscriptions: list[Subscription], topic_prefix: str = "", attempts: int = 5,
                 group: str | None = None) -> None:
        self._service, self._bus, self._store = service, bus, store
        self._tenants, self._prefix, self._attempts = tenants, topic_prefix, attempts
        self._handlers = {s.event_type: s.handler for s in subscriptions}
        self._group = group or f"{topic_prefix}jingban-{service}"
        self._stopping = False
        self._consumer: Any = None
        self.processed = 0
        self.dead_lettered = 0

    def topics(self) -> list[str]:
        return sorted(topic_for(t, et, self._prefix) for t in self._tenants for et in self._handlers)

    async def run(self) -> None:
        topics = self.topics()
        if not topics:
            return
        await self._bus.ensure_topics(topics)
        consumer = self._consumer = self._bus.consumer(self._group, topics)
        try:
            while not self._stopping:
                try:
                    batch = await consumer.poll(0.5)
                except Exception:
                    log.exception("poll failed; backing off")
                    await asyncio.sleep(1)
                    continue
                for message in batch:
                    await self.process(message)
                # Only after the work (or the parking) of the whole batch is stored; a crash before this
                # redelivers the batch and the dedupe by event id absorbs what was already applied.
                await consumer.commit(batch)
        finally:
            self._consumer = None
            await consumer.close()

    @property
    def joined(self) -> bool:
        """Ready to read: the group has assigned this service its partitions (readiness waits for it, so a
        service is not called ready while the events it must react to would sit unread)."""
        return not self._handlers or (self._consumer is not None and self._consumer.assigned())

    def stop(self) -> None:
        self._stopping = True

    async def process(self, message: BusMessage) -> None:
        topic_tenant = tenant_of_topic(message.topic, self._prefix)
        try:
            event = decode(message.value)
            if event.tenant != topic_tenant:
                raise PoisonMessage(f"envelope tenant {event.tenant!r} does not match topic tenant {topic_tenant!r}")
            handler = self._handlers.get(event.type)
            if handler is None:
                raise PoisonMessage(f"{event.type!r} arrived on {message.topic} which carries another type")
        except PoisonMessage as exc:
            await self._dead_letter(message, topic_tenant, str(exc))
            return

        processed = self._store.database(self._service, event.tenant)[PROCESSED]
        if await processed.find_one({"_id": event.id}, {"_id": 1}):
            return  # applied before: at-least-once delivery, exactly-once effect

        parent = context_from(message.headers)
        token = current_identity.set(Identity(event.tenant, "service", self._service))
        try:
            with tracer().start_as_current_span(
                f"{message.topic} process", context=parent, kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.system": "kafka", "messaging.destination.name": message.topic,
                            "messaging.message.id": event.id, "messaging.consumer.group.name": self._group,
                            "jingban.tenant": event.tenant, "jingban.service": self._service},
            ):
                try:
                    async for attempt in AsyncRetrying(
                        stop=stop_after_attempt(self._attempts), wait=wait_exponential(0.1, max=3),
                        retry=retry_if_not_exception_type((PoisonMessage, JingbanError)), reraise=True,
                    ):
                        with attempt:
                            await handler(event)
                except (PoisonMessage, JingbanError) as exc:
                    await self._dead_letter(message, event.tenant, f"{type(exc).__name__}: {exc}")
                    return
                except Exception as exc:
                    log.exception("handler failed after %d attempts", self._attempts)
                    await self._dead_letter(message, event.tenant, f"gave up after {self._attempts} attempts: {exc!r}")
                    return
        finally:
            current_identity.reset(token)
        try:
            await processed.insert_one({"_id": event.id, "type": event.type, "at": datetime.now(UTC)})
        except DuplicateKeyError:
            pass
        self.processed += 1
        EVENTS_CONSUMED.labels(self._service, event.tenant, event.type).inc()

    async def _dead_letter(self, message: BusMessage, tenant: str, reason: str) -> None:
        topic = dead_letter_topic(tenant, self._service, self._prefix)
        log.warning("dead-lettering message from %s at offset %s: %s", message.topic, message.offset, reason,
                    extra={"tenant": tenant})
        headers = {**message.headers, "dlq-reason": reason, "dlq-topic": message.topic,
                   "dlq-partition": str(message.partition), "dlq-offset": str(message.offset),
                   "dlq-service": self._service}
        await self._bus.ensure_topics([topic])
        await self._bus.publish([BusMessage(topic, message.key, message.value, headers)])
        self.dead_lettered += 1
        EVENTS_DEAD_LETTERED.labels(self._service, tenant).inc()
