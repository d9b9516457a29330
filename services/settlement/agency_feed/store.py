"""The agency feed's collection, one database per tenant: `agency_pushes`, one document per message to the agency's
long-term care system (domain/pushes.py: status, attempts, the system's answer).

The message's wire data (`body`) names persons — identity numbers in `certno` — and is stored as its JSON compressed
(zlib) and sealed whole as bytes (chassis/pii.py); it is dropped once the system has acknowledged the message.
Compressed because a message of 500 service records is ~100 KB of JSON and ~10 KB so, and FerretDB 1.24 reads and
rewrites a whole document on every update (marking it sent) and walks the pending ones on every pass. The system's
and the transport's messages (`answer.message`, `previous_answer.message`, `error`) are sealed too: a system may quote
what it refused.
Every change of state is guarded by the status it moves from."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.pii import Sealed, Sealer, sealer_of

PUSHES = "agency_pushes"
PUSH = Sealed(text=("answer.message", "previous_answer.message", "error"), data=("body",))


def _packed(push: dict[str, Any]) -> dict[str, Any]:
    """The push with its body as compressed JSON bytes (sealed next, as bytes)."""
    body = push.get("body")
    if body is None:
        return push
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {**push, "body": zlib.compress(text.encode(), 6)}


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

    async def add(self, pushes: list[dict[str, Any]]) -> int:
        """Store new pushes; ones already stored (the same event filed again) are left as they are. Returns how many
        were new."""
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
        return _unpacked(PUSH.open(self._pii, await self._db[PUSHES].find_one({"_id": push_id})))

    async def listed(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        """The newest first, without their bodies (never shown)."""
        found = await self._db[PUSHES].find({"status": status} if status else {}, {"body": 0}).sort(
            "created_at", -1).to_list(limit)
        return PUSH.open_all(self._pii, found)

    async def counts(self) -> dict[str, int]:
        return {status: await self._db[PUSHES].count_documents({"status": status})
                for status in ("pending", "sent", "failed")}

    async def sent(self, push_id: str, changes: dict[str, Any]) -> bool:
        """Acknowledged: the body goes (the system holds it now)."""
        return await self._update(push_id, "pending", {"$set": PUSH.seal(self._pii, changes), "$unset": {"body": ""}})

    async def change(self, push_id: str, from_status: str, changes: dict[str, Any]) -> bool:
        return await self._update(push_id, from_status, {"$set": PUSH.seal(self._pii, changes)})

    async def _update(self, push_id: str, from_status: str, update: dict[str, Any]) -> bool:
        result = await self._db[PUSHES].update_one({"_id": push_id, "status": from_status}, update)
        return result.modified_count == 1
