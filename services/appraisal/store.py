"""appraisal's own collections, one database per tenant: `cases` (each carrying its pending events
and, once granted, its qualification)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import push_events

CASES = "cases"


class AppraisalStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[CASES].create_index("status")
        await self._db[CASES].create_index("person_id")
        await self._db[CASES].create_index("_outbox_pending")

    async def open_case(self, case: dict[str, Any]) -> bool:
        """Idempotent: a redelivered application.submitted finds its case already open.
        (insert, not an upsert with $setOnInsert: FerretDB 1.24 drops empty arrays from the latter.)"""
        try:
            await self._db[CASES].insert_one(case)
        except DuplicateKeyError:
            return False
        return True

    async def case(self, case_id: str) -> dict[str, Any] | None:
        return await self._db[CASES].find_one({"_id": case_id}, {"_outbox": 0})

    async def cases(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"status": status} if status else {}
        return await self._db[CASES].find(query, {"_outbox": 0}).sort("opened_at", 1).to_list(limit)

    async def add_opinion(self, case_id: str, opinion: dict[str, Any]) -> bool:
        # The guard on status and on the expert makes the check-then-write race-free.
        result = await self._db[CASES].update_one(
            {"_id": case_id, "status": "open", "opinion_experts": {"$ne": opinion["expert_id"]}},
            {"$push": {"opinions": opinion, "opinion_experts": opinion["expert_id"]}},
        )
        return result.modified_count == 1

    async def conclude(self, case_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """Conclusion, qualification and their events in one atomic write, only if still open."""
        result = await self._db[CASES].update_one(
            {"_id": case_id, "status": "open"}, push_events({"$set": changes}, events)
        )
        return result.modified_count == 1

    async def qualifications(self, person_id: str) -> list[dict[str, Any]]:
        docs = await self._db[CASES].find({"person_id": person_id, "status": "concluded"},
                                          {"qualification": 1}).to_list(None)
        return [d["qualification"] for d in docs if d.get("qualification")]
