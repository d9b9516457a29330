"""The expert room's HTTP door: importing and reading the pool, and the expert list versions the agency approves
(专家库审核备案)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from chassis.errors import InvalidInput, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, admit, content_type
from services.appraisal.experts import service
from services.appraisal.experts.service import DrawWaiting

READERS = ("expert", "reviewer", "clerk", "supervisor", "ops", "inspector")
LIST_READERS = ("clerk", "reviewer", "supervisor", "ops", "inspector")


class DecisionIn(BaseModel):
    note: str = Field(default="", max_length=1000, description="the agency's remark (审核意见)")


def router(ctx: ServiceContext, draw_waiting: DrawWaiting) -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.post("/experts/import", tags=["experts"],
            summary="Import the expert pool (CSV: name, hospital, title, specialty)",
            openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                "type": "string", "description": "UTF-8 CSV with a header: name, hospital, title, specialty "
                                                 "(+ optional columns)"}}}}})
    async def import_experts(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("clerk", "ops")
        if content_type(request) not in ("text/csv", "text/plain"):
            raise UnsupportedMediaType("send the pool as text/csv")
        try:
            text = (await request.body()).decode("utf-8-sig", errors="strict")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the pool CSV must be UTF-8: {exc.reason} at byte {exc.start}", "body") from exc
        return await service.import_pool(scope.db(), scope.tenant, text, f"{scope.role}:{scope.subject}")

    @r.get("/experts", tags=["experts"])
    async def experts(scope: Scope, specialty: str | None = None) -> list[dict[str, Any]]:
        scope.require(*READERS)
        return await service.experts(scope.db(), specialty)

    @r.get("/expert-lists", tags=["experts"], summary="Expert list versions (专家库备案), newest first")
    async def versions(scope: Scope, status: str | None = Query(
            default=None, pattern="^(pending|approved|rejected|superseded)$")) -> list[dict[str, Any]]:
        scope.require(*LIST_READERS)
        return await service.versions(scope.db(), status)

    @r.get("/expert-lists/{list_id}", tags=["experts"], summary="One expert list version")
    async def version(list_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*LIST_READERS)
        return await service.version(scope.db(), list_id)

    async def decide(list_id: str, scope: Scope, status: str, note: str) -> dict[str, Any]:
        scope.require("supervisor")
        view = await service.decide(scope.db(), scope.tenant, scope.identity.program, scope.subject, list_id, status,
                                    note, draw_waiting)
        if view.get("cases_drawn"):
            ctx.relay.kick()
        return view

    @r.post("/expert-lists/{list_id}/approve", tags=["experts"],
            summary="The agency approves an expert list version (审核备案); draws use it",
            dependencies=[admit("supervisor")])
    async def approve(list_id: str, scope: Scope, body: DecisionIn | None = None) -> dict[str, Any]:
        return await decide(list_id, scope, "approved", body.note if body else "")

    @r.post("/expert-lists/{list_id}/reject", tags=["experts"], summary="The agency refuses an expert list version",
            dependencies=[admit("supervisor")])
    async def reject(list_id: str, body: DecisionIn, scope: Scope) -> dict[str, Any]:
        service.check_refusal(body.note)
        return await decide(list_id, scope, "rejected", body.note)

    return r
