"""The assessor pool's use cases (评定人员库): import it (the whole file checked first), read it; an import that grows
the pool draws the assessments waiting for a pair."""

from __future__ import annotations

from typing import Any

from services.appraisal.disability.domain.assessors import parse_pool
from services.appraisal.disability.service.assessments import draw_waiting
from services.appraisal.disability.service.common import now
from services.appraisal.disability.store import DisabilityStore


async def import_pool(db: Any, tenant: str, text: str, by: str) -> dict[str, Any]:
    members = parse_pool(text)
    store = DisabilityStore(db)
    await store.upsert_assessors(members, now(), by)
    drawn, waiting = await draw_waiting(db, tenant)
    pool = await store.assessors(active_only=True)
    return {"imported": len(members), "active": len(pool),
            "medical_or_nursing": sum(1 for a in pool if a.get("medical")),
            "assessments_drawn": drawn, "assessments_waiting": waiting}


def _view(a: dict[str, Any]) -> dict[str, Any]:
    return {"assessor_id": a["_id"], "name": a.get("name", ""), "background": a["background"],
            "medical_or_nursing": bool(a.get("medical")), "institution_id": a.get("institution_id", ""),
            "degree": a.get("degree", ""), "active": a.get("active", True), "imported_at": a.get("imported_at")}


async def assessors(db: Any, background: str | None, active: bool | None) -> list[dict[str, Any]]:
    found = await DisabilityStore(db).assessors()
    return [_view(a) for a in found if (background is None or a["background"] == background)
            and (active is None or bool(a.get("active", True)) == active)]
