"""audit's HTTP door for fund operation reports (基金运行分析): monthly, quarterly and yearly figures of what the
fund paid and how the year's budget is burning, with a PNG chart and an Excel workbook stored under
`<data_dir>/operation-reports/<tenant>/`, and `report.produced` (kind `operation-monthly|quarterly|yearly`).

Scope: a carrier's staff get their own tenant's figures. An agency supervisor (role supervisor, token claim
`program` naming the program of its token's tenant) gets the program's report over every tenant of the program
this deployment serves, per tenant and in total; it is stored in the supervisor's token tenant's database with
`scope: program`, is readable by any supervisor of that program whose readable tenants cover it, and never by a
carrier's staff (it holds other carriers' figures)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from chassis.calendar import deadline_view, due_by, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.programs import PROGRAMS_DIR, Program, program_of_tenant, readable_tenants
from chassis.telemetry import current_carrier
from services.audit import emit
from services.audit.domain.operations import (
    Budget,
    OperationInputs,
    as_json,
    chronic_budget,
    chronic_spends,
    combine,
    critical_budget,
    critical_spends,
    operation_deadline_day,
    year_to_date_months,
)
from services.audit.domain.periods import Period, parse_period
from services.audit.operations_store import OperationsStore
from services.audit.program import audit_settings
from services.audit.render_operations import render_operation_chart, render_operation_workbook

READERS = ("inspector", "supervisor", "ops", "finance")
PRODUCERS = ("inspector", "ops", "finance", "supervisor")
KINDS = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}
FILES = {"chart": ("chart.png", "image/png"),
         "workbook": ("workbook.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


class OperationReportIn(BaseModel):
    kind: Literal["monthly", "quarterly", "yearly"]
    period: str = Field(description="2025-06 (monthly), 2025-Q2 (quarterly) or 2025 (yearly)")


@cache
def settings_digest(code: str) -> str:
    """The program file the budget and deadlines were read from, by content (its 'settings version')."""
    path = PROGRAMS_DIR / code / "program.yaml"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def tenant_budget(program: Program | None, tenant: str, year: int) -> Budget:
    """门诊慢特病: `finance.annual_budget` × share; 大病保险: `finance.premium` × `finance.insured_persons` × share."""
    if program is None:
        return Budget(year, None, (f"{tenant} serves no program defined in programs/",))
    share = program.share_of(tenant)
    if program.setting("finance", "annual_budget") is not None:
        return chronic_budget(program.setting("finance", "annual_budget"), year, share, tenant, program.code)
    insured = program.setting("finance", "insured_persons")
    return critical_budget(program.setting("finance", "premium"), int(insured) if insured else None, year, share,
                           tenant, program.code)


async def gather(ctx: ServiceContext, tenant: str, period: Period) -> OperationInputs:
    """One tenant's material: the spends of the year up to the period's end, its ledger, reviews, closed years."""
    s = OperationsStore(ctx.db(tenant))
    months = year_to_date_months(period)
    benefits = await s.benefits(months)
    cases = await s.cases(sorted({b["person_id"] for b in benefits if b.get("person_id")}))
    program = program_of_tenant(tenant)
    return OperationInputs(
        tenant=tenant, program=program.code if program else "",
        budget=tenant_budget(program, tenant, period.start.year),
        spends=chronic_spends(tenant, benefits, cases) + critical_spends(tenant, await s.ci_claims(months)),
        ledger=await s.ledger(period.start.year),
        reviews=await s.ci_reviews(period.start.isoformat(), period.end.isoformat()),
        fund_years=await s.fund_years(period.start.year))


def reach(ctx: ServiceContext, caller: Caller) -> tuple[str, str, tuple[str, ...]]:
    """(scope, program, tenants) the caller's reports cover: `program` for an agency supervisor of its token
    tenant's program, else `tenant` (its own tenant only)."""
    own = program_of_tenant(caller.tenant)
    code = own.code if own else ""
    if caller.role == "supervisor" and caller.program and caller.program == code:
        return "program", code, readable_tenants(caller.tenant, caller.role, caller.program, ctx.settings.tenants)
    return "tenant", code, (caller.tenant,)


def visible(report: dict[str, Any], scope: str, program: str, tenants: tuple[str, ...], stored_in: str,
            caller_tenant: str) -> bool:
    if report.get("scope") == "program":
        return scope == "program" and report.get("program") == program and set(report.get("tenants", ())) <= set(
            tenants)
    return stored_in == caller_tenant or (scope == "program" and stored_in in tenants)


