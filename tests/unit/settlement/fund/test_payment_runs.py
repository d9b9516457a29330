"""Payment runs (批量支付) on the in-memory store: a month of critical-illness statements and payables to persons paid
at once, booked as one batch — refused whole naming the run's shortfall, nothing written; a retry pays only what is
not yet paid; a crash between the writes is finished by the next run, the entries keeping their value date; a
statement paid by a run is refused by the single endpoint as paid; the relay is waited for once, for the run's
statements, before anything is written. Also: the run's request (bad month or ids name the field), `post_payments`
across fund years, and the Quzhou corridor leaving the carrier's own losses out of the claims."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.locks import KeyedLocks
from chassis.programs import load_program
from chassis.store.memory import MemoryStore
from services.settlement.critical.service.statements import CriticalStatements
from services.settlement.critical.store import PAYMENTS, PERSON_PAYABLES, STATEMENTS, CriticalStore
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.service import account as fd
from services.settlement.fund.service import payment_runs as runs
from services.settlement.fund.service import year_end as fye

T, PROGRAM = "qz-ci", "qz-critical"
YEAR = today_cn().year - 1          # last year's books take payments dated today
MONTH, NEXT = f"{YEAR}-03", f"{YEAR}-04"
ACCOUNT = {"bank_name": "中国农业银行衢州分行", "account_name": "王建国", "account_no": "6228480012345678"}


class Rig:
    def __init__(self) -> None:
        self.mem = MemoryStore()
        self.kicks = 0
        self.on_kick: Any = None
        self.finance = CriticalStatements(lambda t: CriticalStore(self.mem.database("settlement", t)), KeyedLocks(),
                                          self.kick, fd.Fund(lambda t: self.mem.database("settlement", t), (),
                                                             lambda: self.kick()))

    def kick(self) -> None:
        self.kicks += 1
        if self.on_kick is not None:
            self.on_kick()

    def db(self) -> Any:
        return self.mem.database("settlement", T)

    async def start(self) -> Rig:
        await fd.FundStore(self.db()).ensure_indexes()
        await CriticalStore(self.db()).ensure_indexes()
        return self

    async def statement(self, institution: str, month: str, payable_fen: int, status: str = "reconciled",
                        pending: int = 0) -> str:
        sid = f"CI-{institution}-{month}"
        await self.db()[STATEMENTS].insert_one({
            "_id": sid, "statement_id": sid, "institution_code": institution, "month": month, "seq": 1,
            "status": status, "lines": [], "line_count": 1, "_outbox": [{"event_id": f"e-{sid}"}] * pending,
            "_outbox_pending": pending, "totals": {"payable_fen": payable_fen, "claimed_fen": payable_fen * 2,
                                                   "claims": 1, "persons": 1, "policy_versions": ["2025.1"]}})
        return sid

    async def payable(self, claim: str, month: str, amount_fen: int, account: dict[str, str] | None = ACCOUNT) -> str:
        pid = f"PP-{claim}"
        await self.db()[PERSON_PAYABLES].insert_one({
            "_id": pid, "payable_id": pid, "claim_id": claim, "person_id": "P-" + claim, "date": f"{month}-05",
            "month": month, "year": int(month[:4]), "amount_fen": amount_fen, "insutype": "390", "status": "unpaid",
            "bank_account": account})
        return pid

    async def fund_in(self, amount: str, entry_id: str = "alloc-1") -> None:
        await self.finance.ledger.post(T, PROGRAM, YEAR, lg.allocation(entry_id, date(YEAR, 1, 5), D(amount), "拨付"),
                                       "agency")

    async def entries(self) -> list[dict[str, Any]]:
        return await fd.FundStore(self.db()).entry_docs(PROGRAM, YEAR)

    async def status(self, collection: str, doc_id: str) -> str:
        return (await self.db()[collection].find_one({"_id": doc_id}))["status"]


def month_run(month: str = MONTH) -> runs.RunRequest:
    return runs.RunRequest(month)


async def test_a_month_is_paid_in_one_batch_refused_whole_when_short_and_a_retry_pays_nothing_more() -> None:
    rig = await Rig().start()
    a = await rig.statement("H330802001", MONTH, 600_00)
    b = await rig.statement("P330802101", MONTH, 300_00)
    closed = await rig.statement("H330802002", MONTH, 999_00, status="closed")
    other_month = await rig.statement("H330802001", NEXT, 50_00)
    person = await rig.payable("M-1", MONTH, 100_00)
    no_account = await rig.payable("M-2", MONTH, 40_00, account=None)
    await rig.fund_in("500.00")
    # 1,000.00 due against 500.00 in the bank: the run is refused whole, naming its own shortfall.
    with pytest.raises(lg.InsufficientFunds) as err:
        await rig.finance.pay_run(T, month_run(), "fin-1")
    assert err.value.field == "amount" and "short by 500.00" in err.value.message
    assert "needs 1000.00" in err.value.message and "3 payment(s)" in err.value.message
    assert err.value.params == {"short": "500.00", "needed": "1000.00", "balance": "500.00", "account": "bank",
                                "account_name": "专户存款", "tenant": T, "year": str(YEAR)}
    assert [d["_id"] for d in await rig.entries()] == ["alloc-1"]
    assert await rig.db()[PAYMENTS].count_documents({}) == 0
    assert [await rig.status(STATEMENTS, s) for s in (a, b)] == ["reconciled", "reconciled"]

    await rig.fund_in("500.00", "alloc-2")
    out = await rig.finance.pay_run(T, month_run(), "fin-1")
    assert (out["count"], out["amount"], out["entries_posted"], out["replayed"]) == (3, "1000.00", 3, False)
    assert [p["payment_id"] for p in out["paid"]] == [f"PAY-{a}", f"PAY-{b}", f"PAY-{person}"]
    assert {p["payment_id"]: p["payee"] for p in out["paid"]}[f"PAY-{person}"] == "person"
    assert ACCOUNT["account_no"] not in str(out)  # the person's account only masked
    assert out["skipped"] == [{"id": closed, "status": "closed", "reason": runs.NOT_RECONCILED},
                              {"id": no_account, "status": "unpaid", "reason": runs.NO_BANK_ACCOUNT}]
    entries = await rig.entries()
    assert [(e["_id"], e["kind"], e["amount_fen"], e["seq"]) for e in entries[2:]] == [
        (f"payment:PAY-{a}", "payment", 600_00, 3), (f"payment:PAY-{b}", "payment", 300_00, 4),
        (f"payment:PAY-{person}", "payment", 100_00, 5)]
    assert entries[-1]["balances_fen"]["bank"] == 0 and entries[2]["reference"] == f"PAY-{a}"
    assert [await rig.status(STATEMENTS, s) for s in (a, b, closed, other_month)] == [
        "paid", "paid", "closed", "reconciled"]
    assert await rig.status(PERSON_PAYABLES, person) == "paid"
    payment = await rig.db()[PAYMENTS].find_one({"_id": f"PAY-{a}"})
    assert payment["entry_id"] == f"payment:PAY-{a}" and payment["_outbox"][0]["type"] == "payment.issued"

    # A retry pays nothing more; the single endpoint refuses a statement the run paid, naming it.
    again = await rig.finance.pay_run(T, month_run(), "fin-1")
    assert (again["count"], again["replayed"], again["already_paid"]) == (0, True, sorted([a, b, person]))
    assert len(await rig.entries()) == 5 and await rig.db()[PAYMENTS].count_documents({}) == 3
    with pytest.raises(Conflict) as twice:
        await rig.finance.pay(T, a, "fin-2")
    assert twice.value.field == "statement_id" and "already paid" in twice.value.message
    # And a run refuses nothing the single endpoint paid: it is listed as paid.
    await rig.fund_in("50.00", "alloc-3")
    await rig.finance.pay(T, other_month, "fin-2")
    assert (await rig.finance.pay_run(T, month_run(NEXT), "fin-1"))["already_paid"] == [other_month]


async def test_a_crash_between_the_writes_is_finished_by_the_next_run_booked_once() -> None:
    rig = await Rig().start()
    a = await rig.statement("H330802001", MONTH, 200_00)
    b = await rig.statement("H330802003", MONTH, 100_00)
    await rig.fund_in("1000.00")
    # An earlier run booked a's entry (on another day) and stored b's payment, then stopped.
    early = date(YEAR + 1, 1, 2) if date(YEAR + 1, 1, 2) <= today_cn() else today_cn()
    await rig.finance.ledger.post(T, PROGRAM, YEAR, lg.payment(f"payment:PAY-{a}", early, D("200.00"), "大病保险 支付",
                                                               reference=f"PAY-{a}"), "fin-1")
    await rig.finance.ledger.post(T, PROGRAM, YEAR, lg.payment(f"payment:PAY-{b}", early, D("100.00"), "大病保险 支付",
                                                               reference=f"PAY-{b}"), "fin-1")
    await rig.db()[PAYMENTS].insert_one({"_id": f"PAY-{b}", "payment_id": f"PAY-{b}", "statement_id": b,
                                         "month": MONTH, "amount_fen": 100_00, "status": "issued"})
    out = await rig.finance.pay_run(T, month_run(), "fin-1")
    assert [p["payment_id"] for p in out["paid"]] == [f"PAY-{a}"] and out["already_paid"] == [b]
    assert out["entries_posted"] == 0  # both entries were booked already: replays, same value date
    assert [e["_id"] for e in await rig.entries()] == ["alloc-1", f"payment:PAY-{a}", f"payment:PAY-{b}"]
    assert [await rig.status(STATEMENTS, s) for s in (a, b)] == ["paid", "paid"]
    assert await rig.db()[PAYMENTS].count_documents({}) == 2


async def test_the_run_waits_once_for_the_relay_before_writing() -> None:
    rig = await Rig().start()
    a = await rig.statement("H330802001", MONTH, 200_00, pending=1)   # statement.reconciled not yet published
    b = await rig.statement("H330802003", MONTH, 100_00, pending=2)
    await rig.fund_in("1000.00")
    published: list[tuple[int, int]] = []

    async def relay() -> None:  # publishes the statements' events; records what the run had written by then
        published.append((await rig.db()[PAYMENTS].count_documents({}), len(await rig.entries())))
        await rig.db()[STATEMENTS].update_many({}, {"$set": {"_outbox": [], "_outbox_pending": 0}})

    tasks: list[asyncio.Task[None]] = []
    rig.on_kick = lambda: None if tasks else tasks.append(asyncio.ensure_future(relay()))
    out = await rig.finance.pay_run(T, month_run(), "fin-1")
    assert out["count"] == 2 and len(tasks) == 1 and published == [(0, 1)]  # nothing written before the relay ran
    assert [await rig.status(STATEMENTS, s) for s in (a, b)] == ["paid", "paid"]


async def test_named_items_must_exist_and_be_payable_and_nothing_is_written_otherwise() -> None:
    rig = await Rig().start()
    a = await rig.statement("H330802001", MONTH, 200_00)
    closed = await rig.statement("H330802002", MONTH, 100_00, status="closed")
    no_account = await rig.payable("M-2", MONTH, 40_00, account=None)
    await rig.fund_in("1000.00")
    with pytest.raises(NotFound) as err:
        await rig.finance.pay_run(T, runs.RunRequest(None, (a, "CI-NOPE-2025-03")), "fin-1")
    assert err.value.field == "statement_ids[1]"
    with pytest.raises(Conflict) as err:
        await rig.finance.pay_run(T, runs.RunRequest(None, (a, closed)), "fin-1")
    assert err.value.field == "statement_ids[1]" and "closed" in err.value.message
    with pytest.raises(InvalidInput) as err:
        await rig.finance.pay_run(T, runs.RunRequest(None, (a,), (no_account,)), "fin-1")
    assert err.value.field == "payable_ids[0]"
    assert [d["_id"] for d in await rig.entries()] == ["alloc-1"] and await rig.status(STATEMENTS, a) == "reconciled"
    out = await rig.finance.pay_run(T, runs.RunRequest(None, (a,)), "fin-1")
    assert [p["statement_id"] for p in out["paid"]] == [a]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "month"),
    ({"month": "2025-13"}, "month"),
    ({"month": 202503}, "month"),
    ({"month": "2025-03", "statement_ids": ["CI-X-2025-03"]}, "statement_ids"),
    ({"statement_ids": []}, "statement_ids"),
    ({"statement_ids": ["ok-1", "bad id"]}, "statement_ids[1]"),
    ({"statement_ids": ["ok-1", "ok-1"]}, "statement_ids[1]"),
    ({"month": "2025-03", "extra": 1}, "extra"),
    ([], "body"),
])
def test_a_bad_run_request_names_the_field(body: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        runs.parse_run(body, payables=True)
    assert err.value.field == field


def test_a_run_request_without_persons_takes_no_payables() -> None:
    assert runs.parse_run({"month": "2025-03"}, payables=False) == runs.RunRequest("2025-03")
    assert runs.parse_run({"statement_ids": ["a"], "payable_ids": ["PP-1"]}, payables=True).payable_ids == ("PP-1",)
    with pytest.raises(InvalidInput) as err:
        runs.parse_run({"payable_ids": ["PP-1"]}, payables=False)
    assert err.value.field == "payable_ids"


async def test_post_payments_checks_every_year_before_writing_any() -> None:
    mem = MemoryStore()
    ledger = fd.Fund(lambda t: mem.database("settlement", t), (T,))
    await ledger.store(T).ensure_indexes()
    day = today_cn()
    await ledger.post(T, PROGRAM, YEAR, lg.allocation("a-1", date(YEAR, 1, 5), D("100.00"), ""), "agency")
    await ledger.post(T, PROGRAM, YEAR + 1, lg.allocation("a-2", date(YEAR + 1, 1, 5), D("10.00"), ""), "agency")
    dues = [fd.PaymentDue("PAY-1", f"{YEAR}-12", 100_00, "十二月"),
            fd.PaymentDue("PAY-2", f"{YEAR + 1}-01", 25_00, "一月")]
    with pytest.raises(lg.InsufficientFunds) as err:
        await fd.post_payments(ledger, T, dues, "fin", "the run")
    assert f"for {YEAR + 1}" in err.value.message and "short by 15.00" in err.value.message
    assert {k: err.value.params[k] for k in ("short", "needed", "balance", "year")} == {
        "short": "15.00", "needed": "25.00", "balance": "10.00", "year": str(YEAR + 1)}
    assert [await ledger.store(T).entry_doc(f"payment:PAY-{i}") for i in (1, 2)] == [None, None]
    dues[1] = fd.PaymentDue("PAY-2", f"{YEAR + 1}-01", 10_00, "一月")
    assert await fd.post_payments(ledger, T, dues, "fin", "the run") == 2
    # A retry names what is booked (its value date): replays, not counted against the bank (now 0.00 in YEAR + 1).
    assert (await ledger.head(T, PROGRAM, YEAR + 1)).normal_balance("bank") == 0
    again = [dataclasses.replace(d, booked_on=day) for d in dues]
    assert await fd.post_payments(ledger, T, again, "fin", "the run") == 0
    assert (await ledger.store(T).entry_doc("payment:PAY-2"))["date"] == day.isoformat()
    assert await fd.post_payments(ledger, "hz-nope", dues, "fin", "the run") == 0  # no books, nothing posted


# ---- the Quzhou corridor: the carrier's own losses are not claims ---------------------------------------------------


def corridor_book(liability: D) -> lg.Book:
    b = lg.Book(T, PROGRAM, 2025)
    b.post(lg.allocation("a", date(2025, 1, 10), D("100000.00"), ""))
    b.post(lg.payment("p", date(2025, 6, 1), D("90000.00"), ""))
    b.post(lg.recovery("r", date(2025, 7, 1), D("1000.00")))
    if liability:
        b.post(lg.payment("p-lax", date(2025, 6, 2), liability, "审核不严"))
        b.post(lg.carrier_liability("cl", date(2025, 9, 1), liability, reference="F-1"))
    return b


def test_the_corridor_leaves_the_losses_the_carrier_bears_in_full_out_of_the_claims() -> None:
    program = load_program(PROGRAM)
    body = {"admin_cost": "5000.00", "insured_persons": 700}   # premium 700 × 142.50 = 99,750.00
    clean, rows = fye._corridor(program, (T,), 2025, {T: corridor_book(D(0))}, body)
    lax, lax_rows = fye._corridor(program, (T,), 2025, {T: corridor_book(D("2500.00"))}, body)
    account, lax_account = rows[T][1], lax_rows[T][1]
    # The lax payment is in the gross claims, and paid back by the carrier: the net and the result do not move.
    assert (account["claims"], lax_account["claims"]) == ("90000.00", "92500.00")
    assert (lax_account["recoveries"], lax_account["carrier_liability"]) == ("1000.00", "2500.00")
    assert lax_account["net_claims"] == account["net_claims"] == "89000.00"
    assert lax_account["result"] == account["result"] == f"{D('99750.00') - D('89000.00') - D('5000.00'):.2f}"
    assert lax_account["carrier_share"] == account["carrier_share"] and lax["outcome"] == clean["outcome"]
    assert rows[T][0] == lax_rows[T][0]  # the same year-end movements
    assert [r["code"] for r in lax_account["reason_codes"]] == ["corridor_result", "carrier_alone_band",
                                                                "shared_band", "fund_band", "corridor_split"]
    assert lax_account["reasons"] == [r["detail"] for r in lax_account["reason_codes"]]
    assert lax_account["claims_reason_codes"][0]["code"] == "net_claims"
    assert lax_account["claims_reason_codes"][0]["params"]["carrier_liability"] == "2500.00"
