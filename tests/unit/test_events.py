import pytest

from chassis.errors import PoisonMessage
from chassis.events import dead_letter_topic, decode, derived_event_id, encode, new_event, tenant_of_topic, topic_for
from contracts.v1 import events_pb2


def submitted() -> dict:
    payload = events_pb2.ApplicationSubmitted(application_id="a1", person_id="p1", disease_code="HTN")
    return new_event("application.submitted", "hz-p1", "p1", payload, source="intake",
                     trace_context={"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"})


def test_envelope_round_trip() -> None:
    ev = decode(encode(submitted()))
    assert ev.type == "application.submitted" and ev.tenant == "hz-p1" and ev.envelope.business_key == "p1"
    assert ev.payload.application_id == "a1" and ev.envelope.trace_context["traceparent"].startswith("00-111")
    assert ev.envelope.schema_version == "v1"


def test_topics_are_per_tenant() -> None:
    assert topic_for("hz-p1", "qualification.granted") == "hz-p1.appraisal.qualification.granted"
    assert topic_for("hz-p2", "application.submitted", "t9.") == "t9.hz-p2.intake.application.submitted"
    assert tenant_of_topic("t9.hz-p2.intake.application.submitted", "t9.") == "hz-p2"
    assert dead_letter_topic("hz-p1", "audit") == "hz-p1.audit.dead-letter"


def test_a_publisher_cannot_emit_another_services_event() -> None:
    with pytest.raises(ValueError):
        new_event("application.submitted", "hz-p1", "p", events_pb2.ApplicationSubmitted(), source="appraisal",
                  trace_context={})


@pytest.mark.parametrize("raw", [b"\xff\xff\xff", b"", b"\x0a\x03abc"])
def test_garbage_is_poison_with_a_reason(raw: bytes) -> None:
    with pytest.raises(PoisonMessage) as err:
        decode(raw)
    assert str(err.value)


def test_derived_ids_are_stable() -> None:
    assert derived_event_id("e1", "qualification.granted", "p") == derived_event_id("e1", "qualification.granted", "p")
    assert derived_event_id("e1", "qualification.granted", "p") != derived_event_id("e2", "qualification.granted", "p")
