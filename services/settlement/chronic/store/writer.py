"""Group commit of inserts: one writer per tenant database in this process.

FerretDB's SQLite store has one writer per database file; concurrent writers from our own connection pool wait on
SQLite's busy handler (sleeps of growing length), which gave real-time settlement a p99 near a second at 50 clients.
Here every insert of claims and person versions goes through one queue per database: whatever arrived while the
previous write ran is written together (one `insert_many(ordered=False)` per collection), and each caller learns
which of its documents were duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


@dataclass
class _Pending:
    collection: str
    docs: Sequence[dict[str, Any]]
    done: asyncio.Future[list[int]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GroupWriter:
    def __init__(self, db: Any) -> None:
        self._db = db
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def insert(self, collection: str, docs: Sequence[dict[str, Any]]) -> list[int]:
        """Insert `docs` (unordered) together with whatever else is waiting; returns the indexes of `docs` that
        were refused as duplicates. Other errors are raised to every caller of that write."""
        if not docs:
            return []
        pending = _Pending(collection, docs)
        self._queue.append(pending)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="settlement-group-writer")
        return await pending.done

    async def _run(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            self._wake.clear()
            by_collection: dict[str, list[_Pending]] = {}
            for p in batch:
                by_collection.setdefault(p.collection, []).append(p)
            for name, items in by_collection.items():
                await self._write(name, items)

    async def _write(self, name: str, items: list[_Pending]) -> None:
        docs = [d for p in items for d in p.docs]
        taken: set[int] = set()
        try:
            await self._db[name].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors) or exc.details.get("writeConcernErrors"):
                self._fail(items, exc)
                return
            taken = {e["index"] for e in errors}
        except Exception as exc:  # the callers decide; the writer keeps serving the others
            self._fail(items, exc)
            return
        offset = 0
        for p in items:
            mine = [i - offset for i in range(offset, offset + len(p.docs)) if i in taken]
            offset += len(p.docs)
            if not p.done.done():
                p.done.set_result(mine)

    @staticmethod
    def _fail(items: list[_Pending], exc: Exception) -> None:
        for p in items:
            if not p.done.done():
                p.done.set_exception(exc)


class GroupWriters:
    """One GroupWriter per tenant database."""

    def __init__(self, db_of: Any) -> None:
        self._db_of = db_of
        self._writers: dict[str, GroupWriter] = {}

    def __call__(self, tenant: str) -> GroupWriter:
        writer = self._writers.get(tenant)
        if writer is None:
            writer = self._writers[tenant] = GroupWriter(self._db_of(tenant))
        return writer
