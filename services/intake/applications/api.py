"""intake's HTTP door of applications (申请受理): applicants (phone), window clerks and agents file applications with
documents; clerks run the preliminary review; applicants follow the status timeline; the carrier of a county and the
checklist of a disease. Request bodies are checked here (pydantic); the use cases are in service.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import FormData, UploadFile

from chassis.bodies import parse_json
from chassis.body_limit import body_limit
from chassis.downloads import attachment
from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, admit, content_type
from chassis.policies import PolicyReader
from services.intake.applications import service
from services.intake.applications.domain.application import (
    DISEASE_CODE,
    DOCUMENT_KINDS,
    MAX_DISEASES,
    TIMELINE_EVENTS,
    Filing,
    valid_resident_id,
)
from services.intake.applications.domain.program_fields import InpatientRecords

FILING_ROLES = ("applicant", "clerk", "service")
READING_ROLES = ("applicant", "clerk", "reviewer", "supervisor", "ops", "service")


class AgentIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    relation: str = Field(min_length=1, max_length=20)
    phone: str = Field(pattern=r"^1\d{10}$")


class ApplicationIn(BaseModel):
    """What an applicant, a window clerk or an agent files: a first application for one or more diseases
    (申请两种及以上病种), or a re-review (复审) of a qualification the person holds."""

    person_id: str = Field(description="resident ID number (身份证号), 18 characters")
    person_name: str = Field(min_length=1, max_length=50)
    disease_code: str | None = Field(default=None, pattern=DISEASE_CODE,
                                     description="one disease code from the program's policy (kept for compatibility; "
                                                 "`diseases` lists several)")
    diseases: list[Annotated[str, Field(pattern=DISEASE_CODE)]] = Field(
        default_factory=list, max_length=MAX_DISEASES, description="every disease applied for, each appraised apart")
    kind: Literal["initial", "review"] = Field(default="initial", description="initial | review (复审)")
    qualification_id: str | None = Field(default=None, min_length=1, max_length=64,
                                         description="re-review: the qualification (资格) to re-review")
    channel: Literal["online", "window", "agent"] = "online"
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")
    program: str = Field(default="hz-chronic", pattern=r"^[a-z0-9-]{2,40}$")
    treating_hospital: str = Field(default="", max_length=40, description="code of the diagnosing hospital")
    agent: AgentIn | None = Field(default=None, description="who files for the applicant (代办)")

    @field_validator("person_id")
    @classmethod
    def _resident_id(cls, v: str) -> str:
        v = v.strip().upper()
        if not valid_resident_id(v):
            raise ValueError("not a valid 18-character resident ID number (check digit or birth date wrong)")
        return v


class InpatientRecordsIn(BaseModel):
    """The inpatient records an application rests on (住院资料), as declared; the clerk checks them against the
    stamped copies at the preliminary review."""

    hospital: str = Field(min_length=1, max_length=60, description="the hospital's code or name")
    hospital_level: int = Field(ge=1, le=3, description="医院等级: 1 (一级), 2 (二级) or 3 (三级)")
    discharged_on: date = Field(description="discharge date of the stay (出院日期)")

    def to_domain(self) -> InpatientRecords:
        return InpatientRecords(self.hospital, self.hospital_level, self.discharged_on)


class ProgramFieldsIn(BaseModel):
    """The program's own fields of an application (programs/<code>/program.yaml `intake`)."""

    district: str | None = Field(default=None, min_length=1, max_length=20, description="所属经办区 code")
    inpatient_records: InpatientRecordsIn | None = None


class ApplicationTimelineStep(BaseModel):
    """One step of the timeline (办理进度). `event` and `params` say what the platform wrote, by code — a page words
    it in the person's language from them; `note` is the English sentence (or a person's words: the clerk's note, the
    reason given) kept for API clients. Steps stored before the codes existed have no `event`: show their `note`."""

    model_config = ConfigDict(extra="allow")

    status: str
    label: str = Field(description="the status, for people (Chinese and English)")
    at: str = Field(description="when (ISO 8601, UTC)")
    note: str = ""
    event: str | None = Field(default=None, description="the step's stable code: " + "; ".join(
        f"{code} — {what}" for code, what in TIMELINE_EVENTS.items()))
    params: dict[str, Any] | None = Field(
        default=None, description="its values: codes, counts, document kinds, dates — never personal data")
    reason_codes: list[dict[str, Any]] | None = Field(default=None, description="a decision's reasons (code, detail, "
                                                                                   "params)")


