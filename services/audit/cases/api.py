"""audit's HTTP door for leads and cases (线索与案件, /v1/supervision): leads entered from superiors and departments
(tips arrive from intake), their verification (核查), cases opened from a substantiated lead or an inspection, the case
file's documents (multipart, sniffed, sha256 kept), findings, decisions (处理决定), recoveries (追回), the closing
(结案), and the case file's export (zip with manifest and checksums).

The tenant comes from the token only; a tenant outside program km-supervision answers 404 for all of it before its
body is read, and an upload to another tenant's (or no) case answers 404 before its body is read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from chassis.body_limit import body_limit
from chassis.downloads import attachment
from chassis.errors import PayloadTooLarge, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, admit, content_type
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.cases import service
from services.audit.cases.domain.cases import DECISIONS, STATES
from services.audit.cases.domain.documents import CONTENT_TYPES, KINDS, MAX_FILES, File
from services.audit.cases.domain.leads import OUTCOMES, SOURCES

LEAD_WRITERS = ("supervisor", "inspector", "clerk")
LEAD_READERS = ("inspector", "supervisor", "clerk", "ops")
VERIFIERS = ("inspector",)
OPENERS = ("inspector", "supervisor")
INVESTIGATORS = ("inspector",)
DECIDERS = ("inspector", "supervisor")
RECOVERERS = ("inspector", "finance")
CLOSERS = ("inspector", "supervisor")
READERS = ("inspector", "supervisor", "ops")
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
DAY = r"^\d{4}-\d{2}-\d{2}$"
AMOUNT = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"


class LeadIn(BaseModel):
    source: Literal["superior", "department", "tip"] = Field(
        description="superior (上级交办) | department (部门移交); tips (群众举报) come from intake's complaints")
    institution_id: str = Field(pattern=ID, description="the designated institution the lead is about")
    summary: str = Field(min_length=1, max_length=200)
    detail: str = Field(default="", max_length=8000)
    reference: str = Field(default="", max_length=100, description="the assignment's or transfer's number (文号)")
    origin: str = Field(default="", max_length=100, description="who sent it: the superior office or the department")
    received_on: str | None = Field(default=None, pattern=DAY, description="YYYY-MM-DD; today when absent")


class VerificationIn(BaseModel):
    outcome: Literal["substantiated", "unsubstantiated"] = Field(description=" | ".join(OUTCOMES))
    note: str = Field(min_length=1, max_length=8000, description="what the verification found")
    verified_on: str | None = Field(default=None, pattern=DAY)


class CaseIn(BaseModel):
    lead_id: str | None = Field(default=None, max_length=100, description="a lead verified substantiated")
    inspection_id: str | None = Field(default=None, pattern=ID, description="a reported inspection with findings")


class FindingIn(BaseModel):
    code: str = Field(min_length=1, max_length=20, description="a code of the violation catalogue (H01, P02, A02 …)")
    amount: str = Field(max_length=20, description="the amount in question, decimal yuan (\"1280.50\")")
    description: str = Field(default="", max_length=8000)
    document_ids: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=50,
                                                                      description="the case's documents in evidence")
    found_on: str | None = Field(default=None, pattern=DAY)


class DecisionIn(BaseModel):
    kind: Literal[DECISIONS] = Field(description=" | ".join(DECISIONS))  # type: ignore[valid-type]
    amount: str | None = Field(default=None, max_length=20, description="recover and fine: decimal yuan above zero")
    note: str = Field(default="", max_length=8000)
    decided_on: str | None = Field(default=None, pattern=DAY)
    effective_from: str | None = Field(default=None, pattern=DAY,
                                       description="suspend_agreement, terminate_agreement: from which day")
    rectify_by: str | None = Field(default=None, pattern=DAY, description="rectify: the day to rectify by")
    document_id: str | None = Field(default=None, max_length=100, description="the decision letter (处理决定书)")


class RecoveryIn(BaseModel):
    amount: str = Field(max_length=20, description="decimal yuan above zero")
    recovered_on: str = Field(pattern=DAY)
    receipt_document_id: str = Field(min_length=1, max_length=100,
                                     description="the receipt (缴款凭证), a document of the case")
    note: str = Field(default="", max_length=2000)


class ClosingIn(BaseModel):
    note: str = Field(default="", max_length=8000)


DOCUMENTS_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object",
    "properties": {k: {"type": "array", "items": {"type": "string", "format": "binary"}} for k in KINDS},
    "description": f"one or more files, each in the field of its kind; {', '.join(CONTENT_TYPES)}, content sniffed, "
                   f"sha256 recorded; at most {MAX_FILES}"}}}}}


async def supervision(scope: Scope) -> None:
    """404 for a tenant outside fund supervision, before roles, parameters or the body are looked at."""
    service.serves(scope.tenant)


def who(scope: TenantScope) -> dict[str, str]:
    return {"role": scope.role, "subject": scope.subject}


def upload_limit(max_bytes: int) -> int:
    return max_bytes * MAX_FILES + 65536


async def _files(request: Request, max_bytes: int) -> list[File]:
    if content_type(request) != "multipart/form-data":
        raise UnsupportedMediaType("send multipart/form-data: one field per file, named by its kind", "content-type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > upload_limit(max_bytes):
        raise PayloadTooLarge(f"request of {declared} bytes exceeds the upload limit", "body")
    form = await request.form(max_files=MAX_FILES, max_part_size=max_bytes + 1)
    files = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.append(File(name, value.filename, value.content_type or "", await value.read()))
        else:
            files.append(File(name, None, "", b"", is_file=False))
    return files


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/supervision", tags=["leads and cases"], dependencies=[Depends(supervision)])
    max_bytes = ctx.settings.max_upload_bytes

    # ---- leads (线索) ----

    @r.post("/leads", status_code=201, summary="Enter a lead from a superior (上级交办) or a department (部门移交)",
            dependencies=[admit(*LEAD_WRITERS)])
    async def enter_lead(body: LeadIn, scope: Scope) -> dict[str, Any]:
        return await service.enter_lead(scope.db(), who(scope), body.model_dump())

    @r.get("/leads", summary="Leads, oldest received first (tips from intake among them)",
           dependencies=[admit(*LEAD_READERS)])
    async def list_leads(scope: Scope, status: str | None = Query(default=None, pattern="^(open|verified)$"),
                         source: str | None = Query(default=None, pattern=f"^({'|'.join(SOURCES)})$"),
                         institution_id: str | None = Query(default=None, pattern=ID),
                         limit: int = Query(default=1000, ge=1, le=5000)) -> list[dict[str, Any]]:
        return await service.leads(scope.db(), status, source, institution_id, limit)

    @r.get("/leads/{lead_id}", summary="One lead with its verification", dependencies=[admit(*LEAD_READERS)])
    async def read_lead(lead_id: str, scope: Scope) -> dict[str, Any]:
        return await service.lead(scope.db(), lead_id)

    @r.post("/leads/{lead_id}/verification", summary="Verify a lead (核查): substantiated or not, once",
            dependencies=[admit(*VERIFIERS)])
    async def verify(lead_id: str, body: VerificationIn, scope: Scope) -> dict[str, Any]:
        return await service.verify(scope.db(), who(scope), lead_id, body.model_dump())

    # ---- cases (案件) ----

    @r.post("/cases", status_code=201, summary="Open a case (立案) from a substantiated lead or an inspection's "
                                               "findings (case.opened)",
            dependencies=[admit(*OPENERS)])
    async def open_case(body: CaseIn, scope: Scope) -> dict[str, Any]:
        view = await service.open_case(scope.db(), scope.tenant, who(scope), body.lead_id, body.inspection_id,
                                       current_carrier())
        ctx.relay.kick()
        return view

    @r.get("/cases", summary="Cases, oldest first", dependencies=[admit(*READERS)])
    async def list_cases(scope: Scope, state: str | None = Query(default=None, pattern=f"^({'|'.join(STATES)})$"),
                         institution_id: str | None = Query(default=None, pattern=ID),
                         source: str | None = Query(default=None, pattern="^(superior|department|tip|inspection)$"),
                         limit: int = Query(default=1000, ge=1, le=5000)) -> list[dict[str, Any]]:
        return await service.cases(scope.db(), state, institution_id, source, limit)

    @r.get("/cases/{case_id}", summary="One case file (案卷): documents, findings, decisions, recoveries, closing",
           dependencies=[admit(*READERS)])
    async def read_case(case_id: str, scope: Scope) -> dict[str, Any]:
        return await service.case(scope.db(), case_id)

    @r.post("/cases/{case_id}/documents", summary="Add documents to the case file (multipart: a field per kind)",
            dependencies=[admit(*INVESTIGATORS)], openapi_extra=body_limit(upload_limit(max_bytes), DOCUMENTS_BODY))
    async def add_documents(case_id: str, request: Request, scope: Scope) -> dict[str, Any]:
        await service.exists(scope.db(), case_id)  # 404 for another tenant's case, before the body is read
        return await service.add_documents(scope.db(), who(scope), case_id, await _files(request, max_bytes),
                                           max_bytes)

    @r.get("/cases/{case_id}/documents/{document_id}", summary="A document's bytes (checked against its sha256)",
           dependencies=[admit(*READERS)])
    async def read_document(case_id: str, document_id: str, scope: Scope) -> Response:
        content, media, digest = await service.document(scope.db(), case_id, document_id)
        return attachment(content, media, f"{case_id}-{document_id}", {"X-Content-SHA256": digest})

    @r.post("/cases/{case_id}/findings", summary="Record a finding (查实违规): catalogue code and amount",
            dependencies=[admit(*INVESTIGATORS)])
    async def add_finding(case_id: str, body: FindingIn, scope: Scope) -> dict[str, Any]:
        return await service.add_finding(scope.db(), who(scope), case_id, body.model_dump())

    @r.post("/cases/{case_id}/decisions", summary="Record a decision (处理决定): recover, fine, warning, interview, "
                                                  "rectify, suspend or terminate the agreement, refer to the police",
            dependencies=[admit(*DECIDERS)])
    async def decide(case_id: str, body: DecisionIn, scope: Scope) -> dict[str, Any]:
        return await service.decide(scope.db(), who(scope), case_id, body.model_dump())

    @r.post("/cases/{case_id}/recoveries", summary="Record money recovered (追回) with its receipt",
            dependencies=[admit(*RECOVERERS)])
    async def recover(case_id: str, body: RecoveryIn, scope: Scope) -> dict[str, Any]:
        return await service.recover(scope.db(), who(scope), case_id, body.model_dump())

    @r.post("/cases/{case_id}/closing", summary="Close the case (结案, case.closed)", dependencies=[admit(*CLOSERS)])
    async def close(case_id: str, scope: Scope, body: ClosingIn | None = None) -> dict[str, Any]:
        view = await service.close(scope.db(), scope.tenant, who(scope), case_id, (body or ClosingIn()).note,
                                   current_carrier())
        ctx.relay.kick()
        return view

    @r.get("/cases/{case_id}/export", summary="The case file as a zip: manifest.json, case.json, documents/, "
                                              "checksums.sha256", dependencies=[admit(*READERS)])
    async def export(case_id: str, scope: Scope) -> Response:
        content, digest, manifest = await service.export(scope.db(), scope.tenant, case_id)
        return attachment(content, "application/zip", f"case-{case_id}.zip",
                          {"X-Content-SHA256": digest, "X-Case-Version": str(manifest["version"])})

    return r