def operation_view(r: dict[str, Any], stored_in: str) -> dict[str, Any]:
    keys = ("kind", "period", "start", "end", "scope", "program", "tenants", "due_on", "produced_at", "produced_on",
            "overdue", "interim", "produced_by", "settings")
    view = {"report_id": r["_id"], "stored_in": stored_in, **{k: r.get(k) for k in keys}, "deadline": deadline_view(r),
            "files": {name: {k: f[k] for k in ("name", "sha256", "size", "content_type")}
                      for name, f in r.get("files", {}).items()}}
    if "figures_json" in r:
        view["figures"] = json.loads(r["figures_json"])
    return view


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(content)
    os.replace(tmp, path)  # readers never see half a file


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["fund operation reports"])
    root = Path(ctx.settings.data_dir)

    @r.post("/operation-reports", status_code=201,
            summary="Produce a fund operation report (基金运行分析): spending, per capita, budget burn")
    async def produce(body: OperationReportIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *PRODUCERS)
        period = parse_period(body.period, (KINDS[body.kind],))  # type: ignore[arg-type]
        today = today_cn()
        if period.start > today:
            raise InvalidInput(f"period {period.label} has not started yet", "period")
        scope, code, tenants = reach(ctx, caller)
        settings = audit_settings(caller.tenant)
        program = program_of_tenant(caller.tenant)
        yearly_day = program.setting("audit", "operation_yearly_day") if program else None
        deadline = due_by(operation_deadline_day(
            period, settings.report_day, int(program.setting("audit", "operation_yearly_month", 1)) if program else 1,
            int(yearly_day) if yearly_day is not None else None))
        due = deadline.due
        parts = [await gather(ctx, t, period) for t in tenants]
        figures = combine(period, code, parts, scope)
        report_id = str(uuid.uuid4())
        produced_at = datetime.now(UTC).isoformat()
        settings_ref = f"programs/{code}/program.yaml sha256:{settings_digest(code)}" if code else ""
        meta = {"report_id": report_id, "kind": body.kind, "due_on": due.isoformat(), "produced_at": produced_at,
                "overdue": today > due, "interim": period.end >= today, "settings": settings_ref}
        title = f"{code or caller.tenant} fund operation {body.kind} {period.label} ({scope}: " \
                f"{', '.join(tenants)}; due {due.isoformat()})"
        chart = await asyncio.to_thread(render_operation_chart, figures, title)
        workbook = await asyncio.to_thread(render_operation_workbook, meta, figures)
        files = {}
        for key, content in (("chart", chart), ("workbook", workbook)):
            name, ctype = FILES[key]
            relative = f"operation-reports/{caller.tenant}/{report_id}-{name}"
            await asyncio.to_thread(_write, root / relative, content)
            files[key] = {"name": name, "path": relative, "sha256": hashlib.sha256(content).hexdigest(),
                          "size": len(content), "content_type": ctype}
        report = {"_id": report_id, "kind": body.kind, "period": period.label, "start": period.start.isoformat(),
                  "end": period.end.isoformat(), "scope": scope, "program": code, "tenants": list(tenants),
                  **deadline.stored(), "produced_at": produced_at, "produced_on": today.isoformat(),
                  "overdue": today > due, "interim": period.end >= today,
                  "produced_by": {"role": caller.role, "subject": caller.subject}, "settings": settings_ref,
                  # JSON text: its maps are keyed by codes from events, not always safe field names.
                  "figures_json": json.dumps(as_json(figures), ensure_ascii=False), "files": files}
        event = emit.report_produced(caller.tenant, {**report, "kind": f"operation-{body.kind}"}, current_carrier())
        # Files first, then the record with its event: a crash in between leaves only unreferenced files.
        await OperationsStore(ctx.db(caller.tenant)).add_report(report, [event])
        ctx.relay.kick()
        return operation_view(report, caller.tenant)

    @r.get("/operation-reports", summary="Operation reports the caller may read, oldest first (without figures)")
    async def list_reports(caller: Caller,
                           kind: str | None = Query(default=None, pattern="^(monthly|quarterly|yearly)$"),
                           period: str | None = None) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        scope, code, tenants = reach(ctx, caller)
        out = []
        for t in tenants:
            for x in await OperationsStore(ctx.db(t)).reports(kind, period):
                if visible(x, scope, code, tenants, t, caller.tenant):
                    out.append(operation_view(x, t))
        return sorted(out, key=lambda v: v["produced_at"] or "")

    async def find(caller: Caller, report_id: str) -> tuple[dict[str, Any], str]:
        require_role(caller, *READERS)
        scope, code, tenants = reach(ctx, caller)
        for t in tenants:
            report = await OperationsStore(ctx.db(t)).report(report_id)
            if report is not None and visible(report, scope, code, tenants, t, caller.tenant):
                return report, t
        raise NotFound(f"operation report {report_id} not found")

    @r.get("/operation-reports/{report_id}", summary="An operation report with its figures")
    async def read_report(report_id: str, caller: Caller) -> dict[str, Any]:
        report, stored_in = await find(caller, report_id)
        return operation_view(report, stored_in)

    @r.get("/operation-reports/{report_id}/files/{name}", summary="The report's chart (PNG) or workbook (Excel)")
    async def file(report_id: str, name: Literal["chart", "workbook"], caller: Caller) -> Response:
        report, _ = await find(caller, report_id)
        meta = report["files"][name]
        try:
            content = await asyncio.to_thread((root / meta["path"]).read_bytes)
        except FileNotFoundError as exc:
            raise Conflict(f"the {meta['name']} of operation report {report_id} is missing from storage") from exc
        if hashlib.sha256(content).hexdigest() != meta["sha256"]:
            raise Conflict(f"the stored {meta['name']} of operation report {report_id} no longer matches its sha256")
        return Response(content, media_type=meta["content_type"], headers={
            "Content-Disposition": f'attachment; filename="operation-{report["kind"]}-{report["period"]}-'
                                   f'{meta["name"]}"', "X-Content-SHA256": meta["sha256"]})

    return r

