"""Critical illness insurance (大病保险) collections of settlement, one database per tenant.

- `ci_persons`: one document per person: assistance status periods (救助对象, from the civil affairs list).
- `ci_accounts`: one document per person and year (`<person>|<year>`): cumulative self-pay and paid (fen), the
  claim ids applied (idempotency), a `version`; carries the `critical_claim.settled` events of the claims it
  applied (outbox), written in the same single-document update as the figures.
- `ci_claims`: one document per claim id, its inputs, digest and result (payable, reasons, policy version, tier,
  stratum and review decision). Written before the account; a claim the account does not name is not settled.
- `ci_quota_state`: one per year and stratum: the recorded random seed and the running counts selection uses.
- `ci_quota_members`: one per year, stratum and member (person or claim): the decision, its draw and why.
- `ci_reviews`: one per selected claim (`R-<claim id>`), open → completed; carries `critical_review.completed`.
- `ci_documents`: the documents of manual reimbursements (零星报销), with their sha256.
- `ci_statements`: one per institution, month and sequence (`CI-<institution>-<YYYY-MM>[-<n>]`): the lines of the
  claims it pays (pushed while open), status open → closing → closed → reconciled → paid; carries
  `statement.closed` and `statement.reconciled` (see critical_statements.py).
- `ci_person_payables`: one per manual reimbursement the fund pays (`PP-<claim id>`): what is owed to the person,
  the bank account to pay it to, unpaid → paid.
- `ci_payments`: one per payment (to an institution for a statement, or to a person for a payable), carrying
  `payment.issued`; the ledger entry that booked it is `payment:<payment id>`.

No transactions (FerretDB 1.x): see critical.py for the order of writes that a retry completes.

Sealed here (chassis/pii.py; `SEALED` says how, per collection): the manual reimbursements' documents (their bytes
and file names: invoices, discharge summaries); on payables and payments to persons, the person and the bank account;
and the identity number wherever it is kept. No id is built on an identity number: a person's document is keyed on
the keyed pseudonym of their number (`Sealer.id_index`): `ci_persons` `<index>`, `ci_accounts` `<index>|<year>`,
`ci_quota_members` `<year>|<stratum>|<index of the member's key>` (a person or a claim key). The number itself is
sealed beside its blind index (`person_bi`, what a query by person reads) in persons, accounts, claims and members;
sealed alone where nothing looks it up (reviews, with their reviewer's note; statement lines); a claim's digest (a
hash of its inputs, the number among them) and its documents' file names are sealed too. Lookups ask for the index
under every blind-index key version held (`Sealer.id_indexes`/`blind_indexes`), so a rotation loses no account. The
store translates: the service and the doors see clear values only. Documents stored before sealing are re-keyed
and sealed when the store starts (`ensure_indexes`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import guarded_update, push_events, with_events
from chassis.pii import Sealed, Sealer, is_sealed, sealer_of

PERSONS = "ci_persons"
ACCOUNTS = "ci_accounts"
CLAIMS = "ci_claims"
QUOTA_STATE = "ci_quota_state"
QUOTA_MEMBERS = "ci_quota_members"
REVIEWS = "ci_reviews"
DOCUMENTS = "ci_documents"
STATEMENTS = "ci_statements"
PERSON_PAYABLES = "ci_person_payables"
PAYMENTS = "ci_payments"

CRITICAL_OUTBOX_COLLECTIONS = [ACCOUNTS, REVIEWS, STATEMENTS, PAYMENTS]
# What of these documents is personal data and sealed (chassis/pii.py).
CLAIM_DOCUMENT = Sealed(text=("filename",), data=("content",))
TO_PERSON = Sealed(text=("person_id",), json=("bank_account",))  # payables to persons, payments to them
PERSON = Sealed(persons={"person_id": "person_bi"})  # ci_persons, ci_accounts (their ids: the person's id index)
CLAIM = Sealed(text=("digest", "documents.*.filename"), persons={"person_id": "person_bi"})
MEMBER = Sealed(text=("key",), persons={"person_id": "person_bi"})  # (`key`: the person, or the claim's key)
REVIEW = Sealed(text=("person_id", "note"))  # (note: the reviewer's free text)
STATEMENT = Sealed(text=("lines.*.person_id",))
SEALED = {DOCUMENTS: CLAIM_DOCUMENT, PERSON_PAYABLES: TO_PERSON, PAYMENTS: TO_PERSON, PERSONS: PERSON,
          ACCOUNTS: PERSON, CLAIMS: CLAIM, QUOTA_MEMBERS: MEMBER, REVIEWS: REVIEW, STATEMENTS: STATEMENT}
# Collections whose ids were built on the identity number before sealing: re-keyed on start (`_seal_stored_clear`),
# once per database (noted in `store_migrations`: on FerretDB any query reads through the whole collection).
REKEYED = (PERSONS, ACCOUNTS, QUOTA_MEMBERS)
MIGRATIONS = "store_migrations"
SEALED_ON_START = "critical-pii-sealed-1"
DUPLICATE_KEY = 11000


def account_id(person_index: str, year: int) -> str:
    """`<the person's id index>|<year>` (never the identity number)."""
    return f"{person_index}|{year}"


def member_id(year: int, stratum: str, key_index: str) -> str:
    return f"{year}|{stratum}|{key_index}"


class _Opener:
    """Opens many sealed values read together (a statement's lines), each distinct one once: the lines of one write
    share one sealed value per person (`CriticalStore._seal_lines`)."""

    def __init__(self, pii: Sealer) -> None:
        self._pii = pii
        self._clear: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        if value not in self._clear:
            self._clear[value] = self._pii.open(value)
        return self._clear[value]


class CriticalStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    @property
    def db(self) -> Any:
        """The tenant's database, for the review room (智能审核: services/settlement/review), whose collections are
        its own."""
        return self._db

    def pseudonym(self, value: str) -> str:
        """What an id derived from a person (their identity number, or a key that is one) is derived from: its keyed
        pseudonym (`Sealer.id_index`, newest blind-index key) — a hash of the clear number and a little known context
        could be reversed by trying every number. Deterministic per tenant, different across tenants."""
        return self._pii.id_index(value)

    def pseudonyms(self, value: str) -> list[str]:
        """The pseudonym under every blind-index key version held, newest first: what an id derived before a
        rotation was derived from (looked up, so the same claim sent again is still found)."""
        return self._pii.id_indexes(value)

    async def ensure_indexes(self) -> None:
        for name in CRITICAL_OUTBOX_COLLECTIONS:
            await self._db[name].create_index("_outbox_pending")
        await self._db[CLAIMS].create_index([("person_bi", 1), ("year", 1)])
        await self._db[REVIEWS].create_index([("status", 1), ("year", 1)])
        await self._db[QUOTA_MEMBERS].create_index([("year", 1), ("stratum", 1), ("population", -1)])
        await self._db[DOCUMENTS].create_index("claim_id")
        await self._db[STATEMENTS].create_index("month")
        await self._db[PERSON_PAYABLES].create_index("month")
        await self._db[PAYMENTS].create_index("month")
        await self._seal_stored_clear()

    async def _seal_stored_clear(self) -> None:
        """What was stored before identity numbers were sealed (documents without a blind index): a person's,
        account or quota member re-keyed on the pseudonym and sealed (the new document inserted, then the old one
        removed — a crash between the two leaves both, and the next start removes the old); claims sealed in place.
        Idempotent; noted as done, after which a start reads only that note."""
        if await self._db[MIGRATIONS].find_one({"_id": SEALED_ON_START}) is not None:
            return
        pii = self._pii
        for name in REKEYED:
            for doc in await self._db[name].find({"person_bi": {"$exists": False}}).to_list(None):
                if is_sealed(doc.get("person_id")):
                    continue
                if name == PERSONS:
                    new_id = pii.id_index(doc["person_id"])
                elif name == ACCOUNTS:
                    new_id = account_id(pii.id_index(doc["person_id"]), doc["year"])
                else:
                    new_id = member_id(doc["year"], doc["stratum"], pii.id_index(doc["key"]))
                try:
                    await self._db[name].insert_one(SEALED[name].seal(pii, {**doc, "_id": new_id}))
                except DuplicateKeyError:
                    pass
                await self._db[name].delete_one({"_id": doc["_id"], "person_bi": {"$exists": False}})
        for doc in await self._db[CLAIMS].find({"person_bi": {"$exists": False}}).to_list(None):
            changes = CLAIM.reseal(pii, doc)
            if changes:
                await self._db[CLAIMS].update_one({"_id": doc["_id"], "person_bi": {"$exists": False}},
                                                  {"$set": changes})
        await self._db[MIGRATIONS].replace_one({"_id": SEALED_ON_START}, {"_id": SEALED_ON_START}, upsert=True)

    async def by_ids(self, name: str, ids: Sequence[str], projection: dict[str, int] | None
                     ) -> list[dict[str, Any]]:
        """Documents of one of these collections by id, in the order asked; `projection` fields left out (0) or the
        only ones read (1), the pending events never read."""
        if projection is None or 0 in projection.values():
            projection = {**(projection or {}), "_outbox": 0}
        out: list[dict[str, Any]] = []
        wanted = list(ids)
        for start in range(0, len(wanted), 1000):
            out += await self._db[name].find({"_id": {"$in": wanted[start:start + 1000]}}, projection).to_list(None)
        order = {x: i for i, x in enumerate(wanted)}
        if name == STATEMENTS:
            out = self._open_statements(out)
        else:
            sealed = SEALED.get(name)
            if sealed is not None:
                out = sealed.open_all(self._pii, out)
        return sorted(out, key=lambda d: order[d["_id"]])

    async def pending(self, name: str, ids: Sequence[str]) -> list[str]:
        """Which of these documents still carry events the relay has not published."""
        wanted = sorted(set(ids))
        out: list[str] = []
        for start in range(0, len(wanted), 1000):
            out += [d["_id"] for d in await self._db[name].find(
                {"_id": {"$in": wanted[start:start + 1000]}, "_outbox_pending": {"$gt": 0}}, {"_id": 1}).to_list(None)]
        return out

    # ---- persons -------------------------------------------------------------------------------------------

    async def person(self, person_id: str) -> dict[str, Any] | None:
        """The person's assistance record, as the service keeps it (`_id` = the identity number)."""
        pii = self._pii
        doc = PERSON.open(pii, await self._db[PERSONS].find_one({"_id": {"$in": pii.id_indexes(person_id)}}))
        return None if doc is None else {**doc, "_id": person_id}

    async def put_person(self, doc: dict[str, Any]) -> None:
        """Write the person's record (kept under the id it already has, else under the newest pseudonym)."""
        pii = self._pii
        person = doc.get("person_id") or doc["_id"]
        ids = pii.id_indexes(person)
        found = await self._db[PERSONS].find_one({"_id": {"$in": ids}}, {"_id": 1})
        stored_id = found["_id"] if found else ids[0]
        sealed = PERSON.seal(pii, {**doc, "_id": stored_id, "person_id": person})
        await self._db[PERSONS].replace_one({"_id": stored_id}, sealed, upsert=True)

    # ---- accounts ------------------------------------------------------------------------------------------

    def _account_ids(self, person_id: str, year: int) -> list[str]:
        """Where the person's account of the year may be kept: under the pseudonym of each blind-index key held."""
        return [account_id(index, year) for index in self._pii.id_indexes(person_id)]

    async def account(self, person_id: str, year: int) -> dict[str, Any] | None:
        found = await self._db[ACCOUNTS].find_one({"_id": {"$in": self._account_ids(person_id, year)}},
                                                  {"_outbox": 0})
        return PERSON.open(self._pii, found)

    async def ensure_account(self, person_id: str, year: int) -> dict[str, Any]:
        doc = await self.account(person_id, year)
        if doc is not None:
            return doc
        new = {"_id": self._account_ids(person_id, year)[0], "person_id": person_id, "year": year, "version": 0,
               "cumulative_self_pay_fen": 0, "cumulative_paid_fen": 0, "applied": [], "_outbox_pending": 0}
        try:
            await self._db[ACCOUNTS].insert_one(PERSON.seal(self._pii, new))
        except DuplicateKeyError:
            pass
        found = await self.account(person_id, year)
        assert found is not None
        return found

    async def apply_account(self, person_id: str, year: int, version: int, changes: dict[str, Any],
                            claim_ids: list[str], events: list[dict[str, Any]]) -> bool:
        """The new figures, the claims applied and their events: one conditional single-document write."""
        update = push_events({"$set": {**changes, "version": version + 1}}, events)
        update["$push"]["applied"] = {"$each": claim_ids}
        result = await self._db[ACCOUNTS].update_one(
            {"_id": {"$in": self._account_ids(person_id, year)}, "version": version}, update)
        return result.modified_count == 1

    # ---- claims --------------------------------------------------------------------------------------------

    async def claims_by_ids(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(ids))
        out: dict[str, dict[str, Any]] = {}
        pii = self._pii
        for start in range(0, len(wanted), 1000):
            async for d in self._db[CLAIMS].find({"_id": {"$in": wanted[start:start + 1000]}}):
                out[d["_id"]] = CLAIM.open(pii, d)
        return out

    async def put_claims(self, docs: list[dict[str, Any]]) -> None:
        pii = self._pii
        for doc in docs:
            await self._db[CLAIMS].replace_one({"_id": doc["_id"]}, CLAIM.seal(pii, doc), upsert=True)

    async def unplaced_claims(self) -> list[dict[str, Any]]:
        """Claims the fund pays that are on no statement and no payable yet."""
        found = await self._db[CLAIMS].find({"payable_fen": {"$gt": 0}, "statement_id": None, "payable_id": None},
                                            {"documents": 0}).to_list(None)
        return CLAIM.open_all(self._pii, found)

    async def selected_claims(self) -> list[dict[str, Any]]:
        """Claims selected for review."""
        found = await self._db[CLAIMS].find({"review_required": True}, {"documents": 0}).to_list(None)
        return CLAIM.open_all(self._pii, found)

    async def claims_of(self, person_id: str, year: int) -> list[dict[str, Any]]:
        """The person's claims of the year (found by blind index; only theirs kept: the index is case-blind)."""
        pii = self._pii
        found = await self._db[CLAIMS].find({"person_bi": {"$in": pii.blind_indexes(person_id)}, "year": year}).sort(
            [("date", 1), ("_id", 1)]).to_list(None)
        return [d for d in CLAIM.open_all(pii, found) if d.get("person_id") == person_id]

    # ---- documents -----------------------------------------------------------------------------------------

    async def put_documents(self, docs: list[dict[str, Any]]) -> None:
        pii = self._pii
        for doc in docs:
            await self._db[DOCUMENTS].replace_one({"_id": doc["_id"]}, CLAIM_DOCUMENT.seal(pii, doc), upsert=True)

    # ---- quotas --------------------------------------------------------------------------------------------

    async def quota_state(self, year: int, stratum: str) -> dict[str, Any]:
        key = f"{year}|{stratum}"
        doc = await self._db[QUOTA_STATE].find_one({"_id": key})
        if doc is None:
            try:  # the seed is drawn once per stratum and year, and recorded
                await self._db[QUOTA_STATE].insert_one({"_id": key, "year": year, "stratum": stratum,
                                                        "seed": secrets.token_hex(16), "population": 0,
                                                        "selected": 0})
            except DuplicateKeyError:
                pass
            doc = await self._db[QUOTA_STATE].find_one({"_id": key})
        assert doc is not None
        return doc

    async def latest_member(self, year: int, stratum: str) -> dict[str, Any] | None:
        return MEMBER.open(self._pii, await self._db[QUOTA_MEMBERS].find_one({"year": year, "stratum": stratum},
                                                                             sort=[("population", -1)]))

    async def member(self, year: int, stratum: str, key: str) -> dict[str, Any] | None:
        """The stratum's member `key` (a person, or a claim's key), kept under the pseudonym of the key."""
        pii = self._pii
        ids = [member_id(year, stratum, index) for index in pii.id_indexes(key)]
        return MEMBER.open(pii, await self._db[QUOTA_MEMBERS].find_one({"_id": {"$in": ids}}))

    async def insert_member(self, doc: dict[str, Any]) -> bool:
        """Insert a member (its id made here from its year, stratum and key); False when it is there already."""
        pii = self._pii
        stored = {**doc, "_id": member_id(doc["year"], doc["stratum"], pii.id_index(doc["key"]))}
        try:
            await self._db[QUOTA_MEMBERS].insert_one(MEMBER.seal(pii, stored))
        except DuplicateKeyError:
            return False
        return True

    async def raise_counts(self, year: int, stratum: str, population: int, selected: int) -> None:
        # $max: idempotent, and a retry never lowers a count another arrival raised
        await self._db[QUOTA_STATE].update_one({"_id": f"{year}|{stratum}"},
                                               {"$max": {"population": population, "selected": selected}})

    async def count_members(self, year: int, stratum: str, selected_only: bool = False) -> int:
        query: dict[str, Any] = {"year": year, "stratum": stratum}
        if selected_only:
            query["selected"] = True
        return await self._db[QUOTA_MEMBERS].count_documents(query)

    # ---- reviews -------------------------------------------------------------------------------------------

    async def insert_review(self, doc: dict[str, Any]) -> None:
        try:
            await self._db[REVIEWS].insert_one(with_events(REVIEW.seal(self._pii, doc), []))
        except DuplicateKeyError:
            pass

    async def review(self, review_id: str) -> dict[str, Any] | None:
        return REVIEW.open(self._pii, await self._db[REVIEWS].find_one({"_id": review_id}, {"_outbox": 0}))

    async def reviews(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        found = await self._db[REVIEWS].find(query, {"_outbox": 0}).sort("_id", 1).to_list(limit)
        return REVIEW.open_all(self._pii, found)

    async def complete_review(self, review_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        result = await self._db[REVIEWS].update_one({"_id": review_id, "status": "open"},
                                                    push_events({"$set": REVIEW.seal(self._pii, changes)}, events))
        return result.modified_count == 1

    async def review_ids_among(self, ids: Sequence[str]) -> set[str]:
        return {d["_id"] for d in await self.by_ids(REVIEWS, ids, {"_id": 1})}

    async def completed_reviews_recovering(self) -> list[dict[str, Any]]:
        """Completed reviews that recovered money (their recovery is booked once in the dedicated account)."""
        found = await self._db[REVIEWS].find({"status": "completed", "recovered_fen": {"$gt": 0}},
                                             {"_outbox": 0}).to_list(None)
        return REVIEW.open_all(self._pii, found)

    async def count_reviewed(self, year: int, stratum: str) -> int:
        return await self._db[REVIEWS].count_documents({"year": year, "stratum": stratum, "status": "completed",
                                                        "quota_member": True})

    # ---- statements (月度结算单) -------------------------------------------------------------------------------

    def _seal_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Statement lines as stored: each person sealed once for all their lines of this write."""
        pii = self._pii
        sealed: dict[str, Any] = {}
        out = []
        for ln in lines:
            person = ln.get("person_id")
            if isinstance(person, str) and person and not is_sealed(person):
                if person not in sealed:
                    sealed[person] = pii.seal(person)
                ln = {**ln, "person_id": sealed[person]}
            out.append(ln)
        return out

    def _open_statements(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        opener = _Opener(self._pii)
        return [{**d, "lines": [{**ln, "person_id": opener(ln.get("person_id"))} for ln in d["lines"]]}
                if isinstance(d.get("lines"), list) else d for d in docs]

    async def statement(self, statement_id: str) -> dict[str, Any] | None:
        found = await self._db[STATEMENTS].find_one({"_id": statement_id}, {"_outbox": 0})
        return None if found is None else self._open_statements([found])[0]

    async def statement_head(self, statement_id: str) -> dict[str, Any] | None:
        """The statement without its lines."""
        return await self._db[STATEMENTS].find_one({"_id": statement_id}, {"lines": 0, "_outbox": 0})

    async def statement_place(self, statement_id: str) -> dict[str, Any] | None:
        """Whose and which month's statement it is (its lock's key)."""
        return await self._db[STATEMENTS].find_one({"_id": statement_id}, {"institution_code": 1, "month": 1})

    async def statements_of_month(self, month: str, projection: dict[str, int]) -> list[dict[str, Any]]:
        return self._open_statements(await self._db[STATEMENTS].find({"month": month}, projection).sort(
            "_id", 1).to_list(None))

    async def statements_in(self, statuses: Sequence[str], projection: dict[str, int]) -> list[dict[str, Any]]:
        return self._open_statements(await self._db[STATEMENTS].find({"status": {"$in": list(statuses)}},
                                                                     projection).sort("_id", 1).to_list(None))

    async def unpaid_payable_ids(self) -> list[str]:
        return [d["_id"] for d in await self._db[PERSON_PAYABLES].find(
            {"status": "unpaid"}, {"_id": 1}).sort("_id", 1).to_list(None)]

    async def payment_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these payments are stored, one read per 1,000."""
        found: set[str] = set()
        for start in range(0, len(ids), 1000):
            found |= {d["_id"] for d in await self._db[PAYMENTS].find(
                {"_id": {"$in": list(ids[start:start + 1000])}}, {"_id": 1}).to_list(None)}
        return found

    async def begin_closing(self, statement_ids: Sequence[str], changes: dict[str, Any]) -> None:
        """Open statements begin closing, one update per 1,000 (FerretDB 1.24 scans the collection on every
        update; an open statement carries no events, so the relay never writes it)."""
        ids = list(statement_ids)
        for start in range(0, len(ids), 1000):
            await self._db[STATEMENTS].update_many({"_id": {"$in": ids[start:start + 1000]}, "status": "open"},
                                                   {"$set": changes})

    async def mark_statements_paid(self, statement_ids: Sequence[str], changes: dict[str, Any]) -> None:
        """Reconciled statements marked paid, one update per 1,000."""
        ids = list(statement_ids)
        for start in range(0, len(ids), 1000):
            await self._db[STATEMENTS].update_many({"_id": {"$in": ids[start:start + 1000]}, "status": "reconciled"},
                                                   {"$set": changes})

    async def statement_status(self, statement_id: str) -> dict[str, Any] | None:
        return await self._db[STATEMENTS].find_one({"_id": statement_id}, {"status": 1})

    async def statements(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return self._open_statements(await self._db[STATEMENTS].find(query, {"_outbox": 0}).sort(
            "_id", 1).to_list(limit))

    async def insert_statement(self, doc: dict[str, Any]) -> bool:
        if isinstance(doc.get("lines"), list):
            doc = {**doc, "lines": self._seal_lines(doc["lines"])}
        try:
            await self._db[STATEMENTS].insert_one(with_events(doc, []))
        except DuplicateKeyError:
            return False
        return True

    async def add_lines(self, statement_id: str, lines: list[dict[str, Any]]) -> bool:
        """Lines onto a statement that is still open (one conditional single-document update)."""
        result = await self._db[STATEMENTS].update_one(
            {"_id": statement_id, "status": "open"},
            {"$push": {"lines": {"$each": self._seal_lines(lines)}}, "$inc": {"line_count": len(lines)}})
        return result.modified_count == 1

    async def transition(self, statement_id: str, query: dict[str, Any], changes: dict[str, Any],
                         events: list[dict[str, Any]] | None = None) -> bool:
        return await guarded_update(self._db[STATEMENTS], {"_id": statement_id, **query}, {"$set": changes}, events)

    async def mark_claims(self, claim_ids: list[str], field: str, value: str) -> None:
        """Which statement (or payable) a claim went to: read by the claim's view."""
        for start in range(0, len(claim_ids), 1000):
            await self._db[CLAIMS].update_many({"_id": {"$in": claim_ids[start:start + 1000]}},
                                               {"$set": {field: value}})

    async def unpaid_statement_ids(self, year: int) -> list[str]:
        docs = await self._db[STATEMENTS].find({"month": {"$gte": f"{year}-01", "$lte": f"{year}-12"}},
                                               {"status": 1, "line_count": 1}).to_list(None)
        return sorted(d["_id"] for d in docs if d.get("status") != "paid"
                      and (d.get("status") != "open" or d.get("line_count", 0) > 0))

    # ---- a person's payables (零星报销) --------------------------------------------------------------------------

    async def person_payable(self, payable_id: str) -> dict[str, Any] | None:
        return TO_PERSON.open(self._pii, await self._db[PERSON_PAYABLES].find_one({"_id": payable_id}))

    async def payables_of_month(self, month: str) -> list[dict[str, Any]]:
        found = await self._db[PERSON_PAYABLES].find({"month": month}).sort("_id", 1).to_list(None)
        return TO_PERSON.open_all(self._pii, found)

    async def person_payables(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return TO_PERSON.open_all(self._pii, await self._db[PERSON_PAYABLES].find(query).sort("_id", 1).to_list(limit))

    async def insert_person_payable(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[PERSON_PAYABLES].insert_one(TO_PERSON.seal(self._pii, doc))
        except DuplicateKeyError:
            return False
        return True

    async def update_person_payable(self, payable_id: str, query: dict[str, Any], changes: dict[str, Any]) -> bool:
        result = await self._db[PERSON_PAYABLES].update_one({"_id": payable_id, **query},
                                                            {"$set": TO_PERSON.seal(self._pii, changes)})
        return result.modified_count == 1

    # ---- payments ------------------------------------------------------------------------------------------

    async def payment(self, payment_id: str) -> dict[str, Any] | None:
        return TO_PERSON.open(self._pii, await self._db[PAYMENTS].find_one({"_id": payment_id}, {"_outbox": 0}))

    async def payments(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        found = await self._db[PAYMENTS].find(query, {"_outbox": 0}).sort("_id", 1).to_list(limit)
        return TO_PERSON.open_all(self._pii, found)

    async def insert_payment(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[PAYMENTS].insert_one(with_events(TO_PERSON.seal(self._pii, doc), events))
        except DuplicateKeyError:
            return False
        return True

    async def insert_new_payments(self, docs: Sequence[dict[str, Any]]) -> None:
        """Payments keyed by their ids; those already there (a retry after a crash) are left as they are."""
        if not docs:
            return
        try:
            pii = self._pii
            await self._db[PAYMENTS].insert_many([TO_PERSON.seal(pii, d) for d in docs], ordered=False)
        except BulkWriteError as exc:
            others = [e for e in exc.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY]
            if others:
                raise
