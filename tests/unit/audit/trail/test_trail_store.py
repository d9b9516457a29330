"""The trail's store on the in-memory adapter: batches chain exactly as one append after another (sealed with the
key the store is given), each event is kept once, appending reads the head and never the trail, a head a crash left
behind is walked forward, a trail from before keyed MACs is appended to from its last hash, and an anchor is kept
once with its event and noted on the head."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chassis.store.memory import MemoryStore
from services.audit.trail import store as audit_store
from services.audit.trail.domain.trail import MacKey
from services.audit.trail.domain.trail import chain as sealed_chain
from services.audit.trail.domain.trail import verify as verify_with
from services.audit.trail.store import HEAD, TRAIL, TRAIL_ANCHORS, TRAIL_HEAD, TrailStore

KEY = MacKey("trail/hz-p1/v1", b"s" * 32)


def chain(previous: Any, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sealed_chain(previous, batch, KEY)


def verify(entries: list[dict[str, Any]]) -> Any:
    return verify_with(entries, {KEY.key_id: KEY.secret})


def fields(i: int, tenant: str = "hz-p1") -> dict[str, Any]:
    return {"event_id": f"ev-{i:05d}", "type": "application.submitted", "tenant": tenant, "business_key": f"p{i % 7}",
            "occurred_at": f"2025-03-01T00:00:{i % 60:02d}+00:00", "source": "intake", "causation_id": "",
            "payload_sha256": f"{i:064x}", "trace_id": ""}


async def new_store(tenant: str = "hz-p1") -> tuple[TrailStore, Any]:
    db = MemoryStore().database("audit", tenant)
    store = TrailStore(db, KEY)
    await store.ensure_indexes()
    return store, db


def without_id(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "_id"} for e in entries]


def as_chained(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields an entry was chained over (without its position, key, links and MAC)."""
    return {k: v for k, v in entry.items() if k not in ("_id", "seq", "key_id", "prev_mac", "mac")}


async def test_a_batch_chains_exactly_as_one_append_after_another() -> None:
    batched, _ = await new_store()
    one_by_one, _ = await new_store()
    assert len(await batched.append_many([fields(i) for i in range(1, 8)])) == 7
    assert len(await batched.append_many([fields(i) for i in range(8, 13)])) == 5
    for i in range(1, 13):
        assert await one_by_one.append(fields(i)) is not None

    entries, others = await batched.all_entries(), await one_by_one.all_entries()
    # Each business key is sealed before its entry is chained (chassis/pii.py; a new nonce each time): an entry is
    # the chain of what it stores, and both trails open to the events given, in the same order.
    assert without_id(entries) == chain(None, [as_chained(e) for e in entries])
    assert without_id(others) == chain(None, [as_chained(e) for e in others])
    given = [fields(i) for i in range(1, 13)]
    assert [as_chained(e) for e in await batched.entries(0, 100)] == given
    assert [as_chained(e) for e in await one_by_one.entries(0, 100)] == given
    assert all(e["business_key"].startswith("pii:1:") and len(e["business_bi"]) == 64 for e in entries)
    assert [e["_id"] for e in entries] == list(range(1, 13))
    assert verify(entries).valid and verify(entries).entries == 12
    assert await batched.head() == {"seq": 12, "mac": entries[-1]["mac"], "key_id": KEY.key_id}


async def test_each_event_is_kept_once_whenever_it_comes_again() -> None:
    store, _ = await new_store()
    first = await store.append_many([fields(i) for i in range(1, 6)])
    assert [e["seq"] for e in first] == [1, 2, 3, 4, 5]
    # redelivered whole, and again inside a batch with new events and a duplicate of its own
    assert await store.append_many([fields(i) for i in range(1, 6)]) == []
    again = await store.append_many([fields(3), fields(6), fields(6), fields(1), fields(7)])
    assert [(e["seq"], e["event_id"]) for e in again] == [(6, "ev-00006"), (7, "ev-00007")]
    assert await store.append(fields(2)) is None
    entries = await store.all_entries()
    assert [e["event_id"] for e in entries] == [f"ev-{i:05d}" for i in range(1, 8)] and verify(entries).valid


