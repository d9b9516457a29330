"""settlement's store operations on the real FerretDB 1.24 (no transactions, no `$pull`, updates neither atomic
against other connections nor indexed): unordered bulk inserts with duplicates reported, per-statement claims,
the statement guards, person versions as an insert-decided compare-and-set, and the whole engine — a batch with
concurrent real-time visits, an interrupted batch resumed, a conflict with another process, close with its events
relayed to the real Kafka."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from chassis.bus.kafka import KafkaBus
from chassis.errors import Conflict
from chassis.events import decode, topic_for
from chassis.keys import MemoryKeyProvider
from chassis.outbox import OutboxRelay
from chassis.pii import Sealer, with_sealer
from chassis.store.mongo import MongoStore
from contracts.v1 import events_pb2
from services.settlement.chronic.domain.records import LineIn, holding_doc
from services.settlement.chronic.domain.uploads import Upload
from services.settlement.chronic.service import statements
from services.settlement.chronic.service.settler import Settler
from services.settlement.chronic.store import OUTBOX_COLLECTIONS, SettlementStore
from services.settlement.chronic.store.person_book import PersonBook
from services.settlement.policies.service import PolicyBook
from services.settlement.policies.store import OUTBOX_COLLECTIONS as POLICY_OUTBOX
from services.settlement.review import service as review
from services.settlement.review.store import ReviewStore

pytestmark = pytest.mark.integration
TENANTS = ("hz-p1", "hz-p2")
SAMPLE = Path(__file__).resolve().parents[2] / "programs" / "hz-chronic" / "policy-2025.yaml"


KEYS = MemoryKeyProvider()  # the stores seal identity numbers (chassis/pii.py): one set of keys for the module


def db_of(store: MongoStore) -> Any:
    return lambda tenant: with_sealer(store.database("settlement", tenant), Sealer(KEYS, tenant))


def stored_claim(claim_id: str, person: str, batch_id: str = "b1", source: str = "batch", payable_fen: int = 80,
                 n_lines: int = 1) -> dict[str, Any]:
    """A claim as the engine stores it (records.claim_doc's shape)."""
    lines = [{"line": i + 1, "disease": "HTN", "amount_fen": 100, "covered": True, "item_code": "", "description": "",
              "payable_fen": payable_fen, "deductible_fen": 0, "reasons": []} for i in range(n_lines)]
    return {"_id": f"H1|{claim_id}", "claim_id": claim_id, "person_id": person, "date": "2025-06-03",
            "batch_id": batch_id, "source": source, "policy_version": "v", "claimed_fen": 100 * n_lines,
            "payable_fen": payable_fen * n_lines, "line_count": n_lines, "lines": lines}


async def test_store_primitives_on_ferretdb(mongo_store: MongoStore) -> None:
    s = SettlementStore(db_of(mongo_store)("hz-p1"))
    await s.ensure_indexes()
    sid = "H1-2025-06"
    # Claims are stored as flat lines; insert_many(ordered=False) lands the new ones and reports duplicates.
    assert await s.insert_claims(sid, [stored_claim("a", "P", n_lines=2), stored_claim("b", "Q")]) == []
    assert await s.insert_claims(sid, [stored_claim("a", "P", "b2"), stored_claim("c", "R", "", "visit")]) == [0]
    assert await s.count_claim_lines(sid) == 4
    a = await s.claim(sid, "H1|a")
    assert a is not None and [ln["line"] for ln in a["lines"]] == [1, 2] and a["claimed_fen"] == 200
    assert a["lines"][0]["reasons"] == []  # empty arrays kept (insert, not an upsert)
    # One pass over the statement's own lines answers which claims are stored; other statements are not read.
    assert sorted(await s.claim_keys(sid, ["H1|a", "H1|c", "H1|zz"])) == ["H1|a", "H1|c"]
    assert await s.claim_keys("H1-2025-07", ["H1|a"]) == {}
    assert [c["claim_id"] for c in await s.claims(sid, {"person_id": "P"}, 0, 10)] == ["a"]
    # The repair path writes a claim anew; deletes by batch and person.
    await s.replace_claims(sid, [stored_claim("a", "P", payable_fen=7)])
    a = await s.claim(sid, "H1|a")
    assert a is not None and a["line_count"] == 1 and a["payable_fen"] == 7
    await s.delete_batch_claims(sid, "b1", ["P"])
    assert await s.claim(sid, "H1|a") is None and await s.claim(sid, "H1|b") is not None

    # Statement guards: a batch in flight blocks closing; $addToSet/$pullAll (no $pull on FerretDB 1.x).
    await s.ensure_statement({"_id": "S", "status": "open", "active_batches": []})
    await s.ensure_statement({"_id": "S", "status": "open", "active_batches": []})  # idempotent
    assert await s.register_batch("S", "b1")
    assert not await s.transition("S", {"status": "open", "active_batches": []}, {"status": "closing"})
    await s.unregister_batch("S", "b1")
    assert await s.transition("S", {"status": "open", "active_batches": []}, {"status": "closing"})
    assert not await s.register_batch("S", "b2")  # no longer open


async def test_person_versions_are_an_atomic_compare_and_set(mongo_store: MongoStore) -> None:
    """Two processes (two books) write the same next version at once: the insert lets exactly one win, on FerretDB
    too (whose conditional updates are not atomic); the loser reloads and sees the winner's state."""
    db = db_of(mongo_store)
    a, b = PersonBook(db), PersonBook(db)
    await a.ensure_indexes("hz-p1")
    for _ in range(20):
        sa, sb = await a.get("hz-p1", "X"), await b.get("hz-p1", "X")
        lost = await asyncio.gather(a.save("hz-p1", [sa.next(holdings=[*sa.holdings, {"by": "a"}])], "a"),
                                    b.save("hz-p1", [sb.next(holdings=[*sb.holdings, {"by": "b"}])], "b"))
        assert sorted(len(x) for x in lost) == [0, 1]  # exactly one writer won the version
    final_a, final_b = await a.get("hz-p1", "X"), await b.get("hz-p1", "X")
    assert final_a.version == final_b.version == 20 and len(final_a.holdings) == 20
    fresh = PersonBook(db)  # a restarted process reads the latest versions back
    assert (await fresh.get("hz-p1", "X")).holdings == final_a.holdings


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


def grant_all(holdings: dict[str, tuple[str, str]]) -> dict[str, Any]:
    return {p: (lambda hs, p=p, d=d: [*hs, holding_doc(f"q-{p}", d[0], d[1])]) for p, d in holdings.items()}


async def test_engine_on_ferretdb_batch_visits_resume_close_and_relay(mongo_store: MongoStore, kafka_bus: KafkaBus,
                                                                      run_id: str) -> None:
    db = db_of(mongo_store)
    store = SettlementStore(db("hz-p1"))
    await store.ensure_indexes()
    policies = PolicyBook(db)
    await load_policy(policies)
    settler = Settler(db, policies)
    sid = "H1-2025-06"
    persons = [f"P{i:04d}" for i in range(60)]
    await settler.change_holdings("hz-p1", grant_all({p: ("HF", "2024-12-01") for p in persons}), "test")

    # A batch of 600 lines, while real-time visits hit the same persons.
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
    # Whatever the interleaving, each account is exactly the sum of what its claims paid; a restarted process
    # (a fresh book) reads the same.
    restarted = PersonBook(db)
    for p in persons:
        claims = await store.claims(sid, {"person_id": p}, 0, 100)
        assert len(claims) == (11 if p in persons[:20] else 10)
        state = await restarted.get("hz-p1", p)
        assert state.accounts["2025"]["capped_paid_fen"] == sum(c["payable_fen"] for c in claims)
        assert state.version == (1 + 1 + (1 if p in persons[:20] else 0))
    # The same visit again: the stored answer.
    again, fresh = await settler.settle_visit("hz-p1", "H1", visit_docs[0]["claim_id"], persons[0],
                                              date(2025, 6, 28), lines_for(persons[0], f"{persons[0]}-v", [28], "HF",
                                                                           "300.00"))
    assert not fresh and again["payable_fen"] == visit_docs[0]["payable_fen"]

    # A batch interrupted half-way: a claim stored for Q1, nobody applied; sent again later, it finishes.
    crashed = lines_for("Q1", "c", [2, 3], "HF", "1000.00") + lines_for("Q2", "d", [2], "HF", "1000.00")
    crashed = [LineIn(**{**ln.__dict__, "n": i + 1}) for i, ln in enumerate(crashed)]
    await settler.change_holdings("hz-p1", grant_all({"Q1": ("HF", "2024-12-01"), "Q2": ("HF", "2024-12-01")}), "t")
    await store.start_batch({"_id": "bat-2", "batch_id": "bat-2", "status": "processing", "lease": "old",
                             "lease_at": "2000-01-01T00:00:00+00:00", "sha256": "sha-2", "statement_id": sid,
                             "institution_code": "H1", "month": "2025-06", "lines": 3})
    await store.insert_claims(sid, [stored_claim("c0", "Q1", "bat-2", payable_fen=999)])
    summary2, created2 = await settler.submit_batch("hz-p1", upload_of(crashed, "bat-2"), "sha-2", "h1")
    assert created2 and summary2["lines"] == 3 and summary2["claims"] == 3
    c0 = await store.claim(sid, "H1|c0")
    assert c0["payable_fen"] == 52500 and len(c0["lines"]) == 1  # recomputed: (1000 − 300 deductible) × 75%
    q1 = await settler.book.get("hz-p1", "Q1")
    assert q1.accounts["2025"]["capped_paid_fen"] == 52500 + 75000 and q1.months[sid]["batches"] == ["bat-2"]
    replay, created3 = await settler.submit_batch("hz-p1", upload_of(crashed, "bat-2"), "sha-2", "h1")
    assert not created3 and replay["payable"] == summary2["payable"]
    # A visit whose person version was never written (interrupted): its claim is left out of the totals.
    await store.insert_claims(sid, [stored_claim("orphan", "Q2", "", "visit")])

    # Smart review (智能审核) answers every staged part of both batches with nothing held, as audit would
    # (claim_review.completed): before that the statement cannot close.
    with pytest.raises(Conflict) as pending:
        await statements.close(settler, "hz-p1", sid, "fin")
    assert pending.value.code == "review_pending" and pending.value.params["pending_batches"] == "2"
    review_db = settler.db_of("hz-p1")
    for batch_id in await ReviewStore(review_db).pending_batches(sid):
        for part in await ReviewStore(review_db).parts_of_batch(batch_id):
            assert await review.review_completed(review_db, events_pb2.ClaimReviewCompleted(
                batch_id=batch_id, part=part["part"], parts=part["parts"], source=part["source"],
                institution_id=part["institution_code"], month=part["month"], rule_set_version="test.1"))

    # Close: settlements documents carry one benefits.settled per person, the statement its own; relay to Kafka.
    closed = await statements.close(settler, "hz-p1", sid, "fin")
    assert (closed["persons"], closed["claims"], closed["status"]) == (62, 623, "closed")
    assert closed["unapplied_claims"] == 1
    docs = await store.settlements_of(sid)
    assert sum(d["_outbox_pending"] for d in docs) == 62 and all(len(d["_outbox"]) <= 200 for d in docs)
    relay = OutboxRelay("settlement", mongo_store, kafka_bus, TENANTS, [*POLICY_OUTBOX, *OUTBOX_COLLECTIONS],
                        topic_prefix=f"{run_id}.")
    moved = 0
    while (n := await relay.relay_once()) > 0:
        moved += n
    assert moved == 62 + 1 + 1  # benefits.settled × 62, statement.closed, policy.published
    assert await store.settlements_pending() == 0
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


async def test_a_person_changed_by_another_process_mid_batch_is_recomputed(
        mongo_store: MongoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the batch's computation and its write, another process settles a visit of one person: the insert of
    that person's next version fails, the person is reloaded, recomputed and written with the claim rewritten."""
    db = db_of(mongo_store)
    store = SettlementStore(db("hz-p1"))
    await store.ensure_indexes()
    policies = PolicyBook(db)
    await load_policy(policies)
    settler = Settler(db, policies)
    other_process = Settler(db, PolicyBook(db))  # its own memory and locks
    await settler.change_holdings("hz-p1", grant_all({"A": ("HTN", "2024-12-01"), "B": ("HTN", "2024-12-01")}), "t")
    await other_process.book.warm("hz-p1")
    real = PersonBook.save
    interfered: list[int] = []

    async def racing(self: PersonBook, tenant: str, states: Any, cause: str) -> list[str]:
        if self is settler.book and cause == "batch bat-x" and not interfered:
            # A real-time visit of A lands first and pays 250.00 of A's monthly cap (900.00).
            v = lines_for("A", "vis", [1], "HTN", "312.50")
            interfered.append(1)
            _, fresh = await other_process.settle_visit("hz-p1", "H1", "vis0", "A", v[0].date, v)
            assert fresh
        return await real(self, tenant, states, cause)

    monkeypatch.setattr(PersonBook, "save", racing)
    batch = lines_for("A", "a", [2], "HTN", "1000.00") + lines_for("B", "b", [2], "HTN", "1000.00")
    batch = [LineIn(**{**ln.__dict__, "n": i + 1}) for i, ln in enumerate(batch)]
    summary, _ = await settler.submit_batch("hz-p1", upload_of(batch, "bat-x"), "sha-x", "h1")
    assert interfered
    sid = "H1-2025-06"
    a0, b0 = await store.claim(sid, "H1|a0"), await store.claim(sid, "H1|b0")
    assert b0["payable_fen"] == 80000          # 1000 × 80%, B untouched
    assert a0["payable_fen"] == 90000 - 25000  # what is left of A's 900.00 monthly cap after the visit
    a = await PersonBook(db).get("hz-p1", "A")
    assert a.accounts["2025"]["capped_paid_fen"] == 90000 and a.version == 3
    assert summary["payable"] == "1450.00"


async def test_concurrent_visits_of_one_person_lose_nothing(mongo_store: MongoStore) -> None:
    """40 visits of one person at once: every one counted in the account, the deductible consumed once."""
    db = db_of(mongo_store)
    store = SettlementStore(db("hz-p1"))
    await store.ensure_indexes()
    policies = PolicyBook(db)
    await load_policy(policies)
    settler = Settler(db, policies)
    await settler.change_holdings("hz-p1", grant_all({"V": ("MT", "2025-01-02")}), "t")  # uncapped: every visit pays

    async def visit(i: int) -> dict[str, Any]:
        v = lines_for("V", f"v{i:02d}-", [10 + i % 15], "MT", "100.00", month="2025-03")
        doc, fresh = await settler.settle_visit("hz-p1", "H1", v[0].claim_id, "V", v[0].date, v)
        assert fresh
        return doc

    docs = await asyncio.gather(*(visit(i) for i in range(40)))
    person = await PersonBook(db).get("hz-p1", "V")
    assert person.version == 1 + 40
    assert person.accounts["2025"]["uncapped_paid_fen"] == sum(d["payable_fen"] for d in docs) > 0
    assert len(person.months["H1-2025-03"]["visits"]) == 40
    assert person.accounts["2025"]["deductible_used_fen"] == 50000  # MT's 500.00, consumed exactly once
