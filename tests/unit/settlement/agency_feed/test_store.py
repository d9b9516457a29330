"""The agency feed's store as FerretDB 1.24 needs it: a push the system acknowledged moves among the sent ones
(insert-only) without its body, so the collection the worker walks and updates holds only the backlog; the same event
filed again after its push was sent adds nothing; a crash between the move's two writes loses nothing and shows the
push once; the body is stored compressed and sealed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chassis.store.memory import MemoryStore
from services.settlement.agency_feed.domain.pushes import after_sent, new_push
from services.settlement.agency_feed.store import PUSHES, SENT, AgencyPushStore

TENANT = "wz-b"
PERSON = "330303195001011235"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def push(pid: str) -> dict[str, Any]:
    body = {"batch_id": "b1", "reclist": [{"rec_id": f"r{i}", "certno": PERSON, "srv_items": ["basic_care"]}
                                          for i in range(300)]}
    return new_push(pid, "LTC02", "care_services.recorded", "ev1", f"b1#{pid}", body, "H33030300001X", NOW,
                    institution_id="WZB-C001", month="2026-03", records=300, persons=1)


async def test_a_sent_push_moves_among_the_sent_without_its_body() -> None:
    db = MemoryStore().database("settlement", TENANT)
    store = AgencyPushStore(db)
    assert await store.add([push("p.1"), push("p.2")]) == 2
    raw = await db[PUSHES].find({}).to_list(None)
    assert all(isinstance(d["body"], bytes) and PERSON.encode() not in d["body"] for d in raw)  # packed, sealed
    [due, _] = await store.due(NOW.isoformat())
    assert due["body"]["reclist"][0]["certno"] == PERSON  # opened as sent
    assert await store.sent("p.1", after_sent({"rcv_no": "R1"}, 1, NOW))
    assert not await store.sent("p.1", after_sent({"rcv_no": "R1"}, 1, NOW))  # no longer pending
    assert [d["_id"] for d in await db[PUSHES].find({}).to_list(None)] == ["p.2"]
    [moved] = await db[SENT].find({}).to_list(None)
    assert moved["_id"] == "p.1" and moved["status"] == "sent" and "body" not in moved
    assert moved["msgid"] == "H33030300001X" and moved["answer"]["rcv_no"] == "R1"
    assert await store.counts() == {"pending": 1, "sent": 1, "failed": 0}
    assert sorted(p["_id"] for p in await store.listed(None, 10)) == ["p.1", "p.2"]
    assert [p["_id"] for p in await store.listed("sent", 10)] == ["p.1"]
    assert (await store.push("p.1") or {})["status"] == "sent"
    assert [p["_id"] for p in await store.due(NOW.isoformat())] == ["p.2"]
    assert await store.add([push("p.1")]) == 0  # the same event again, its push sent: nothing new


async def test_a_crash_between_the_moves_two_writes_loses_nothing() -> None:
    db = MemoryStore().database("settlement", TENANT)
    store = AgencyPushStore(db)
    await store.add([push("p.1")])
    stored = await db[PUSHES].find_one({"_id": "p.1"})
    await db[SENT].insert_one({k: v for k, v in stored.items() if k != "body"} | {"status": "sent"})  # then a crash
    assert [p["_id"] for p in await store.listed(None, 10)] == ["p.1"]      # shown once, as sent
    assert [p["_id"] for p in await store.due(NOW.isoformat())] == ["p.1"]  # sent again under its msgid ...
    assert await store.sent("p.1", after_sent({"rcv_no": "R1"}, 2, NOW))    # ... and moved again
    assert await db[PUSHES].count_documents({}) == 0 and await db[SENT].count_documents({}) == 1
