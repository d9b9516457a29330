"""The event catalogue, topic names and the envelope (see proto/contracts/v1/envelope.proto).

Topics are per tenant: `<tenant>.<service>.<event type>`; the Kafka key is the business key
(the person), so one person's events stay in order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import yaml
from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp

from chassis.errors import PoisonMessage
from contracts.v1 import envelope_pb2, events_pb2


def _load_catalogue() -> tuple[dict[str, tuple[str, type[Message]]], str, str]:
    raw = yaml.safe_load(resources.files("contracts.v1").joinpath("catalogue.yaml").read_text(encoding="utf-8"))
    entries: dict[str, tuple[str, type[Message]]] = {}
    for event_type, spec in raw["events"].items():
        entries[event_type] = (str(spec["publisher"]), getattr(events_pb2, spec["payload"]))
    return entries, str(raw["topic"]), str(raw["dead_letter_topic"])


# event type -> (publishing service, payload message), read once from the catalogue.
CATALOGUE, _TOPIC, _DEAD_LETTER_TOPIC = _load_catalogue()

_NAMESPACE = uuid.UUID("6f1c8a52-3d0e-4f7b-9a51-7c2d3e4f5a60")


def topic_for(tenant: str, event_type: str, prefix: str = "") -> str:
    publisher, _ = CATALOGUE[event_type]
    return prefix + _TOPIC.format(tenant=tenant, publisher=publisher, type=event_type)


def _compacted_suffixes() -> tuple[str, ...]:
    raw = yaml.safe_load(resources.files("contracts.v1").joinpath("catalogue.yaml").read_text(encoding="utf-8"))
    return tuple(_TOPIC.format(tenant="", publisher=CATALOGUE[t][0], type=t)
                 for t, spec in raw["events"].items() if spec.get("compacted"))


# The topics of event types marked `compacted: true` in the catalogue end so (whatever the tenant and prefix).
_COMPACTED = _compacted_suffixes()


def is_compacted(topic: str) -> bool:
    """A topic of an event type the catalogue marks `compacted`: created with cleanup.policy=compact, so it keeps
    the latest message per key for good (e.g. trail.anchored, keyed by tenant)."""
    return topic.endswith(_COMPACTED) if _COMPACTED else False


def dead_letter_topic(tenant: str, service: str, prefix: str = "") -> str:
    return prefix + _DEAD_LETTER_TOPIC.format(tenant=tenant, service=service)


def tenant_of_topic(topic: str, prefix: str = "") -> str:
    return topic[len(prefix):].split(".", 1)[0]


def derived_event_id(causation_id: str, event_type: str, key: str) -> str:
    """Deterministic id for an event caused by another: re-running the handler yields the same id."""
    return str(uuid.uuid5(_NAMESPACE, f"{causation_id}|{event_type}|{key}"))


def new_event(event_type: str, tenant: str, business_key: str, payload: Message, *, source: str,
              trace_context: dict[str, str], causation_id: str = "", event_id: str | None = None) -> dict[str, Any]:
    """An event in its stored (outbox) form, written in the same document update as the state change."""
    expected_source, expected_cls = CATALOGUE[event_type]
    if source != expected_source or not isinstance(payload, expected_cls):
        raise ValueError(f"{event_type} is published by {expected_source} with {expected_cls.__name__}")
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "tenant": tenant,
        "business_key": business_key,
        "occurred_at": datetime.now(UTC).isoformat(),
        "trace_context": dict(trace_context),
        "payload": payload.SerializeToString(),
        "source": source,
        "causation_id": causation_id,
    }


def encode(stored: dict[str, Any]) -> bytes:
    ts = Timestamp()
    ts.FromDatetime(datetime.fromisoformat(stored["occurred_at"]))
    env = envelope_pb2.Envelope(
        event_id=stored["event_id"], type=stored["type"], tenant=stored["tenant"],
        business_key=stored["business_key"], occurred_at=ts, trace_context=stored["trace_context"],
        payload=bytes(stored["payload"]), source=stored["source"], causation_id=stored["causation_id"],
        schema_version="v1",
    )
    return env.SerializeToString()


@dataclass(frozen=True)
class Event:
    envelope: envelope_pb2.Envelope
    payload: Any

    @property
    def id(self) -> str:
        return self.envelope.event_id

    @property
    def tenant(self) -> str:
        return self.envelope.tenant

    @property
    def type(self) -> str:
        return self.envelope.type

    @property
    def occurred_at(self) -> datetime:
        return self.envelope.occurred_at.ToDatetime(tzinfo=UTC)


def decode(raw: bytes) -> Event:
    """Parse an envelope and its payload; anything malformed is a poison message with the reason."""
    env = envelope_pb2.Envelope()
    try:
        env.ParseFromString(raw)
    except DecodeError as exc:
        raise PoisonMessage(f"undecodable envelope: {exc}") from exc
    if not env.event_id or not env.type or not env.tenant:
        raise PoisonMessage("envelope lacks event_id, type or tenant")
    if env.type not in CATALOGUE:
        raise PoisonMessage(f"unknown event type {env.type!r}")
    payload = CATALOGUE[env.type][1]()
    try:
        payload.ParseFromString(env.payload)
    except DecodeError as exc:
        raise PoisonMessage(f"undecodable {env.type} payload: {exc}") from exc
    return Event(env, payload)
