"""The dead-letter replays' listing copy (one database per tenant): `dead_letter_replays`, one document per
replay recorded in the trail, so "was this replayed?" is answered without scanning the trail."""

from __future__ import annotations

from typing import Any

REPLAYS = "dead_letter_replays"


class ReplayStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def keep(self, doc: dict[str, Any]) -> None:
        """Idempotent: recording again heals a copy a crash left out."""
        await self._db[REPLAYS].update_one({"_id": doc["_id"]}, {"$set": {k: v for k, v in doc.items() if k != "_id"}},
                                           upsert=True)

    async def replays(self, dlq_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"id": dlq_id} if dlq_id else {}
        return await self._db[REPLAYS].find(query).sort([("recorded_at", 1), ("attempt", 1)]).to_list(limit)
