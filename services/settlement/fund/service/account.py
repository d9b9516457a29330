"""The carriers' fund finance (专户资金): the books of each dedicated account, the movements that post to them, the
statement payments that spend from them (the year-end settlement, 年度决算, is service/year_end.py).

Collections (settlement's database of each tenant):
- `ledger_entries`: one immutable document per journal entry (`_id` = entry id), inserted with its `ledger.posted`
  event in `_outbox` — an insert is the one atomic write FerretDB offers, so an entry and its event cannot part.
- `fund_years`: one per program-year, written when the year is closed, carrying the result (with its reasons) and
  `fund_year.closed`. No document = the year is open.
- `fund_budgets`: the year's fund budget (年度预算) as the agency set it, one per program-year; without one the
  planned figure of program.yaml (`finance.annual_budget`) applies.
- `ledger_heads`: one per program-year, the running figures after the last entry (`seq`, latest value date, every
  account's balance), updated after each posting, and `closed` — set before the year's year-end entry and its
  `fund_years` document are written (a crash between leaves the year refusing postings, never open by mistake).
- `fund_year_closings`: a year end under way (年度决算), one per program-year in the books of each carrier it closes,
  holding the request (date, figures given, who, carriers): written before its first write and removed after its
  last, so a close a crash cut short is finished — from the same request, idempotently — when settlement starts
  again (recovery.py).
  Each entry document carries its `seq` (unique per program-year) and the running balances after it, so the head
  can lag (a crash between the two writes) but never lie: the next posting takes the following `seq`, the unique
  key refuses it, and the head is rebuilt from the entries. `ensure_indexes` builds the heads of books posted
  before heads existed, once, and marks the database `heads_complete`.

A posting reads the head (one small read by `_id`) and writes the entry and the head: it never re-reads the year.
Only an entry the running figures cannot check (back-dated, a reversal, a repayment of a named advance) reads the
whole year, as `ledger.Book` (cached per instance while `seq` matches).

Every write to one account-year runs under that account's in-process lock (`LOCKS`), so the balance check before a
payment cannot race another posting. Entry ids derive from the client's key (allocation id, advance id, payment id
...): the same request twice posts once; the same key with other content is a 409."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, JingbanError, NotFound
from chassis.events import derived_event_id, new_event
from chassis.locks import KeyedLocks
from chassis.money import from_fen, parse_amount, to_fen
from chassis.outbox import with_events
from chassis.programs import Program, program_of_tenant
from chassis.reasons import Reason
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.fund.domain import ledger as lg
from services.settlement.fund.domain import year_end as ye
from services.settlement.fund.domain.reasons import REASONS
from services.settlement.fund.store import (  # noqa: F401  (collection names other rooms' recovery reads)
    FUND_OUTBOX_COLLECTIONS,
    FUND_YEAR_CLOSINGS,
    FUND_YEARS,
    LEDGER_ENTRIES,
    LEDGER_HEADS,
    FundStore,
    _balances_fen,
    _posting_docs,
    entry_of,
    head_doc,
    head_of,
)

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


def premium_years(program: Program) -> dict[int, ye.YearPremium]:
    """Each contract year's ceiling (最高预算单价, `finance.premium.ceiling` in the base year, + `growth` a year) and
    the carrier's bid (中标价, `finance.premium.bids`), a bid above its year's ceiling refused naming the field. Checked
    when settlement starts (`validate_finance`) and whenever a premium is computed."""
    p = finance_of(program).get("premium") or {}
    if not isinstance(p, dict):
        raise InvalidInput("finance.premium must be a mapping", "finance.premium")
    base_year, n = p.get("base_year", 2025), p.get("years", 3)
    for name, value in (("base_year", base_year), ("years", n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(f"finance.premium.{name} must be a whole number, got {value!r}",
                               f"finance.premium.{name}")
    ceiling = parse_amount(str(p.get("ceiling", "149.00")), "finance.premium.ceiling")
    ceilings = ye.premium_schedule(base_year, ceiling,
                                   _yaml_decimal(p.get("growth", "0.03"), "finance.premium.growth"),
                                   list(range(base_year, base_year + n)), "finance.premium.ceiling")
    raw = p.get("bids")
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput(f"program {program.code} sets no bid (中标价) per year: finance.premium.bids",
                           "finance.premium.bids")
    bids = {}
    for key, value in raw.items():
        try:
            year = int(key)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"finance.premium.bids: {key!r} is not a year", "finance.premium.bids") from exc
        bids[year] = parse_amount(str(value), f"finance.premium.bids.{year}")
    return ye.premiums(ceilings, bids, "finance.premium.bids")


def _yaml_decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise InvalidInput(f"{field} is not a number: {value!r}", field) from exc


def validate_finance(program: Program) -> None:
    """What a program's finance section must hold, checked before serving: for a corridor program, the bids."""
    if finance_of(program).get("year_end") == "corridor":
        premium_years(program)


