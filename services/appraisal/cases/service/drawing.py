"""Drawing experts onto a case that waits for them (抽取专家): the clerk's draw (POST /v1/cases/{id}/draw), the third
expert on disagreement and the draw of every waiting case once the agency approves its program's expert list (审核备案)
share it.

A draw is random and auditable (防人情鉴定): its seed and candidate list are recorded on the case with its reason, and
`experts.assigned` is written with the case in one atomic write, only while the case still waits — two draws racing
for one case cannot both win, so a case is drawn once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from chassis.errors import Conflict
from chassis.events import derived_event_id, new_event
from contracts.v1 import events_pb2
from services.appraisal.cases.domain.case import draw, eligible_experts
from services.appraisal.cases.domain.deadline import current_case
from services.appraisal.cases.store import CaseStore
from services.appraisal.experts.domain.expert_list import LIST_NOT_APPROVED
from services.appraisal.experts.service import pool_for_draw


def deadline_fields(case: dict[str, Any]) -> dict[str, Any]:
    """The case's appraisal deadline as `experts.assigned` carries it: the date and what it was worked out from, so a
    reader (audit) can work a provisional one (a year without the official holiday schedule) out again."""
    current = current_case(case)
    return {"due_on": current.get("due_on", ""), "due_provisional": bool(current.get("due_provisional")),
            "due_working_days": int(current.get("due_working_days") or 0),
            "clock_from": current.get("clock_from") or ""}


async def draw_into(store: CaseStore, case: dict[str, Any], pool: list[dict[str, Any]], withheld: str,
                    n: int, reason: str, tenant: str, event_id: str | None = None) -> list[str]:
    """Draw `n` experts onto a case waiting for them, from `pool` (the experts a draw may use; `withheld` says why
    none may, e.g. `expert_list_not_approved`). The experts chosen; [] when the case keeps waiting (its `awaiting`
    says why) or another draw took it meanwhile."""
    candidates = eligible_experts(pool, case["specialty"], case.get("treating_hospital", ""),
                                  case.get("assigned", []))
    seed, now = secrets.token_hex(16), datetime.now(UTC).isoformat()
    try:
        if withheld:  # the program's expert list awaits the agency's approval (审核备案)
            raise Conflict(withheld)
        chosen = draw(candidates, n, seed)
    except Conflict as exc:
        await store.keep_waiting(case["_id"], case["status"], exc.message)
        return []
    event = new_event("experts.assigned", tenant, case["person_id"], events_pb2.ExpertsAssigned(
        case_id=case["_id"], application_id=case["application_id"], person_id=case["person_id"],
        expert_ids=chosen, draw_seed=seed, candidates=[c["_id"] for c in candidates], assigned_at=now,
        disease_code=case["disease_code"], kind=case.get("kind", "initial"), **deadline_fields(case)),
        source="appraisal", trace_context=case.get("trace_context") or {}, event_id=event_id)
    drawn = await store.assign_experts(case["_id"], case["status"], chosen, {
        "seed": seed, "candidates": [c["_id"] for c in candidates], "chosen": chosen, "at": now, "reason": reason},
        [event])
    return chosen if drawn else []


async def draw_more(db: Any, case: dict[str, Any], n: int, reason: str, tenant: str,
                    event_id: str | None = None) -> list[str]:
    """Draw `n` more experts onto the case from the experts its program's list allows."""
    pool, withheld = await pool_for_draw(db, case.get("program", ""), case["specialty"])
    return await draw_into(CaseStore(db), case, pool, withheld, n, reason, tenant, event_id)


async def draw_waiting_cases(db: Any, tenant: str, list_id: str) -> tuple[list[str], int]:
    """Once a list is approved: every case of the tenant waiting for an approved list (`expert_list_not_approved`)
    gets its experts drawn as the clerk's draw would (random, seed and candidates recorded, reason naming the list).
    A case is drawn once: the draw writes only while the case still waits, and its `experts.assigned` has an id
    derived from the case and the list. (ids of the cases drawn, count of cases still waiting — e.g. too few
    eligible experts on the list, their `awaiting` saying so; a clerk draws them when the pool allows.)"""
    store = CaseStore(db)
    drawn: list[str] = []
    for case in await store.cases_awaiting(LIST_NOT_APPROVED):
        need = int(case["opinions_required"]) - len(case.get("assigned", []))
        if await draw_more(db, case, need, f"expert list {list_id} approved", tenant,
                           event_id=derived_event_id(case["_id"], "experts.assigned", f"list|{list_id}")):
            drawn.append(case["_id"])
    return drawn, await store.count_awaiting()
