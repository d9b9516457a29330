"""audit's HTTP door for long-term care supervision (长护险监管巡查, /v1/ltc): the written patrol plan (巡查方案), the
quarter's service sample (抽查样本), patrols (巡查) with their breach-handling suggestions (处理建议), status surveys of
disabled persons (失能人员基本状态调查), the quarter's attainment (live) and the year's patrol statistics
(巡查工作统计表, JSON or Excel).

The tenant comes from the token only; a tenant outside the long-term care program answers 404 for all of it before
its body is read. Inspectors work patrols and samples; clerks and inspectors record surveys; the agency supervisor
(claim `program`) writes the plan and reads every lot of its program (`?tenant=`), another program's tenant is 404."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from chassis.downloads import XLSX, attachment
from chassis.errors import NotFound
from chassis.host import ServiceContext
from chassis.http import Scope, admit
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.patrols import service
from services.audit.patrols.domain.patrols import BACKGROUNDS
from services.audit.patrols.domain.surveys import STATUSES

READERS = ("inspector", "supervisor", "ops")
SURVEY_READERS = ("inspector", "clerk", "supervisor", "ops")
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
# A service id `<institution>:<YYYY-MM>:<record id>` (domain/services.py), or a record id: its form is checked by the
# domain, which names what is wrong (`service_id_invalid`).
SERVICE_REF = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,119}$"
RECORD_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}$"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
QUARTER = r"^\d{4}-Q[1-4]$"
TENANT = r"^[a-z][a-z0-9-]{1,31}$"
DAY = "YYYY-MM-DD"


class QuarterTargetIn(BaseModel):
    quarter: str = Field(pattern=r"^Q[1-4]$", description="Q1 … Q4")
    sample_percent: int = Field(ge=0, le=100, description="the quarter's sampling share, at least 20")
    survey_percent: int = Field(ge=0, le=100, description="share of the year's status surveys done this quarter "
                                                          "(the four adding up to at least 100)")


class PlanIn(BaseModel):
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=200)
    measures: str = Field(min_length=1, max_length=20000, description="工作举措: the plan's measures, as text")
    quarters: list[QuarterTargetIn] = Field(max_length=4, description="each quarter's targets, Q1–Q4 once")


class SampleIn(BaseModel):
    quarter: str = Field(pattern=QUARTER, description="YYYY-Qn")
    seed: str | None = Field(default=None, max_length=64, description="recorded with the quarter's sample at its "
                                                                      "first planning; a random one when absent")


class InspectorIn(BaseModel):
    inspector_id: str = Field(pattern=ID)
    background: Literal["medical", "nursing", "other"] = Field(description=" | ".join(BACKGROUNDS))
    degree: str = Field(max_length=20, description="none | secondary | college | bachelor | master | doctor "
                                                   "(college, 专科, and above)")


class FindingIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="a code of the breach-handling table")
    institution_id: str = Field(pattern=ID)
    record_id: str | None = Field(default=None, pattern=SERVICE_REF,
                                  description="a service this patrol checked: its service id, or its record id at "
                                              "the finding's institution")
    detail: str = Field(default="", max_length=4000)


class CheckedServiceIn(BaseModel):
    institution_id: str = Field(pattern=ID, description="the institution (FAMILY for family care)")
    record_id: str = Field(pattern=RECORD_ID, description="the institution's own record id")
    month: str | None = Field(default=None, pattern=MONTH,
                              description="YYYY-MM, the record's month: needed only when the institution's record id "
                                          "is sampled in more than one month (a record id is unique within a month)")


class PatrolIn(BaseModel):
    quarter: str = Field(pattern=QUARTER)
    date: str = Field(max_length=10, description=f"{DAY}, within the quarter")
    inspectors: list[InspectorIn] = Field(max_length=20, description="at least two, one medical or nursing, each "
                                                                     "with a college degree or above")
    institution_ids: list[str] = Field(default_factory=list, max_length=1000, description="visited on site")
    checked_record_ids: list[Annotated[str, Field(pattern=SERVICE_REF)]] = Field(
        default_factory=list, max_length=20000,
        description="sampled services checked, by service id <institution>:<YYYY-MM>:<record id> (the `service_id` "
                    "of GET /v1/ltc/samples)")
    checked_services: list[CheckedServiceIn] = Field(
        default_factory=list, max_length=20000,
        description="sampled services checked, by institution and record id (and month if needed); with "
                    "checked_record_ids, each service counted once")
    findings: list[FindingIn] = Field(default_factory=list, max_length=1000)


class SurveyIn(BaseModel):
    person_id: str = Field(pattern=r"^\d{17}[\dXx]$", description="the disabled person's identity number")
    year: int = Field(ge=2000, le=2100)
    status: Literal["unchanged", "improved", "worsened", "deceased", "moved"] = Field(description=" | ".join(STATUSES))
    surveyed_on: str = Field(max_length=10, description=f"{DAY}, within the year")
    note: str = Field(default="", max_length=2000)


async def long_term_care(scope: Scope) -> None:
    """404 for a tenant outside the long-term care program, before roles, parameters or the body are looked at."""
    service.serves(scope.tenant)


def who(scope: TenantScope) -> dict[str, str]:
    return {"role": scope.role, "subject": scope.subject}


def target(scope: TenantScope, tenant: str | None) -> str:
    """The lot read: the caller's own, or (the agency supervisor) one of its program's; anything else is 404."""
    chosen = tenant or scope.tenant
    if chosen not in scope.readable:
        raise NotFound(f"no long-term care lot {chosen}")
    service.serves(chosen)
    return chosen


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/ltc", tags=["long-term care supervision"], dependencies=[Depends(long_term_care)])

    # ---- the written patrol plan ----

    @r.post("/patrol-plans", status_code=201, summary="Write the year's patrol plan (巡查方案): a new version",
            dependencies=[admit("inspector", "supervisor")])
    async def write_plan(body: PlanIn, scope: Scope) -> dict[str, Any]:
        return await service.write_plan(scope.db(), who(scope), body.model_dump())

    @r.get("/patrol-plans", summary="The year's patrol plan in force and its versions")
    async def read_plans(scope: Scope, year: int = Query(ge=2000, le=2100),
                         tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        scope.require(*READERS)
        return await service.plans(scope.db(target(scope, tenant)), year)

    # ---- the quarter's sample ----

    @r.post("/samples", status_code=201, summary="Plan the quarter's service sample (抽查): its quota and the year's "
                                                 "pace; re-planning only adds",
            dependencies=[admit("inspector")],
            responses={409: {"description": "another seed than the quarter's recorded one"}})
    async def plan_sample(body: SampleIn, scope: Scope) -> dict[str, Any]:
        return await service.plan_sample(scope.db(), scope.tenant, who(scope), body.quarter, body.seed)

    @r.get("/samples", summary="The quarter's sample with checked flags (a page in service id order: "
                               "<institution>:<YYYY-MM>:<record id>)")
    async def read_sample(scope: Scope, quarter: str = Query(pattern=QUARTER),
                          tenant: str | None = Query(default=None, pattern=TENANT),
                          institution_id: str | None = Query(default=None, pattern=ID),
                          after: str | None = Query(default=None, pattern=SERVICE_REF,
                                                    description="the last service id of the page before"),
                          limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        scope.require(*READERS)
        return await service.sample(scope.db(target(scope, tenant)), quarter, after, limit, institution_id)

    # ---- patrols ----

    @r.post("/patrols", status_code=201, summary="Record a patrol (监管巡查): team, institutions visited, sampled "
                                                 "services checked, findings → suggestions (patrol.completed)",
            dependencies=[admit("inspector")],
            responses={422: {"description": "a rule broken (code and field named); nothing written"}})
    async def record_patrol(body: PatrolIn, scope: Scope) -> dict[str, Any]:
        view = await service.record_patrol(scope.db(), scope.tenant, who(scope), body.model_dump(),
                                           current_carrier())
        ctx.relay.kick()
        return view

    @r.get("/patrols", summary="The quarter's patrols")
    async def list_patrols(scope: Scope, quarter: str = Query(pattern=QUARTER),
                           tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        scope.require(*READERS)
        t = target(scope, tenant)
        return await service.patrols(scope.db(t), t, quarter)

    @r.get("/patrols/attainment", summary="The quarter's supervision quotas, live: services checked vs 20%, every "
                                          "designated institution visited, the year's 100%, status surveys")
    async def attainment(scope: Scope, quarter: str = Query(pattern=QUARTER),
                         tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        scope.require(*READERS)
        t = target(scope, tenant)
        return await service.attainment(scope.db(t), t, quarter)

    @r.get("/patrols/statistics", summary="The year's patrol statistics (巡查工作统计表), JSON or format=xlsx; the "
                                          "agency's supervisor: every lot of its program, or ?tenant=")
    async def statistics(scope: Scope, year: int = Query(ge=2000, le=2100),
                         tenant: str | None = Query(default=None, pattern=TENANT),
                         format: str = Query(default="json", pattern="^(json|xlsx)$")) -> Any:
        scope.require(*READERS)
        tenants = [target(scope, tenant)] if tenant or scope.role != "supervisor" else [
            t for t in scope.readable if _serves(t)]
        report = await service.statistics({t: scope.db(t) for t in tenants}, year)
        if format == "json":
            return report
        name = f"patrol-statistics-{tenants[0] if len(tenants) == 1 else 'wz-ltc'}-{year}.xlsx"
        return attachment(service.statistics_workbook(report), XLSX, name)

    @r.get("/patrols/{patrol_id}", summary="One patrol with its findings and suggestions (处理建议)")
    async def read_patrol(patrol_id: str, scope: Scope,
                          tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        scope.require(*READERS)
        t = target(scope, tenant)
        return await service.patrol(scope.db(t), t, patrol_id)

    # ---- status surveys ----

    @r.post("/status-surveys", status_code=201, summary="Record a disabled person's yearly status survey "
                                                        "(status_survey.recorded)",
            dependencies=[admit("inspector", "clerk")])
    async def record_survey(body: SurveyIn, scope: Scope) -> dict[str, Any]:
        view = await service.record_survey(scope.db(), scope.tenant, who(scope), body.model_dump(),
                                           current_carrier())
        ctx.relay.kick()
        return view

    @r.get("/status-surveys", summary="The year's status surveys")
    async def list_surveys(scope: Scope, year: int = Query(ge=2000, le=2100),
                           tenant: str | None = Query(default=None, pattern=TENANT),
                           limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        scope.require(*SURVEY_READERS)
        return await service.surveys(scope.db(target(scope, tenant)), year, limit)

    return r


def _serves(tenant: str) -> bool:
    try:
        service.serves(tenant)
    except NotFound:
        return False
    return True
