"""The agency feed's collection, one database per tenant: `agency_pushes`, one document per message to the agency's
long-term care system (domain/pushes.py: status, attempts, the system's answer).

The message's wire data (`body`) names persons — identity numbers in `certno` — and is sealed whole as JSON
(chassis/pii.py); it is dropped once the system has acknowledged the message. The system's and the transport's
messages (`answer.message`, `previous_answer.message`, `error`) are sealed too: a system may quote what it refused.
Every change of state is guarded by the status it moves from."""

from __future__ import annotations

from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.pii import Sealed, Sealer, sealer_of

PUSHES = "agency_pushes"
PUSH = Sealed(text=("answer.message", "previous_answer.message", "error"), json=("body",))


class AgencyPushStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[PUSHES].create_index([("status", 1), ("next_at", 1)])
        await self._db[PUSHES].create_index([("created_at", -1)])

    async def add(self, pushes: list[dict[str, Any]]) -> int:
        """Store new pushes; ones already stored (the same event filed again) are left as they are. Returns how many
        were new."""
        if not pushes:
            return 0
        pii = self._pii
        try:
            result = await self._db[PUSHES].insert_many([PUSH.seal(pii, p) for p in pushes], ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
                raise
            return int(exc.details.get("nInserted", 0))
        except DuplicateKeyError:
            return 0

    async def due(self, now: str, limit: int = 100) -> list[dict[str, Any]]:
        """Pending pushes due by `now`, the longest waiting first."""
        found = await self._db[PUSHES].find({"status": "pending", "next_at": {"$lte": now}}).sort(
            "next_at", 1).to_list(limit)
        return PUSH.open_all(self._pii, found)

    async def push(self, push_id: str) -> dict[str, Any] | None:
        return PUSH.open(self._pii, await self._db[PUSHES].find_one({"_id": push_id}))

    async def listed(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        """The newest first, without their bodies (never shown)."""
        found = await self._db[PUSHES].find({"status": status} if status else {}, {"body": 0}).sort(
            "created_at", -1).to_list(limit)
        return PUSH.open_all(self._pii, found)

    async def counts(self) -> dict[str, int]:
        return {status: await self._db[PUSHES].count_documents({"status": status})
                for status in ("pending", "sent", "failed")}

    async def sent(self, push_id: str, changes: dict[str, Any]) -> bool:
        """Acknowledged: the body goes (the system holds it now)."""
        return await self._update(push_id, "pending", {"$set": PUSH.seal(self._pii, changes), "$unset": {"body": ""}})

    async def change(self, push_id: str, from_status: str, changes: dict[str, Any]) -> bool:
        return await self._update(push_id, from_status, {"$set": PUSH.seal(self._pii, changes)})

    async def _update(self, push_id: str, from_status: str, update: dict[str, Any]) -> bool:
        result = await self._db[PUSHES].update_one({"_id": push_id, "status": from_status}, update)
        return result.modified_count == 1
