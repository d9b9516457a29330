"""audit's HTTP door for fund supervision's inspections (基金监管 现场检查, /v1/supervision): the institutions known,
the term's coverage plan and its live figures, double-random draws (双随机), inspections (team, method, days), the
pre-visit dossier (数据提取与筛查), the checklist, evidence files (multipart, sha256), findings, the end, the report
(调查报告) and the reports list; an institution's findings history.

The tenant comes from the token only; a tenant outside the fund-supervision program answers 404 for all of it before
its body is read. Inspectors do the work; the agency's supervisor plans and draws too, and reads; ops reads; an
institution (role `institution`, subject = its institution id) reads its own inspections' reports and findings only
— another's answers 404, as a missing one does."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr, StringConstraints
from starlette.datastructures import UploadFile

from chassis.body_limit import body_limit
from chassis.downloads import attachment
from chassis.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, admit, content_type
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.inspections import service
from services.audit.inspections.domain.inspections import ANSWERS, FILL, STATES
from services.audit.inspections.domain.settings import KINDS, METHODS

WORKERS = ("inspector",)
PLANNERS = ("inspector", "supervisor")
READERS = ("inspector", "supervisor", "ops")
INSTITUTION = "institution"
INSTITUTION_ID = r"^[A-Z0-9][A-Z0-9-]{3,31}$"
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
CODE = r"^[A-Z][0-9]{2}$"
MAX_FILES = 8

Note = Annotated[str, StringConstraints(max_length=2000)]


class TeamMemberIn(BaseModel):
    inspector_id: str = Field(pattern=ID)
    name: str = Field(default="", max_length=50)
    profession: str = Field(default="", max_length=50, description="医学 | 财会 | 信息 | …")


class InspectionIn(BaseModel):
    """An inspection (现场检查) of one institution."""

    institution_id: str = Field(pattern=INSTITUTION_ID)
    method: Literal[METHODS] = Field(description=" | ".join(METHODS))  # type: ignore[valid-type]
    team: list[TeamMemberIn] = Field(max_length=20, description="at least two inspectors (team_too_small)")
    started_on: date
    ended_on: date | None = Field(default=None, description="when already over: the report is due from it")
    draw_id: str | None = Field(default=None, pattern=ID, description="the double-random draw it carries out")
    note: Note = ""


class EndIn(BaseModel):
    ended_on: date = Field(description="调查结束: the report is due the kind's calendar days after it")


class AnswerIn(BaseModel):
    code: str = Field(max_length=10, description="a checklist item's code (H01…, P01…, D01…, I01…, A01…)")
    answer: Literal[ANSWERS] = Field(description=" | ".join(ANSWERS))  # type: ignore[valid-type]
    note: Note = ""


class ChecklistIn(BaseModel):
    answers: list[AnswerIn] = Field(default_factory=list, max_length=100)
    others: Literal[FILL] | None = Field(  # type: ignore[valid-type]
        default=None, description="fills every item still unanswered: " + " | ".join(FILL))


class FindingIn(BaseModel):
    code: str = Field(default="", max_length=10, description="the catalogue code (H01…) of the institution's kind")
    # Strict: a JSON true is no amount (lax validation would take it as 1).
    amount: StrictStr | StrictInt | StrictFloat = Field(default="0.00", description="yuan, a decimal string, at most "
                                                                                    "two decimals")
    description: str = Field(default="", max_length=4000)
    evidence_ids: list[Annotated[str, Field(pattern=ID)]] = Field(default_factory=list, max_length=50)


class FindingsIn(BaseModel):
    findings: list[FindingIn] = Field(max_length=200)


class ReportIn(BaseModel):
    summary: str = Field(min_length=1, max_length=20000, description="调查报告: the written report")
    reported_on: date | None = Field(default=None, description="default: today")


class ScheduleIn(BaseModel):
    institution_id: str = Field(pattern=INSTITUTION_ID)
    month: str = Field(pattern=MONTH, description="YYYY-MM within the term")


class PlanIn(BaseModel):
    title: str = Field(default="", max_length=200)
    term_from: date | None = Field(default=None, description="default: the program's term")
    term_to: date | None = None
    schedule: list[ScheduleIn] | None = Field(default=None, max_length=5000,
                                              description="every institution of the term once; none: spread evenly")


class DrawIn(BaseModel):
    kind: Literal[KINDS] | None = Field(default=None, description=" | ".join(KINDS))  # type: ignore[valid-type]
    institutions: int = Field(ge=1, le=1000, description="how many institutions to draw")
    institution_pool: list[Annotated[str, Field(pattern=INSTITUTION_ID)]] = Field(
        default_factory=list, max_length=5000, description="default: every institution (of the kind) in force today")
    inspectors: int = Field(ge=0, le=100, description="how many inspectors to draw (at least two)")
    inspector_pool: list[Annotated[str, Field(pattern=ID)]] = Field(max_length=1000)
    seed: str | None = Field(default=None, max_length=64, description="recorded; a random one when absent")


async def supervision(scope: Scope) -> None:
    """404 for a tenant outside the fund-supervision program, before roles, parameters or the body are looked at."""
    service.serves(scope.tenant)


def who(scope: TenantScope) -> dict[str, str]:
    return {"role": scope.role, "subject": scope.subject}


def own(scope: TenantScope) -> str | None:
    """An institution reads its own only: its id (the token's subject); staff: None."""
    return scope.subject if scope.role == INSTITUTION else None


EVIDENCE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["evidence"], "properties": {
        "evidence": {"type": "array", "items": {"type": "string", "format": "binary"},
                     "description": "PDF, PNG or JPEG, content sniffed, sha256 recorded"},
        "note": {"type": "string", "description": "what the files show"}}}}}}}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/supervision", tags=["fund supervision: inspections"],
                  dependencies=[Depends(supervision)])
    max_bytes = ctx.settings.max_upload_bytes
    upload_limit = max_bytes * MAX_FILES + 65536

    # ---- institutions ----

    @r.get("/institutions", summary="The institutions supervision knows (from the registry): kind, level, terms",
           dependencies=[admit(*READERS)])
    async def list_institutions(scope: Scope, kind: str | None = Query(default=None,
                                                                        pattern=f"^({'|'.join(KINDS)})$")
                                ) -> dict[str, Any]:
        return await service.institutions(scope.db(), kind)

    @r.get("/institutions/{institution_id}/findings", summary="An institution's findings across its inspections "
                                                              "(an institution: its own)",
           dependencies=[admit(*READERS, INSTITUTION)])
    async def findings_history(institution_id: str, scope: Scope) -> dict[str, Any]:
        mine = own(scope)
        if mine is not None and mine != institution_id:
            raise NotFound(f"institution {institution_id} not found")
        return await service.findings_history(scope.db(), institution_id)

    # ---- the coverage plan ----

    @r.post("/coverage-plans", status_code=201, summary="Write the term's coverage plan (全覆盖检查计划): every "
                                                        "institution of the term in a month; a new version",
            dependencies=[admit(*PLANNERS)])
    async def write_plan(body: PlanIn, scope: Scope) -> dict[str, Any]:
        return await service.write_plan(scope.db(), who(scope), body.model_dump())

    @r.get("/coverage-plans", summary="The coverage plan in force and its versions", dependencies=[admit(*READERS)])
    async def read_plans(scope: Scope) -> dict[str, Any]:
        return await service.plans(scope.db())

    @r.get("/coverage", summary="The term's coverage, live: every institution done or not (现场检查率100%)",
           dependencies=[admit(*READERS)])
    async def read_coverage(scope: Scope) -> dict[str, Any]:
        return await service.coverage(scope.db(), scope.tenant)

    # ---- double-random draws ----

    @r.post("/draws", status_code=201, summary="Draw institutions and inspectors at random (双随机), seed kept",
            dependencies=[admit(*PLANNERS)])
    async def make_draw(body: DrawIn, scope: Scope) -> dict[str, Any]:
        return await service.make_draw(scope.db(), who(scope), body.model_dump())

    @r.get("/draws", summary="The latest draws", dependencies=[admit(*READERS)])
    async def list_draws(scope: Scope, limit: int = Query(default=100, ge=1, le=1000)) -> dict[str, Any]:
        return await service.list_draws(scope.db(), limit)

    @r.get("/draws/{draw_id}", summary="One draw, redone from its seed and pools (`reproduced`)",
           dependencies=[admit(*READERS)])
    async def read_draw(draw_id: str, scope: Scope) -> dict[str, Any]:
        return await service.draw(scope.db(), draw_id)

    # ---- inspections ----

    @r.post("/inspections", status_code=201, summary="Record an inspection (现场检查): institution, method, team "
                                                     "(≥ 2), days",
            dependencies=[admit(*WORKERS)],
            responses={422: {"description": "a rule broken (code and field named); nothing written"}})
    async def open_inspection(body: InspectionIn, scope: Scope) -> dict[str, Any]:
        return await service.open_inspection(scope.db(), who(scope), body.model_dump())

    @r.get("/inspections", summary="Inspections (filters: institution, state, overdue)",
           dependencies=[admit(*READERS)])
    async def list_inspections(scope: Scope,
                               institution_id: str | None = Query(default=None, pattern=INSTITUTION_ID),
                               state: str | None = Query(default=None, pattern=f"^({'|'.join(STATES)})$"),
                               overdue: bool | None = None,
                               limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        return await service.list_inspections(scope.db(), institution_id, state, overdue, limit)

    @r.get("/inspections/{inspection_id}", summary="One inspection: team, days, due day and overdue, checklist, "
                                                   "evidence, findings, report",
           dependencies=[admit(*READERS)])
    async def read_inspection(inspection_id: str, scope: Scope) -> dict[str, Any]:
        return await service.inspection(scope.db(), inspection_id)

    @r.post("/inspections/{inspection_id}/dossier", status_code=201,
            summary="Build the pre-visit dossier (数据提取与筛查): smart-review hits and anomaly warnings",
            dependencies=[admit(*WORKERS)])
    async def make_dossier(inspection_id: str, scope: Scope) -> dict[str, Any]:
        return await service.make_dossier(scope.db(), inspection_id)

    @r.get("/inspections/{inspection_id}/dossier", summary="The dossier as built", dependencies=[admit(*READERS)])
    async def read_dossier(inspection_id: str, scope: Scope) -> dict[str, Any]:
        return await service.dossier(scope.db(), inspection_id)

    @r.get("/inspections/{inspection_id}/checklist", summary="The checklist of the institution's kind, answered "
                                                             "so far", dependencies=[admit(*READERS)])
    async def read_checklist(inspection_id: str, scope: Scope) -> dict[str, Any]:
        return await service.checklist(scope.db(), inspection_id)

    @r.post("/inspections/{inspection_id}/checklist", summary="Answer checklist items (checked | finding | "
                                                              "not_applicable); `others` fills the rest",
            dependencies=[admit(*WORKERS)])
    async def answer_checklist(inspection_id: str, body: ChecklistIn, scope: Scope) -> dict[str, Any]:
        return await service.answer_checklist(scope.db(), who(scope), inspection_id,
                                              [a.model_dump() for a in body.answers], body.others)

    @r.post("/inspections/{inspection_id}/evidence", status_code=201,
            summary="Upload evidence files (证据材料): `evidence` files and a `note`, multipart",
            dependencies=[admit(*WORKERS)], openapi_extra=body_limit(upload_limit, EVIDENCE_BODY))
    async def add_evidence(inspection_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        await service.require_inspection(scope.db(), inspection_id)  # 404 before the body is read
        if content_type(request) != "multipart/form-data":
            raise UnsupportedMediaType("send multipart/form-data: `evidence` files and a `note`", "content-type")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > upload_limit:
            raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
        form = await request.form(max_files=MAX_FILES, max_part_size=max_bytes + 1)
        files, note = [], ""
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files.append({"field": name, "filename": value.filename, "content_type": value.content_type or "",
                              "content": await value.read()})
            elif name == "note":
                note = value[:2000]
            else:
                files.append({"field": name, "is_file": False})
        return await service.add_evidence(scope.db(), who(scope), inspection_id, files, note, max_bytes)

    @r.get("/inspections/{inspection_id}/evidence/{evidence_id}", summary="An evidence file's bytes",
           dependencies=[admit(*READERS)])
    async def download_evidence(inspection_id: str, evidence_id: str, scope: Scope) -> Any:
        content, media, sha = await service.evidence_file(scope.db(), inspection_id, evidence_id)
        return attachment(content, media, f"{inspection_id}-{evidence_id}", {"X-Content-SHA256": sha})

    @r.post("/inspections/{inspection_id}/findings", status_code=201,
            summary="Record findings: catalogue code of the institution's kind, amount, description",
            dependencies=[admit(*WORKERS)])
    async def add_findings(inspection_id: str, body: FindingsIn, scope: Scope) -> dict[str, Any]:
        return await service.add_findings(scope.db(), who(scope), inspection_id,
                                          [f.model_dump() for f in body.findings])

    @r.post("/inspections/{inspection_id}/end", summary="End the inspection (调查结束): its report falls due",
            dependencies=[admit(*WORKERS)])
    async def end(inspection_id: str, body: EndIn, scope: Scope) -> dict[str, Any]:
        return await service.end(scope.db(), inspection_id, body.ended_on)

    @r.post("/inspections/{inspection_id}/report", status_code=201,
            summary="File the report (调查报告): only after the inspection ended; inspection.reported",
            dependencies=[admit(*WORKERS)],
            responses={409: {"description": "inspection_not_ended, or reported already"}})
    async def file_report(inspection_id: str, body: ReportIn, scope: Scope) -> dict[str, Any]:
        view = await service.file_report(scope.db(), scope.tenant, who(scope), inspection_id, body.summary,
                                         body.reported_on, current_carrier())
        ctx.relay.kick()
        return view

    @r.get("/inspections/{inspection_id}/report", summary="The report (an institution: its own inspections' only)",
           dependencies=[admit(*READERS, INSTITUTION)])
    async def read_report(inspection_id: str, scope: Scope) -> dict[str, Any]:
        return await service.report(scope.db(), inspection_id, own(scope))

    @r.get("/reports", summary="Filed reports (an institution: its own only)",
           dependencies=[admit(*READERS, INSTITUTION)])
    async def list_reports(scope: Scope, institution_id: str | None = Query(default=None, pattern=INSTITUTION_ID),
                           limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        mine = own(scope)
        if mine is not None and institution_id not in (None, mine):
            return {"reports": [], "count": 0}
        return await service.reports(scope.db(), mine or institution_id, limit)

    return r
