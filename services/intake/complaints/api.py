"""The complaints' HTTP door (咨询投诉举报): file (a tip names an institution), list with overdue flags, answer."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.host import ServiceContext
from chassis.http import Scope, admit
from services.intake.complaints import service


class ComplaintIn(BaseModel):
    person_id: str | None = Field(default=None, min_length=1, max_length=40,
                                  description="the person filing: required for a consultation or complaint; a "
                                              "tip-giver may stay anonymous")
    kind: Literal["consultation", "complaint", "tip"] = Field(description="consultation (咨询) | complaint (投诉) | "
                                                                          "tip (举报, naming an institution)")
    subject: str = Field(min_length=1, max_length=200)
    detail: str = Field(default="", max_length=4000)
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")
    institution_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$",
                                       description="the designated institution a tip is about (required for a tip)")
    name: str | None = Field(default=None, min_length=1, max_length=50,
                             description="the tip-giver's name (sealed at rest); left out of an anonymous tip")


class ResolutionIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=4000)


def router(ctx: ServiceContext, notifier: service.Notifier) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["complaints"])

    @r.post("/complaints", status_code=201, summary="A consultation, complaint or tip (咨询/投诉/举报: a tip names the "
                                                    "institution, its giver may be anonymous)",
            dependencies=[admit("applicant", "clerk")])
    async def file_complaint(body: ComplaintIn, scope: Scope) -> dict[str, Any]:
        view = await service.file(scope, body.model_dump())
        ctx.relay.kick()
        return view

    @r.get("/complaints", summary="Consultations and complaints, with overdue flags")
    async def list_complaints(scope: Scope, status: str | None = Query(default=None, pattern="^(open|resolved)$"),
                              overdue: bool | None = None) -> list[dict[str, Any]]:
        scope.require("clerk", "supervisor", "ops", "inspector")
        return await service.listed(scope, status, overdue)

    @r.post("/complaints/{complaint_id}/resolve", summary="Answer a consultation or complaint",
            dependencies=[admit("clerk")])
    async def resolve(complaint_id: str, body: ResolutionIn, scope: Scope) -> dict[str, Any]:
        view = await service.resolve(scope, notifier, complaint_id, body.resolution)
        ctx.relay.kick()
        return view

    return r
