"""In-memory adapter (mongomock behind the same async collection API) for embedded mode and unit tests. Its databases
carry a sealer of personal data (chassis/pii.py) with keys held in memory, as short-lived as the data; a service's
context (`ServiceContext.db`) puts the tenant's real sealer in front of it."""

from __future__ import annotations

from typing import Any

from mongomock_motor import AsyncMongoMockClient

from chassis.keys import MemoryKeyProvider
from chassis.pii import Sealer, with_sealer
from chassis.store.port import database_name


class MemoryStore:
    def __init__(self, prefix: str = "jb") -> None:
        self._client = AsyncMongoMockClient(tz_aware=True)
        self._prefix = prefix
        self._keys = MemoryKeyProvider()

    def database(self, service: str, tenant: str) -> Any:
        return with_sealer(self._client[database_name(self._prefix, service, tenant)], Sealer(self._keys, tenant))

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    async def database_names(self) -> list[str]:
        return list(await self._client.list_database_names())
