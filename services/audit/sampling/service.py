"""Sampling's use cases: draw a plan (抽查) and its inspection tasks, record inspections and phone call-backs
(电话回访), raise findings (稽核发现) — an inspection problem or an unconfirmed call-back raises one, and an
inspector raises one by hand. The event `finding.raised` rides in the outbox of the document whose write causes
it; the door kicks the relay after a write that carries one."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from chassis.money import fmt, from_fen
from contracts.v1 import events_pb2
from services.audit.readmodel import service as readmodel
from services.audit.readmodel.domain.readmodel import uncapped_codes
from services.audit.reports.domain.periods import parse_period
from services.audit.sampling.domain.ids import derived_id
from services.audit.sampling.domain.liability import carrier_liability_fields, loss_fen
from services.audit.sampling.domain.sampling import SEED_RE, parse_ratio, plan_strata
from services.audit.sampling.domain.settings import uncapped_sample_ratio
from services.audit.sampling.store import OUTBOX, SamplingStore

__all__ = ["OUTBOX"]

DRAW_METHOD = "per disease, the k cases with the smallest sha256(seed|case_id); k = ceil(ratio x population)"
Doc = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def finding_raised(tenant: str, finding: Doc, carrier: dict[str, str]) -> Doc:
    """`finding.raised`, in the form the outbox stores (chassis.events.new_event)."""
    payload = events_pb2.FindingRaised(
        finding_id=finding["_id"], person_id=finding["person_id"], kind=finding["kind"],
        description=finding["description"], amount=fmt(from_fen(finding["amount_fen"])),
        raised_at=finding["raised_at"], carrier_caused=bool(finding.get("carrier_caused")),
        carrier_reason=finding.get("carrier_reason") or "", raised_on=finding.get("raised_on", ""),
        fund_year=int(finding.get("fund_year") or 0))
    return new_event("finding.raised", tenant, finding["person_id"], payload, source="audit", trace_context=carrier)


def new_finding(finding_id: str, person_id: str, kind: str, description: str, amount_fen: int, by: dict[str, str],
                source: str, **extra: Any) -> Doc:
    raised_at = _now()
    return {"_id": finding_id, "person_id": person_id, "kind": kind, "description": description,
            "amount_fen": amount_fen, "raised_at": raised_at, "raised_on": today_cn().isoformat(),
            "raised_by": by, "source": source, **extra}


async def ensure_indexes(db: Any) -> None:
    await SamplingStore(db).ensure_indexes()


# ---- sampling plans and inspection tasks ----

async def create_plan(db: Any, tenant: str, by: dict[str, str], period_text: str, seed: str | None,
                      uncapped_ratio_text: str | None, other_ratio_text: str) -> Doc:
    period = parse_period(period_text)
    program = readmodel.program_code(tenant)
    minimum = uncapped_sample_ratio(tenant)
    uncapped_ratio = minimum if uncapped_ratio_text is None else parse_ratio(uncapped_ratio_text, "uncapped_ratio")
    if uncapped_ratio < minimum:
        raise InvalidInput(f"uncapped_ratio must be at least {minimum}: that share of the uncapped diseases' "
                           "cases has to be checked", "uncapped_ratio")
    other_ratio = parse_ratio(other_ratio_text, "other_ratio")
    if seed is not None and not SEED_RE.match(seed):
        raise InvalidInput("seed must be 1-64 characters of letters, digits and ._:-", "seed")
    seed = seed or secrets.token_hex(16)
    policy = await readmodel.policy_in_force(db, period.end, program or None)
    if policy is None:
        raise Conflict(f"no policy table in force on {period.end} has been published (policy.published), so "
                       "the uncapped diseases are unknown")
    all_cases = await readmodel.cases(db)
    strata = plan_strata(all_cases, period, uncapped_codes(policy), uncapped_ratio, other_ratio, seed)
    if not strata:
        raise Conflict(f"no case was active in {period.label}: nothing to sample")
    person_of = {c["_id"]: c["person_id"] for c in all_cases}
    plan_id = str(uuid.uuid4())
    plan = {"_id": plan_id, "period": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat(), "seed": seed, "method": DRAW_METHOD,
            "uncapped_ratio": str(uncapped_ratio), "other_ratio": str(other_ratio), "program": program,
            "policy_version": policy.get("version", ""), "strata": [st.as_doc() for st in strata],
            # A list, not a map keyed by case id: ids from events are not safe field names everywhere.
            "sampled": [{"case_id": case, "person_id": person_of[case]} for st in strata for case in st.sample],
            "created_at": _now(), "created_by": by}
    await SamplingStore(db).add_plan(plan, plan_tasks(plan))
    return plan


def plan_tasks(plan: Doc) -> list[Doc]:
    person_of = {s["case_id"]: s["person_id"] for s in plan["sampled"]}
    return [{"_id": derived_id(plan["_id"], "task", case), "plan_id": plan["_id"], "case_id": case,
             "person_id": person_of[case], "disease_code": st["disease_code"], "uncapped": st["uncapped"],
             "status": "open"} for st in plan["strata"] for case in st["sample"]]


async def get_plan(db: Any, plan_id: str) -> Doc:
    plan = await SamplingStore(db).plan(plan_id)
    if plan is None:
        raise NotFound(f"sampling plan {plan_id} not found")
    return plan


async def plans(db: Any, period: str | None = None) -> list[Doc]:
    return await SamplingStore(db).plans(period)


async def checked_by_disease(db: Any, plan_ids: list[str]) -> dict[str, dict[str, int]]:
    return await SamplingStore(db).checked_by_disease(plan_ids)


async def plan_with_tasks(db: Any, plan_id: str) -> tuple[Doc, dict[str, int]]:
    """A plan and its checked tasks per disease; tasks a crash after the plan's write left out are restored."""
    s = SamplingStore(db)
    plan = await get_plan(db, plan_id)
    await s.heal_tasks(plan_tasks(plan))
    checked = await s.checked_by_disease([plan_id])
    return plan, checked.get(plan_id, {})


