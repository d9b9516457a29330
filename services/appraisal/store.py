"""appraisal's own collections, one database per tenant: `experts` (the pool) and `cases` (each
carrying its draw, opinions, conclusion, its qualification with filing status, and its pending events)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import push_events, with_events

CASES = "cases"
EXPERTS = "experts"


class AppraisalStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        for field in ("status", "person_id", "_outbox_pending", "filing_status", "qualification_id", "review_due"):
            await self._db[CASES].create_index(field)
        await self._db[EXPERTS].create_index("specialty")

    # experts -----------------------------------------------------------------------------------------
    async def upsert_experts(self, experts: list[dict[str, Any]]) -> int:
        if not experts:
            return 0
        # One update per expert: a pool is a few hundred rows, and the in-memory adapter's bulk_write
        # does not follow PyMongo 4.20's UpdateOne.
        for e in experts:
            await self._db[EXPERTS].update_one({"_id": e["_id"]}, {"$set": e}, upsert=True)
        return len(experts)

    async def experts(self, specialty: str | None = None) -> list[dict[str, Any]]:
        query = {"specialty": specialty} if specialty else {}
        return await self._db[EXPERTS].find(query).sort("_id", 1).to_list(None)

    # cases -------------------------------------------------------------------------------------------
    async def open_case(self, case: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """Idempotent: a redelivered application.completed finds its case already open.
        (insert, not an upsert with $setOnInsert: FerretDB 1.24 drops empty arrays from the latter.)"""
        try:
            await self._db[CASES].insert_one(with_events(case, events))
        except DuplicateKeyError:
            return False
        return True

    async def case(self, case_id: str) -> dict[str, Any] | None:
        return await self._db[CASES].find_one({"_id": case_id}, {"_outbox": 0})

    async def case_of_qualification(self, qualification_id: str) -> dict[str, Any] | None:
        return await self._db[CASES].find_one({"qualification_id": qualification_id}, {"_outbox": 0})

    async def cases(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self._db[CASES].find(query, {"_outbox": 0}).sort("opened_at", 1).to_list(limit)

    async def update_case(self, case_id: str, guard: dict[str, Any], update: dict[str, Any],
                          events: list[dict[str, Any]] | None = None) -> bool:
        """One atomic write of the case and its events, only if `guard` still holds."""
        if events:
            update = push_events(update, events)
        result = await self._db[CASES].update_one({"_id": case_id, **guard}, update)
        return result.modified_count == 1

    async def qualifications(self, person_id: str) -> list[dict[str, Any]]:
        docs = await self._db[CASES].find({"person_id": person_id, "qualification_id": {"$exists": True}},
                                          {"qualification": 1}).to_list(None)
        return [d["qualification"] for d in docs if d.get("qualification")]
