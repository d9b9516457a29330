"""The fund room's collections (专户资金), one set per tenant's settlement database — the only module touching them
(see service/account.py for what each holds and the order of writes):
- `ledger_entries` (with `ledger.posted` in `_outbox`), `ledger_heads`, `fund_years` (with `fund_year.closed`),
  `fund_budgets`, `fund_year_closings`;
- read only: the chronic, critical illness and long-term care statements, payables and payments of a year (a year
  does not close with one unpaid; the reconciliation compares the payments with the entries that booked them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.money import from_fen, to_fen
from chassis.outbox import push_events, with_events
from services.settlement.fund.domain import ledger as lg

LEDGER_ENTRIES = "ledger_entries"
LEDGER_HEADS = "ledger_heads"
HEADS_COMPLETE = "heads_complete"   # in ledger_heads: every account-year with entries has its head
FUND_YEARS = "fund_years"
FUND_BUDGETS = "fund_budgets"
FUND_YEAR_CLOSINGS = "fund_year_closings"
# Long-term care: the carrier's fee of a year (经办服务费, `_id` the year): the score consumed from audit and the
# performance money recorded paid (with `ltc_fee.performance_paid` in `_outbox`).
LTC_FEES = "ltc_fees"
FUND_OUTBOX_COLLECTIONS = [LEDGER_ENTRIES, FUND_YEARS, LTC_FEES]
STATEMENTS = "statements"   # settlement's own (store.py): read to refuse closing a year with unpaid statements
PAYMENTS = "payments"
CI_STATEMENTS = "ci_statements"            # critical illness (critical_store.py): read for the same reasons
CI_PERSON_PAYABLES = "ci_person_payables"
CI_PAYMENTS = "ci_payments"
LTC_STATEMENTS = "ltc_statements"          # long-term care (care/store.py): read for the same reasons
LTC_PAYMENTS = "ltc_payments"
DUPLICATE_KEY = 11000


# ---- documents ------------------------------------------------------------------------------------------------


def _posting_docs(entry: lg.Entry) -> list[dict[str, Any]]:
    return [{"account": p.account, "debit_fen": to_fen(p.debit), "credit_fen": to_fen(p.credit)}
            for p in entry.postings]


def entry_of(doc: dict[str, Any]) -> lg.Entry:
    return lg.Entry(doc["_id"], date.fromisoformat(doc["date"]), doc["kind"], doc.get("memo", ""),
                    tuple(lg.Posting(p["account"], from_fen(p["debit_fen"]), from_fen(p["credit_fen"]))
                          for p in doc["postings"]), doc.get("reverses", ""), doc.get("reference", ""))



def _balances_fen(head: lg.Head) -> dict[str, int]:
    return {code: to_fen(head.balance(code)) for code in lg.CHART}


def head_doc(program: str, year: int, head: lg.Head, entry_id: str) -> dict[str, Any]:
    return {"_id": f"{program}|{year}", "program": program, "year": year, "seq": head.seq,
            "last_date": head.last_date.isoformat() if head.last_date else None,
            "balances_fen": _balances_fen(head), "entry_id": entry_id, "updated_at": datetime.now(UTC).isoformat()}


def head_of(doc: dict[str, Any]) -> lg.Head:
    """The running figures of a head document (one holding only `closed` has none: see `Fund._state`)."""
    return lg.Head(doc["seq"], date.fromisoformat(doc["last_date"]) if doc.get("last_date") else None,
                   {code: from_fen(doc["balances_fen"].get(code, 0)) for code in lg.CHART})



# ---- the store -----------------------------------------------------------------------------------------------


class FundStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        for name in FUND_OUTBOX_COLLECTIONS:
            await self._db[name].create_index("_outbox_pending")
        await self._db[LEDGER_ENTRIES].create_index([("program", 1), ("year", 1)])
        # One entry per position in an account-year's sequence: a posting from a stale head cannot slip in.
        await self._db[LEDGER_ENTRIES].create_index([("program", 1), ("year", 1), ("seq", 1)], unique=True)
        await self.build_heads()

    async def build_heads(self) -> None:
        """Once per database: a head for every account-year whose entries were posted before heads existed, then
        the mark `heads_complete` — from then on an account-year without a head has no entries (a crash between its
        first entry and its first head is caught by the unique `seq` and rebuilt), so its first posting reads
        nothing more."""
        if await self.heads_complete():
            return
        books: dict[tuple[str, int], list[lg.Entry]] = {}
        for d in await self._db[LEDGER_ENTRIES].find({}, {"_outbox": 0}).sort([("seq", 1), ("_id", 1)]).to_list(None):
            books.setdefault((d["program"], d["year"]), []).append(entry_of(d))
        for y in await self._db[FUND_YEARS].find({}, {"program": 1, "year": 1}).to_list(None):
            books.setdefault((y["program"], y["year"]), [])  # a year closed with no entry is closed all the same
        for (program, year), entries in books.items():
            if await self.head_doc(program, year) is None:
                head = lg.Head.of(lg.Book("", program, year, entries))
                closed = await self.fund_year(program, year) is not None
                await self.put_head({**head_doc(program, year, head, entries[-1].id if entries else ""),
                                     "closed": closed})
        await self._db[LEDGER_HEADS].replace_one({"_id": HEADS_COMPLETE}, {"_id": HEADS_COMPLETE, "at": datetime.now(
            UTC).isoformat()}, upsert=True)

    async def heads_complete(self) -> bool:
        return await self._db[LEDGER_HEADS].find_one({"_id": HEADS_COMPLETE}) is not None

    async def head_doc(self, program: str, year: int) -> dict[str, Any] | None:
        return await self._db[LEDGER_HEADS].find_one({"_id": f"{program}|{year}"})

    async def put_head(self, doc: dict[str, Any]) -> None:
        """The running figures; `closed` (set by `insert_fund_year`) is left as it is."""
        await self._db[LEDGER_HEADS].update_one({"_id": doc["_id"]}, {"$set": {k: v for k, v in doc.items()
                                                                               if k != "_id"}}, upsert=True)

    async def insert_entries(self, docs: list[dict[str, Any]]) -> int | None:
        """Insert entries in order (each with its own events); None when all went in, else how many did before a
        duplicate key stopped the rest."""
        try:
            await self._db[LEDGER_ENTRIES].insert_many(docs, ordered=True)
        except BulkWriteError as exc:
            return int(exc.details.get("nInserted", 0))
        return None

    async def entry_docs(self, program: str, year: int) -> list[dict[str, Any]]:
        return await self._db[LEDGER_ENTRIES].find({"program": program, "year": year}, {"_outbox": 0}).sort(
            [("seq", 1), ("_id", 1)]).to_list(None)

    async def entry_count(self, program: str, year: int) -> int:
        return await self._db[LEDGER_ENTRIES].count_documents({"program": program, "year": year})

    async def entry_doc(self, entry_id: str) -> dict[str, Any] | None:
        return await self._db[LEDGER_ENTRIES].find_one({"_id": entry_id}, {"_outbox": 0})

    async def entry_heads(self, entry_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Entries by id (value date and who posted them only), those that are in the books."""
        wanted = sorted(set(entry_ids))
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 1000):
            for d in await self._db[LEDGER_ENTRIES].find({"_id": {"$in": wanted[start:start + 1000]}},
                                                         {"date": 1, "posted_by": 1}).to_list(None):
                out[d["_id"]] = d
        return out

    async def years(self, program: str) -> list[int]:
        return sorted({d["year"] for d in await self._db[LEDGER_ENTRIES].find(
            {"program": program}, {"year": 1}).to_list(None)})

    async def insert_entry(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[LEDGER_ENTRIES].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def fund_year(self, program: str, year: int) -> dict[str, Any] | None:
        return await self._db[FUND_YEARS].find_one({"_id": f"{program}|{year}"}, {"_outbox": 0})

    async def insert_fund_year(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        # The head says closed before the year's document exists: posters read only the head.
        await self._db[LEDGER_HEADS].update_one({"_id": doc["_id"]}, {"$set": {
            "program": doc["program"], "year": doc["year"], "closed": True}}, upsert=True)
        try:
            await self._db[FUND_YEARS].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def allocation_entries(self, program: str) -> list[dict[str, Any]]:
        """The program's allocations (基金拨付) in these books, and the reversals (of anything), heads only."""
        return await self._db[LEDGER_ENTRIES].find(
            {"program": program, "kind": {"$in": ["allocation", "reversal"]}},
            {"kind": 1, "year": 1, "date": 1, "reverses": 1, "allocation_id": 1, "allocation_kind": 1,
             "program_amount": 1, "posted_by": 1}).to_list(None)

    async def begin_year_close(self, request: dict[str, Any]) -> None:
        """Before a year end's first write: the year refuses postings from now on (its head says closed), and the
        request is kept to finish the close should a crash cut it short."""
        await self._db[LEDGER_HEADS].update_one({"_id": request["_id"]}, {"$set": {
            "program": request["program"], "year": request["year"], "closed": True}}, upsert=True)
        await self._db[FUND_YEAR_CLOSINGS].replace_one({"_id": request["_id"]}, request, upsert=True)

    async def end_year_close(self, program: str, year: int) -> None:
        await self._db[FUND_YEAR_CLOSINGS].delete_one({"_id": f"{program}|{year}"})

    async def year_closings(self) -> list[dict[str, Any]]:
        """The year ends under way (or cut short) in these books."""
        return await self._db[FUND_YEAR_CLOSINGS].find({}).sort("_id", 1).to_list(None)

    async def budget_doc(self, program: str, year: int) -> dict[str, Any] | None:
        return await self._db[FUND_BUDGETS].find_one({"_id": f"{program}|{year}"})

    async def put_budget(self, doc: dict[str, Any]) -> None:
        await self._db[FUND_BUDGETS].replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def unpaid_statements(self, year: int) -> list[str]:
        """Chronic statements, critical illness statements (an open one with no claim excepted) and payables to
        persons (零星报销) of the year not yet paid."""
        months = {"month": {"$gte": f"{year}-01", "$lte": f"{year}-12"}}
        docs = await self._db[STATEMENTS].find(months, {"status": 1}).to_list(None)
        unpaid = [d["_id"] for d in docs if d.get("status") != "paid"]
        docs = await self._db[CI_STATEMENTS].find(months, {"status": 1, "line_count": 1}).to_list(None)
        unpaid += [d["_id"] for d in docs if d.get("status") != "paid"
                   and (d.get("status") != "open" or d.get("line_count", 0) > 0)]
        docs = await self._db[CI_PERSON_PAYABLES].find(months, {"status": 1}).to_list(None)
        unpaid += [d["_id"] for d in docs if d.get("status") != "paid"]
        docs = await self._db[LTC_STATEMENTS].find(months, {"status": 1}).to_list(None)
        unpaid += [d["_id"] for d in docs if d.get("status") != "paid"]
        return sorted(unpaid)

    async def payments_of(self, year: int) -> list[dict[str, Any]]:
        months = {"month": {"$gte": f"{year}-01", "$lte": f"{year}-12"}}
        return [*await self._db[PAYMENTS].find(months, {"_outbox": 0}).to_list(None),
                *await self._db[CI_PAYMENTS].find(months, {"_outbox": 0}).to_list(None),
                *await self._db[LTC_PAYMENTS].find(months, {"_outbox": 0}).to_list(None)]

    # ---- the long-term care carrier's fee (经办服务费) ------------------------------------------------------------

    async def ltc_fee(self, year: int) -> dict[str, Any] | None:
        return await self._db[LTC_FEES].find_one({"_id": str(year)}, {"_outbox": 0, "_outbox_pending": 0})

    async def put_ltc_score(self, year: int, score: dict[str, Any]) -> bool:
        """The year's score as audit assessed it, kept only when newer (a higher revision) than the one held: a
        redelivery or an older correction arriving late changes nothing."""
        try:
            result = await self._db[LTC_FEES].update_one(
                {"_id": str(year), "$or": [{"score": None}, {"score.revision": {"$lt": score["revision"]}}]},
                {"$set": {"year": year, "score": score}}, upsert=True)
        except DuplicateKeyError:  # the year holds this revision or a newer one
            return False
        return bool(result.modified_count == 1 or result.upserted_id is not None)

    async def record_ltc_performance(self, year: int, revision: int, payment: dict[str, Any],
                                     events: list[dict[str, Any]]) -> bool:
        """The performance money recorded paid once, by the score revision it was computed from; False when it was
        recorded already or the score changed meanwhile."""
        result = await self._db[LTC_FEES].update_one(
            {"_id": str(year), "performance_payment": None, "score.revision": revision},
            push_events({"$set": {"performance_payment": payment}}, events))
        return bool(result.modified_count == 1)
