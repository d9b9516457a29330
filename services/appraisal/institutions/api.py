"""The institution registry's HTTP door (定点协议管理, /v1/institutions): applications with documents, review steps,
agreements, suspensions, terminations, violation interviews with minutes, the fast import, the registry, one
institution and its file (一机构一档), documents' bytes.

Not program-gated: every served tenant keeps its own registry, and an institution registers with the carrier whose
tenant is in the token. An institution (role `institution`, subject = its institution id) applies for itself and
reads its own file only; another's answers 404, as another tenant's does. The agency supervisor reads (and may
suspend, resume or terminate in) every tenant of its program served here, naming it with `?tenant=`. Bodies are
checked here (pydantic); every upload is checked whole before anything is written."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints, ValidationError
from starlette.datastructures import FormData, UploadFile

from chassis.bodies import parse_json
from chassis.body_limit import body_limit
from chassis.downloads import attachment
from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, admit, content_type, read_json
from services.appraisal.institutions import service
from services.appraisal.institutions.domain.agreement import INTERVIEW_OUTCOMES, OUTCOMES, STATUSES, STEPS
from services.appraisal.institutions.domain.documents import (
    APPLICATION_DOCUMENTS,
    CONTENT_TYPES,
    EVIDENCE,
    MAX_FILES,
    MINUTES,
    File,
)
from services.appraisal.institutions.domain.registration import CARE_MODES, INSTITUTION_ID, KINDS, LEVELS

APPLICANTS = ("clerk", "institution")
STEP_RECORDERS = ("reviewer", "clerk")            # a clerk: the document review only (domain/agreement.py)
SIGNERS = ("reviewer",)
SUSPENDERS = ("reviewer", "supervisor")
INTERVIEWERS = ("inspector", "reviewer")
IMPORTERS = ("ops", "clerk")
READERS = ("clerk", "reviewer", "inspector", "supervisor", "ops", "finance", "institution")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PHONE = r"^(1\d{10}|0\d{2,3}-?\d{7,8})$"   # a mobile, or a landline with its area code
EXPERT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
TENANT = r"^[a-z0-9][a-z0-9-]{1,39}$"
MAX_IMPORT_BODY = 8 * 1024 * 1024


class StaffIn(BaseModel):
    """人员配备: nurses (护士), caregivers (护理员), doctors (医师)."""

    nurses: int = Field(default=0, ge=0, le=100_000)
    caregivers: int = Field(default=0, ge=0, le=100_000)
    doctors: int = Field(default=0, ge=0, le=100_000)


class ContactIn(BaseModel):
    """The institution's contact person (联系人): kept sealed."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    phone: str = Field(pattern=PHONE)


class InstitutionIn(BaseModel):
    """An institution's particulars (机构基本信息), as it applies."""

    institution_id: str = Field(pattern=INSTITUTION_ID, description="e.g. WZB-C001 (its token's subject)")
    kind: Literal[KINDS] = Field(description=" | ".join(KINDS))  # type: ignore[valid-type]
    name: Name
    level: Literal[LEVELS] | None = Field(  # type: ignore[valid-type]
        default=None, description="a hospital's level (医院等级): " + " | ".join(LEVELS) + "; others none")
    district: str = Field(pattern=r"^\d{6}$", description="division code (区划代码), e.g. 330303")
    modes: list[Literal[CARE_MODES]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(CARE_MODES),
        description="care institutions: institutional (机构护理) and/or home_visit (机构上门护理); others none")
    beds: int | None = Field(default=None, ge=0, le=100_000, description="床位数")
    staff: StaffIn | None = None
    contact: ContactIn


class TermIn(BaseModel):
    """An agreement term (协议期限), both days inclusive: at most 3 years (SAMPLE)."""

    valid_from: date
    valid_to: date


class ImportItemIn(InstitutionIn):
    """An institution designated before the platform, with its agreement term."""

    contact: ContactIn | None = None  # type: ignore[assignment]
    agreement: TermIn


class ImportIn(BaseModel):
    institutions: list[ImportItemIn] = Field(description=f"at most {service.MAX_IMPORT} (a bare list is taken too)")


