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

Collection `expert_lists` (appraisal's database of each tenant, experts/store.py): one document per version. This
module holds the pure rules; experts/service.py carries them out."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from chassis.errors import Conflict, Forbidden, InvalidInput
from chassis.programs import Program
from services.appraisal.experts.domain.expert import csv_rows, expert_id_for

LIST_NOT_APPROVED = "expert_list_not_approved"   # reason code: no approved list, no draw
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
    rows = csv_rows(text)
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
                       "the agency yet (审核备案); the draw waits for the approval", "expert_list",
                       code=LIST_NOT_APPROVED)
    listed = set(approved["expert_ids"])
    return [e for e in pool if e["_id"] in listed]


def new_version(list_id: str, program_code: str, expert_ids: list[str], submitted_at: str, who: str
                ) -> dict[str, Any]:
    """A version submitted for the agency's approval (pending), listing these experts."""
    ids = sorted(expert_ids)
    return {"_id": list_id, "program": program_code, "status": "pending", "experts": len(ids), "expert_ids": ids,
            "digest": list_digest(ids), "submitted_at": submitted_at, "submitted_by": who}


def check_agency(claim: str, program: Program | None) -> Program:
    """Only the agency of the caller's own program decides (a supervisor whose token claim `program` is the tenant's
    program), and only where the program asks for the approval."""
    if program is None or claim != program.code:
        raise Forbidden("the expert list is approved by the agency of its program (token claim program)",
                        code="not_the_agency")
    if not approval_required(program):
        raise Conflict(f"program {program.code} does not ask for expert list approval", "expert_list",
                       code="expert_list_approval_not_asked")
    return program


def check_decidable(list_id: str, status: str) -> None:
    if status != "pending":
        raise Conflict(f"expert list {list_id} is {status}: only a pending version is decided", "status",
                       code="expert_list_not_pending")


def list_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"list_id": doc["_id"], **{k: doc.get(k) for k in (
        "program", "status", "experts", "expert_ids", "digest", "submitted_at", "submitted_by", "decided_at",
        "decided_by", "note", "superseded_by")}}
