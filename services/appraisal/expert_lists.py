"""The expert list a program's agency approves (专家库审核备案), and the pool rules its import must meet.

program.yaml, section `appraisal`:
- `expert_pool: {min_hospital_level, local_division, requires_pool_id}`: every imported row names its hospital's level
  (`hospital_level` column, ≥ the minimum), a local hospital (the code's division starts with `local_division`) and,
  when required, the expert's id in the provincial pool (`pool_id`, 省专家库编号). A bad row refuses the whole file.
- `expert_list_approval: true`: each import submits the pool as a new list version (`pending`); the agency supervisor
  (role supervisor, token claim `program`) approves it (`approved`, the previous approved version `superseded`) or
  refuses it (`rejected`). Until a version is approved no draw uses any expert; after, draws use only the experts of
  the approved version — experts imported later wait for the next approval. The approval itself draws the experts of
  every case that waited for it (`draw_waiting_cases`), as a clerk's draw would.

Collection `expert_lists` (appraisal's database of each tenant): one document per version."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.events import derived_event_id
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.programs import Program, program_of_tenant
from services.appraisal.domain.expert import expert_id_for
from services.appraisal.drawing import draw_into
from services.appraisal.store import AppraisalStore, ExpertListStore  # expert_lists lives in store.py

LIST_NOT_APPROVED = "expert_list_not_approved"   # reason code: no approved list, no draw
READERS = ("clerk", "reviewer", "supervisor", "ops", "inspector")
_HOSPITAL_DIVISION = re.compile(r"^[A-Z]*(\d{6})")
LEVELS = {"1": 1, "2": 2, "3": 3, "一级": 1, "二级": 2, "三级": 3}


@dataclass(frozen=True)
class PoolRules:
    min_hospital_level: int
    local_division: str
    requires_pool_id: bool


def pool_rules(program: Program | None) -> PoolRules | None:
    raw = program.setting("appraisal", "expert_pool") if program else None
    if not isinstance(raw, dict):
        return None
    return PoolRules(int(raw.get("min_hospital_level", 1)), str(raw.get("local_division", "")),
                     bool(raw.get("requires_pool_id", False)))


def approval_required(program: Program | None) -> bool:
    return bool(program and program.setting("appraisal", "expert_list_approval", False))


def check_pool_rows(text: str, rules: PoolRules) -> dict[str, dict[str, Any]]:
    """Each row's hospital level, locality and provincial pool id against the program's rules; by expert id,
    what to store with the expert. Any bad row refuses the whole file, every problem named by row and column."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise InvalidInput("the file is empty", "file")
    header = [h.strip().lower() for h in rows[0]]
    needed = ["hospital_level"] + (["pool_id"] if rules.requires_pool_id else [])
    missing = [c for c in needed if c not in header]
    if missing:
        raise InvalidInput(f"header lacks columns {missing}: this program's pool rows name the hospital level"
                           + (" and the provincial pool id" if rules.requires_pool_id else ""), "header")
    errors: list[dict[str, str]] = []
    out: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row) or len(row) != len(header):
            continue  # empty rows are skipped and short rows refused by the common parser
        values = {c: row[i].strip() for i, c in enumerate(header)}
        level = LEVELS.get(values["hospital_level"])
        if level is None:
            errors.append({"field": f"row {n}.hospital_level",
                           "message": f"{values['hospital_level']!r} is not a hospital level "
                                      "(1, 2, 3 or 一级/二级/三级)"})
        elif level < rules.min_hospital_level:
            errors.append({"field": f"row {n}.hospital_level", "reason": "expert_hospital_level",
                           "message": f"a level-{level} hospital does not qualify: level {rules.min_hospital_level} "
                                      "or above"})
        if rules.local_division:
            m = _HOSPITAL_DIVISION.match(values.get("hospital", ""))
            if m is None or not m.group(1).startswith(rules.local_division):
                errors.append({"field": f"row {n}.hospital", "reason": "expert_not_local",
                               "message": f"hospital {values.get('hospital', '')!r} is not a local one (division "
                                          f"{rules.local_division}…)"})
        if rules.requires_pool_id and not values.get("pool_id"):
            errors.append({"field": f"row {n}.pool_id", "reason": "expert_not_in_provincial_pool",
                           "message": "the expert's id in the provincial pool (省专家库编号) is required"})
        eid = values.get("expert_id") or expert_id_for(values.get("name", ""), values.get("hospital", ""))
        out[eid] = {"hospital_level": level or 0, "pool_id": values.get("pool_id", "")}
    if errors:
        raise InvalidInput(f"{len(errors)} problem(s) with the pool rules of this program; nothing imported",
                           fields=errors)
    return out


