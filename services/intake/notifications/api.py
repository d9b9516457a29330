"""The notifications' HTTP door: what was sent (the local outbox of the SMS/push port)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from chassis.http import Scope
from services.intake.notifications import service


def router() -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.get("/notifications", tags=["notifications"],
           summary="Notifications sent (local outbox of the SMS/push port)")
    async def notifications(scope: Scope, person_id: str | None = None,
                            limit: int = Query(default=200, ge=1, le=2000)) -> list[dict[str, Any]]:
        scope.require("applicant", "clerk", "supervisor", "ops")
        return await service.sent(scope, person_id, limit)

    return r
