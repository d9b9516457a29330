"""appraisal's own collections, one database per tenant: `experts` (the pool), `cases` (each carrying its draw,
opinions, conclusion, its qualification with filing status, and its pending events) and `expert_lists` (the versions
of the expert list a program's agency approves, see expert_lists.py)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import push_events, with_events

CASES = "cases"
EXPERTS = "experts"
EXPERT_LISTS = "expert_lists"   # versions of the expert list the agency approves (专家库审核备案), see expert_lists.py


class AppraisalStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        for field in ("status", "person_id", "_outbox_pending", "filing_status", "qualification_id", "review_due"):
            await self._db[CASES].create_index(field)
        await self._db[EXPERTS].create_index("specialty")
        await self._db[EXPERT_LISTS].create_index("status")

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

    async def active_expert_ids(self) -> list[str]:
        return [e["_id"] for e in await self._db[EXPERTS].find({"active": {"$ne": False}}, {"_id": 1}).to_list(None)]

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

    async def cases_awaiting(self, reason_code: str, limit: int = 10000) -> list[dict[str, Any]]:
        """Cases waiting for experts for this reason (their `awaiting` starts with its code), oldest first."""
        return await self.cases({"status": "awaiting_experts", "awaiting": {"$regex": f"^{reason_code}"}}, limit)

    async def count_cases(self, query: dict[str, Any]) -> int:
        return await self._db[CASES].count_documents(query)

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


class ExpertListStore:
    """`expert_lists`: one document per version (pending → approved | rejected | superseded)."""

    def __init__(self, db: Any) -> None:
        self._db = db

    async def versions(self) -> list[dict[str, Any]]:
        return await self._db[EXPERT_LISTS].find({}).sort("submitted_at", -1).to_list(None)

    async def version(self, list_id: str) -> dict[str, Any] | None:
        return await self._db[EXPERT_LISTS].find_one({"_id": list_id})

    async def approved(self) -> dict[str, Any] | None:
        return await self._db[EXPERT_LISTS].find_one({"status": "approved"})

    async def latest(self) -> dict[str, Any] | None:
        docs = await self._db[EXPERT_LISTS].find({"status": {"$in": ["pending", "approved"]}}).sort(
            "submitted_at", -1).to_list(1)
        return docs[0] if docs else None

    async def submit(self, doc: dict[str, Any]) -> None:
        """A new pending version; older pending ones are superseded by it (the agency reviews the latest)."""
        await self._db[EXPERT_LISTS].update_many({"status": "pending"}, {"$set": {"status": "superseded",
                                                                                  "superseded_by": doc["_id"]}})
        await self._db[EXPERT_LISTS].insert_one(doc)

    async def decide(self, list_id: str, changes: dict[str, Any]) -> bool:
        result = await self._db[EXPERT_LISTS].update_one({"_id": list_id, "status": "pending"}, {"$set": changes})
        return result.modified_count == 1

    async def supersede_approved(self, except_id: str) -> None:
        await self._db[EXPERT_LISTS].update_many({"status": "approved", "_id": {"$ne": except_id}},
                                                 {"$set": {"status": "superseded", "superseded_by": except_id}})