def validate_served(tenants: tuple[str, ...]) -> None:
    """The finance sections of the programs these tenants serve, checked before settlement serves them."""
    programs = {p.code: p for t in tenants if (p := program_of_tenant(t)) is not None}
    for program in programs.values():
        validate_finance(program)


def premium_total(program: Program, year: int, insured: int | None = None) -> tuple[Decimal, Decimal, int]:
    """(year's premium total, per-person premium, insured persons) of a corridor program: the premium per person is
    the carrier's bid (中标价) of the year, not the tender's ceiling."""
    fin = finance_of(program)
    schedule = premium_years(program)
    if year not in schedule:
        raise InvalidInput(f"the premium schedule covers {min(schedule)}–{max(schedule)}, not {year}", "year")
    persons = int(fin.get("insured_persons", 0)) if insured is None else insured
    if persons <= 0:
        raise InvalidInput("insured_persons must be a positive whole number", "insured_persons")
    bid = schedule[year].premium
    return bid * persons, bid, persons


def budget_of(program: Program, year: int) -> Decimal:
    fin = finance_of(program)
    budgets = fin.get("annual_budget") or {}
    if str(year) in budgets:
        return Decimal(str(budgets[str(year)]))
    if fin.get("year_end") == "corridor":  # (choice) a premium-funded program's budget is the year's premium total
        return premium_total(program, year)[0]
    raise InvalidInput(f"program {program.code} has no annual budget for {year}", "year")


# ---- documents ---------------------------------------------------------------------------------------------------



def entry_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"entry_id": doc["_id"], "tenant": doc.get("tenant"), "program": doc["program"], "year": doc["year"],
            "date": doc["date"], "kind": doc["kind"], "memo": doc.get("memo", ""),
            "postings": [{"account": p["account"], "debit": f"{from_fen(p['debit_fen']):.2f}",
                          "credit": f"{from_fen(p['credit_fen']):.2f}"} for p in doc["postings"]],
            "amount": f"{from_fen(doc['amount_fen']):.2f}", "reverses": doc.get("reverses", ""),
            "reference": doc.get("reference", ""), "posted_at": doc.get("posted_at"),
            "posted_by": doc.get("posted_by"), **({"detail": doc["detail"]} if doc.get("detail") else {}),
            **({"seq": doc["seq"], "balances_after": {  # running balances after it, in posting order
                code: f"{from_fen(v if lg.CHART[code].normal == 'debit' else -v):.2f}"
                for code, v in doc["balances_fen"].items() if code in lg.CHART}} if doc.get("balances_fen") else {})}


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


def carrier_borne(book: lg.Book) -> Decimal:
    """Losses of the year the carrier paid back in full (承办方全额承担), net of reversals."""
    return -sum((p.signed for e in book.entries if e.kind != "year_end" for p in e.postings
                 if p.account == "carrier_liability"), lg.ZERO)


def normal_balances(book: lg.Book, on: date | None = None) -> dict[str, str]:
    return {code: f"{book.normal_balance(code, on):.2f}" for code in lg.CHART}



# ---- the workflow ----------------------------------------------------------------------------------------------


def _running_plan(head: lg.Head, items: Sequence[tuple[lg.Entry, dict[str, Any] | None]], tenant: str, year: int
                  ) -> list[tuple[lg.Entry, dict[str, Any] | None, lg.Head | None]] | None:
    """Each entry checked against the figures the previous ones leave; None when one needs the whole book (or is
    refused: the book path then tells a replay from a refusal, and names the refusal)."""
    planned: list[tuple[lg.Entry, dict[str, Any] | None, lg.Head | None]] = []
    running = head
    for entry, extra in items:
        if not running.takes(entry):
            return None
        try:
            running.check(entry, tenant, year)
        except JingbanError:
            return None
        running = running.after(entry)
        planned.append((entry, extra, running))
    return planned


