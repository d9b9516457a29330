"""audit's own collection, one database per tenant: `trail` (the hash-chained event log)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from services.audit.domain.trail import next_entry

TRAIL = "trail"


class ConcurrentAppend(Exception):
    """Another writer took this sequence number; read the tail again and retry."""


class AuditStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[TRAIL].create_index("event_id", unique=True)
        await self._db[TRAIL].create_index("business_key")

    async def append(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Append once: returns None when the event is already in the trail."""
        if await self._db[TRAIL].find_one({"event_id": fields["event_id"]}, {"_id": 1}):
            return None
        tail = await self._db[TRAIL].find_one({}, sort=[("_id", -1)])
        entry = next_entry(tail, fields)
        try:
            # _id = seq: two appenders racing for one position cannot both win.
            await self._db[TRAIL].insert_one({"_id": entry["seq"], **entry})
        except DuplicateKeyError as exc:
            if await self._db[TRAIL].find_one({"event_id": fields["event_id"]}, {"_id": 1}):
                return None
            raise ConcurrentAppend(str(exc)) from exc
        return entry

    async def entries(self, after: int = 0, limit: int = 1000, business_key: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"_id": {"$gt": after}}
        if business_key:
            query["business_key"] = business_key
        return await self._db[TRAIL].find(query).sort("_id", 1).to_list(limit)

    async def all_entries(self) -> list[dict[str, Any]]:
        return await self._db[TRAIL].find({}).sort("_id", 1).to_list(None)
