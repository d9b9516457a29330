"""Fund operation reports' use cases (基金运行分析): gather each tenant's material from the read model, compute
the figures, render the chart and workbook (service/render.py), store the files and the record with its
`report.produced` (kind `operation-monthly|quarterly|yearly`); list and read them within the caller's reach.

Scope: a carrier's staff get their own tenant's figures. An agency supervisor (role supervisor, token claim
`program` naming the program of its token's tenant) gets the program's report over every tenant of the program
this deployment serves, per tenant and in total; it is stored in the supervisor's token tenant's database with
`scope: program`, is readable by any supervisor of that program whose readable tenants cover it, and never by a
carrier's staff (it holds other carriers' figures)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from chassis.calendar import due_by, today_cn
from chassis.errors import InvalidInput, NotFound
from chassis.programs import PROGRAMS_DIR, program_of_tenant
from services.audit.operations.domain.operations import (
    OperationInputs,
    as_json,
    chronic_spends,
    combine,
    critical_spends,
    operation_deadline_day,
    year_to_date_months,
)
from services.audit.operations.domain.settings import tenant_budget, yearly_due
from services.audit.operations.service.render import render_operation_chart, render_operation_workbook
from services.audit.operations.store import OUTBOX, OperationsStore
from services.audit.readmodel import service as readmodel
from services.audit.reports import service as reports
from services.audit.reports.domain.periods import Period, parse_period
from services.audit.reports.domain.settings import report_day

__all__ = ["OUTBOX"]

KINDS = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}
Doc = dict[str, Any]
OpenDb = Callable[[str], Any]


@cache
def settings_digest(code: str) -> str:
    """The program file the budget and deadlines were read from, by content (its 'settings version')."""
    path = PROGRAMS_DIR / code / "program.yaml"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


async def ensure_indexes(db: Any) -> None:
    await OperationsStore(db).ensure_indexes()


async def gather(db: Any, tenant: str, period: Period) -> OperationInputs:
    """One tenant's material: the spends of the year up to the period's end, its ledger, reviews, closed years."""
    months = year_to_date_months(period)
    benefits = await readmodel.benefits(db, months)
    cases = await readmodel.cases_of(db, sorted({b["person_id"] for b in benefits if b.get("person_id")}))
    program = program_of_tenant(tenant)
    return OperationInputs(
        tenant=tenant, program=program.code if program else "",
        budget=tenant_budget(program, tenant, period.start.year),
        spends=chronic_spends(tenant, benefits, cases) + critical_spends(tenant, await readmodel.ci_claims(db, months)),
        ledger=await readmodel.ledger(db, period.start.year),
        reviews=await readmodel.ci_reviews(db, period.start.isoformat(), period.end.isoformat()),
        fund_years=await readmodel.fund_years(db, period.start.year))


def reach(tenant: str, role: str, program_claim: str, readable: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
    """(scope, program, tenants) the caller's reports cover: `program` for an agency supervisor of its token
    tenant's program (the tenants it may read), else `tenant` (its own tenant only)."""
    code = readmodel.program_code(tenant)
    if role == "supervisor" and program_claim and program_claim == code:
        return "program", code, readable
    return "tenant", code, (tenant,)


def visible(report: Doc, scope: str, program: str, tenants: tuple[str, ...], stored_in: str,
            caller_tenant: str) -> bool:
    if report.get("scope") == "program":
        return scope == "program" and report.get("program") == program and set(report.get("tenants", ())) <= set(
            tenants)
    return stored_in == caller_tenant or (scope == "program" and stored_in in tenants)


async def produce(open_db: OpenDb, root: Path, reach_of: tuple[str, str, tuple[str, ...]], tenant: str,
                  by: dict[str, str], kind: str, period_text: str, carrier: dict[str, str]) -> Doc:
    """The report over the caller's reach, stored in the caller's tenant's database."""
    period = parse_period(period_text, (KINDS[kind],))  # type: ignore[arg-type]
    today = today_cn()
    if period.start > today:
        raise InvalidInput(f"period {period.label} has not started yet", "period")
    scope, code, tenants = reach_of
    yearly_month, yearly_day = yearly_due(tenant)
    deadline = due_by(operation_deadline_day(period, report_day(tenant), yearly_month, yearly_day))
    due = deadline.due
    parts = [await gather(open_db(t), t, period) for t in tenants]
    figures = combine(period, code, parts, scope)
    report_id = str(uuid.uuid4())
    produced_at = datetime.now(UTC).isoformat()
    settings_ref = f"programs/{code}/program.yaml sha256:{settings_digest(code)}" if code else ""
    meta = {"report_id": report_id, "kind": kind, "due_on": due.isoformat(), "produced_at": produced_at,
            "overdue": today > due, "interim": period.end >= today, "settings": settings_ref}
    title = f"{code or tenant} fund operation {kind} {period.label} ({scope}: " \
            f"{', '.join(tenants)}; due {due.isoformat()})"
    chart = await asyncio.to_thread(render_operation_chart, figures, title)
    workbook = await asyncio.to_thread(render_operation_workbook, meta, figures)
    files = await reports.store_files(root, f"operation-reports/{tenant}", report_id,
                                      {"chart": chart, "workbook": workbook})
    report = {"_id": report_id, "kind": kind, "period": period.label, "start": period.start.isoformat(),
              "end": period.end.isoformat(), "scope": scope, "program": code, "tenants": list(tenants),
              **deadline.stored(), "produced_at": produced_at, "produced_on": today.isoformat(),
              "overdue": today > due, "interim": period.end >= today, "produced_by": by, "settings": settings_ref,
              # JSON text: its maps are keyed by codes from events, not always safe field names.
              "figures_json": json.dumps(as_json(figures), ensure_ascii=False), "files": files}
    event = reports.report_produced(tenant, {**report, "kind": f"operation-{kind}"}, carrier)
    # Files first, then the record with its event: a crash in between leaves only unreferenced files.
    await OperationsStore(open_db(tenant)).add_report(report, [event])
    return report


async def visible_reports(open_db: OpenDb, reach_of: tuple[str, str, tuple[str, ...]], tenant: str,
                          kind: str | None, period: str | None) -> list[tuple[Doc, str]]:
    """(report, the tenant whose database holds it) the caller may read, oldest first."""
    scope, code, tenants = reach_of
    out = []
    for t in tenants:
        for x in await OperationsStore(open_db(t)).reports(kind, period):
            if visible(x, scope, code, tenants, t, tenant):
                out.append((x, t))
    return sorted(out, key=lambda pair: pair[0].get("produced_at") or "")


async def find(open_db: OpenDb, reach_of: tuple[str, str, tuple[str, ...]], tenant: str, report_id: str
               ) -> tuple[Doc, str]:
    scope, code, tenants = reach_of
    for t in tenants:
        report = await OperationsStore(open_db(t)).report(report_id)
        if report is not None and visible(report, scope, code, tenants, t, tenant):
            return report, t
    raise NotFound(f"operation report {report_id} not found")


async def report_file(open_db: OpenDb, root: Path, reach_of: tuple[str, str, tuple[str, ...]], tenant: str,
                      report_id: str, name: str) -> tuple[Doc, Doc, bytes]:
    report, _ = await find(open_db, reach_of, tenant, report_id)
    meta = report["files"][name]
    return report, meta, await reports.stored_file(root, meta, f"operation report {report_id}", "its sha256")
