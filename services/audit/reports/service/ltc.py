"""Long-term care's reports (长护险报表) produced for a tenant carrying a lot: the accounting and business statistics
(`ltc_monthly`, `ltc_quarterly`, `ltc_half_yearly`, `ltc_yearly`) and the operation report
(`ltc_operation_quarterly`, `ltc_operation_half_yearly`, `ltc_operation_yearly`) — figures from the read model
(domain/ltc.py), a PNG chart and an Excel workbook (ltc_render.py), stored like the monthly and quarterly reports
with their `report.produced` in the same write; due by the program's `report_day` of the month after the period."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chassis.calendar import due_by, today_cn
from chassis.errors import InvalidInput, NotFound
from chassis.programs import program_of_tenant
from services.audit.readmodel import service as readmodel
from services.audit.readmodel.domain import readmodel as rm
from services.audit.reports.domain import ltc
from services.audit.reports.domain.figures import jsonable
from services.audit.reports.domain.periods import Period, parse_period, report_due
from services.audit.reports.domain.settings import report_day
from services.audit.reports.service import report_produced, store_files
from services.audit.reports.service.ltc_render import render_chart, render_workbook
from services.audit.reports.store import ReportStore
from services.audit.scores import service as scores

Doc = dict[str, Any]
PROGRAM = "wz-ltc"


def serves(tenant: str) -> str:
    """The long-term care program's code for a tenant carrying a lot; 404 for any other tenant."""
    program = program_of_tenant(tenant)
    if program is None or program.code != PROGRAM:
        raise NotFound("long-term care insurance is not run by this tenant")
    return program.code


async def gather(db: Any) -> ltc.LtcInputs:
    return ltc.LtcInputs(
        applications=await readmodel.all_of(db, rm.LTC_APPLICATIONS),
        assessments=await readmodel.all_of(db, rm.LTC_ASSESSMENTS),
        services=await readmodel.all_of(db, rm.LTC_SERVICES), statements=await readmodel.all_of(db, rm.LTC_STATEMENTS),
        assessment_fees=await readmodel.all_of(db, rm.LTC_ASSESSMENT_FEES),
        patrols=await readmodel.all_of(db, rm.LTC_PATROLS), surveys=await readmodel.all_of(db, rm.LTC_SURVEYS),
        interviews=await readmodel.all_of(db, rm.LTC_INTERVIEWS), scores=await scores.scores_in_force(db))


def figures_of(kind: str, period: Period, data: ltc.LtcInputs) -> dict[str, Any]:
    section, _ = ltc.KINDS[kind]
    return ltc.business_figures(period, data) if section == "business" else ltc.operation_figures(period, data)


async def produce(db: Any, root: Path, tenant: str, by: dict[str, str], kind: str, period_text: str,
                  carrier: dict[str, str]) -> Doc:
    program = serves(tenant)
    _, period_kind = ltc.KINDS[kind]
    period = parse_period(period_text, (period_kind,))  # type: ignore[arg-type]
    today = today_cn()
    if period.start > today:
        raise InvalidInput(f"period {period.label} has not started yet", "period")
    day = report_day(tenant)
    deadline = report_due(period, day, due_by)
    figures = figures_of(kind, period, await gather(db))
    report_id = str(uuid.uuid4())
    produced_at = datetime.now(UTC).isoformat()
    overdue = today > deadline.due
    meta = {"report_id": report_id, "tenant": tenant, "program": program, "kind": kind, "period": period.label,
            "due_on": deadline.due.isoformat(), "produced_at": produced_at, "overdue": overdue}
    title = f"{tenant} {kind} report {period.label} (due {deadline.due.isoformat()})"
    chart = await asyncio.to_thread(render_chart, figures, title)
    workbook = await asyncio.to_thread(render_workbook, meta, figures)
    files = await store_files(root, f"reports/{tenant}", report_id, {"chart": chart, "workbook": workbook})
    report = {"_id": report_id, "kind": kind, "period": period.label, "start": period.start.isoformat(),
              "end": period.end.isoformat(), **deadline.stored(), "report_day": day, "produced_at": produced_at,
              "produced_on": today.isoformat(), "overdue": overdue, "interim": period.end >= today,
              "produced_by": by, "program": program,
              "figures_json": json.dumps(jsonable(figures), ensure_ascii=False), "files": files}
    # Files first, then the record with its event: a crash in between leaves only unreferenced files.
    await ReportStore(db).add_report(report, [report_produced(tenant, report, carrier)])
    return report
