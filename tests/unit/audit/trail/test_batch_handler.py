"""audit's consumer path a poll batch at a time, through the chassis consumer on the in-memory adapters: one trail
append and the read model's writes per tenant, each tenant's events in its own databases, a payload the read model
cannot project parked alone with its reason, a redelivered batch changing nothing; and the batched read-model
writes leaving exactly what one `$set` upsert after another leaves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.consumer import EventConsumer
from chassis.errors import PoisonMessage
from chassis.events import dead_letter_topic
from chassis.host import ServiceHost
from chassis.pii import sealer_of
from chassis.store.memory import MemoryStore
from services.audit.main import SPEC
from services.audit.readmodel.domain.readmodel import apply
from services.audit.readmodel.service import project_event as project
from services.audit.readmodel.store import ReadModelStore
from services.audit.trail import handlers
from services.audit.trail.domain.trail import verify
from services.audit.trail.store import TrailStore
from tests.unit.audit.builders import (
    PERSON_A,
    PERSON_B,
    build,
    build_stored,
    completed,
    concluded,
    filed,
    finding,
    granted,
    message,
    revoked,
    settled,
    submitted,
)

TENANTS = ("hz-p1", "hz-p2")


class Rig:
    def __init__(self, data_dir: Path) -> None:
        self.bus, self.store = MemoryBus(), MemoryStore()
        self.host = ServiceHost(SPEC, Settings(service="audit", tenants=TENANTS, data_dir=str(data_dir)), self.bus,
                                self.store)
        parts = SPEC.build(self.host.context)
        assert parts.batch_handler is not None and all(s.handler is None for s in parts.subscriptions)
        self.consumer = EventConsumer("audit", self.bus, self.store, TENANTS, parts.subscriptions,
                                      batch_handler=parts.batch_handler)

    def audit(self, tenant: str) -> TrailStore:
        return TrailStore(self.host.context.db(tenant))

    def trail_keys(self, tenant: str) -> dict[str, bytes]:
        """The tenant's trail key by id, from the host's key provider (one version here)."""
        return dict([self.host.context.keys.current("trail", tenant)])

    def model(self, tenant: str) -> ReadModelStore:
        return ReadModelStore(self.host.context.db(tenant))

    async def deliver(self, *stored: dict[str, Any]) -> None:
        await self.consumer.process_batch([message(s) for s in stored])

    def parked(self, tenant: str) -> list[str]:
        return [m.headers["dlq-reason"] for m in self.bus.messages(dead_letter_topic(tenant, "audit"))]


@pytest.fixture
async def rig(tmp_path: Path) -> Rig:
    rig = Rig(tmp_path)
    for tenant in TENANTS:
        await rig.audit(tenant).ensure_indexes()
    return rig


async def test_a_batch_goes_to_each_tenants_trail_and_read_model_and_the_bad_payload_alone_is_parked(
        rig: Rig) -> None:
    good = [build_stored(submitted("app-1", PERSON_A, "HTN", "2025-03-01T09:00:00+08:00")),
            build_stored(settled(PERSON_A, "H001", "2025-03", "120.00", "96.00")),
            build_stored(completed("app-1", PERSON_A, "HTN", "2025-03-04"))]
    bad = build_stored(settled(PERSON_B, "H001", "2025-03", "12x.00", "96.00"))
    other = build_stored(submitted("app-9", PERSON_B, "DM", "2025-03-02T09:00:00+08:00"), tenant="hz-p2")
    await rig.deliver(good[0], bad, other, good[1], good[2])

    trail = await rig.audit("hz-p1").all_entries()
    # the trail keeps whatever arrived, in order, the unprojectable payload too; once each, though run twice
    assert [e["event_id"] for e in trail] == [s["event_id"] for s in (good[0], bad, good[1], good[2])]
    assert verify(trail, rig.trail_keys("hz-p1")).valid
    assert [e["event_id"] for e in await rig.audit("hz-p2").all_entries()] == [other["event_id"]]

    reasons = rig.parked("hz-p1")
    assert len(reasons) == 1 and reasons[0].startswith("PoisonMessage: benefits.settled claimed")
    assert rig.parked("hz-p2") == []

    app = (await rig.model("hz-p1").all("applications"))[0]
    assert app["_id"] == "app-1" and app["submitted_on"] == "2025-03-01" and app["completed_on"] == "2025-03-04"
    benefits = await rig.model("hz-p1").all("benefits")
    assert [b["person_id"] for b in benefits] == [PERSON_A] and benefits[0]["payable_fen"] == 9600
    assert [a["_id"] for a in await rig.model("hz-p2").all("applications")] == ["app-9"]
    assert await rig.model("hz-p2").all("benefits") == []

    # redelivered (a crash before the commit): nothing changes
    before = (await rig.audit("hz-p1").all_entries(), await rig.model("hz-p1").all("applications"))
    await rig.deliver(*good, other)
    assert (await rig.audit("hz-p1").all_entries(), await rig.model("hz-p1").all("applications")) == before
    assert len(await rig.audit("hz-p2").all_entries()) == 1 and len(rig.parked("hz-p1")) == 1


async def test_one_event_alone_is_kept_then_refused_when_it_cannot_be_projected(rig: Rig) -> None:
    handle = handlers.record_batch(rig.host.context)
    bad = build(settled(PERSON_B, "H001", "2025-03", "1.00", "-"))
    with pytest.raises(PoisonMessage, match=r"benefits\.settled payable"):
        await handle("hz-p1", [bad])
    assert [e["event_id"] for e in await rig.audit("hz-p1").all_entries()] == [bad.id]
    with pytest.raises(PoisonMessage):  # again: kept once, refused again
        await handle("hz-p1", [bad])
    assert len(await rig.audit("hz-p1").all_entries()) == 1


async def test_batched_read_model_writes_leave_what_one_upsert_after_another_leaves() -> None:
    history = [build(s) for s in (
        granted("q1", PERSON_A, "HTN", "2025-01-10"), filed("q1", PERSON_A, "HTN", "2025-01-10", "F-1"),
        revoked("q1", PERSON_A, "HTN", "2025-01-10", "2025-06-30"),
        submitted("app-1", PERSON_A, "HTN", "2025-01-02T09:00:00+08:00"),
        completed("app-1", PERSON_A, "HTN", "2025-01-05"),
        settled(PERSON_A, "H001", "2025-02", "100.00", "80.00", statement="st-1"),
        settled(PERSON_A, "H001", "2025-02", "150.00", "120.00", statement="st-1"),  # the same key, later values
        concluded("app-1", PERSON_A, "HTN", "2025-01-20T10:00:00+08:00"),
        finding("f1", PERSON_B, "overpayment", "12.50", "2025-03-01T10:00:00+08:00"))]
    upserts = [u for e in history for u in project(e)]
    batched, one_by_one = MemoryStore().database("audit", "hz-p1"), MemoryStore().database("audit", "hz-p1")
    for db in (batched, one_by_one):  # documents that exist already, with fields of their own
        await db.cases.insert_one({"_id": "q1", "note": "kept", "filing_serial": "old"})
        await db.findings.insert_one({"_id": "f1", "plan_id": "plan-1", "amount_fen": 1})

    await ReadModelStore(batched).apply(upserts)
    for u in upserts:
        await one_by_one[u.collection].update_one({"_id": u.key}, {"$set": u.fields}, upsert=True)

    model: dict[str, dict[str, dict[str, Any]]] = {}
    apply(model, upserts)
    store = ReadModelStore(batched)
    # The store keeps a person's settled month under their pseudonym, not their number (readmodel/store.py).
    key_of = {store.stored_key(sealer_of(batched), u): u.key for u in upserts}
    collections = sorted({u.collection for u in upserts})
    for name in collections:
        got = [{**d, "_id": key_of.get(d["_id"], d["_id"])} for d in await store.all(name)]  # opened, as read
        want = await one_by_one[name].find({}).sort("_id", 1).to_list(None)
        assert sorted(got, key=lambda d: d["_id"]) == want, name
        for raw in await batched[name].find({}).to_list(None):  # stored: the numbers sealed, found by blind index
            assert PERSON_A not in repr(raw) and PERSON_B not in repr(raw), name
            assert "person_id" not in raw or len(raw["person_bi"]) == 64, name
    case = (await store.all("cases"))[0]
    assert case["note"] == "kept" and case["filing_serial"] == "F-1" and case["revoked_on"] == "2025-06-30"
    assert (await store.benefits(["2025-02"]))[0]["payable_fen"] == 12000
    assert (await store.all("applications"))[0] == model["applications"]["app-1"]
    assert [c["_id"] for c in await store.cases_of([PERSON_A, PERSON_B])] == ["q1"]
    assert [f["_id"] for f in await store.all("findings", None)] == ["f1"]
