"""Idempotent, supervised event consumers.

- Dedupe by event id, and commit a batch's offsets only after its work is stored: at-least-once delivery,
  exactly-once effect.
- **Transient is not poison.** A store, broker or peer that is away (`chassis.errors.is_transient`) is retried
  with backoff for as long as it lasts, up to a horizon (default 10 minutes); past it the batch is handed back
  uncommitted and the loop reconnects. Only poison — undecodable, invalid, refused by the domain, or a handler
  failing the same way `attempts` times — is parked on the tenant's dead-letter topic with its reason.
- **Supervised.** Any failure in poll, process or commit is caught and logged with the event id; the loop closes
  its client and reconnects and resubscribes with backoff. `status()` is what `/readyz` reports per group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from opentelemetry import trace
from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.bus.acls import consumer_group
from chassis.bus.port import Bus, BusMessage
from chassis.errors import JingbanError, PoisonMessage, TransientOutage, is_transient
from chassis.events import CATALOGUE, Event, dead_letter_topic, decode, tenant_of_topic, topic_for
from chassis.identity import Identity, current_identity
from chassis.logs import mask_id_numbers
from chassis.metrics import CONSUMER_RESTARTS, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from chassis.telemetry import context_from, tracer

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
BatchHandler = Callable[[str, list[Event]], Awaitable[None]]
T = TypeVar("T")

PROCESSED = "processed_events"
RETRY_HORIZON_S = 600.0  # JINGBAN_RETRY_HORIZON_S: how long an outage is waited out before handing work back
UNASSIGNED_GRACE_S = 45.0  # a consumer without partitions for this long while polling is rebuilt


class TopicMismatch(PoisonMessage):
    """An envelope that does not belong on the topic it came from: its tenant, type or source (the publishing
    service) differs from what the topic `{tenant}.{publisher}.{type}` says. Whoever could write the topic is not
    who the envelope claims to be, so it is parked, never applied."""

    code = "topic_mismatch"


def check_envelope_matches_topic(event: Event, topic: str, prefix: str = "") -> None:
    """Raise TopicMismatch unless the event's tenant, type and source are those of `topic`."""
    topic_tenant = tenant_of_topic(topic, prefix)
    if event.tenant != topic_tenant:
        raise TopicMismatch(f"envelope tenant {event.tenant!r} does not match topic tenant {topic_tenant!r}")
    if topic_for(event.tenant, event.type, prefix) != topic:
        raise TopicMismatch(f"envelope type {event.type!r} does not match topic {topic}")
    publisher = CATALOGUE[event.type][0]
    if event.envelope.source != publisher:
        raise TopicMismatch(f"envelope source {event.envelope.source!r} does not match the publisher "
                            f"{publisher!r} of topic {topic}")


@dataclass(frozen=True)
class Subscription:
    """A topic the service reads; `handler` None when the service's batch handler does all the work."""

    event_type: str
    handler: Handler | None = None


def _code(exc: BaseException) -> str:
    """The stable reason code of a refusal, when it has one (a JingbanError's code, TopicMismatch's)."""
    code = getattr(exc, "code", "")
    return code if isinstance(code, str) else ""


class Backoff:
    """Exponential delays between `first` and `cap`, reset after a success."""

    def __init__(self, first: float = 0.2, cap: float = 10.0) -> None:
        self._first, self._cap, self._next = first, cap, first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self._cap)
        return delay

    def reset(self) -> None:
        self._next = self._first


