"""Dead letters for the `jingban dlq` tests: parked messages as a consumer leaves them, and an in-memory log that
behaves like the dead-letter and original topics (the fake bus of jingban.dlq.DeadLetterLog)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chassis.events import dead_letter_topic, encode, new_event, topic_for
from contracts.v1 import events_pb2
from jingban.dlq import REPLAYED_FROM, ParkedMessage

PERSON = "610702195803120012"  # an identity number: the business key, never to be printed
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def submitted(tenant: str = "hz-p1", person: str = PERSON, event_id: str = "") -> dict[str, Any]:
    return new_event("application.submitted", tenant, person,
                     events_pb2.ApplicationSubmitted(application_id="APP-1", person_id=person, person_name="张建国"),
                     source="intake", trace_context={}, event_id=event_id or None)


def parked(value: bytes, *, tenant: str = "hz-p1", service: str = "appraisal", offset: int = 0,
           original: str = "", reason: str = "InvalidInput: disease_code is not in the table",
           key: str = PERSON, prefix: str = "") -> ParkedMessage:
    """A message `service` parked on its tenant's dead-letter topic, with the headers the consumer adds."""
    original = original or topic_for(tenant, "application.submitted", prefix)
    headers = {"traceparent": TRACEPARENT, "event-type": "application.submitted", "dlq-reason": reason,
               "dlq-topic": original, "dlq-partition": "1", "dlq-offset": "41", "dlq-service": service,
               "dlq-at": "2026-01-05T02:03:04+00:00"}
    return ParkedMessage(dead_letter_topic(tenant, service, prefix), 0, offset, key.encode(), value, headers,
                         1767578584000)


class FakeDeadLetterLog:
    """Topics as lists; `fail_publish` makes the next publishes raise as a broker away would."""

    def __init__(self, *messages: ParkedMessage) -> None:
        self.topics: dict[str, list[ParkedMessage]] = {}
        for m in messages:
            self.topics.setdefault(m.topic, []).append(m)
        self.fail_publish = False
        self.calls: list[str] = []  # what was done, in order (the tests check "recorded before published")

    def existing(self, topics: list[str]) -> list[str]:
        return [t for t in topics if t in self.topics]

    def read(self, topic: str) -> list[ParkedMessage]:
        return list(self.topics.get(topic, []))

    def read_one(self, topic: str, partition: int, offset: int) -> ParkedMessage | None:
        return next((m for m in self.topics.get(topic, []) if (m.partition, m.offset) == (partition, offset)), None)

    def copies(self, topic: str, dlq_id: str, since: datetime) -> list[ParkedMessage]:
        return [m for m in self.topics.get(topic, [])
                if m.headers.get(REPLAYED_FROM) == dlq_id and m.timestamp_ms >= since.timestamp() * 1000]

    def publish(self, topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> tuple[int, int]:
        if self.fail_publish:
            raise TimeoutError("no broker")
        log = self.topics.setdefault(topic, [])
        log.append(ParkedMessage(topic, 0, len(log), key, value, dict(headers),
                                 int(datetime.now(UTC).timestamp() * 1000)))
        self.calls.append(f"publish {topic}")
        return 0, len(log) - 1

    def close(self) -> None:
        return None


def corrected(tenant: str = "hz-p1") -> bytes:
    """The operator's fixed message: a valid application.submitted of the tenant."""
    return encode({**submitted(tenant, event_id="0b7c6f0e-4a8e-4c39-9b7a-0c7d5f2e9a11"),
                   "occurred_at": "2026-01-05T09:00:00+00:00"})
