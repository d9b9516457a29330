"""The agency feed end to end in memory: events become pushes (once, however often they come), the worker sends them
to the simulated system and moves their states; the store seals the body (and drops it once sent)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from agency.simulator import AgencyState
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.settlement.agency_feed import service
from services.settlement.agency_feed.domain.pushes import MAX_ATTEMPTS
from services.settlement.agency_feed.service.worker import AgencyFeed
from services.settlement.agency_feed.store import PUSHES, AgencyPushStore
from tests.unit.agency.conftest import BAD, OTHER, PERSON, make_client
from tests.unit.audit.builders import event

TENANT = "wz-b"


def concluded(person: str = PERSON, assessment: str = "as1") -> Any:
    return event("disability.concluded", events_pb2.DisabilityConcluded(
        assessment_id=assessment, application_id="ap1", person_id=person, grade=4, grade_name="重度失能II级",
        adl_level=3, cognition_level=2, perception_level=1, eligible=True, scale_version="sample-2021.1",
        concluded_at="2026-01-05T02:00:00+00:00", recheck_due="2027-01-05", round=1, assessors=["A01", "A02"],
        lot="B", kind="initial", assessment_fee="200.00"), tenant=TENANT, key=person)


def recorded(n: int, batch: str = "b1") -> Any:
    records = [events_pb2.CareServiceRecord(record_id=f"{batch}-r{i}", person_id=PERSON if i % 2 else OTHER,
                                            caregiver_id="CG1", date="2026-01-02", items=["basic_care"],
                                            start="08:00", end="09:00", plan_id="p1") for i in range(n)]
    return event("care_services.recorded", events_pb2.CareServicesRecorded(
        batch_id=batch, institution_id="WZB-C001", month="2026-01", records=records), tenant=TENANT, key=batch)


def paid() -> Any:
    return event("care_statement.paid", events_pb2.CareStatementPaid(
        statement_id="WZB-C001-2026-01", institution_id="WZB-C001", month="2026-01", amount="1234.50", records=40,
        persons=2, benefits_version="sample-2026.1", paid_at="2026-02-10T02:00:00+00:00",
        person_ids=[PERSON, OTHER]), tenant=TENANT, key="WZB-C001-2026-01")


@pytest.fixture
def memory() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def feed(memory: MemoryStore, state: AgencyState) -> AsyncIterator[AgencyFeed]:
    ctx = SimpleNamespace(db=lambda t: memory.database("settlement", t),
                          settings=SimpleNamespace(tenants=(TENANT, "hz-p1"), agency_url="http://unused/"))
    f = AgencyFeed(ctx)  # type: ignore[arg-type]
    f._clients[TENANT] = make_client(state, retries=1)
    yield f
    await f.aclose()


@pytest.fixture
def state() -> AgencyState:
    return AgencyState()


def db(memory: MemoryStore, tenant: str = TENANT) -> Any:
    return memory.database("settlement", tenant)


async def pushes(memory: MemoryStore) -> list[dict[str, Any]]:
    return (await service.listed(db(memory), TENANT, None, 100))["pushes"]


async def test_each_event_becomes_its_pushes_once(memory: MemoryStore) -> None:
    upload, conclusion = recorded(1201), concluded()
    for ev in (conclusion, upload, paid(), upload, conclusion):  # redelivered: nothing new
        await service.record(db(memory), ev)
    rows = sorted(await pushes(memory), key=lambda p: (p["txn"], p["part"]))
    assert [(p["txn"], p["part"], p["parts"], p["records"]) for p in rows] == [
        ("LTC01", 1, 1, 0), ("LTC02", 1, 3, 500), ("LTC02", 2, 3, 500), ("LTC02", 3, 3, 201), ("LTC03", 1, 1, 40)]
    assert all(p["status"] == "pending" and len(p["msgid"]) == 30 and p["msgid"].startswith("H33030000002")
               for p in rows)
    assert rows[1]["business_id"] == "b1#1/3" and rows[1]["persons"] == 2


async def test_a_tenant_outside_long_term_care_pushes_nothing(memory: MemoryStore) -> None:
    ev = event("care_statement.paid", events_pb2.CareStatementPaid(statement_id="s", person_ids=[PERSON]),
               tenant="hz-p1")
    assert await service.record(db(memory, "hz-p1"), ev) == 0


async def test_the_worker_sends_them_and_the_body_goes_once_sent(memory: MemoryStore, feed: AgencyFeed,
                                                                 state: AgencyState) -> None:
    for ev in (concluded(), recorded(3), paid()):
        await service.record(db(memory), ev)
    raw = await db(memory)[PUSHES].find({}).to_list(None)
    assert raw and all(PERSON not in str(d) and OTHER not in str(d) for d in raw)  # sealed at rest
    assert await feed.work(TENANT) == 3
    rows = await pushes(memory)
    assert {p["status"] for p in rows} == {"sent"} and all(p["attempts"] == 1 for p in rows)
    assert all(p["answer"]["rcv_no"] and p["code"] == 0 for p in rows)
    assert all("body" not in d for d in await db(memory)[PUSHES].find({}).to_list(None))
    assert [m.txn for m in state.received()] == ["LTC01", "LTC02", "LTC03"]
    assert state.received()[0].data["certno"] == PERSON
    assert await feed.work(TENANT) == 0  # nothing due any more


async def test_a_refusal_parks_the_push_with_the_systems_code(memory: MemoryStore, feed: AgencyFeed,
                                                              state: AgencyState) -> None:
    await service.record(db(memory), concluded(person=BAD))
    await feed.work(TENANT)
    [row] = await pushes(memory)
    assert (row["status"], row["failure"], row["code"], row["attempts"]) == ("failed", "refused", 2001, 1)
    assert BAD not in str(row)
    assert await feed.work(TENANT) == 0  # parked: never re-sent by the worker
    assert len(state.received()) == 1


async def test_transport_failures_are_retried_later_then_given_up(memory: MemoryStore, feed: AgencyFeed,
                                                                  state: AgencyState,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    await service.record(db(memory), paid())
    state.inject_fault("http_503", 100)
    await feed.work(TENANT)
    [row] = await pushes(memory)
    assert (row["status"], row["attempts"]) == ("pending", 1) and "HTTP 503" in row["error"]
    msgid = row["msgid"]
    store = AgencyPushStore(db(memory))
    for _ in range(MAX_ATTEMPTS - 1):  # each pass when due (the backoff fast-forwarded)
        await store.change(row["push_id"], "pending", {"next_at": datetime.now(UTC).isoformat()})
        await feed.work(TENANT)
    [row] = await pushes(memory)
    assert (row["status"], row["failure"], row["attempts"]) == ("failed", "unavailable", MAX_ATTEMPTS)
    assert {m.msgid for m in state.received()} == {msgid}  # one message, sent again and again
    # ops sends it again once the system is back: the same msgid, sent.
    state.faults.clear()
    again = await service.retry(db(memory), TENANT, row["push_id"])
    assert again["status"] == "pending" and again["msgid"] == msgid and again["retries"] == 1
    await feed.work(TENANT)
    [row] = await pushes(memory)
    assert row["status"] == "sent"


async def test_a_pending_push_waits_out_its_backoff(memory: MemoryStore, feed: AgencyFeed,
                                                    state: AgencyState) -> None:
    await service.record(db(memory), paid())
    state.inject_fault("http_503", 2)
    await feed.work(TENANT)
    assert await feed.work(TENANT) == 0  # not due for two seconds
    [row] = await pushes(memory)
    assert datetime.fromisoformat(row["next_at"]) > datetime.now(UTC) + timedelta(seconds=1)


async def test_ops_retries_only_a_failed_push_and_a_refused_one_under_a_new_msgid(
        memory: MemoryStore, feed: AgencyFeed, state: AgencyState) -> None:
    await service.record(db(memory), paid())
    state.inject_fault("refuse", 1, code=9999, err_msg="系统维护中")
    await feed.work(TENANT)
    [row] = await pushes(memory)
    assert (row["status"], row["code"]) == ("failed", 9999)
    again = await service.retry(db(memory), TENANT, row["push_id"])
    assert again["msgid"] != row["msgid"] and again["status"] == "pending"
    await feed.work(TENANT)
    [row] = await pushes(memory)
    assert row["status"] == "sent"
    with pytest.raises(Exception) as refused:
        await service.retry(db(memory), TENANT, row["push_id"])
    assert getattr(refused.value, "code", "") == "agency_push_not_retryable"
    with pytest.raises(Exception) as missing:
        await service.retry(db(memory), TENANT, "nothing.1")
    assert getattr(missing.value, "code", "") == "not_found"
