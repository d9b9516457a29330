"""Kafka message keys are pseudonyms (化名): the outbox relay — the one place events are published — keys each
message with HMAC-SHA256 of the business key under the tenant's `message-key` key, never the identity number
itself; one person always gets the same key (same partition, order kept), also after the key is rotated."""

from __future__ import annotations

from pathlib import Path

from chassis.bus.memory import MemoryBus
from chassis.events import decode, new_event, topic_for
from chassis.keys import KeyProvider, MemoryKeyProvider
from chassis.outbox import OutboxRelay, message_key, with_events
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2

TENANTS = ("hz-p1", "hz-p2")
PERSONS = ("610702198001010018", "610702198502020024", "61070219900303002X")


def submitted(tenant: str, person: str, app_id: str) -> dict:
    return new_event("application.submitted", tenant, person,
                     events_pb2.ApplicationSubmitted(application_id=app_id, person_id=person),
                     source="intake", trace_context={})


async def relay_all(keys, persons_by_tenant: dict[str, list[str]], bus: MemoryBus | None = None) -> MemoryBus:
    bus, store = bus or MemoryBus(), MemoryStore()
    for tenant, persons in persons_by_tenant.items():
        events = [submitted(tenant, p, f"{tenant}-a{i}") for i, p in enumerate(persons)]
        await store.database("intake", tenant).applications.insert_one(with_events({"_id": "doc"}, events))
    relay = OutboxRelay("intake", store, bus, TENANTS, ["applications"], keys=keys)
    await relay.relay_once()
    return bus


async def test_no_published_key_is_or_contains_the_business_key() -> None:
    persons = [*PERSONS, PERSONS[0], PERSONS[1], PERSONS[0]]
    bus = await relay_all(MemoryKeyProvider(), {"hz-p1": persons, "hz-p2": list(PERSONS)})
    published = bus.messages(topic_for("hz-p1", "application.submitted")) + \
        bus.messages(topic_for("hz-p2", "application.submitted"))
    assert len(published) == len(persons) + len(PERSONS)
    for m in published:
        business_key = decode(m.value).envelope.business_key
        assert business_key in PERSONS
        assert business_key not in m.key and business_key[-6:] not in m.key and business_key[:6] not in m.key
        assert len(m.key) == 64 and int(m.key, 16) >= 0  # hex of a SHA-256 HMAC


async def test_the_same_business_key_gives_the_same_key_and_partition() -> None:
    keys = MemoryKeyProvider()
    persons = [PERSONS[0], PERSONS[1], PERSONS[0], PERSONS[2], PERSONS[0], PERSONS[1]]
    bus = await relay_all(keys, {"hz-p1": persons, "hz-p2": [PERSONS[0]]})
    by_person: dict[str, set[tuple[str, int]]] = {}
    for m in bus.messages(topic_for("hz-p1", "application.submitted")):
        by_person.setdefault(decode(m.value).envelope.business_key, set()).add((m.key, m.partition))
    assert {p: len(v) for p, v in by_person.items()} == {PERSONS[0]: 1, PERSONS[1]: 1, PERSONS[2]: 1}
    assert len({key for v in by_person.values() for key, _ in v}) == 3  # different people, different keys
    assert by_person[PERSONS[0]] == {(message_key(keys, "hz-p1", PERSONS[0]), next(iter(by_person[PERSONS[0]]))[1])}
    # A tenant's pseudonyms are its own: the same person under another carrier is another key.
    [other] = bus.messages(topic_for("hz-p2", "application.submitted"))
    assert other.key != message_key(keys, "hz-p1", PERSONS[0]) and other.key == message_key(keys, "hz-p2", PERSONS[0])


async def test_keys_survive_a_rotation_and_a_restart(tmp_path: Path) -> None:
    """Rotating `message-key` (or restarting with the same key directory) must not move anyone's events."""
    keys = KeyProvider(tmp_path / "keys")
    before = message_key(keys, "hz-p1", PERSONS[0])
    keys.rotate("message-key", "hz-p1")
    assert keys.current("message-key", "hz-p1")[0] == "message-key/hz-p1/v2"
    restarted = KeyProvider(tmp_path / "keys")
    assert message_key(keys, "hz-p1", PERSONS[0]) == before == message_key(restarted, "hz-p1", PERSONS[0])
    bus = await relay_all(restarted, {"hz-p1": [PERSONS[0]]})
    assert [m.key for m in bus.messages(topic_for("hz-p1", "application.submitted"))] == [before]


async def test_a_relay_without_a_key_provider_still_never_publishes_the_business_key() -> None:
    store, bus = MemoryStore(), MemoryBus()
    await store.database("intake", "hz-p1").applications.insert_one(
        with_events({"_id": "doc"}, [submitted("hz-p1", PERSONS[0], "a1")]))
    await OutboxRelay("intake", store, bus, TENANTS, ["applications"]).relay_once()
    [m] = bus.messages(topic_for("hz-p1", "application.submitted"))
    assert PERSONS[0] not in m.key and len(m.key) == 64
