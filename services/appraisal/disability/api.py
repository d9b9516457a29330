"""The disability room's HTTP door (/v1/ltc, 失能等级评定): the assessor pool, the assessments and their draws, the
on-site visit with its evidence, the pair's scores and the conclusion, its notice, objections and periodic
re-checks. Every route answers 404 to a tenant whose program assesses no disability, before anything else is read."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from chassis.body_limit import body_limit
from chassis.calendar import today_cn
from chassis.downloads import attachment
from chassis.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, content_type, read_body, read_json, read_raw
from chassis.scope import TenantScope
from services.appraisal.disability.domain.scale import scale_view
from services.appraisal.disability.domain.visit import MAX_EVIDENCE
from services.appraisal.disability.service import assessments, assessors, conclusions, migration, rechecks, visits
from services.appraisal.disability.service.common import scale_of, serves

STAFF_READERS = ("clerk", "reviewer", "supervisor", "ops")
POOL_READERS = ("clerk", "reviewer", "supervisor", "ops", "inspector")
EVIDENCE_READERS = ("expert", "clerk", "reviewer", "supervisor")
NOTICE_READERS = ("applicant", "expert", "clerk", "reviewer", "supervisor", "ops")
POOL_LIMIT = 2 * 1024 * 1024
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
PERSON = r"^\d{17}[\dXx]$"
VISIT_FIELD_LIMIT = 64 * 1024
MAX_MIGRATED = 1000


class VisitIn(BaseModel):
    """评定信息采集过程记录: when and where the pair visited, who was there (e.g. family, caregiver), their notes."""

    model_config = ConfigDict(extra="forbid")
    visited_on: date
    place: str = Field(min_length=1, max_length=200)
    present: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=10,
        description="who was there besides the pair and the person: family, caregiver, …")
    notes: str = Field(default="", max_length=4000)


class ScoresIn(BaseModel):
    """Both assessors of the drawn pair and every item of the program's scale (programs/wz-ltc/assessment-*.yaml:
    adl 10 items, cognition 4, perception 3), each one of the item's allowed scores."""

    assessors: list[str] = Field(description="the two assessor ids of the drawn pair")
    items: dict[str, int] = Field(description="item code → score, e.g. {\"eating\": 5, \"time\": 2, …}")
    disabled_since: date | None = Field(default=None, description="since when the person is disabled, if the "
                                                                  "assessors establish it (else the application's)")


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class MigratedConclusionIn(BaseModel):
    """A conclusion made before the platform (既往失能等级评定结论), as the system it was kept in has it."""

    model_config = ConfigDict(extra="forbid")
    source_id: str = Field(pattern=ID, description="the conclusion's id in the system it comes from")
    person_id: str = Field(pattern=PERSON, description="the person's 18-character identity number")
    district: str = Field(pattern=r"^\d{6}$", description="division code of the person's district (one of the "
                                                         "caller's lot), or the city's (330300) for 市本级")
    basis: Literal["illness", "old_age"]
    insutype: str = Field(pattern=r"^\d{3}$", description="310 employees' or 390 residents' insurance")
    grade: int = Field(ge=0, le=5, description="0 基本正常 … 5 重度失能III级")
    concluded_on: date
    disabled_since: date | None = Field(default=None, description="illness basis: since when disabled (required "
                                                                  "for a severe grade)")
    scale_version: str = Field(min_length=1, max_length=80, description="the scale it was graded with")
    care_institution_id: str | None = Field(default=None, pattern=ID)
    assessment_fee: Decimal | None = Field(default=None, ge=0, le=100000, decimal_places=2,
                                           description="the assessment's fee still to settle (评估费用), if any")


class MigrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conclusions: list[MigratedConclusionIn] = Field(min_length=1, max_length=MAX_MIGRATED)


class RecheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(pattern=PERSON, description="the person's 18-character identity number")


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


async def _ltc_tenant(scope: Scope) -> None:
    """404 for a tenant whose program assesses no disability, before a body is read."""
    serves(scope.tenant)


def _db(scope: TenantScope, tenant: str | None) -> Any:
    """The caller's tenant's database, or (an agency supervisor) another tenant of its program it may read."""
    if tenant and tenant != scope.tenant:
        if not scope.may_read(tenant):
            raise NotFound("tenant not found")
        serves(tenant)
    return scope.db(tenant)


