"""audit's HTTP door for inspection work: sampling plans (抽查) and their inspection tasks, phone call-backs
(电话回访) and findings (稽核发现)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.sampling import service
from services.audit.sampling.domain.views import callback_view, finding_view, plan_view, task_view

READERS = ("inspector", "supervisor", "ops")
INSPECTORS = ("inspector",)
CALLBACK_STATUSES = "^(open|unreached|confirmed|unconfirmed)$"
KIND_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class SamplingPlanIn(BaseModel):
    period: str = Field(description="2025-06, 2025-Q2 or 2025: cases active at any time in it are drawn from")
    seed: str | None = Field(default=None, description="recorded; a random one is chosen when absent")
    uncapped_ratio: str | None = Field(default=None, description="≥ the program's minimum (0.70); decimal string")
    other_ratio: str = Field(default="0", description="share of the capped diseases' cases; decimal string")


class InspectionResultIn(BaseModel):
    outcome: Literal["compliant", "problem"]
    notes: str = Field(default="", max_length=4000)
    finding_kind: str = Field(default="inspection", pattern=r"^[a-z][a-z0-9_]{1,39}$")
    amount: str = Field(default="0.00", description="fund loss involved, decimal yuan string")


class CallbacksIn(BaseModel):
    plan_id: str = Field(min_length=1, max_length=64)
    person_ids: list[str] | None = Field(default=None, max_length=10000,
                                         description="a subset of the plan's sampled persons; all when absent")


class CallbackResultIn(BaseModel):
    reached: bool
    confirmed_treatment: bool | None = Field(default=None, description="required when reached")
    notes: str = Field(default="", max_length=4000)


class FindingIn(BaseModel):
    kind: str = Field(pattern=KIND_PATTERN, description="e.g. desk_review, on_site, callback_unconfirmed")
    person_id: str = Field(pattern=r"^\d{17}[\dX]$", description="resident ID number of the person concerned")
    description: str = Field(min_length=1, max_length=4000)
    amount: str = Field(default="0.00", description="fund loss involved, decimal yuan string")
    plan_id: str | None = Field(default=None, max_length=64)
    carrier_caused: bool = Field(default=False, description="the loss was caused by the carrier (lax review, "
                                 "favouritism …) and is the carrier's in full (承办方全额承担); amount is then "
                                 "required")
    carrier_reason: str | None = Field(default=None, max_length=40, description="with carrier_caused: lax_review, "
                                       "favouritism, weak_supervision, poor_performance or irregular_operation")
    fund_year: int | None = Field(default=None, ge=2000, le=2100, description="with carrier_caused: the fund year "
                                  "whose benefits carried the loss (default the year raised)")


def who(scope: TenantScope) -> dict[str, str]:
    return {"role": scope.role, "subject": scope.subject}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["sampling and inspections"])

    @r.post("/sampling-plans", status_code=201, summary="Draw a reproducible random sample of a period's cases",
            dependencies=[admit(*INSPECTORS)])
    async def create_plan(body: SamplingPlanIn, scope: Scope) -> dict[str, Any]:
        plan = await service.create_plan(scope.db(), scope.tenant, who(scope), body.period, body.seed,
                                         body.uncapped_ratio, body.other_ratio)
        return plan_view(plan, {})

    @r.get("/sampling-plans", summary="Sampling plans, oldest first")
    async def list_plans(scope: Scope, period: str | None = None) -> list[dict[str, Any]]:
        scope.require(*READERS)
        db = scope.db()
        plans = await service.plans(db, period)
        checked = await service.checked_by_disease(db, [p["_id"] for p in plans])
        return [plan_view(p, checked.get(p["_id"], {})) for p in plans]

    @r.get("/sampling-plans/{plan_id}", summary="A plan: its draw and attainment (checked / required) per disease")
    async def read_plan(plan_id: str, scope: Scope, population: bool = False) -> dict[str, Any]:
        scope.require(*READERS)
        plan, checked = await service.plan_with_tasks(scope.db(), plan_id)
        return plan_view(plan, checked, population)

    @r.get("/sampling-plans/{plan_id}/tasks", summary="The inspection tasks of a plan (one per sampled case)")
    async def list_tasks(plan_id: str, scope: Scope,
                         status: str | None = Query(default=None, pattern="^(open|checked)$")) -> list[dict[str, Any]]:
        scope.require(*READERS)
        return [task_view(t) for t in await service.tasks(scope.db(), plan_id, status)]

    @r.post("/inspection-tasks/{task_id}/result", summary="Record an inspection; a problem raises a finding",
            dependencies=[admit(*INSPECTORS)])
    async def task_result(task_id: str, body: InspectionResultIn, scope: Scope) -> dict[str, Any]:
        task, finding = await service.record_inspection(scope.db(), scope.tenant, who(scope), task_id, body.outcome,
                                                        body.notes, body.finding_kind, body.amount, current_carrier())
        ctx.relay.kick()
        return {**task_view(task), "finding": finding_view(finding) if finding else None}

    @r.post("/callbacks", status_code=201, summary="Phone call-back tasks for a plan's sampled persons",
            dependencies=[admit(*INSPECTORS)])
    async def create_callbacks(body: CallbacksIn, scope: Scope) -> dict[str, Any]:
        plan, created, out = await service.create_callbacks(scope.db(), who(scope), body.plan_id, body.person_ids)
        return {"plan_id": plan["_id"], "created": created, "existing": len(out) - created,
                "callbacks": [callback_view(c) for c in out]}

    @r.get("/callbacks", summary="Phone call-backs")
    async def list_callbacks(scope: Scope, plan_id: str | None = None,
                             status: str | None = Query(default=None, pattern=CALLBACK_STATUSES),
                             ) -> list[dict[str, Any]]:
        scope.require(*READERS)
        return [callback_view(c) for c in await service.callbacks(scope.db(), plan_id, status)]

    @r.get("/callbacks/{callback_id}")
    async def read_callback(callback_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return callback_view(await service.get_callback(scope.db(), callback_id))

    @r.post("/callbacks/{callback_id}/result", summary="A call's result; treatment not confirmed raises a finding",
            dependencies=[admit(*INSPECTORS)])
    async def callback_result(callback_id: str, body: CallbackResultIn, scope: Scope) -> dict[str, Any]:
        cb, finding = await service.record_callback(scope.db(), scope.tenant, who(scope), callback_id, body.reached,
                                                    body.confirmed_treatment, body.notes, current_carrier())
        ctx.relay.kick()
        return {**callback_view(cb), "finding": finding_view(finding) if finding else None}

    @r.post("/findings", status_code=201, summary="Raise an audit finding (稽核发现)",
            dependencies=[admit(*INSPECTORS)])
    async def raise_finding(body: FindingIn, scope: Scope) -> dict[str, Any]:
        finding = await service.raise_finding(scope.db(), scope.tenant, who(scope), body.person_id, body.kind,
                                              body.description, body.amount, body.plan_id, body.carrier_caused,
                                              body.carrier_reason, body.fund_year, current_carrier())
        ctx.relay.kick()
        return finding_view(finding)

    @r.get("/findings", summary="Findings, oldest first")
    async def list_findings(scope: Scope, person_id: str | None = None, kind: str | None = None,
                            period: str | None = None) -> list[dict[str, Any]]:
        scope.require(*READERS)
        return [finding_view(f) for f in await service.findings(scope.db(), person_id, kind, period)]

    @r.get("/findings/{finding_id}")
    async def read_finding(finding_id: str, scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return finding_view(await service.get_finding(scope.db(), finding_id))

    return r
