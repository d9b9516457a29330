"""The expert room's use cases: importing the pool (with the program's pool rules), the expert list versions its
agency approves or refuses (专家库审核备案), and the experts a case's draw may use (`pool_for_draw`, for the case
room). The approval of a list draws the cases that waited for it: the case room's draw, handed in by main.py."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.programs import Program, load_program, program_of_tenant
from services.appraisal.experts.domain.expert import parse_pool
from services.appraisal.experts.domain.expert_list import (
    approval_required,
    check_agency,
    check_decidable,
    check_pool_rows,
    drawable,
    list_digest,
    list_view,
    new_version,
    pool_rules,
)
from services.appraisal.experts.store import ExpertListStore, ExpertStore

# Draws every case of the tenant waiting for an approved list: (db, tenant, list id) → (cases drawn, still waiting).
DrawWaiting = Callable[[Any, str, str], Awaitable[tuple[list[str], int]]]


async def import_pool(db: Any, tenant: str, text: str, who: str) -> dict[str, Any]:
    """The pool from its CSV, checked row by row against the program's pool rules (when it sets them); submitted as a
    new list version where the program asks for the agency's approval."""
    experts = parse_pool(text)
    # The program's pool rules (hospital level, local hospital, provincial pool id), when it sets them.
    program = program_of_tenant(tenant)
    rules = pool_rules(program)
    extra = check_pool_rows(text, rules) if rules else {}
    docs = [{"_id": e.expert_id, "name": e.name, "hospital": e.hospital, "title": e.title,
             "specialty": e.specialty, "phone": e.phone, "active": True, **extra.get(e.expert_id, {})}
            for e in experts]
    count = await ExpertStore(db).upsert_experts(docs)
    listed = await submit_version(db, program, who)
    return {"imported": count, "expert_ids": [d["_id"] for d in docs], **({"expert_list": listed} if listed else {})}


async def experts(db: Any, specialty: str | None) -> list[dict[str, Any]]:
    return [{"expert_id": e["_id"], **{k: e[k] for k in ("name", "hospital", "title", "specialty")}}
            for e in await ExpertStore(db).experts(specialty)]


async def submit_version(db: Any, program: Program | None, who: str) -> dict[str, Any] | None:
    """After an import: the pool as a new pending version for the agency, unless the latest version already lists
    exactly these experts. None when the program asks for no approval."""
    if not approval_required(program):
        return None
    assert program is not None
    ids = sorted(await ExpertStore(db).active_expert_ids())
    store = ExpertListStore(db)
    latest = await store.latest()
    if latest is not None and latest["digest"] == list_digest(ids):
        return list_view(latest)
    doc = new_version(f"xl-{uuid.uuid4().hex[:16]}", program.code, ids, datetime.now(UTC).isoformat(), who)
    await store.submit(doc)
    return list_view(doc)


async def versions(db: Any, status: str | None) -> list[dict[str, Any]]:
    return [list_view(d) for d in await ExpertListStore(db).versions() if status is None or d["status"] == status]


async def version(db: Any, list_id: str) -> dict[str, Any]:
    doc = await ExpertListStore(db).version(list_id)
    if doc is None:
        raise NotFound(f"expert list {list_id} not found")
    return list_view(doc)


def check_refusal(note: str) -> None:
    if not note.strip():
        raise InvalidInput("say why the list is refused", "note")


async def decide(db: Any, tenant: str, claim: str, by: str, list_id: str, status: str, note: str,
                 draw_waiting: DrawWaiting) -> dict[str, Any]:
    """The agency's decision on a pending version; an approval supersedes the approved one and draws the cases that
    waited for it (`cases_drawn`, `cases_waiting` in the answer)."""
    store = ExpertListStore(db)
    doc = await store.version(list_id)
    if doc is None:  # another tenant's list answers like a missing one
        raise NotFound(f"expert list {list_id} not found")
    check_agency(claim, program_of_tenant(tenant))
    check_decidable(list_id, doc["status"])
    changes = {"status": status, "decided_at": datetime.now(UTC).isoformat(), "decided_by": by, "note": note}
    if not await store.decide(list_id, changes):
        raise Conflict(f"expert list {list_id} was decided meanwhile", "status", code="expert_list_not_pending")
    view = list_view({**doc, **changes})
    if status == "approved":
        await store.supersede_approved(list_id)
        # The cases that waited for this approval are drawn now, each at random from the approved list.
        view["cases_drawn"], view["cases_waiting"] = await draw_waiting(db, tenant, list_id)
    return view


def program_named(code: str) -> Program | None:
    try:
        return load_program(code) if code else None
    except NotFound:
        return None


async def pool_for_draw(db: Any, program_code: str, specialty: str) -> tuple[list[dict[str, Any]], str]:
    """(the experts of `specialty` a case's draw may use, "" ) — or ([], why) when the program's list is not approved
    yet; the case then waits with that reason as `awaiting`."""
    pool = await ExpertStore(db).experts(specialty)
    program = program_named(program_code)
    approved = await ExpertListStore(db).approved() if approval_required(program) else None
    try:
        return drawable(pool, approved, program), ""
    except Conflict as exc:
        return [], exc.message


async def require_approved_list(db: Any, program_code: str) -> None:
    """A clerk's draw is refused (409, `expert_list_not_approved`) while the program's list awaits approval."""
    program = program_named(program_code)
    if approval_required(program):
        drawable([], await ExpertListStore(db).approved(), program)
