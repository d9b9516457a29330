"""The case room's HTTP door: the cases and their 10-working-day clock, the clerk's draw, the expert workbench
(opinions) and the reviewer's conclusion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.policies import PolicyReader
from services.appraisal.cases import service

READERS = ("expert", "reviewer", "clerk", "supervisor", "ops", "inspector")
# The agency supervisor watches every carrier of its program: `scope.db(tenant)` opens only a tenant it may read.
PROGRAM_TENANT = "the agency supervisor: one of its program's tenants (default: the token's)"


class OpinionIn(BaseModel):
    approve: bool
    comment: str = Field(default="", max_length=2000)


class ConclusionIn(BaseModel):
    """approved | rejected for a first appraisal; continue | revoke for a re-review (复审)."""

    outcome: Literal["approved", "rejected", "continue", "revoke"]
    reason: str = Field(min_length=1, max_length=2000)


def router(ctx: ServiceContext, policies: PolicyReader, kick_filing: Callable[[], None]) -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.get("/cases", tags=["cases"], summary="Cases of the caller's tenant, oldest first")
    async def list_cases(scope: Scope,
                         status: str | None = Query(default=None, pattern="^(open|ready|awaiting_experts|concluded)$"),
                         overdue: bool | None = None, limit: int = Query(default=200, ge=1, le=2000),
                         application_id: str | None = Query(default=None, max_length=80),
                         kind: str | None = Query(default=None, pattern="^(initial|review)$"),
                         tenant: str | None = Query(default=None, max_length=40, description=PROGRAM_TENANT)
                         ) -> list[dict]:
        scope.require(*READERS)
        return await service.cases(scope.db(tenant), limit, status, application_id, kind,
                                   assigned=scope.subject if scope.role == "expert" else None, overdue=overdue)

    @r.get("/alerts/overdue", tags=["cases"], summary="Open cases past their 10-working-day deadline")
    async def overdue_alerts(scope: Scope, tenant: str | None = Query(default=None, max_length=40,
                                                                      description=PROGRAM_TENANT)
                             ) -> list[dict[str, Any]]:
        scope.require("clerk", "reviewer", "supervisor", "ops", "inspector")
        return await service.overdue_cases(scope.db(tenant))

    @r.get("/cases/{case_id}", tags=["cases"])
    async def get_case(case_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return await service.case(scope.db(), case_id, expert=scope.subject if scope.role == "expert" else None)

    @r.post("/cases/{case_id}/draw", tags=["cases"],
            summary="Draw the missing experts at random (the clerk triggers, never chooses)")
    async def redraw(case_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("clerk", "ops")
        view, drawn = await service.redraw(scope.db(), scope.tenant, case_id)
        if drawn:
            ctx.relay.kick()
        return view

    @r.post("/cases/{case_id}/opinions", status_code=201, tags=["cases"], summary="An expert's opinion (专家意见)",
            dependencies=[admit("expert")])
    async def give_opinion(case_id: str, body: OpinionIn, scope: Scope) -> dict[str, Any]:
        opinion, drawn = await service.give_opinion(scope.db(), scope.tenant, case_id, scope.subject, body.approve,
                                                    body.comment)
        if drawn:
            ctx.relay.kick()
        return opinion

    @r.post("/cases/{case_id}/conclusion", tags=["cases"],
            summary="Conclude the case (鉴定结论); approval grants the status and files it provincially",
            dependencies=[admit("reviewer", "clerk")])
    async def conclude(case_id: str, body: ConclusionIn, scope: Scope) -> dict[str, Any]:
        view = await service.conclude(scope.db(), policies, scope.tenant, case_id, body.outcome, body.reason,
                                      scope.subject)
        ctx.relay.kick()
        kick_filing()
        return view

    return r
