"""audit's HTTP door for the monthly and quarterly reports (月报, 季报): figures from the read model, a PNG
chart and an Excel workbook stored under `<data_dir>/reports/<tenant>/`, and `report.produced`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from chassis.calendar import due_by, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.telemetry import current_carrier
from services.audit import emit
from services.audit.domain import readmodel as rm
from services.audit.domain.figures import ReportInputs, compute_figures, jsonable
from services.audit.domain.periods import Period, parse_period, report_due
from services.audit.domain.violations import add_violations
from services.audit.program import audit_settings
from services.audit.render import render_chart, render_workbook
from services.audit.store import CALLBACKS, WARNINGS, AuditStore
from services.audit.views import report_view

READERS = ("inspector", "supervisor", "ops", "finance")
PRODUCERS = ("inspector", "ops")
FILES = {"chart": ("chart.png", "image/png"),
         "workbook": ("workbook.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


class ReportIn(BaseModel):
    kind: Literal["monthly", "quarterly"]
    period: str = Field(description="2025-06 for a monthly report, 2025-Q2 for a quarterly one")


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(content)
    os.replace(tmp, path)  # readers never see half a file


async def gather(s: AuditStore, period: Period, program: str) -> ReportInputs:
    plans = await s.plans()
    return ReportInputs(
        cases=await s.all(rm.CASES), applications=await s.all(rm.APPLICATIONS),
        appraisals=await s.all(rm.APPRAISALS), complaints=await s.all(rm.COMPLAINTS),
        benefits=await s.all(rm.BENEFITS, {"month": {"$in": period.months()}}),
        statements=await s.all(rm.STATEMENTS, {"month": {"$in": period.months()}}),
        payments=await s.all(rm.PAYMENTS), findings=await s.all(rm.FINDINGS), warnings=await s.all(WARNINGS),
        plans=plans, checked=await s.checked_by_disease([p["_id"] for p in plans]),
        callbacks=await s.all(CALLBACKS),
        policy=rm.policy_for(await s.all(rm.POLICIES), period.end, program or None),
    )


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["reports"])
    root = Path(ctx.settings.data_dir)

    @r.get("/figures", summary="A period's figures, live from the read model (nothing stored)")
    async def figures(caller: Caller, period: str = Query(description="2025-06, 2025-Q2 or 2025")) -> dict[str, Any]:
        require_role(caller, *READERS)
        p = parse_period(period)
        data = await gather(AuditStore(ctx.db(caller.tenant)), p, audit_settings(caller.tenant).program)
        return jsonable(add_violations(compute_figures(p, data, today_cn()), caller.tenant, p, data.findings))

    @r.post("/reports", status_code=201, summary="Produce a monthly or quarterly report (chart + workbook)")
    async def produce(body: ReportIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *PRODUCERS)
        period = parse_period(body.period, ("month",) if body.kind == "monthly" else ("quarter",))
        today = today_cn()
        if period.start > today:
            raise InvalidInput(f"period {period.label} has not started yet", "period")
        # A report for a period still running is an interim one (figures so far); the final one follows its end.
        interim = period.end >= today
        settings = audit_settings(caller.tenant)
        deadline = report_due(period, settings.report_day, due_by)
        due = deadline.due
        s = AuditStore(ctx.db(caller.tenant))
        data = await gather(s, period, settings.program)
        figures = add_violations(compute_figures(period, data, today), caller.tenant, period, data.findings)
        report_id = str(uuid.uuid4())
        produced_at = datetime.now(UTC).isoformat()
        meta = {"report_id": report_id, "tenant": caller.tenant, "program": settings.program, "kind": body.kind,
                "period": period.label, "due_on": due.isoformat(), "produced_at": produced_at,
                "overdue": today > due}
        names = {d["code"]: d.get("name", "") for d in (data.policy or {}).get("diseases", [])}
        title = f"{caller.tenant} {body.kind} report {period.label} (due {due.isoformat()})"
        chart = await asyncio.to_thread(render_chart, figures, title, names)
        workbook = await asyncio.to_thread(render_workbook, meta, figures, names)
        files = {}
        for key, content in (("chart", chart), ("workbook", workbook)):
            name, ctype = FILES[key]
            relative = f"reports/{caller.tenant}/{report_id}-{name}"
            await asyncio.to_thread(_write, root / relative, content)
            files[key] = {"name": name, "path": relative, "sha256": hashlib.sha256(content).hexdigest(),
                          "size": len(content), "content_type": ctype}
        report = {"_id": report_id, "kind": body.kind, "period": period.label, "start": period.start.isoformat(),
                  "end": period.end.isoformat(), **deadline.stored(), "report_day": settings.report_day,
                  "produced_at": produced_at, "produced_on": today.isoformat(), "overdue": today > due,
                  "interim": interim,
                  "produced_by": {"role": caller.role, "subject": caller.subject}, "program": settings.program,
                  "policy_version": figures["policy_version"],
                  # Kept as JSON text: its maps are keyed by codes from events, not always safe field names.
                  "figures_json": json.dumps(jsonable(figures), ensure_ascii=False), "files": files}
        # Files first, then the record with its event: a crash in between leaves only unreferenced files.
        await s.add_report(report, [emit.report_produced(caller.tenant, report, current_carrier())])
        ctx.relay.kick()
        return report_view(report)

    @r.get("/reports", summary="Reports, oldest first (without figures)")
    async def list_reports(caller: Caller, kind: str | None = Query(default=None, pattern="^(monthly|quarterly)$"),
                           period: str | None = None) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        return [report_view(x) for x in await AuditStore(ctx.db(caller.tenant)).reports(kind, period)]

    async def get_report(caller: Caller, report_id: str) -> dict[str, Any]:
        require_role(caller, *READERS)
        report = await AuditStore(ctx.db(caller.tenant)).report(report_id)
        if report is None:
            raise NotFound(f"report {report_id} not found")
        return report

    @r.get("/reports/{report_id}", summary="A report with its figures")
    async def read_report(report_id: str, caller: Caller) -> dict[str, Any]:
        return report_view(await get_report(caller, report_id))

    async def file_response(caller: Caller, report_id: str, key: str) -> Response:
        report = await get_report(caller, report_id)
        meta = report["files"][key]
        try:
            content = await asyncio.to_thread((root / meta["path"]).read_bytes)
        except FileNotFoundError as exc:
            raise Conflict(f"the {meta['name']} of report {report_id} is missing from storage") from exc
        if hashlib.sha256(content).hexdigest() != meta["sha256"]:
            raise Conflict(f"the stored {meta['name']} of report {report_id} no longer matches its recorded sha256")
        return Response(content, media_type=meta["content_type"], headers={
            "Content-Disposition": f'attachment; filename="{report["kind"]}-{report["period"]}-{meta["name"]}"',
            "X-Content-SHA256": meta["sha256"]})

    @r.get("/reports/{report_id}/chart.png", summary="The report's chart (PNG)")
    async def chart(report_id: str, caller: Caller) -> Response:
        return await file_response(caller, report_id, "chart")

    @r.get("/reports/{report_id}/workbook.xlsx", summary="The report's workbook (Excel)")
    async def workbook(report_id: str, caller: Caller) -> Response:
        return await file_response(caller, report_id, "workbook")

    return r
