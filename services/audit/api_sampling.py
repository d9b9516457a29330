"""audit's HTTP door for inspection work: the cases it knows, sampling plans (抽查) and their inspection
tasks, phone call-backs (电话回访) and findings."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.money import parse_yuan, to_fen
from chassis.telemetry import current_carrier
from services.audit import emit
from services.audit.domain.periods import parse_period
from services.audit.domain.readmodel import (
    CASES,
    FINDINGS,
    POLICIES,
    case_status,
    current_review_due,
    policy_for,
    uncapped_codes,
)
from services.audit.domain.sampling import (
    SEED_RE,
    CallbackResultIn,
    CallbacksIn,
    InspectionResultIn,
    SamplingPlanIn,
    carrier_liability_fields,
    parse_ratio,
    plan_strata,
)
from services.audit.domain.warnings import FindingIn
from services.audit.program import audit_settings
from services.audit.store import AuditStore
from services.audit.views import callback_view, finding_view, plan_view, task_view

READERS = ("inspector", "supervisor", "ops")
INSPECTORS = ("inspector",)
CALLBACK_STATUSES = "^(open|unreached|confirmed|unconfirmed)$"
# Derived ids (uuid5) make the tasks, call-backs and findings a plan causes the same on every retry.
_NS = uuid.UUID("0b7c2f4e-9d1a-4c3b-8e5f-6a7b8c9d0e1f")
DRAW_METHOD = "per disease, the k cases with the smallest sha256(seed|case_id); k = ceil(ratio x population)"


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "|".join(parts)))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _amount_fen(text: str, field: str = "amount") -> int:
    amount = parse_yuan(text, field)
    if amount < 0:
        raise InvalidInput(f"{field} cannot be negative", field)
    return to_fen(amount)


def new_finding(finding_id: str, person_id: str, kind: str, description: str, amount_fen: int, who: Caller,
                source: str, **extra: Any) -> dict[str, Any]:
    raised_at = _now()
    return {"_id": finding_id, "person_id": person_id, "kind": kind, "description": description,
            "amount_fen": amount_fen, "raised_at": raised_at, "raised_on": today_cn().isoformat(),
            "raised_by": {"role": who.role, "subject": who.subject}, "source": source, **extra}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["sampling and inspections"])

    def store(caller: Caller) -> AuditStore:
        return AuditStore(ctx.db(caller.tenant))

    @r.get("/cases", summary="Cases (qualifications) audit knows, with whether the disease is uncapped")
    async def cases(caller: Caller, person_id: str | None = None, disease_code: str | None = None) -> dict[str, Any]:
        require_role(caller, *READERS)
        s, today = store(caller), today_cn()
        query = {k: v for k, v in (("person_id", person_id), ("disease_code", disease_code)) if v}
        policy = policy_for(await s.all(POLICIES), today, audit_settings(caller.tenant).program or None)
        unc = uncapped_codes(policy)
        return {"policy_version": (policy or {}).get("version"), "cases": [
            {"case_id": c["_id"], **{k: c.get(k) for k in ("person_id", "disease_code", "granted_on", "benefit_start",
                                                           "revoked_on", "filing_serial", "renewed_on")},
             "review_due_on": current_review_due(c) or None,  # moved on by a passed re-review (复审)
             "uncapped": c.get("disease_code") in unc if policy else None, "status": case_status(c, today)}
            for c in await s.all(CASES, query)]}

    @r.post("/sampling-plans", status_code=201, summary="Draw a reproducible random sample of a period's cases")
    async def create_plan(body: SamplingPlanIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *INSPECTORS)
        period = parse_period(body.period)
        settings = audit_settings(caller.tenant)
        minimum = settings.uncapped_sample_ratio
        uncapped_ratio = minimum if body.uncapped_ratio is None else parse_ratio(body.uncapped_ratio, "uncapped_ratio")
        if uncapped_ratio < minimum:
            raise InvalidInput(f"uncapped_ratio must be at least {minimum}: that share of the uncapped diseases' "
                               "cases has to be checked", "uncapped_ratio")
        other_ratio = parse_ratio(body.other_ratio, "other_ratio")
        if body.seed is not None and not SEED_RE.match(body.seed):
            raise InvalidInput("seed must be 1-64 characters of letters, digits and ._:-", "seed")
        seed = body.seed or secrets.token_hex(16)
        s = store(caller)
        policy = policy_for(await s.all(POLICIES), period.end, settings.program or None)
        if policy is None:
            raise Conflict(f"no policy table in force on {period.end} has been published (policy.published), so "
                           "the uncapped diseases are unknown")
        all_cases = await s.all(CASES)
        strata = plan_strata(all_cases, period, uncapped_codes(policy), uncapped_ratio, other_ratio, seed)
        if not strata:
            raise Conflict(f"no case was active in {period.label}: nothing to sample")
        person_of = {c["_id"]: c["person_id"] for c in all_cases}
        plan_id = str(uuid.uuid4())
        plan = {"_id": plan_id, "period": period.label, "start": period.start.isoformat(),
                "end": period.end.isoformat(), "seed": seed, "method": DRAW_METHOD,
                "uncapped_ratio": str(uncapped_ratio), "other_ratio": str(other_ratio), "program": settings.program,
                "policy_version": policy.get("version", ""), "strata": [st.as_doc() for st in strata],
                # A list, not a map keyed by case id: ids from events are not safe field names everywhere.
                "sampled": [{"case_id": case, "person_id": person_of[case]} for st in strata for case in st.sample],
                "created_at": _now(), "created_by": {"role": caller.role, "subject": caller.subject}}
        await s.add_plan(plan, plan_tasks(plan))
        return plan_view(plan, {})

    def plan_tasks(plan: dict[str, Any]) -> list[dict[str, Any]]:
        person_of = {s["case_id"]: s["person_id"] for s in plan["sampled"]}
        return [{"_id": derived_id(plan["_id"], "task", case), "plan_id": plan["_id"], "case_id": case,
                 "person_id": person_of[case], "disease_code": st["disease_code"], "uncapped": st["uncapped"],
                 "status": "open"} for st in plan["strata"] for case in st["sample"]]

    async def get_plan(s: AuditStore, plan_id: str) -> dict[str, Any]:
        plan = await s.plan(plan_id)
        if plan is None:
            raise NotFound(f"sampling plan {plan_id} not found")
        return plan

    @r.get("/sampling-plans", summary="Sampling plans, oldest first")
    async def list_plans(caller: Caller, period: str | None = None) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        s = store(caller)
        plans = await s.plans(period)
        checked = await s.checked_by_disease([p["_id"] for p in plans])
        return [plan_view(p, checked.get(p["_id"], {})) for p in plans]

    @r.get("/sampling-plans/{plan_id}", summary="A plan: its draw and attainment (checked / required) per disease")
    async def read_plan(plan_id: str, caller: Caller, population: bool = False) -> dict[str, Any]:
        require_role(caller, *READERS)
        s = store(caller)
        plan = await get_plan(s, plan_id)
        await s.heal_tasks(plan_tasks(plan))  # restores tasks a crash after the plan's write left out
        checked = await s.checked_by_disease([plan_id])
        return plan_view(plan, checked.get(plan_id, {}), population)

    @r.get("/sampling-plans/{plan_id}/tasks", summary="The inspection tasks of a plan (one per sampled case)")
    async def list_tasks(plan_id: str, caller: Caller,
                         status: str | None = Query(default=None, pattern="^(open|checked)$")) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        s = store(caller)
        await get_plan(s, plan_id)
        return [task_view(t) for t in await s.tasks(plan_id, status)]

    @r.post("/inspection-tasks/{task_id}/result", summary="Record an inspection; a problem raises a finding")
    async def task_result(task_id: str, body: InspectionResultIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *INSPECTORS)
        s = store(caller)
        task = await s.task(task_id)
        if task is None:
            raise NotFound(f"inspection task {task_id} not found")
        if task["status"] != "open":
            raise Conflict(f"inspection task {task_id} was already checked")
        amount_fen = _amount_fen(body.amount)
        if body.outcome == "problem" and not body.notes.strip():
            raise InvalidInput("notes are required to describe the problem", "notes")
        changes: dict[str, Any] = {"status": "checked", "outcome": body.outcome, "notes": body.notes,
                                   "checked_by": {"role": caller.role, "subject": caller.subject},
                                   "checked_at": _now()}
        events, finding = [], None
        if body.outcome == "problem":
            finding = new_finding(derived_id(task_id, "finding"), task["person_id"], body.finding_kind,
                                  f"Inspection of case {task['case_id']} ({task['disease_code']}): {body.notes}",
                                  amount_fen, caller, "inspection", plan_id=task["plan_id"], task_id=task_id)
            changes["finding_id"] = finding["_id"]
            # The finding's event travels in the task's own outbox, atomically with the result; the finding
            # is filed right after, and again by the projection of that event should this process die first.
            events.append(emit.finding_raised(caller.tenant, finding, current_carrier()))
        if not await s.close_task(task_id, changes, events):
            raise Conflict(f"inspection task {task_id} was checked meanwhile")
        ctx.relay.kick()
        if finding:
            await s.file_finding(finding)
        return {**task_view({**task, **changes}), "finding": finding_view(finding) if finding else None}

    @r.post("/callbacks", status_code=201, summary="Phone call-back tasks for a plan's sampled persons")
    async def create_callbacks(body: CallbacksIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *INSPECTORS)
        s = store(caller)
        plan = await get_plan(s, body.plan_id)
        cases_of: dict[str, list[str]] = {}
        for pick in sorted(plan["sampled"], key=lambda x: x["case_id"]):
            cases_of.setdefault(pick["person_id"], []).append(pick["case_id"])
        wanted = sorted(cases_of) if body.person_ids is None else sorted(set(body.person_ids))
        strangers = [p for p in wanted if p not in cases_of]
        if strangers:
            raise InvalidInput(f"not sampled in plan {body.plan_id}: {', '.join(strangers[:5])}"
                               + (" …" if len(strangers) > 5 else ""), "person_ids")
        if not wanted:
            raise InvalidInput("person_ids is empty", "person_ids")
        disease_of = {case: st["disease_code"] for st in plan["strata"] for case in st["sample"]}
        created, out = 0, []
        for person in wanted:
            callback = {"_id": derived_id(plan["_id"], "callback", person), "plan_id": plan["_id"],
                        "person_id": person, "case_ids": cases_of[person],
                        "disease_codes": sorted({disease_of[c] for c in cases_of[person]}), "status": "open",
                        "attempts": [], "created_at": _now(),
                        "created_by": {"role": caller.role, "subject": caller.subject}}
            if await s.add_callback(callback):
                created += 1
                out.append(callback)
            else:
                out.append(await s.callback(callback["_id"]) or callback)
        return {"plan_id": plan["_id"], "created": created, "existing": len(out) - created,
                "callbacks": [callback_view(c) for c in out]}

    @r.get("/callbacks", summary="Phone call-backs")
    async def list_callbacks(caller: Caller, plan_id: str | None = None,
                             status: str | None = Query(default=None, pattern=CALLBACK_STATUSES),
                             ) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        return [callback_view(c) for c in await store(caller).callbacks(plan_id, status)]

    @r.get("/callbacks/{callback_id}")
    async def read_callback(callback_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        cb = await store(caller).callback(callback_id)
        if cb is None:
            raise NotFound(f"call-back {callback_id} not found")
        return callback_view(cb)

    @r.post("/callbacks/{callback_id}/result", summary="A call's result; treatment not confirmed raises a finding")
    async def callback_result(callback_id: str, body: CallbackResultIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *INSPECTORS)
        if body.reached and body.confirmed_treatment is None:
            raise InvalidInput("confirmed_treatment is required when the person was reached", "confirmed_treatment")
        if not body.reached and body.confirmed_treatment is not None:
            raise InvalidInput("confirmed_treatment can only be given when the person was reached",
                               "confirmed_treatment")
        s = store(caller)
        cb = await s.callback(callback_id)
        if cb is None:
            raise NotFound(f"call-back {callback_id} not found")
        if cb["status"] not in ("open", "unreached"):
            raise Conflict(f"call-back {callback_id} is already concluded ({cb['status']})")
        at = _now()
        attempt = {"at": at, "by": caller.subject, "reached": body.reached,
                   "confirmed_treatment": body.confirmed_treatment, "notes": body.notes}
        status = "unreached" if not body.reached else "confirmed" if body.confirmed_treatment else "unconfirmed"
        changes: dict[str, Any] = {"status": status}
        events, finding = [], None
        if status == "unconfirmed":
            finding = new_finding(derived_id(callback_id, "finding"), cb["person_id"], "callback_unconfirmed",
                                  "Phone call-back: the person did not confirm the treatment billed"
                                  + (f" ({body.notes})" if body.notes else ""), 0, caller, "callback",
                                  plan_id=cb["plan_id"], callback_id=callback_id)
            changes["finding_id"] = finding["_id"]
            events.append(emit.finding_raised(caller.tenant, finding, current_carrier()))
        if not await s.record_callback(callback_id, attempt, changes, events):
            raise Conflict(f"call-back {callback_id} was concluded meanwhile")
        ctx.relay.kick()
        if finding:
            await s.file_finding(finding)
        cb = {**cb, **changes, "attempts": [*cb.get("attempts", []), attempt]}
        return {**callback_view(cb), "finding": finding_view(finding) if finding else None}

    @r.post("/findings", status_code=201, summary="Raise an audit finding (稽核发现)")
    async def raise_finding(body: FindingIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, *INSPECTORS)
        amount_fen = _amount_fen(body.amount)
        # A carrier-caused loss (承办方全额承担) is booked by settlement in the carrier's account: checked first.
        liability = carrier_liability_fields(body.carrier_caused, amount_fen, body.carrier_reason, body.fund_year,
                                             today_cn().isoformat())
        s = store(caller)
        if body.plan_id is not None and await s.plan(body.plan_id) is None:
            raise InvalidInput(f"sampling plan {body.plan_id} not found", "plan_id")
        finding = new_finding(str(uuid.uuid4()), body.person_id, body.kind, body.description, amount_fen, caller,
                              "manual", plan_id=body.plan_id, **liability)
        await s.add_finding(finding, [emit.finding_raised(caller.tenant, finding, current_carrier())])
        ctx.relay.kick()
        return finding_view(finding)

    @r.get("/findings", summary="Findings, oldest first")
    async def list_findings(caller: Caller, person_id: str | None = None, kind: str | None = None,
                            period: str | None = None) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        query = {k: v for k, v in (("person_id", person_id), ("kind", kind)) if v}
        found = await store(caller).all(FINDINGS, query)
        if period:
            p = parse_period(period)
            found = [f for f in found if p.start.isoformat() <= f.get("raised_on", "") <= p.end.isoformat()]
        return [finding_view(f) for f in sorted(found, key=lambda f: f.get("raised_at", ""))]

    @r.get("/findings/{finding_id}")
    async def read_finding(finding_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        f = await store(caller).finding(finding_id)
        if f is None:
            raise NotFound(f"finding {finding_id} not found")
        return finding_view(f)

    return r