class StepIn(BaseModel):
    """A review step (资料审核, 现场验收, 专家评审) and its outcome."""

    step: Literal[STEPS] = Field(description=" → ".join(STEPS))  # type: ignore[valid-type]
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    note: str = Field(default="", max_length=2000, description="required when the outcome is fail")
    experts: list[Annotated[str, Field(pattern=EXPERT_ID)]] = Field(
        default_factory=list, max_length=20, description="the expert review's panel: at least 3 (SAMPLE)")


class SuspensionIn(BaseModel):
    reason: Text
    from_: date = Field(alias="from", description="the first day of the suspension (暂停)")


class ResumptionIn(BaseModel):
    on: date | None = Field(default=None, description="the day the agreement is in force again (default: today)")
    note: str = Field(default="", max_length=2000)


class TerminationIn(BaseModel):
    reason: Text
    on: date = Field(description="the first day the agreement no longer holds (解除)")


class InterviewIn(BaseModel):
    """A violation interview (违规约谈)."""

    held_on: date
    attendees: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]] = Field(
        min_length=1, max_length=30)
    violations: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=50, description="violation codes or short descriptions")
    outcome: Literal[INTERVIEW_OUTCOMES] = Field(description=" | ".join(INTERVIEW_OUTCOMES))  # type: ignore[valid-type]
    rectify_by: date | None = Field(default=None, description="限期整改: the day to rectify by")
    note: str = Field(default="", max_length=2000)


# ---- multipart bodies ------------------------------------------------------------------------------------------

def upload_limit(max_bytes: int) -> int:
    """The most an upload carries: MAX_FILES files at the per-file limit and the form around them (enforced while
    the body streams, before the token is looked at: chassis/body_limit.py)."""
    return max_bytes * MAX_FILES + 65536


def _multipart_body(json_field: str, model: type[BaseModel], files: dict[str, str]) -> dict[str, Any]:
    binary = {"type": "array", "items": {"type": "string", "format": "binary"}}
    return {"type": "object", "required": [json_field],
            "properties": {json_field: {"type": "string", "description": f"JSON: {model.__name__}"},
                           **{name: {**binary, "description": what} for name, what in files.items()}}}