def list_digest(expert_ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(expert_ids)).encode()).hexdigest()


def drawable(pool: list[dict[str, Any]], approved: dict[str, Any] | None, program: Program | None
             ) -> list[dict[str, Any]]:
    """The experts a draw may use: the whole pool, or (when the program asks for approval) the approved list's.
    Refused with `expert_list_not_approved` when no version is approved yet."""
    if not approval_required(program):
        return pool
    if approved is None:
        raise Conflict(f"{LIST_NOT_APPROVED}: no expert list of {program.code if program else '?'} is approved by "
                       "the agency yet (审核备案); the draw waits for the approval", "expert_list")
    listed = set(approved["expert_ids"])
    return [e for e in pool if e["_id"] in listed]


def list_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"list_id": doc["_id"], **{k: doc.get(k) for k in (
        "program", "status", "experts", "expert_ids", "digest", "submitted_at", "submitted_by", "decided_at",
        "decided_by", "note", "superseded_by")}}


async def submit_version(db: Any, program: Program | None, who: str) -> dict[str, Any] | None:
    """After an import: the pool as a new pending version for the agency, unless the latest version already lists
    exactly these experts. None when the program asks for no approval."""
    if not approval_required(program):
        return None
    assert program is not None
    ids = sorted(await AppraisalStore(db).active_expert_ids())
    store = ExpertListStore(db)
    digest = list_digest(ids)
    latest = await store.latest()
    if latest is not None and latest["digest"] == digest:
        return list_view(latest)
    doc = {"_id": f"xl-{uuid.uuid4().hex[:16]}", "program": program.code, "status": "pending", "experts": len(ids),
           "expert_ids": ids, "digest": digest, "submitted_at": datetime.now(UTC).isoformat(), "submitted_by": who}
    await store.submit(doc)
    return list_view(doc)


