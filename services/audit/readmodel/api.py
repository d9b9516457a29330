"""The read model's HTTP door: the cases (qualifications) audit knows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chassis.calendar import today_cn
from chassis.host import ServiceContext
from chassis.http import Scope
from services.audit.readmodel import service

READERS = ("inspector", "supervisor", "ops")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["sampling and inspections"])

    @r.get("/cases", summary="Cases (qualifications) audit knows, with whether the disease is uncapped")
    async def cases(scope: Scope, person_id: str | None = None, disease_code: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        return await service.known_cases(scope.db(), scope.tenant, today_cn(), person_id, disease_code)

    return r
