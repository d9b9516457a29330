"""In-process mutual exclusion per key (a person, a statement, a batch).

Why: FerretDB 1.24 (SQLite) applies an update as read → modify → write of the whole document, not atomically
across connections: two concurrent `update_one({"_id": x, "version": 1}, ...)` both report a match and the last
write wins (8 concurrent clients: up to 8 "matches" per version; 80 concurrent `$inc` of one field: +15). The
optimistic `version` check therefore only
protects on a store with atomic conditional updates (MongoDB). Within one settlement process these locks make each
read-compute-write of a document exclusive, so one process is correct on FerretDB too; the version check stays for
several replicas on MongoDB.

Locks are taken in sorted key order by whoever takes several, and a holder never waits for another lock while
holding some, except in that order: no deadlock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def _get(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        return lock

    def _put(self, key: str) -> None:
        self._users[key] -= 1
        if self._users[key] == 0:  # nobody holds or waits: forget it, so the registry stays small
            del self._users[key]
            del self._locks[key]

    async def acquire(self, keys: Iterable[str]) -> list[str]:
        """Take the locks of `keys` (sorted, deduplicated); returns what to pass to `release`."""
        ordered = sorted(set(keys))
        taken: list[str] = []
        try:
            for key in ordered:
                lock = self._get(key)
                try:
                    await lock.acquire()
                except BaseException:
                    self._put(key)
                    raise
                taken.append(key)
        except BaseException:
            self.release(taken)
            raise
        return taken

    def release(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._locks[key].release()
            self._put(key)

    @asynccontextmanager
    async def hold(self, *keys: str) -> AsyncIterator[None]:
        taken = await self.acquire(keys)
        try:
            yield
        finally:
            self.release(taken)

    def __len__(self) -> int:
        return len(self._locks)
