"""MongoDB-wire adapter on PyMongo's native asyncio client (the successor of motor).

FerretDB 1.x applies an update as query-then-write without one transaction around both, so two
concurrent updates of the same document can lose one of them (FerretDB issue #3040). A service's
documents are written only by that service's process (its doors, handlers and outbox relay), so this
adapter serialises single-document writes per document inside the process. On MongoDB proper the
lock is harmless; a service with several replicas on FerretDB would need one writer per document."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.operations import DeleteOne, ReplaceOne, UpdateOne

from chassis.store.port import database_name


class _DocumentLocks:
    """One asyncio lock per document being written; forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, keys: list[Hashable]) -> AsyncIterator[None]:
        acquired: list[Hashable] = []
        try:
            for key in sorted(set(keys), key=repr):  # a fixed order: no deadlock between bulk writes
                lock, users = self._locks.get(key, (asyncio.Lock(), 0))
                self._locks[key] = (lock, users + 1)
                await lock.acquire()
                acquired.append(key)
            yield
        finally:
            for key in acquired:
                lock, users = self._locks[key]
                lock.release()
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


def _doc_key(filter_: Any) -> Any:
    if isinstance(filter_, dict) and "_id" in filter_ and not isinstance(filter_["_id"], dict):
        return filter_["_id"]
    return None


class SerializedCollection:
    """A PyMongo async collection whose writes to one document never overlap inside this process."""

    def __init__(self, collection: Any, locks: _DocumentLocks) -> None:
        self._c, self._locks = collection, locks
        self._ns = collection.full_name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._c, name)

    async def _single(self, method: str, filter_: Any, *args: Any, **kwargs: Any) -> Any:
        doc = _doc_key(filter_)
        key = (self._ns, doc) if doc is not None else (self._ns, "*")
        async with self._locks.hold([key]):
            return await getattr(self._c, method)(filter_, *args, **kwargs)

    async def update_one(self, filter_: Any, *args: Any, **kwargs: Any) -> Any:
        return await self._single("update_one", filter_, *args, **kwargs)

    async def replace_one(self, filter_: Any, *args: Any, **kwargs: Any) -> Any:
        return await self._single("replace_one", filter_, *args, **kwargs)

    async def find_one_and_update(self, filter_: Any, *args: Any, **kwargs: Any) -> Any:
        return await self._single("find_one_and_update", filter_, *args, **kwargs)

    async def bulk_write(self, requests: list[Any], *args: Any, **kwargs: Any) -> Any:
        keys = []
        for op in requests:
            if isinstance(op, UpdateOne | ReplaceOne | DeleteOne):
                doc = _doc_key(op._filter)
                keys.append((self._ns, doc if doc is not None else "*"))
        async with self._locks.hold(keys):
            return await self._c.bulk_write(requests, *args, **kwargs)


class SerializedDatabase:
    def __init__(self, database: Any, locks: _DocumentLocks) -> None:
        self._db, self._locks = database, locks

    def __getitem__(self, name: str) -> SerializedCollection:
        return SerializedCollection(self._db[name], self._locks)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._db, name)
        return SerializedCollection(attr, self._locks) if type(attr).__name__ == "AsyncCollection" else attr


class MongoStore:
    def __init__(self, uri: str, prefix: str = "jb") -> None:
        # tz_aware so datetimes round-trip as UTC; short selection timeout so readiness answers quickly.
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=5000, appname="jingban"
        )
        self._prefix = prefix
        self._locks = _DocumentLocks()

    def database(self, service: str, tenant: str) -> Any:
        return SerializedDatabase(self._client[database_name(self._prefix, service, tenant)], self._locks)

    async def ping(self) -> bool:
        """Bounded to 0.5 s, so `/readyz` answers within a second while the store is away, with room left for a
        busy machine's scheduler (a local store answers a ping in milliseconds)."""
        try:
            await asyncio.wait_for(self._client.admin.command("ping"), 0.5)
            return True
        except Exception:  # any driver failure, or no answer in time, means "not ready"
            return False

    async def close(self) -> None:
        await self._client.close()
