"""audit's HTTP door for fund operation reports (基金运行分析): monthly, quarterly and yearly figures of what the
fund paid and how the year's budget is burning, with a PNG chart and an Excel workbook stored under
`<data_dir>/operation-reports/<tenant>/`, and `report.produced` (kind `operation-monthly|quarterly|yearly`).
Who reads what: see service/__init__.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from chassis.downloads import attachment
from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.operations import service
from services.audit.operations.domain.views import operation_view

READERS = ("inspector", "supervisor", "ops", "finance")
PRODUCERS = ("inspector", "ops", "finance", "supervisor")


class OperationReportIn(BaseModel):
    kind: Literal["monthly", "quarterly", "yearly"]
    period: str = Field(description="2025-06 (monthly), 2025-Q2 (quarterly) or 2025 (yearly)")


def reach(scope: TenantScope) -> tuple[str, str, tuple[str, ...]]:
    return service.reach(scope.tenant, scope.role, scope.identity.program, scope.readable)


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["fund operation reports"])
    root = Path(ctx.settings.data_dir)

    @r.post("/operation-reports", status_code=201,
            summary="Produce a fund operation report (基金运行分析): spending, per capita, budget burn",
            dependencies=[admit(*PRODUCERS)])
    async def produce(body: OperationReportIn, scope: Scope) -> dict[str, Any]:
        report = await service.produce(scope.db, root, reach(scope), scope.tenant,
                                       {"role": scope.role, "subject": scope.subject}, body.kind, body.period,
                                       current_carrier())
        ctx.relay.kick()
        return operation_view(report, scope.tenant)

    @r.get("/operation-reports", summary="Operation reports the caller may read, oldest first (without figures)")
    async def list_reports(scope: Scope,
                           kind: str | None = Query(default=None, pattern="^(monthly|quarterly|yearly)$"),
                           period: str | None = None) -> list[dict[str, Any]]:
        scope.require(*READERS)
        return [operation_view(x, t)
                for x, t in await service.visible_reports(scope.db, reach(scope), scope.tenant, kind, period)]

    @r.get("/operation-reports/{report_id}", summary="An operation report with its figures")
    async def read_report(report_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        report, stored_in = await service.find(scope.db, reach(scope), scope.tenant, report_id)
        return operation_view(report, stored_in)

    @r.get("/operation-reports/{report_id}/files/{name}", summary="The report's chart (PNG) or workbook (Excel)")
    async def file(report_id: str, name: Literal["chart", "workbook"], scope: Scope) -> Response:
        scope.require(*READERS)
        report, meta, content = await service.report_file(scope.db, root, reach(scope), scope.tenant, report_id, name)
        return attachment(content, meta["content_type"],
                          f"operation-{report['kind']}-{report['period']}-{meta['name']}",
                          {"X-Content-SHA256": meta["sha256"]})

    return r
