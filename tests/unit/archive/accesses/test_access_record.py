"""archive's access records (查阅记录): an access event as the record kept per person (once), and as the person's
file shows it; the person and the reader are not kept in clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from chassis.errors import PoisonMessage
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.archive.accesses import service
from services.archive.accesses.domain.access_record import access_record, access_view, in_order
from services.archive.accesses.store import PERSON_ACCESSES

PERSON = "610702195803120012"


@dataclass
class FakeEvent:
    payload: Any
    type: str = "intake.person.accessed"
    tenant: str = "hz-p1"
    id: str = "a1"
    occurred_at: datetime = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def accessed(**overrides: str) -> FakeEvent:
    fields = {"access_id": "a1", "person_id": PERSON, "subject": "c1", "role": "clerk", "tenant": "hz-p1",
              "object_kind": "document", "object_id": "d1", "action": "download",
              "accessed_at": "2026-01-05T09:00:00+08:00", "trace_id": "ab" * 16, "service": "intake",
              "channel": "http"}
    fields.update(overrides)
    return FakeEvent(events_pb2.PersonAccessed(**fields), id=fields["access_id"] or "ev")


def test_the_record_keeps_who_as_what_what_when_and_where() -> None:
    r = access_record(accessed())
    assert r["_id"] == "a1" and r["person_id"] == PERSON and r["tenant"] == "hz-p1"
    assert access_view(r) == {"access_id": "a1", "who": "c1", "role": "clerk", "when": "2026-01-05T09:00:00+08:00",
                              "what": {"kind": "document", "id": "d1"}, "action": "download", "service": "intake",
                              "channel": "http", "trace_id": "ab" * 16}


def test_missing_parts_take_the_event_s() -> None:
    r = access_record(accessed(access_id="", accessed_at="", action=""))
    assert r["_id"] == "ev" and r["accessed_at"] == "2026-01-05T01:00:00+00:00" and r["action"] == "read"


@pytest.mark.parametrize(("overrides", "why"), [
    ({"person_id": ""}, "names no person"),
    ({"subject": ""}, "names no reader"),
    ({"role": ""}, "names no reader"),
    ({"tenant": "hz-p2"}, "tenant"),
])
def test_an_access_without_a_person_a_reader_or_of_another_tenant_is_poison(overrides: dict[str, str],
                                                                             why: str) -> None:
    with pytest.raises(PoisonMessage, match=why):
        access_record(accessed(**overrides))


def test_records_are_shown_oldest_first() -> None:
    records = [{"_id": "b", "accessed_at": "2026-01-02"}, {"_id": "a", "accessed_at": "2026-01-02"},
               {"_id": "c", "accessed_at": "2026-01-01"}]
    assert [r["_id"] for r in in_order(records)] == ["c", "a", "b"]


async def test_filing_is_idempotent_per_person_and_sealed() -> None:
    db = MemoryStore().database("archive", "hz-p1")
    await service.ensure_indexes(db)
    assert await service.file_access(db, accessed()) is True
    assert await service.file_access(db, accessed()) is False  # redelivered: nothing twice
    assert await service.file_access(db, accessed(access_id="a2", subject=PERSON, role="applicant",
                                                  object_kind="person_file", object_id=PERSON,
                                                  accessed_at="2026-01-06T09:00:00+08:00")) is True
    assert await service.file_access(db, accessed(access_id="a3", person_id="61072119620425002X")) is True
    views, total = await service.of_person(db, PERSON)
    assert total == 2 and [v["access_id"] for v in views] == ["a1", "a2"]
    assert views[1]["who"] == PERSON and views[1]["role"] == "applicant"  # the applicant reading their own file
    stored = await db[PERSON_ACCESSES].find({}).to_list(None)
    assert PERSON not in repr(stored)  # the person, an applicant reader and the object id are sealed
    assert all("person_bi" in d for d in stored)


async def test_a_person_with_many_accesses_shows_the_latest_and_the_total() -> None:
    db = MemoryStore().database("archive", "hz-p1")
    for i in range(5):
        await service.file_access(db, accessed(access_id=f"a{i}", accessed_at=f"2026-01-0{i + 1}T09:00:00+08:00"))
    views, total = await service.of_person(db, PERSON, limit=3)
    assert total == 5 and [v["access_id"] for v in views] == ["a2", "a3", "a4"]
    assert await service.of_person(db, "61072119620425002X") == ([], 0)
