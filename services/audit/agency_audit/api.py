"""audit's HTTP door for the agency's internal audit (经办机构内部审核, /v1/supervision/agency-audits): open an audit,
add its checks of manual reimbursements and payments, produce the written report (.docx, sha256 recorded), read it.

The tenant comes from the token only; a tenant outside program km-supervision answers 404 for all of it before its
body is read. Inspectors audit; the agency's supervisor and ops read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from chassis.downloads import attachment
from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.scope import TenantScope
from services.audit.agency_audit import service

AUDITORS = ("inspector",)
READERS = ("inspector", "supervisor", "ops")
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
DAY = r"^\d{4}-\d{2}-\d{2}$"


class AuditIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    institution_id: str = Field(pattern=ID, description="the agency audited (经办机构), its registry id")
    period_from: str = Field(pattern=DAY, description="the audited period's first day")
    period_to: str = Field(pattern=DAY, description="its last day (by today)")
    team: list[Annotated[str, Field(pattern=ID)]] = Field(max_length=20, description="the inspectors: at least two "
                                                                                  "(program.yaml supervision.min_team)")
    sample_id: str | None = Field(default=None, pattern=ID,
                                  description="the record-sampling sample of the agency's manual-reimbursement files "
                                              "(病历抽审) this audit reads")
    scope: str = Field(default="", max_length=8000, description="审核范围与方法, as the report states it")


class CheckIn(BaseModel):
    area: Literal["manual_reimbursement", "payment"] = Field(description="手工报销 | 基金支付")
    reference: str = Field(min_length=1, max_length=100, description="the file's or payment's number")
    result: Literal["conforming", "nonconforming"]
    code: str | None = Field(default=None, max_length=20, description="nonconforming: an agency item of the "
                                                                      "catalogue (A01, A02, A03)")
    amount: str | None = Field(default=None, max_length=20, description="nonconforming: the amount in question")
    note: str = Field(default="", max_length=4000, description="nonconforming: what does not conform")
    record_id: str | None = Field(default=None, max_length=100, description="the sampled record, if it is one")
    checked_on: str | None = Field(default=None, pattern=DAY)


class ChecksIn(BaseModel):
    checks: list[CheckIn] = Field(min_length=1, max_length=1000)


class ReportIn(BaseModel):
    conclusion: str = Field(min_length=1, max_length=20000, description="审核结论")
    recommendations: str = Field(default="", max_length=20000, description="整改建议")


async def supervision(scope: Scope) -> None:
    """404 for a tenant outside fund supervision, before roles, parameters or the body are looked at."""
    service.serves(scope.tenant)


def who(scope: TenantScope) -> dict[str, str]:
    return {"role": scope.role, "subject": scope.subject}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/supervision/agency-audits", tags=["agency internal audit"],
                  dependencies=[Depends(supervision)])

    @r.post("", status_code=201, summary="Open an internal audit of the agency (经办机构内部审核)",
            dependencies=[admit(*AUDITORS)])
    async def open_audit(body: AuditIn, scope: Scope) -> dict[str, Any]:
        return await service.open_audit(scope.db(), scope.tenant, who(scope), body.model_dump())

    @r.get("", summary="Internal audits, oldest first", dependencies=[admit(*READERS)])
    async def list_audits(scope: Scope, state: str | None = Query(default=None, pattern="^(open|reported)$"),
                          limit: int = Query(default=200, ge=1, le=1000)) -> list[dict[str, Any]]:
        return await service.audits(scope.db(), state, limit)

    @r.get("/{audit_id}", summary="One audit: its checks, figures and report reference",
           dependencies=[admit(*READERS)])
    async def read_audit(audit_id: str, scope: Scope) -> dict[str, Any]:
        return await service.audit(scope.db(), audit_id)

    @r.post("/{audit_id}/checks", summary="Add checks of manual reimbursements and payments (validated whole)",
            dependencies=[admit(*AUDITORS)])
    async def add_checks(audit_id: str, body: ChecksIn, scope: Scope) -> dict[str, Any]:
        return await service.add_checks(scope.db(), who(scope), audit_id, [c.model_dump() for c in body.checks])

    @r.post("/{audit_id}/report", status_code=201, summary="Produce the written report (检查报告, .docx; sha256 "
                                                           "recorded); the audit then takes no more checks",
            dependencies=[admit(*AUDITORS)])
    async def produce_report(audit_id: str, body: ReportIn, scope: Scope) -> dict[str, Any]:
        return await service.produce_report(scope.db(), scope.tenant, who(scope), audit_id, body.conclusion,
                                            body.recommendations)

    @r.get("/{audit_id}/report", summary="The written report (.docx), checked against its recorded sha256",
           dependencies=[admit(*READERS)])
    async def read_report(audit_id: str, scope: Scope) -> Response:
        content, report = await service.report_document(scope.db(), audit_id)
        return attachment(content, report["content_type"], report["filename"], {"X-Content-SHA256": report["sha256"]})

    return r
