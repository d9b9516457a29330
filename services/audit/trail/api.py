"""audit's HTTP door to the trail: read it, anchor its head on demand, and verify it against the anchors archive
keeps.

Roles: reading the trail — inspector, supervisor, ops, clerk (as before). Verifying — inspector, supervisor, ops:
the people who answer for the trail's integrity (the agency's supervisor, the carrier's inspection staff, ops); not
a clerk, whose work the trail records. Anchoring on demand — ops (and inspector, before an inspection): it only
adds a checkpoint, and audit anchors on its own anyway."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from chassis.host import ServiceContext
from chassis.http import Scope
from services.audit.trail import service

READERS = ("inspector", "supervisor", "ops", "clerk")
VERIFIERS = ("inspector", "supervisor", "ops")
ANCHORERS = ("ops", "inspector")
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

    @r.get("/trail/verify", summary="Recompute the trail's MAC chain and check it against the signed anchors "
           "archive keeps; inspector, supervisor, ops",
           responses={503: {"description": "archive did not answer: `anchors_unavailable`, nothing verified"}})
    async def verify_trail(scope: Scope) -> dict[str, Any]:
        """`{valid, entries, anchored_through, problems: [{code, seq, detail}], problems_total}`. Codes
        (trail/domain/reasons.py): `rewritten` (an entry's MAC does not match), `deleted` (a gap or a broken
        link), `truncated` (an anchor beyond the trail's end, or another MAC at an anchored position),
        `anchor_signature_invalid`. `anchored_through`: the newest position an authentic anchor names. Entries
        after it are sealed but not yet anchored: cutting them would not show until the next anchor."""
        scope.require(*VERIFIERS)
        result = await service.verify_trail(scope.db(), ctx.keys, scope.tenant,
                                            service.archive_anchors(ctx.peers, scope.tenant))
        return result.to_json()

    @r.post("/trail/anchors", summary="Anchor the trail's head now (signed, kept by archive); ops, inspector",
            status_code=201, responses={200: {"description": "the head was anchored already: that anchor"},
                                        201: {"description": "anchored"},
                                        409: {"description": "`trail_empty`: nothing to anchor"}})
    async def anchor_now(scope: Scope) -> JSONResponse:
        scope.require(*ANCHORERS)
        anchor, created = await service.anchor(scope.db(), ctx.keys, scope.tenant)
        return JSONResponse({"anchor": anchor, "created": created}, status_code=201 if created else 200)

    return r
