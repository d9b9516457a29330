"""The notifications room's collection, one database per tenant: `notifications` (the local outbox of the SMS/push
port: every message sent to an applicant, `_id` = its dedupe key). The phone and the text are sealed, the person
found by the blind index of their identity number (chassis/pii.py)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.pii import Sealed, Sealer, sealer_of

NOTIFICATIONS = "notifications"
NOTIFICATION = Sealed(text=("phone", "text"), persons={"person_id": "person_bi"})


class NotificationStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[NOTIFICATIONS].create_index("person_bi")

    async def add_notification(self, doc: dict[str, Any]) -> bool:
        """Queue a notification once: False when one with this _id (its dedupe key) is there already."""
        try:
            await self._db[NOTIFICATIONS].insert_one(NOTIFICATION.seal(self._pii, doc))
        except DuplicateKeyError:
            return False
        return True

    async def notifications(self, person_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"person_bi": self._pii.blind_index(person_id)} if person_id else {}
        return NOTIFICATION.open_all(self._pii, await self._db[NOTIFICATIONS].find(query).sort("at", 1).to_list(limit))
