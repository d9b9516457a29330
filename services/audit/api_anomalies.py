"""audit's HTTP door for the anomaly checks (异常预警): one month of the tenant's fund spending (chronic benefits
and critical-illness claims) checked for growth, outlying institutions and unusual persons; every hit opens a
warning through the existing mechanism (written report due in 7 working days), once per check, subject and month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chassis.calendar import today_cn, working_days_after
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.telemetry import current_carrier
from services.audit import emit
from services.audit.api_sampling import derived_id
from services.audit.domain.anomalies import Hit, detect, months_needed, parse_thresholds, thresholds_view
from services.audit.domain.operations import as_json, chronic_spends, critical_spends
from services.audit.domain.periods import parse_period
from services.audit.domain.warnings import check_detected_on, warning_due_on
from services.audit.operations_store import OperationsStore
from services.audit.program import audit_settings
from services.audit.store import AuditStore
from services.audit.views import warning_view

WARNERS = ("inspector", "supervisor")


class AnomalyCheckIn(BaseModel):
    month: str = Field(description="YYYY-MM")
    thresholds: dict[str, Any] | None = Field(default=None, description='overrides, e.g. {"institution_k": "3.5"}')
    detected_on: date | None = Field(default=None, description="the warnings' detection date; today when absent")


def warning_id(hit: Hit) -> str:
    # The fund's growth shares its id with POST /warnings/checks/spending-growth: one warning per month either way.
    if hit.check == "spending_growth":
        return derived_id("spending_growth", hit.month)
    return derived_id(hit.check, hit.subject, hit.month)


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["warnings"])

    @r.post("/warnings/checks/anomalies", summary="Run the anomaly checks for a month; each hit opens a warning "
            "(once per check, subject and month) with its evidence")
    async def check_anomalies(body: AnomalyCheckIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *WARNERS)
        # Everything is validated before the first write.
        parse_period(body.month, ("month",), field="month")
        th = parse_thresholds(body.thresholds)
        today = today_cn()
        detected_on = body.detected_on or today
        check_detected_on(detected_on, today)
        days = audit_settings(caller.tenant).warning_working_days
        deadline = warning_due_on(detected_on, days, working_days_after)
        s = OperationsStore(ctx.db(caller.tenant))
        months = months_needed(body.month, th)
        benefits = await s.benefits(months)
        cases = await s.cases(sorted({b["person_id"] for b in benefits if b.get("person_id")}))
        spends = chronic_spends(caller.tenant, benefits, cases) + critical_spends(caller.tenant,
                                                                                 await s.ci_claims(months))
        result = detect(spends, body.month, th)

        store = AuditStore(ctx.db(caller.tenant))
        hits, created_any = [], False
        for hit in result.hits:
            warning = {"_id": warning_id(hit), "kind": hit.check, "description": hit.description,
                       "detected_on": detected_on.isoformat(), **deadline.stored(), "due_working_days": days,
                       "issued_at": datetime.now(UTC).isoformat(), "issued_on": today.isoformat(),
                       "issued_by": {"role": caller.role, "subject": caller.subject}, "status": "open",
                       "source": "check", "subject": hit.subject, "month": hit.month,
                       "evidence": as_json(hit.evidence)}
            # One single-document insert per warning, its event inside; a re-run finds it and changes nothing.
            created = await store.add_warning(warning, [emit.warning_issued(caller.tenant, warning,
                                                                             current_carrier())])
            created_any |= created
            stored = warning if created else (await store.warning(warning["_id"]) or warning)
            hits.append({"check": hit.check, "subject": hit.subject, "created": created,
                         "warning": warning_view(stored, today)})
        if created_any:
            ctx.relay.kick()
        g = result.growth
        return {"month": result.month, "thresholds": thresholds_view(th),
                "spending_growth": {"month": g.month, "previous_month": g.previous_month, "current": f"{g.current:.2f}",
                                    "previous": f"{g.previous:.2f}",
                                    "growth": None if g.growth is None else str(g.growth),
                                    "threshold": str(g.threshold), "triggered": g.triggered},
                "hits": hits, "created": sum(1 for h in hits if h["created"])}

    return r
