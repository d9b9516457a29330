"""The expert room's collections, one database per tenant: `experts` (the pool) and `expert_lists` (the versions of
the expert list a program's agency approves, see domain/expert_list.py)."""

from __future__ import annotations

from typing import Any

EXPERTS = "experts"
EXPERT_LISTS = "expert_lists"   # versions of the expert list the agency approves (专家库审核备案)


class ExpertStore:
    """`experts`: the pool, one document per expert (id stable across re-imports)."""

    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[EXPERTS].create_index("specialty")
        await self._db[EXPERT_LISTS].create_index("status")

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
