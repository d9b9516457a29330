"""audit's HTTP door for the credit evaluation of designated institutions (信用评价, /v1/supervision/credit): the
rules in force, the facts of an institution's year, the inspectors' cooperation ratings, evaluations (an inspector or
the agency's supervisor evaluates; the supervisor approves: credit.evaluated) and reading them.

The tenant comes from the token only; a tenant outside program km-supervision answers 404 for all of it before its
body is read. An institution (role `institution`, subject = its institution id) reads the rules and its own approved
evaluations only; any other evaluation answers 404."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.credit import service

RATERS = ("inspector",)
EVALUATORS = ("inspector", "supervisor")
APPROVERS = ("supervisor",)
STAFF = ("inspector", "supervisor", "ops")
READERS = (*STAFF, "institution")
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"


class RatingIn(BaseModel):
    institution_id: str = Field(pattern=ID)
    year: int = Field(ge=service.FIRST_YEAR, le=2100)
    rating: str = Field(min_length=1, max_length=20, description="the rules' cooperation ratings: good | fair | poor "
                                                                 "(credit-rules.yaml)")
    note: str = Field(default="", max_length=4000)


class EvaluateIn(BaseModel):
    year: int = Field(ge=service.FIRST_YEAR, le=2100)
    institution_ids: list[Annotated[str, Field(pattern=ID)]] | None = Field(
        default=None, max_length=2000,
        description="the institutions to evaluate; every one known (the registry's, and any with facts that year) when "
                    "absent; an empty list evaluates nothing (refused)")


class ApprovalIn(BaseModel):
    note: str = Field(default="", max_length=4000)


async def supervision(scope: Scope) -> None:
    """404 for a tenant outside fund supervision, before roles, parameters or the body are looked at."""
    service.serves(scope.tenant)


def who(scope: TenantScope) -> dict[str, str]:
    return {"role": scope.role, "subject": scope.subject}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/supervision/credit", tags=["credit evaluation"], dependencies=[Depends(supervision)])

    @r.get("/rules", summary="The credit rules and grades in force (credit-rules.yaml; a labelled SAMPLE)",
           dependencies=[admit(*READERS)])
    async def read_rules(scope: Scope) -> dict[str, Any]:
        return service.rules()

    @r.get("/facts", summary="The facts of a year the rules count (hits, findings, samples, cases, ratings)",
           dependencies=[admit(*STAFF)])
    async def read_facts(scope: Scope, year: int = Query(ge=service.FIRST_YEAR, le=2100),
                         institution_id: str | None = Query(default=None, pattern=ID)) -> dict[str, Any]:
        return await service.facts(scope.db(), year, institution_id)

    @r.post("/ratings", status_code=201, summary="Rate an institution's cooperation in a year (配合监管检查情况; the "
                                                 "latest rating counts)",
            dependencies=[admit(*RATERS)])
    async def rate(body: RatingIn, scope: Scope) -> dict[str, Any]:
        return await service.rate(scope.db(), who(scope), body.model_dump())

    @r.post("/evaluations", status_code=201, summary="Evaluate institutions' year (drafts for the supervisor to "
                                                     "approve; the draft before is superseded)",
            dependencies=[admit(*EVALUATORS)])
    async def evaluate(body: EvaluateIn, scope: Scope) -> dict[str, Any]:
        return await service.evaluate_year(scope.db(), who(scope), body.year, body.institution_ids)

    @r.get("/evaluations", summary="Evaluations (an institution: its own approved ones)",
           dependencies=[admit(*READERS)])
    async def list_evaluations(scope: Scope, year: int | None = Query(default=None, ge=service.FIRST_YEAR, le=2100),
                               institution_id: str | None = Query(default=None, pattern=ID),
                               state: Literal["draft", "approved", "superseded"] | None = None,
                               limit: int = Query(default=1000, ge=1, le=5000)) -> list[dict[str, Any]]:
        return await service.evaluations(scope.db(), scope.role, scope.subject, year, institution_id, state, limit)

    @r.get("/evaluations/{evaluation_id}", summary="One evaluation with every deduction explained",
           dependencies=[admit(*READERS)])
    async def read_evaluation(evaluation_id: str, scope: Scope) -> dict[str, Any]:
        return await service.evaluation(scope.db(), evaluation_id, scope.role, scope.subject)

    @r.post("/evaluations/{evaluation_id}/approval", summary="Approve a draft evaluation (审定; credit.evaluated)",
            dependencies=[admit(*APPROVERS)])
    async def approve(evaluation_id: str, scope: Scope, body: ApprovalIn | None = None) -> dict[str, Any]:
        view = await service.approve(scope.db(), scope.tenant, who(scope), evaluation_id, (body or ApprovalIn()).note,
                                     current_carrier())
        ctx.relay.kick()
        return view

    return r
