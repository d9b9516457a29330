"""archive's own collection, one database per tenant: `entries` of persons' files."""

from __future__ import annotations

from typing import Any

ENTRIES = "entries"


class ArchiveStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[ENTRIES].create_index([("person_id", 1), ("occurred_at", 1)])

    async def file(self, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            # Upsert by the derived id: refiling the same event changes nothing.
            await self._db[ENTRIES].update_one({"_id": entry["_id"]}, {"$setOnInsert": entry}, upsert=True)

    async def person_file(self, person_id: str) -> list[dict[str, Any]]:
        return await self._db[ENTRIES].find({"person_id": person_id}).sort("occurred_at", 1).to_list(None)
