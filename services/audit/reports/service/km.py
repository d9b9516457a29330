"""Fund supervision's reports (基金监管报告) for the carrier of program km-supervision (tenant km-sv; any other: 404):

- `km_inspection` (period = the inspection's id): one inspection's report pack, due when its report (调查报告) is — the
  kind's calendar days after the inspection ended (hospital 3, pharmacy 1, the agency 3); produced once the inspection
  has ended (an interim pack until its report is filed);
- `km_monthly` (period = YYYY-MM, a month of the term): the month's supervision, due by the program's `report_day` of
  the next month (programs/km-supervision/program.yaml `audit.report_day`: 10, "10日前", the last working day on or
  before it — the tender sets no monthly deadline: a choice, as every program's monthly report);
- `km_term` (period = `term`, the term in force: the current coverage plan's, else the program's): the term's
  figures, the written report (书面情况报告, a Word document) and the summary of every inspection's materials with their
  checksums (检查情况资料汇总) — what the acceptance asks for (tender 三(三)); due on the term's last day (三(一)).

Figures (domain/km.py) from the supervision rooms' own read functions (inspections, record sampling, smart review,
cases, the agency's audit, credit, trainings — never their stores), a PNG chart, an Excel workbook (and for the term
the .docx) stored under `<data_dir>/reports/<tenant>/` with their sha256, and `report.produced` in the same write as
the record, like every report. `overdue` means what it means on every report: produced after its due day."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from chassis.calendar import due_by, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.programs import program_of_tenant
from services.audit.agency_audit import service as agency_audit
from services.audit.cases import service as cases
from services.audit.credit import service as credit
from services.audit.inspections import service as inspections
from services.audit.record_sampling import service as record_sampling
from services.audit.reports.domain import km
from services.audit.reports.domain.figures import jsonable
from services.audit.reports.domain.periods import parse_period, report_due
from services.audit.reports.domain.settings import report_day
from services.audit.reports.service import report_produced, store_files
from services.audit.reports.service.km_render import render_chart, render_workbook, render_written_report
from services.audit.reports.store import ReportStore
from services.audit.smart_review import service as smart_review
from services.audit.trainings import service as trainings

Doc = dict[str, Any]
ALL = 1_000_000          # "every one" for the rooms' listings that take a limit
HITS_PAGE = 1000
TERM = "term"
CALENDAR_DAYS = "calendar days (tender 二(一)1(3): 调查结束后三日内 / 次日)"
TERM_END = "the term's last day (tender 三(一): 2024年11月20日前各项工作任务完成)"


def serves(tenant: str) -> str:
    """The fund-supervision program's code for its carrier; 404 for any other tenant."""
    program = program_of_tenant(tenant)
    if program is None or program.code != km.PROGRAM:
        raise NotFound("fund supervision is not run by this tenant")
    return program.code


async def km_settings(db: Any) -> km.KmSettings:
    s, catalogue = inspections.settings(), inspections.catalogue()
    try:
        plan = (await inspections.plans(db))["current"]
        term_from, term_to = date.fromisoformat(plan["term_from"]), date.fromisoformat(plan["term_to"])
    except NotFound:  # no coverage plan written: the program's term
        term_from, term_to = s.term_from, s.term_to
    return km.KmSettings(term_from=term_from, term_to=term_to, tender_counts=dict(s.institutions),
                         problem_rate_expected=s.problem_rate_expected, sampling_rate=s.sampling_rate,
                         trainings_required=s.trainings, trips_required=dict(s.flight_inspection_trips),
                         catalogue={code: (i.name, i.group) for code, i in catalogue.items.items()},
                         catalogue_version=catalogue.version)