def _visit(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, str):
        raise InvalidInput("the `visit` form field (JSON: visited_on, place, present, notes) is required", "visit")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(f"visit is not valid JSON: {exc}", "visit", code="invalid_json") from exc
    try:
        return VisitIn.model_validate(data).model_dump()
    except ValidationError as exc:
        fields = [{"field": ".".join(["visit", *(str(p) for p in e.get("loc", ()))]), "message": e.get("msg", "")}
                  for e in exc.errors()]
        raise InvalidInput(fields[0]["message"], fields[0]["field"], fields) from None


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/ltc", tags=["long-term care: disability assessment"],
                  dependencies=[Depends(_ltc_tenant)])
    max_bytes = ctx.settings.max_upload_bytes
    visit_limit = max_bytes * MAX_EVIDENCE + VISIT_FIELD_LIMIT

    # ---- the assessor pool (评定人员库) --------------------------------------------------------------------------

    @r.post("/assessors/import", summary="Import the assessor pool (评定人员库, CSV: assessor_id, name, background "
                                         "medical|nursing|rehabilitation|other, institution_id, degree)",
            openapi_extra=body_limit(POOL_LIMIT, {"requestBody": {"required": True, "content": {"text/csv": {
                "schema": {"type": "string", "description": "UTF-8 CSV with a header: assessor_id, name, background, "
                                                            "institution_id, degree (+ optional active)"}}}}}))
    async def import_assessors(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("clerk", "ops")
        if content_type(request) not in ("text/csv", "application/csv", "text/plain"):
            raise UnsupportedMediaType("send the pool as text/csv", "content-type")
        try:
            text = (await read_raw(request, POOL_LIMIT)).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the CSV must be UTF-8: {exc.reason} at byte {exc.start}", "body") from exc
        view = await assessors.import_pool(scope.db(), scope.tenant, text, f"{scope.role}:{scope.subject}")
        if view["assessments_drawn"]:
            ctx.relay.kick()
        return view

    @r.get("/assessors", summary="The assessor pool")
    async def list_assessors(scope: Scope, background: str | None = Query(
            default=None, pattern="^(medical|nursing|rehabilitation|other)$"),
            active: bool | None = None) -> list[dict[str, Any]]:
        scope.require(*POOL_READERS)
        return await assessors.assessors(scope.db(), background, active)

    @r.get("/scale", summary="The assessment scale in force (失能等级评估量表): its version, each indicator's items "
                            "and their allowed scores, as the scores form sends them")
    async def scale(scope: Scope) -> dict[str, Any]:
        scope.require(*STAFF_READERS, "expert")
        settings = serves(scope.tenant)
        return scale_view(scale_of(settings.program, settings.scale_file))

    # ---- assessments ------------------------------------------------------------------------------------------

    @r.get("/assessments", summary="Assessments, oldest first (an expert: those they were drawn for)")
    async def list_assessments(scope: Scope, person_id: str | None = Query(default=None, pattern=PERSON),
                               status: str | None = Query(
                                   default=None, pattern="^(awaiting_assessors|open|visited|concluded)$"),
                               kind: str | None = Query(default=None,
                                                        pattern="^(initial|objection|recheck|migrated)$"),
                               limit: int = Query(default=200, ge=1, le=2000),
                               tenant: str | None = Query(default=None, max_length=40)) -> list[dict[str, Any]]:
        scope.require(*STAFF_READERS, "expert")
        return await assessments.listed(_db(scope, tenant), scope.role, scope.subject, limit, person_id, status, kind)

    @r.post("/assessments/import", status_code=201,
            summary="Import conclusions made before the platform (迁移导入: 既往失能等级评定结论): each a concluded "
                    "assessment of kind migrated, the person covered from its day",
            responses={200: {"description": "every conclusion was imported before"},
                       422: {"description": "a conclusion refused (conclusions[i].field, code); nothing written"}},
            openapi_extra=body_limit(MAX_MIGRATED * 1024, _json_body(MigrationIn)))
    async def import_conclusions(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require("clerk", "ops")
        raw = await read_json(request, MAX_MIGRATED * 1024)
        try:
            body = MigrationIn.model_validate(raw)
        except ValidationError as exc:
            fields = [{"field": "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.get("loc", ()))
                       .lstrip("."), "message": e.get("msg", "")} for e in exc.errors()]
            raise InvalidInput(f"{fields[0]['field']}: {fields[0]['message']}", fields[0]["field"],
                               fields[:100]) from None
        rows = [{**c.model_dump(), "person_id": c.person_id.upper()} for c in body.conclusions]
        view = await migration.import_conclusions(scope.db(), scope.tenant, f"{scope.role}:{scope.subject}", rows)
        response.status_code = 201 if view["imported"] else 200
        ctx.relay.kick()
        return view

    @r.get("/assessments/{assessment_id}", summary="One assessment: its draws, visit record and conclusion")
    async def get_assessment(assessment_id: str, scope: Scope,
                             tenant: str | None = Query(default=None, max_length=40)) -> dict[str, Any]:
        scope.require(*STAFF_READERS, "expert")
        return await assessments.one(_db(scope, tenant), scope.role, scope.subject, assessment_id)

    @r.post("/assessments/{assessment_id}/draw",
            summary="Draw the pair of a waiting assessment at random (the clerk triggers, never chooses)")
    async def draw(assessment_id: str, scope: Scope) -> dict[str, Any]:
        scope.require("clerk")
        view = await assessments.draw(scope.db(), scope.tenant, assessment_id)
        ctx.relay.kick()
        return view

    @r.post("/assessments/{assessment_id}/visit", status_code=201,
            summary="The on-site visit record (评定信息采集过程记录) with its photos and recordings (multipart)",
            openapi_extra=body_limit(visit_limit, {"requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "required": ["visit"], "properties": {
                    "visit": {"type": "string", "description": "JSON: visited_on, place, present, notes"},
                    "photo": {"type": "string", "format": "binary", "description": "JPEG or PNG (photo2, … more)"},
                    "recording": {"type": "string", "format": "binary",
                                  "description": "MP3, M4A, WAV or MP4 (recording2, … more)"}}}}}}}))
    async def record_visit(assessment_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("expert")
        # 404 before the body is read for an assessment the expert was not drawn for (or of another tenant).
        await assessments.one(scope.db(), scope.role, scope.subject, assessment_id)
        if content_type(request) != "multipart/form-data":
            raise UnsupportedMediaType("send multipart/form-data: a `visit` JSON field and photo…/recording… files",
                                       "content-type")
        declared = request.headers.get("content-length") or "0"
        if declared.isdigit() and int(declared) > visit_limit:
            raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
        form = await request.form(max_files=MAX_EVIDENCE + 1, max_fields=4, max_part_size=VISIT_FIELD_LIMIT)
        visit = _visit(form.get("visit"))
        uploads: list[visits.Upload] = []
        for name, value in form.multi_items():
            if name == "visit":
                continue
            if not isinstance(value, UploadFile):
                raise InvalidInput(f"unexpected form field {name!r}", name)
            uploads.append((name, value.filename or name, (value.content_type or "").split(";")[0].strip().lower(),
                            await value.read()))
        return await visits.record_visit(scope.db(), scope.subject, assessment_id, visit, uploads, max_bytes)

    @r.get("/assessments/{assessment_id}/evidence/{evidence_id}",
           summary="A photo or recording of the visit (the read is recorded)")
    async def evidence(assessment_id: str, evidence_id: str, scope: Scope) -> Response:
        scope.require(*EVIDENCE_READERS)
        content, media_type, sha256 = await visits.evidence(scope.db(), scope, assessment_id, evidence_id)
        return attachment(content, media_type, f"{assessment_id}-{evidence_id}", {"X-Content-SHA256": sha256})

    @r.post("/assessments/{assessment_id}/scores",
            summary="The pair's scores on every item of the scale → the conclusion (评定结论)",
            openapi_extra=_json_body(ScoresIn))
    async def scores(assessment_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("expert")
        body = await read_json(request, 64 * 1024, object_required=True)
        view = await conclusions.score(scope.db(), scope.tenant, scope.subject, assessment_id, body)
        ctx.relay.kick()
        return view

    @r.get("/assessments/{assessment_id}/notice", summary="The conclusion notice (评定结论通知书), its deadline")
    async def notice(assessment_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*NOTICE_READERS)
        return await conclusions.conclusion_notice(scope.db(), scope.role, scope.subject, assessment_id)

    @r.post("/assessments/{assessment_id}/objection", status_code=201,
            summary="An objection (异议) to the conclusion, in time → a re-assessment by a different pair",
            openapi_extra=_json_body(ObjectionIn))
    async def objection(assessment_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("applicant", "clerk")
        body = await read_body(request, ObjectionIn, 64 * 1024)
        view = await conclusions.object_to(scope.db(), scope.tenant, scope.role, scope.subject, assessment_id,
                                           body.reason)
        ctx.relay.kick()
        return view

    # ---- periodic eligibility re-checks (待遇资格审查) ------------------------------------------------------------

    @r.get("/rechecks", summary="Eligible persons whose re-check (待遇资格审查) falls due on or before a date")
    async def due_rechecks(scope: Scope, due_before: date,
                           tenant: str | None = Query(default=None, max_length=40)) -> dict[str, Any]:
        scope.require("clerk", "supervisor", "ops")
        rows = await rechecks.due(_db(scope, tenant), due_before, today_cn())
        return {"due_before": due_before.isoformat(), "rechecks": rows}

    @r.post("/rechecks", status_code=201, summary="Open a person's re-check: a new assessment, a new draw",
            openapi_extra=_json_body(RecheckIn))
    async def open_recheck(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("clerk")
        body = await read_body(request, RecheckIn, 64 * 1024)
        view = await rechecks.open_recheck(scope.db(), scope.tenant, body.person_id.upper(),
                                           f"recheck ({scope.role} {scope.subject})")
        ctx.relay.kick()
        return view

    return r
