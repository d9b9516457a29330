"""The chassis adapters against the real Kafka and FerretDB: publish/consume/commit semantics,
outbox relay with FerretDB's update operators, idempotent consumers, dead letters, tenant isolation."""

from __future__ import annotations

import asyncio

import pytest

from chassis.bus.kafka import KafkaBus
from chassis.bus.port import BusMessage
from chassis.consumer import EventConsumer, Subscription
from chassis.events import Event, decode, encode, new_event, topic_for
from chassis.keys import MemoryKeyProvider
from chassis.outbox import OutboxRelay, push_events, with_events
from chassis.pii import Sealer, with_sealer
from chassis.store.mongo import MongoStore
from contracts.v1 import events_pb2
from services.appraisal.cases.store import CaseStore
from services.appraisal.reviews.store import ReviewStore
from services.audit.trail.store import TrailStore

pytestmark = pytest.mark.integration
TENANTS = ("hz-p1", "hz-p2")


def submitted(tenant: str, app_id: str) -> dict:
    return new_event("application.submitted", tenant, f"person-{app_id}",
                     events_pb2.ApplicationSubmitted(application_id=app_id, person_id=f"person-{app_id}"),
                     source="intake", trace_context={})


async def drain(bus: KafkaBus, group: str, topics: list[str], want: int, timeout: float = 30) -> list[BusMessage]:
    consumer = bus.consumer(group, topics)
    got: list[BusMessage] = []
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while len(got) < want and asyncio.get_running_loop().time() < deadline:
            got += await consumer.poll(0.5)
        await consumer.commit(got)
    finally:
        await consumer.close()
    return got


async def test_kafka_publish_consume_commit_and_redelivery(kafka_bus: KafkaBus, run_id: str) -> None:
    topic = f"{run_id}.hz-p1.test.events"
    await kafka_bus.ensure_topics([topic])
    await kafka_bus.publish([BusMessage(topic, f"k{i % 3}", str(i).encode(), {"h": "v"}) for i in range(30)])
    first = kafka_bus.consumer(f"{run_id}-g", [topic])
    got: list[BusMessage] = []
    while len(got) < 30:
        got += await first.poll(1.0)
    by_key: dict[str, list[int]] = {}
    for m in got:
        by_key.setdefault(m.key, []).append(int(m.value))
    assert all(v == sorted(v) for v in by_key.values())  # one key, one partition, in order
    assert got[0].headers["h"] == "v"
    # Commit, per partition, the last message whose value is < 15; then "crash".
    committed: dict[int, BusMessage] = {}
    for m in got:
        if int(m.value) < 15:
            committed[m.partition] = m
    await first.commit(list(committed.values()))
    await first.close()
    expected = {int(m.value) for m in got
                if m.partition not in committed or m.offset > committed[m.partition].offset}
    # A new member of the group resumes after what was committed: the rest comes again, nothing lost.
    again = await drain(kafka_bus, f"{run_id}-g", [topic], len(expected), timeout=20)
    assert {int(m.value) for m in again} == expected and len(again) == len(expected)


async def test_outbox_relay_on_ferretdb_publishes_each_event_once(kafka_bus: KafkaBus, mongo_store: MongoStore,
                                                                 run_id: str) -> None:
    db = mongo_store.database("intake", "hz-p1")
    await db.applications.insert_one(with_events({"_id": "a1", "status": "submitted"}, [submitted("hz-p1", "a1")]))
    await db.applications.update_one({"_id": "a1"}, push_events({"$set": {"status": "complete"}},
                                                               [submitted("hz-p1", "a1-second")]))
    relay = OutboxRelay("intake", mongo_store, kafka_bus, TENANTS, ["applications"], topic_prefix=f"{run_id}.")
    assert await relay.relay_once() == 2
    assert await relay.relay_once() == 0
    doc = await db.applications.find_one({"_id": "a1"})
    assert doc["status"] == "complete" and doc["_outbox"] == [] and doc["_outbox_pending"] == 0
    topic = topic_for("hz-p1", "application.submitted", f"{run_id}.")
    msgs = await drain(kafka_bus, f"{run_id}-reader", [topic], 2)
    assert sorted(decode(m.value).payload.application_id for m in msgs) == ["a1", "a1-second"]
    # hz-p2's topic got nothing.
    other = kafka_bus.consumer(f"{run_id}-p2", [topic_for("hz-p2", "application.submitted", f"{run_id}.")])
    await kafka_bus.ensure_topics([topic_for("hz-p2", "application.submitted", f"{run_id}.")])
    assert await other.poll(2.0) == []
    await other.close()


