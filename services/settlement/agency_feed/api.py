"""The agency feed's HTTP door: what was pushed to the agency's long-term care system (长护险信息管理系统推送) and
ops' retry of a failed push. A tenant outside wz-ltc gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Path, Query

from chassis.errors import NotFound
from chassis.http import Scope, admit
from services.settlement.agency_feed import service

READERS = ("ops", "supervisor")


def router(kick: Callable[[], None]) -> APIRouter:
    r = APIRouter(prefix="/v1/ltc", tags=["long-term care: agency feed"])

    @r.get("/agency-pushes", summary="Pushes to the agency's long-term care system (长护险信息管理系统推送)",
           dependencies=[admit(*READERS)])
    async def pushes(scope: Scope,
                     status: str | None = Query(default=None, pattern="^(pending|sent|failed)$"),
                     tenant: str | None = Query(default=None, max_length=40,
                                                description="the agency supervisor: one of its program's tenants"),
                     limit: int = Query(default=500, ge=1, le=5000)) -> dict[str, Any]:
        """Newest first, with the counts per status: each push's transaction, what it carries (institution, month,
        part, records, persons — never who), its msgid, status, attempts and the system's answer (its code when
        refused)."""
        chosen = tenant or scope.tenant
        if chosen not in scope.readable:
            raise NotFound(f"no agency feed of {chosen}")
        service.serves(chosen)
        return await service.listed(scope.db(chosen), chosen, status, limit)

    @r.post("/agency-pushes/{push_id}/retry", summary="Send a failed push again", dependencies=[admit("ops")])
    async def retry(scope: Scope, push_id: str = Path(max_length=120)) -> dict[str, Any]:
        """Pending again at once; a push the system refused goes under a new msgid (409 unless it failed)."""
        service.serves(scope.tenant)
        view = await service.retry(scope.db(), scope.tenant, push_id)
        kick()
        return view

    return r
