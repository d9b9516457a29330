"""The reports' use cases: a period's figures live from the read model, and the monthly and quarterly reports
(月报, 季报) produced from them — a PNG chart and an Excel workbook (service/render.py) stored as files, the record
with its `report.produced` in its outbox; the door kicks the relay after producing one."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chassis.calendar import due_by, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from contracts.v1 import events_pb2
from services.audit.readmodel import service as readmodel
from services.audit.readmodel.domain import readmodel as rm
from services.audit.reports.domain.figures import ReportInputs, compute_figures, jsonable
from services.audit.reports.domain.periods import Period, parse_period, report_due
from services.audit.reports.domain.settings import report_day
from services.audit.reports.domain.violations import add_violations
from services.audit.reports.service.render import render_chart, render_workbook
from services.audit.reports.store import OUTBOX, ReportStore, read_file, write_file
from services.audit.sampling import service as sampling
from services.audit.warnings import service as warnings

__all__ = ["OUTBOX"]

FILES = {"chart": ("chart.png", "image/png"),
         "workbook": ("workbook.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         # fund supervision's term report (km_term): the written report (书面情况报告)
         "written_report": ("written-report.docx",
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}
Doc = dict[str, Any]


def report_produced(tenant: str, report: Doc, carrier: dict[str, str]) -> Doc:
    """`report.produced`, in the form the outbox stores (chassis.events.new_event); operation reports too."""
    payload = events_pb2.ReportProduced(report_id=report["_id"], kind=report["kind"], period=report["period"],
                                        due_on=report["due_on"], produced_at=report["produced_at"],
                                        overdue=report["overdue"])
    return new_event("report.produced", tenant, report["_id"], payload, source="audit", trace_context=carrier)


async def store_files(root: Path, folder: str, report_id: str, contents: dict[str, bytes]) -> dict[str, Doc]:
    """The rendered files written under `<root>/<folder>/` (never half a file), with what is recorded of each."""
    files = {}
    for key, content in contents.items():
        name, ctype = FILES[key]
        relative = f"{folder}/{report_id}-{name}"
        await asyncio.to_thread(write_file, root / relative, content)
        files[key] = {"name": name, "path": relative, "sha256": hashlib.sha256(content).hexdigest(),
                      "size": len(content), "content_type": ctype}
    return files


async def stored_file(root: Path, meta: Doc, what: str, digest: str = "its recorded sha256") -> bytes:
    """A report's file as recorded; Conflict when missing or no longer matching its sha256."""
    try:
        content = await asyncio.to_thread(read_file, root / meta["path"])
    except FileNotFoundError as exc:
        raise Conflict(f"the {meta['name']} of {what} is missing from storage") from exc
    if hashlib.sha256(content).hexdigest() != meta["sha256"]:
        raise Conflict(f"the stored {meta['name']} of {what} no longer matches {digest}")
    return content


async def ensure_indexes(db: Any) -> None:
    await ReportStore(db).ensure_indexes()


async def gather(db: Any, period: Period, program: str) -> ReportInputs:
    plans = await sampling.plans(db)
    return ReportInputs(
        cases=await readmodel.all_of(db, rm.CASES), applications=await readmodel.all_of(db, rm.APPLICATIONS),
        appraisals=await readmodel.all_of(db, rm.APPRAISALS), complaints=await readmodel.all_of(db, rm.COMPLAINTS),
        benefits=await readmodel.benefits(db, period.months()),
        statements=await readmodel.statements(db, period.months()),
        payments=await readmodel.all_of(db, rm.PAYMENTS), findings=await sampling.all_findings(db),
        warnings=await warnings.warnings(db),
        plans=plans, checked=await sampling.checked_by_disease(db, [p["_id"] for p in plans]),
        callbacks=await sampling.callbacks(db),
        policy=await readmodel.policy_in_force(db, period.end, program or None),
    )


async def live_figures(db: Any, tenant: str, period_text: str) -> Doc:
    """A period's figures, live from the read model (nothing stored), amounts as strings."""
    p = parse_period(period_text)
    data = await gather(db, p, readmodel.program_code(tenant))
    return jsonable(add_violations(compute_figures(p, data, today_cn()), tenant, p, data.findings))


async def produce(db: Any, root: Path, tenant: str, by: dict[str, str], kind: str, period_text: str,
                  carrier: dict[str, str]) -> Doc:
    period = parse_period(period_text, ("month",) if kind == "monthly" else ("quarter",))
    today = today_cn()
    if period.start > today:
        raise InvalidInput(f"period {period.label} has not started yet", "period")
    # A report for a period still running is an interim one (figures so far); the final one follows its end.
    interim = period.end >= today
    program, day = readmodel.program_code(tenant), report_day(tenant)
    deadline = report_due(period, day, due_by)
    due = deadline.due
    data = await gather(db, period, program)
    figures = add_violations(compute_figures(period, data, today), tenant, period, data.findings)
    report_id = str(uuid.uuid4())
    produced_at = datetime.now(UTC).isoformat()
    meta = {"report_id": report_id, "tenant": tenant, "program": program, "kind": kind,
            "period": period.label, "due_on": due.isoformat(), "produced_at": produced_at,
            "overdue": today > due}
    names = {d["code"]: d.get("name", "") for d in (data.policy or {}).get("diseases", [])}
    title = f"{tenant} {kind} report {period.label} (due {due.isoformat()})"
    chart = await asyncio.to_thread(render_chart, figures, title, names)
    workbook = await asyncio.to_thread(render_workbook, meta, figures, names)
    files = await store_files(root, f"reports/{tenant}", report_id, {"chart": chart, "workbook": workbook})
    report = {"_id": report_id, "kind": kind, "period": period.label, "start": period.start.isoformat(),
              "end": period.end.isoformat(), **deadline.stored(), "report_day": day,
              "produced_at": produced_at, "produced_on": today.isoformat(), "overdue": today > due,
              "interim": interim, "produced_by": by, "program": program,
              "policy_version": figures["policy_version"],
              # Kept as JSON text: its maps are keyed by codes from events, not always safe field names.
              "figures_json": json.dumps(jsonable(figures), ensure_ascii=False), "files": files}
    # Files first, then the record with its event: a crash in between leaves only unreferenced files.
    await ReportStore(db).add_report(report, [report_produced(tenant, report, carrier)])
    return report


async def reports(db: Any, kind: str | None, period: str | None) -> list[Doc]:
    return await ReportStore(db).reports(kind, period)


async def get_report(db: Any, report_id: str) -> Doc:
    report = await ReportStore(db).report(report_id)
    if report is None:
        raise NotFound(f"report {report_id} not found")
    return report


async def report_file(db: Any, root: Path, report_id: str, key: str) -> tuple[Doc, Doc, bytes]:
    """(report, file meta, content) of a report's chart, workbook or written report (404 `report_file_absent` when
    the report has none of that kind)."""
    report = await get_report(db, report_id)
    meta = (report.get("files") or {}).get(key)
    if meta is None:
        raise NotFound(f"report {report_id} has no {FILES[key][0]}", code="report_file_absent")
    return report, meta, await stored_file(root, meta, f"report {report_id}")
