"""The filing room's HTTP door: the provincial filing status (备案) of qualifications and a clerk's retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query

from chassis.http import Scope
from services.appraisal.filing import service


def router(kick_filing: Callable[[], None]) -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.get("/filings", tags=["filings"], summary="Provincial filing status (备案) of qualifications")
    async def filings(scope: Scope, status: str | None = Query(
            default=None, pattern="^(pending|filed|failed|rejected|renewing|revoking|revoked|cancelled)$")
            ) -> list[dict]:
        scope.require("clerk", "reviewer", "supervisor", "ops")
        return await service.filings(scope.db(), status)

    @r.post("/cases/{case_id}/filing/retry", tags=["filings"], summary="Retry a failed or refused filing")
    async def retry_filing(case_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("clerk", "ops")
        view = await service.retry(scope.db(), case_id)
        kick_filing()
        return view

    return r
