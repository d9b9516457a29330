"""The complaints room's collection, one database per tenant: `complaints` (consultations and complaints, 咨询投诉,
each carrying its pending events)."""

from __future__ import annotations

from typing import Any

from chassis.outbox import push_events, with_events

COMPLAINTS = "complaints"


class ComplaintStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[COMPLAINTS].create_index("status")
        await self._db[COMPLAINTS].create_index("_outbox_pending")

    async def add_complaint(self, complaint: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[COMPLAINTS].insert_one(with_events(complaint, events))

    async def complaint(self, complaint_id: str) -> dict[str, Any] | None:
        return await self._db[COMPLAINTS].find_one({"_id": complaint_id}, {"_outbox": 0})

    async def complaints(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"status": status} if status else {}
        return await self._db[COMPLAINTS].find(query, {"_outbox": 0}).sort("due_on", 1).to_list(limit)

    async def resolve_complaint(self, complaint_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        result = await self._db[COMPLAINTS].update_one({"_id": complaint_id, "status": "open"},
                                                       push_events({"$set": changes}, events))
        return result.modified_count == 1
