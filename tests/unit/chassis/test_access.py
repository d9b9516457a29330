"""Access records (chassis/access.py): a read of a person's data becomes one `<service>.person.accessed` event,
staged through the outbox in the reading service's `access_log`, one document per access."""

from __future__ import annotations

import pytest

from chassis.access import (
    ACCESS_EVENTS,
    ACCESS_LOG,
    Access,
    Who,
    access_event_type,
    access_events,
    record_access,
    record_accesses,
)
from chassis.events import CATALOGUE, encode
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2

PERSON = "610702195803120012"
CLERK = Who("hz-p1", "clerk", "c1")


def test_every_reading_service_publishes_its_own_access_event_with_one_payload() -> None:
    assert ACCESS_EVENTS == ("appraisal.person.accessed", "archive.person.accessed", "intake.person.accessed",
                             "settlement.person.accessed")
    for event_type in ACCESS_EVENTS:
        publisher, payload = CATALOGUE[event_type]
        assert event_type == f"{publisher}.person.accessed" and payload is events_pb2.PersonAccessed
    assert access_event_type("intake") == "intake.person.accessed"
    with pytest.raises(ValueError, match="publishes no access event"):
        access_event_type("audit")


def test_an_access_event_says_who_as_what_whose_what_when_and_where() -> None:
    (ev,) = access_events("intake", CLERK, [Access(PERSON, "document", "d1", "download")], at="2026-01-05T09:00:00")
    p = events_pb2.PersonAccessed.FromString(ev["payload"])
    assert ev["type"] == "intake.person.accessed" and ev["source"] == "intake" and ev["tenant"] == "hz-p1"
    assert ev["event_id"] == p.access_id and ev["business_key"] == PERSON
    assert (p.person_id, p.subject, p.role, p.tenant) == (PERSON, "c1", "clerk", "hz-p1")
    assert (p.object_kind, p.object_id, p.action) == ("document", "d1", "download")
    assert (p.accessed_at, p.service, p.channel) == ("2026-01-05T09:00:00", "intake", "http")
    encode(ev)  # a valid envelope


def test_each_access_is_its_own_event_and_nobody_s_data_is_not_recorded() -> None:
    events = access_events("archive", CLERK, [Access(PERSON, "export", "x1", "export"),
                                              Access("61072119620425002X", "export", "x1", "export"),
                                              Access("", "export", "x1", "export")], channel="grpc")
    assert len(events) == 2 and len({e["event_id"] for e in events}) == 2
    assert {events_pb2.PersonAccessed.FromString(e["payload"]).channel for e in events} == {"grpc"}


def test_what_was_read_is_one_of_the_known_kinds_actions_and_channels() -> None:
    with pytest.raises(ValueError, match="object kind"):
        Access(PERSON, "diary", "1")
    with pytest.raises(ValueError, match="action"):
        Access(PERSON, "document", "1", "print")
    with pytest.raises(ValueError, match="channel"):
        access_events("intake", CLERK, [Access(PERSON, "document", "1")], channel="fax")


async def test_recorded_accesses_wait_in_the_access_log_for_the_relay() -> None:
    db = MemoryStore().database("intake", "hz-p1")
    access_id = await record_access(db, "intake", CLERK, Access(PERSON, "document", "d1", "download"))
    ids = await record_accesses(db, "intake", CLERK, [Access(PERSON, "document", f"d{i}") for i in range(3)])
    assert len(ids) == 3 and access_id not in ids
    docs = await db[ACCESS_LOG].find({}).to_list(None)
    assert len(docs) == 4
    doc = next(d for d in docs if d["_id"] == access_id)
    assert doc["_outbox_pending"] == 1 and doc["_outbox"][0]["event_id"] == access_id
    # Beside the pending event, nothing personal: when, what kind, which service.
    assert {k for k in doc if not k.startswith("_outbox")} == {"_id", "accessed_at", "object_kind", "action",
                                                                "service"}
    assert await record_accesses(db, "intake", CLERK, []) == []
