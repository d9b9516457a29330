"""MongoDB-wire adapter on PyMongo's native asyncio client (the successor of motor)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from chassis.store.port import database_name


class MongoStore:
    def __init__(self, uri: str, prefix: str = "jb") -> None:
        # tz_aware so datetimes round-trip as UTC; short selection timeout so readiness answers quickly.
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=5000, appname="jingban"
        )
        self._prefix = prefix

    def database(self, service: str, tenant: str) -> Any:
        return self._client[database_name(self._prefix, service, tenant)]

    async def ping(self) -> bool:
        try:
            await self._client.admin.command("ping")
            return True
        except Exception:  # any driver failure means "not ready"
            return False

    async def close(self) -> None:
        await self._client.close()
