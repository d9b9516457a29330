"""audit's HTTP door for the monthly and quarterly reports (月报, 季报) — and, for a tenant carrying a long-term care
lot, its accounting and business statistics (monthly, quarterly, half-yearly, yearly) and operation reports
(quarterly, half-yearly, yearly; kinds `ltc_*`, 404 for any other tenant); for fund supervision's carrier (km-sv)
its reports per inspection, month and term (kinds `km_*`, 404 for any other tenant; the term's with a written report,
.docx): figures, a PNG chart and an Excel workbook stored under `<data_dir>/reports/<tenant>/`, and
`report.produced`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from chassis.downloads import attachment
from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.telemetry import current_carrier
from services.audit.reports import service
from services.audit.reports.domain.km import KINDS as KM_KINDS
from services.audit.reports.domain.ltc import KINDS as LTC_KINDS
from services.audit.reports.domain.views import report_view
from services.audit.reports.service import km as km_reports
from services.audit.reports.service import ltc as ltc_reports

READERS = ("inspector", "supervisor", "ops", "finance")
PRODUCERS = ("inspector", "ops")
# The agency supervisor reads (never produces) each carrier's reports of its program: `scope.db(tenant)` opens only
# a tenant the token may read.
PROGRAM_TENANT = Query(default=None, max_length=40,
                       description="the agency supervisor: one of its program's tenants (default: the token's)")
KIND_PATTERN = "^(" + "|".join(("monthly", "quarterly", *LTC_KINDS, *KM_KINDS)) + ")$"


class ReportIn(BaseModel):
    kind: Literal["monthly", "quarterly", "ltc_monthly", "ltc_quarterly", "ltc_half_yearly", "ltc_yearly",
                  "ltc_operation_quarterly", "ltc_operation_half_yearly", "ltc_operation_yearly",
                  "km_inspection", "km_monthly", "km_term"]
    period: str = Field(max_length=64,
                        description="2025-06 for a monthly report, 2025-Q2 for a quarterly one, 2025-H1 for a "
                                    "half-yearly one, 2025 for a yearly one; fund supervision (km-sv): the "
                                    "inspection's id for km_inspection, YYYY-MM for km_monthly, `term` for km_term")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["reports"])
    root = Path(ctx.settings.data_dir)

    @r.get("/figures", summary="A period's figures, live from the read model (nothing stored)")
    async def figures(scope: Scope, period: str = Query(description="2025-06, 2025-Q2 or 2025")) -> dict[str, Any]:
        scope.require(*READERS)
        return await service.live_figures(scope.db(), scope.tenant, period)

    @r.post("/reports", status_code=201, summary="Produce a report (chart + workbook): monthly or quarterly; for "
                                                 "long-term care the ltc_* statistics and operation reports",
            dependencies=[admit(*PRODUCERS)])
    async def produce(body: ReportIn, scope: Scope) -> dict[str, Any]:
        by = {"role": scope.role, "subject": scope.subject}
        if body.kind in KM_KINDS:
            report = await km_reports.produce(scope.db(), root, scope.tenant, by, body.kind, body.period,
                                              current_carrier())
        elif body.kind in LTC_KINDS:
            report = await ltc_reports.produce(scope.db(), root, scope.tenant, by, body.kind, body.period,
                                               current_carrier())
        else:
            report = await service.produce(scope.db(), root, scope.tenant, by, body.kind, body.period,
                                           current_carrier())
        ctx.relay.kick()
        return report_view(report)

    @r.get("/reports", summary="Reports, oldest first (without figures)")
    async def list_reports(scope: Scope, kind: str | None = Query(default=None, pattern=KIND_PATTERN),
                           period: str | None = None, tenant: str | None = PROGRAM_TENANT) -> list[dict[str, Any]]:
        scope.require(*READERS)
        return [report_view(x) for x in await service.reports(scope.db(tenant), kind, period)]

    @r.get("/reports/{report_id}", summary="A report with its figures")
    async def read_report(report_id: str, scope: Scope, tenant: str | None = PROGRAM_TENANT) -> dict[str, Any]:
        scope.require(*READERS)
        return report_view(await service.get_report(scope.db(tenant), report_id))

    async def file_response(scope: Scope, report_id: str, key: str, tenant: str | None) -> Response:
        scope.require(*READERS)
        report, meta, content = await service.report_file(scope.db(tenant), root, report_id, key)
        period = report["period"].replace("/", "_")  # the term's period is an interval (2024-03-01/2024-11-20)
        return attachment(content, meta["content_type"], f"{report['kind']}-{period}-{meta['name']}",
                          {"X-Content-SHA256": meta["sha256"]})

    @r.get("/reports/{report_id}/chart.png", summary="The report's chart (PNG)")
    async def chart(report_id: str, scope: Scope, tenant: str | None = PROGRAM_TENANT) -> Response:
        return await file_response(scope, report_id, "chart", tenant)

    @r.get("/reports/{report_id}/workbook.xlsx", summary="The report's workbook (Excel)")
    async def workbook(report_id: str, scope: Scope, tenant: str | None = PROGRAM_TENANT) -> Response:
        return await file_response(scope, report_id, "workbook", tenant)

    @r.get("/reports/{report_id}/written-report.docx",
           summary="The written report (书面情况报告, Word) of fund supervision's term report (km_term)")
    async def written_report(report_id: str, scope: Scope, tenant: str | None = PROGRAM_TENANT) -> Response:
        return await file_response(scope, report_id, "written_report", tenant)

    return r
