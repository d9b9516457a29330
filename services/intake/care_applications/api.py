"""intake's HTTP door of long-term care applications (长护险失能等级评定申请, 初步筛查): the person (on a phone, for
themself) or a window clerk (for the person, their family or an agent) files an application with its documents in the
person's lot; a clerk screens it; documents are added when asked for; staff, the applicant and an agency supervisor
(across its program's lots) read it, its timeline and — the clerk, the applicant and the two assessors drawn — its
documents. A tenant outside the long-term care program gets 404 before its body is read. Bodies are checked here
(pydantic); the use cases are in service.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import FormData, UploadFile

from chassis.bodies import parse_json
from chassis.body_limit import body_limit
from chassis.downloads import attachment
from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, content_type, read_body
from services.intake.care_applications import service
from services.intake.care_applications.domain.filing import DOCUMENT_KINDS, Filing, valid_resident_id
from services.intake.care_applications.domain.screening import OUTCOMES, STATUS_LABELS, TIMELINE_EVENTS

FILERS = ("applicant", "clerk")
READERS = ("applicant", "clerk", "reviewer", "supervisor", "ops")
DOCUMENT_READERS = ("applicant", "clerk", "expert")
SCREENING_MAX_BYTES = 64 * 1024
STATUS_PATTERN = "^(" + "|".join(STATUS_LABELS) + ")$"


class AgentIn(BaseModel):
    """Who files for the person (代办人)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=r"^1\d{10}$")
    relation: str = Field(min_length=1, max_length=20, description="to the person: 子女, 配偶, 亲属, 委托人 …")