async def _hits(db: Any) -> list[Doc]:
    """Every smart-review hit of the tenant, page by page, kept to what the figures count (no lines, no notes)."""
    out: list[Doc] = []
    after: str | None = None
    while True:
        page = await smart_review.hits(db, {}, after, HITS_PAGE)
        for h in page["hits"]:
            decision = h.get("decision") or {}
            out.append({"hit_id": h["hit_id"], "rule": h["rule"], "state": h["state"], "amount": h["amount"],
                        "found_at": h.get("found_at"),
                        "decision": {"decision": decision.get("decision"), "at": decision.get("at")}})
        after = page.get("next_after")
        if not after:
            return out


async def _optional(call: Any) -> Doc | None:
    try:
        return await call
    except NotFound:
        return None


async def _materials(db: Any, rows: list[Doc], samples: list[Doc], settings: km.KmSettings) -> list[Doc]:
    """Each inspection of the term with its materials' checksums (the dossier and the filed report as records:
    canonical sha256; evidence, report packs and sample populations: their recorded sha256)."""
    packs: dict[str, list[Doc]] = {}
    for p in await ReportStore(db).reports("km_inspection", None):
        packs.setdefault(p["period"], []).append(
            {"report_id": p["_id"], "produced_on": p.get("produced_on"),
             "files": {k: {"sha256": f["sha256"], "size": f["size"]} for k, f in (p.get("files") or {}).items()}})
    out = []
    for row in rows:
        started, ended = date.fromisoformat(row["started_on"]), row.get("ended_on")
        if started > settings.term_to or (ended and date.fromisoformat(ended) < settings.term_from):
            continue
        iid = row["inspection_id"]
        whole = await inspections.inspection(db, iid)
        dossier = await _optional(inspections.dossier(db, iid))
        filed = await _optional(inspections.report(db, iid, None))
        out.append({"inspection_id": iid, "institution_id": row["institution_id"],
                    "institution_kind": row["institution_kind"], "method": row["method"], "ended_on": ended,
                    "state": row["state"],
                    "dossier": {"built_on": dossier.get("built_on"), "sha256": km.canonical_sha256(dossier)}
                    if dossier else None,
                    "evidence": whole.get("evidence") or [],
                    "report": {"reported_on": filed.get("reported_on"), "sha256": km.canonical_sha256(filed)}
                    if filed else None,
                    "packs": packs.get(iid, []), "samples": [s for s in samples if s.get("inspection_id") == iid]})
    return out


async def gather(db: Any, settings: km.KmSettings, with_materials: bool) -> km.KmInputs:
    rows = (await inspections.list_inspections(db, None, None, None, ALL))["inspections"]
    samples = (await record_sampling.samples(db, None, ALL))["samples"]
    return km.KmInputs(
        institutions=(await inspections.institutions(db, None))["institutions"], inspections=rows, samples=samples,
        hits=await _hits(db), leads=await cases.leads(db, None, None, None, ALL),
        cases=await cases.cases(db, None, None, None, ALL), agency_audits=await agency_audit.audits(db, None, ALL),
        evaluations=await credit.evaluations(db, "supervisor", "reports", None, None, "approved", ALL),
        trainings=await trainings.trainings(db),
        materials=await _materials(db, rows, samples, settings) if with_materials else [])


async def _inspection_pack(db: Any, inspection_id: str, settings: km.KmSettings, today: date) -> Doc:
    try:
        ins = await inspections.inspection(db, inspection_id)
    except NotFound:
        raise InvalidInput(f"no inspection {inspection_id} (the period of a km_inspection report is the inspection's "
                           "id)", "period", code="unknown_inspection") from None
    if not ins.get("ended_on") or not ins.get("due_on"):
        raise Conflict(f"inspection {inspection_id} has not ended: its report has no due day yet", "period",
                       code="inspection_not_ended")
    samples = [s for s in (await record_sampling.samples(db, ins["institution_id"], ALL))["samples"]
               if s.get("inspection_id") == inspection_id]
    tied = [c for c in await cases.cases(db, None, ins["institution_id"], None, ALL)
            if c.get("inspection_id") == inspection_id]
    return km.inspection_figures(ins, await _optional(inspections.dossier(db, inspection_id)),
                                 await _optional(inspections.report(db, inspection_id, None)), samples, tied,
                                 settings, today)


