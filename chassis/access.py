"""Access records (查阅记录, PIPL): every read of a person's data — their file, a document, an account, an export that
holds them — is recorded as it is answered, with who read it (subject), as what (role), whose data (tenant), what
(kind and id), when and in which trace; archive files each record in the person's file, where the person sees it.

A read stages its `<service>.person.accessed` event (payload PersonAccessed, the event id is the access id) in the
reading service's own `access_log` collection, one document per access, through the outbox like every other event
(the collection is one of the service's outbox collections); the relay publishes it and archive consumes it.
The access_log keeps after publication only what is not personal (id, when, kind, action, service). Each recording
also writes one log line (who, what; the person masked by chassis/logs.py, an export's persons counted)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from chassis.events import CATALOGUE, new_event
from chassis.outbox import with_events
from chassis.telemetry import current_carrier, trace_id_hex
from contracts.v1 import events_pb2

log = logging.getLogger(__name__)

ACCESS_LOG = "access_log"
ACCESS_EVENT_SUFFIX = ".person.accessed"
# Every access event type of the catalogue (archive subscribes to them all).
ACCESS_EVENTS = tuple(sorted(t for t in CATALOGUE if t.endswith(ACCESS_EVENT_SUFFIX)))
OBJECT_KINDS = ("person_file", "document", "account", "assistance", "export")
ACTIONS = ("read", "download", "export")
CHANNELS = ("http", "grpc")
_CHUNK = 500


class Reader(Protocol):
    """Who reads: a door's TenantScope (chassis/scope.py) is one."""

    @property
    def tenant(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def subject(self) -> str: ...


@dataclass(frozen=True)
class Who:
    """A reader named by its parts (where a use case has them apart rather than a TenantScope)."""

    tenant: str
    role: str
    subject: str


@dataclass(frozen=True)
class Access:
    """One read of one person's data: what was read (kind, id) and how (read, download, export)."""

    person_id: str
    object_kind: str
    object_id: str
    action: str = "read"

    def __post_init__(self) -> None:
        if self.object_kind not in OBJECT_KINDS:
            raise ValueError(f"unknown accessed object kind {self.object_kind!r}; expected one of {OBJECT_KINDS}")
        if self.action not in ACTIONS:
            raise ValueError(f"unknown access action {self.action!r}; expected one of {ACTIONS}")


def access_event_type(service: str) -> str:
    event_type = service + ACCESS_EVENT_SUFFIX
    if event_type not in CATALOGUE:
        raise ValueError(f"{service} publishes no access event ({event_type} is not in the catalogue)")
    return event_type


def access_events(service: str, reader: Reader, accesses: Iterable[Access], channel: str = "http",
                  tenant: str | None = None, at: str | None = None) -> list[dict[str, Any]]:
    """The stored (outbox) events of these accesses: one each, its event id its access id."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
    event_type = access_event_type(service)
    tenant = tenant or reader.tenant
    at = at or datetime.now(UTC).isoformat()
    carrier, trace_id = current_carrier(), trace_id_hex()
    out = []
    for a in accesses:
        if not a.person_id:  # nobody's data: nothing to record
            continue
        access_id = str(uuid.uuid4())
        payload = events_pb2.PersonAccessed(
            access_id=access_id, person_id=a.person_id, subject=reader.subject, role=reader.role, tenant=tenant,
            object_kind=a.object_kind, object_id=a.object_id, action=a.action, accessed_at=at, trace_id=trace_id,
            service=service, channel=channel)
        out.append(new_event(event_type, tenant, a.person_id, payload, source=service, trace_context=carrier,
                             event_id=access_id))
    return out


async def record_accesses(db: Any, service: str, reader: Reader, accesses: Iterable[Access],
                          channel: str = "http", tenant: str | None = None) -> list[str]:
    """Record the accesses in `db` (the reading service's database of the tenant read); their access ids."""
    kept = [a for a in accesses if a.person_id]
    events = access_events(service, reader, kept, channel, tenant)
    docs = [with_events({"_id": ev["event_id"], "accessed_at": ev["occurred_at"], "object_kind": a.object_kind,
                         "action": a.action, "service": service}, [ev])
            for a, ev in zip(kept, events, strict=True)]
    for i in range(0, len(docs), _CHUNK):
        await db[ACCESS_LOG].insert_many(docs[i : i + _CHUNK])
    if kept:  # one line per read (an export's thousands of persons are counted); identity numbers masked
        first = kept[0]
        whose = first.person_id if len(kept) == 1 else f"{len(kept)} persons"
        log.info("access recorded: %s %s %s %s %s of %s", reader.role, reader.subject, first.action,
                 first.object_kind, first.object_id, whose)
    return [d["_id"] for d in docs]


async def record_access(db: Any, service: str, reader: Reader, access: Access, channel: str = "http",
                        tenant: str | None = None) -> str:
    """Record one access; its id."""
    ids = await record_accesses(db, service, reader, [access], channel, tenant)
    return ids[0] if ids else ""


async def ensure_indexes(db: Any) -> None:
    await db[ACCESS_LOG].create_index("_outbox_pending")
