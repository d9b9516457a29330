"""The policies room's own collection, one database per tenant.

- `policies`: one document per program + version (the table as data), carrying its `policy.published` event."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import push_events, with_events

POLICIES = "policies"

OUTBOX_COLLECTIONS = [POLICIES]


class PolicyStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[POLICIES].create_index("_outbox_pending")
        await self._db[POLICIES].create_index([("program", 1), ("effective_from", 1)])

    async def policy_docs(self, program: str) -> list[dict[str, Any]]:
        return await self._db[POLICIES].find({"program": program}, {"_outbox": 0}).sort(
            "effective_from", 1).to_list(None)

    async def insert_policy(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[POLICIES].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def close_policy(self, doc_id: str, previous_to: str | None, changes: dict[str, Any],
                           events: list[dict[str, Any]]) -> bool:
        result = await self._db[POLICIES].update_one({"_id": doc_id, "effective_to": previous_to},
                                                     push_events({"$set": changes}, events))
        return result.modified_count == 1

    async def events_pending(self, doc_id: str) -> bool:
        """Whether the version's document still carries events the relay has not published."""
        doc = await self._db[POLICIES].find_one({"_id": doc_id}, {"_outbox_pending": 1})
        return doc is not None and bool(doc.get("_outbox_pending"))
