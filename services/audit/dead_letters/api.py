"""audit's HTTP door for dead-letter replays (死信重放): `jingban dlq replay` records every replay of a parked
message here, in the tenant's hash-chained trail, before it republishes the message; ops reads them back.

A replay is a trail entry of type `dead_letter.replayed` (not an event of the catalogue: it is never published,
only kept), whose business key is the parked message's id (`<dead-letter topic>:<partition>:<offset>`) and whose
event id derives from that id and the attempt number, so recording the same attempt twice is one entry. The replay's
details are hashed into the entry's `payload_sha256`, so the chain covers them too. A listing copy per replay
(`dead_letter_replays`) answers "was this replayed?" without scanning the trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chassis.host import ServiceContext
from chassis.http import Scope, admit
from services.audit.dead_letters import service
from services.audit.dead_letters.domain.replays import replay_view

OPERATORS = ("ops",)
DLQ_ID = r"^[A-Za-z0-9._-]{1,249}:[0-9]{1,6}:[0-9]{1,19}$"


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


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["dead letters"])

    @r.post("/dead-letters/replays", summary="Record a replay of a parked message in the tenant's trail "
            "(once per id and attempt); ops only", responses={200: {"description": "already recorded"},
                                                               201: {"description": "recorded"}},
            dependencies=[admit(*OPERATORS)])
    async def record_replay(body: ReplayIn, scope: Scope) -> JSONResponse:
        service.check_tenancy(body.id, body.original_topic, scope.tenant, ctx.settings.topic_prefix)
        doc, created = await service.record(scope.db(), ctx.keys, scope.tenant,
                                            {"role": scope.role, "subject": scope.subject}, body.model_dump())
        return JSONResponse({"created": created, "replay": replay_view(doc)}, status_code=201 if created else 200)

    @r.get("/dead-letters/replays", summary="The tenant's recorded dead-letter replays, oldest first; ops only")
    async def list_replays(scope: Scope,
                           id: str | None = Query(default=None, pattern=DLQ_ID, description="one parked message"),
                           limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        scope.require(*OPERATORS)
        return {"replays": [replay_view(d) for d in await service.replays(scope.db(), id, limit)]}

    return r
