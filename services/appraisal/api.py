"""appraisal's HTTP door: the expert workbench (opinions) and the reviewer's conclusion."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query

from chassis.calendar import today_cn
from chassis.errors import Conflict, NotFound
from chassis.events import new_event
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.telemetry import link_to, tracer
from jingban.contracts.v1 import common_pb2, events_pb2
from services.appraisal.domain.case import (
    ConclusionIn,
    OpinionIn,
    benefit_start,
    check_conclusion_allowed,
    check_opinion_allowed,
)
from services.appraisal.store import AppraisalStore

READERS = ("expert", "reviewer", "clerk", "supervisor", "ops")


def case_view(case: dict[str, Any]) -> dict[str, Any]:
    keys = ("application_id", "person_id", "person_name", "disease_code", "program", "status", "opened_at",
            "opinions", "conclusion", "qualification", "documents")
    return {"case_id": case["_id"], **{k: case.get(k) for k in keys}}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["cases"])

    @r.get("/cases", summary="Cases of the caller's tenant, oldest first")
    async def list_cases(caller: Caller, status: str | None = Query(default=None, pattern="^(open|concluded)$"),
                         limit: int = Query(default=100, ge=1, le=1000)) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        return [case_view(c) for c in await AppraisalStore(ctx.db(caller.tenant)).cases(status, limit)]

    @r.get("/cases/{case_id}")
    async def get_case(case_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        case = await AppraisalStore(ctx.db(caller.tenant)).case(case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        return case_view(case)

    @r.post("/cases/{case_id}/opinions", status_code=201, summary="An expert's opinion (专家意见)")
    async def give_opinion(case_id: str, body: OpinionIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "expert")
        store = AppraisalStore(ctx.db(caller.tenant))
        case = await store.case(case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        check_opinion_allowed(case["status"], caller.subject, case.get("opinions", []))
        opinion = {"expert_id": caller.subject, "approve": body.approve, "comment": body.comment,
                   "given_at": datetime.now(UTC).isoformat()}
        if not await store.add_opinion(case_id, opinion):
            raise Conflict("the case changed meanwhile (closed, or this expert already answered)")
        return opinion

    @r.post("/cases/{case_id}/conclusion", summary="Conclude the case (鉴定结论); approval grants the status")
    async def conclude(case_id: str, body: ConclusionIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "reviewer", "clerk")
        store = AppraisalStore(ctx.db(caller.tenant))
        case = await store.case(case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        check_conclusion_allowed(case["status"], case.get("opinions", []), caller.subject)
        now = datetime.now(UTC)
        today = today_cn()
        carrier = case.get("trace_context") or {}
        # Events continue the application's trace; this request is linked to it.
        with tracer().start_as_current_span("appraisal.conclude", links=link_to(carrier)):
            conclusion = {"outcome": body.outcome, "reason": body.reason, "concluded_by": caller.subject,
                          "concluded_at": now.isoformat()}
            concluded = events_pb2.AppraisalConcluded(
                case_id=case_id, application_id=case["application_id"], person_id=case["person_id"],
                disease_code=case["disease_code"], outcome=body.outcome, reason=body.reason,
                concluded_at=conclusion["concluded_at"], concluded_by=caller.subject,
                opinions=[common_pb2.ExpertOpinion(expert_id=o["expert_id"], approve=o["approve"],
                                                   comment=o["comment"], given_at=o["given_at"])
                          for o in case.get("opinions", [])],
            )
            events = [new_event("appraisal.concluded", caller.tenant, case["person_id"], concluded,
                                source="appraisal", trace_context=carrier)]
            changes: dict[str, Any] = {"status": "concluded", "conclusion": conclusion}
            if body.outcome == "approved":
                qualification = {
                    "qualification_id": str(uuid.uuid4()), "person_id": case["person_id"],
                    "disease_code": case["disease_code"], "application_id": case["application_id"],
                    "case_id": case_id, "granted_on": today.isoformat(),
                    "benefit_start": benefit_start(today, case["disease_code"]).isoformat(), "status": "active",
                }
                changes["qualification"] = qualification
                events.append(new_event(
                    "qualification.granted", caller.tenant, case["person_id"],
                    events_pb2.QualificationGranted(qualification=common_pb2.Qualification(**qualification)),
                    source="appraisal", trace_context=carrier))
            if not await store.conclude(case_id, changes, events):
                raise Conflict("the case was concluded meanwhile")
        ctx.relay.kick()
        return case_view({**case, **changes})

    return r
