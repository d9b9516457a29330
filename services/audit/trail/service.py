"""The trail's use cases: record a tenant's batch of events (trail first, then the read model), append one record
of audit's own (a dead-letter replay), read the trail, anchor its head (signed, published for archive to keep) and
verify it against the anchors archive keeps.

Keys come from the key provider (`chassis.keys`, `ctx.keys`): `trail/<tenant>` seals the entries (HMAC-SHA256),
`anchor/<tenant>` signs the anchors (Ed25519, the 32 bytes are the private key's seed). Neither is ever written to
audit's database; an entry and an anchor name the key version they used, so keys rotate."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import grpc

from chassis.errors import Conflict, JingbanError, PoisonMessage
from chassis.events import Event, derived_event_id, new_event
from chassis.keys import KeyNotFound, KeyProvider
from chassis.programs import program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import archive_pb2, archive_pb2_grpc, events_pb2
from services.audit.readmodel import service as readmodel
from services.audit.readmodel.domain.readmodel import Upsert
from services.audit.trail.domain.anchors import AnchorPolicy, public_key, sign_anchor
from services.audit.trail.domain.trail import MacKey, TrailCheck, Verification
from services.audit.trail.store import TRAIL_ANCHORS, ConcurrentAppend, TrailStore

__all__ = ["ANCHORED", "NOT_TRAILED", "OUTBOX", "AnchorsUnavailable", "ConcurrentAppend", "anchor",
           "anchor_if_due", "anchor_policy", "anchoring_loop", "append", "archive_anchors", "ensure_indexes",
           "entries", "mac_key", "record_batch", "trail_fields", "verify_trail"]

log = logging.getLogger(__name__)

ANCHORED = "trail.anchored"
# Audit's own anchors are kept by archive, not in the trail: each would be a new head to anchor.
NOT_TRAILED = frozenset({ANCHORED})
OUTBOX = [TRAIL_ANCHORS]
PAGE = 1000          # entries read per step of a verification
ANCHOR_PAGE = 500    # anchors asked of archive per call
ANCHORING_TICK_S = 5.0


class AnchorsUnavailable(JingbanError):
    """Archive did not answer for the anchors: the trail is not declared valid without them."""

    http_status = 503
    grpc_status = "UNAVAILABLE"
    code = "anchors_unavailable"


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


def mac_key(keys: KeyProvider, tenant: str) -> MacKey:
    """The tenant's current trail key: new entries are sealed with it."""
    key_id, secret = keys.current("trail", tenant)
    return MacKey(key_id, secret)


def anchor_policy(tenant: str) -> AnchorPolicy:
    """When to anchor on its own: the program's `audit.trail_anchor_every_entries` / `trail_anchor_every_seconds`
    (programs/<code>/program.yaml), else the defaults of AnchorPolicy (100 entries, 60 s)."""
    default = AnchorPolicy()
    program = program_of_tenant(tenant)
    if program is None:
        return default
    return AnchorPolicy(int(program.setting("audit", "trail_anchor_every_entries", default.every_entries)),
                        float(program.setting("audit", "trail_anchor_every_seconds", default.every_seconds)))


async def ensure_indexes(db: Any) -> None:
    """On start: the trail's indexes, and its head healed (built, or walked on past a crash)."""
    store = TrailStore(db)
    await store.ensure_indexes()
    await store.heal_head()