class EventConsumer:
    """One consumer group per service, reading its subscribed topics of every tenant it serves."""

    def __init__(self, service: str, bus: Bus, store: Any, tenants: tuple[str, ...],
                 subscriptions: list[Subscription], topic_prefix: str = "", attempts: int = 5,
                 group: str | None = None, batch_handler: BatchHandler | None = None,
                 retry_horizon_s: float = RETRY_HORIZON_S) -> None:
        self._service, self._bus, self._store = service, bus, store
        self._tenants, self._prefix, self._attempts = tenants, topic_prefix, attempts
        self._handlers = {s.event_type: s.handler for s in subscriptions}
        self._batch_handler = batch_handler
        self._horizon = retry_horizon_s
        self._group = group or consumer_group(service, topic_prefix)
        self._stopping = False
        self._wake = asyncio.Event()
        self._consumer: Any = None
        self.state = "starting"  # starting | joining | running | waiting (an outage) | reconnecting | stopped
        self.last_error = ""
        self.last_error_at = ""
        self.current_event = ""  # the event id being worked on, for the logs of a failure
        self.restarts = 0
        self.processed = 0
        self.dead_lettered = 0
        self._unassigned_since: float | None = None
        # Event ids processed, per tenant, valid for one partition assignment (see `_seen`).
        self._seen_ids: dict[str, tuple[int, set[str]]] = {}

    @property
    def group(self) -> str:
        return self._group

    def topics(self) -> list[str]:
        return sorted(topic_for(t, et, self._prefix) for t in self._tenants for et in self._handlers)

    # ---- the supervised loop ----

    async def run(self) -> None:
        """Never returns before `stop()`: a failed session is closed and a new one opened after a backoff."""
        if not self._handlers:
            self.state = "running"
            return
        backoff = Backoff(0.5, 10.0)
        while not self._stopping:
            try:
                await self._session(backoff)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(exc, "consumer session failed; reconnecting")
                self.restarts += 1
                CONSUMER_RESTARTS.labels(self._service).inc()
                self.state = "reconnecting"
                await self._pause(backoff.next())
        self.state = "stopped"

    async def _session(self, backoff: Backoff) -> None:
        self.state = "joining"
        await self._bus.ensure_topics(self.topics())
        consumer = self._consumer = self._bus.consumer(self._group, self.topics())
        self._seen_ids.clear()  # a new session is a new assignment: read the processed ids again
        self._unassigned_since = time.monotonic()
        try:
            while not self._stopping:
                batch = await consumer.poll(0.5, 500)
                if consumer.assigned():
                    self._unassigned_since = None
                    if self.state in ("joining", "reconnecting"):
                        self.state = "running"
                elif self._unassigned_since is None:
                    self._unassigned_since = time.monotonic()
                elif time.monotonic() - self._unassigned_since > UNASSIGNED_GRACE_S:
                    # A group that never hands us partitions (a broker that came back with a stale view) is
                    # rejoined from scratch rather than waited on forever.
                    raise TransientOutage(f"no partitions assigned for {UNASSIGNED_GRACE_S:.0f} s")
                if batch:
                    await self.process_batch(batch)
                    # Only after the work (or the parking) of the whole batch is stored; a crash before this
                    # redelivers the batch and the dedupe by event id absorbs what was already applied.
                    await consumer.commit(batch)
                    self.state = "running"
                backoff.reset()
        finally:
            self._consumer = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.close(), 5)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _failed(self, exc: BaseException, what: str) -> None:
        self.last_error = mask_id_numbers(f"{type(exc).__name__}: {exc}")[:500]  # /readyz shows it
        self.last_error_at = datetime.now(UTC).isoformat()
        log.warning("%s (event %s): %s", what, self.current_event or "-", self.last_error,
                    exc_info=not is_transient(exc))

    @property
    def joined(self) -> bool:
        """Ready to read: running, with the partitions the group assigned (readiness waits for it, so a service
        is not called ready while the events it must react to would sit unread)."""
        if not self._handlers:
            return True
        return self.state == "running" and self._consumer is not None and self._consumer.assigned()

    def status(self) -> dict[str, Any]:
        """What `/readyz` shows for this group."""
        consumer = self._consumer
        lag = consumer.lag() if consumer is not None and hasattr(consumer, "lag") else None
        return {"group": self._group, "state": self.state, "ready": self.joined,
                "assigned": bool(consumer is not None and consumer.assigned()), "lag": lag,
                "last_error": self.last_error, "last_error_at": self.last_error_at, "restarts": self.restarts,
                "processed": self.processed, "dead_lettered": self.dead_lettered}

    # ---- waiting out an outage ----

    async def _through_outages(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn`, retrying transient failures with backoff until the horizon; then hand the work back."""
        deadline = time.monotonic() + self._horizon
        backoff = Backoff(0.2, 10.0)
        while True:
            try:
                result = await fn()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if self._stopping or time.monotonic() > deadline:
                    raise TransientOutage(f"{what}: still unavailable ({type(exc).__name__})") from exc
                self.state = "waiting"
                self._failed(exc, f"{what}: infrastructure unavailable, retrying")
                await self._pause(backoff.next())
                continue
            if self.state == "waiting":
                self.state = "running"
            return result

    # ---- a batch ----

    async def process(self, message: BusMessage) -> None:
        """One message (tests and replays): a batch of one."""
        await self.process_batch([message])

    async def process_batch(self, batch: list[BusMessage]) -> None:
        by_tenant: dict[str, list[tuple[BusMessage, Event]]] = {}
        for message in batch:
            topic_tenant = tenant_of_topic(message.topic, self._prefix)
            try:
                event = decode(message.value)
                check_envelope_matches_topic(event, message.topic, self._prefix)
                if event.type not in self._handlers:
                    raise PoisonMessage(f"{event.type!r} arrived on {message.topic} which this service does not "
                                        "consume")
            except PoisonMessage as exc:
                code = exc.code if isinstance(exc, TopicMismatch) else ""
                await self._dead_letter(message, topic_tenant, f"{code}: {exc}" if code else str(exc), code)
                continue
            by_tenant.setdefault(event.tenant, []).append((message, event))
        for tenant, items in by_tenant.items():
            await self._process_tenant(tenant, items)

    async def _process_tenant(self, tenant: str, items: list[tuple[BusMessage, Event]]) -> None:
        processed = self._store.database(self._service, tenant)[PROCESSED]
        ids = sorted({e.id for _, e in items})
        done = await self._through_outages("reading processed event ids", lambda: self._seen(tenant, processed, ids))
        fresh: list[tuple[BusMessage, Event]] = []
        for message, event in items:
            if event.id not in done:  # applied before: at-least-once delivery, exactly-once effect
                done.add(event.id)  # and a duplicate inside the batch is applied once
                fresh.append((message, event))
        if not fresh:
            return

        parked: set[str] = set()
        if self._batch_handler is not None:
            parked = await self._run_batch_handler(tenant, fresh)
        applied = []
        for message, event in fresh:
            if event.id in parked:
                continue
            if await self._handle(message, event):
                applied.append(event)
            else:
                parked.add(event.id)

        async def record() -> None:
            if not applied:
                return
            now = datetime.now(UTC)
            try:
                await processed.insert_many([{"_id": e.id, "type": e.type, "at": now} for e in applied],
                                            ordered=False)
            except (DuplicateKeyError, BulkWriteError) as exc:
                if isinstance(exc, BulkWriteError) and any(
                        err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
                    raise

        await self._through_outages("recording processed event ids", record)
        if tenant in self._seen_ids:
            self._seen_ids[tenant][1].update(e.id for e in applied)
        for event in applied:
            self.processed += 1
            EVENTS_CONSUMED.labels(self._service, tenant, event.type).inc()

    async def _seen(self, tenant: str, processed: Any, ids: list[str]) -> set[str]:
        """Which of `ids` were processed before.

        A look-up per batch would read the whole collection on FerretDB 1.x (it answers `$in` without an
        index), so the ids are read once per partition assignment and kept: while the group leaves this consumer
        its partitions, only this consumer applies their events, and a republished or redelivered event comes on
        the partition of its key. A new assignment (a rebalance, a rebuilt session) reads them again."""
        consumer = self._consumer
        if consumer is None or not hasattr(consumer, "generation"):
            docs = await processed.find({"_id": {"$in": ids}}, {"_id": 1}).to_list(None)
            return {d["_id"] for d in docs}
        generation = consumer.generation()
        cached = self._seen_ids.get(tenant)
        if cached is None or cached[0] != generation:
            docs = await processed.find({}, {"_id": 1}).to_list(None)
            cached = self._seen_ids[tenant] = (generation, {d["_id"] for d in docs})
        return {i for i in ids if i in cached[1]}

    async def _run_batch_handler(self, tenant: str, fresh: list[tuple[BusMessage, Event]]) -> set[str]:
        """The service's whole-batch step; if it refuses the batch, it is run one event at a time so only the
        poison ones are parked. Returns the ids parked."""
        assert self._batch_handler is not None
        handler = self._batch_handler
        self.current_event = fresh[0][1].id
        try:
            await self._through_outages("batch handler", lambda: handler(tenant, [e for _, e in fresh]))
            return set()
        except (PoisonMessage, JingbanError):
            pass
        parked: set[str] = set()
        for message, event in fresh:
            self.current_event = event.id
            try:
                await self._through_outages("batch handler", lambda ev=event: handler(tenant, [ev]))
            except (PoisonMessage, JingbanError) as exc:
                await self._dead_letter(message, tenant, f"{type(exc).__name__}: {exc}", _code(exc))
                parked.add(event.id)
        return parked

    async def _handle(self, message: BusMessage, event: Event) -> bool:
        """Apply one event; False when it was parked instead."""
        handler = self._handlers.get(event.type)
        if handler is None:
            return True
        self.current_event = event.id
        parent = context_from(message.headers)
        token = current_identity.set(Identity(event.tenant, "service", self._service))
        try:
            with tracer().start_as_current_span(
                f"{message.topic} process", context=parent, kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.system": "kafka", "messaging.destination.name": message.topic,
                            "messaging.message.id": event.id, "messaging.consumer.group.name": self._group,
                            "jingban.tenant": event.tenant, "jingban.service": self._service},
            ):
                failures = 0
                while True:
                    try:
                        await self._through_outages(f"handling {event.type}", lambda: handler(event))
                        return True
                    except (PoisonMessage, JingbanError) as exc:
                        await self._dead_letter(message, event.tenant, f"{type(exc).__name__}: {exc}", _code(exc))
                        return False
                    except TransientOutage:
                        raise
                    except Exception as exc:
                        # Neither an outage nor a refusal: a fault of this event or of the code. A few tries,
                        # then parked with the reason so one bad event cannot stop the partition for good.
                        failures += 1
                        if failures >= self._attempts:
                            log.exception("handler failed %d times on event %s", failures, event.id)
                            await self._dead_letter(message, event.tenant,
                                                    f"failed {failures} times: {type(exc).__name__}: {exc}",
                                                    "handler_failed")
                            return False
                        await self._pause(min(0.1 * 2 ** failures, 3))
        finally:
            current_identity.reset(token)

    async def _dead_letter(self, message: BusMessage, tenant: str, reason: str, code: str = "") -> None:
        """Park a message on the tenant's dead-letter topic of this service, with its reason (and, when known, a
        stable reason code in `dlq-code`: `topic_mismatch`, a domain error's code, `handler_failed`)."""
        topic = dead_letter_topic(tenant, self._service, self._prefix)
        log.warning("dead-lettering message from %s at offset %s: %s", message.topic, message.offset, reason,
                    extra={"tenant": tenant})
        headers = {**message.headers, "dlq-reason": mask_id_numbers(reason)[:1000], "dlq-topic": message.topic,
                   "dlq-partition": str(message.partition), "dlq-offset": str(message.offset),
                   "dlq-service": self._service, "dlq-at": datetime.now(UTC).isoformat()}
        if code:
            headers["dlq-code"] = code

        async def park() -> None:
            await self._bus.ensure_topics([topic])
            await self._bus.publish([BusMessage(topic, message.key, message.value, headers)])

        await self._through_outages("parking on the dead-letter topic", park)
        self.dead_lettered += 1
        EVENTS_DEAD_LETTERED.labels(self._service, tenant).inc()
