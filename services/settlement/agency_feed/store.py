"""The agency feed's collections, one database per tenant, one document per message to the agency's long-term care
system (domain/pushes.py: status, attempts, the system's answer):

- `agency_pushes`: the messages still to send (pending) or parked (failed, until ops retries them);
- `agency_pushes_sent`: insert-only, the messages the system acknowledged, without their bodies — moved there (an
  insert, then the pending one deleted) rather than marked sent in place, because FerretDB 1.24 walks the whole
  collection on every update and delete (~10 µs a document): in place, marking one message sent would cost more with
  every message ever sent (a month of 1,000,000 service records is 2,000 messages, a city's assessments 30,000),
  while `agency_pushes` stays as small as the backlog. A crash between the two writes leaves a message in both: it is
  sent again under its msgid (the system answers it as the first time) and moved again (the copy there stays).

The message's wire data (`body`) names persons — identity numbers in `certno` — and is stored as its JSON compressed
(zlib) and sealed whole as bytes (chassis/pii.py); it is dropped once the system has acknowledged the message.
Compressed because a message of 500 service records is ~100 KB of JSON and ~10 KB so (FerretDB reads and writes
whole documents, and the worker reads the pending ones on every pass). The system's and the transport's messages
(`answer.message`, `previous_answer.message`, `error`) are sealed too: a system may quote what it refused.
Every change of state is guarded by the status it moves from."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.pii import Sealed, Sealer, sealer_of

PUSHES = "agency_pushes"
SENT = "agency_pushes_sent"
PUSH = Sealed(text=("answer.message", "previous_answer.message", "error"), data=("body",))


def _packed(push: dict[str, Any]) -> dict[str, Any]:
    """The push with its body as compressed JSON bytes (sealed next, as bytes)."""
    body = push.get("body")
    if body is None:
        return push
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return {**push, "body": zlib.compress(text.encode(), 1)}


def _unpacked(push: dict[str, Any] | None) -> dict[str, Any] | None:
    """The push as opened, its body the wire data again (a body sealed as JSON text, as first stored, too)."""
    body = None if push is None else push.get("body")
    if isinstance(body, bytes | bytearray):
        return {**push, "body": json.loads(zlib.decompress(body))}  # type: ignore[dict-item]
    if isinstance(body, str):
        return {**push, "body": json.loads(body)}  # type: ignore[dict-item]
    return push


class AgencyPushStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[PUSHES].create_index([("status", 1), ("next_at", 1)])
        await self._db[PUSHES].create_index([("created_at", -1)])
        await self._db[SENT].create_index([("created_at", -1)])

    async def add(self, pushes: list[dict[str, Any]]) -> int:
        """Store new pushes; ones already stored (the same event filed again) are left as they are, sent ones
        included. Returns how many were new."""
        sent = self._db[SENT]
        pushes = [p for p in pushes if await sent.find_one({"_id": p["_id"]}, {"_id": 1}) is None]
        if not pushes:
            return 0
        pii = self._pii
        try:
            result = await self._db[PUSHES].insert_many([PUSH.seal(pii, _packed(p)) for p in pushes],
                                                        ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
                raise
            return int(exc.details.get("nInserted", 0))
        except DuplicateKeyError:
            return 0

    async def due(self, now: str, limit: int = 100) -> list[dict[str, Any]]:
        """Pending pushes due by `now`, the longest waiting first."""
        found = await self._db[PUSHES].find({"status": "pending", "next_at": {"$lte": now}}).sort(
            "next_at", 1).to_list(limit)
        return [p for p in map(_unpacked, PUSH.open_all(self._pii, found)) if p is not None]

    async def push(self, push_id: str) -> dict[str, Any] | None:
        found = await self._db[SENT].find_one({"_id": push_id}) or await self._db[PUSHES].find_one({"_id": push_id})
        return _unpacked(PUSH.open(self._pii, found))

    async def listed(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        """The newest first, without their bodies (never shown)."""
        by_id: dict[str, dict[str, Any]] = {}
        if status != "sent":
            by_id.update((d["_id"], d) for d in await self._db[PUSHES].find(
                {"status": status} if status else {}, {"body": 0}).sort("created_at", -1).to_list(limit))
        if status in (None, "sent"):  # (one left in both by a crash is sent)
            by_id.update((d["_id"], d) for d in await self._db[SENT].find({}, {"body": 0}).sort(
                "created_at", -1).to_list(limit))
        found = sorted(by_id.values(), key=lambda d: str(d.get("created_at", "")), reverse=True)[:limit]
        return PUSH.open_all(self._pii, found)

    async def counts(self) -> dict[str, int]:
        pushes = self._db[PUSHES]
        return {"pending": await pushes.count_documents({"status": "pending"}),
                "sent": await self._db[SENT].count_documents({}),
                "failed": await pushes.count_documents({"status": "failed"})}

    async def sent(self, push_id: str, changes: dict[str, Any]) -> bool:
        """Acknowledged: moved among the sent ones, without its body (the system holds it now)."""
        push = await self._db[PUSHES].find_one({"_id": push_id, "status": "pending"})
        if push is None:
            return False
        done = {**{k: v for k, v in push.items() if k != "body"}, **PUSH.seal(self._pii, changes)}
        try:
            await self._db[SENT].insert_one(done)
        except DuplicateKeyError:
            pass  # moved before a crash kept it here too: the first answer stays
        result = await self._db[PUSHES].delete_one({"_id": push_id, "status": "pending"})
        return result.deleted_count == 1

    async def change(self, push_id: str, from_status: str, changes: dict[str, Any]) -> bool:
        return await self._update(push_id, from_status, {"$set": PUSH.seal(self._pii, changes)})

    async def _update(self, push_id: str, from_status: str, update: dict[str, Any]) -> bool:
        result = await self._db[PUSHES].update_one({"_id": push_id, "status": from_status}, update)
        return result.modified_count == 1
