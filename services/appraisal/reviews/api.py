"""The re-review room's HTTP door: the re-review worklist (复审), the notice scan and a qualification's revocation
(撤销)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.calendar import today_cn
from chassis.errors import InvalidInput
from chassis.host import ServiceContext
from chassis.http import Scope, admit
from services.appraisal.reviews import service

# The days a worklist or a scan may be asked for (the programs' years, as the fund's): 9999-12-31 plus the notice
# window is no date at all.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _day(on: date | None) -> date:
    day = on or today_cn()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"on must be a day from {FIRST_DAY} to {LAST_DAY}, got {day}", "on")
    return day


class RevocationIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def router(ctx: ServiceContext, kick_filing: Callable[[], None]) -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.post("/qualifications/{qualification_id}/revoke", tags=["qualifications"],
            summary="Revoke a qualification (撤销); the provincial filing is revoked with 2504",
            dependencies=[admit("reviewer", "clerk")])
    async def revoke(qualification_id: str, body: RevocationIn, scope: Scope) -> dict[str, Any]:
        view = await service.revoke(scope.db(), scope.tenant, qualification_id, body.reason, scope.subject)
        ctx.relay.kick()
        kick_filing()
        return view

    @r.get("/reviews/due", tags=["reviews"], summary="Re-review worklist (复审): qualifications due")
    async def reviews_due(scope: Scope, on: date | None = None, within_days: int = Query(default=30, ge=0, le=366)
                          ) -> list[dict[str, Any]]:
        scope.require("clerk", "reviewer", "supervisor", "ops")
        return await service.reviews_due(scope.db(), _day(on), within_days)

    @r.post("/reviews/scan", tags=["reviews"], summary="Raise review_due for qualifications entering the notice window")
    async def reviews_scan(scope: Scope, on: date | None = None) -> dict[str, int]:
        scope.require("clerk", "ops")
        raised = await service.scan_reviews(scope.db(), scope.tenant, _day(on))
        if raised:
            ctx.relay.kick()
        return {"raised": raised}

    return r
