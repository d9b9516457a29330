"""audit's HTTP door for record sampling (病历抽审, /v1/supervision): populations (a hospital's records of the last two
years or the agency's manual-reimbursement files: JSON, or CSV `record_id[,date]` with the particulars in the query),
samples drawn from them (at least 2.5%, seed kept, reproducible; `…/verification` redoes the draw), results per
sampled record, and the problem-record rate against the 40% expectation.

The tenant comes from the token only; a tenant outside the fund-supervision program answers 404 for all of it before
its body is read. Inspectors upload, draw and record; the agency's supervisor and ops read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from chassis.body_limit import body_limit
from chassis.errors import InvalidInput, UnsupportedMediaType
from chassis.host import ServiceContext
from chassis.http import Scope, admit, content_type, read_json, read_raw
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.inspections import service as inspections
from services.audit.record_sampling import service
from services.audit.record_sampling.domain.population import MAX_RECORDS, POPULATION_KINDS, parse_csv

WORKERS = ("inspector",)
READERS = ("inspector", "supervisor", "ops")
INSTITUTION_ID = r"^[A-Z0-9][A-Z0-9-]{3,31}$"
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
RECORD_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]{0,63}$"
MAX_BODY = 16 * 1024 * 1024   # 500,000 record ids of ~30 bytes


class PopulationIn(BaseModel):
    """A population's particulars (the records beside them)."""

    institution_id: str = Field(pattern=INSTITUTION_ID)
    kind: Literal[tuple(POPULATION_KINDS)] = Field(  # type: ignore[valid-type]
        description=" | ".join(POPULATION_KINDS) + " (a hospital's records | the agency's files)")
    period_from: date = Field(description="the first day covered (at most two years before period_to)")
    period_to: date = Field(description="the last day covered, today at the latest")


class SampleIn(BaseModel):
    population_id: str = Field(pattern=ID)
    seed: str | None = Field(default=None, max_length=64, description="recorded; a random one when absent")
    rate: Decimal | None = Field(default=None, description="the share drawn, at least 0.025 (default)")
    inspection_id: str | None = Field(default=None, pattern=ID, description="the inspection it is part of")


class ResultIn(BaseModel):
    record_id: str = Field(pattern=RECORD_ID)
    problem: bool
    code: str = Field(default="", max_length=10, description="a problem's violation code (H…, D…, I…; A… for the "
                                                              "agency)")
    note: str = Field(default="", max_length=4000)


class ResultsIn(BaseModel):
    results: list[ResultIn] = Field(max_length=20000)


POPULATION_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["institution_id", "kind", "period_from",
                                                                   "period_to", "records"],
                                    "description": "PopulationIn and `records`: record ids, or {record_id, date}",
                                    "properties": {"records": {"type": "array", "maxItems": MAX_RECORDS}}}},
    "text/csv": {"schema": {"type": "string", "description": "`record_id[,date]` with that header; the particulars "
                                                            "in the query (institution_id, kind, period_from, "
                                                            "period_to)"}}}}}


async def supervision(scope: Scope) -> None:
    """404 for a tenant outside the fund-supervision program, before roles, parameters or the body are looked at."""
    inspections.serves(scope.tenant)


def who(scope: TenantScope) -> dict[str, str]:
    return {"role": scope.role, "subject": scope.subject}


