"""The trail's collections, one database per tenant: `trail` (the MAC-chained event log), `trail_head` (its
last position, a hint that spares every append a read of the trail) and `trail_anchors` (the anchors audit signed,
each carrying its `trail.anchored` event in `_outbox` until the relay publishes it; audit's own record of when it
last anchored — verification trusts only the anchors archive keeps).

Personal data (chassis/pii.py): an entry's business key is often a person's identity number. It is sealed, with
its blind index beside it (`business_bi`, what a lookup by business key reads), BEFORE the entry is chained: the MAC
covers the sealed value, so verification needs no personal-data key and never opens anything. Every business key is
treated so (the trail cannot tell a person's from an application's). Entries are never re-sealed (a rotation of the
`pii` key leaves them under the version that sealed them: that version must stay held), and an entry appended
before sealing keeps its clear key — rewriting either would break its MAC, which is the point of the chain; lookups
by business key do not find those older entries. The payload itself is not kept, only its SHA-256.
`entries` answers opened entries; `page` and `all_entries` answer them as stored (what the MACs cover)."""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import with_events
from chassis.pii import Sealed, sealer_of
from services.audit.trail.domain.trail import GENESIS, MacKey, chain

TRAIL = "trail"
TRAIL_HEAD = "trail_head"  # one document, `_id` HEAD: the trail's last seq, MAC and key id (a hint; see append_many)
TRAIL_ANCHORS = "trail_anchors"  # `_id` = the anchored seq
HEAD = "head"
RECENT = 1000       # event ids of the last entries kept in the head: a redelivered batch is skipped without a read
APPEND_CHUNK = 500  # entries per insert
WALK_PAGE = 1000
# What of an entry is personal data: its business key, sealed beside its blind index (before the MAC).
ENTRY = Sealed(persons={"business_key": "business_bi"})


class ConcurrentAppend(Exception):
    """Other writers kept taking the next positions for longer than an append retries; try again later."""


# One appender per tenant trail inside a process (the consumer and the doors share it); other processes are kept
# apart by the unique `_id` = seq. Per event loop, since a lock belongs to the loop it was first used on.
_APPEND_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary())


def _append_lock(db: Any) -> asyncio.Lock:
    locks = _APPEND_LOCKS.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(db.name, asyncio.Lock())


def _recent(head: dict[str, Any]) -> list[str]:
    # One JSON string rather than an array: FerretDB reads and writes it as one value, not a thousand.
    return list(json.loads(head.get("recent") or "[]"))


def _tail(doc: dict[str, Any]) -> dict[str, Any]:
    """A position of the trail (an entry, or the head): seq, MAC and key id. A trail from before keyed MACs has a
    `hash` instead: appending goes on from it (its entries themselves do not verify as sealed)."""
    return {"seq": doc["seq"], "mac": doc.get("mac") or doc.get("hash") or GENESIS, "key_id": doc.get("key_id", "")}


def _duplicate_at(exc: BulkWriteError) -> int:
    """The position an ordered insert stopped at on a duplicate key (everything before it was written)."""
    errors = exc.details.get("writeErrors") or []
    if not errors or errors[0].get("code") != 11000:
        raise exc
    return int(errors[0]["index"])