async def test_an_event_older_than_the_heads_recent_ids_is_refused_by_its_unique_id(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_store, "RECENT", 2)
    store, _ = await new_store()
    await store.append_many([fields(i) for i in range(1, 11)])
    # ev-00002 is no longer among the head's recent ids: the insert refuses it and the batch goes on around it
    again = await store.append_many([fields(11), fields(2), fields(12), fields(4)])
    assert [(e["seq"], e["event_id"]) for e in again] == [(11, "ev-00011"), (12, "ev-00012")]
    entries = await store.all_entries()
    assert len(entries) == 12 and len({e["event_id"] for e in entries}) == 12 and verify(entries).valid


async def test_appending_reads_the_head_and_never_the_trail() -> None:
    store, db = await new_store()
    await store.append_many([fields(i) for i in range(1, 4)])
    counting = Counting(db)
    await TrailStore(counting, KEY).append_many([fields(i) for i in range(4, 204)])
    await TrailStore(counting, KEY).append_many([fields(i) for i in range(1, 204)])  # all redelivered: no write
    assert counting.calls[TRAIL] == ["insert_many"]
    assert counting.calls[TRAIL_HEAD] == ["find_one", "update_one", "update_one", "find_one"]
    assert verify(await store.all_entries()).entries == 203


async def test_a_head_left_behind_by_a_crash_is_walked_forward() -> None:
    store, db = await new_store()
    await store.append_many([fields(i) for i in range(1, 4)])
    # A crash between the insert and the head's update: entries 4-6 are in the trail, the head still says 3.
    head = await store.head()
    left = chain(head, [fields(i) for i in range(4, 7)])
    await db[TRAIL].insert_many([{"_id": e["seq"], **e} for e in left])
    assert (await store.head())["seq"] == 3

    # The redelivered batch (4-6) comes again with new events: kept once, and the chain goes on from entry 6.
    more = await store.append_many([fields(i) for i in range(4, 9)])
    assert [e["seq"] for e in more] == [7, 8] and [e["event_id"] for e in more] == ["ev-00007", "ev-00008"]
    entries = await store.all_entries()
    assert [e["seq"] for e in entries] == list(range(1, 9)) and verify(entries).valid
    assert await store.head() == {"seq": 8, "mac": entries[-1]["mac"], "key_id": KEY.key_id}


async def test_a_position_another_writer_took_is_walked_past() -> None:
    store, db = await new_store()
    await store.append_many([fields(i) for i in range(1, 3)])
    # Another process appended two events of its own since this head was written.
    theirs = chain(await store.head(), [fields(100), fields(101)])
    await db[TRAIL].insert_many([{"_id": e["seq"], **e} for e in theirs])

    ours = await store.append_many([fields(3), fields(4), fields(101)])
    assert [(e["seq"], e["event_id"], e["prev_mac"]) for e in ours[:1]] == [(5, "ev-00003", theirs[-1]["mac"])]
    assert [e["seq"] for e in ours] == [5, 6]  # ev-00101 is theirs already
    entries = await store.all_entries()
    assert [e["seq"] for e in entries] == list(range(1, 7)) and verify(entries).valid


async def test_a_head_marked_writing_is_healed_on_start() -> None:
    store, db = await new_store()
    await store.append_many([fields(i) for i in range(1, 3)])
    head = await store.head()
    left = chain(head, [fields(3), fields(4)])
    await db[TRAIL_HEAD].update_one({"_id": HEAD}, {"$set": {"writing": True}})
    await db[TRAIL].insert_many([{"_id": e["seq"], **e} for e in left])

    healed = await store.heal_head()
    assert healed["seq"] == 4 and healed["mac"] == left[-1]["mac"] and "writing" not in healed
    assert await store.append_many([fields(4)]) == []  # known from the walk, without an insert
    assert [e["seq"] for e in await store.append_many([fields(5)])] == [5]
    assert verify(await store.all_entries()).valid


async def test_a_trail_from_before_heads_gets_its_head_from_its_tail() -> None:
    store, db = await new_store()
    old = chain(None, [fields(i) for i in range(1, 5)])
    await db[TRAIL].insert_many([{"_id": e["seq"], **e} for e in old])
    assert await db[TRAIL_HEAD].find_one({"_id": HEAD}) is None

    assert (await store.heal_head())["seq"] == 4
    assert [e["seq"] for e in await store.append_many([fields(5), fields(6)])] == [5, 6]
    assert verify(await store.all_entries()).entries == 6


