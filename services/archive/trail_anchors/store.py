"""The anchors' collections, one database per tenant: `trail_anchors` (every anchor received, `_id` its cursor:
position then event id) and `trail_anchor_keys` (per anchor key id, the public key first seen with a valid
signature)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

TRAIL_ANCHORS = "trail_anchors"
TRAIL_ANCHOR_KEYS = "trail_anchor_keys"


class AnchorStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[TRAIL_ANCHORS].create_index("seq")

    async def pinned_key(self, key_id: str) -> str | None:
        doc = await self._db[TRAIL_ANCHOR_KEYS].find_one({"_id": key_id})
        return str(doc["public_key"]) if doc else None

    async def pin_key(self, key_id: str, public_key: str, seen_at: str) -> str:
        """The public key kept for `key_id`: this one when none was (an insert, never an overwrite)."""
        try:
            await self._db[TRAIL_ANCHOR_KEYS].insert_one({"_id": key_id, "public_key": public_key,
                                                          "first_seen_at": seen_at})
            return public_key
        except DuplicateKeyError:
            return await self.pinned_key(key_id) or public_key

    async def keep(self, anchor: dict[str, Any]) -> bool:
        """Keep an anchor once (by its cursor); False when it was kept already (a redelivery)."""
        try:
            await self._db[TRAIL_ANCHORS].insert_one(anchor)
        except DuplicateKeyError:
            return False
        return True

    async def anchors(self, after: str, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"_id": {"$gt": after}} if after else {}
        return await self._db[TRAIL_ANCHORS].find(query).sort("_id", 1).limit(limit).to_list(None)