async def record_batch(db: Any, keys: KeyProvider, tenant: str, events: list[Event],
                       policy: AnchorPolicy | None = None) -> None:
    """One tenant's new events of a poll batch: one append to the trail (sealed with the tenant's trail key), an
    anchor when one is due, then the read model's writes.

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
    appended = await TrailStore(db, mac_key(keys, tenant)).append_many([trail_fields(e) for e in events])
    if appended:
        await anchor_if_due(db, keys, tenant, policy or anchor_policy(tenant))
    if refused is not None:
        raise refused
    await readmodel.fold(db, upserts)


async def append(db: Any, keys: KeyProvider, tenant: str, fields: dict[str, Any]) -> dict[str, Any] | None:
    """Append one record once, sealed with the tenant's trail key; None when its event id is in the trail already.
    ConcurrentAppend when other writers kept taking the next positions."""
    return await TrailStore(db, mac_key(keys, tenant)).append(fields)


async def entries(db: Any, after: int = 0, limit: int = 1000, business_key: str | None = None) -> list[dict[str, Any]]:
    return await TrailStore(db).entries(after, limit, business_key)


# ---- anchors ----

def _anchor_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}  # not `_id` nor the outbox's bookkeeping


async def anchor(db: Any, keys: KeyProvider, tenant: str, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """Anchor the trail's head now: (the anchor, whether this call made it). A head anchored already answers that
    anchor; an empty trail is 409 `trail_empty`. The anchor and its `trail.anchored` event are one write; the relay
    publishes it (keyed by the tenant) for archive."""
    store = TrailStore(db)
    head = await store.head()
    if head["seq"] == 0:
        raise Conflict("the trail has no entry yet: nothing to anchor", code="trail_empty")
    kept = await store.anchor_at(head["seq"])
    if kept is not None:
        return _anchor_view(kept), False
    key_id, seed = keys.current("anchor", tenant)
    signed = sign_anchor(tenant=tenant, seq=head["seq"], head_mac=head["mac"],
                         at=(now or datetime.now(UTC)).isoformat(), key_id=key_id, mac_key_id=head["key_id"],
                         seed=seed)
    event = new_event(ANCHORED, tenant, tenant, events_pb2.TrailAnchored(**signed), source="audit",
                      trace_context=current_carrier(),
                      event_id=derived_event_id(f"trail:{tenant}", ANCHORED, str(head["seq"])))
    doc = {**signed, "event_id": event["event_id"]}
    if await store.add_anchor(doc, [event]):
        return doc, True
    kept = await store.anchor_at(head["seq"])  # another writer anchored this head meanwhile
    return (_anchor_view(kept), False) if kept is not None else (doc, False)


async def anchor_if_due(db: Any, keys: KeyProvider, tenant: str, policy: AnchorPolicy,
                        now: datetime | None = None) -> dict[str, Any] | None:
    """Anchor the head when the policy says so; the anchor made, else None."""
    now = now or datetime.now(UTC)
    state = await TrailStore(db).anchoring()
    try:
        anchored_at = datetime.fromisoformat(state["anchored_at"]) if state["anchored_at"] else None
    except ValueError:  # not a time audit wrote: anchor rather than trust it
        anchored_at = None
    if not policy.due(state["seq"], state["anchored_seq"], anchored_at, now):
        return None
    made, created = await anchor(db, keys, tenant, now)
    return made if created else None


async def anchoring_loop(tenants: Iterable[str], open_db: Callable[[str], Any], keys: KeyProvider,
                         tick_s: float = ANCHORING_TICK_S) -> None:
    """The time rule: every few seconds, each tenant's head is anchored when its policy says so (an idle trail is
    not anchored again)."""
    while True:
        for tenant in tenants:
            try:
                await anchor_if_due(open_db(tenant), keys, tenant, anchor_policy(tenant))
            except Exception:  # one tenant's trouble must not stop the others
                log.exception("anchoring the trail of %s failed", tenant)
        await asyncio.sleep(tick_s)


# ---- verification ----

def _anchor_of(kept: archive_pb2.KeptTrailAnchor) -> dict[str, Any]:
    return {f.name: getattr(kept.anchor, f.name) for f in events_pb2.TrailAnchored.DESCRIPTOR.fields}


async def archive_anchors(peers: Any, tenant: str, page: int = ANCHOR_PAGE) -> AsyncIterator[dict[str, Any]]:
    """The tenant's anchors as archive keeps them (ArchiveService.ListTrailAnchors), in position order."""
    stub = archive_pb2_grpc.ArchiveServiceStub(peers.channel("archive"))
    after = ""
    while True:
        try:
            answer = await stub.ListTrailAnchors(archive_pb2.ListTrailAnchorsRequest(after=after, limit=page),
                                                 metadata=await peers.metadata(tenant), timeout=10)
        except grpc.aio.AioRpcError as exc:
            raise AnchorsUnavailable(f"archive did not give the trail's anchors: {exc.code().name} "
                                     f"{exc.details() or ''}".strip()) from exc
        for kept in answer.anchors:
            yield _anchor_of(kept)
        if not answer.next:
            return
        after = answer.next


class _HeldKeys:
    """Keys of one purpose and tenant by id, read from the key provider once each; an id of another purpose or
    tenant, or one the provider does not hold, is simply not there (the check reports it)."""

    def __init__(self, keys: KeyProvider, purpose: str, tenant: str,
                 as_held: Callable[[bytes], bytes] = lambda key: key) -> None:
        self._keys, self._prefix, self._as_held = keys, f"{purpose}/{tenant}/", as_held
        self._held: dict[str, bytes | None] = {}

    def of(self, key_ids: Iterable[Any]) -> dict[str, bytes]:
        for key_id in key_ids:
            if isinstance(key_id, str) and key_id not in self._held:
                try:
                    found = self._keys.get(key_id) if key_id.startswith(self._prefix) else None
                except (KeyNotFound, ValueError):
                    found = None
                self._held[key_id] = self._as_held(found) if found is not None else None
        return {k: v for k, v in self._held.items() if v is not None}


async def verify_trail(db: Any, keys: KeyProvider, tenant: str,
                       anchors: AsyncIterator[dict[str, Any]]) -> Verification:
    """Recompute the tenant's MAC chain from the first entry, a page at a time, and check it against `anchors` (in
    position order; `archive_anchors` in the service)."""
    store, check = TrailStore(db), TrailCheck(tenant)
    trail_keys, anchor_keys = _HeldKeys(keys, "trail", tenant), _HeldKeys(keys, "anchor", tenant, public_key)
    waiting: list[dict[str, Any]] = []  # the next anchor, read but beyond the entries checked so far

    async def anchors_through(seq: int | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            if not waiting:
                nxt = await anext(anchors, None)
                if nxt is None:
                    return out
                waiting.append(nxt)
            at = waiting[0].get("seq")
            if seq is not None and isinstance(at, int) and at > seq:
                return out
            out.append(waiting.pop())

    after = 0
    while page := await store.page(after, PAGE):
        check.entries(page, trail_keys.of(e.get("key_id") for e in page))
        after = page[-1]["_id"]
        batch = await anchors_through(after)
        check.anchors(batch, anchor_keys.of(a.get("key_id") for a in batch))
    rest = await anchors_through(None)
    check.anchors(rest, anchor_keys.of(a.get("key_id") for a in rest))
    return check.finish()