def _term(settings: km.KmSettings) -> km.Window:
    return km.Window(f"{settings.term_from.isoformat()}/{settings.term_to.isoformat()}", settings.term_from,
                     settings.term_to)


async def produce(db: Any, root: Path, tenant: str, by: dict[str, str], kind: str, period_text: str,
                  carrier: dict[str, str]) -> Doc:
    program = serves(tenant)
    today = today_cn()
    settings = await km_settings(db)
    extra: Doc = {}
    if kind == "km_inspection":
        figures = await _inspection_pack(db, period_text.strip(), settings, today)
        label, start, end = figures["inspection_id"], figures["started_on"], figures["ended_on"]
        deadline: Doc = {"due_on": figures["report"]["due_on"], "due_provisional": False,
                         "due_calendar": CALENDAR_DAYS}
        interim = not figures["report"]["filed"]
        extra = {"inspection_id": label, "institution_id": figures["institution_id"]}
    elif kind == "km_monthly":
        period = parse_period(period_text, ("month",))
        if period.start > today:
            raise InvalidInput(f"period {period.label} has not started yet", "period")
        if period.end < settings.term_from or period.start > settings.term_to:
            raise InvalidInput(f"{period.label} lies outside the supervision term ({settings.term_from} – "
                               f"{settings.term_to})", "period", code="period_outside_term",
                               params={"term_from": settings.term_from.isoformat(),
                                       "term_to": settings.term_to.isoformat()})
        window = km.Window(period.label, period.start, period.end)
        day = report_day(tenant)
        deadline = report_due(period, day, due_by).stored()
        extra = {"report_day": day}
        figures = km.period_figures(kind, window, await gather(db, settings, False), settings, today)
        label, start, end, interim = window.label, window.start.isoformat(), window.end.isoformat(), window.end >= today
    else:
        window = _term(settings)
        if period_text.strip() not in (TERM, window.label):
            raise InvalidInput(f"the period of a km_term report is {TERM!r} (the term in force, {window.label})",
                               "period")
        if window.start > today:
            raise InvalidInput(f"the term {window.label} has not started yet", "period")
        deadline = {"due_on": window.end.isoformat(), "due_provisional": False, "due_calendar": TERM_END}
        figures = km.period_figures(kind, window, await gather(db, settings, True), settings, today)
        label, start, end, interim = window.label, window.start.isoformat(), window.end.isoformat(), window.end >= today
    report_id = str(uuid.uuid4())
    produced_at = datetime.now(UTC).isoformat()
    overdue = today > date.fromisoformat(deadline["due_on"])
    meta = {"report_id": report_id, "tenant": tenant, "program": program, "kind": kind, "period": label,
            "due_on": deadline["due_on"], "produced_at": produced_at, "overdue": overdue, "interim": interim}
    title = f"{tenant} {kind} {label} (due {deadline['due_on']})"
    contents = {"chart": await asyncio.to_thread(render_chart, figures, title),
                "workbook": await asyncio.to_thread(render_workbook, meta, figures)}
    if kind == "km_term":  # 书面情况报告, naming the workbook that carries the materials' list
        contents["written_report"] = await asyncio.to_thread(render_written_report, meta, figures,
                                                             contents["workbook"])
    files = await store_files(root, f"reports/{tenant}", report_id, contents)
    report = {"_id": report_id, "kind": kind, "period": label, "start": start, "end": end, **deadline, **extra,
              "produced_at": produced_at, "produced_on": today.isoformat(), "overdue": overdue, "interim": interim,
              "produced_by": by, "program": program, "policy_version": settings.catalogue_version,
              "figures_json": json.dumps(jsonable(figures), ensure_ascii=False), "files": files}
    # Files first, then the record with its event: a crash in between leaves only unreferenced files.
    await ReportStore(db).add_report(report, [report_produced(tenant, report, carrier)])
    return report
