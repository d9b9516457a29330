"""The notifications room's collection, one database per tenant: `notifications` (the local outbox of the SMS/push
port: every message sent to an applicant, `_id` = its dedupe key)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

NOTIFICATIONS = "notifications"


class NotificationStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[NOTIFICATIONS].create_index("person_id")

    async def add_notification(self, doc: dict[str, Any]) -> bool:
        """Queue a notification once: False when one with this _id (its dedupe key) is there already."""
        try:
            await self._db[NOTIFICATIONS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def notifications(self, person_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"person_id": person_id} if person_id else {}
        return await self._db[NOTIFICATIONS].find(query).sort("at", 1).to_list(limit)
