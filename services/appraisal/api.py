"""appraisal's HTTP door: the expert pool, the expert workbench (opinions), the reviewer's conclusion,
the 10-working-day clock, revocation, provincial filing status and the re-review worklist."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request

from chassis.calendar import deadline_view, today_cn
from chassis.errors import Conflict, InvalidInput, NotFound, UnsupportedMediaType
from chassis.events import new_event
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.policies import PolicyReader
from chassis.programs import program_of_tenant
from chassis.telemetry import link_to, tracer
from contracts.v1 import common_pb2, events_pb2
from services.appraisal.deadline import DEADLINE_KEYS, current_case, overdue_on
from services.appraisal.domain.case import (
    ConclusionIn,
    OpinionIn,
    RevocationIn,
    after_opinion,
    benefit_start,
    check_conclusion_allowed,
    check_opinion_allowed,
    check_outcome_kind,
    majority,
    outcome_for,
    review_due,
)
from services.appraisal.domain.expert import parse_pool
from services.appraisal.drawing import draw_into
from services.appraisal.expert_lists import (
    check_pool_rows,
    pool_for_draw,
    pool_rules,
    require_approved_list,
    submit_version,
)
from services.appraisal.filing import FilingWorker
from services.appraisal.reviews import conclude_review, revoke_qualification, scan_reviews
from services.appraisal.store import AppraisalStore

READERS = ("expert", "reviewer", "clerk", "supervisor", "ops", "inspector")


def case_view(case: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    keys = ("application_id", "person_id", "person_name", "disease_code", "program", "status", "opened_at",
            "opinions", "conclusion", "qualification", "documents", "assigned", "draws", "due_on", "specialty",
            "opinions_required", "filing_status", "filing_error", "awaiting", "clock_from", "insutype",
            "reviews_qualification_id", "renewals", "revocation")
    case = current_case(case)  # a provisional deadline is worked out again on today's calendar
    view = {"case_id": case["_id"], **{k: case.get(k) for k in keys}, "deadline": deadline_view(case)}
    today = today or today_cn()
    done_on = (case.get("conclusion") or {}).get("concluded_on")
    view["overdue"] = overdue_on(case, date.fromisoformat(done_on) if done_on else today)
    view["kind"] = case.get("kind", "initial")  # initial | review (复审)
    view["recommended"] = outcome_for(view["kind"], majority(case["opinions"])) if case.get("opinions") else None
    return view


def router(ctx: ServiceContext, policies: PolicyReader, filing: FilingWorker) -> APIRouter:
    r = APIRouter(prefix="/v1")

    @r.post("/experts/import", tags=["experts"],
            summary="Import the expert pool (CSV: name, hospital, title, specialty)")
    async def import_experts(request: Request, caller: Caller) -> dict[str, Any]:
        require_role(caller, "clerk", "ops")
        if not request.headers.get("content-type", "").startswith(("text/csv", "text/plain")):
            raise UnsupportedMediaType("send the pool as text/csv")
        text = (await request.body()).decode("utf-8-sig", errors="strict")
        experts = parse_pool(text)
        # The program's pool rules (hospital level, local hospital, provincial pool id), when it sets them.
        program = program_of_tenant(caller.tenant)
        rules = pool_rules(program)
        extra = check_pool_rows(text, rules) if rules else {}
        docs = [{"_id": e.expert_id, "name": e.name, "hospital": e.hospital, "title": e.title,
                 "specialty": e.specialty, "phone": e.phone, "active": True, **extra.get(e.expert_id, {})}
                for e in experts]
        count = await AppraisalStore(ctx.db(caller.tenant)).upsert_experts(docs)
        listed = await submit_version(ctx.db(caller.tenant), program, f"{caller.role}:{caller.subject}")
        return {"imported": count, "expert_ids": [d["_id"] for d in docs],
                **({"expert_list": listed} if listed else {})}

    @r.get("/experts", tags=["experts"])
    async def experts(caller: Caller, specialty: str | None = None) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        return [{"expert_id": e["_id"], **{k: e[k] for k in ("name", "hospital", "title", "specialty")}}
                for e in await AppraisalStore(ctx.db(caller.tenant)).experts(specialty)]

    @r.get("/cases", tags=["cases"], summary="Cases of the caller's tenant, oldest first")
    async def list_cases(caller: Caller,
                         status: str | None = Query(default=None, pattern="^(open|ready|awaiting_experts|concluded)$"),
                         overdue: bool | None = None, limit: int = Query(default=200, ge=1, le=2000),
                         application_id: str | None = Query(default=None, max_length=80),
                         kind: str | None = Query(default=None, pattern="^(initial|review)$")) -> list[dict]:
        require_role(caller, *READERS)
        query: dict[str, Any] = {"status": status} if status else {}
        if application_id:  # an application of several diseases has one case each
            query["application_id"] = application_id
        if kind:
            query["kind"] = kind if kind == "review" else {"$ne": "review"}
        if caller.role == "expert":
            query["assigned"] = caller.subject
        views = [case_view(c) for c in await AppraisalStore(ctx.db(caller.tenant)).cases(query, limit)]
        return [v for v in views if overdue is None or v["overdue"] == overdue]

    @r.get("/alerts/overdue", tags=["cases"], summary="Open cases past their 10-working-day deadline")
    async def overdue_alerts(caller: Caller) -> list[dict[str, Any]]:
        require_role(caller, "clerk", "reviewer", "supervisor", "ops", "inspector")
        cases = await AppraisalStore(ctx.db(caller.tenant)).cases(
            {"status": {"$in": ["open", "ready", "awaiting_experts"]}}, 5000)
        return [case_view(c) for c in cases if case_view(c)["overdue"]]

    @r.get("/cases/{case_id}", tags=["cases"])
    async def get_case(case_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        case = await AppraisalStore(ctx.db(caller.tenant)).case(case_id)
        if case is None or (caller.role == "expert" and caller.subject not in case.get("assigned", [])):
            raise NotFound(f"case {case_id} not found")
        return case_view(case)

    @r.post("/cases/{case_id}/draw", tags=["cases"],
            summary="Draw the missing experts at random (the clerk triggers, never chooses)")
    async def redraw(case_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, "clerk", "ops")
        store = AppraisalStore(ctx.db(caller.tenant))
        case = await store.case(case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        if case["status"] != "awaiting_experts":
            raise Conflict(f"case is {case['status']}; experts are drawn only for a case awaiting them")
        need = case["opinions_required"] - len(case.get("assigned", []))
        await require_approved_list(ctx.db(caller.tenant), case.get("program", ""))
        await _draw_more(store, case, need, "pool refilled", caller.tenant)
        return case_view(await store.case(case_id) or case)

    async def _draw_more(store: AppraisalStore, case: dict[str, Any], n: int, reason: str, tenant: str) -> None:
        pool, withheld = await pool_for_draw(ctx.db(tenant), case.get("program", ""),
                                             await store.experts(case["specialty"]))
        if await draw_into(store, case, pool, withheld, n, reason, tenant):
            ctx.relay.kick()

    @r.post("/cases/{case_id}/opinions", status_code=201, tags=["cases"], summary="An expert's opinion (专家意见)")
    async def give_opinion(case_id: str, body: OpinionIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "expert")
        store = AppraisalStore(ctx.db(caller.tenant))
        case = await store.case(case_id)
        if case is None or caller.subject not in case.get("assigned", []):
            raise NotFound(f"case {case_id} not found")
        check_opinion_allowed(case["status"], caller.subject, case.get("assigned", []), case.get("opinions", []))
        opinion = {"expert_id": caller.subject, "approve": body.approve, "comment": body.comment,
                   "given_at": datetime.now(UTC).isoformat()}
        ok = await store.update_case(case_id, {"status": {"$in": ["open", "ready"]},
                                               "opinion_experts": {"$ne": caller.subject}},
                                     {"$push": {"opinions": opinion, "opinion_experts": caller.subject}})
        if not ok:
            raise Conflict("the case changed meanwhile (closed, or this expert already answered)")
        opinions = [*case.get("opinions", []), opinion]
        step = after_opinion(opinions, case["opinions_required"])
        if step == "ready":
            await store.update_case(case_id, {"status": "open"}, {"$set": {"status": "ready"}})
        elif step == "third":
            # Disagreement brings a third expert, drawn at random like the first ones.
            await store.update_case(case_id, {}, {"$inc": {"opinions_required": 1}})
            fresh = await store.case(case_id)
            if fresh:
                await _draw_more(store, fresh, 1, "disagreement", caller.tenant)
        return opinion

    @r.post("/cases/{case_id}/conclusion", tags=["cases"],
            summary="Conclude the case (鉴定结论); approval grants the status and files it provincially")
    async def conclude(case_id: str, body: ConclusionIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "reviewer", "clerk")
        tenant = caller.tenant
        store = AppraisalStore(ctx.db(tenant))
        case = await store.case(case_id)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        if case.get("kind") == "review":  # 复审: continue or revoke the qualification it re-reviews
            case = current_case(case)
            changes = await conclude_review(store, policies, case, body, caller.subject, tenant,
                                            overdue_on(case, today_cn()))
            ctx.relay.kick()
            filing.kick()
            return case_view({**case, **changes})
        check_outcome_kind("initial", body.outcome)
        check_conclusion_allowed(case["status"], case.get("opinions", []), caller.subject, body.outcome,
                                 case["opinions_required"])
        now, today = datetime.now(UTC), today_cn()
        case = current_case(case)
        overdue = overdue_on(case, today)
        carrier = case.get("trace_context") or {}
        with tracer().start_as_current_span("appraisal.conclude", links=link_to(carrier)):
            conclusion = {"outcome": body.outcome, "reason": body.reason, "concluded_by": caller.subject,
                          "concluded_at": now.isoformat(), "concluded_on": today.isoformat(), "overdue": overdue}
            concluded = events_pb2.AppraisalConcluded(
                case_id=case_id, application_id=case["application_id"], person_id=case["person_id"],
                disease_code=case["disease_code"], outcome=body.outcome, reason=body.reason,
                concluded_at=conclusion["concluded_at"], concluded_by=caller.subject, overdue=overdue, kind="initial",
                opinions=[common_pb2.ExpertOpinion(expert_id=o["expert_id"], approve=o["approve"],
                                                   comment=o["comment"], given_at=o["given_at"])
                          for o in case.get("opinions", [])],
            )
            events = [new_event("appraisal.concluded", tenant, case["person_id"], concluded, source="appraisal",
                                trace_context=carrier)]
            changes: dict[str, Any] = {"status": "concluded", "conclusion": conclusion,
                                       **{k: case[k] for k in DEADLINE_KEYS if k in case}}
            if body.outcome == "approved":
                table = await policies.table(tenant, case["program"], today.isoformat())
                rule = next(d for d in table.diseases if d.code == case["disease_code"])
                due = review_due(today, rule.review_months)
                qualification = {
                    "qualification_id": str(uuid.uuid4()), "person_id": case["person_id"],
                    "disease_code": case["disease_code"], "application_id": case["application_id"],
                    "case_id": case_id, "granted_on": today.isoformat(),
                    "benefit_start": benefit_start(today, rule.start).isoformat(), "status": "active",
                    "review_due": due.isoformat() if due else "", "filing_serial": "",
                    "policy_version": table.version, "insutype": case.get("insutype", ""),
                }
                changes.update({"qualification": qualification, "qualification_id": qualification["qualification_id"],
                                "review_due": qualification["review_due"], "filing_status": "pending",
                                "filing_attempts": 0, "filing_next_at": now.isoformat()})
                events.append(new_event(
                    "qualification.granted", tenant, case["person_id"],
                    events_pb2.QualificationGranted(qualification=common_pb2.Qualification(**qualification)),
                    source="appraisal", trace_context=carrier))
            if not await store.update_case(case_id, {"status": "ready"}, {"$set": changes}, events):
                raise Conflict("the case was concluded meanwhile")
        ctx.relay.kick()
        filing.kick()
        return case_view({**case, **changes})

    @r.post("/qualifications/{qualification_id}/revoke", tags=["qualifications"],
            summary="Revoke a qualification (撤销); the provincial filing is revoked with 2504")
    async def revoke(qualification_id: str, body: RevocationIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "reviewer", "clerk")
        store = AppraisalStore(ctx.db(caller.tenant))
        case = await store.case_of_qualification(qualification_id)
        if case is None:
            raise NotFound(f"qualification {qualification_id} not found")
        if case["qualification"]["status"] != "active":
            raise Conflict("the qualification is not active")
        # A filed qualification must also be revoked provincially; a pending filing is simply cancelled.
        ok = await revoke_qualification(store, case, caller.tenant, body.reason, caller.subject)
        if not ok:
            raise Conflict("the qualification changed meanwhile")
        ctx.relay.kick()
        filing.kick()
        return case_view(await store.case(case["_id"]) or case)

    @r.get("/filings", tags=["filings"], summary="Provincial filing status (备案) of qualifications")
    async def filings(caller: Caller, status: str | None = Query(
            default=None, pattern="^(pending|filed|failed|rejected|renewing|revoking|revoked|cancelled)$")
            ) -> list[dict]:
        require_role(caller, "clerk", "reviewer", "supervisor", "ops")
        query: dict[str, Any] = {"filing_status": status} if status else {"filing_status": {"$exists": True}}
        return [{"case_id": c["_id"], "qualification_id": c.get("qualification_id"), "person_id": c["person_id"],
                 "disease_code": c["disease_code"], "filing_status": c.get("filing_status"),
                 "filing_serial": (c.get("qualification") or {}).get("filing_serial", ""),
                 "attempts": c.get("filing_attempts", 0), "error": c.get("filing_error", "")}
                for c in await AppraisalStore(ctx.db(caller.tenant)).cases(query, 5000)]

    @r.post("/cases/{case_id}/filing/retry", tags=["filings"], summary="Retry a failed or refused filing")
    async def retry_filing(case_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, "clerk", "ops")
        store = AppraisalStore(ctx.db(caller.tenant))
        case = await store.case(case_id)
        # The step that failed is retried: a refused revocation (2504) or renewal is never retried as a new filing.
        step = (case or {}).get("filing_failed_step") or "pending"
        ok = await store.update_case(case_id, {"filing_status": {"$in": ["failed", "rejected"]}}, {"$set": {
            "filing_status": step, "filing_attempts": 0, "filing_next_at": datetime.now(UTC).isoformat()}})
        if not ok:
            raise Conflict("only a failed or refused filing can be retried")
        filing.kick()
        return case_view(await store.case(case_id) or {})

    @r.get("/reviews/due", tags=["reviews"], summary="Re-review worklist (复审): qualifications due")
    async def reviews_due(caller: Caller, on: date | None = None, within_days: int = Query(default=30, ge=0, le=366)
                          ) -> list[dict[str, Any]]:
        require_role(caller, "clerk", "reviewer", "supervisor", "ops")
        day = on or today_cn()
        from datetime import timedelta

        horizon = (day + timedelta(days=within_days)).isoformat()
        cases = await AppraisalStore(ctx.db(caller.tenant)).cases(
            {"qualification.status": "active", "review_due": {"$gt": "", "$lte": horizon}}, 5000)
        return [{"qualification_id": c["qualification_id"], "person_id": c["person_id"],
                 "person_name": c.get("person_name"), "disease_code": c["disease_code"],
                 "review_due": c["review_due"], "notified": bool(c.get("review_notified")),
                 # Past its date without a passed re-review: settlement pays nothing (review_overdue).
                 "overdue": c["review_due"] < day.isoformat()} for c in cases]

    @r.post("/reviews/scan", tags=["reviews"], summary="Raise review_due for qualifications entering the notice window")
    async def reviews_scan(caller: Caller, on: date | None = None) -> dict[str, int]:
        require_role(caller, "clerk", "ops")
        if on and on < date(2000, 1, 1):
            raise InvalidInput("date too early", "on")
        raised = await scan_reviews(ctx, caller.tenant, on or today_cn())
        return {"raised": raised}

    return r