async def tasks(db: Any, plan_id: str, status: str | None) -> list[Doc]:
    await get_plan(db, plan_id)
    return await SamplingStore(db).tasks(plan_id, status)


async def record_inspection(db: Any, tenant: str, by: dict[str, str], task_id: str, outcome: str, notes: str,
                            finding_kind: str, amount: str, carrier: dict[str, str]) -> tuple[Doc, Doc | None]:
    """The task checked, and the finding a problem raises (None when compliant)."""
    s = SamplingStore(db)
    task = await s.task(task_id)
    if task is None:
        raise NotFound(f"inspection task {task_id} not found")
    if task["status"] != "open":
        raise Conflict(f"inspection task {task_id} was already checked")
    amount_fen = loss_fen(amount)
    if outcome == "problem" and not notes.strip():
        raise InvalidInput("notes are required to describe the problem", "notes")
    changes: Doc = {"status": "checked", "outcome": outcome, "notes": notes, "checked_by": by,
                    "checked_at": _now()}
    events, finding = [], None
    if outcome == "problem":
        finding = new_finding(derived_id(task_id, "finding"), task["person_id"], finding_kind,
                              f"Inspection of case {task['case_id']} ({task['disease_code']}): {notes}",
                              amount_fen, by, "inspection", plan_id=task["plan_id"], task_id=task_id)
        changes["finding_id"] = finding["_id"]
        # The finding's event travels in the task's own outbox, atomically with the result; the finding
        # is filed right after, and again by the projection of that event should this process die first.
        events.append(finding_raised(tenant, finding, carrier))
    if not await s.close_task(task_id, changes, events):
        raise Conflict(f"inspection task {task_id} was checked meanwhile")
    if finding:
        await s.file_finding(finding)
    return {**task, **changes}, finding


# ---- phone call-backs ----

async def create_callbacks(db: Any, by: dict[str, str], plan_id: str, person_ids: list[str] | None
                           ) -> tuple[Doc, int, list[Doc]]:
    """(plan, created, call-backs): one per sampled person asked for; existing ones are returned as they are."""
    s = SamplingStore(db)
    plan = await get_plan(db, plan_id)
    cases_of: dict[str, list[str]] = {}
    for pick in sorted(plan["sampled"], key=lambda x: x["case_id"]):
        cases_of.setdefault(pick["person_id"], []).append(pick["case_id"])
    wanted = sorted(cases_of) if person_ids is None else sorted(set(person_ids))
    strangers = [p for p in wanted if p not in cases_of]
    if strangers:
        raise InvalidInput(f"not sampled in plan {plan_id}: {', '.join(strangers[:5])}"
                           + (" …" if len(strangers) > 5 else ""), "person_ids")
    if not wanted:
        raise InvalidInput("person_ids is empty", "person_ids")
    disease_of = {case: st["disease_code"] for st in plan["strata"] for case in st["sample"]}
    created, out = 0, []
    for person in wanted:
        callback = {"_id": s.callback_id(plan["_id"], person), "plan_id": plan["_id"],
                    "person_id": person, "case_ids": cases_of[person],
                    "disease_codes": sorted({disease_of[c] for c in cases_of[person]}), "status": "open",
                    "attempts": [], "created_at": _now(), "created_by": by}
        if await s.add_callback(callback):
            created += 1
            out.append(callback)
        else:
            out.append(await s.callback(callback["_id"]) or callback)
    return plan, created, out


