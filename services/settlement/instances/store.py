"""The instances room's own collection, in the settlement database of every tenant served.

- `instances`: one heartbeat document per settlement process instance (`_id` = the instance), refreshed every
  HEARTBEAT; `stopped_at` once it stopped gracefully."""

from __future__ import annotations

from typing import Any

INSTANCES = "instances"


class InstanceStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def heartbeat(self, instance: str) -> dict[str, Any] | None:
        return await self._db[INSTANCES].find_one({"_id": instance})

    async def beat(self, instance: str, fields: dict[str, Any]) -> None:
        await self._db[INSTANCES].update_one({"_id": instance}, {"$set": fields}, upsert=True)

    async def forget_seen_before(self, seen_at: str) -> None:
        """Heartbeats of instances long gone are removed."""
        await self._db[INSTANCES].delete_many({"seen_at": {"$lt": seen_at}})

    async def stopped(self, instance: str, at: str) -> None:
        await self._db[INSTANCES].update_one({"_id": instance}, {"$set": {"stopped_at": at}})
