"""The event catalogue, topic names and the envelope (see proto/jingban/contracts/v1/envelope.proto).

Topics are per tenant: `<tenant>.<service>.<event type>`; the Kafka key is the business key
(the person), so one person's events stay in order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp

from chassis.errors import PoisonMessage
from jingban.contracts.v1 import envelope_pb2, events_pb2

# event type -> (publishing service, payload message)
CATALOGUE: dict[str, tuple[str, type[Message]]] = {
    "application.submitted": ("intake", events_pb2.ApplicationSubmitted),
    "application.documents_requested": ("intake", events_pb2.ApplicationDocumentsRequested),
    "application.completed": ("intake", events_pb2.ApplicationCompleted),
    "application.rejected": ("intake", events_pb2.ApplicationRejected),
    "complaint.filed": ("intake", events_pb2.ComplaintFiled),
    "complaint.resolved": ("intake", events_pb2.ComplaintResolved),
    "experts.assigned": ("appraisal", events_pb2.ExpertsAssigned),
    "appraisal.concluded": ("appraisal", events_pb2.AppraisalConcluded),
    "qualification.granted": ("appraisal", events_pb2.QualificationGranted),
    "qualification.filed": ("appraisal", events_pb2.QualificationFiled),
    "qualification.revoked": ("appraisal", events_pb2.QualificationRevoked),
    "qualification.review_due": ("appraisal", events_pb2.QualificationReviewDue),
    "qualification.renewed": ("appraisal", events_pb2.QualificationRenewed),
    "policy.published": ("settlement", events_pb2.PolicyPublished),
    "benefits.settled": ("settlement", events_pb2.BenefitsSettled),
    "statement.closed": ("settlement", events_pb2.StatementClosed),
    "statement.reconciled": ("settlement", events_pb2.StatementReconciled),
    "payment.issued": ("settlement", events_pb2.PaymentIssued),
    "critical_claim.settled": ("settlement", events_pb2.CriticalClaimSettled),
    "critical_review.completed": ("settlement", events_pb2.CriticalReviewCompleted),
    "ledger.posted": ("settlement", events_pb2.LedgerPosted),
    "fund_year.closed": ("settlement", events_pb2.FundYearClosed),
    "finding.raised": ("audit", events_pb2.FindingRaised),
    "warning.issued": ("audit", events_pb2.WarningIssued),
    "report.produced": ("audit", events_pb2.ReportProduced),
    "archive.handover.ready": ("archive", events_pb2.HandoverReady),
}

_NAMESPACE = uuid.UUID("6f1c8a52-3d0e-4f7b-9a51-7c2d3e4f5a60")


def topic_for(tenant: str, event_type: str, prefix: str = "") -> str:
    source, _ = CATALOGUE[event_type]
    return f"{prefix}{tenant}.{source}.{event_type}"


def dead_letter_topic(tenant: str, service: str, prefix: str = "") -> str:
    return f"{prefix}{tenant}.{service}.dead-letter"


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
