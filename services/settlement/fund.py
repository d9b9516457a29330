"""The carriers' fund finance (专户资金): the books of each dedicated account, the movements that post to them, the
statement payments that spend from them, and the year-end settlement (年度决算).

Collections (settlement's database of each tenant):
- `ledger_entries`: one immutable document per journal entry (`_id` = entry id), inserted with its `ledger.posted`
  event in `_outbox` — an insert is the one atomic write FerretDB offers, so an entry and its event cannot part.
- `fund_years`: one per program-year, written when the year is closed, carrying the result (with its reasons) and
  `fund_year.closed`. No document = the year is open.
- `fund_budgets`: the year's fund budget (年度预算) as the agency set it, one per program-year; without one the
  planned figure of program.yaml (`finance.annual_budget`) applies.

Every write to one account-year runs under that account's in-process lock (`LOCKS`), so the balance check before a
payment cannot race another posting. Entry ids derive from the client's key (allocation id, advance id, payment id
...): the same request twice posts once; the same key with other content is a 409."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.events import derived_event_id, new_event
from chassis.money import from_fen, to_fen
from chassis.outbox import with_events
from chassis.programs import Program, program_of_tenant
from chassis.telemetry import current_carrier
from jingban.contracts.v1 import events_pb2
from services.settlement.domain import ledger as lg
from services.settlement.domain import year_end as ye
from services.settlement.locks import KeyedLocks

LEDGER_ENTRIES = "ledger_entries"
FUND_YEARS = "fund_years"
FUND_BUDGETS = "fund_budgets"
FUND_OUTBOX_COLLECTIONS = [LEDGER_ENTRIES, FUND_YEARS]
STATEMENTS = "statements"   # settlement's own (store.py): read to refuse closing a year with unpaid statements
PAYMENTS = "payments"

# One registry per process: the fund's locks are taken alone or after a statement's lock, never before one.
LOCKS = KeyedLocks()


def account_lock(tenant: str, program: str, year: int) -> str:
    return f"fund:{tenant}:{program}:{year}"


# ---- program data ---------------------------------------------------------------------------------------------


def finance_of(program: Program) -> dict[str, Any]:
    return dict(program.settings.get("finance") or {})


def program_with_finance(tenant: str) -> Program:
    program = program_of_tenant(tenant)
    if program is None or not finance_of(program):
        raise NotFound(f"tenant {tenant} keeps no fund books (its program has no finance section)")
    return program


def premium_total(program: Program, year: int, insured: int | None = None) -> tuple[Decimal, Decimal, int]:
    """(year's premium total, per-person premium, insured persons) of a corridor program."""
    fin = finance_of(program)
    p = fin.get("premium") or {}
    base_year = int(p.get("base_year", 2025))
    n = int(p.get("years", 3))
    if not base_year <= year < base_year + n:
        raise InvalidInput(f"the premium schedule covers {base_year}–{base_year + n - 1}, not {year}", "year")
    schedule = ye.premium_schedule(base_year, Decimal(str(p.get("base", "149.00"))),
                                   Decimal(str(p.get("growth", "0.03"))), list(range(base_year, base_year + n)))
    persons = int(fin.get("insured_persons", 0)) if insured is None else insured
    if persons <= 0:
        raise InvalidInput("insured_persons must be a positive whole number", "insured_persons")
    return schedule[year] * persons, schedule[year], persons


def budget_of(program: Program, year: int) -> Decimal:
    fin = finance_of(program)
    budgets = fin.get("annual_budget") or {}
    if str(year) in budgets:
        return Decimal(str(budgets[str(year)]))
    if fin.get("year_end") == "corridor":  # (choice) a premium-funded program's budget is the year's premium total
        return premium_total(program, year)[0]
    raise InvalidInput(f"program {program.code} has no annual budget for {year}", "year")


# ---- documents ---------------------------------------------------------------------------------------------------


def _posting_docs(entry: lg.Entry) -> list[dict[str, Any]]:
    return [{"account": p.account, "debit_fen": to_fen(p.debit), "credit_fen": to_fen(p.credit)}
            for p in entry.postings]


def entry_of(doc: dict[str, Any]) -> lg.Entry:
    return lg.Entry(doc["_id"], date.fromisoformat(doc["date"]), doc["kind"], doc.get("memo", ""),
                    tuple(lg.Posting(p["account"], from_fen(p["debit_fen"]), from_fen(p["credit_fen"]))
                          for p in doc["postings"]), doc.get("reverses", ""), doc.get("reference", ""))


def entry_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"entry_id": doc["_id"], "tenant": doc.get("tenant"), "program": doc["program"], "year": doc["year"],
            "date": doc["date"], "kind": doc["kind"], "memo": doc.get("memo", ""),
            "postings": [{"account": p["account"], "debit": f"{from_fen(p['debit_fen']):.2f}",
                          "credit": f"{from_fen(p['credit_fen']):.2f}"} for p in doc["postings"]],
            "amount": f"{from_fen(doc['amount_fen']):.2f}", "reverses": doc.get("reverses", ""),
            "reference": doc.get("reference", ""), "posted_at": doc.get("posted_at"),
            "posted_by": doc.get("posted_by"), **({"detail": doc["detail"]} if doc.get("detail") else {})}


