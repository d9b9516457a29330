"""audit's HTTP door for dead-letter replays (死信重放): `jingban dlq replay` records every replay of a parked
message here, in the tenant's hash-chained trail, before it republishes the message; ops reads them back.

A replay is a trail entry of type `dead_letter.replayed` (not an event of the catalogue: it is never published,
only kept), whose business key is the parked message's id (`<dead-letter topic>:<partition>:<offset>`) and whose
event id derives from that id and the attempt number, so recording the same attempt twice is one entry. The replay's
details are hashed into the entry's `payload_sha256`, so the chain covers them too. A listing copy per replay
(`dead_letter_replays`) answers "was this replayed?" without scanning the trail."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chassis.config import SERVICES
from chassis.errors import Conflict, Forbidden, InvalidInput
from chassis.events import CATALOGUE, dead_letter_topic, derived_event_id, topic_for
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from services.audit.store import AuditStore, ConcurrentAppend

REPLAYED = "dead_letter.replayed"
REPLAYS = "dead_letter_replays"
SOURCE = "jingban-dlq"  # who states the fact: the operator's `jingban dlq replay`
OPERATORS = ("ops",)
DLQ_ID = r"^[A-Za-z0-9._-]{1,249}:[0-9]{1,6}:[0-9]{1,19}$"
# The details a replay is recorded with, in the order they are hashed (all of them: the chain must cover each).
RECORDED = ("id", "attempt", "original_topic", "event_id", "reason", "value_sha256", "replaced")


class ReplayIn(BaseModel):
    """One replay of one parked message, as the CLI is about to republish it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=DLQ_ID, description="the parked message: <dead-letter topic>:<partition>:<offset>")
    attempt: int = Field(default=1, ge=1, le=1000,
                         description="1 for the first replay of this id; `--again` records the next number")
    original_topic: str = Field(pattern=r"^[A-Za-z0-9._-]{1,249}$", description="where it is republished")
    event_id: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._:-]*$",
                          description="the republished event's id; empty when the message is not a decodable event")
    reason: str = Field(max_length=2000, description="why it was parked (its dlq-reason header)")
    value_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the bytes republished")
    replaced: bool = Field(description="true when the operator republished a corrected message (--value-file)")


def replay_event_id(dlq_id: str, attempt: int) -> str:
    """The trail entry's id: the same parked message and attempt always give the same entry."""
    return derived_event_id(dlq_id, REPLAYED, str(attempt))


def details_sha256(details: dict[str, Any]) -> str:
    body = json.dumps({k: details[k] for k in RECORDED}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def check_tenancy(body: ReplayIn, tenant: str, prefix: str) -> None:
    """Both topics must be the caller's tenant's: a token of one carrier cannot record another's replays."""
    dead_letter = body.id.rsplit(":", 2)[0]
    if dead_letter not in {dead_letter_topic(tenant, s, prefix) for s in SERVICES}:
        raise Forbidden(f"{dead_letter} is not a dead-letter topic of tenant {tenant}", field="id")
    if not body.original_topic.startswith(f"{prefix}{tenant}."):
        raise Forbidden(f"{body.original_topic} is not a topic of tenant {tenant}", field="original_topic")
    if body.original_topic not in {topic_for(tenant, t, prefix) for t in CATALOGUE}:
        raise InvalidInput(f"{body.original_topic} is not a topic of the event catalogue", field="original_topic")


def replay_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: doc[k] for k in RECORDED}, "recorded_at": doc["recorded_at"], "recorded_by": doc["recorded_by"],
            "trail_seq": doc["trail_seq"], "trail_event_id": doc["_id"]}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["dead letters"])

    @r.post("/dead-letters/replays", summary="Record a replay of a parked message in the tenant's trail "
            "(once per id and attempt); ops only", responses={200: {"description": "already recorded"},
                                                               201: {"description": "recorded"}})
    async def record_replay(body: ReplayIn, caller: Caller) -> JSONResponse:
        require_role(caller, *OPERATORS)
        check_tenancy(body, caller.tenant, ctx.settings.topic_prefix)
        details = body.model_dump()
        entry_id = replay_event_id(body.id, body.attempt)
        db = ctx.db(caller.tenant)
        store = AuditStore(db)
        recorded_by = {"role": caller.role, "subject": caller.subject}
        entry: dict[str, Any] | None = None
        for _ in range(5):  # another writer took the next position: read the tail again
            try:
                entry = await store.append({
                    "event_id": entry_id, "type": REPLAYED, "tenant": caller.tenant, "business_key": body.id,
                    "occurred_at": datetime.now(UTC).isoformat(), "source": SOURCE, "causation_id": body.event_id,
                    "payload_sha256": details_sha256(details), "trace_id": "", "replay": details,
                    "recorded_by": recorded_by})
                break
            except ConcurrentAppend:
                continue
        else:
            raise Conflict("the trail is busy; record the replay again", field="id")
        created = entry is not None
        if entry is None:  # recorded before: the trail's entry is the record, whatever this call says
            entry = next(e for e in await store.entries(0, 1000, body.id) if e["event_id"] == entry_id)
            if entry.get("replay") != details:
                raise Conflict(f"attempt {body.attempt} of {body.id} is recorded with other details; "
                               "a new replay is the next attempt", field="attempt")
        doc = {"_id": entry_id, **entry["replay"], "recorded_at": entry["occurred_at"],
               "recorded_by": entry.get("recorded_by", recorded_by), "trail_seq": entry["seq"]}
        # The listing copy comes after the trail entry; recording again (the CLI does on any doubt) heals a
        # copy a crash left out, since both writes are idempotent.
        await db[REPLAYS].update_one({"_id": entry_id}, {"$set": {k: v for k, v in doc.items() if k != "_id"}},
                                     upsert=True)
        return JSONResponse({"created": created, "replay": replay_view(doc)}, status_code=201 if created else 200)

    @r.get("/dead-letters/replays", summary="The tenant's recorded dead-letter replays, oldest first; ops only")
    async def list_replays(caller: Caller,
                           id: str | None = Query(default=None, pattern=DLQ_ID, description="one parked message"),
                           limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        require_role(caller, *OPERATORS)
        query = {"id": id} if id else {}
        docs = await ctx.db(caller.tenant)[REPLAYS].find(query).sort([("recorded_at", 1), ("attempt", 1)]).to_list(
            limit)
        return {"replays": [replay_view(d) for d in docs]}

    return r