class TrailStore:
    """A tenant's trail. Appending seals entries with `key` (the tenant's current trail key); reading needs none."""

    def __init__(self, db: Any, key: MacKey | None = None) -> None:
        self._db = db
        self._key = key

    async def ensure_indexes(self) -> None:
        await self._db[TRAIL].create_index("event_id", unique=True)
        await self._db[TRAIL].create_index("business_bi")
        await self._db[TRAIL_ANCHORS].create_index("_outbox_pending")

    # ---- trail ----
    #
    # On FerretDB 1.24 (SQLite) an insert checks its unique keys by index, in the same time at any size, but a
    # read or update of a big collection reads through it (even by `_id`). So appending never reads the trail:
    # the tail's seq and MAC come from the head document (`trail_head`), an event already appended is refused
    # by the unique `event_id` at insert (or skipped, when it is among the head's recent ids, without a write),
    # and two writers cannot both take a position since `_id` = seq. The head is a hint: it is advanced after
    # the insert, so a crash between the two leaves it behind (marked `writing`); an insert that hits a taken
    # position then walks forward from it, and so does the start of the service. Only those rare paths read
    # the trail (by `_id`: indexed on MongoDB, a read through the collection on FerretDB).

    async def append(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Append once: returns None when the event is already in the trail."""
        entries = await self.append_many([fields])
        return entries[0] if entries else None

    async def append_many(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append a batch in order, each event once (those already in the trail, or twice in the batch, are
        skipped); returns the entries appended."""
        if not batch:
            return []
        key = self._key
        if key is None:
            raise RuntimeError("the trail is appended to only with its MAC key (TrailStore(db, key))")
        async with _append_lock(self._db):
            head = await self._head()
            recent = _recent(head)
            known = set(recent)
            todo: list[dict[str, Any]] = []
            for fields in batch:
                if fields["event_id"] not in known:
                    known.add(fields["event_id"])
                    todo.append(fields)
            if not todo:
                return []
            pii = sealer_of(self._db)
            todo = [ENTRY.seal(pii, fields) for fields in todo]  # before the MAC: it covers the sealed value
            tail = _tail(head)
            if head.get("writing"):  # a write left unfinished (a crash, or another process now)
                tail = await self._walk(tail, recent)
                walked = set(recent)
                todo = [f for f in todo if f["event_id"] not in walked]
            appended: list[dict[str, Any]] = []
            await self._db[TRAIL_HEAD].update_one({"_id": HEAD}, {"$set": {"writing": True}})
            # Every round appends, skips an event or learns a later tail, so this ends unless other writers keep
            # taking the next positions.
            for _ in range(len(todo) + 20):
                if not todo:
                    break
                entries = chain(tail, todo[:APPEND_CHUNK], key)
                try:
                    await self._db[TRAIL].insert_many([{"_id": e["seq"], **e} for e in entries], ordered=True)
                    written, refused = len(entries), False
                except BulkWriteError as exc:
                    written, refused = _duplicate_at(exc), True
                if written:
                    appended += entries[:written]
                    recent += [e["event_id"] for e in entries[:written]]
                    tail = entries[written - 1]
                todo = todo[written:]
                if refused:
                    later = await self._walk(tail, recent)
                    if later["seq"] == tail["seq"]:  # the position was free: the event is further back
                        recent.append(todo[0]["event_id"])
                        todo = todo[1:]
                    else:  # another writer, or a head left behind: go on from the real tail
                        tail = later
                        appended_ids = set(recent)
                        todo = [f for f in todo if f["event_id"] not in appended_ids]
                if todo:
                    await self._advance(tail, recent)
            if todo:
                raise ConcurrentAppend(f"{len(todo)} events not appended: the next positions kept being taken")
            await self._advance(tail, recent, done=True)
            return appended

    async def heal_head(self) -> dict[str, Any]:
        """On start: the head of a trail from before heads is built from its tail (read once); a head a crash
        left behind is walked forward to the real tail."""
        async with _append_lock(self._db):
            head = await self._head()
            if head.get("writing"):
                recent = _recent(head)
                tail = await self._walk(_tail(head), recent)
                await self._advance(tail, recent, done=True)
                head = await self._head()
            return head

    async def head(self) -> dict[str, Any]:
        """The trail's last position as its head records it: `seq` (0 when empty), `mac` and `key_id`. Always a
        position the trail really had (seq and MAC are written together), perhaps a little behind the tail."""
        return _tail(await self._head())

    async def anchoring(self) -> dict[str, Any]:
        """The head (as `head`) with the last position audit anchored and when (`anchored_seq` 0 and `anchored_at`
        "" before the first anchor): what the anchoring policy decides from, in one read."""
        doc = await self._head()
        return {**_tail(doc), "anchored_seq": doc.get("anchored_seq", 0), "anchored_at": doc.get("anchored_at", "")}

    async def _head(self) -> dict[str, Any]:
        doc = await self._db[TRAIL_HEAD].find_one({"_id": HEAD})
        if doc is not None:
            return doc
        # No head yet: a new trail, or one appended before heads, whose tail is read once (sorted by `_id`).
        tail = await self._db[TRAIL].find_one({}, {"seq": 1, "mac": 1, "hash": 1, "key_id": 1}, sort=[("_id", -1)])
        doc = {"_id": HEAD, **(_tail(tail) if tail else {"seq": 0, "mac": GENESIS, "key_id": ""}), "recent": "[]"}
        try:
            await self._db[TRAIL_HEAD].insert_one(doc)
        except DuplicateKeyError:  # another writer made it first
            found = await self._db[TRAIL_HEAD].find_one({"_id": HEAD})
            assert found is not None
            return found
        return doc

    async def _walk(self, tail: dict[str, Any], recent: list[str]) -> dict[str, Any]:
        """The real tail at or after `tail` (entries are never removed, so those after it run on without gaps);
        the event ids passed are added to `recent`."""
        while True:
            later = await self._db[TRAIL].find({"_id": {"$gt": tail["seq"]}},
                                               {"seq": 1, "mac": 1, "hash": 1, "key_id": 1, "event_id": 1}
                                               ).sort("_id", 1).to_list(WALK_PAGE)
            for entry in later:
                recent.append(entry["event_id"])
                tail = _tail(entry)
            if len(later) < WALK_PAGE:
                return tail

    async def _advance(self, tail: dict[str, Any], recent: list[str], done: bool = False) -> None:
        """Move the head to `tail`, never back (another writer may be further on)."""
        update: dict[str, Any] = {"$set": {"seq": tail["seq"], "mac": tail["mac"], "key_id": tail.get("key_id", ""),
                                           "recent": json.dumps(recent[-RECENT:])}}
        if done:
            update["$unset"] = {"writing": ""}
        await self._db[TRAIL_HEAD].update_one({"_id": HEAD, "seq": {"$lte": tail["seq"]}}, update)

    async def entries(self, after: int = 0, limit: int = 1000, business_key: str | None = None) -> list[dict[str, Any]]:
        """Entries after position `after` (those of one business key, found by its blind index), opened: the
        business key clear, its index left out."""
        pii = sealer_of(self._db)
        query: dict[str, Any] = {"_id": {"$gt": after}}
        if not business_key:
            return ENTRY.open_all(pii, await self._db[TRAIL].find(query).sort("_id", 1).to_list(limit))
        query["business_bi"] = {"$in": pii.blind_indexes(business_key)}
        out: list[dict[str, Any]] = []
        while len(out) < limit:  # the index is case-blind, the key is not: only the key's own entries count
            page = await self._db[TRAIL].find(query).sort("_id", 1).to_list(limit)
            out += [e for e in ENTRY.open_all(pii, page) if e.get("business_key") == business_key]
            if len(page) < limit:
                break
            query["_id"] = {"$gt": page[-1]["_id"]}
        return out[:limit]

    async def all_entries(self) -> list[dict[str, Any]]:
        """Every entry as stored (sealed business keys: what the MACs cover)."""
        return await self._db[TRAIL].find({}).sort("_id", 1).to_list(None)

    async def page(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Entries stored after position `after`, as stored (by `_id`): what verification reads."""
        return await self._db[TRAIL].find({"_id": {"$gt": after}}).sort("_id", 1).limit(limit).to_list(None)

    # ---- anchors audit signed ----

    async def add_anchor(self, anchor: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """Keep an anchor with its event (one write), then note it on the head (never moving the note back);
        False when that position is anchored already."""
        try:
            await self._db[TRAIL_ANCHORS].insert_one(with_events({"_id": anchor["seq"], **anchor}, events))
        except DuplicateKeyError:
            return False
        await self._head()  # the head exists from here on
        await self._db[TRAIL_HEAD].update_one(
            {"_id": HEAD, "$or": [{"anchored_seq": {"$exists": False}}, {"anchored_seq": {"$lt": anchor["seq"]}}]},
            {"$set": {"anchored_seq": anchor["seq"], "anchored_at": anchor["at"]}})
        return True

    async def anchor_at(self, seq: int) -> dict[str, Any] | None:
        return await self._db[TRAIL_ANCHORS].find_one({"_id": seq}, {"_outbox": 0, "_outbox_pending": 0})