def _documented(content: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": content}}


FILES = f"PDF, PNG or JPEG ({', '.join(CONTENT_TYPES)}), content sniffed, sha256 recorded"
APPLY_BODY = _documented({"multipart/form-data": {"schema": _multipart_body(
    "institution", InstitutionIn, {k: f"{FILES}{' (required)' if k == 'licence' else ''}"
                                   for k in APPLICATION_DOCUMENTS})}})
STEP_JSON = {"type": "object", "required": ["step", "outcome"], "properties": {
    "step": {"type": "string", "enum": list(STEPS)}, "outcome": {"type": "string", "enum": list(OUTCOMES)},
    "note": {"type": "string"}, "experts": {"type": "array", "items": {"type": "string"}}}}
STEP_BODY = _documented({"application/json": {"schema": STEP_JSON},
                         "multipart/form-data": {"schema": _multipart_body("step", StepIn, {EVIDENCE: FILES})}})
INTERVIEW_BODY = _documented({"multipart/form-data": {"schema": {
    **_multipart_body("interview", InterviewIn, {MINUTES: f"the minutes (约谈记录), exactly one: {FILES}"}),
    "required": ["interview", MINUTES]}}})
IMPORT_JSON = {"type": "object", "required": ["institutions"],
               "properties": {"institutions": {"type": "array", "items": {"type": "object"}}},
               "description": "ImportIn: institutions as they apply (contact optional), each with "
                              "`agreement: {valid_from, valid_to}`"}
IMPORT_BODY = _documented({"application/json": {"schema": IMPORT_JSON}})


def _invalid(exc: ValidationError, prefix: str) -> InvalidInput:
    fields = [{"field": ".".join([prefix, *(str(p) for p in e["loc"])]) if prefix else
               ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
    return InvalidInput("; ".join(f"{f['field']}: {f['message']}" for f in fields[:20]), fields[0]["field"],
                        fields=fields[:100])


def _model(model: type[BaseModel], raw: Any, prefix: str) -> BaseModel:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{prefix or 'body'} must be a JSON object", prefix or "body")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc, prefix) from exc


async def _form(request: Request, max_bytes: int, what: str) -> FormData:
    if content_type(request) != "multipart/form-data":
        raise UnsupportedMediaType(f"send multipart/form-data: {what}", "content-type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > upload_limit(max_bytes):
        raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
    return await request.form(max_files=MAX_FILES, max_part_size=max_bytes + 1)


async def _parts(form: FormData, json_field: str) -> tuple[Any, list[File]]:
    """The JSON field (parsed) and the files of a multipart upload."""
    raw, files = None, []
    for name, value in form.multi_items():
        if name == json_field and isinstance(value, str):
            raw = value
        elif isinstance(value, UploadFile):
            files.append(File(name, value.filename, value.content_type or "", await value.read()))
        else:
            files.append(File(name, None, "", b"", is_file=False))
    if raw is None:
        raise InvalidInput(f"the `{json_field}` field (JSON) is required", json_field)
    return parse_json(raw.encode("utf-8", "replace"), exact_numbers=False, field=json_field), files


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/institutions", tags=["institutions"])
    max_bytes = ctx.settings.max_upload_bytes

    # ---- changes ---------------------------------------------------------------------------------------------

    @r.post("", status_code=201, summary="Apply to be designated (申请受理): an `institution` JSON field and its "
                                         "documents (licence required), multipart",
            dependencies=[admit(*APPLICANTS)], openapi_extra=body_limit(upload_limit(max_bytes), APPLY_BODY))
    async def apply(request: Request, scope: Scope) -> dict[str, Any]:
        raw, files = await _parts(await _form(request, max_bytes, "an `institution` JSON field and one file "
                                                                  "field per document (licence, ...)"),
                                  "institution")
        body = _model(InstitutionIn, raw, "institution")
        view = await service.apply(scope, body.model_dump(), files, max_bytes)
        ctx.relay.kick()
        return view

    @r.post("/import", summary="Import institutions designated before (迁移导入), each with its agreement term",
            dependencies=[admit(*IMPORTERS)], openapi_extra=body_limit(MAX_IMPORT_BODY, IMPORT_BODY))
    async def import_designated(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        raw = await read_json(request, MAX_IMPORT_BODY, exact_numbers=False)
        items = raw.get("institutions") if isinstance(raw, dict) else raw
        if not isinstance(items, list) or not items:
            raise InvalidInput("send a non-empty list of institutions (or {\"institutions\": [...]})",
                               "institutions")
        if len(items) > service.MAX_IMPORT:
            raise InvalidInput(f"at most {service.MAX_IMPORT} institutions per import", "institutions")
        checked = [_model(ImportItemIn, item, f"institutions[{i}]").model_dump() for i, item in enumerate(items)]
        result = await service.import_designated(scope, checked)
        response.status_code = 201 if result["imported"] else 200
        ctx.relay.kick()
        return result

    @r.post("/{institution_id}/steps", summary="Record a review step (资料审核 → 现场验收 → 专家评审): JSON, or "
                                                "multipart with a `step` JSON field and `evidence` files",
            dependencies=[admit(*STEP_RECORDERS)], openapi_extra=body_limit(upload_limit(max_bytes), STEP_BODY))
    async def record_step(institution_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        if content_type(request) == "multipart/form-data":
            raw, files = await _parts(await _form(request, max_bytes, "a `step` JSON field and `evidence` files"),
                                      "step")
        else:
            raw, files = await read_json(request, exact_numbers=False), []
        body = _model(StepIn, raw, "")
        view = await service.record_step(scope, institution_id, body.model_dump(), files, max_bytes)
        ctx.relay.kick()
        return view

    @r.post("/{institution_id}/agreement", summary="Sign the agreement with its term (签订协议), or renew it (续签)",
            dependencies=[admit(*SIGNERS)])
    async def sign(institution_id: str, body: TermIn, scope: Scope) -> dict[str, Any]:
        view = await service.sign_agreement(scope, institution_id, body.valid_from, body.valid_to)
        ctx.relay.kick()
        return view

    @r.post("/{institution_id}/suspension", summary="Suspend the agreement from a day (暂停协议)",
            dependencies=[admit(*SUSPENDERS)])
    async def suspend(institution_id: str, body: SuspensionIn, scope: Scope,
                      tenant: str | None = Query(default=None, pattern=TENANT,
                                                 description="the agency supervisor: one of its program's tenants")
                      ) -> dict[str, Any]:
        view = await service.suspend(scope, tenant, institution_id, body.reason, body.from_)
        ctx.relay.kick()
        return view

    @r.post("/{institution_id}/resumption", summary="End a suspension (恢复协议)", dependencies=[admit(*SUSPENDERS)])
    async def resume(institution_id: str, scope: Scope, body: ResumptionIn | None = None,
                     tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        body = body or ResumptionIn()
        view = await service.resume(scope, tenant, institution_id, body.on, body.note)
        ctx.relay.kick()
        return view

    @r.post("/{institution_id}/termination", summary="Terminate the agreement from a day (解除协议)",
            dependencies=[admit(*SUSPENDERS)])
    async def terminate(institution_id: str, body: TerminationIn, scope: Scope,
                        tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        view = await service.terminate(scope, tenant, institution_id, body.reason, body.on)
        ctx.relay.kick()
        return view

    @r.post("/{institution_id}/interviews", status_code=201,
            summary="Record a violation interview (违规约谈): an `interview` JSON field and its `minutes` file",
            dependencies=[admit(*INTERVIEWERS)], openapi_extra=body_limit(upload_limit(max_bytes), INTERVIEW_BODY))
    async def interview(institution_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        await service.one(scope, None, institution_id)  # 404 for another tenant's, before the body is read
        raw, files = await _parts(await _form(request, max_bytes, "an `interview` JSON field and a `minutes` file"),
                                  "interview")
        body = _model(InterviewIn, raw, "interview")
        view = await service.interview(scope, institution_id, body.model_dump(), files, max_bytes)
        ctx.relay.kick()
        return view

    # ---- reading ---------------------------------------------------------------------------------------------

    @r.get("", summary="The registry (定点机构): of every tenant the caller reads; an institution sees itself",
           dependencies=[admit(*READERS)])
    async def listing(scope: Scope,
                      kind: str | None = Query(default=None, pattern=f"^({'|'.join(KINDS)})$"),
                      status: str | None = Query(default=None, pattern=f"^({'|'.join(STATUSES)})$"),
                      district: str | None = Query(default=None, pattern=r"^\d{6}$"),
                      limit: int = Query(default=1000, ge=1, le=service.MAX_IMPORT)) -> dict[str, Any]:
        return await service.listed(scope, kind, status, district, limit)

    @r.get("/{institution_id}", summary="One institution: particulars, status, the agreement in force",
           dependencies=[admit(*READERS)])
    async def one(institution_id: str, scope: Scope,
                  tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        return await service.one(scope, tenant, institution_id)

    @r.get("/{institution_id}/file", summary="The institution's file (一机构一档): application, steps, agreement "
                                             "terms, suspensions, interviews with minutes' checksums, history",
           dependencies=[admit(*READERS)])
    async def institution_file(institution_id: str, scope: Scope,
                               tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        return await service.institution_file(scope, tenant, institution_id)

    @r.get("/{institution_id}/documents/{document_id}", summary="A document's bytes (application, evidence, minutes)",
           dependencies=[admit(*READERS)])
    async def download(institution_id: str, document_id: str, scope: Scope,
                       tenant: str | None = Query(default=None, pattern=TENANT)) -> Response:
        content, media, sha = await service.document(scope, tenant, institution_id, document_id)
        return attachment(content, media, f"{institution_id}-{document_id}", {"X-Content-SHA256": sha})

    return r
