"""The consumer trusts a topic's name, not the envelope's word: an event whose tenant, type or source differs from
what its topic `{tenant}.{publisher}.{type}` says is parked with the reason code `topic_mismatch`, never applied.
(Whoever can write a topic is not thereby the service the envelope claims to be.)"""

from __future__ import annotations

import pytest

from chassis.bus.memory import MemoryBus
from chassis.bus.port import BusMessage
from chassis.consumer import EventConsumer, Subscription, TopicMismatch, check_envelope_matches_topic
from chassis.events import Event, dead_letter_topic, decode, encode, new_event, topic_for
from chassis.store.memory import MemoryStore
from contracts.v1 import common_pb2, events_pb2

TENANTS = ("hz-p1", "hz-p2")
PREFIX = "run1."


def granted(tenant: str = "hz-p1", source: str = "appraisal", qualification_id: str = "q1") -> dict:
    payload = events_pb2.QualificationGranted(qualification=common_pb2.Qualification(
        qualification_id=qualification_id, person_id="p1", disease_code="HTN"))
    stored = new_event("qualification.granted", tenant, "p1", payload, source="appraisal", trace_context={})
    stored["source"] = source  # a forger writes whatever source it likes into the envelope
    return stored


def revoked(tenant: str = "hz-p1") -> dict:
    payload = events_pb2.QualificationRevoked(qualification=common_pb2.Qualification(qualification_id="q1"))
    return new_event("qualification.revoked", tenant, "p1", payload, source="appraisal", trace_context={})


@pytest.fixture
def settlement() -> tuple[EventConsumer, MemoryBus, list[str]]:
    """settlement's consumer of qualification.granted and .revoked (what it takes from appraisal)."""
    bus, applied = MemoryBus(), []

    async def handle(ev: Event) -> None:
        applied.append(f"{ev.type}:{ev.tenant}")

    consumer = EventConsumer("settlement", bus, MemoryStore(), TENANTS,
                             [Subscription("qualification.granted", handle),
                              Subscription("qualification.revoked", handle)], topic_prefix=PREFIX)
    return consumer, bus, applied


def parked(bus: MemoryBus, tenant: str = "hz-p1") -> list[BusMessage]:
    return bus.messages(dead_letter_topic(tenant, "settlement", PREFIX))


async def test_an_event_whose_source_is_not_the_topics_publisher_is_parked(settlement) -> None:
    consumer, bus, applied = settlement
    topic = topic_for("hz-p1", "qualification.granted", PREFIX)
    await consumer.process(BusMessage(topic, "k", encode(granted(source="intake")), {}, 0, 7))
    assert applied == []
    [letter] = parked(bus)
    assert letter.headers["dlq-code"] == "topic_mismatch"
    assert letter.headers["dlq-reason"].startswith("topic_mismatch: envelope source 'intake'")
    assert letter.headers["dlq-topic"] == topic and letter.headers["dlq-offset"] == "7"
    assert decode(letter.value).envelope.source == "intake"  # parked as it came, for an operator to look at


async def test_an_event_of_another_type_than_its_topic_is_parked(settlement) -> None:
    """A revocation written onto the granted topic (a writer of one topic must not speak for another type)."""
    consumer, bus, applied = settlement
    await consumer.process(BusMessage(topic_for("hz-p1", "qualification.granted", PREFIX), "k", encode(revoked())))
    assert applied == []
    [letter] = parked(bus)
    assert letter.headers["dlq-code"] == "topic_mismatch" and "envelope type 'qualification.revoked'" in \
        letter.headers["dlq-reason"]


async def test_an_event_of_another_tenant_than_its_topic_is_parked_on_the_topics_tenant(settlement) -> None:
    consumer, bus, applied = settlement
    await consumer.process(BusMessage(topic_for("hz-p1", "qualification.granted", PREFIX), "k",
                                      encode(granted(tenant="hz-p2"))))
    assert applied == []
    [letter] = parked(bus, "hz-p1")
    assert letter.headers["dlq-code"] == "topic_mismatch"
    assert "does not match topic tenant" in letter.headers["dlq-reason"]
    assert parked(bus, "hz-p2") == []


async def test_matching_events_are_applied_and_the_batch_goes_on_past_a_mismatch(settlement) -> None:
    consumer, bus, applied = settlement
    topic = topic_for("hz-p2", "qualification.granted", PREFIX)
    await consumer.process_batch([
        BusMessage(topic, "k", encode(granted("hz-p2", qualification_id="good-1")), {}, 0, 0),
        BusMessage(topic, "k", encode(granted("hz-p2", source="archive")), {}, 0, 1),
        BusMessage(topic, "k", encode(granted("hz-p2", qualification_id="good-2")), {}, 0, 2),
        BusMessage(topic_for("hz-p2", "qualification.revoked", PREFIX), "k", encode(revoked("hz-p2")), {}, 0, 0),
    ])
    assert applied == ["qualification.granted:hz-p2", "qualification.granted:hz-p2", "qualification.revoked:hz-p2"]
    assert [m.headers["dlq-offset"] for m in parked(bus, "hz-p2")] == ["1"]
    assert consumer.dead_lettered == 1 and consumer.processed == 3


def test_the_check_names_what_differs() -> None:
    event = decode(encode(granted()))
    check_envelope_matches_topic(event, topic_for("hz-p1", "qualification.granted", PREFIX), PREFIX)
    check_envelope_matches_topic(event, topic_for("hz-p1", "qualification.granted"))  # no prefix
    with pytest.raises(TopicMismatch, match="envelope type"):
        check_envelope_matches_topic(event, "run1.hz-p1.appraisal.qualification.revoked", PREFIX)
    with pytest.raises(TopicMismatch, match="envelope type"):  # the right type under another publisher's name
        check_envelope_matches_topic(event, "run1.hz-p1.intake.qualification.granted", PREFIX)
    with pytest.raises(TopicMismatch, match="tenant"):
        check_envelope_matches_topic(event, topic_for("hz-p2", "qualification.granted", PREFIX), PREFIX)
    with pytest.raises(TopicMismatch, match="source 'settlement'"):
        check_envelope_matches_topic(decode(encode(granted(source="settlement"))),
                                     topic_for("hz-p1", "qualification.granted", PREFIX), PREFIX)
