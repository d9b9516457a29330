"""Dead-letter replays' use cases: check a replay belongs to the caller's tenant, record it in the tenant's trail
(once per id and attempt) and its listing copy, list them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chassis.config import SERVICES
from chassis.errors import Conflict, Forbidden, InvalidInput
from chassis.events import CATALOGUE, dead_letter_topic, derived_event_id, topic_for
from chassis.keys import KeyProvider
from services.audit.dead_letters.domain.replays import REPLAYED, details_sha256
from services.audit.dead_letters.store import ReplayStore
from services.audit.trail import service as trail

SOURCE = "jingban-dlq"  # who states the fact: the operator's `jingban dlq replay`


def replay_event_id(dlq_id: str, attempt: int) -> str:
    """The trail entry's id: the same parked message and attempt always give the same entry."""
    return derived_event_id(dlq_id, REPLAYED, str(attempt))


def check_tenancy(dlq_id: str, original_topic: str, tenant: str, prefix: str) -> None:
    """Both topics must be the caller's tenant's: a token of one carrier cannot record another's replays."""
    dead_letter = dlq_id.rsplit(":", 2)[0]
    if dead_letter not in {dead_letter_topic(tenant, s, prefix) for s in SERVICES}:
        raise Forbidden(f"{dead_letter} is not a dead-letter topic of tenant {tenant}", field="id")
    if not original_topic.startswith(f"{prefix}{tenant}."):
        raise Forbidden(f"{original_topic} is not a topic of tenant {tenant}", field="original_topic")
    if original_topic not in {topic_for(tenant, t, prefix) for t in CATALOGUE}:
        raise InvalidInput(f"{original_topic} is not a topic of the event catalogue", field="original_topic")


async def record(db: Any, keys: KeyProvider, tenant: str, by: dict[str, str],
                 details: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the replay's listing copy, whether this call recorded it): the trail's entry (sealed with the tenant's trail
    key from `keys`) is the record, whatever a later call says."""
    dlq_id, attempt = details["id"], details["attempt"]
    entry_id = replay_event_id(dlq_id, attempt)
    entry: dict[str, Any] | None = None
    for _ in range(5):  # another writer took the next position: read the tail again
        try:
            entry = await trail.append(db, keys, tenant, {
                "event_id": entry_id, "type": REPLAYED, "tenant": tenant, "business_key": dlq_id,
                "occurred_at": datetime.now(UTC).isoformat(), "source": SOURCE, "causation_id": details["event_id"],
                "payload_sha256": details_sha256(details), "trace_id": "", "replay": details, "recorded_by": by})
            break
        except trail.ConcurrentAppend:
            continue
    else:
        raise Conflict("the trail is busy; record the replay again", field="id", code="trail_busy")
    created = entry is not None
    if entry is None:  # recorded before: the trail's entry is the record, whatever this call says
        entry = next(e for e in await trail.entries(db, 0, 1000, dlq_id) if e["event_id"] == entry_id)
        if entry.get("replay") != details:
            raise Conflict(f"attempt {attempt} of {dlq_id} is recorded with other details; "
                           "a new replay is the next attempt", field="attempt", code="replay_recorded_otherwise")
    doc = {"_id": entry_id, **entry["replay"], "recorded_at": entry["occurred_at"],
           "recorded_by": entry.get("recorded_by", by), "trail_seq": entry["seq"]}
    # The listing copy comes after the trail entry; recording again (the CLI does on any doubt) heals a
    # copy a crash left out, since both writes are idempotent.
    await ReplayStore(db).keep(doc)
    return doc, created


async def replays(db: Any, dlq_id: str | None, limit: int) -> list[dict[str, Any]]:
    return await ReplayStore(db).replays(dlq_id, limit)
