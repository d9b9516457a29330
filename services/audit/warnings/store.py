"""The warnings room's collection (one database per tenant): `warnings`, carrying their pending `warning.issued`
(`_outbox`)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import with_events

WARNINGS = "warnings"
OUTBOX = [WARNINGS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class WarningStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[WARNINGS].create_index("_outbox_pending")

    async def add_warning(self, warning: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """False when a warning with this id exists (a check re-run for the same month)."""
        try:
            await self._db[WARNINGS].insert_one(with_events(warning, events))
        except DuplicateKeyError:
            return False
        return True

    async def warning(self, warning_id: str) -> dict[str, Any] | None:
        return await self._db[WARNINGS].find_one({"_id": warning_id}, HIDDEN)

    async def warnings(self, status: str | None = None) -> list[dict[str, Any]]:
        query = {"status": status} if status else {}
        return await self._db[WARNINGS].find(query, HIDDEN).sort("_id", 1).to_list(None)

    async def file_warning_report(self, warning_id: str, changes: dict[str, Any]) -> bool:
        result = await self._db[WARNINGS].update_one({"_id": warning_id, "status": "open"}, {"$set": changes})
        return result.modified_count == 1
