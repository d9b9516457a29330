"""Transactional outbox without transactions (FerretDB 1.x has none): pending events ride inside the changed
document itself (`_outbox`, counted by `_outbox_pending`), written in the same atomic single-document update; the
relay publishes them and then removes exactly those it published.

The lifecycle of a document's pending events, after eShop's IntegrationEventLog:

    not_published ──relay takes them──▶ in_progress ──acked──▶ published (removed from the document)
                                            └──refused / broker away──▶ publish_failed (+ attempts, last error)
                                                                            └── retried with backoff ──▶ …

`not_published` is the absence of `_outbox_state`; `in_progress` lives in the relay (a process that dies
mid-publish leaves its events not_published, and republishing them is absorbed by the consumers' dedupe);
`publish_failed` is written on the document with `_outbox_attempts` and `_outbox_error`, so an operator sees it.
One document's pending events are published together, so they share one state.

The relay does not poll: the writes of its own process wake it (the service's databases come wrapped by
`watch`, which notices an update that stages events), and it publishes only what those writes touched. It
sweeps every collection of every tenant it serves at start (what a crash left) and then rarely."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from chassis.bus.port import Bus, BusMessage
from chassis.events import encode, topic_for
from chassis.keys import KeyNotFound, MemoryKeyProvider
from chassis.logs import mask_id_numbers
from chassis.metrics import EVENTS_RELAYED, OUTBOX_FAILED_DOCUMENTS, OUTBOX_PUBLISH_FAILURES
from chassis.telemetry import context_from, tracer

log = logging.getLogger(__name__)

PUBLISH_FAILED = "publish_failed"
SWEEP_S = 60.0  # a full sweep of every collection while idle: cheap insurance, not the way events move


MESSAGE_KEY_PURPOSE = "message-key"


class MessageKeys(Protocol):
    """What the relay needs of the key provider (chassis/keys.py)."""

    def current(self, purpose: str, tenant: str) -> tuple[str, bytes]: ...

    def get(self, key_id: str) -> bytes: ...


def message_key_secret(keys: MessageKeys, tenant: str) -> bytes:
    """The tenant's `message-key` key the pseudonyms are made with: its first version, whatever `rotate` added
    since (a new version would move every person's events to other partitions, out of order)."""
    keys.current(MESSAGE_KEY_PURPOSE, tenant)  # v1 exists from here on (created where the provider may)
    try:
        return keys.get(f"{MESSAGE_KEY_PURPOSE}/{tenant}/v1")
    except KeyNotFound:  # a provisioned secret that starts at a later version
        return keys.current(MESSAGE_KEY_PURPOSE, tenant)[1]


def pseudonym(secret: bytes, business_key: str) -> str:
    return hmac.new(secret, business_key.encode("utf-8"), hashlib.sha256).hexdigest()


def message_key(keys: MessageKeys, tenant: str, business_key: str) -> str:
    """The Kafka key of an event: a pseudonym of its business key (化名), HMAC-SHA256 under the tenant's
    `message-key` key, hex. Never the business key itself (an identity number in clear on the wire and in every
    broker log segment). The same business key always gives the same message key, so one person's events keep
    their order on one partition."""
    return pseudonym(message_key_secret(keys, tenant), business_key)


def with_events(doc: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """A new document that carries its pending events."""
    return {**doc, "_outbox": list(events), "_outbox_pending": len(events)}


def push_events(update: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Add pending events to an update document, so they are stored with the state change."""
    out = {k: dict(v) for k, v in update.items()}
    out.setdefault("$push", {})["_outbox"] = {"$each": list(events)}
    out.setdefault("$inc", {})["_outbox_pending"] = len(events)
    return out


async def guarded_update(collection: Any, query: dict[str, Any], update: dict[str, Any],
                         events: list[dict[str, Any]] | None = None) -> bool:
    """One atomic write of a state change and the events it stages, only while `query` still matches (the guard
    every state machine's store uses): True when it wrote."""
    result = await collection.update_one(query, push_events(update, events) if events else update)
    return bool(result.modified_count == 1)


# ---- noticing the writes that stage events ----

def _stages_doc(doc: Any) -> bool:
    return isinstance(doc, dict) and bool(doc.get("_outbox"))


def _stages_update(update: Any) -> bool:
    return isinstance(update, dict) and ("_outbox" in update.get("$push", {}) or "_outbox" in update.get("$set", {}))


def _stages(method: str, args: tuple[Any, ...]) -> bool:
    if method == "insert_one":
        return _stages_doc(args[0])
    if method == "insert_many":
        return any(_stages_doc(d) for d in args[0])
    if method in ("replace_one", "find_one_and_replace"):
        return len(args) > 1 and _stages_doc(args[1])
    if method in ("update_one", "update_many", "find_one_and_update"):
        return len(args) > 1 and _stages_update(args[1])
    if method == "bulk_write":
        return any(_stages_doc(getattr(op, "_doc", None)) or _stages_update(getattr(op, "_doc", None))
                   for op in args[0])
    return False


_WRITES = ("insert_one", "insert_many", "replace_one", "find_one_and_replace", "update_one", "update_many",
           "find_one_and_update", "bulk_write")


class _WatchedCollection:
    def __init__(self, collection: Any, noticed: Callable[[], None]) -> None:
        self._c, self._noticed = collection, noticed

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._c, name)
        if name not in _WRITES:
            return attr

        async def write(*args: Any, **kwargs: Any) -> Any:
            result = await attr(*args, **kwargs)
            if args and _stages(name, args):
                self._noticed()
            return result

        return write


class _WatchedDatabase:
    def __init__(self, db: Any, noticed: Callable[[str], None]) -> None:
        self._db, self._noticed = db, noticed

    def __getitem__(self, name: str) -> _WatchedCollection:
        return _WatchedCollection(self._db[name], lambda: self._noticed(name))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._db, name)
        if hasattr(attr, "insert_one") and hasattr(attr, "find"):
            return _WatchedCollection(attr, lambda: self._noticed(name))
        return attr


class OutboxRelay:
    """Moves pending events from a service's documents to the bus, for the tenants this deployment serves."""

    def __init__(self, service: str, store: Any, bus: Bus, tenants: tuple[str, ...], collections: list[str],
                 topic_prefix: str = "", sweep_s: float = SWEEP_S, keys: MessageKeys | None = None) -> None:
        self._service, self._store, self._bus = service, store, bus
        # The service's key provider; alone (a unit test) the relay keeps keys in memory, never publishes clear keys.
        self._keys: MessageKeys = keys if keys is not None else MemoryKeyProvider()
        self._key_secrets: dict[str, bytes] = {}  # tenant -> its message-key secret (stable, see message_key)
        self._tenants, self._collections = tenants, list(collections)
        self._prefix, self._sweep_s = topic_prefix, sweep_s
        self._wake = asyncio.Event()
        self._stopping = False
        self._dirty: set[tuple[str, str]] = set()
        self._failed: set[tuple[str, str, Any]] = set()
        self.state = "starting"  # starting | idle | publishing | backing_off | stopped
        self.published = 0
        self.failures = 0
        self.in_progress = 0
        self.last_error = ""
        self.last_error_at = ""
        self.last_published_at = ""
        self.passes = 0  # relay passes that queried the store (the idle cost is counted here)

    # ---- what wakes it ----

    def watch(self, tenant: str, db: Any) -> Any:
        """The tenant's database, noticing the writes that stage events in an outbox collection."""
        def noticed(collection: str) -> None:
            if collection in self._collections:
                self._dirty.add((tenant, collection))
                self._wake.set()

        return _WatchedDatabase(db, noticed)

    def kick(self) -> None:
        """Publish now rather than later (writes through `watch` do this by themselves)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "published": self.published, "failures": self.failures,
                "failed_documents": len(self._failed), "in_progress": self.in_progress,
                "waiting_collections": len(self._dirty), "last_error": self.last_error,
                "last_error_at": self.last_error_at, "last_published_at": self.last_published_at}

    # ---- the loop ----

    async def run(self) -> None:
        backoff_s, full = 0.5, True  # the first pass sweeps everything: what a crash left behind
        next_sweep = time.monotonic() + self._sweep_s
        while not self._stopping:
            self._wake.clear()
            if full:
                targets = {(t, c) for t in self._tenants for c in self._collections}
            else:
                targets, self._dirty = self._dirty, set()
            try:
                self.state = "publishing" if targets else self.state
                unfinished = await self._relay(targets)
            except Exception as exc:
                self._dirty |= targets  # nothing is lost: the same collections are tried again
                self.state = "backing_off"
                self._note_failure(exc)
                await self._pause(backoff_s)
                backoff_s = min(backoff_s * 2, 10.0)
                continue
            backoff_s, full = 0.5, False
            self._dirty |= unfinished
            if self._dirty:
                continue
            self.state = "idle"
            now = time.monotonic()
            if now >= next_sweep:
                full, next_sweep = True, now + self._sweep_s
                continue
            await self._pause(next_sweep - now)
        self.state = "stopped"

    async def flush(self) -> int:
        """One last pass over what is waiting (a graceful stop): returns how many events were published."""
        targets, self._dirty = self._dirty, set()
        before = self.published
        with contextlib.suppress(Exception):
            await self._relay(targets)
        return self.published - before

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _note_failure(self, exc: BaseException) -> None:
        self.failures += 1
        self.last_error = mask_id_numbers(f"{type(exc).__name__}: {exc}")[:500]
        self.last_error_at = datetime.now(UTC).isoformat()
        OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
        log.warning("outbox relay of %s failed; backing off: %s", self._service, self.last_error)

    async def relay_once(self) -> int:
        """Publish everything pending in every collection of every tenant (tests, and the start sweep)."""
        before = self.published
        while await self._relay({(t, c) for t in self._tenants for c in self._collections}):
            pass
        return self.published - before

    async def _relay(self, targets: set[tuple[str, str]], batch: int = 200) -> set[tuple[str, str]]:
        """Relay one batch from each target; returns the targets that may hold more."""
        unfinished: set[tuple[str, str]] = set()
        for tenant, name in sorted(targets):
            db = self._store.database(self._service, tenant)
            self.passes += 1
            docs = await db[name].find({"_outbox_pending": {"$gt": 0}},
                                       {"_outbox": 1, "_outbox_state": 1}).to_list(batch)
            docs = [d for d in docs if d.get("_outbox")]
            if not docs:
                continue
            if len(docs) >= batch:
                unfinished.add((tenant, name))
            await self._relay_docs(tenant, db[name], name, docs)
        return unfinished

    async def _relay_docs(self, tenant: str, collection: Any, name: str, docs: list[dict[str, Any]]) -> None:
        events = [ev for d in docs for ev in d["_outbox"]]
        self.in_progress = len(events)
        try:
            await self._publish(events)
        except Exception as exc:
            self.in_progress = 0
            await self._mark_failed(tenant, collection, name, docs, exc)
            raise
        self.in_progress = 0
        for doc in docs:
            # Remove exactly what was published; events pushed meanwhile stay pending (not_published).
            update: dict[str, Any] = {"$pullAll": {"_outbox": doc["_outbox"]},
                                      "$inc": {"_outbox_pending": -len(doc["_outbox"])}}
            if doc.get("_outbox_state"):
                update["$unset"] = {"_outbox_state": "", "_outbox_error": "", "_outbox_failed_at": ""}
            await collection.update_one({"_id": doc["_id"]}, update)
            self._failed.discard((tenant, name, doc["_id"]))
        self.published += len(events)
        self.last_published_at = datetime.now(UTC).isoformat()
        OUTBOX_FAILED_DOCUMENTS.labels(self._service).set(len(self._failed))

    async def _mark_failed(self, tenant: str, collection: Any, name: str, docs: list[dict[str, Any]],
                           exc: BaseException) -> None:
        """publish_failed, on each document (one by one: the store serialises writes per document, and an
        update of many would race the service's own writes on FerretDB)."""
        error = mask_id_numbers(f"{type(exc).__name__}: {exc}")[:300]
        now = datetime.now(UTC).isoformat()
        for doc in docs:
            self._failed.add((tenant, name, doc["_id"]))
            with contextlib.suppress(Exception):  # the store may be the thing that is away
                await collection.update_one(
                    {"_id": doc["_id"], "_outbox_pending": {"$gt": 0}},
                    {"$set": {"_outbox_state": PUBLISH_FAILED, "_outbox_error": error, "_outbox_failed_at": now},
                     "$inc": {"_outbox_attempts": 1}})
        OUTBOX_FAILED_DOCUMENTS.labels(self._service).set(len(self._failed))

    def _message_key(self, tenant: str, business_key: str) -> str:
        """The one place an event's Kafka key is made: always the pseudonym, never the business key."""
        if tenant not in self._key_secrets:
            self._key_secrets[tenant] = message_key_secret(self._keys, tenant)
        return pseudonym(self._key_secrets[tenant], business_key)

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
                    propagate.inject(headers)
                    headers["event-type"] = ev["type"]
                    messages.append(BusMessage(topic, self._message_key(ev["tenant"], ev["business_key"]),
                                               encode(ev), headers))
            finally:
                otel_context.detach(token)
        await self._bus.ensure_topics(sorted({m.topic for m in messages}))
        await self._bus.publish(messages)
        for ev in events:
            EVENTS_RELAYED.labels(self._service, ev["type"]).inc()
