"""The case room's use cases: reading cases, the clerk's draw, an expert's opinion (专家意见), the reviewer's conclusion
(鉴定结论) — approval grants the qualification and files it provincially (the filing room's worker takes it from
`pending`); a re-review case (复审) concludes in the re-review room — and the qualifications a person holds.
Opening cases: opening.py; drawing experts: drawing.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, NotFound
from chassis.events import new_event
from chassis.policies import PolicyReader
from chassis.telemetry import link_to, tracer
from contracts.v1 import common_pb2, events_pb2
from services.appraisal.cases.domain.case import (
    after_opinion,
    check_conclusion_allowed,
    check_opinion_allowed,
    check_outcome_kind,
)
from services.appraisal.cases.domain.conclusion import concluded_payload, conclusion_record, qualification_granted
from services.appraisal.cases.domain.deadline import DEADLINE_KEYS, current_case, overdue_on
from services.appraisal.cases.domain.view import case_view
from services.appraisal.cases.service.drawing import draw_more
from services.appraisal.cases.store import CaseStore
from services.appraisal.experts.service import require_approved_list
from services.appraisal.filing.domain.states import filing_started
from services.appraisal.reviews.service import conclude_review


async def cases(db: Any, limit: int, status: str | None = None, application_id: str | None = None,
                kind: str | None = None, assigned: str | None = None, overdue: bool | None = None
                ) -> list[dict[str, Any]]:
    """Cases oldest first (an application of several diseases has one case each); an expert sees only the cases
    drawn for them (`assigned`)."""
    views = [case_view(c) for c in await CaseStore(db).cases(limit, status, application_id, kind, assigned)]
    return [v for v in views if overdue is None or v["overdue"] == overdue]


async def overdue_cases(db: Any) -> list[dict[str, Any]]:
    """Open cases past their deadline."""
    return [v for v in (case_view(c) for c in await CaseStore(db).open_cases(5000)) if v["overdue"]]


async def case(db: Any, case_id: str, expert: str | None = None) -> dict[str, Any]:
    """One case; for an expert (`expert`), only a case drawn for them — any other answers like a missing one."""
    found = await CaseStore(db).case(case_id)
    if found is None or (expert is not None and expert not in found.get("assigned", [])):
        raise NotFound(f"case {case_id} not found")
    return case_view(found)


async def redraw(db: Any, tenant: str, case_id: str) -> tuple[dict[str, Any], bool]:
    """The clerk's draw of the experts a waiting case lacks (the clerk triggers, never chooses); (the case, whether
    experts were drawn)."""
    store = CaseStore(db)
    found = await store.case(case_id)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    if found["status"] != "awaiting_experts":
        raise Conflict(f"case is {found['status']}; experts are drawn only for a case awaiting them",
                       code="case_not_awaiting_experts")
    need = found["opinions_required"] - len(found.get("assigned", []))
    await require_approved_list(db, found.get("program", ""))
    drawn = await draw_more(db, found, need, "pool refilled", tenant)
    return case_view(await store.case(case_id) or found), bool(drawn)


async def give_opinion(db: Any, tenant: str, case_id: str, expert: str, approve: bool, comment: str
                       ) -> tuple[dict[str, Any], bool]:
    """An expert's opinion; two agreeing make the case ready, a disagreement draws a third expert at random.
    (the opinion, whether experts were drawn)."""
    store = CaseStore(db)
    found = await store.case(case_id)
    if found is None or expert not in found.get("assigned", []):
        raise NotFound(f"case {case_id} not found")
    check_opinion_allowed(found["status"], expert, found.get("assigned", []), found.get("opinions", []))
    opinion = {"expert_id": expert, "approve": approve, "comment": comment, "given_at": datetime.now(UTC).isoformat()}
    if not await store.add_opinion(case_id, opinion):
        raise Conflict("the case changed meanwhile (closed, or this expert already answered)", code="case_changed")
    drawn = False
    step = after_opinion([*found.get("opinions", []), opinion], found["opinions_required"])
    if step == "ready":
        await store.mark_ready(case_id)
    elif step == "third":
        # Disagreement brings a third expert, drawn at random like the first ones.
        await store.require_another_opinion(case_id)
        fresh = await store.case(case_id)
        if fresh:
            drawn = bool(await draw_more(db, fresh, 1, "disagreement", tenant))
    return opinion, drawn


async def conclude(db: Any, policies: PolicyReader, tenant: str, case_id: str, outcome: str, reason: str,
                   concluder: str) -> dict[str, Any]:
    """The reviewer's conclusion, following the experts' majority. A first appraisal's approval grants the
    qualification (benefit start, re-review date from the policy table in force) and starts its provincial filing,
    with `appraisal.concluded` and `qualification.granted` in the same write; a re-review concludes continue or
    revoke in the re-review room."""
    store = CaseStore(db)
    found = await store.case(case_id)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    if found.get("kind") == "review":  # 复审: continue or revoke the qualification it re-reviews
        found = current_case(found)
        changes = await conclude_review(db, policies, found, outcome, reason, concluder, tenant,
                                        overdue_on(found, today_cn()))
        return case_view({**found, **changes})
    check_outcome_kind("initial", outcome)
    check_conclusion_allowed(found["status"], found.get("opinions", []), concluder, outcome,
                             found["opinions_required"])
    now, today = datetime.now(UTC), today_cn()
    found = current_case(found)
    overdue = overdue_on(found, today)
    carrier = found.get("trace_context") or {}
    with tracer().start_as_current_span("appraisal.conclude", links=link_to(carrier)):
        conclusion = conclusion_record(outcome, reason, concluder, now, today, overdue, found.get("opinions", []))
        events = [new_event("appraisal.concluded", tenant, found["person_id"],
                            events_pb2.AppraisalConcluded(**concluded_payload(found, conclusion, "initial")),
                            source="appraisal", trace_context=carrier)]
        changes: dict[str, Any] = {"status": "concluded", "conclusion": conclusion,
                                   **{k: found[k] for k in DEADLINE_KEYS if k in found}}
        if outcome == "approved":
            table = await policies.table(tenant, found["program"], today.isoformat())
            rule = next(d for d in table.diseases if d.code == found["disease_code"])
            qualification = qualification_granted(found, str(uuid.uuid4()), today, rule.start, rule.review_months,
                                                  table.version)
            changes.update({"qualification": qualification, "qualification_id": qualification["qualification_id"],
                            "review_due": qualification["review_due"], **filing_started(now)})
            events.append(new_event(
                "qualification.granted", tenant, found["person_id"],
                events_pb2.QualificationGranted(qualification=common_pb2.Qualification(**qualification)),
                source="appraisal", trace_context=carrier))
        if not await store.conclude(case_id, changes, events):
            raise Conflict("the case was concluded meanwhile", code="case_concluded")
    return case_view({**found, **changes})


async def qualifications(db: Any, person_id: str) -> list[dict[str, Any]]:
    """The qualifications (资格) a person holds or held, as the cases that granted them keep them."""
    return await CaseStore(db).qualifications(person_id)