def _same(doc: dict[str, Any], entry: lg.Entry) -> bool:
    return (doc["kind"], doc["date"], doc["postings"], doc.get("reverses", ""), doc.get("reference", "")) == (
        entry.kind, entry.date.isoformat(), _posting_docs(entry), entry.reverses, entry.reference)


def _ledger_event(tenant: str, program: str, year: int, entry: lg.Entry) -> dict[str, Any]:
    payload = events_pb2.LedgerPosted(
        entry_id=entry.id, program=program, year=year, date=entry.date.isoformat(), kind=entry.kind, memo=entry.memo,
        postings=[events_pb2.LedgerPosting(account=p.account, debit=f"{p.debit:.2f}", credit=f"{p.credit:.2f}")
                  for p in entry.postings],
        reverses=entry.reverses, amount=f"{entry.amount:.2f}")
    return new_event("ledger.posted", tenant, f"{program}|{year}", payload, source="settlement",
                     trace_context=current_carrier(), event_id=derived_event_id(entry.id, "ledger.posted", tenant))


def benefits_paid(book: lg.Book) -> Decimal:
    """Benefits paid in the year, net of reversals and recoveries, whatever the year-end closing did."""
    return sum((p.signed for e in book.entries if e.kind != "year_end" for p in e.postings
                if p.account in ("benefits_paid", "recoveries")), lg.ZERO)


def normal_balances(book: lg.Book, on: date | None = None) -> dict[str, str]:
    return {code: f"{book.normal_balance(code, on):.2f}" for code in lg.CHART}


# ---- the store -----------------------------------------------------------------------------------------------


class FundStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        for name in FUND_OUTBOX_COLLECTIONS:
            await self._db[name].create_index("_outbox_pending")
        await self._db[LEDGER_ENTRIES].create_index([("program", 1), ("year", 1)])

    async def entry_docs(self, program: str, year: int) -> list[dict[str, Any]]:
        return await self._db[LEDGER_ENTRIES].find({"program": program, "year": year}, {"_outbox": 0}).sort(
            [("seq", 1), ("_id", 1)]).to_list(None)

    async def entry_count(self, program: str, year: int) -> int:
        return await self._db[LEDGER_ENTRIES].count_documents({"program": program, "year": year})

    async def entry_doc(self, entry_id: str) -> dict[str, Any] | None:
        return await self._db[LEDGER_ENTRIES].find_one({"_id": entry_id}, {"_outbox": 0})

    async def years(self, program: str) -> list[int]:
        return sorted({d["year"] for d in await self._db[LEDGER_ENTRIES].find(
            {"program": program}, {"year": 1}).to_list(None)})

    async def insert_entry(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        from pymongo.errors import DuplicateKeyError

        try:
            await self._db[LEDGER_ENTRIES].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def fund_year(self, program: str, year: int) -> dict[str, Any] | None:
        return await self._db[FUND_YEARS].find_one({"_id": f"{program}|{year}"}, {"_outbox": 0})

    async def insert_fund_year(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        from pymongo.errors import DuplicateKeyError

        try:
            await self._db[FUND_YEARS].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def budget_doc(self, program: str, year: int) -> dict[str, Any] | None:
        return await self._db[FUND_BUDGETS].find_one({"_id": f"{program}|{year}"})

    async def put_budget(self, doc: dict[str, Any]) -> None:
        await self._db[FUND_BUDGETS].replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def unpaid_statements(self, year: int) -> list[str]:
        docs = await self._db[STATEMENTS].find({"month": {"$gte": f"{year}-01", "$lte": f"{year}-12"}},
                                               {"status": 1}).to_list(None)
        return sorted(d["_id"] for d in docs if d.get("status") != "paid")

    async def payments_of(self, year: int) -> list[dict[str, Any]]:
        return await self._db[PAYMENTS].find({"month": {"$gte": f"{year}-01", "$lte": f"{year}-12"}},
                                             {"_outbox": 0}).to_list(None)


# ---- the workflow ----------------------------------------------------------------------------------------------


@dataclass
class Posted:
    doc: dict[str, Any]
    created: bool


class Fund:
    """Posting to and reading the books; `db_of(tenant)` is settlement's database of a tenant."""

    def __init__(self, db_of: Any, served: tuple[str, ...], kick: Any = None) -> None:
        self.db_of = db_of
        self.served = served
        # Each account-year's book as last read or written by this instance; reused while the stored entry count
        # still matches (one settlement replica per store on FerretDB), so a posting does not re-read the year.
        self._books: dict[tuple[str, str, int], lg.Book] = {}
        self.kick = kick or (lambda: None)

    def store(self, tenant: str) -> FundStore:
        return FundStore(self.db_of(tenant))

    async def book(self, tenant: str, program: str, year: int) -> lg.Book:
        """The account-year's books (a copy: callers may check entries against it freely)."""
        key = (tenant, program, year)
        store = self.store(tenant)
        cached = self._books.get(key)
        if cached is None or await store.entry_count(program, year) != len(cached.entries):
            docs = await store.entry_docs(program, year)
            cached = self._books[key] = lg.Book(tenant, program, year, [entry_of(d) for d in docs])
        return lg.Book(tenant, program, year, list(cached.entries))

    async def closed(self, tenant: str, program: str, year: int) -> dict[str, Any] | None:
        return await self.store(tenant).fund_year(program, year)

    async def budget(self, tenant: str, program: Program, year: int) -> tuple[Decimal, str]:
        """The year's budget and where it comes from: the agency's (set over HTTP) or program.yaml's plan."""
        doc = await self.store(tenant).budget_doc(program.code, year)
        if doc is not None:
            return Decimal(doc["amount"]), f"set by the agency ({doc['set_by']}, {doc['set_at'][:10]})"
        return budget_of(program, year), "planned in program.yaml (finance.annual_budget)"

    async def set_budget(self, program: Program, targets: tuple[str, ...], year: int, amount: Decimal,
                         who: str) -> dict[str, Any]:
        """The agency sets the year's budget (年度预算) in every carrier's books served here. Refused once a book of
        the year is closed, or when the allocations already made would exceed the new budget's limits."""
        fin = finance_of(program)
        lg.money(amount, "amount")
        if amount <= 0:
            raise InvalidInput(f"amount must be positive, got {amount}", "amount")
        keys = [account_lock(t, program.code, year) for t in targets]
        async with LOCKS.hold(*keys):
            initial = in_year = lg.ZERO
            for t in targets:
                if await self.closed(t, program.code, year):
                    raise Conflict(f"fund year {year} of {t} is closed: its budget can no longer change", "year")
                docs = await self.store(t).entry_docs(program.code, year)
                reversed_ids = {d.get("reverses") for d in docs}
                mine = [d for d in docs if d["kind"] == "allocation" and d["_id"] not in reversed_ids]
                initial = max(initial, sum((Decimal(d["program_amount"]) for d in mine
                                            if d["allocation_kind"] == "initial"), lg.ZERO))
                in_year = max(in_year, sum((Decimal(d["program_amount"]) for d in mine
                                            if d["allocation_kind"] == "in_year"), lg.ZERO))
            limits = {"initial": (initial, Decimal(str(fin.get("initial_allocation_ratio", "1")))),
                      "in_year": (in_year, Decimal(str(fin.get("in_year_allocation_ratio", "1"))))}
            for kind, (made, ratio) in limits.items():
                if made > amount * ratio:
                    raise InvalidInput(f"{kind} allocations already made ({made:.2f}) exceed {ratio:%} of a budget of "
                                       f"{amount:.2f}", "amount")
            doc = {"_id": f"{program.code}|{year}", "program": program.code, "year": year,
                   "amount": f"{amount:.2f}", "set_by": who, "set_at": datetime.now(UTC).isoformat()}
            for t in targets:
                await self.store(t).put_budget(doc)
        return {"program": program.code, "year": year, "amount": f"{amount:.2f}", "tenants": list(targets),
                "set_by": who, "set_at": doc["set_at"]}

    async def _prepare(self, tenant: str, program: str, year: int, entry: lg.Entry
                       ) -> tuple[lg.Book, dict[str, Any] | None]:
        """Under the account's lock: the existing document of this entry id (a replay), or the checked book."""
        store = self.store(tenant)
        existing = await store.entry_doc(entry.id)
        if existing is not None:
            if existing["year"] != year or existing["program"] != program or not _same(existing, entry):
                raise Conflict(f"entry id {entry.id} was already used for another movement", "id")
            return lg.Book(tenant, program, year), existing
        if entry.kind != "year_end" and await store.fund_year(program, year):
            raise Conflict(f"fund year {year} of {tenant} is closed: post to the next year's books")
        book = await self.book(tenant, program, year)
        book.check(entry)
        return book, None

    def _doc(self, tenant: str, program: str, year: int, book: lg.Book, entry: lg.Entry, who: str,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"_id": entry.id, "tenant": tenant, "program": program, "year": year, "date": entry.date.isoformat(),
                "kind": entry.kind, "memo": entry.memo, "postings": _posting_docs(entry),
                "amount_fen": to_fen(entry.amount), "reverses": entry.reverses, "reference": entry.reference,
                "seq": len(book.entries) + 1, "posted_at": datetime.now(UTC).isoformat(), "posted_by": who,
                **(extra or {})}

    async def post(self, tenant: str, program: str, year: int, entry: lg.Entry, who: str,
                   extra: dict[str, Any] | None = None) -> Posted:
        async with LOCKS.hold(account_lock(tenant, program, year)):
            return await self._post_locked(tenant, program, year, entry, who, extra)

    async def _post_locked(self, tenant: str, program: str, year: int, entry: lg.Entry, who: str,
                           extra: dict[str, Any] | None = None) -> Posted:
        book, existing = await self._prepare(tenant, program, year, entry)
        if existing is not None:
            return Posted(existing, False)
        doc = self._doc(tenant, program, year, book, entry, who, extra)
        if not await self.store(tenant).insert_entry(doc, [_ledger_event(tenant, program, year, entry)]):
            raise Conflict(f"entry {entry.id} was posted meanwhile; send the request again")
        cached = self._books.get((tenant, program, year))
        if cached is not None and len(cached.entries) == len(book.entries):
            cached.entries.append(entry)
        self.kick()
        return Posted(doc, True)

    # ---- allocations by the agency (基金拨付) ---------------------------------------------------------------

    async def allocate(self, program: Program, targets: tuple[str, ...], allocation_id: str, year: int, kind: str,
                       amount: Decimal, day: date, who: str) -> dict[str, Any]:
        fin = finance_of(program)
        shares = [(t.tenant, t.share) for t in program.tenants if t.tenant in targets]
        if not shares:
            raise NotFound(f"no carrier of {program.code} is served here")
        budget, _ = await self.budget(shares[0][0], program, year)
        parts = lg.split_by_shares(amount, [(t.tenant, t.share) for t in program.tenants])  # the whole program
        keys = [account_lock(t, program.code, year) for t, _ in shares]
        async with LOCKS.hold(*keys):
            initial = in_year = lg.ZERO
            replay = 0
            books: dict[str, lg.Book] = {}
            for t, _ in shares:
                docs = await self.store(t).entry_docs(program.code, year)
                reversed_ids = {d.get("reverses") for d in docs}
                mine = [d for d in docs if d["kind"] == "allocation" and d["_id"] not in reversed_ids
                        and d.get("allocation_id") != allocation_id]
                initial = max(initial, sum((Decimal(d["program_amount"]) for d in mine
                                            if d["allocation_kind"] == "initial"), lg.ZERO))
                in_year = max(in_year, sum((Decimal(d["program_amount"]) for d in mine
                                            if d["allocation_kind"] == "in_year"), lg.ZERO))
                books[t] = lg.Book(t, program.code, year, [entry_of(d) for d in docs])
                replay += any(d.get("allocation_id") == allocation_id for d in docs)
            if "initial_allocation_ratio" in fin:
                reason = lg.check_allocation(kind, amount, budget, Decimal(str(fin["initial_allocation_ratio"])),
                                             Decimal(str(fin.get("in_year_allocation_ratio", "0"))), initial, in_year)
            else:  # (choice) no ratios given: the allocations of the year together stay within the budget
                if kind not in ("initial", "in_year"):
                    raise InvalidInput(f"allocation kind must be initial or in_year, got {kind!r}", "kind")
                if initial + in_year + amount > budget:
                    raise InvalidInput(f"allocations would reach {initial + in_year + amount:.2f}, beyond the year's "
                                       f"budget {budget:.2f}", "amount")
                reason = f"allocations {initial + in_year + amount:.2f} of the budget {budget:.2f}"
            entries = {}
            for t, share in shares:
                entry = lg.allocation(f"allocation:{allocation_id}", day, parts[t],
                                      f"基金拨付 {allocation_id} ({kind}) {share} × {amount:.2f}")
                books_entry, existing = await self._prepare(t, program.code, year, entry)
                entries[t] = (entry, existing, books_entry)
            out = []
            for t, share in shares:  # every split checked above: now write (a retry completes a half-done split)
                entry, existing, _ = entries[t]
                extra = {"allocation_id": allocation_id, "allocation_kind": kind, "program_amount": f"{amount:.2f}",
                         "share": str(share), "reason": reason}
                posted = Posted(existing, False) if existing is not None else await self._post_locked(
                    t, program.code, year, entry, who, extra)
                out.append({**entry_view(posted.doc), "created": posted.created})
        return {"allocation_id": allocation_id, "program": program.code, "year": year, "kind": kind,
                "amount": f"{amount:.2f}", "reason": reason, "replayed": replay == len(shares),
                "entries": out}

    # ---- reading ---------------------------------------------------------------------------------------------

    async def account(self, tenant: str, program: str, year: int, on: date | None = None) -> dict[str, Any]:
        book = await self.book(tenant, program, year)
        closed = await self.closed(tenant, program, year)
        return {"tenant": tenant, "program": program, "year": year, "status": "closed" if closed else "open",
                "on": on.isoformat() if on else None, "entries": len(book.entries),
                "balances": normal_balances(book, on),
                "advances_outstanding": f"{book.normal_balance('carrier_advances', on):.2f}"}

    async def reconciliation(self, tenant: str, program: Program, year: int) -> dict[str, Any]:
        """Allocations received vs the agency's, payments in the books vs statements paid, advances, interest."""
        store = self.store(tenant)
        docs = await store.entry_docs(program.code, year)
        reversed_ids = {d.get("reverses") for d in docs if d.get("reverses")}
        share = program.share_of(tenant)
        allocations = []
        for d in docs:
            if d["kind"] == "allocation":
                whole = Decimal(d["program_amount"])
                expected = lg.split_by_shares(whole, [(t.tenant, t.share) for t in program.tenants])[tenant]
                received = from_fen(d["amount_fen"]) if d["_id"] not in reversed_ids else lg.ZERO
                allocations.append({"allocation_id": d.get("allocation_id"), "kind": d.get("allocation_kind"),
                                    "date": d["date"], "agency_amount": f"{whole:.2f}", "share": str(share),
                                    "expected": f"{expected:.2f}", "received": f"{received:.2f}",
                                    "matches": expected == received})
        paid_in_books_all = [from_fen(d["amount_fen"]) for d in docs
                             if d["kind"] == "payment" and d["_id"] not in reversed_ids]
        paid_in_books = {d.get("reference"): from_fen(d["amount_fen"]) for d in docs
                         if d["kind"] == "payment" and d["_id"] not in reversed_ids}
        payments = []
        for p in await store.payments_of(year):
            booked = paid_in_books.pop(p["_id"], None)
            amount = from_fen(p["amount_fen"])
            payments.append({"payment_id": p["_id"], "statement_id": p["statement_id"], "amount": f"{amount:.2f}",
                             "booked": None if booked is None else f"{booked:.2f}", "matches": booked == amount})
        payments += [{"payment_id": ref, "statement_id": None, "amount": None, "booked": f"{v:.2f}",
                      "matches": False} for ref, v in paid_in_books.items()]
        book = lg.Book(tenant, program.code, year, [entry_of(d) for d in docs])
        advances = [{"advance_id": d["_id"].split(":", 1)[1], "date": d["date"],
                     "amount": f"{from_fen(d['amount_fen']):.2f}",
                     "outstanding": f"{book.advance_outstanding(d['_id']):.2f}"}
                    for d in docs if d["kind"] == "advance"]
        return {
            "tenant": tenant, "program": program.code, "year": year,
            "allocations": allocations,
            "allocations_received": f"{sum((Decimal(a['received']) for a in allocations), lg.ZERO):.2f}",
            "allocations_expected": f"{sum((Decimal(a['expected']) for a in allocations), lg.ZERO):.2f}",
            "payments": payments,
            "statements_paid": f"{sum((Decimal(p['amount']) for p in payments if p['amount']), lg.ZERO):.2f}",
            "payments_booked": f"{sum(paid_in_books_all, lg.ZERO):.2f}",
            "advances": advances, "advances_outstanding": f"{book.normal_balance('carrier_advances'):.2f}",
            "interest": f"{book.turnover('interest_income', 'interest')[1]:.2f}",
            "balanced": all(a["matches"] for a in allocations) and all(p["matches"] for p in payments),
            "balances": normal_balances(book),
        }


# ---- statement payments (called from statements.py) --------------------------------------------------------------


class _ByName:
    """A database seen through a `collection(name)` function (SettlementStore.collection)."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getitem__(self, name: str) -> Any:
        return self._collection(name)


async def post_payment(collection: Any, tenant: str, month: str, payment_id: str, amount_fen: int, institution: str,
                       who: str, day: date | None = None) -> dict[str, Any] | None:
    """Book a statement's payment to an institution (待遇支付) in the tenant's dedicated account for the
    statement's year, refused (409, naming the shortfall) when the bank cannot cover it — before anything is
    written. Idempotent by the payment id. Programs without a finance section keep no books: nothing posted."""
    program = program_of_tenant(tenant)
    if program is None or not finance_of(program) or amount_fen <= 0:
        return None
    year = int(month[:4])
    entry = lg.payment(f"payment:{payment_id}", day or today_cn(), from_fen(amount_fen),
                       f"支付 {institution} {month} 结算款", reference=payment_id)
    db = _ByName(collection)
    posted = await Fund(lambda _t: db, (tenant,)).post(tenant, program.code, year, entry, who)
    return posted.doc


# ---- year end (年度决算) --------------------------------------------------------------------------------------


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number, got {value!r}", field)
    return value


def service_fee_for(program: Program, tenant: str, total: Decimal, met: int, of: int) -> ye.ServiceFee:
    fin = finance_of(program)
    terms = (fin.get("service_fee") or {}).get(tenant)
    if not terms:
        raise NotFound(f"program {program.code} sets no service fee for {tenant}")
    return ye.service_fee(total, Decimal(str(terms["reimbursement_share"])), Decimal(str(terms["bid_rate"])),
                          Decimal(str(terms["cap"])), Decimal(str(fin.get("base_fee_share", "0.80"))), met, of)


async def close_year(fund: Fund, program: Program, targets: tuple[str, ...], year: int, day: date,
                     body: dict[str, Any], who: str) -> dict[str, Any]:
    fin = finance_of(program)
    if day <= date(year, 12, 31):
        raise Conflict(f"fund year {year} is still open on {day}: a year end is dated after 31 December", "date")
    if day > today_cn():
        raise InvalidInput(f"value date {day} is in the future", "date")
    keys = [account_lock(t, program.code, year) for t in targets]
    async with LOCKS.hold(*keys):
        done = [await fund.closed(t, program.code, year) for t in targets]
        if all(done):
            return {"program": program.code, "year": year, "replayed": True,
                    "accounts": [year_view(d) for d in done if d]}
        unpaid = {t: await fund.store(t).unpaid_statements(year) for t in targets}
        unpaid = {t: s for t, s in unpaid.items() if s}
        if unpaid:
            raise Conflict(f"fund year {year} still has statements not paid: "
                           + "; ".join(f"{t}: {', '.join(s[:10])}" for t, s in unpaid.items()), "statements")
        entry_id = f"year_end:{program.code}:{year}"
        books = {}
        for t in targets:  # a retry after a crash computes from the books as they were before its entry
            book = await fund.book(t, program.code, year)
            books[t] = lg.Book(t, program.code, year, [e for e in book.entries if e.id != entry_id])
        method = fin.get("year_end")
        if method == "deficit_sharing":
            budget, budget_reason = await fund.budget(targets[0], program, year)
            result, rows = _deficit_sharing(program, targets, year, books, body, budget)
            result["budget_reason"] = budget_reason
        elif method == "corridor":
            result, rows = _corridor(program, targets, year, books, body)
        else:
            raise InvalidInput(f"program {program.code} has no year-end method (finance.year_end)", "program")
        planned = []
        for t in targets:  # everything checked before the first write
            movements, summary = rows[t]
            entry = lg.year_end_entry(entry_id, day, movements, f"{year} 年度决算 ({method})")
            existing = None
            if entry.postings:
                _, existing = await fund._prepare(t, program.code, year, entry)
            planned.append((t, entry, existing, summary))
        out = []
        for t, entry, existing, summary in planned:
            if entry.postings and existing is None:
                await fund._post_locked(t, program.code, year, entry, who, {"detail": summary})
            doc = {"_id": f"{program.code}|{year}", "program": program.code, "year": year, "status": "closed",
                   "method": method, "date": day.isoformat(), "closed_at": datetime.now(UTC).isoformat(),
                   "closed_by": who, "entry_id": entry_id if entry.postings else None, "result": result,
                   "account": summary}
            event = new_event("fund_year.closed", t, f"{program.code}|{year}", events_pb2.FundYearClosed(
                program=program.code, year=year, outcome=summary["outcome"], amount=summary["amount"],
                carrier_share=summary["carrier_share"], fund_share=summary["fund_share"],
                detail_json=json.dumps({"result": result, "account": summary}, ensure_ascii=False)),
                source="settlement", trace_context=current_carrier(),
                event_id=derived_event_id(entry_id, "fund_year.closed", t))
            await fund.store(t).insert_fund_year(doc, [event])
            out.append(year_view(doc))
        fund.kick()
        return {"program": program.code, "year": year, "replayed": False, "result": result, "accounts": out}


def year_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("program", "year", "status", "method", "date", "closed_at", "closed_by",
                                    "entry_id", "result", "account")}


def _money(value: Any, field: str) -> Decimal:
    from chassis.money import parse_yuan

    return parse_yuan(value, field)


def _deficit_sharing(program: Program, targets: tuple[str, ...], year: int, books: dict[str, lg.Book],
                     body: dict[str, Any], budget: Decimal
                     ) -> tuple[dict[str, Any], dict[str, tuple[dict[str, Decimal], dict]]]:
    fin = finance_of(program)
    members = [t.tenant for t in program.tenants]
    if body.get("total_reimbursement") is not None:
        total = _money(body["total_reimbursement"], "total_reimbursement")
        total_reason = "given by the agency"
    elif set(members) <= set(targets):
        total = sum((benefits_paid(books[t]) for t in members), lg.ZERO)
        total_reason = "benefits paid (net of recoveries) in the books of all packages"
    else:
        raise InvalidInput("this deployment does not keep every package's books: give total_reimbursement",
                           "total_reimbursement")
    assessments = body.get("assessments") or {}
    if not isinstance(assessments, dict):
        raise InvalidInput("assessments must be an object by tenant", "assessments")
    accounts, fees = [], {}
    for t in targets:
        a = assessments.get(t) or {}
        if not isinstance(a, dict):
            raise InvalidInput(f"assessments.{t} must be an object", f"assessments.{t}")
        met = _int(a.get("targets_met", 1), f"assessments.{t}.targets_met")
        of = _int(a.get("targets_total", 1), f"assessments.{t}.targets_total")
        fee = service_fee_for(program, t, total, met, of)
        fees[t] = fee
        b = books[t]
        accounts.append(ye.AccountYear(t, program.share_of(t), -b.balance("fund_payable"),
                                       -b.balance("interest_income"), -b.balance("recoveries"),
                                       b.balance("benefits_paid"), fee.payable))
    result = ye.year_end(budget, accounts, Decimal(str(fin.get("deficit_fund_share", "0.30"))))
    summary = {"method": "deficit_sharing", "outcome": result.outcome, "budget": f"{result.budget:.2f}",
               "result": f"{result.result:.2f}", "total_reimbursement": f"{total:.2f}",
               "total_reimbursement_reason": total_reason, "fee_deductions": f"{result.fee_deductions:.2f}",
               "fund_part": f"{result.fund_part:.2f}", "carriers_part": f"{result.carriers_part:.2f}",
               "reasons": list(result.reasons)}
    rows = {}
    for acc, r in zip(accounts, result.accounts, strict=True):
        fee = fees[acc.tenant]
        rows[acc.tenant] = (r.movements(acc.allocated, acc.interest, acc.recoveries, acc.paid), {
            "tenant": acc.tenant, "outcome": result.outcome, "amount": f"{abs(result.result):.2f}",
            "allocated": f"{acc.allocated:.2f}", "interest": f"{acc.interest:.2f}",
            "recoveries": f"{acc.recoveries:.2f}", "paid": f"{acc.paid:.2f}", "position": f"{r.position:.2f}",
            "service_fee": {"fee": f"{fee.fee:.2f}", "base": f"{fee.base:.2f}",
                            "performance": f"{fee.performance:.2f}", "payable": f"{fee.payable:.2f}",
                            "after_deduction": f"{fee.payable - r.fee_deduction:.2f}", "reasons": list(fee.reasons)},
            "fee_deduction": f"{r.fee_deduction:.2f}", "carrier_deficit": f"{r.carrier_deficit:.2f}",
            "carrier_share": f"{r.carrier_bears:.2f}",
            "fund_share": f"{result.fund_part * acc.share / sum((a.share for a in accounts), lg.ZERO):.2f}",
            "settlement": f"{r.settlement:.2f}",
            "returned": f"{max(-r.settlement, lg.ZERO):.2f}", "received": f"{max(r.settlement, lg.ZERO):.2f}",
            "reasons": list(r.reasons)})
    return summary, rows


def _corridor(program: Program, targets: tuple[str, ...], year: int, books: dict[str, lg.Book],
              body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[dict[str, Decimal], dict]]]:
    fin = finance_of(program)
    if body.get("admin_cost") is None:
        raise InvalidInput("admin_cost (经办成本) is required to close a corridor year", "admin_cost")
    admin = _money(body["admin_cost"], "admin_cost")
    insured = body.get("insured_persons")
    total, per_person, persons = premium_total(program, year,
                                               None if insured is None else _int(insured, "insured_persons"))
    band = fin.get("corridor") or {}
    summary: dict[str, Any] = {"method": "corridor", "premium_per_person": f"{per_person:.2f}",
                               "insured_persons": persons, "premium": f"{total:.2f}"}
    rows = {}
    for t in targets:
        share = program.share_of(t)
        b = books[t]
        claims = benefits_paid(b)
        c = ye.corridor(total * share, claims, admin * share, Decimal(str(band.get("carrier_alone", "0.03"))),
                        Decimal(str(band.get("shared_to", "0.06"))),
                        Decimal(str(band.get("carrier_share_between", "0.50"))))
        outcome = "surplus" if c.result > 0 else "deficit" if c.result < 0 else "balanced"
        # The fund takes back its part of a gain (bank out), or pays its part of a loss in (bank in).
        movements = {"fund_payable": c.fund, "bank": -c.fund}
        rows[t] = (movements, {"tenant": t, "outcome": outcome, "amount": f"{abs(c.result):.2f}",
                               "premium": f"{total * share:.2f}", "claims": f"{claims:.2f}",
                               "admin_cost": f"{admin * share:.2f}", "result": f"{c.result:.2f}",
                               "ratio": str(c.ratio), "carrier_share": f"{c.carrier:.2f}",
                               "fund_share": f"{c.fund:.2f}",
                               "bands": [{"band": n, "amount": f"{a:.2f}", "carrier": f"{k:.2f}"}
                                         for n, a, k in c.bands], "reasons": list(c.reasons)})
        summary.setdefault("outcome", outcome)
    return summary, rows


def targets_for_close(caller_tenant: str, role: str, program: Program, served: Iterable[str]) -> tuple[str, ...]:
    members = [t.tenant for t in program.tenants if t.tenant in served]
    if role == "supervisor":
        return tuple(members)
    if members == [caller_tenant]:
        return (caller_tenant,)
    raise Forbidden("a program year shared by several carriers is closed by the agency supervisor (医保经办机构)")