async def callbacks(db: Any, plan_id: str | None = None, status: str | None = None) -> list[Doc]:
    return await SamplingStore(db).callbacks(plan_id, status)


async def get_callback(db: Any, callback_id: str) -> Doc:
    cb = await SamplingStore(db).callback(callback_id)
    if cb is None:
        raise NotFound(f"call-back {callback_id} not found")
    return cb


async def record_callback(db: Any, tenant: str, by: dict[str, str], callback_id: str, reached: bool,
                          confirmed_treatment: bool | None, notes: str, carrier: dict[str, str]
                          ) -> tuple[Doc, Doc | None]:
    """The call's attempt and resulting status, and the finding an unconfirmed treatment raises."""
    if reached and confirmed_treatment is None:
        raise InvalidInput("confirmed_treatment is required when the person was reached", "confirmed_treatment")
    if not reached and confirmed_treatment is not None:
        raise InvalidInput("confirmed_treatment can only be given when the person was reached",
                           "confirmed_treatment")
    s = SamplingStore(db)
    cb = await get_callback(db, callback_id)
    if cb["status"] not in ("open", "unreached"):
        raise Conflict(f"call-back {callback_id} is already concluded ({cb['status']})")
    at = _now()
    attempt = {"at": at, "by": by["subject"], "reached": reached, "confirmed_treatment": confirmed_treatment,
               "notes": notes}
    status = "unreached" if not reached else "confirmed" if confirmed_treatment else "unconfirmed"
    changes: Doc = {"status": status}
    events, finding = [], None
    if status == "unconfirmed":
        finding = new_finding(derived_id(callback_id, "finding"), cb["person_id"], "callback_unconfirmed",
                              "Phone call-back: the person did not confirm the treatment billed"
                              + (f" ({notes})" if notes else ""), 0, by, "callback",
                              plan_id=cb["plan_id"], callback_id=callback_id)
        changes["finding_id"] = finding["_id"]
        events.append(finding_raised(tenant, finding, carrier))
    if not await s.record_callback(callback_id, attempt, changes, events):
        raise Conflict(f"call-back {callback_id} was concluded meanwhile")
    if finding:
        await s.file_finding(finding)
    return {**cb, **changes, "attempts": [*cb.get("attempts", []), attempt]}, finding


# ---- findings ----

async def raise_finding(db: Any, tenant: str, by: dict[str, str], person_id: str, kind: str, description: str,
                        amount: str, plan_id: str | None, carrier_caused: bool, carrier_reason: str | None,
                        fund_year: int | None, carrier: dict[str, str]) -> Doc:
    """An inspector's finding (稽核发现), with its event in its own outbox."""
    amount_fen = loss_fen(amount)
    # A carrier-caused loss (承办方全额承担) is booked by settlement in the carrier's account: checked first.
    liability = carrier_liability_fields(carrier_caused, amount_fen, carrier_reason, fund_year, today_cn().isoformat())
    s = SamplingStore(db)
    if plan_id is not None and await s.plan(plan_id) is None:
        raise InvalidInput(f"sampling plan {plan_id} not found", "plan_id")
    finding = new_finding(str(uuid.uuid4()), person_id, kind, description, amount_fen, by, "manual",
                          plan_id=plan_id, **liability)
    await s.add_finding(finding, [finding_raised(tenant, finding, carrier)])
    return finding


async def findings(db: Any, person_id: str | None = None, kind: str | None = None, period: str | None = None
                   ) -> list[Doc]:
    """Findings, oldest first; those raised in the period when one is given."""
    found = await SamplingStore(db).findings(person_id, kind)
    if period:
        p = parse_period(period)
        found = [f for f in found if p.start.isoformat() <= f.get("raised_on", "") <= p.end.isoformat()]
    return sorted(found, key=lambda f: f.get("raised_at", ""))


async def all_findings(db: Any) -> list[Doc]:
    """Every finding, ordered by id (what the reports count)."""
    return await SamplingStore(db).findings()


async def get_finding(db: Any, finding_id: str) -> Doc:
    f = await SamplingStore(db).finding(finding_id)
    if f is None:
        raise NotFound(f"finding {finding_id} not found")
    return f
