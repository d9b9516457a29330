"""Posting through `Fund` on the in-memory store: the running figures kept with each entry and in the head document,
a back-dated entry checked against the whole year, a lagging head rebuilt from the entries (never trusted over
them), batches all or nothing, replays; and the premium read from program.yaml is the bid, never the ceiling."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from chassis.errors import Conflict, InvalidInput
from chassis.programs import load_program
from chassis.store.memory import MemoryStore
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.service import account as fd
from services.settlement.fund.service import year_end as fye

TENANT, PROGRAM, YEAR = "hz-p1", "hz-chronic", 2025


async def fresh() -> tuple[fd.Fund, Any]:
    store = MemoryStore()
    fund = fd.Fund(lambda t: store.database("settlement", t), (TENANT, "hz-p2"))
    for t in fund.served:
        await fund.store(t).ensure_indexes()
    return fund, store


async def post(fund: fd.Fund, entry: lg.Entry) -> fd.Posted:
    return await fund.post(TENANT, PROGRAM, YEAR, entry, "test")


async def docs(fund: fd.Fund) -> list[dict[str, Any]]:
    return await fund.store(TENANT).entry_docs(PROGRAM, YEAR)


async def test_each_entry_carries_its_seq_and_the_running_balances_and_the_head_follows() -> None:
    fund, _ = await fresh()
    await post(fund, lg.allocation("a1", date(2025, 1, 10), D("1000.00"), ""))
    await post(fund, lg.payment("p1", date(2025, 2, 10), D("400.00"), ""))
    await post(fund, lg.interest("i1", date(2025, 3, 21), D("1.23")))
    stored = await docs(fund)
    assert [(d["seq"], d["balances_fen"]["bank"]) for d in stored] == [(1, 100000), (2, 60000), (3, 60123)]
    assert stored[1]["balances_fen"]["benefits_paid"] == 40000 and stored[1]["balances_fen"]["fund_payable"] == -100000
    head = await fund.head(TENANT, PROGRAM, YEAR)
    assert head == lg.Head.of(await fund.book(TENANT, PROGRAM, YEAR))
    assert (head.seq, head.last_date, head.normal_balance("bank")) == (3, date(2025, 3, 21), D("601.23"))
    # Another account-year keeps its own sequence.
    await fund.post("hz-p2", PROGRAM, YEAR, lg.allocation("a1", date(2025, 1, 10), D("5.00"), ""), "test")
    assert (await fund.head("hz-p2", PROGRAM, YEAR)).seq == 1 and (await fund.head(TENANT, PROGRAM, YEAR)).seq == 3


async def test_a_back_dated_payment_is_checked_at_every_later_date_and_refused_writes_nothing() -> None:
    fund, _ = await fresh()
    await post(fund, lg.allocation("a1", date(2025, 1, 1), D("100.00"), ""))
    await post(fund, lg.payment("p1", date(2025, 5, 1), D("100.00"), ""))
    await post(fund, lg.allocation("a2", date(2025, 6, 1), D("500.00"), ""))
    # Today's balance is 500.00, but on 2025-05-01 the bank would be 50.00 short: refused.
    with pytest.raises(lg.InsufficientFunds, match=r"short by 50\.00 on 2025-05-01"):
        await post(fund, lg.payment("p0", date(2025, 2, 1), D("50.00"), ""))
    assert [d["_id"] for d in await docs(fund)] == ["a1", "p1", "a2"]
    assert (await fund.head(TENANT, PROGRAM, YEAR)).seq == 3
    # Dated after the allocation it fits; the running figures take it.
    await post(fund, lg.payment("p2", date(2025, 6, 1), D("50.00"), ""))
    assert (await fund.head(TENANT, PROGRAM, YEAR)).normal_balance("bank") == D("450.00")


async def test_a_replay_posts_once_and_an_id_reused_for_another_movement_is_a_conflict() -> None:
    fund, _ = await fresh()
    entry = lg.allocation("a1", date(2025, 1, 10), D("100.00"), "")
    assert (await post(fund, entry)).created
    again = await post(fund, entry)
    assert not again.created and again.doc["_id"] == "a1"
    with pytest.raises(Conflict) as err:
        await post(fund, lg.allocation("a1", date(2025, 1, 10), D("100.01"), ""))
    assert err.value.field == "id"
    # A replay of a payment the balance no longer covers is still a replay, not a shortfall.
    pay = lg.payment("p1", date(2025, 1, 11), D("100.00"), "")
    await post(fund, pay)
    assert not (await post(fund, pay)).created
    assert len(await docs(fund)) == 2


async def test_a_lagging_head_is_rebuilt_from_the_entries_never_trusted_over_them() -> None:
    fund, store = await fresh()
    db = store.database("settlement", TENANT)
    await post(fund, lg.allocation("a1", date(2025, 1, 10), D("100.00"), ""))
    lagging = await db[fd.LEDGER_HEADS].find_one({"_id": f"{PROGRAM}|{YEAR}"})
    await post(fund, lg.allocation("a2", date(2025, 1, 11), D("900.00"), ""))
    # A crash between an entry and its head: the head still says one entry and a bank of 100.00.
    await db[fd.LEDGER_HEADS].replace_one({"_id": lagging["_id"]}, lagging)
    # 500.00 exceeds what the lagging head shows but not the books: the refusal is confirmed afresh, and fails.
    posted = await post(fund, lg.payment("p1", date(2025, 1, 12), D("500.00"), ""))
    assert posted.doc["seq"] == 3 and posted.doc["balances_fen"]["bank"] == 50000
    await db[fd.LEDGER_HEADS].replace_one({"_id": lagging["_id"]}, lagging)
    # A posting the lagging head accepts takes a seq already used: the unique key refuses it, the head is rebuilt.
    posted = await post(fund, lg.interest("i1", date(2025, 1, 13), D("1.00")))
    assert posted.doc["seq"] == 4 and posted.doc["balances_fen"]["bank"] == 50100
    assert [d["seq"] for d in await docs(fund)] == [1, 2, 3, 4]
    assert (await fund.head(TENANT, PROGRAM, YEAR)) == lg.Head.of(await fund.book(TENANT, PROGRAM, YEAR))
    # No head document at all (books from before heads existed): built from the entries on the next posting.
    await db[fd.LEDGER_HEADS].delete_many({})
    posted = await post(fund, lg.payment("p2", date(2025, 1, 14), D("501.00"), ""))
    assert posted.doc["seq"] == 5 and (await fund.head(TENANT, PROGRAM, YEAR)).balance("bank") == 0


async def test_two_instances_posting_to_one_account_keep_one_sequence() -> None:
    fund, store = await fresh()
    other = fd.Fund(lambda t: store.database("settlement", t), (TENANT,))  # e.g. a statement payment's own Fund
    await post(fund, lg.allocation("a1", date(2025, 1, 10), D("100.00"), ""))
    await fund.book(TENANT, PROGRAM, YEAR)  # warms `fund`'s cached book
    await other.post(TENANT, PROGRAM, YEAR, lg.payment("p1", date(2025, 3, 1), D("60.00"), ""), "other")
    # Back-dated: checked against the whole book, which `fund` must re-read (its cache is one entry short).
    with pytest.raises(lg.InsufficientFunds, match=r"short by 10\.00 on 2025-03-01"):
        await post(fund, lg.payment("p0", date(2025, 2, 1), D("50.00"), ""))
    assert [d["seq"] for d in await docs(fund)] == [1, 2]


async def test_the_sequence_is_unique_per_account_year() -> None:
    fund, store = await fresh()
    await post(fund, lg.allocation("a1", date(2025, 1, 10), D("100.00"), ""))
    doc = {**(await docs(fund))[0], "_id": "forged"}
    with pytest.raises(DuplicateKeyError):
        await store.database("settlement", TENANT)[fd.LEDGER_ENTRIES].insert_one(doc)


async def test_a_batch_is_all_or_nothing_and_a_replayed_batch_posts_nothing_more() -> None:
    fund, _ = await fresh()
    await post(fund, lg.allocation("a1", date(2025, 1, 10), D("100.00"), ""))
    batch = [(lg.payment(f"p{i}", date(2025, 1, 28), D("30.00"), ""), {"month": "2025-01"}) for i in range(4)]
    with pytest.raises(lg.InsufficientFunds, match=r"short by 20\.00"):
        await fund.post_many(TENANT, PROGRAM, YEAR, batch, "test")
    assert [d["_id"] for d in await docs(fund)] == ["a1"]
    out = await fund.post_many(TENANT, PROGRAM, YEAR, batch[:3], "test")
    assert [p.created for p in out] == [True] * 3 and out[2].doc["balances_fen"]["bank"] == 1000
    assert out[0].doc["month"] == "2025-01" and "_outbox" not in out[0].doc
    # Replayed, and with one new entry after the replays: only the new one is written.
    more = [*batch[:3], (lg.interest("i1", date(2025, 1, 31), D("0.50")), None)]
    out = await fund.post_many(TENANT, PROGRAM, YEAR, more, "test")
    assert [p.created for p in out] == [False, False, False, True] and out[3].doc["seq"] == 5
    assert [d["seq"] for d in await docs(fund)] == [1, 2, 3, 4, 5]
    # A back-dated entry in a batch is checked against the whole book.
    with pytest.raises(lg.InsufficientFunds, match="on 2025-01-28"):
        await fund.post_many(TENANT, PROGRAM, YEAR, [(lg.payment("late", date(2025, 1, 20), D("10.01"), ""),
                                                      None)], "test")
    with pytest.raises(InvalidInput) as err:
        await fund.post_many(TENANT, PROGRAM, YEAR, [batch[0], batch[0]], "test")
    assert err.value.field == "id"
    assert (await fund.head(TENANT, PROGRAM, YEAR)) == lg.Head.of(await fund.book(TENANT, PROGRAM, YEAR))


async def test_a_closed_year_takes_no_posting_but_answers_a_replay() -> None:
    fund, _ = await fresh()
    entry = lg.allocation("a1", date(2025, 1, 10), D("100.00"), "")
    await post(fund, entry)
    closing = {"_id": f"{PROGRAM}|{YEAR}", "program": PROGRAM, "year": YEAR, "status": "closed"}
    assert await fund.store(TENANT).insert_fund_year(closing, [])
    assert (await fund.store(TENANT).head_doc(PROGRAM, YEAR))["closed"] is True
    assert not (await post(fund, entry)).created
    with pytest.raises(Conflict, match="closed"):
        await post(fund, lg.interest("i1", date(2025, 2, 1), D("1.00")))
    with pytest.raises(Conflict, match="closed"):
        await fund.post_many(TENANT, PROGRAM, YEAR, [(lg.interest("i1", date(2025, 2, 1), D("1.00")), None)], "t")


# ---- the premium of a corridor program is the bid -----------------------------------------------------------------


def test_the_quzhou_premium_is_the_bid_times_the_insured_not_the_ceiling() -> None:
    program = load_program("qz-critical")
    fd.validate_finance(program)
    years = fd.premium_years(program)
    assert [(y, r.ceiling, r.bid) for y, r in years.items()] == [
        (2025, D("149.00"), D("142.50")), (2026, D("153.47"), D("146.78")), (2027, D("158.07"), D("151.18"))]
    total, per_person, persons = fd.premium_total(program, 2026)
    assert (per_person, persons, total) == (D("146.78"), 2257900, D("146.78") * 2257900)
    assert fd.budget_of(program, 2025) == D("142.50") * 2257900  # the allocations' limit: the bid premium
    with pytest.raises(InvalidInput) as err:
        fd.premium_total(program, 2028)
    assert err.value.field == "year"


def with_premium(**premium: Any) -> Any:
    program = load_program("qz-critical")
    finance = {**program.settings["finance"], "premium": {**program.settings["finance"]["premium"], **premium}}
    return dataclasses.replace(program, settings={**program.settings, "finance": finance})


@pytest.mark.parametrize("premium, field", [
    ({"bids": {2025: "142.50", 2026: "153.48", 2027: "151.18"}}, "finance.premium.bids.2026"),
    ({"bids": {2025: "142.50", 2027: "151.18"}}, "finance.premium.bids.2026"),
    ({"bids": {2025: "142.50", 2026: "146.78", 2027: "151.18", 2028: "151.18"}}, "finance.premium.bids.2028"),
    ({"bids": {2025: "142.505", 2026: "146.78", 2027: "151.18"}}, "finance.premium.bids.2025"),
    ({"bids": None}, "finance.premium.bids"),
    ({"ceiling": "abc"}, "finance.premium.ceiling"),
])
def test_a_bid_above_its_ceiling_or_missing_stops_the_program_naming_the_field(premium: dict[str, Any],
                                                                              field: str) -> None:
    program = with_premium(**premium)
    with pytest.raises(InvalidInput) as err:
        fd.validate_finance(program)
    assert err.value.field == field
    with pytest.raises(InvalidInput):
        fd.premium_total(program, 2025)


# ---- a carrier-caused loss at year end, through the books ---------------------------------------------------------


def books_of(extra_paid: D, liability: D) -> dict[str, lg.Book]:
    out = {}
    # Budget 400.00, 300.00 allocated 6:4, 500.00 paid 6:4: a deficit of 100.00 (fees first, then 3 : 7).
    for t, allocated, paid in (("hz-p1", D("180.00"), D("300.00")), ("hz-p2", D("120.00"), D("200.00"))):
        b = lg.Book(t, PROGRAM, YEAR)
        b.post(lg.allocation("a", date(2025, 1, 10), allocated, ""))
        b.post(lg.advance("adv", date(2025, 1, 11), D("500.00")))
        b.post(lg.payment("p", date(2025, 6, 1), paid, ""))
        if t == "hz-p1" and extra_paid:
            b.post(lg.payment("p-lax", date(2025, 6, 2), extra_paid, "审核不严"))
            b.post(lg.carrier_liability("cl", date(2025, 9, 1), liability, reference="F-1"))
        out[t] = b
    return out


def test_the_year_end_through_the_books_shares_the_same_deficit_with_or_without_the_carriers_loss() -> None:
    program = load_program(PROGRAM)
    body: dict[str, Any] = {}
    clean, _ = fye._deficit_sharing(program, ("hz-p1", "hz-p2"), YEAR, books_of(D(0), D(0)), body, D("400.00"))
    lax, rows = fye._deficit_sharing(program, ("hz-p1", "hz-p2"), YEAR, books_of(D("75.00"), D("75.00")), body,
                                    D("400.00"))
    same = ("outcome", "result", "total_reimbursement", "fee_deductions", "fund_part", "carriers_part")
    assert [lax[k] for k in same] == [clean[k] for k in same] and clean["outcome"] == "deficit"
    movements, p1 = rows["hz-p1"]
    assert (p1["carrier_liability"], p1["paid"]) == ("75.00", "375.00")
    assert D(p1["carrier_bears_in_all"]) == D(p1["carrier_share"]) + D("75.00")
    assert rows["hz-p2"][1]["carrier_liability"] == "0.00"
    assert movements["carrier_liability"] == D("75.00") and sum(movements.values()) == 0
    # Reasons as data beside the sentences: the summary's, the fee's and the account's.
    assert [r["code"] for r in lax["reason_codes"]] == ["year_result", "deficit_from_fees", "deficit_split"]
    assert lax["reasons"] == [r["detail"] for r in lax["reason_codes"]]
    assert [r["code"] for r in lax["total_reimbursement_reason_codes"]] == ["total_from_books"]
    assert p1["service_fee"]["reason_codes"][0]["code"] == "service_fee"
    assert [r["code"] for r in p1["reason_codes"]] == ["fee_deduction", "carrier_deficit", "deficit_settlement",
                                                       "carrier_liability"]
    assert [r["code"] for r in rows["hz-p2"][1]["reason_codes"]] == ["fee_deduction", "carrier_deficit",
                                                                     "deficit_settlement"]


async def test_a_close_that_crashed_before_its_year_document_still_refuses_postings() -> None:
    fund, store = await fresh()
    db = store.database("settlement", TENANT)
    await post(fund, lg.allocation("a1", date(2025, 1, 10), D("100.00"), ""))
    # The head marked closed, the year's document never written (a crash between the two).
    await db[fd.LEDGER_HEADS].update_one({"_id": f"{PROGRAM}|{YEAR}"}, {"$set": {"closed": True}})
    with pytest.raises(Conflict, match="closed"):
        await post(fund, lg.interest("i1", date(2025, 2, 1), D("1.00")))
    # Later postings keep the mark: the figures are updated, `closed` is left alone.
    await post(fund, lg.year_end_entry("ye", date(2026, 1, 15), {"fund_payable": D("100.00"), "bank": D("-100.00")},
                                       "决算"))
    assert (await fund.store(TENANT).head_doc(PROGRAM, YEAR))["closed"] is True
    # Books closed before heads existed (a year document, no head): refused too, and the head written closed.
    other = await fresh()
    await other[0].store(TENANT).insert_fund_year({"_id": f"{PROGRAM}|{YEAR}", "program": PROGRAM, "year": YEAR}, [])
    await other[1].database("settlement", TENANT)[fd.LEDGER_HEADS].delete_many({})
    with pytest.raises(Conflict, match="closed"):
        await other[0].post(TENANT, PROGRAM, YEAR, lg.interest("i1", date(2025, 2, 1), D("1.00")), "test")


async def test_an_id_used_in_another_years_books_is_a_conflict_naming_it() -> None:
    fund, _ = await fresh()
    await fund.post(TENANT, PROGRAM, 2026, lg.allocation("a1", date(2026, 1, 10), D("100.00"), ""), "test")
    with pytest.raises(Conflict) as err:
        await post(fund, lg.allocation("a1", date(2025, 1, 10), D("100.00"), ""))
    assert err.value.field == "id"
    with pytest.raises(Conflict) as err:
        await fund.post_many(TENANT, PROGRAM, YEAR, [(lg.allocation("a0", date(2025, 1, 9), D("1.00"), ""), None),
                                                     (lg.allocation("a1", date(2025, 1, 10), D("1.00"), ""), None)],
                             "test")
    assert err.value.field == "id"
    # The batch's first entry went in before the duplicate stopped the insert: whole, and in the running figures.
    assert [d["_id"] for d in await docs(fund)] == ["a0"]
    assert (await fund.store(TENANT).head_doc(PROGRAM, YEAR))["seq"] == 1
    assert (await fund.head(TENANT, PROGRAM, YEAR)) == lg.Head.of(await fund.book(TENANT, PROGRAM, YEAR))


async def test_books_posted_before_heads_get_theirs_once_and_new_books_read_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    db = store.database("settlement", TENANT)
    legacy = [lg.allocation("a1", date(2025, 1, 10), D("100.00"), ""), lg.payment("p1", date(2025, 2, 1),
                                                                                  D("30.00"), "")]
    for seq, e in enumerate(legacy, 1):  # as the previous version stored them: no running figures, no head
        await db[fd.LEDGER_ENTRIES].insert_one({"_id": e.id, "tenant": TENANT, "program": PROGRAM, "year": YEAR,
                                                "date": e.date.isoformat(), "kind": e.kind, "memo": "", "seq": seq,
                                                "postings": fd._posting_docs(e), "amount_fen": fd.to_fen(e.amount),
                                                "reverses": "", "reference": ""})
    await db[fd.FUND_YEARS].insert_one({"_id": f"{PROGRAM}|2024", "program": PROGRAM, "year": 2024})
    fund = fd.Fund(lambda t: store.database("settlement", t), (TENANT,))
    await fund.store(TENANT).ensure_indexes()
    assert (await fund.store(TENANT).head_doc(PROGRAM, YEAR))["balances_fen"]["bank"] == 7000
    assert (await fund.store(TENANT).head_doc(PROGRAM, 2024))["closed"] is True  # closed with no entry
    with pytest.raises(Conflict, match="closed"):
        await fund.post(TENANT, PROGRAM, 2024, lg.interest("i0", date(2024, 5, 1), D("1.00")), "test")
    reads: list[int] = []
    original = fd.FundStore.entry_docs

    async def counted(self: fd.FundStore, program: str, year: int) -> list[dict[str, Any]]:
        reads.append(year)
        return await original(self, program, year)

    monkeypatch.setattr(fd.FundStore, "entry_docs", counted)
    posted = await fund.post(TENANT, PROGRAM, YEAR, lg.payment("p2", date(2025, 3, 1), D("70.00"), ""), "test")
    assert posted.doc["seq"] == 3 and posted.doc["balances_fen"]["bank"] == 0
    await fund.post(TENANT, PROGRAM, 2026, lg.allocation("n1", date(2026, 1, 5), D("5.00"), ""), "test")
    assert reads == []  # neither the old year nor a new one was read whole to post
    await fund.store(TENANT).ensure_indexes()  # once done, never again
    assert reads == []


async def test_the_premium_paid_in_may_reach_the_bid_premium_not_the_ceilings() -> None:
    fd.validate_served(("qz-ci", "hz-p1", "hz-p2"))  # the shipped programs start
    store = MemoryStore()
    fund = fd.Fund(lambda t: store.database("settlement", t), ("qz-ci",))
    await fund.store("qz-ci").ensure_indexes()
    program = load_program("qz-critical")
    bid_premium = D("142.50") * 2257900   # 321,750,750.00; at the ceiling it would be 336,427,100.00
    with pytest.raises(InvalidInput) as err:
        await fund.allocate(program, ("qz-ci",), "QZ-1", 2025, "initial", bid_premium + D("0.01"), date(2025, 1, 5),
                            "agency")
    assert err.value.field == "amount" and f"{bid_premium:.2f}" in err.value.message
    out = await fund.allocate(program, ("qz-ci",), "QZ-1", 2025, "initial", bid_premium, date(2025, 1, 5), "agency")
    assert [e["amount"] for e in out["entries"]] == [f"{bid_premium:.2f}"]
