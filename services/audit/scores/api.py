"""audit's HTTP door for the carrier's yearly score (绩效考核, /v1/ltc/scores).

The agency's city office (role supervisor) scores the lot's carrier its token's tenant names — the tenant comes from
the token only, never from the body — and records the carrier's yearly report (the carrier's ops staff may record
it too). Finance, ops, clerks and supervisors read; a supervisor whose token carries the program claim reads any
tenant of its program with `?tenant=` (chassis.programs.readable_tenants), and a tenant outside that scope answers
404 like a missing one. A tenant outside the long-term care program gets 404 before its body is read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from chassis.bodies import parse_json
from chassis.errors import NotFound
from chassis.host import ServiceContext
from chassis.http import Scope, read_raw
from services.audit.scores import service

WRITERS = ("supervisor",)
REPORT_WRITERS = ("supervisor", "ops")
READERS = ("finance", "ops", "clerk", "supervisor")
MAX_BODY = 64 * 1024


DAY = {"format": "date"}  # shown as a date; read as text, so a bad one is the service's 422 naming its field


class ScoreBody(BaseModel):
    year: int = Field(ge=2000, le=2100, description="the service year scored, e.g. 2025 (after it ended)")
    deductions: dict[str, str] = Field(description="item code → points deducted, a decimal string, at most the "
                                                   "item's weight (programs/wz-ltc/score-items-sample.yaml)")
    note: str = Field("", max_length=2000, description="at most 2000 characters")
    assessed_on: str | None = Field(None, json_schema_extra=DAY,
                                    description="YYYY-MM-DD, today or earlier, after the year (default today)")


class CarrierReportBody(BaseModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the report file's SHA-256, 64 lower-case hex digits")
    file_name: str = Field("", max_length=200, description="at most 200 characters")
    submitted_on: str | None = Field(None, json_schema_extra=DAY,
                                     description="YYYY-MM-DD, today or earlier, after the year (default today)")


def _documented(model: type[BaseModel]) -> dict[str, Any]:
    """The body's schema in /docs (the door reads the body itself, after the program check)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


async def _body(request: Request) -> dict[str, Any]:
    return parse_json(await read_raw(request, MAX_BODY), object_required=True)


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/ltc", tags=["long-term care: carrier score"])

    def target(scope: Scope, tenant: str | None) -> str:
        """The tenant read: the caller's own, or (a supervisor of the program) one of its program's tenants."""
        chosen = tenant or scope.tenant
        if chosen not in scope.readable:
            raise NotFound(f"no carrier score of tenant {chosen}")
        service.serves(chosen)
        return chosen

    @r.post("/scores", status_code=201, summary="Score the lot's carrier for a year (绩效考核), or correct its score",
            openapi_extra=_documented(ScoreBody))
    async def assess(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*WRITERS)
        program = service.serves(scope.tenant)  # 404 before the body is read
        view = await service.assess(scope.db(), scope.tenant, program, scope.subject, await _body(request))
        ctx.relay.kick()
        return view

    @r.get("/scores", summary="The carrier's scored years, with their due dates")
    async def list_scores(scope: Scope, tenant: str | None = None) -> list[dict[str, Any]]:
        scope.require(*READERS)
        chosen = target(scope, tenant)
        return await service.years(scope.db(chosen), chosen, service.serves(chosen))

    @r.get("/scores/{year}", summary="A year's score, the scores it replaced, the carrier report and the due dates")
    async def read_score(scope: Scope, year: int = PathParam(ge=2000, le=2100, description="the service year"),
                         tenant: str | None = None) -> dict[str, Any]:
        scope.require(*READERS)
        chosen = target(scope, tenant)
        program = service.serves(chosen)
        return await service.year_view(scope.db(chosen), chosen, program, service.check_year(year, program))

    @r.post("/scores/{year}/carrier-report", status_code=201,
            summary="Record the carrier's yearly operation report submitted (年度运行情况报告), by its file's sha256",
            openapi_extra=_documented(CarrierReportBody))
    async def carrier_report(request: Request, scope: Scope,
                             year: int = PathParam(ge=2000, le=2100, description="the service year")) -> dict[str, Any]:
        scope.require(*REPORT_WRITERS)
        program = service.serves(scope.tenant)
        checked = service.check_year(year, program)
        return await service.submit_carrier_report(scope.db(), scope.tenant, program, scope.subject, checked,
                                                   await _body(request))

    return r
