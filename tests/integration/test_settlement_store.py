"""settlement's store operations on the real FerretDB (no transactions, no `$pull`, empty arrays dropped from
`$setOnInsert`): the bulk writes of the month-end path, the optimistic version checks, nested projections, the
statement guards, and the whole engine — batch, concurrent real-time visits, a resumed batch, close with its
events relayed to the real Kafka."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from chassis.bus.kafka import KafkaBus
from chassis.events import decode, topic_for
from chassis.outbox import OutboxRelay
from chassis.store.mongo import MongoStore
from services.settlement import statements
from services.settlement.engine import Settler
from services.settlement.policies import PolicyBook
from services.settlement.records import LineIn, holding_doc
from services.settlement.store import OUTBOX_COLLECTIONS, PERSONS, SettlementStore, new_person
from services.settlement.uploads import Upload

pytestmark = pytest.mark.integration
TENANTS = ("hz-p1", "hz-p2")
SAMPLE = Path(__file__).resolve().parents[2] / "programs" / "hz-chronic" / "policy-2025.yaml"


def db_of(store: MongoStore) -> Any:
    return lambda tenant: store.database("settlement", tenant)


async def test_bulk_primitives_on_ferretdb(mongo_store: MongoStore) -> None:
    s = SettlementStore(db_of(mongo_store)("hz-p1"))
    await s.ensure_indexes()
    # insert_many(ordered=False): the new ones land, duplicates are reported by index.
    assert await s.insert_many_new(PERSONS, [new_person("a", [], 0), new_person("b", [], 0)]) == []
    assert await s.insert_many_new(PERSONS, [new_person("a", [], 0), new_person("c", [], 0)]) == [0]
    c = await s.person("c")
    assert c is not None and c["holdings"] == [] and c["stmt_ids"] == []  # empty arrays kept (insert, not upsert)

    # Conditional bulk updates: only the ones whose version still matches apply; nested $set and $addToSet.
    ops = [({"_id": "a", "version": 0}, {"$set": {"accounts.2025": {"capped_paid_fen": 5},
                                                  "months.H1-2025-06": {"claimed_fen": 7, "batches": ["b1"]},
                                                  "version": 1}, "$addToSet": {"stmt_ids": "H1-2025-06"}}),
           ({"_id": "b", "version": 9}, {"$set": {"version": 10}})]
    assert await s.update_many_each(PERSONS, ops) == 1
    assert await s.update_many_each(PERSONS, ops[:1]) == 0  # the same write again finds version 1: refused
    # Nested projections and array membership queries, as the hot path reads.
    docs = await s.find_in(PERSONS, ["a", "b", "zz"], {"version": 1, "accounts.2025": 1, "months.H1-2025-06": 1})
    by_id = {d["_id"]: d for d in docs}
    assert set(by_id) == {"a", "b"}
    assert by_id["a"]["months"] == {"H1-2025-06": {"claimed_fen": 7, "batches": ["b1"]}}
    assert "holdings" not in by_id["a"] and by_id["b"]["months"] == {}
    found = [d async for d in await s.persons_of_statement("H1-2025-06")]
    assert [d["_id"] for d in found] == ["a"]

    # Holdings: one guarded $push per qualification; a redelivery adds nothing.
    h1 = holding_doc("q1", "HTN", "2025-01-02")
    assert await s.add_holdings([("b", h1), ("d", h1)]) == 2
    assert await s.add_holdings([("b", h1), ("d", h1), ("b", holding_doc("q2", "DM", "2025-02-03"))]) == 1
    b = await s.person("b")
    assert [h["qualification_id"] for h in b["holdings"]] == ["q1", "q2"] and b["version"] == 2
    assert await s.replace_holdings("b", 1, []) is False and await s.replace_holdings("b", 2, b["holdings"])

    # Upserting replacements (derived documents written again after a crash).
    await s.replace_many("claims", [{"_id": "k1", "lines": [{"payable_fen": 1}], "batch_id": "b1"}])
    await s.replace_many("claims", [{"_id": "k1", "lines": [], "batch_id": "b1"}, {"_id": "k2", "lines": []}])
    assert [d["lines"] for d in await s.find_in("claims", ["k1", "k2"])] == [[], []]

    # Statement guards: a batch in flight blocks closing; $addToSet/$pullAll (no $pull on FerretDB 1.x).
    await s.ensure_statement({"_id": "S", "status": "open", "active_batches": []})
    await s.ensure_statement({"_id": "S", "status": "open", "active_batches": []})  # idempotent
    assert await s.register_batch("S", "b1")
    assert not await s.transition("S", {"status": "open", "active_batches": []}, {"status": "closing"})
    await s.unregister_batch("S", "b1")
    assert await s.transition("S", {"status": "open", "active_batches": []}, {"status": "closing"})
    assert not await s.register_batch("S", "b2")  # no longer open


async def load_policy(book: PolicyBook, tenant: str = "hz-p1") -> None:
    _, created = await book.publish(tenant, yaml.safe_load(SAMPLE.read_text(encoding="utf-8")), "ops")
    assert created


def lines_for(person: str, prefix: str, days: list[int], disease: str, amount: str, month: str = "2025-06"
              ) -> list[LineIn]:
    out = []
    for i, d in enumerate(days):
        on = date.fromisoformat(f"{month}-{d:02d}")
        out.append(LineIn(n=i + 1, claim_id=f"{prefix}{i}", line=1, person_id=person, date=on, disease=disease,
                          amount=Decimal(amount), covered=True))
    return out


def upload_of(lines: list[LineIn], batch_id: str, institution: str = "H1", month: str = "2025-06") -> Upload:
    raw = [(ln.n, {"claim_id": ln.claim_id, "person_id": ln.person_id, "date": ln.date.isoformat(),
                   "disease": ln.disease, "amount": str(ln.amount), "covered": ln.covered, "line": ln.line})
           for ln in lines]
    return Upload(month, institution, batch_id, raw)


async def test_engine_on_ferretdb_batch_visits_resume_close_and_relay(mongo_store: MongoStore, kafka_bus: KafkaBus,
                                                                      run_id: str) -> None:
    db = db_of(mongo_store)
    store = SettlementStore(db("hz-p1"))
    await store.ensure_indexes()
    book = PolicyBook(db)
    await load_policy(book)
    settler = Settler(db, book)
    persons = [f"P{i:04d}" for i in range(60)]
    await store.add_holdings([(p, holding_doc(f"q-{p}", "HF", "2024-12-01")) for p in persons])

    # A batch of 600 lines (more than one chunk of persons), while real-time visits hit the same persons.
    batch_lines: list[LineIn] = []
    for p in persons:
        batch_lines += lines_for(p, f"{p}-b", list(range(1, 11)), "HF", "400.00")
    batch_lines = [LineIn(**{**ln.__dict__, "n": i + 1}) for i, ln in enumerate(batch_lines)]

    async def visits() -> list[dict[str, Any]]:
        out = []
        for p in persons[:20]:
            v = lines_for(p, f"{p}-v", [28], "HF", "300.00")
            doc, fresh = await settler.settle_visit("hz-p1", "H1", v[0].claim_id, p, v[0].date, v)
            assert fresh
            out.append(doc)
        return out

    (summary, created), visit_docs = await asyncio.gather(
        settler.submit_batch("hz-p1", upload_of(batch_lines, "bat-1"), "sha-1", "h1"), visits())
    assert created and summary["lines"] == 600 and summary["persons"] == 60
    # Whatever the interleaving, each account is exactly the sum of what its claims paid.
    for p in persons:
        doc = await store.person(p)
        claims = await store.claims({"person_id": p}, 0, 100)
        assert len(claims) == (11 if p in persons[:20] else 10)
        acct = doc["accounts"]["2025"]
        assert acct["capped_paid_fen"] == sum(c["payable_fen"] for c in claims)
        assert doc["months"]["H1-2025-06"]["payable_fen"] == acct["capped_paid_fen"]
        assert doc["months"]["H1-2025-06"]["claims"] == len(claims), (p, doc["months"], doc["version"])
    # The same visit again: the stored answer.
    again, fresh = await settler.settle_visit("hz-p1", "H1", visit_docs[0]["claim_id"], persons[0],
                                              date(2025, 6, 28), lines_for(persons[0], f"{persons[0]}-v", [28], "HF",
                                                                           "300.00"))
    assert not fresh and again["payable_fen"] == visit_docs[0]["payable_fen"]

    # A batch that crashed half-way: its claims written for some persons, no account updated; sent again later.
    crashed = lines_for("Q1", "c", [2, 3], "HF", "1000.00") + lines_for("Q2", "d", [2], "HF", "1000.00")
    crashed = [LineIn(**{**ln.__dict__, "n": i + 1}) for i, ln in enumerate(crashed)]
    await store.add_holdings([("Q1", holding_doc("q-Q1", "HF", "2024-12-01")),
                              ("Q2", holding_doc("q-Q2", "HF", "2024-12-01"))])
    await store.start_batch({"_id": "bat-2", "batch_id": "bat-2", "status": "processing", "lease": "old",
                             "lease_at": "2000-01-01T00:00:00+00:00", "sha256": "sha-2", "statement_id": "H1-2025-06",
                             "institution_code": "H1", "month": "2025-06", "lines": 3})
    await store.replace_many("claims", [{"_id": "H1|c0", "claim_id": "c0", "batch_id": "bat-2", "payable_fen": 999,
                                         "person_id": "Q1", "lines": []}])
    summary2, created2 = await settler.submit_batch("hz-p1", upload_of(crashed, "bat-2"), "sha-2", "h1")
    assert created2 and summary2["lines"] == 3 and summary2["claims"] == 3
    c0 = await store.claim("H1|c0")
    assert c0["payable_fen"] == 52500 and len(c0["lines"]) == 1  # recomputed: (1000 − 300 deductible) × 75%
    q1 = await store.person("Q1")
    assert q1["accounts"]["2025"]["capped_paid_fen"] == 52500 + 75000
    assert q1["months"]["H1-2025-06"]["batches"] == ["bat-2"]
    replay, created3 = await settler.submit_batch("hz-p1", upload_of(crashed, "bat-2"), "sha-2", "h1")
    assert not created3 and replay["payable"] == summary2["payable"]

    # Close: one settlements document per person with its event, the statement with its own; relay to Kafka.
    closed = await statements.close(settler, "hz-p1", "H1-2025-06", "fin")
    assert closed["persons"] == 62 and closed["claims"] == 623 and closed["status"] == "closed"
    assert await store.collection("settlements").count_documents({"_outbox_pending": 1}) == 62
    relay = OutboxRelay("settlement", mongo_store, kafka_bus, TENANTS, list(OUTBOX_COLLECTIONS),
                        topic_prefix=f"{run_id}.")
    moved = 0
    while (n := await relay.relay_once()) > 0:
        moved += n
    assert moved == 62 + 1 + 1  # benefits.settled × 62, statement.closed, policy.published
    assert await store.collection("settlements").count_documents({"_outbox_pending": {"$gt": 0}}) == 0
    consumer = kafka_bus.consumer(f"{run_id}-check", [topic_for("hz-p1", "benefits.settled", f"{run_id}."),
                                                      topic_for("hz-p1", "statement.closed", f"{run_id}.")])
    got: list[Any] = []
    try:
        for _ in range(60):
            got += await consumer.poll(0.5)
            if len(got) >= 63:
                break
    finally:
        await consumer.close()
    events = [decode(m.value) for m in got]
    settled = [e for e in events if e.type == "benefits.settled"]
    assert len(settled) == 62 and len({e.payload.person_id for e in settled}) == 62
    total = sum(Decimal(e.payload.payable) for e in settled)
    assert [e.payload.payable for e in events if e.type == "statement.closed"] == [f"{total:.2f}"]


async def test_a_person_changed_mid_batch_is_recomputed(mongo_store: MongoStore, monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Between the batch's read and its write, another replica settles a visit of one person: the conditional
    write misses that person only, who is reloaded, recomputed and written with the claims rewritten."""
    db = db_of(mongo_store)
    store = SettlementStore(db("hz-p1"))
    await store.ensure_indexes()
    book = PolicyBook(db)
    await load_policy(book)
    settler = Settler(db, book)
    other_replica = Settler(db, PolicyBook(db))  # its own locks, as another process would have
    await store.add_holdings([(p, holding_doc(f"q-{p}", "HTN", "2024-12-01")) for p in ("A", "B")])
    real = SettlementStore.update_many_each
    interfered: list[int] = []

    async def racing(self: SettlementStore, name: str, ops: Any) -> int:
        if name == PERSONS and len(ops) == 2 and not interfered:
            # A real-time visit of A lands first and pays 250.00 of A's monthly cap (900.00).
            v = lines_for("A", "vis", [1], "HTN", "312.50")
            _, fresh = await other_replica.settle_visit("hz-p1", "H1", "vis0", "A", v[0].date, v)
            interfered.append(1)
            assert fresh
        return await real(self, name, ops)

    monkeypatch.setattr(SettlementStore, "update_many_each", racing)
    batch = lines_for("A", "a", [2], "HTN", "1000.00") + lines_for("B", "b", [2], "HTN", "1000.00")
    batch = [LineIn(**{**ln.__dict__, "n": i + 1}) for i, ln in enumerate(batch)]
    summary, _ = await settler.submit_batch("hz-p1", upload_of(batch, "bat-x"), "sha-x", "h1")
    assert interfered
    a0, b0 = await store.claim("H1|a0"), await store.claim("H1|b0")
    assert b0["payable_fen"] == 80000          # 1000 × 80%, B untouched
    assert a0["payable_fen"] == 90000 - 25000  # what is left of A's 900.00 monthly cap after the visit
    a = await store.person("A")
    assert a["accounts"]["2025"]["capped_paid_fen"] == 90000 and a["version"] == 3
    assert summary["payable"] == "1450.00"