class DecisionIn(BaseModel):
    note: str = Field(default="", max_length=1000, description="the agency's remark (审核意见)")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/expert-lists", tags=["experts"])

    def agency_of(caller: Caller) -> Program:
        """Only the agency of the caller's own program decides: role supervisor, token claim = the tenant's program."""
        require_role(caller, "supervisor")
        program = program_of_tenant(caller.tenant)
        if program is None or caller.program != program.code:
            raise Forbidden("the expert list is approved by the agency of its program (token claim program)")
        if not approval_required(program):
            raise Conflict(f"program {program.code} does not ask for expert list approval", "expert_list")
        return program

    @r.get("", summary="Expert list versions (专家库备案), newest first")
    async def versions(caller: Caller, status: str | None = Query(
            default=None, pattern="^(pending|approved|rejected|superseded)$")) -> list[dict[str, Any]]:
        require_role(caller, *READERS)
        docs = await ExpertListStore(ctx.db(caller.tenant)).versions()
        return [list_view(d) for d in docs if status is None or d["status"] == status]

    @r.get("/{list_id}", summary="One expert list version")
    async def version(list_id: str, caller: Caller) -> dict[str, Any]:
        require_role(caller, *READERS)
        doc = await ExpertListStore(ctx.db(caller.tenant)).version(list_id)
        if doc is None:
            raise NotFound(f"expert list {list_id} not found")
        return list_view(doc)

    async def decide(list_id: str, caller: Caller, status: str, note: str) -> dict[str, Any]:
        require_role(caller, "supervisor")
        store = ExpertListStore(ctx.db(caller.tenant))
        doc = await store.version(list_id)
        if doc is None:  # another tenant's list answers like a missing one
            raise NotFound(f"expert list {list_id} not found")
        agency_of(caller)
        if doc["status"] != "pending":
            raise Conflict(f"expert list {list_id} is {doc['status']}: only a pending version is decided", "status")
        changes = {"status": status, "decided_at": datetime.now(UTC).isoformat(), "decided_by": caller.subject,
                   "note": note}
        if not await store.decide(list_id, changes):
            raise Conflict(f"expert list {list_id} was decided meanwhile", "status")
        view = list_view({**doc, **changes})
        if status == "approved":
            await store.supersede_approved(list_id)
            # The cases that waited for this approval are drawn now, each at random from the approved list.
            drawn, waiting = await draw_waiting_cases(ctx.db(caller.tenant), caller.tenant, list_id)
            if drawn:
                ctx.relay.kick()
            view["cases_drawn"], view["cases_waiting"] = drawn, waiting
        return view

    @r.post("/{list_id}/approve", summary="The agency approves an expert list version (审核备案); draws use it")
    async def approve(list_id: str, caller: Caller, body: DecisionIn | None = None) -> dict[str, Any]:
        return await decide(list_id, caller, "approved", body.note if body else "")

    @r.post("/{list_id}/reject", summary="The agency refuses an expert list version")
    async def reject(list_id: str, body: DecisionIn, caller: Caller) -> dict[str, Any]:
        if not body.note.strip():
            raise InvalidInput("say why the list is refused", "note")
        return await decide(list_id, caller, "rejected", body.note)

    return r


def _program(code: str) -> Program | None:
    from chassis.programs import load_program

    try:
        return load_program(code) if code else None
    except NotFound:
        return None


async def pool_for_draw(db: Any, program_code: str, pool: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """(the experts a case's draw may use, "" ) — or ([], why) when the program's list is not approved yet; the case
    then waits with that reason as `awaiting`."""
    program = _program(program_code)
    approved = await ExpertListStore(db).approved() if approval_required(program) else None
    try:
        return drawable(pool, approved, program), ""
    except Conflict as exc:
        return [], exc.message


async def draw_waiting_cases(db: Any, tenant: str, list_id: str) -> tuple[list[str], int]:
    """Once a list is approved: every case of the tenant waiting for an approved list (`expert_list_not_approved`)
    gets its experts drawn as the clerk's draw would (random, seed and candidates recorded, reason naming the list).
    A case is drawn once: the draw writes only while the case still waits, and its `experts.assigned` has an id
    derived from the case and the list. (ids of the cases drawn, count of cases still waiting — e.g. too few
    eligible experts on the list, their `awaiting` saying so; a clerk draws them when the pool allows.)"""
    store = AppraisalStore(db)
    drawn: list[str] = []
    for case in await store.cases_awaiting(LIST_NOT_APPROVED):
        need = int(case["opinions_required"]) - len(case.get("assigned", []))
        pool, withheld = await pool_for_draw(db, case.get("program", ""), await store.experts(case["specialty"]))
        if await draw_into(store, case, pool, withheld, need, f"expert list {list_id} approved", tenant,
                           event_id=derived_event_id(case["_id"], "experts.assigned", f"list|{list_id}")):
            drawn.append(case["_id"])
    return drawn, await store.count_cases({"status": "awaiting_experts"})


async def require_approved_list(db: Any, program_code: str) -> None:
    """A clerk's draw is refused (409, `expert_list_not_approved`) while the program's list awaits approval."""
    program = _program(program_code)
    if approval_required(program):
        drawable([], await ExpertListStore(db).approved(), program)
