"""settlement's own collections, one database per tenant: `accounts` (benefit accumulators)."""

from __future__ import annotations

from typing import Any

ACCOUNTS = "accounts"


class SettlementStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[ACCOUNTS].create_index([("person_id", 1), ("year", 1)])

    async def open_account(self, account: dict[str, Any]) -> None:
        await self._db[ACCOUNTS].update_one({"_id": account["_id"]}, {"$setOnInsert": account}, upsert=True)

    async def accounts(self, person_id: str, year: int) -> list[dict[str, Any]]:
        return await self._db[ACCOUNTS].find({"person_id": person_id, "year": year}).to_list(None)