async def test_concurrent_visits_of_one_person_lose_nothing(mongo_store: MongoStore) -> None:
    """FerretDB 1.24 does not apply a conditional update atomically against concurrent connections (two
    `update_one({"version": v})` can both match, the last write winning); the per-person lock keeps one process
    correct: 40 visits at once, every one counted in the account."""
    db = db_of(mongo_store)
    store = SettlementStore(db("hz-p1"))
    await store.ensure_indexes()
    book = PolicyBook(db)
    await load_policy(book)
    settler = Settler(db, book)
    await store.add_holdings([("V", holding_doc("q-V", "MT", "2025-01-02"))])  # uncapped: every visit pays

    async def visit(i: int) -> dict[str, Any]:
        v = lines_for("V", f"v{i:02d}-", [10 + i % 15], "MT", "100.00", month="2025-03")
        doc, fresh = await settler.settle_visit("hz-p1", "H1", v[0].claim_id, "V", v[0].date, v)
        assert fresh
        return doc

    docs = await asyncio.gather(*(visit(i) for i in range(40)))
    person = await store.person("V")
    assert person["version"] == 1 + 40
    paid = person["accounts"]["2025"]["uncapped_paid_fen"]
    assert paid == sum(d["payable_fen"] for d in docs) > 0
    assert person["months"]["H1-2025-03"]["claims"] == 40 and len(person["months"]["H1-2025-03"]["visits"]) == 40
    assert person["accounts"]["2025"]["deductible_used_fen"] == 50000  # MT's 500.00, consumed exactly once
