"""audit's HTTP door for anomaly warnings (预警): issue one (by hand or from a check over the read model),
file its written report within 7 working days, and see which are overdue."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Query

from chassis.calendar import today_cn, working_days_after
from chassis.errors import Conflict, NotFound
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.money import fmt
from chassis.telemetry import current_carrier
from services.audit import emit
from services.audit.api_sampling import derived_id
from services.audit.domain.periods import parse_period, previous_month
from services.audit.domain.readmodel import BENEFITS
from services.audit.domain.warnings import (
    SpendingCheckIn,
    WarningIn,
    WarningReportIn,
    check_detected_on,
    spending_growth,
    warning_due_on,
)
from services.audit.program import audit_settings
from services.audit.store import WARNINGS, AuditStore
from services.audit.views import warning_view

READERS = ("inspector", "supervisor", "ops")
WARNERS = ("inspector", "supervisor")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["warnings"])

    async def issue(caller: Caller, warning_id: str, kind: str, description: str, detected_on: date,
                    source: str, evidence: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
        today = today_cn()
        check_detected_on(detected_on, today)
        days = audit_settings(caller.tenant).warning_working_days
        deadline = warning_due_on(detected_on, days, working_days_after)
        warning = {"_id": warning_id, "kind": kind, "description": description,
                   "detected_on": detected_on.isoformat(), **deadline.stored(), "due_working_days": days,
                   "issued_at": datetime.now(UTC).isoformat(), "issued_on": today.isoformat(),
                   "issued_by": {"role": caller.role, "subject": caller.subject}, "status": "open",
                   "source": source, "evidence": evidence}
        s = AuditStore(ctx.db(caller.tenant))
        created = await s.add_warning(warning, [emit.warning_issued(caller.tenant, warning, current_carrier())])
        if created:
            ctx.relay.kick()
            return warning, True
        return await s.warning(warning_id) or warning, False

    @r.post("/warnings", status_code=201,
            summary="Issue an anomaly warning; its written report is due in 7 working days")
    async def create(body: WarningIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *WARNERS)
        warning, _ = await issue(caller, str(uuid.uuid4()), body.kind, body.description,
                                 body.detected_on or today_cn(), "manual")
        return warning_view(warning, today_cn())

    @r.post("/warnings/checks/spending-growth", summary="Compare a month's fund payments with the month before; "
            "growth above the threshold issues a warning (once per month)")
    async def check_spending(body: SpendingCheckIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *WARNERS)
        s = AuditStore(ctx.db(caller.tenant))
        parse_period(body.month, ("month",), field="month")
        months = [body.month, previous_month(body.month)]
        result = spending_growth(await s.all(BENEFITS, {"month": {"$in": months}}), body.month, body.threshold)
        out: dict[str, Any] = {
            "month": result.month, "previous_month": result.previous_month, "current": fmt(result.current),
            "previous": fmt(result.previous), "growth": None if result.growth is None else str(result.growth),
            "threshold": str(result.threshold), "triggered": result.triggered, "warning": None, "created": False}
        if result.triggered:
            evidence = {k: out[k] for k in ("month", "previous_month", "current", "previous", "growth", "threshold")}
            warning, created = await issue(
                caller, derived_id("spending_growth", result.month), "spending_growth",
                f"Fund payments of {result.month} ({out['current']}) grew {out['growth']} over "
                f"{result.previous_month} ({out['previous']}), above the threshold {out['threshold']}",
                body.detected_on or today_cn(), "check", evidence)
            out["warning"], out["created"] = warning_view(warning, today_cn()), created
        return out

    @r.get("/warnings", summary="Warnings with status and overdue flags")
    async def list_warnings(caller: Caller, status: str | None = Query(default=None, pattern="^(open|reported)$"),
                            overdue: bool | None = None) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        today = today_cn()
        query = {"status": status} if status else {}
        views = [warning_view(w, today) for w in await AuditStore(ctx.db(caller.tenant)).all(WARNINGS, query)]
        views.sort(key=lambda v: v["issued_at"] or "")
        return [v for v in views if overdue is None or v["overdue"] == overdue]

    @r.get("/warnings/{warning_id}")
    async def read_warning(warning_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        w = await AuditStore(ctx.db(caller.tenant)).warning(warning_id)
        if w is None:
            raise NotFound(f"warning {warning_id} not found")
        return warning_view(w, today_cn())

    @r.post("/warnings/{warning_id}/report", summary="File the written warning report (书面预警)")
    async def file_report(warning_id: str, body: WarningReportIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *WARNERS)
        s = AuditStore(ctx.db(caller.tenant))
        w = await s.warning(warning_id)
        if w is None:
            raise NotFound(f"warning {warning_id} not found")
        if w["status"] != "open":
            raise Conflict(f"the written report of warning {warning_id} was already filed on {w.get('reported_on')}")
        today = today_cn()
        changes = {"status": "reported", "report": body.report, "sent_to": body.sent_to,
                   "reported_at": datetime.now(UTC).isoformat(), "reported_on": today.isoformat(),
                   "reported_by": {"role": caller.role, "subject": caller.subject}}
        if not await s.file_warning_report(warning_id, changes):
            raise Conflict(f"the written report of warning {warning_id} was filed meanwhile")
        return warning_view({**w, **changes}, today)

    return r