def _particulars(raw: dict[str, Any]) -> PopulationIn:
    try:
        return PopulationIn.model_validate(raw)
    except ValidationError as exc:
        fields = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise InvalidInput("; ".join(f"{f['field']}: {f['message']}" for f in fields[:20]), fields[0]["field"],
                           fields=fields[:100]) from exc


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/supervision", tags=["fund supervision: record sampling"],
                  dependencies=[Depends(supervision)])

    @r.post("/record-populations", status_code=201,
            summary="Upload a population (抽审总体): JSON with `records`, or CSV `record_id[,date]` with the "
                    "particulars in the query",
            dependencies=[admit(*WORKERS)], openapi_extra=body_limit(MAX_BODY, POPULATION_BODY))
    async def add_population(request: Request, scope: Scope,
                             institution_id: str | None = Query(default=None, description="CSV only"),
                             kind: str | None = Query(default=None, description="CSV only"),
                             period_from: str | None = Query(default=None, description="CSV only"),
                             period_to: str | None = Query(default=None, description="CSV only")) -> dict[str, Any]:
        if content_type(request) == "text/csv":
            raw = await read_raw(request, MAX_BODY)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InvalidInput("the CSV is not UTF-8", "records") from exc
            head = _particulars({"institution_id": institution_id, "kind": kind, "period_from": period_from,
                                 "period_to": period_to})
            records: Any = parse_csv(text)
        elif content_type(request) in ("application/json", ""):
            body = await read_json(request, MAX_BODY, exact_numbers=False, object_required=True)
            head = _particulars({k: body.get(k) for k in ("institution_id", "kind", "period_from", "period_to")})
            records = body.get("records")
            if not isinstance(records, list):
                raise InvalidInput("records is a list of record ids (or {record_id, date})", "records")
        else:
            raise UnsupportedMediaType("send application/json or text/csv", "content-type")
        return await service.add_population(scope.db(), who(scope), head.model_dump(), records)

    @r.get("/record-populations", summary="Populations uploaded", dependencies=[admit(*READERS)])
    async def list_populations(scope: Scope, institution_id: str | None = Query(default=None, pattern=INSTITUTION_ID),
                               limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        return await service.populations(scope.db(), institution_id, limit)

    @r.get("/record-populations/{population_id}", summary="One population: count, period, checksum",
           dependencies=[admit(*READERS)])
    async def read_population(population_id: str, scope: Scope) -> dict[str, Any]:
        return await service.population(scope.db(), population_id)

    @r.post("/record-samples", status_code=201,
            summary="Draw the population's sample: ceil(2.5% × N) records, reproducible from the seed kept",
            dependencies=[admit(*WORKERS)],
            responses={200: {"description": "the population's sample, drawn before"},
                       409: {"description": "population_sampled: drawn with another seed"}})
    async def draw_sample(body: SampleIn, response: Response, scope: Scope) -> dict[str, Any]:
        view, created = await service.draw_sample(scope.db(), who(scope), body.population_id, body.seed, body.rate,
                                                  body.inspection_id)
        response.status_code = 201 if created else 200
        return view

    @r.get("/record-samples", summary="Samples with their figures (problem-record rate vs 40%)",
           dependencies=[admit(*READERS)])
    async def list_samples(scope: Scope, institution_id: str | None = Query(default=None, pattern=INSTITUTION_ID),
                           limit: int = Query(default=1000, ge=1, le=5000)) -> dict[str, Any]:
        return await service.samples(scope.db(), institution_id, limit)

    @r.get("/record-samples/{sample_id}", summary="One sample: its records and results, the rate vs 40%",
           dependencies=[admit(*READERS)])
    async def read_sample(sample_id: str, scope: Scope) -> dict[str, Any]:
        return await service.sample(scope.db(), sample_id)

    @r.get("/record-samples/{sample_id}/verification", summary="The draw redone from its seed and population",
           dependencies=[admit(*READERS)])
    async def verify(sample_id: str, scope: Scope) -> dict[str, Any]:
        return await service.verify(scope.db(), sample_id)

    @r.post("/record-samples/{sample_id}/results",
            summary="Record sampled records' results (problem, code, note); the last completes the sample "
                    "(record_sample.completed)",
            dependencies=[admit(*WORKERS)])
    async def record_results(sample_id: str, body: ResultsIn, scope: Scope) -> dict[str, Any]:
        view = await service.record_results(scope.db(), scope.tenant, who(scope), sample_id,
                                            [x.model_dump() for x in body.results], current_carrier())
        ctx.relay.kick()
        return view

    return r