@dataclass
class Posted:
    doc: dict[str, Any]
    created: bool


class Fund:
    """Posting to and reading the books; `db_of(tenant)` is settlement's database of a tenant."""

    def __init__(self, db_of: Any, served: tuple[str, ...], kick: Any = None) -> None:
        self.db_of = db_of
        self.served = served
        # Each account-year's whole book as last read or written by this instance; reused while its length is the
        # head's `seq` (entries are never deleted, and `seq` is unique), so reports and back-dated checks do not
        # re-read the year. Postings that the running figures can check do not need it at all.
        self._books: dict[tuple[str, str, int], lg.Book] = {}
        self._complete: set[str] = set()  # tenants whose databases have a head for every account-year with entries
        self.kick = kick or (lambda: None)

    def store(self, tenant: str) -> FundStore:
        return FundStore(self.db_of(tenant))

    async def year_closings(self, tenant: str) -> list[dict[str, Any]]:
        """The year ends under way (or cut short) in this tenant's books."""
        return await self.store(tenant).year_closings()

    async def ensure_indexes(self, tenant: str) -> None:
        """The tenant's books' indexes, and their heads built once (FundStore.build_heads)."""
        await self.store(tenant).ensure_indexes()

    async def book(self, tenant: str, program: str, year: int) -> lg.Book:
        """The account-year's books (a copy: callers may check entries against it freely)."""
        store = self.store(tenant)
        head = await store.head_doc(program, year)
        return await self._book_at(store, tenant, program, year, None if head is None else head.get("seq"))

    async def _book_at(self, store: FundStore, tenant: str, program: str, year: int, seq: int | None) -> lg.Book:
        """The whole book, from this instance's cache when it holds exactly `seq` entries, else read."""
        key = (tenant, program, year)
        cached = self._books.get(key)
        if cached is None or seq is None or seq != len(cached.entries):
            docs = await store.entry_docs(program, year)
            cached = self._books[key] = lg.Book(tenant, program, year, [entry_of(d) for d in docs])
        return lg.Book(tenant, program, year, list(cached.entries))

    async def head(self, tenant: str, program: str, year: int) -> lg.Head:
        """The account-year's running figures (balances after the last entry), read without the year's entries."""
        store = self.store(tenant)
        doc = await store.head_doc(program, year)
        if doc is not None and "seq" in doc:
            return head_of(doc)
        return lg.Head.of(await self._book_at(store, tenant, program, year, None))

    async def _state(self, store: FundStore, tenant: str, program: str, year: int, rebuild: bool = False
                     ) -> tuple[lg.Head, bool]:
        """Under the account's lock: the running figures and whether the year is closed, from the head document;
        when it has no figures yet (books from before heads, or none) or on `rebuild`, from the whole book and the
        year's closing document, written back as the head."""
        doc = await store.head_doc(program, year)
        if doc is not None and "seq" in doc and not rebuild:
            return head_of(doc), bool(doc.get("closed"))
        if doc is None and not rebuild and await self._heads_complete(store, tenant):
            return lg.Head(), False  # no entries yet (a closing writes the head first)
        closed = bool(doc and doc.get("closed")) or await store.fund_year(program, year) is not None
        book = await self._book_at(store, tenant, program, year, None)
        head = lg.Head.of(book)
        if book.entries:
            await store.put_head({**head_doc(program, year, head, book.entries[-1].id), "closed": closed})
        return head, closed

    async def _heads_complete(self, store: FundStore, tenant: str) -> bool:
        if tenant not in self._complete and await store.heads_complete():
            self._complete.add(tenant)  # once complete, always: the mark is never taken back
        return tenant in self._complete

    async def closed(self, tenant: str, program: str, year: int) -> dict[str, Any] | None:
        return await self.store(tenant).fund_year(program, year)

    async def closing(self, tenant: str, program: str, year: int) -> bool:
        """A year end under way (or cut short by a crash, finished when settlement starts)."""
        return any(c["_id"] == f"{program}|{year}" for c in await self.store(tenant).year_closings())

    async def years(self, tenant: str, program: str) -> list[int]:
        """The fund years with entries in the tenant's books."""
        return await self.store(tenant).years(program)

    async def entries(self, tenant: str, program: str, year: int) -> list[dict[str, Any]]:
        """The account-year's entry documents, in posting order."""
        return await self.store(tenant).entry_docs(program, year)

    async def entry(self, tenant: str, entry_id: str) -> dict[str, Any] | None:
        """One entry document by its id, whatever its year."""
        return await self.store(tenant).entry_doc(entry_id)

    async def entry_heads(self, tenant: str, entry_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The entries of these ids that are in the books: their value date (`date`) and `posted_by`."""
        return await self.store(tenant).entry_heads(entry_ids)

    async def budget(self, tenant: str, program: Program, year: int) -> tuple[Decimal, Reason]:
        """The year's budget and where it comes from (`budget_set`: the agency's, set over HTTP; `budget_planned`:
        program.yaml's plan), the reason's detail the sentence answered before reasons were data."""
        doc = await self.store(tenant).budget_doc(program.code, year)
        if doc is not None:
            return Decimal(doc["amount"]), REASONS.reason(
                "budget_set", f"set by the agency ({doc['set_by']}, {doc['set_at'][:10]})", set_by=doc["set_by"],
                set_at=doc["set_at"][:10])
        return budget_of(program, year), REASONS.reason("budget_planned",
                                                        "planned in program.yaml (finance.annual_budget)")

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

    async def _prepare(self, tenant: str, program: str, year: int, entry: lg.Entry, rebuild: bool = False
                       ) -> tuple[lg.Head, dict[str, Any] | None]:
        """Under the account's lock: the running figures the entry was checked against, or the existing document of
        this entry id (a replay). An entry the running figures can take is checked against them (`Head.check`); any
        other against the whole book. A refused entry whose id is already in the books is a replay."""
        store = self.store(tenant)
        head, closed = await self._state(store, tenant, program, year, rebuild)
        try:
            if closed and entry.kind != "year_end":
                raise Conflict(f"fund year {year} of {tenant} is closed: post to the next year's books")
            fresh = False
            if head.takes(entry):
                try:
                    head.check(entry, tenant, year)
                    return head, None
                except Conflict:  # a refusal is confirmed against the entries read afresh, should the head lag
                    fresh = True
            book = await self._book_at(store, tenant, program, year, None if fresh else head.seq)
            if len(book.entries) != head.seq:  # the head lagged: the entries are the truth
                head = lg.Head.of(book)
                await store.put_head(head_doc(program, year, head, book.entries[-1].id))
            book.check(entry)
        except JingbanError:
            existing = await self._existing(store, program, year, entry)
            if existing is not None:
                return head, existing
            raise
        return head, None

    @staticmethod
    async def _existing(store: FundStore, program: str, year: int, entry: lg.Entry) -> dict[str, Any] | None:
        existing = await store.entry_doc(entry.id)
        if existing is not None and (existing["year"] != year or existing["program"] != program
                                     or not _same(existing, entry)):
            raise Conflict(f"entry id {entry.id} was already used for another movement", "id")
        return existing

    def _doc(self, tenant: str, program: str, year: int, after: lg.Head, entry: lg.Entry, who: str,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The entry's document: `seq` its place in the account-year, `balances_fen` the running (signed) balances
        after it in posting order."""
        return {"_id": entry.id, "tenant": tenant, "program": program, "year": year, "date": entry.date.isoformat(),
                "kind": entry.kind, "memo": entry.memo, "postings": _posting_docs(entry),
                "amount_fen": to_fen(entry.amount), "reverses": entry.reverses, "reference": entry.reference,
                "seq": after.seq, "balances_fen": _balances_fen(after), "posted_at": datetime.now(UTC).isoformat(),
                "posted_by": who, **(extra or {})}

    def _remember(self, tenant: str, program: str, year: int, before: lg.Head, entries: Sequence[lg.Entry]) -> None:
        cached = self._books.get((tenant, program, year))
        if cached is not None:
            if len(cached.entries) == before.seq:
                cached.entries.extend(entries)
            else:
                del self._books[(tenant, program, year)]

    async def post(self, tenant: str, program: str, year: int, entry: lg.Entry, who: str,
                   extra: dict[str, Any] | None = None) -> Posted:
        async with LOCKS.hold(account_lock(tenant, program, year)):
            return await self._post_locked(tenant, program, year, entry, who, extra)

    async def _post_locked(self, tenant: str, program: str, year: int, entry: lg.Entry, who: str,
                           extra: dict[str, Any] | None = None) -> Posted:
        store = self.store(tenant)
        for attempt in range(2):
            head, existing = await self._prepare(tenant, program, year, entry, rebuild=attempt > 0)
            if existing is not None:
                return Posted(existing, False)
            after = head.after(entry)
            doc = self._doc(tenant, program, year, after, entry, who, extra)
            if await store.insert_entry(doc, [_ledger_event(tenant, program, year, entry)]):
                await store.put_head(head_doc(program, year, after, entry.id))
                self._remember(tenant, program, year, head, [entry])
                self.kick()
                return Posted(doc, True)
            existing = await self._existing(store, program, year, entry)
            if existing is not None:
                return Posted(existing, False)
            # The sequence number is taken: the head lagged behind the entries (a crash between the two writes, or
            # another process). Rebuild it from the entries and check again.
            self._books.pop((tenant, program, year), None)
        raise Conflict(f"entry {entry.id} could not be posted: the books of {tenant} {year} moved meanwhile; send the "
                       "request again")

    async def post_many(self, tenant: str, program: str, year: int,
                        items: Sequence[tuple[lg.Entry, dict[str, Any] | None]], who: str) -> list[Posted]:
        """Post several entries to one account-year at once (e.g. a month's payments): each checked in order
        against the figures the previous ones leave, then all written with one ordered insert. All or nothing: a
        refused entry writes none. An entry already in the books is a replay, returned as it stands. (An id already
        used in other books is met only by the insert: the entries before it stay posted, each whole, and the 409
        names the id.)"""
        ids = [e.id for e, _ in items]
        if len(set(ids)) != len(ids):
            raise InvalidInput("an entry id appears twice in the batch", "id")
        if not items:
            return []
        async with LOCKS.hold(account_lock(tenant, program, year)):
            store = self.store(tenant)
            for attempt in range(2):
                head, closed = await self._state(store, tenant, program, year, rebuild=attempt > 0)
                planned = None if closed or attempt else _running_plan(head, items, tenant, year)
                if planned is None:
                    head, planned = await self._book_plan(store, tenant, program, year, items, bool(closed))
                new = [(e, after) for e, _, after in planned if after is not None]
                docs = {e.id: self._doc(tenant, program, year, after, e, who, x)
                        for e, x, after in planned if after is not None}
                if docs and await store.insert_entries(
                        [with_events(docs[e.id], [_ledger_event(tenant, program, year, e)]) for e, _ in new]
                ) is not None:
                    # A duplicate key: an entry was a replay the running figures could not see, an id used in
                    # other books (a 409 naming it), or another writer moved the books. What went in stays (each
                    # entry is whole); plan again from the entries.
                    self._books.pop((tenant, program, year), None)
                    try:
                        for e, _ in new:
                            await self._existing(store, program, year, e)
                    except Conflict:
                        await self._state(store, tenant, program, year, rebuild=True)  # the head takes what went in
                        raise
                    continue
                if new:
                    last_entry, last = new[-1]
                    await store.put_head(head_doc(program, year, last, last_entry.id))
                    self._remember(tenant, program, year, head, [e for e, _ in new])
                    self.kick()
                return [Posted(docs[e.id], True) if after is not None
                        else Posted(await self._existing(store, program, year, e) or {}, False)
                        for e, _, after in planned]
        raise Conflict(f"the entries could not be posted: the books of {tenant} {year} moved meanwhile; send the "
                       "request again")

    async def _book_plan(self, store: FundStore, tenant: str, program: str, year: int,
                         items: Sequence[tuple[lg.Entry, dict[str, Any] | None]], closed: bool
                         ) -> tuple[lg.Head, list[tuple[lg.Entry, dict[str, Any] | None, lg.Head | None]]]:
        """Check a batch against the whole book read afresh: entries already in it are replays (no head)."""
        book = await self._book_at(store, tenant, program, year, None)
        head = running = lg.Head.of(book)
        known = {e.id for e in book.entries}
        planned: list[tuple[lg.Entry, dict[str, Any] | None, lg.Head | None]] = []
        for entry, extra in items:
            if entry.id in known:
                await self._existing(store, program, year, entry)  # same movement, or a 409 naming the id
                planned.append((entry, extra, None))
                continue
            if closed and entry.kind != "year_end":
                raise Conflict(f"fund year {year} of {tenant} is closed: post to the next year's books")
            book.check(entry)
            book.entries.append(entry)
            running = running.after(entry)
            planned.append((entry, extra, running))
        return head, planned

    # ---- allocations by the agency (基金拨付) ---------------------------------------------------------------

    async def allocate(self, program: Program, targets: tuple[str, ...], allocation_id: str, year: int, kind: str,
                       amount: Decimal, day: date, who: str) -> dict[str, Any]:
        fin = finance_of(program)
        if fin.get("funding") == "monthly_actual":  # 按月据实拨付: no budget shares (monthly_funding.py)
            raise InvalidInput(f"program {program.code} is funded monthly by actual spending: allocate with kind "
                               "monthly_actual and the month reimbursed", "kind")
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
                reason = REASONS.reason("within_budget", f"allocations {initial + in_year + amount:.2f} of the "
                                                         f"budget {budget:.2f}",
                                        allocations=f"{initial + in_year + amount:.2f}", budget=f"{budget:.2f}")
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
                         "share": str(share), "reason": reason.detail, "reason_codes": [reason.to_json()]}
                posted = Posted(existing, False) if existing is not None else await self._post_locked(
                    t, program.code, year, entry, who, extra)
                out.append({**entry_view(posted.doc), "created": posted.created})
        return {"allocation_id": allocation_id, "program": program.code, "year": year, "kind": kind,
                "amount": f"{amount:.2f}", "reason": reason.detail, "reason_codes": [reason.to_json()],
                "replayed": replay == len(shares),
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
                expected = Decimal(d["expected_amount"]) if d.get("expected_amount") else lg.split_by_shares(
                    whole, [(t.tenant, t.share) for t in program.tenants])[tenant]  # monthly_actual: its own
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


async def post_payment(ledger: Fund, tenant: str, month: str, payment_id: str, amount_fen: int, institution: str,
                       who: str, day: date | None = None, memo: str = "") -> dict[str, Any] | None:
    """Book a statement's payment to an institution (待遇支付) in the tenant's dedicated account for the
    statement's year, refused (409, naming the shortfall) when the bank cannot cover it — before anything is
    written. Idempotent by the payment id. Programs without a finance section keep no books: nothing posted.
    `ledger`: the service's `Fund` (its head and books cached)."""
    program = program_of_tenant(tenant)
    if program is None or not finance_of(program) or amount_fen <= 0:
        return None
    year = int(month[:4])
    entry = lg.payment(f"payment:{payment_id}", day or today_cn(), from_fen(amount_fen),
                       memo or f"支付 {institution} {month} 结算款", reference=payment_id)
    posted = await ledger.post(tenant, program.code, year, entry, who)
    return posted.doc


@dataclass(frozen=True)
class PaymentDue:
    """One payment of a payment run (批量支付), booked `payment:<payment_id>` (`benefits_paid`) in the fund year of
    its month, dated today; `booked_on`: the value date of its entry when an earlier run (cut short by a crash)
    already booked it — a replay, posted once, not counted again against the bank."""

    payment_id: str
    month: str
    amount_fen: int
    memo: str
    booked_on: date | None = None

    @property
    def entry_id(self) -> str:
        return f"payment:{self.payment_id}"


async def post_payments(ledger: Fund, tenant: str, dues: Sequence[PaymentDue], who: str, what: str) -> int:
    """Book a payment run in the tenant's dedicated account, all or nothing: every fund year it touches is checked
    first — a run the bank cannot cover whole is refused with `InsufficientFunds` naming the run's shortfall, before
    anything is written — then each year's payments are posted as one batch (`Fund.post_many`: one head read, one
    ordered insert, one head write). Entries already booked (`booked_on`, a retry) are replays. Returns how many
    entries were written; 0 for a program without a finance section (it keeps no books). (A run over two fund years
    whose second batch is refused by a posting that raced it keeps its first batch: a retry completes it, once.)"""
    program = program_of_tenant(tenant)
    if program is None or not finance_of(program):
        return 0
    today = today_cn()
    by_year: dict[int, list[tuple[lg.Entry, bool]]] = {}
    for d in dues:
        if d.amount_fen > 0:
            by_year.setdefault(int(d.month[:4]), []).append((lg.payment(
                d.entry_id, d.booked_on or today, from_fen(d.amount_fen), d.memo, reference=d.payment_id),
                d.booked_on is None))
    store = ledger.store(tenant)
    for year, items in sorted(by_year.items()):
        new = [e for e, fresh in items if fresh]
        need = sum((e.amount for e in new), lg.ZERO)
        doc = await store.head_doc(program.code, year)
        if not new or (doc is not None and doc.get("closed")):
            continue  # nothing new, or a closed year: `post_many` refuses that below, naming why
        head = head_of(doc) if doc is not None and "seq" in doc else await ledger.head(tenant, program.code, year)
        bank = head.normal_balance("bank")
        if need > bank:
            short = need - bank
            raise lg.insufficient_funds(
                f"{what} needs {need:.2f} from the dedicated account (专户) of {tenant} for {year} ({len(new)} "
                f"payment(s)), whose bank balance is {bank:.2f}: short by {short:.2f}; the carrier must advance (垫付) "
                f"at least {short:.2f} first; nothing was written", tenant, year, short, need, bank)
    written = 0
    for year, items in sorted(by_year.items()):
        posted = await ledger.post_many(tenant, program.code, year, [(e, None) for e, _ in items], who)
        written += sum(1 for p in posted if p.created)
    return written


async def post_recovery(ledger: Fund, tenant: str, key: str, year: int, amount_fen: int, memo: str,
                        who: str) -> dict[str, Any] | None:
    """Book money recovered (追回款, `recoveries`) under entry `recovery:<key>`, once: a retry finds the entry
    whatever its year or value date. In the fund year `year` (the claim's), or the current year's books when that
    one is closed. Programs without a finance section keep no books: nothing posted."""
    program = program_of_tenant(tenant)
    if program is None or not finance_of(program) or amount_fen <= 0:
        return None
    entry_id = f"recovery:{key}"
    existing = await ledger.entry(tenant, entry_id)
    if existing is not None:
        return existing
    day = today_cn()
    if day.year > year + 1 or await ledger.closed(tenant, program.code, year):  # outside that year's books
        year = day.year
    entry = lg.recovery(entry_id, day, from_fen(amount_fen), memo, reference=key)
    return (await ledger.post(tenant, program.code, year, entry, who)).doc


# ---- allocations cut short (recovery) -------------------------------------------------------------------


async def unfinished_allocations(fund: Fund, program: Program, served: Iterable[str]) -> list[dict[str, Any]]:
    """Allocations split between the carriers served here (`Fund.allocate`) that a crash cut short: in some of their
    books, not in all. Each entry carries the whole request (program amount, kind, value date, who), so the split is
    finished by allocating again (`allocate` posts only the missing shares). One reversed anywhere was withdrawn on
    purpose: left alone."""
    members = [t.tenant for t in program.tenants if t.tenant in set(served)]
    if len(members) < 2:
        return []
    found: dict[str, dict[str, Any]] = {}
    holders: dict[str, set[str]] = {}
    reversed_ids: set[str] = set()
    for t in members:
        docs = await fund.store(t).allocation_entries(program.code)
        reversed_ids |= {d["reverses"] for d in docs if d.get("reverses")}
        for d in docs:
            if d["kind"] == "allocation" and d.get("allocation_kind") in ("initial", "in_year"):
                found.setdefault(d["allocation_id"], d)
                holders.setdefault(d["allocation_id"], set()).add(t)
    return [found[a] for a in sorted(found) if holders[a] != set(members) and f"allocation:{a}" not in reversed_ids]


async def finish_allocation(fund: Fund, program: Program, served: Iterable[str], entry: dict[str, Any]) -> None:
    """Allocate again from an entry of an allocation cut short (see `unfinished_allocations`)."""
    members = tuple(t.tenant for t in program.tenants if t.tenant in set(served))
    await fund.allocate(program, members, entry["allocation_id"], int(entry["year"]), entry["allocation_kind"],
                        Decimal(entry["program_amount"]), date.fromisoformat(entry["date"]),
                        entry.get("posted_by") or "settlement-recovery")
