"""audit's HTTP door for anomaly warnings (预警): issue one (by hand or from a check over the read model),
file its written report within 7 working days, and see which are overdue."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.calendar import today_cn
from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.telemetry import current_carrier
from services.audit.warnings import service
from services.audit.warnings.domain.views import warning_view

READERS = ("inspector", "supervisor", "ops")
WARNERS = ("inspector", "supervisor")
KIND_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class WarningIn(BaseModel):
    kind: str = Field(pattern=KIND_PATTERN, description="e.g. spending_growth, abnormal_claims, fund_shortfall")
    description: str = Field(min_length=1, max_length=4000)
    detected_on: date | None = Field(default=None, description="when the anomaly was spotted; today when absent")


class WarningReportIn(BaseModel):
    report: str = Field(min_length=1, max_length=20000, description="the written warning (书面预警) as sent")
    sent_to: str = Field(default="", max_length=200)


class SpendingCheckIn(BaseModel):
    month: str = Field(description="YYYY-MM, compared with the month before")
    threshold: str = Field(default="0.30", description="growth above this share raises a warning; decimal string")
    detected_on: date | None = Field(default=None, description="the warning's detection date; today when absent")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["warnings"])

    @r.post("/warnings", status_code=201,
            summary="Issue an anomaly warning; its written report is due in 7 working days",
            dependencies=[admit(*WARNERS)])
    async def create(body: WarningIn, scope: Scope) -> dict[str, Any]:
        warning = await service.issue_by_hand(scope.db(), scope.tenant, {"role": scope.role, "subject": scope.subject},
                                              body.kind, body.description, body.detected_on, current_carrier())
        ctx.relay.kick()
        return warning_view(warning, today_cn())

    @r.post("/warnings/checks/spending-growth", summary="Compare a month's fund payments with the month before; "
            "growth above the threshold issues a warning (once per month)", dependencies=[admit(*WARNERS)])
    async def check_spending(body: SpendingCheckIn, scope: Scope) -> dict[str, Any]:
        out, warning, created = await service.check_spending(
            scope.db(), scope.tenant, {"role": scope.role, "subject": scope.subject}, body.month, body.threshold,
            body.detected_on, current_carrier())
        if created:
            ctx.relay.kick()
        return {**out, "warning": warning_view(warning, today_cn()) if warning else None, "created": created}

    @r.get("/warnings", summary="Warnings with status and overdue flags")
    async def list_warnings(scope: Scope, status: str | None = Query(default=None, pattern="^(open|reported)$"),
                            overdue: bool | None = None,
                            tenant: str | None = Query(default=None, max_length=40,
                                                       description="the agency supervisor: one of its program's "
                                                                   "tenants (default: the token's)")
                            ) -> list[dict[str, Any]]:
        scope.require(*READERS)
        today = today_cn()
        views = [warning_view(w, today) for w in await service.warnings(scope.db(tenant), status)]
        views.sort(key=lambda v: v["issued_at"] or "")
        return [v for v in views if overdue is None or v["overdue"] == overdue]

    @r.get("/warnings/{warning_id}")
    async def read_warning(warning_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return warning_view(await service.get_warning(scope.db(), warning_id), today_cn())

    @r.post("/warnings/{warning_id}/report", summary="File the written warning report (书面预警)",
            dependencies=[admit(*WARNERS)])
    async def file_report(warning_id: str, body: WarningReportIn, scope: Scope) -> dict[str, Any]:
        warning = await service.file_report(scope.db(), {"role": scope.role, "subject": scope.subject}, warning_id,
                                            body.report, body.sent_to)
        return warning_view(warning, today_cn())

    return r
