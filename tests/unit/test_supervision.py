"""Issue 9 on the in-memory adapters: outages are waited out and never dead-lettered, a failing session is
rebuilt, a batch handler that refuses a batch parks only its poison event, the outbox's states, a relay woken by
its own process's writes, and unserved tenants refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from chassis.bus.memory import MemoryBus
from chassis.bus.port import BusMessage
from chassis.consumer import EventConsumer, Subscription
from chassis.errors import PoisonMessage, TransientOutage, is_transient
from chassis.events import Event, dead_letter_topic, encode, new_event, topic_for
from chassis.outbox import PUBLISH_FAILED, OutboxRelay, push_events, with_events
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from tests.conftest import eventually

TENANTS = ("hz-p1", "hz-p2")
TOPIC = topic_for("hz-p1", "application.submitted")


def event(tenant: str, app_id: str) -> dict[str, Any]:
    return new_event("application.submitted", tenant, f"person-{app_id}",
                     events_pb2.ApplicationSubmitted(application_id=app_id), source="intake", trace_context={})


def message(app_id: str, tenant: str = "hz-p1") -> BusMessage:
    return BusMessage(topic_for(tenant, "application.submitted"), "k", encode(event(tenant, app_id)))


async def until(condition: Any, deadline_s: float = 30) -> None:
    async def probe() -> bool:
        return bool(condition())

    await eventually(probe, deadline_s, "the condition")


def test_outages_are_transient_and_refusals_are_not() -> None:
    assert is_transient(ServerSelectionTimeoutError("no servers")) and is_transient(AutoReconnect("reset"))
    assert is_transient(ConnectionRefusedError()) and is_transient(TimeoutError())
    wrapped = RuntimeError("while filing")
    wrapped.__cause__ = AutoReconnect("reset")
    assert is_transient(wrapped)  # a handler that wraps a driver error is still waiting out an outage
    assert not is_transient(PoisonMessage("bad")) and not is_transient(KeyError("x"))
    assert not is_transient(FileNotFoundError("missing document"))  # a fault of the data, not of the network


async def test_an_outage_is_waited_out_and_never_dead_lettered() -> None:
    bus, store = MemoryBus(), MemoryStore()
    failures = {"left": 3}
    applied: list[str] = []

    async def handler(ev: Event) -> None:
        if failures["left"]:
            failures["left"] -= 1  # more failures than the handler's `attempts`: only an outage may be retried so
            raise ServerSelectionTimeoutError("store away")
        applied.append(ev.payload.application_id)

    consumer = EventConsumer("archive", bus, store, TENANTS, [Subscription("application.submitted", handler)],
                             attempts=2)
    await consumer.process(message("a1"))
    assert applied == ["a1"] and consumer.dead_lettered == 0
    assert bus.messages(dead_letter_topic("hz-p1", "archive")) == []
    assert "ServerSelectionTimeoutError" in consumer.last_error


async def test_past_the_horizon_the_work_is_handed_back_not_parked() -> None:
    bus, store = MemoryBus(), MemoryStore()

    async def handler(ev: Event) -> None:
        raise AutoReconnect("still away")

    consumer = EventConsumer("archive", bus, store, TENANTS, [Subscription("application.submitted", handler)],
                             retry_horizon_s=0.3)
    with pytest.raises(TransientOutage):
        await consumer.process(message("a1"))
    assert bus.messages(dead_letter_topic("hz-p1", "archive")) == []
    processed = await store.database("archive", "hz-p1")["processed_events"].count_documents({})
    assert processed == 0  # not recorded: redelivery applies it later


async def test_a_failing_session_is_rebuilt_and_the_batch_redelivered() -> None:
    """A commit that fails (the broker went away) ends the session; the loop reconnects by itself and the
    uncommitted batch comes again, applied once thanks to the dedupe."""
    bus, store = MemoryBus(), MemoryStore()
    applied: list[str] = []
    sessions = {"n": 0}

    class FlakyBus(MemoryBus):
        def consumer(self, group: str, topics: list[str]) -> Any:
            inner = bus.consumer(group, topics)
            sessions["n"] += 1
            if sessions["n"] == 1:
                async def broken_commit(messages: list[BusMessage]) -> None:
                    raise ConnectionResetError("broker went away")

                inner.commit = broken_commit  # type: ignore[method-assign]
            return inner

        async def ensure_topics(self, topics: list[str]) -> None:
            await bus.ensure_topics(topics)

    async def handler(ev: Event) -> None:
        applied.append(ev.payload.application_id)

    await bus.publish([message("a1"), message("a2")])
    consumer = EventConsumer("archive", FlakyBus(), store, TENANTS,
                             [Subscription("application.submitted", handler)])
    task = asyncio.create_task(consumer.run())
    try:
        await until(lambda: sessions["n"] >= 2 and consumer.processed == 2 and consumer.state == "running")
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 10)
    assert sorted(applied) == ["a1", "a2"]  # the redelivered batch was not applied twice
    assert consumer.restarts == 1 and "ConnectionResetError" in consumer.last_error


async def test_a_refused_batch_is_run_event_by_event_and_only_the_poison_is_parked() -> None:
    bus, store = MemoryBus(), MemoryStore()
    batches: list[list[str]] = []

    async def on_batch(tenant: str, events: list[Event]) -> None:
        ids = [e.payload.application_id for e in events]
        if "bad" in ids:
            raise PoisonMessage("cannot project 'bad'")
        batches.append(ids)

    consumer = EventConsumer("audit", bus, store, TENANTS, [Subscription("application.submitted")],
                             batch_handler=on_batch)
    a1, bad, a2 = message("a1"), message("bad"), message("a2")
    await consumer.process_batch([a1, bad, a2])
    assert batches == [["a1"], ["a2"]]
    [parked] = bus.messages(dead_letter_topic("hz-p1", "audit"))
    assert "cannot project 'bad'" in parked.headers["dlq-reason"]
    assert consumer.processed == 2 and consumer.dead_lettered == 1
    # The same batch again (a redelivery): nothing is applied twice, the poison is parked again.
    await consumer.process_batch([a1, a2])
    assert batches == [["a1"], ["a2"]] and consumer.processed == 2


async def test_relay_is_woken_by_its_own_process_writes_not_by_polling() -> None:
    bus, store = MemoryBus(), MemoryStore()
    relay = OutboxRelay("intake", store, bus, TENANTS, ["applications", "complaints"], sweep_s=3600)
    db = relay.watch("hz-p1", store.database("intake", "hz-p1"))
    task = asyncio.create_task(relay.run())
    try:
        await until(lambda: relay.state == "idle")
        passes = relay.passes
        await db["applications"].insert_one(with_events({"_id": "a1"}, [event("hz-p1", "a1")]))
        await until(lambda: len(bus.messages(TOPIC)) == 1)
        # Only the collection the write touched was queried: not every collection of every tenant.
        assert relay.passes - passes <= 2
        await db["applications"].update_one({"_id": "a1"}, push_events({"$set": {"s": 1}}, [event("hz-p1", "a2")]))
        await until(lambda: len(bus.messages(TOPIC)) == 2)
        await db["applications"].update_one({"_id": "a1"}, {"$set": {"s": 2}})  # stages nothing
        await until(lambda: relay.state == "idle")
        idle_passes = relay.passes
        await asyncio.sleep(0)  # let the loop run; nothing should query the store while idle
        assert relay.passes == idle_passes
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def test_a_failed_publish_is_marked_on_the_document_and_retried() -> None:
    store = MemoryStore()

    class AwayBus(MemoryBus):
        away = True

        async def publish(self, messages: list[BusMessage]) -> None:
            if self.away:
                raise ConnectionRefusedError("broker away")
            await super().publish(messages)

    bus = AwayBus()
    relay = OutboxRelay("intake", store, bus, TENANTS, ["applications"], sweep_s=3600)
    db = relay.watch("hz-p1", store.database("intake", "hz-p1"))
    raw = store.database("intake", "hz-p1")
    await db["applications"].insert_one(with_events({"_id": "a1"}, [event("hz-p1", "a1")]))
    task = asyncio.create_task(relay.run())
    try:
        await until(lambda: relay.failures >= 1)
        doc = await raw["applications"].find_one({"_id": "a1"})
        assert doc["_outbox_state"] == PUBLISH_FAILED and doc["_outbox_attempts"] >= 1
        assert "broker away" in doc["_outbox_error"]
        assert relay.status()["failed_documents"] == 1 and relay.status()["state"] == "backing_off"
        bus.away = False
        await until(lambda: len(bus.messages(TOPIC)) == 1)
        await until(lambda: relay.status()["failed_documents"] == 0)
        doc = await raw["applications"].find_one({"_id": "a1"})
        assert doc["_outbox_pending"] == 0 and "_outbox_state" not in doc and "_outbox_error" not in doc
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def test_a_relay_flushes_what_is_waiting_when_the_service_stops() -> None:
    bus, store = MemoryBus(), MemoryStore()
    relay = OutboxRelay("intake", store, bus, TENANTS, ["applications"], sweep_s=3600)
    db = relay.watch("hz-p2", store.database("intake", "hz-p2"))
    await db["applications"].insert_one(with_events({"_id": "b1"}, [event("hz-p2", "b1")]))
    assert await relay.flush() == 1
    assert len(bus.messages(topic_for("hz-p2", "application.submitted"))) == 1


async def test_a_store_outage_answers_503_with_retry_after_not_500() -> None:
    import httpx

    from chassis.http import create_app

    async def ready() -> dict[str, Any]:
        return {"checks": {"store": False, "bus": True}}

    app = create_app("intake", "t", ready)

    @app.get("/boom")
    async def boom() -> None:
        raise AutoReconnect("store away")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/boom")
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.json()["error"]["code"] == "unavailable"
        assert "store away" not in response.text  # no driver detail leaks out
        readyz = await http.get("/readyz")
        assert readyz.status_code == 503 and readyz.json()["checks"] == {"store": False, "bus": True}


async def test_ids_processed_before_this_session_and_during_it_are_not_applied_again() -> None:
    bus, store = MemoryBus(), MemoryStore()
    applied: list[str] = []

    async def handler(ev: Event) -> None:
        applied.append(ev.payload.application_id)

    old, new = message("old"), message("new")
    from chassis.events import decode

    await store.database("archive", "hz-p1")["processed_events"].insert_one({"_id": decode(old.value).id})
    consumer = EventConsumer("archive", bus, store, TENANTS, [Subscription("application.submitted", handler)])
    task = asyncio.create_task(consumer.run())
    try:
        await bus.publish([old, new])
        await until(lambda: consumer.processed == 1)
        await bus.publish([new, message("later")])  # the relay republished `new` after a crash
        await until(lambda: consumer.processed == 2)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 10)
    assert applied == ["new", "later"]


async def test_a_request_cut_short_by_the_stop_is_answered_503_interrupted() -> None:
    import json

    from chassis.http import HandBackOnStop

    async def slow_upload(scope: Any, receive: Any, send: Any) -> None:
        raise asyncio.CancelledError  # what uvicorn does to a request still running when the stop runs out

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await HandBackOnStop(slow_upload)({"type": "http"}, None, send)  # answered, so the request's task just ends
    assert sent[0]["status"] == 503
    body = json.loads(sent[1]["body"])
    assert body["error"]["code"] == "interrupted" and "same batch id" in body["error"]["message"]

    async def answered_then_cancelled(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise asyncio.CancelledError

    sent.clear()
    with pytest.raises(asyncio.CancelledError):
        await HandBackOnStop(answered_then_cancelled)({"type": "http"}, None, send)
    assert [m.get("status") for m in sent] == [200]  # a response already under way is not answered twice


async def test_an_identity_number_in_a_failure_is_masked_where_operators_read_it() -> None:
    bus, store = MemoryBus(), MemoryStore()
    id_number = "610702198001011234"

    async def refusing(ev: Event) -> None:
        raise PoisonMessage(f"no qualification for {id_number}")

    consumer = EventConsumer("archive", bus, store, TENANTS, [Subscription("application.submitted", refusing)])
    await consumer.process(message("a1"))
    [parked] = bus.messages(dead_letter_topic("hz-p1", "archive"))
    assert id_number not in parked.headers["dlq-reason"] and "no qualification for" in parked.headers["dlq-reason"]
    consumer._failed(AutoReconnect(f"while writing {id_number}"), "test")
    assert id_number not in consumer.status()["last_error"]
