"""In-memory adapter (mongomock behind the same async collection API) for embedded mode and unit tests."""

from __future__ import annotations

from typing import Any

from mongomock_motor import AsyncMongoMockClient

from chassis.store.port import database_name


class MemoryStore:
    def __init__(self, prefix: str = "jb") -> None:
        self._client = AsyncMongoMockClient(tz_aware=True)
        self._prefix = prefix

    def database(self, service: str, tenant: str) -> Any:
        return self._client[database_name(self._prefix, service, tenant)]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    async def database_names(self) -> list[str]:
        return list(await self._client.list_database_names())
