"""An access event (PersonAccessed) as the record archive keeps per person, and as the person's file shows it: who
(subject), as what (role), when, what (kind and id) and how (read, download, export), where (service, channel) and
in which trace. The record's id is the access id, which is also the event id: filing it again changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from chassis.errors import PoisonMessage

# What the person's file shows of each access, in this order.
VIEW_FIELDS = ("access_id", "who", "role", "when", "what", "action", "service", "channel", "trace_id")


class AccessEvent(Protocol):
    """What an access event carries (chassis.events.Event with a PersonAccessed payload)."""

    type: str
    payload: Any
    tenant: str
    id: str
    occurred_at: datetime


def access_record(event: AccessEvent) -> dict[str, Any]:
    """The record archive keeps of one access; PoisonMessage when it names no person, no reader or another tenant."""
    p = event.payload
    access_id = p.access_id or event.id
    if not p.person_id:
        raise PoisonMessage(f"{event.type} {event.id} names no person")
    if not p.subject or not p.role:
        raise PoisonMessage(f"{event.type} {event.id} names no reader (subject and role)")
    if p.tenant and p.tenant != event.tenant:
        raise PoisonMessage(f"{event.type} {event.id} is of tenant {p.tenant!r} on a topic of {event.tenant!r}")
    return {
        "_id": access_id, "person_id": p.person_id, "tenant": event.tenant, "subject": p.subject, "role": p.role,
        "object_kind": p.object_kind, "object_id": p.object_id, "action": p.action or "read",
        "accessed_at": p.accessed_at or event.occurred_at.isoformat(), "trace_id": p.trace_id,
        "service": p.service, "channel": p.channel, "source_event_id": event.id,
    }


def access_view(r: Mapping[str, Any]) -> dict[str, Any]:
    """One access as the person's file shows it."""
    return {"access_id": r["_id"], "who": r["subject"], "role": r["role"], "when": r["accessed_at"],
            "what": {"kind": r["object_kind"], "id": r["object_id"]}, "action": r["action"],
            "service": r.get("service", ""), "channel": r.get("channel", ""), "trace_id": r.get("trace_id", "")}


def in_order(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Oldest first; the same moment ordered by id (a stable answer)."""
    return sorted(records, key=lambda r: (r["accessed_at"], r["_id"]))