class CareApplicationIn(BaseModel):
    """The `application` JSON of the multipart form."""

    model_config = ConfigDict(extra="forbid")
    person_id: str = Field(description="the person's resident ID number (身份证号), 18 characters")
    district: str = Field(min_length=1, max_length=20,
                          description="the person's district as lots.yaml names it (鹿城区 …), or 市本级")
    channel: Literal["online", "window", "agent"] = "online"
    basis: Literal["illness", "old_age"] = Field(
        description="illness: disabled ≥ 6 months after treatment (disabled_since); old_age: disability through old "
                    "age")
    insutype: str = Field(pattern=r"^\d{3}$", description="310 employees' or 390 residents' insurance")
    disabled_since: date | None = Field(default=None, description="illness basis: since when disabled")
    care_institution_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$",
                                            description="the institution caring for the person now, if any")
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")
    agent: AgentIn | None = Field(default=None, description="channel agent: who files for the person")

    @field_validator("person_id")
    @classmethod
    def _resident_id(cls, v: str) -> str:
        v = v.strip().upper()
        if not valid_resident_id(v):
            raise ValueError("not a valid 18-character resident ID number (check digit or birth date wrong)")
        return v

    @field_validator("insutype", mode="before")
    @classmethod
    def _insutype(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class CareTimelineStep(BaseModel):
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


class CareTimeline(BaseModel):
    application_id: str
    status: str
    timeline: list[CareTimelineStep]


class ScreeningIn(BaseModel):
    """The clerk's screening (初步筛查)."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["accept", "missing", "reject"] = Field(description="/".join(OUTCOMES))
    missing: list[str] = Field(default_factory=list, max_length=len(DOCUMENT_KINDS),
                               description=f"outcome missing: document kinds to add ({', '.join(DOCUMENT_KINDS)})")
    note: str = Field(default="", max_length=1000, description="the clerk's note (a rejection's reason)")


def read_filing(raw_json: Any) -> Filing:
    """The `application` field of the multipart form: JSON, checked; errors name `application.<field>`."""
    if not isinstance(raw_json, str):
        raise InvalidInput("the `application` field (JSON) is required", "application")
    raw = parse_json(raw_json.encode("utf-8", "replace"), exact_numbers=False, field="application")
    try:
        body = CareApplicationIn.model_validate(raw)
    except ValidationError as exc:
        fields = [{"field": ".".join(["application", *(str(p) for p in e["loc"])]), "message": e["msg"]}
                  for e in exc.errors()]
        raise InvalidInput("application is invalid: " + "; ".join(f"{f['field']}: {f['message']}" for f in fields),
                           fields=fields) from exc
    return Filing(person_id=body.person_id, district=body.district.strip(), channel=body.channel, basis=body.basis,
                  insutype=body.insutype, disabled_since=body.disabled_since,
                  care_institution_id=body.care_institution_id or "", phone=body.phone,
                  agent=body.agent.model_dump() if body.agent else None)


def upload_limit(max_bytes: int) -> int:
    """The most an upload carries: two documents of each kind at the per-document limit, and the form around them
    (enforced while the body streams, chassis/body_limit.py)."""
    return max_bytes * len(DOCUMENT_KINDS) * 2 + 65536


def upload_body(with_application: bool) -> dict[str, Any]:
    """The multipart body as /docs show it: the `application` JSON field when filing, one file field per kind."""
    files = {kind: {"type": "string", "format": "binary", "description": "PDF, PNG or JPEG"} for kind in DOCUMENT_KINDS}
    application = {"application": {"type": "string", "description": "JSON: CareApplicationIn (person_id, district, "
                                                                     "channel, basis, insutype, ...)"}}
    schema = {"type": "object", "properties": {**(application if with_application else {}), **files},
              **({"required": ["application"]} if with_application else {})}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON body as /docs show it (the door reads and checks it itself, after the tenant's program is known)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


async def _multipart(request: Request, max_bytes: int) -> FormData:
    if content_type(request) != "multipart/form-data":
        raise UnsupportedMediaType("send multipart/form-data: an `application` JSON field plus one file field per "
                                   "document, named by its kind", "content-type")
    declared = request.headers.get("content-length") or "0"
    if declared.isdigit() and int(declared) > upload_limit(max_bytes):
        raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
    return await request.form(max_files=len(DOCUMENT_KINDS) * 2, max_part_size=max_bytes + 1)


async def _parts(form: FormData, skip: tuple[str, ...] = ()) -> AsyncIterator[service.Part]:
    """The file fields of the upload (field name = document kind)."""
    for name, value in form.multi_items():
        if name in skip:
            continue
        if not isinstance(value, UploadFile):
            raise InvalidInput(f"unexpected form field {name!r}", name)
        yield name, value.filename or name, value.content_type or "", await value.read()


def router(ctx: ServiceContext, notifier: service.Notifier) -> APIRouter:
    r = APIRouter(prefix="/v1/ltc", tags=["ltc applications"])
    max_bytes = ctx.settings.max_upload_bytes
    care = service.CareApplications(notifier, max_bytes)

    @r.post("/applications", status_code=201,
            summary="Apply for a disability assessment (失能等级评定申请) with documents (multipart), in the "
                    "person's lot",
            responses={422: {"description": "bad input (the field named), or `wrong_lot` naming the person's lot; "
                                            "nothing stored"}},
            openapi_extra=body_limit(upload_limit(max_bytes), upload_body(with_application=True)))
    async def submit(request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*FILERS)
        service.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        form = await _multipart(request, max_bytes)
        filing = read_filing(form.get("application"))
        view = await care.submit(scope, filing, _parts(form, ("application",)))
        ctx.relay.kick()
        return view

    @r.get("/applications", summary="Applications (worklist, with the screening's due day and overdue flag)")
    async def list_applications(scope: Scope, status: str | None = Query(default=None, pattern=STATUS_PATTERN),
                                person_id: str | None = Query(default=None, min_length=18, max_length=18),
                                limit: int = Query(default=200, ge=1, le=2000)) -> list[dict[str, Any]]:
        scope.require(*READERS)
        return await care.listed(scope, status, person_id, limit)

    @r.get("/applications/{application_id}", summary="An application: status, lot, documents, screening, assessment")
    async def get(application_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return await care.one(scope, application_id)

    @r.get("/applications/{application_id}/timeline", summary="The applicant-visible timeline (办理进度)",
           response_model=CareTimeline, response_model_exclude_unset=True)
    async def timeline(application_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return await care.timeline(scope, application_id)

    @r.post("/applications/{application_id}/screening",
            summary="Screening (初步筛查): accept, documents missing, or reject; the preconditions checked by the "
                    "platform",
            responses={409: {"description": "the application is not awaiting screening"},
                       422: {"description": "an accept the preconditions refuse (each failed reason code), or bad "
                                            "input; nothing written"}},
            openapi_extra=json_body(ScreeningIn))
    async def screen(application_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require("clerk")
        service.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        body = await read_body(request, ScreeningIn, SCREENING_MAX_BYTES)
        view = await care.screen(scope, application_id, body.outcome, body.missing, body.note)
        ctx.relay.kick()
        return view

    @r.post("/applications/{application_id}/documents",
            summary="Add documents (补充材料) before the screening decides; asked-for ones bring it back to submitted",
            responses={409: {"description": "the screening has decided"}},
            openapi_extra=body_limit(upload_limit(max_bytes), upload_body(with_application=False)))
    async def add_documents(application_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        scope.require(*FILERS)
        service.serves(scope.tenant)  # 404 for a tenant outside the program, before the body is read
        await care.one(scope, application_id)  # 404 for an application not the caller's, before the body is read
        form = await _multipart(request, max_bytes)
        view = await care.add_documents(scope, application_id, _parts(form))
        ctx.relay.kick()
        return view

    @r.get("/applications/{application_id}/documents/{kind}",
           summary="A document's bytes (the newest of its kind); each read recorded (查阅记录)",
           responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}})
    async def document(application_id: str, kind: str, scope: Scope) -> Response:
        """The clerk, the applicant (own) and the two assessors drawn for the application (expert role; learnt from
        appraisal's disability.assessment_opened) open it; for anyone else it is not found, as if absent."""
        scope.require(*DOCUMENT_READERS)
        service.serves(scope.tenant)
        if kind not in DOCUMENT_KINDS:
            raise InvalidInput(f"unknown document kind {kind!r}; expected one of {list(DOCUMENT_KINDS)}", "kind",
                               code="document_kind_unknown")
        content, media_type = await care.document(scope, application_id, kind)
        ctx.relay.kick()  # the read's access record rides the outbox
        return attachment(content, media_type, f"{application_id}-{kind}")

    return r