class ApplicationTimeline(BaseModel):
    application_id: str
    status: str
    timeline: list[ApplicationTimelineStep]


class ReviewIn(BaseModel):
    """Preliminary review (初审) by a clerk."""

    decision: Literal["complete", "missing", "reject"]
    missing: list[str] = Field(default_factory=list, description="document kinds the applicant must add")
    note: str = Field(default="", max_length=1000)

    @field_validator("missing")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        unknown = [k for k in v if k not in DOCUMENT_KINDS]
        if unknown:
            raise ValueError(f"unknown document kinds {unknown}; expected from {list(DOCUMENT_KINDS)}")
        return v


def _invalid(exc: ValidationError) -> InvalidInput:
    fields = [{"field": "application." + ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
              for e in exc.errors()]
    return InvalidInput("application is invalid: " + "; ".join(f"{f['field']}: {f['message']}" for f in fields),
                        fields=fields)


def read_program_fields(raw: dict[str, Any]) -> tuple[str | None, InpatientRecords | None]:
    """The program's own fields as declared in the `application` JSON (district, inpatient records), typed."""
    try:
        fields = ProgramFieldsIn.model_validate({k: raw[k] for k in ("district", "inpatient_records") if k in raw})
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return fields.district, fields.inpatient_records.to_domain() if fields.inpatient_records else None


def read_filing(raw_json: Any) -> Filing:
    """The `application` field of the multipart form: JSON, checked against the form and the program's fields."""
    if not isinstance(raw_json, str):
        raise InvalidInput("the `application` field (JSON) is required", "application")
    # JSON refused as a body is (code invalid_json): unreadable, nested too deeply, or a lone surrogate escape.
    raw = parse_json(raw_json.encode("utf-8", "replace"), exact_numbers=False, field="application")
    try:
        body = ApplicationIn.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    district, records = read_program_fields(raw)
    return Filing(
        person_id=body.person_id, person_name=body.person_name, disease_code=body.disease_code,
        diseases=tuple(body.diseases), kind=body.kind, qualification_id=body.qualification_id,
        channel=body.channel, phone=body.phone, program=body.program,
        program_given="program" in body.model_fields_set, treating_hospital=body.treating_hospital,
        agent=body.agent.model_dump() if body.agent else None, district=district, inpatient_records=records)


def upload_limit(max_bytes: int) -> int:
    """The most an upload request carries: a document of each kind at the per-document limit, and the form around
    them. Enforced while the body streams, before the token is looked at (chassis/body_limit.py)."""
    return max_bytes * len(DOCUMENT_KINDS) + 65536


def upload_body(with_application: bool) -> dict[str, Any]:
    """The upload's multipart body as /docs (and the OpenAPI fuzz test) show it: the `application` JSON field when
    filing, and one file field per document kind (the form is read by the door itself, under its limits)."""
    files = {kind: {"type": "string", "format": "binary", "description": "PDF, PNG or JPEG"} for kind in DOCUMENT_KINDS}
    application = {"application": {"type": "string", "description": "JSON: ApplicationIn (person_id, person_name, "
                                                                     "disease_code or diseases, channel, ...)"}}
    schema = {"type": "object", "properties": {**(application if with_application else {}), **files},
              **({"required": ["application"]} if with_application else {})}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


async def _multipart(request: Request, max_bytes: int) -> FormData:
    if not content_type(request) == "multipart/form-data":
        raise UnsupportedMediaType("send multipart/form-data: an `application` JSON field plus one file "
                                   "field per document, named by its kind")
    declared = request.headers.get("content-length") or "0"
    if declared.isdigit() and int(declared) > upload_limit(max_bytes):
        raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
    return await request.form(max_files=len(DOCUMENT_KINDS) * 4, max_part_size=max_bytes + 1)


async def _parts(request: Request, max_bytes: int, form: FormData | None = None,
                 skip: tuple[str, ...] = ()) -> AsyncIterator[service.Part]:
    """The file fields of the upload, read as the service asks for them (the form is read on the first)."""
    form = form if form is not None else await _multipart(request, max_bytes)
    for name, value in form.multi_items():
        if name in skip:
            continue
        if not isinstance(value, UploadFile):
            raise InvalidInput(f"unexpected form field {name!r}", name)
        yield name, value.filename or name, value.content_type or "", await value.read()


def router(ctx: ServiceContext, notifier: service.Notifier) -> APIRouter:
    r = APIRouter(prefix="/v1")
    max_bytes = ctx.settings.max_upload_bytes
    applications = service.Applications(PolicyReader(ctx.peers), ctx.peers, ctx.settings.provincial_url, notifier,
                                        max_bytes)

    @r.get("/programs/{program}/counties/{county}", tags=["routing"],
           summary="Which carrier serves an applicant's county (public, no token)")
    async def route(program: str, county: str) -> dict[str, str]:
        return service.carrier_of(program, county)

    @r.get("/programs/{program}/checklist/{disease}", tags=["applications"],
           summary="Documents required for a disease (材料清单)")
    async def checklist(program: str, disease: str, scope: Scope) -> dict[str, Any]:
        """`disease` may list several, comma-separated (HTN,DM): the documents are the union of their lists."""
        return await applications.checklist(scope, program, disease)

    @r.post("/applications", status_code=201, tags=["applications"],
            summary="Submit an application with its documents (multipart)",
            openapi_extra=body_limit(upload_limit(max_bytes), {"requestBody": upload_body(with_application=True)}))
    async def submit(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*FILING_ROLES)
        form = await _multipart(request, max_bytes)
        filing = read_filing(form.get("application"))
        view = await applications.submit(scope, filing, _parts(request, max_bytes, form, ("application",)))
        ctx.relay.kick()
        return view

    @r.get("/applications", tags=["applications"], summary="Applications of the tenant (worklist)")
    async def list_applications(scope: Scope, status: str | None = None, person_id: str | None = None,
                                limit: int = Query(default=200, ge=1, le=2000),
                                tenant: str | None = Query(default=None, max_length=40,
                                                           description="the agency supervisor: one of its "
                                                                       "program's tenants")) -> list[dict[str, Any]]:
        scope.require(*READING_ROLES)
        return await applications.listed(scope, status, person_id, limit, tenant)

    @r.get("/applications/{application_id}", tags=["applications"], summary="An application and its status")
    async def get(application_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READING_ROLES)
        return await applications.one(scope, application_id)

    @r.get("/applications/{application_id}/timeline", tags=["applications"],
           summary="The applicant-visible status timeline (办理进度)", response_model=ApplicationTimeline,
           response_model_exclude_unset=True)
    async def timeline(application_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READING_ROLES)
        return await applications.timeline(scope, application_id)

    @r.post("/applications/{application_id}/review", tags=["applications"],
            summary="Preliminary review (初审): complete, documents missing, or reject; checks 1101 first",
            dependencies=[admit("clerk")])
    async def review(application_id: str, body: ReviewIn, scope: Scope) -> dict[str, Any]:
        view = await applications.review(scope, application_id, body.decision, body.missing, body.note)
        ctx.relay.kick()
        return view

    @r.post("/applications/{application_id}/documents", tags=["applications"],
            summary="Add the missing documents (补充材料); the application goes back to review",
            openapi_extra=body_limit(upload_limit(max_bytes), {"requestBody": upload_body(with_application=False)}))
    async def add_documents(application_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("applicant", "clerk")
        return await applications.add_documents(scope, application_id, _parts(request, max_bytes))

    @r.get("/applications/{application_id}/documents/{document_id}", tags=["applications"],
           summary="A document's bytes")
    async def document(application_id: str, document_id: str, scope: Scope) -> Response:
        """An expert opens the documents of the applications whose cases they were drawn for (intake learns the
        draws from appraisal's experts.assigned); any other document is not found for them, as if absent."""
        scope.require(*READING_ROLES, "expert")
        content, media_type = await applications.document(scope, application_id, document_id)
        return attachment(content, media_type, f"{application_id}-{document_id}")

    return r
