"""audit's HTTP door for the anomaly checks (异常预警): one month of the tenant's fund spending (chronic benefits
and critical-illness claims) checked for growth, outlying institutions and unusual persons; every hit opens a
warning through the existing mechanism (written report due in 7 working days), once per check, subject and month."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chassis.calendar import today_cn
from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.reasons import as_json as reasons_json
from chassis.telemetry import current_carrier
from services.audit.anomalies import service
from services.audit.anomalies.domain.anomalies import thresholds_view
from services.audit.warnings.domain.views import warning_view

WARNERS = ("inspector", "supervisor")


class AnomalyCheckIn(BaseModel):
    month: str = Field(description="YYYY-MM")
    thresholds: dict[str, Any] | None = Field(default=None, description='overrides, e.g. {"institution_k": "3.5"}')
    detected_on: date | None = Field(default=None, description="the warnings' detection date; today when absent")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["warnings"])

    @r.post("/warnings/checks/anomalies", summary="Run the anomaly checks for a month; each hit opens a warning "
            "(once per check, subject and month) with its evidence", dependencies=[admit(*WARNERS)])
    async def check_anomalies(body: AnomalyCheckIn, scope: Scope) -> dict[str, Any]:
        result, opened = await service.check_month(scope.db(), scope.tenant,
                                                    {"role": scope.role, "subject": scope.subject}, body.month,
                                                    body.thresholds, body.detected_on, current_carrier())
        if any(created for _, _, created in opened):
            ctx.relay.kick()
        today = today_cn()
        hits = [{"check": hit.check, "subject": hit.subject, "created": created,
                 "warning": warning_view(warning, today), "reason_codes": reasons_json(hit.reasons)}
                for hit, warning, created in opened]
        g = result.growth
        return {"month": result.month, "thresholds": thresholds_view(result.thresholds),
                "spending_growth": {"month": g.month, "previous_month": g.previous_month, "current": f"{g.current:.2f}",
                                    "previous": f"{g.previous:.2f}",
                                    "growth": None if g.growth is None else str(g.growth),
                                    "threshold": str(g.threshold), "triggered": g.triggered},
                "hits": hits, "created": sum(1 for h in hits if h["created"])}

    return r
