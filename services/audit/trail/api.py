"""audit's HTTP door: read the trail and verify its hash chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from chassis.host import ServiceContext
from chassis.http import Scope
from services.audit.trail import service

READERS = ("inspector", "supervisor", "ops", "clerk")
# A trail position is stored as a BSON int64: anything larger cannot be one, and is refused (422), not a 500.
MAX_SEQUENCE = 2**63 - 1


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["audit trail"])

    @r.get("/trail", summary="The tenant's event trail, in order")
    async def trail(scope: Scope, after: int = Query(default=0, ge=0, le=MAX_SEQUENCE),
                    limit: int = Query(default=500, ge=1, le=5000),
                    business_key: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        entries = await service.entries(scope.db(), after, limit, business_key)
        return {"entries": [{k: v for k, v in e.items() if k != "_id"} for e in entries]}

    @r.get("/trail/verify", summary="Recompute the hash chain from the first entry")
    async def verify_trail(scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        result = await service.verify_chain(scope.db())
        return {"valid": result.valid, "length": result.length, "broken_at": result.broken_at,
                "reason": result.reason}

    return r