async def test_idempotent_consumer_and_dead_letters_on_real_infra(kafka_bus: KafkaBus, mongo_store: MongoStore,
                                                                 run_id: str) -> None:
    prefix = f"{run_id}."
    seen: list[tuple[str, str]] = []

    async def handler(ev: Event) -> None:
        seen.append((ev.tenant, ev.payload.application_id))

    consumer = EventConsumer("appraisal", kafka_bus, mongo_store, TENANTS,
                             [Subscription("application.submitted", handler)], topic_prefix=prefix)
    t1, t2 = topic_for("hz-p1", "application.submitted", prefix), topic_for("hz-p2", "application.submitted", prefix)
    await kafka_bus.ensure_topics([t1, t2])
    good = encode(submitted("hz-p1", "a1"))
    await kafka_bus.publish([BusMessage(t1, "p", good), BusMessage(t1, "p", b"\xde\xad\xbe\xef"),
                             BusMessage(t1, "p", good), BusMessage(t2, "q", encode(submitted("hz-p2", "b1")))])
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(200):
            if consumer.processed >= 2 and consumer.dead_lettered >= 1:
                break
            await asyncio.sleep(0.1)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 15)
    assert sorted(seen) == [("hz-p1", "a1"), ("hz-p2", "b1")]  # the duplicate had no second effect
    dead = await drain(kafka_bus, f"{run_id}-dlq", [f"{prefix}hz-p1.appraisal.dead-letter"], 1)
    assert dead[0].value == b"\xde\xad\xbe\xef" and "undecodable" in dead[0].headers["dlq-reason"]
    p1 = mongo_store.database("appraisal", "hz-p1").processed_events
    p2 = mongo_store.database("appraisal", "hz-p2").processed_events
    assert await p1.count_documents({}) == 1 and await p2.count_documents({}) == 1


async def test_guarded_updates_work_on_ferretdb(mongo_store: MongoStore) -> None:
    # the case's personal fields are sealed (chassis/pii.py): the database comes with the tenant's sealer
    db = with_sealer(mongo_store.database("appraisal", "hz-p1"), Sealer(MemoryKeyProvider(), "hz-p1"))
    store = CaseStore(db)
    await store.ensure_indexes()
    assert await store.open_case({"_id": "c1", "status": "open", "opened_at": "x", "person_id": "p",
                                  "opinions": [], "opinion_experts": [], "qualification": {"status": "active"}}, [])
    assert not await store.open_case({"_id": "c1", "status": "open"}, [])  # redelivery: no second case

    async def opinion(expert: str) -> bool:
        return await store.add_opinion("c1", {"expert_id": expert})

    assert await opinion("e1")
    assert not await opinion("e1")  # the guard on the array refuses a second opinion by the same expert
    assert await opinion("e2")
    assert await store.mark_ready("c1")
    assert await store.conclude("c1", {"status": "concluded"}, [submitted("hz-p1", "x")])
    assert not await store.conclude("c1", {"status": "concluded"}, [])
    case = await store.case("c1")
    assert [o["expert_id"] for o in case["opinions"]] == ["e1", "e2"] and case["status"] == "concluded"
    # a guard on an embedded document's field (dot notation) also holds on FerretDB
    reviews = ReviewStore(db)
    assert await reviews.revoke("c1", {"qualification.status": "x"}, [])
    assert not await reviews.revoke("c1", {"revoked": True}, [])


async def test_audit_trail_appends_once_and_chains_on_ferretdb(mongo_store: MongoStore) -> None:
    from services.audit.trail.domain.trail import MacKey, verify

    key = MacKey("trail/hz-p1/v1", b"k" * 32)
    # the business key is sealed beside its blind index: the database comes with the tenant's sealer
    store = TrailStore(with_sealer(mongo_store.database("audit", "hz-p1"), Sealer(MemoryKeyProvider(), "hz-p1")), key)
    await store.ensure_indexes()

    def fields(i: int) -> dict:
        return {"event_id": f"e{i}", "type": "application.submitted", "tenant": "hz-p1", "business_key": "p",
                "occurred_at": "2025-01-01T00:00:00+00:00", "source": "intake", "causation_id": "",
                "payload_sha256": "0" * 64}

    for i in range(5):
        assert await store.append(fields(i))
    assert await store.append(fields(2)) is None  # redelivered event: not appended twice
    entries = await store.all_entries()
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5] and verify(entries, {key.key_id: key.secret}).valid
    assert [e["seq"] for e in await store.page(2, 2)] == [3, 4]  # verification's pages, limited on the server
    assert [e["business_key"] for e in await store.entries()] == ["p"] * 5  # opened for its readers
    other = TrailStore(with_sealer(mongo_store.database("audit", "hz-p2"), Sealer(MemoryKeyProvider(), "hz-p2")))
    assert await other.all_entries() == []


async def test_concurrent_writes_to_one_document_are_not_lost(infra, mongo_store: MongoStore) -> None:
    """FerretDB 1.x updates are query-then-write; the adapter serialises them per document."""
    from pymongo import AsyncMongoClient

    db = mongo_store.database("intake", "hz-p1")
    await db.docs.insert_one({"_id": "d", "items": [], "n": 0})
    await asyncio.gather(*(db.docs.update_one({"_id": "d"}, {"$push": {"items": i}, "$inc": {"n": 1}})
                           for i in range(60)))
    doc = await db.docs.find_one({"_id": "d"})
    assert doc["n"] == 60 and sorted(doc["items"]) == list(range(60))
    # The same burst straight through PyMongo shows why: on FerretDB some updates may be lost.
    raw = AsyncMongoClient(infra.mongodb_uri)
    try:
        col = raw[db._db.name].raw_docs
        await col.insert_one({"_id": "d", "n": 0})
        await asyncio.gather(*(col.update_one({"_id": "d"}, {"$inc": {"n": 1}}) for _ in range(60)))
        lost = 60 - (await col.find_one({"_id": "d"}))["n"]
        print(f"raw concurrent $inc on FerretDB lost {lost} of 60 updates")
    finally:
        await raw.close()
