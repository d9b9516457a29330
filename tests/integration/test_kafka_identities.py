"""Kafka with identities, on the real broker: every service is its own SASL SCRAM-SHA-512 user and the ACLs
(chassis/bus/acls.py, applied for this run's topic prefix by the same function the launcher uses) let it write only
the topics it publishes and read only what it consumes.

An attacker holding intake's password cannot grant benefits by writing `hz-p1.appraisal.qualification.granted`;
nobody gets in without a password, or with a wrong one; and what a service may do still works — including its outbox
relay, whose message keys are pseudonyms, never the person's identity number."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from chassis.bus.acls import consumer_group
from chassis.bus.kafka import KafkaBus, KafkaCredentials
from chassis.bus.port import BusMessage
from chassis.events import encode, new_event, topic_for
from chassis.keys import MemoryKeyProvider
from chassis.outbox import OutboxRelay, message_key, with_events
from chassis.store.memory import MemoryStore
from contracts.v1 import common_pb2, events_pb2
from tests.support.infra import Endpoints, load_launcher, real_infra

pytestmark = pytest.mark.integration
TENANTS = ("hz-p1", "hz-p2")
PERSON, OTHER = "610702198001010018", "610702198502020024"


@pytest.fixture(scope="module")
def infra() -> Endpoints:
    endpoints = real_infra()
    if not endpoints.kafka_credentials:
        pytest.skip(f"the broker from {endpoints.source} has no SASL users (not the launcher's)")
    return endpoints


@pytest.fixture
def prefix(infra: Endpoints, run_id: str) -> Iterator[str]:
    """This run's topics, with the services' ACLs for them (the launcher's plan, this prefix), revoked after."""
    prefix = f"{run_id}."
    infra.provision_acls(prefix, TENANTS)
    try:
        yield prefix
    finally:
        infra.revoke_acls(prefix, TENANTS)


def granted(tenant: str = "hz-p1", person: str = PERSON) -> bytes:
    payload = events_pb2.QualificationGranted(
        qualification=common_pb2.Qualification(qualification_id="q-forged", person_id=person, disease_code="HTN"))
    return encode(new_event("qualification.granted", tenant, person, payload, source="appraisal", trace_context={}))


def as_user(infra: Endpoints, user: str, **kwargs: Any) -> dict[str, Any]:
    return {**infra.kafka_config(user), "request_timeout_ms": 15000, **kwargs}


def read_all(infra: Endpoints, topic: str) -> list[Any]:
    """Everything on a topic, read group-less as admin."""
    consumer = KafkaConsumer(**infra.kafka_config(), group_id=None, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not parts:
            return []
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        out: list[Any] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                out.extend(records)
        return out
    finally:
        consumer.close()


async def service_bus(infra: Endpoints, service: str) -> KafkaBus:
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"it-{service}", credentials=infra.kafka_user(service))
    await bus.start()
    return bus


async def test_a_service_cannot_write_another_services_topic(infra: Endpoints, prefix: str) -> None:
    """intake forging appraisal's qualification.granted: refused by the broker, nothing lands on the topic."""
    forged_topic = topic_for("hz-p1", "qualification.granted", prefix)
    own_topic = topic_for("hz-p1", "application.submitted", prefix)
    admin = KafkaBus(infra.kafka_bootstrap, client_id="it-admin", credentials=infra.kafka_user())
    await admin.start()
    intake = await service_bus(infra, "intake")
    try:
        await admin.ensure_topics([forged_topic, own_topic])
        with pytest.raises(TopicAuthorizationFailedError):
            await intake.publish([BusMessage(forged_topic, "k", granted())])
        assert read_all(infra, forged_topic) == []

        # Its own topic is open to it, and so is appraisal's to appraisal.
        await intake.publish([BusMessage(own_topic, "k", b"intake's own")])
        appraisal = await service_bus(infra, "appraisal")
        try:
            await appraisal.publish([BusMessage(forged_topic, "k", granted())])
        finally:
            await appraisal.stop()
        assert [r.value for r in read_all(infra, own_topic)] == [b"intake's own"]
        assert len(read_all(infra, forged_topic)) == 1

        # Nor may it create another service's topic: asked to, it leaves it alone (using it would be refused).
        foreign = topic_for("hz-p2", "benefits.settled", prefix)
        await intake.ensure_topics([foreign])
        assert foreign not in await asyncio.to_thread(lambda: read_topics(infra))
    finally:
        await intake.stop()
        await admin.stop()


def read_topics(infra: Endpoints) -> set[str]:
    consumer = KafkaConsumer(**infra.kafka_config(), group_id=None)
    try:
        return set(consumer.topics())
    finally:
        consumer.close()


def test_a_service_reads_only_what_it_consumes_with_its_own_group(infra: Endpoints, prefix: str) -> None:
    consumed = topic_for("hz-p1", "qualification.granted", prefix)  # intake takes appraisal's decisions
    not_consumed = topic_for("hz-p1", "benefits.settled", prefix)  # settlement's: nothing of intake's
    producer = KafkaProducer(**infra.kafka_config(), acks="all")
    try:
        for topic in (consumed, not_consumed):
            producer.send(topic, key=b"k", value=b"on " + topic.encode()).get(timeout=30)
    finally:
        producer.close(timeout=5)

    # Allowed: intake reads a topic it consumes, in its own group.
    reader = KafkaConsumer(consumed, **as_user(infra, "intake", group_id=consumer_group("intake", prefix),
                                               auto_offset_reset="earliest", enable_auto_commit=False))
    try:
        got: list[Any] = []
        deadline = time.monotonic() + 60
        while not got and time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=500).values():
                got.extend(records)
        assert [r.value for r in got] == [b"on " + consumed.encode()]
    finally:
        reader.close()

    # Denied: a topic it does not consume. The broker will not say where its partitions end (what a reader asks
    # first), and a subscription in intake's own group reads nothing of what is there.
    snoop = KafkaConsumer(**as_user(infra, "intake", group_id=None, enable_auto_commit=False))
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            snoop.end_offsets([TopicPartition(not_consumed, 0)])
        assert not snoop.partitions_for_topic(not_consumed)
    finally:
        snoop.close()
    subscribed = KafkaConsumer(not_consumed, **as_user(infra, "intake", group_id=consumer_group("intake", prefix),
                                                       auto_offset_reset="earliest", enable_auto_commit=False))
    try:
        got = []
        for _ in range(10):
            for records in subscribed.poll(timeout_ms=500).values():
                got.extend(records)
        assert got == []
    finally:
        subscribed.close()
    assert [r.value for r in read_all(infra, not_consumed)] == [b"on " + not_consumed.encode()]  # it was there
    # ... and another service's group.
    borrowed = KafkaConsumer(consumed, **as_user(infra, "intake", group_id=consumer_group("appraisal", prefix),
                                                 enable_auto_commit=False))
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            for _ in range(20):
                borrowed.poll(timeout_ms=500)
    finally:
        borrowed.close()


