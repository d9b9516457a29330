"""audit's HTTP door for smart claim review (智能审核, /v1/review), served to every program's tenants: the hits found
on the uploads (held lines wait for a reviewer) and on screening imports, a reviewer's or an inspector's decision
(confirm → 拒付, dismiss → released), the program's rule set and a summary.

The tenant comes from the token only; another tenant's hit is 404. Reviewers and inspectors (稽核员: their
workbench confirms or dismisses hits too) decide, the decision recording who and in which role; reviewers, inspectors,
supervisors, ops and finance read; an institution (its token's subject is its institution id) reads its own hits
only — another institution's is 404 — and the rules. Inspectors and ops import claims for screening. The agency
supervisor (claim `program`) may read another tenant of its program with `?tenant=`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from chassis.body_limit import body_limit
from chassis.errors import NotFound
from chassis.host import ServiceContext
from chassis.http import Scope, admit, read_json
from chassis.scope import TenantScope
from chassis.telemetry import current_carrier
from services.audit.smart_review import service
from services.audit.smart_review.domain.rules import RULES

READERS = ("reviewer", "inspector", "supervisor", "ops", "finance", "institution")
DECIDERS = ("reviewer", "inspector")
SCREENERS = ("inspector", "ops")
HIT_ID = r"^[a-z_]{1,40}-[0-9a-f]{20}$"
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
TENANT = r"^[a-z][a-z0-9-]{1,31}$"
RULE = "^(" + "|".join(RULES) + ")$"
SCREENING_MAX_BYTES = 256 * 1024 * 1024


class DecisionIn(BaseModel):
    decision: Literal["confirm", "dismiss"] = Field(description="confirm (the held lines are refused, 拒付) | "
                                                                "dismiss (released unless another open hit holds them)")
    note: str = Field(min_length=1, max_length=4000, description="why (required)")


class ScreeningIn(BaseModel):
    """Claims in `jingban review`'s format (the program's rule set and catalogue apply: no settings, no
    catalogue)."""

    claims: list[dict[str, Any]] = Field(min_length=1, description="claims as `jingban review` reads them: claim_id, "
                                                                  "institution, institution_kind, person_id, sex, "
                                                                  "birth_date, kind, stay dates, settled_at, lines")
    import_id: str | None = Field(default=None, max_length=64, description="idempotency key: sent again, the "
                                                                           "import's result (default: a new one)")


def _institution(scope: TenantScope) -> str | None:
    """An institution reads its own hits only (its token's subject is its institution id)."""
    return scope.subject if scope.role == "institution" else None


def _tenant(scope: TenantScope, tenant: str | None) -> str:
    """The tenant read: the caller's, or (the agency supervisor) one of its program's; anything else is 404."""
    chosen = tenant or scope.tenant
    if chosen != scope.tenant and (scope.role != "supervisor" or chosen not in scope.readable):
        raise NotFound(f"no tenant {chosen} here")
    return chosen


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/review", tags=["smart review"])

    @r.get("/hits", summary="Hits (审核疑点) with filters, a page in hit id order")
    async def list_hits(scope: Scope, state: str | None = Query(default=None, pattern="^(open|confirmed|dismissed)$"),
                        rule: str | None = Query(default=None, pattern=RULE),
                        institution: str | None = Query(default=None, pattern=ID),
                        month: str | None = Query(default=None, pattern=MONTH),
                        source: str | None = Query(default=None, pattern="^(chronic|critical|care|screening)$"),
                        batch_id: str | None = Query(default=None, pattern=ID),
                        tenant: str | None = Query(default=None, pattern=TENANT),
                        after: str | None = Query(default=None, pattern=HIT_ID, description="the last hit id of "
                                                                                            "the page before"),
                        limit: int = Query(default=200, ge=1, le=2000)) -> dict[str, Any]:
        scope.require(*READERS)
        filters = {"state": state, "rule": rule, "institution": institution, "month": month, "source": source,
                   "batch_id": batch_id}
        return await service.hits(scope.db(_tenant(scope, tenant)), filters, after, limit, _institution(scope))

    @r.get("/summary", summary="Hits by rule and state, with the amounts in question and those refused")
    async def summary(scope: Scope, institution: str | None = Query(default=None, pattern=ID),
                      month: str | None = Query(default=None, pattern=MONTH),
                      source: str | None = Query(default=None, pattern="^(chronic|critical|care|screening)$"),
                      tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        scope.require(*READERS)
        filters = {"institution": institution, "month": month, "source": source}
        return await service.summary_of(scope.db(_tenant(scope, tenant)), filters, _institution(scope))

    @r.get("/rules", summary="The program's rule set (审核规则): version, settings, rules enabled, the catalogue")
    async def rules(scope: Scope) -> dict[str, Any]:
        scope.require(*READERS)
        return service.rules_view(scope.tenant)

    @r.get("/hits/{hit_id}", summary="One hit: its rule, claim, lines (held ones), amount, reason, decision")
    async def read_hit(hit_id: str, scope: Scope,
                       tenant: str | None = Query(default=None, pattern=TENANT)) -> dict[str, Any]:
        scope.require(*READERS)
        return await service.hit(scope.db(_tenant(scope, tenant)), hit_id, _institution(scope))

    @r.post("/hits/{hit_id}/decision", summary="Confirm (拒付: the held lines are refused) or dismiss a hit, with a "
                                               "note (review_hit.decided)",
            dependencies=[admit(*DECIDERS)],
            responses={404: {"description": "no such hit for this tenant"},
                       409: {"description": "`hit_already_decided`: the hit was confirmed or dismissed before"}})
    async def decide(hit_id: str, body: DecisionIn, scope: Scope) -> dict[str, Any]:
        view = await service.decide(scope.db(), scope.tenant, hit_id, body.decision, body.note,
                                    {"role": scope.role, "subject": scope.subject}, current_carrier())
        ctx.relay.kick()
        return view

    @r.post("/claims", status_code=201, summary="Screen claims (数据提取与筛查) in `jingban review`'s format with the "
                                                "program's rule set: hits stored with source `screening`, no holds",
            responses={200: {"description": "this import_id was reviewed before: its result"},
                       422: {"description": "a field named (e.g. claims[2].lines[0].amount `amount_mismatch`); "
                                            "nothing written"}},
            openapi_extra=body_limit(SCREENING_MAX_BYTES, {"requestBody": {"required": True, "content": {
                "application/json": {"schema": ScreeningIn.model_json_schema()}}}}))
    async def screen(request: Request, response: Response, scope: Scope) -> dict[str, Any]:
        scope.require(*SCREENERS)
        body = await read_json(request, SCREENING_MAX_BYTES, object_required=True, media_required=True)
        result, fresh = await service.screen(scope.db(), scope.tenant, body,
                                             {"role": scope.role, "subject": scope.subject})
        response.status_code = 201 if fresh else 200
        return result

    return r
