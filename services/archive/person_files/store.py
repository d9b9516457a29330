"""The person file room's collection, one database per tenant: `entries` of persons' files (一人一档), each keyed by
the event (or document) it came from. The handover room reads them and fills an empty archive through this room's
service (handover/service.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo.errors import DuplicateKeyError

ENTRIES = "entries"


class EntryStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[ENTRIES].create_index([("person_id", 1), ("occurred_at", 1)])

    async def file(self, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            # Insert by the derived id: refiling the same event changes nothing. (Not an upsert with
            # $setOnInsert, which FerretDB 1.24 mishandles.)
            try:
                await self._db[ENTRIES].insert_one(entry)
            except DuplicateKeyError:
                pass

    async def person_file(self, person_id: str) -> list[dict[str, Any]]:
        entries = await self._db[ENTRIES].find({"person_id": person_id}).sort("occurred_at", 1).to_list(None)
        return sorted(entries, key=lambda e: (e["occurred_at"], e["_id"]))

    async def persons(self, batch: int = 2000) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
        """Every person's entries, person by person (sorted by person id)."""
        current: str | None = None
        bucket: list[dict[str, Any]] = []
        cursor = self._db[ENTRIES].find({}).sort([("person_id", 1), ("occurred_at", 1), ("_id", 1)]).batch_size(batch)
        async for entry in cursor:
            if entry["person_id"] != current and bucket:
                yield current, bucket  # type: ignore[misc]
                bucket = []
            current = entry["person_id"]
            bucket.append(entry)
        if bucket:
            yield current, bucket  # type: ignore[misc]

    async def count_entries(self) -> int:
        return await self._db[ENTRIES].count_documents({})

    async def insert_entries(self, entries: list[dict[str, Any]], chunk: int = 500) -> None:
        for i in range(0, len(entries), chunk):
            await self._db[ENTRIES].insert_many(entries[i : i + chunk])

    async def remove_imported(self, import_id: str) -> int:
        """The entries an import brought (undone when its process died half-way)."""
        removed = await self._db[ENTRIES].delete_many({"imported_from.import_id": import_id})
        return int(removed.deleted_count)