def _port(infra: Endpoints) -> int:
    host, _, port = infra.kafka_bootstrap.rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        pytest.skip("the wire-level probe speaks to the local broker only")
    return int(port)


def test_a_wrong_password_is_refused(infra: Endpoints) -> None:
    launcher = load_launcher()
    port = _port(infra)
    right = infra.kafka_user("intake")
    assert launcher.kafka_brokers(port, user=right.username, password=right.password)  # the control: it answers
    with pytest.raises(launcher.KafkaAuthError, match=r"invalid credentials|Authentication failed"):
        launcher.kafka_brokers(port, user="intake", password=right.password + "x")
    with pytest.raises(launcher.KafkaAuthError):
        launcher.kafka_brokers(port, user="mallory", password="anything")
    # A real client with a wrong password never gets a broker to talk to.
    wrong = KafkaCredentials("intake", "not-the-password").client_config()
    with pytest.raises(KafkaError):
        KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, bootstrap_timeout_ms=5000, max_block_ms=5000,
                      **wrong).send(topic_for("hz-p1", "application.submitted"), b"x").get(timeout=10)


def test_a_client_without_authentication_is_refused(infra: Endpoints) -> None:
    launcher = load_launcher()
    with pytest.raises(ConnectionError):
        launcher.kafka_brokers(_port(infra))  # Metadata before any SASL handshake: the broker hangs up
    with pytest.raises(KafkaError):
        KafkaProducer(bootstrap_servers=infra.kafka_bootstrap, bootstrap_timeout_ms=5000, max_block_ms=5000
                      ).send(topic_for("hz-p1", "application.submitted"), b"x").get(timeout=10)


async def test_the_relay_publishes_as_its_service_with_pseudonymous_keys(infra: Endpoints, prefix: str) -> None:
    """intake's outbox relay, as intake, on the real broker: its events arrive, keyed by a keyed hash of the
    person (never the identity number), one person always the same key and so the same partition."""
    store, keys = MemoryStore(), MemoryKeyProvider()
    db = store.database("intake", "hz-p1")
    events = []
    for i, person in enumerate([PERSON, OTHER, PERSON, PERSON, OTHER]):
        payload = events_pb2.ApplicationSubmitted(application_id=f"a{i}", person_id=person, disease_code="HTN")
        events.append(new_event("application.submitted", "hz-p1", person, payload, source="intake",
                                trace_context={}))
    await db.applications.insert_one(with_events({"_id": "batch", "status": "submitted"}, events))
    bus = await service_bus(infra, "intake")
    try:
        relay = OutboxRelay("intake", store, bus, ("hz-p1",), ["applications"], topic_prefix=prefix, keys=keys)
        assert await relay.relay_once() == 5
    finally:
        await bus.stop()
    records = read_all(infra, topic_for("hz-p1", "application.submitted", prefix))
    assert len(records) == 5
    for record in records:
        key = record.key.decode()
        assert PERSON not in key and OTHER not in key and len(key) == 64
    by_key: dict[bytes, set[int]] = {}
    for record in records:
        by_key.setdefault(record.key, set()).add(record.partition)
    assert set(by_key) == {message_key(keys, "hz-p1", PERSON).encode(), message_key(keys, "hz-p1", OTHER).encode()}
    assert all(len(partitions) == 1 for partitions in by_key.values())
