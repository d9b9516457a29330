"""settlement's own collections, one database per tenant.

- `policies`: one document per program + version (the table as data), carrying its `policy.published` event.
- `persons`: one document per person: `holdings` (qualifications held, from appraisal's events), `accounts`
  (the year accounts, 年度累计, keyed by year), `months` (per statement: the person's totals there, the batches
  applied and the real-time visits settled) and `version`, the optimistic lock every adjudication checks.
- `claims`: one document per claim (institution + claim id) with its lines and their results.
- `batches`: one document per month-end upload (its id makes a re-upload idempotent).
- `statements`: one per institution per month; closing, reconciling and paying append their events.
- `settlements`: one per person per statement, written at close, each carrying its `benefits.settled` event
  (so no document's outbox grows with the number of persons).
- `payments`: one per statement paid, carrying `payment.issued`.

FerretDB 1.24 has no transactions: every state change and its events are one single-document write; multi-document
steps are ordered so that a crash at any point is finished by repeating the request (see engine.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import push_events, with_events

POLICIES = "policies"
PERSONS = "persons"
CLAIMS = "claims"
BATCHES = "batches"
STATEMENTS = "statements"
SETTLEMENTS = "settlements"
PAYMENTS = "payments"

OUTBOX_COLLECTIONS = [POLICIES, STATEMENTS, SETTLEMENTS, PAYMENTS]

DUPLICATE_KEY = 11000


def _in_memory(collection: Any) -> bool:
    """mongomock (embedded mode) cannot build PyMongo 4.x bulk operations: there, apply them one by one."""
    return any(c.__name__ == "AsyncMongoMockCollection" for c in type(collection).__mro__)


def _only_duplicates(exc: BulkWriteError) -> list[int]:
    """Indexes of the operations refused as duplicates; re-raises when anything else failed."""
    errors = exc.details.get("writeErrors", [])
    if any(e.get("code") != DUPLICATE_KEY for e in errors) or exc.details.get("writeConcernErrors"):
        raise exc
    return [e["index"] for e in errors]


class SettlementStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    def collection(self, name: str) -> Any:
        return self._db[name]

    async def ensure_indexes(self) -> None:
        for name in OUTBOX_COLLECTIONS:
            await self._db[name].create_index("_outbox_pending")
        await self._db[POLICIES].create_index([("program", 1), ("effective_from", 1)])
        await self._db[PERSONS].create_index("stmt_ids")
        await self._db[CLAIMS].create_index("statement_id")
        await self._db[CLAIMS].create_index("batch_id")
        await self._db[CLAIMS].create_index("person_id")
        await self._db[BATCHES].create_index("statement_id")
        await self._db[STATEMENTS].create_index("month")
        await self._db[SETTLEMENTS].create_index("statement_id")
        await self._db[PAYMENTS].create_index("month")

    # ---- generic bulk helpers (what the month-end hot path relies on; see tests/integration) ----------------

    async def insert_many_new(self, name: str, docs: Sequence[dict[str, Any]]) -> list[int]:
        """Insert, unordered; returns the indexes of documents that already existed (duplicate _id)."""
        if not docs:
            return []
        try:
            await self._db[name].insert_many(list(docs), ordered=False)
        except BulkWriteError as exc:
            return _only_duplicates(exc)
        return []

    async def replace_many(self, name: str, docs: Sequence[dict[str, Any]]) -> None:
        """Upsert by _id, unordered: idempotent writes of derived documents."""
        if not docs:
            return
        coll = self._db[name]
        if _in_memory(coll):
            for d in docs:
                await coll.replace_one({"_id": d["_id"]}, d, upsert=True)
            return
        await coll.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=False)

    async def update_many_each(self, name: str, ops: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> int:
        """One conditional update per (filter, update), unordered; returns how many matched."""
        if not ops:
            return 0
        coll = self._db[name]
        if _in_memory(coll):
            return sum([(await coll.update_one(f, u)).matched_count for f, u in ops])
        result = await coll.bulk_write([UpdateOne(f, u) for f, u in ops], ordered=False)
        return int(result.matched_count)

    async def find_in(self, name: str, ids: Iterable[str], projection: dict[str, Any] | None = None,
                      chunk: int = 1000) -> list[dict[str, Any]]:
        ids = list(ids)
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            out += await self._db[name].find({"_id": {"$in": part}}, projection).to_list(None)
        return out

    # ---- policies ------------------------------------------------------------------------------------------

    async def policy_docs(self, program: str) -> list[dict[str, Any]]:
        return await self._db[POLICIES].find({"program": program}, {"_outbox": 0}).sort(
            "effective_from", 1).to_list(None)

    async def insert_policy(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[POLICIES].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def close_policy(self, doc_id: str, previous_to: str | None, changes: dict[str, Any],
                           events: list[dict[str, Any]]) -> bool:
        result = await self._db[POLICIES].update_one({"_id": doc_id, "effective_to": previous_to},
                                                     push_events({"$set": changes}, events))
        return result.modified_count == 1

    async def claims_of_version_after(self, version: str, after: str) -> int:
        return await self._db[CLAIMS].count_documents({"policy_version": version, "date": {"$gt": after}}, limit=1)

    # ---- persons and holdings ------------------------------------------------------------------------------

    async def person(self, person_id: str, projection: dict[str, Any] | None = None) -> dict[str, Any] | None:
        return await self._db[PERSONS].find_one({"_id": person_id}, projection)

    async def add_holdings(self, holdings: Sequence[tuple[str, dict[str, Any]]]) -> int:
        """Idempotently add (person_id, holding) pairs, keyed by qualification id; returns how many were new.

        New persons are inserted (not upserted: FerretDB 1.24 drops empty arrays from `$setOnInsert`); the
        others get a conditional `$push` that a redelivered event cannot apply twice."""
        by_person: dict[str, list[dict[str, Any]]] = {}
        for person_id, holding in holdings:
            kept = by_person.setdefault(person_id, [])
            if all(h["qualification_id"] != holding["qualification_id"] for h in kept):
                kept.append(holding)
        ids = list(by_person)
        docs = [new_person(pid, by_person[pid], version=1) for pid in ids]
        existing = {ids[i] for i in await self.insert_many_new(PERSONS, docs)}
        added = len(ids) - len(existing)
        ops = [({"_id": pid, "holdings.qualification_id": {"$ne": h["qualification_id"]}},
                {"$push": {"holdings": h}, "$inc": {"version": 1}})
               for pid in existing for h in by_person[pid]]
        if ops:
            # One holding per operation so each is guarded by its own qualification id.
            added += await self.update_many_each(PERSONS, ops)
        return added

    async def replace_holdings(self, person_id: str, version: int, holdings: list[dict[str, Any]]) -> bool:
        result = await self._db[PERSONS].update_one({"_id": person_id, "version": version},
                                                    {"$set": {"holdings": holdings, "version": version + 1}})
        return result.modified_count == 1

    async def ensure_persons(self, person_ids: Sequence[str]) -> None:
        """Persons claimed for but never granted anything: an empty document to hold their accounts."""
        await self.insert_many_new(PERSONS, [new_person(pid, [], version=0) for pid in person_ids])

    async def persons_of_statement(self, statement_id: str) -> Any:
        return self._db[PERSONS].find({"stmt_ids": statement_id}, {f"months.{statement_id}": 1})

    # ---- batches -------------------------------------------------------------------------------------------

    async def batch(self, batch_id: str) -> dict[str, Any] | None:
        return await self._db[BATCHES].find_one({"_id": batch_id})

    async def start_batch(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[BATCHES].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def take_over_batch(self, batch_id: str, previous_lease: str, lease: str) -> bool:
        result = await self._db[BATCHES].update_one({"_id": batch_id, "status": "processing", "lease": previous_lease},
                                                    {"$set": {"lease": lease}})
        return result.modified_count == 1

    async def expire_lease(self, batch_id: str, lease: str) -> None:
        await self._db[BATCHES].update_one({"_id": batch_id, "lease": lease},
                                           {"$set": {"lease_at": "2000-01-01T00:00:00+00:00"}})

    async def finish_batch(self, batch_id: str, summary: dict[str, Any]) -> None:
        await self._db[BATCHES].update_one({"_id": batch_id}, {"$set": {**summary, "status": "done"}})

    # ---- statements ----------------------------------------------------------------------------------------

    async def statement(self, statement_id: str, with_outbox: bool = False) -> dict[str, Any] | None:
        return await self._db[STATEMENTS].find_one({"_id": statement_id}, None if with_outbox else {"_outbox": 0})

    async def statements(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self._db[STATEMENTS].find(query, {"_outbox": 0}).sort("_id", 1).to_list(limit)

    async def ensure_statement(self, doc: dict[str, Any]) -> None:
        try:
            await self._db[STATEMENTS].insert_one(doc)
        except DuplicateKeyError:
            pass

    async def register_batch(self, statement_id: str, batch_id: str) -> bool:
        """Atomically: the statement is open, and this batch is in flight (closing waits for it)."""
        result = await self._db[STATEMENTS].update_one({"_id": statement_id, "status": "open"},
                                                       {"$addToSet": {"active_batches": batch_id}})
        return result.matched_count == 1

    async def unregister_batch(self, statement_id: str, batch_id: str) -> None:
        await self._db[STATEMENTS].update_one({"_id": statement_id}, {"$pullAll": {"active_batches": [batch_id]}})

    async def transition(self, statement_id: str, query: dict[str, Any], changes: dict[str, Any],
                         events: list[dict[str, Any]] | None = None) -> bool:
        update: dict[str, Any] = {"$set": changes}
        if events:
            update = push_events(update, events)
        result = await self._db[STATEMENTS].update_one({"_id": statement_id, **query}, update)
        return result.modified_count == 1

    # ---- claims --------------------------------------------------------------------------------------------

    async def claim(self, claim_key: str) -> dict[str, Any] | None:
        return await self._db[CLAIMS].find_one({"_id": claim_key})

    async def claims(self, query: dict[str, Any], offset: int, limit: int) -> list[dict[str, Any]]:
        return await self._db[CLAIMS].find(query).sort("_id", 1).skip(offset).to_list(limit)

    # ---- payments ------------------------------------------------------------------------------------------

    async def insert_payment(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[PAYMENTS].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def payment(self, payment_id: str) -> dict[str, Any] | None:
        return await self._db[PAYMENTS].find_one({"_id": payment_id}, {"_outbox": 0})

    async def payments(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self._db[PAYMENTS].find(query, {"_outbox": 0}).sort("_id", 1).to_list(limit)


def new_person(person_id: str, holdings: list[dict[str, Any]], version: int) -> dict[str, Any]:
    return {"_id": person_id, "person_id": person_id, "version": version, "holdings": list(holdings),
            "accounts": {}, "months": {}, "stmt_ids": []}
