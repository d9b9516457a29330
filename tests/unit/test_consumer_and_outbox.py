"""The reliability kit on the in-memory adapters: dedupe, redelivery, dead letters, outbox relay."""

import pytest

from chassis.bus.memory import MemoryBus
from chassis.bus.port import BusMessage
from chassis.consumer import EventConsumer, Subscription
from chassis.events import Event, decode, encode, new_event, topic_for
from chassis.outbox import OutboxRelay, push_events, with_events
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from tests.conftest import eventually

TENANTS = ("hz-p1", "hz-p2")


def event(tenant: str, app_id: str) -> dict:
    return new_event("application.submitted", tenant, f"person-{app_id}",
                     events_pb2.ApplicationSubmitted(application_id=app_id), source="intake", trace_context={})


async def test_relay_publishes_then_removes_only_what_it_published() -> None:
    bus, store = MemoryBus(), MemoryStore()
    db = store.database("intake", "hz-p1")
    await db.applications.insert_one(with_events({"_id": "a1"}, [event("hz-p1", "a1")]))
    relay = OutboxRelay("intake", store, bus, TENANTS, ["applications"])
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    doc = await db.applications.find_one({"_id": "a1"})
    assert doc["_outbox"] == [] and doc["_outbox_pending"] == 0
    await db.applications.update_one({"_id": "a1"}, push_events({"$set": {"status": "x"}}, [event("hz-p1", "a1b")]))
    assert await relay.relay_once() == 1
    published = bus.messages(topic_for("hz-p1", "application.submitted"))
    assert [decode(m.value).payload.application_id for m in published] == ["a1", "a1b"]
    assert bus.messages(topic_for("hz-p2", "application.submitted")) == []


async def test_consumer_dedupes_dead_letters_and_keeps_going() -> None:
    bus, store = MemoryBus(), MemoryStore()
    seen: list[str] = []

    async def handler(ev: Event) -> None:
        seen.append(ev.payload.application_id)

    consumer = EventConsumer("appraisal", bus, store, TENANTS, [Subscription("application.submitted", handler)])
    topic = topic_for("hz-p1", "application.submitted")
    good = encode(event("hz-p1", "a1"))
    wrong_tenant = encode(event("hz-p2", "a2"))  # an hz-p2 envelope on an hz-p1 topic
    await bus.publish([BusMessage(topic, "k", good), BusMessage(topic, "k", b"\x00garbage"),
                       BusMessage(topic, "k", wrong_tenant), BusMessage(topic, "k", good)])
    sub = bus.consumer("g", [topic])
    for m in await sub.poll(0.1):
        await consumer.process(m)
    assert seen == ["a1"]  # the duplicate delivery had no second effect
    dead = bus.messages("hz-p1.appraisal.dead-letter")
    assert len(dead) == 2
    assert all(m.headers["dlq-reason"] for m in dead)
    assert "does not match topic tenant" in dead[1].headers["dlq-reason"]
    assert await store.database("appraisal", "hz-p2").processed_events.count_documents({}) == 0


async def test_transient_failures_are_retried_then_applied_once() -> None:
    bus, store = MemoryBus(), MemoryStore()
    calls = {"n": 0}

    async def flaky(ev: Event) -> None:
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionError("store blinked")

    consumer = EventConsumer("archive", bus, store, TENANTS, [Subscription("application.submitted", flaky)])
    await consumer.process(BusMessage(topic_for("hz-p1", "application.submitted"), "k", encode(event("hz-p1", "a"))))
    assert calls["n"] == 3 and consumer.processed == 1 and consumer.dead_lettered == 0


async def test_memory_bus_redelivers_uncommitted_after_restart() -> None:
    bus = MemoryBus()
    await bus.publish([BusMessage("t", "k", b"1"), BusMessage("t", "k", b"2")])
    first = bus.consumer("g", ["t"])
    got = await first.poll(0.1)
    await first.commit([got[0]])  # crash before committing the second
    again = await bus.consumer("g", ["t"]).poll(0.1)
    assert [m.value for m in again] == [b"2"]


@pytest.mark.parametrize("attempts", [2])
async def test_a_handler_that_never_succeeds_is_parked(attempts: int) -> None:
    bus, store = MemoryBus(), MemoryStore()

    async def broken(ev: Event) -> None:
        raise RuntimeError("bug")

    consumer = EventConsumer("audit", bus, store, TENANTS, [Subscription("application.submitted", broken)],
                             attempts=attempts)
    await consumer.process(BusMessage(topic_for("hz-p2", "application.submitted"), "k", encode(event("hz-p2", "a"))))
    [dead] = bus.messages("hz-p2.audit.dead-letter")
    assert "failed 2 times: RuntimeError: bug" in dead.headers["dlq-reason"]


async def test_consumer_counts_as_joined_only_once_its_group_assigned_it_partitions() -> None:
    """Readiness waits for the group join: a service is not ready while its events would sit unread."""
    import asyncio

    from chassis.bus.memory import MemoryConsumer

    class Joining(MemoryBus):
        def __init__(self) -> None:
            super().__init__()
            self.joined = asyncio.Event()
            self.subscribed = asyncio.Event()

        def consumer(self, group: str, topics: list[str]) -> MemoryConsumer:
            inner = super().consumer(group, topics)
            outer = self

            class Late(MemoryConsumer):
                def __init__(self) -> None:
                    self.__dict__.update(inner.__dict__)

                def assigned(self) -> bool:
                    return outer.joined.is_set()

            self.subscribed.set()
            return Late()

    async def handler(ev: Event) -> None:
        pass

    bus, store = Joining(), MemoryStore()
    consumer = EventConsumer("appraisal", bus, store, TENANTS, [Subscription("application.submitted", handler)])
    assert consumer.joined is False  # not running yet
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(bus.subscribed.wait(), 30)
        assert consumer.joined is False  # subscribed, not yet assigned
        bus.joined.set()

        async def running() -> bool:
            return consumer.joined  # the next poll sees the assignment

        await eventually(running, 30, "the consumer to run with its partitions")
        assert consumer.status()["state"] == "running" and consumer.status()["assigned"] is True
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 10)
    assert consumer.joined is False  # stopped: nothing reads any more
    idle = EventConsumer("archive", bus, store, TENANTS, [])
    assert idle.joined is True  # a service that subscribes to nothing has nothing to join
