"""archive's own collections, one database per tenant: `entries` of persons' files, `exports` (handover
archives, each carrying its pending `archive.handover.ready`) and `imports` (the one import a tenant's
empty archive may receive)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import with_events

ENTRIES = "entries"
EXPORTS = "exports"
IMPORTS = "imports"
IMPORT_MARKER = "import"  # _id of the single import record: its unique key is the lock against a second one
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class ArchiveStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[ENTRIES].create_index([("person_id", 1), ("occurred_at", 1)])
        await self._db[EXPORTS].create_index("_outbox_pending")

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

    async def add_export(self, export: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[EXPORTS].insert_one(with_events(export, events))

    async def export(self, export_id: str) -> dict[str, Any] | None:
        return await self._db[EXPORTS].find_one({"_id": export_id}, HIDDEN)

    async def exports(self) -> list[dict[str, Any]]:
        return await self._db[EXPORTS].find({}, HIDDEN).sort("produced_at", 1).to_list(None)

    async def claim_import(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """Take the tenant's single import slot; the existing record when it is taken."""
        try:
            await self._db[IMPORTS].insert_one({**record, "_id": IMPORT_MARKER})
        except DuplicateKeyError:
            return await self._db[IMPORTS].find_one({"_id": IMPORT_MARKER}) or {}
        return None

    async def abandon_import(self, import_id: str) -> int:
        """Undo an import its process never finished (it died with it): its entries, then its slot."""
        removed = await self._db[ENTRIES].delete_many({"imported_from.import_id": import_id})
        await self._db[IMPORTS].delete_one({"_id": IMPORT_MARKER, "import_id": import_id, "status": "running"})
        return int(removed.deleted_count)

    async def release_import(self) -> None:
        await self._db[IMPORTS].delete_one({"_id": IMPORT_MARKER, "status": "running"})

    async def finish_import(self, changes: dict[str, Any]) -> None:
        await self._db[IMPORTS].update_one({"_id": IMPORT_MARKER}, {"$set": changes})

    async def import_record(self) -> dict[str, Any] | None:
        return await self._db[IMPORTS].find_one({"_id": IMPORT_MARKER})

    async def insert_entries(self, entries: list[dict[str, Any]], chunk: int = 500) -> None:
        for i in range(0, len(entries), chunk):
            await self._db[ENTRIES].insert_many(entries[i : i + chunk])