async def test_appenders_at_once_each_event_once_in_one_chain() -> None:
    store, db = await new_store()
    batches = [[fields(i) for i in range(start, start + 30)] for start in range(1, 120, 20)]  # overlapping
    await asyncio.gather(*(TrailStore(db, KEY).append_many(b) for b in batches))
    await asyncio.gather(store.append(fields(500)), TrailStore(db, KEY).append(fields(501)))
    entries = await store.all_entries()
    ids = [e["event_id"] for e in entries]
    assert len(ids) == len(set(ids)) == 132 and verify(entries).valid


async def test_a_tenants_trail_is_its_own() -> None:
    memory = MemoryStore()
    p1, p2 = TrailStore(memory.database("audit", "hz-p1"), KEY), TrailStore(memory.database("audit", "hz-p2"), KEY)
    await p1.append_many([fields(i) for i in range(1, 4)])
    await p2.append_many([fields(i, "hz-p2") for i in range(1, 3)])
    assert [e["tenant"] for e in await p1.all_entries()] == ["hz-p1"] * 3
    assert [e["tenant"] for e in await p2.all_entries()] == ["hz-p2"] * 2
    assert (await p2.head())["seq"] == 2


class Counting:
    """A database whose collections record which of their methods are called."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.name = db.name
        self.pii_sealer = db.pii_sealer  # the tenant's sealer of personal data (business keys), as the db carries it
        self.calls: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> Any:
        return _CountingCollection(self._db[name], self.calls.setdefault(name, []))


class _CountingCollection:
    def __init__(self, collection: Any, calls: list[str]) -> None:
        self._c, self._calls = collection, calls

    def __getattr__(self, name: str) -> Any:
        self._calls.append(name)
        return getattr(self._c, name)


async def test_appending_needs_the_key_and_reading_does_not() -> None:
    _, db = await new_store()
    with pytest.raises(RuntimeError, match="MAC key"):
        await TrailStore(db).append_many([fields(1)])
    await TrailStore(db, KEY).append_many([fields(1)])
    assert [e["seq"] for e in await TrailStore(db).all_entries()] == [1]


async def test_a_trail_from_before_keyed_macs_goes_on_from_its_last_hash() -> None:
    """Entries with `hash`/`prev_hash` (the unkeyed chain): appending links to the last hash; the old entries do
    not verify as sealed (their MAC key is unknown), the new ones do."""
    store, db = await new_store()
    old = [{"_id": i, **fields(i), "seq": i, "prev_hash": f"{i - 1:064x}", "hash": f"{i:064x}"} for i in (1, 2)]
    await db[TRAIL].insert_many(old)
    await db[TRAIL_HEAD].insert_one({"_id": HEAD, "seq": 2, "hash": f"{2:064x}", "recent": "[]"})
    new = await store.append_many([fields(3)])
    assert new[0]["prev_mac"] == f"{2:064x}" and new[0]["seq"] == 3
    assert [(p.code, p.seq) for p in verify(await store.all_entries()).problems] == [("rewritten", 1),
                                                                                    ("rewritten", 2)]


async def test_an_anchor_is_kept_once_with_its_event_and_noted_on_the_head() -> None:
    store, db = await new_store()
    await store.append_many([fields(i) for i in range(1, 4)])
    assert (await store.anchoring())["anchored_seq"] == 0
    anchor = {"seq": 3, "at": "2025-03-01T00:00:00+00:00", "head_mac": "m"}
    assert await store.add_anchor(anchor, [{"event_id": "ev-a"}])
    assert not await store.add_anchor(anchor, [{"event_id": "ev-a"}])
    kept = await db[TRAIL_ANCHORS].find_one({"_id": 3})
    assert kept["_outbox_pending"] == 1 and kept["_outbox"] == [{"event_id": "ev-a"}]
    assert await store.anchor_at(3) == {"_id": 3, **anchor}
    state = await store.anchoring()
    assert (state["seq"], state["anchored_seq"], state["anchored_at"]) == (3, 3, anchor["at"])
    # an older anchor kept later does not move the note back
    assert await store.add_anchor({**anchor, "seq": 2}, [])
    assert (await store.anchoring())["anchored_seq"] == 3
