"""settlement's own collections, one database per tenant.

- `policies`: one document per program + version (the table as data), carrying its `policy.published` event.
- `person_states`: immutable snapshots of each person's state (see book.py).
- `claims_<statement id>`: one collection per statement (institution + month), one flat document per claim line
  with its result (payable, deductible, reasons, policy version). FerretDB 1.24 scans a whole collection for any
  query, so a statement's work (duplicate checks, totals at close, listings) reads only its own lines.
- `batches`: one document per month-end upload (its id makes a re-upload idempotent), leased while processed by the
  process instance working it (`holder`; `instances` holds each instance's heartbeat, instances.py).
- `statements`: one per institution per month; closing, reconciling and paying push their events.
- `settlements`: written at close, each carrying the `benefits.settled` events of up to 200 persons (an outbox per
  person would make every relay pass scan a collection of persons × months on FerretDB).
- `payments`: one per statement paid, carrying `payment.issued`.
- `statement_documents`: the settlement documents an institution hands in with a statement (结算资料: purchase
  details, settlement sheet, invoices), bytes and sha256, where its program asks for them (statement_documents.py).

No transactions (FerretDB 1.x): every state change and its events are one single-document write; multi-document
steps are ordered so that repeating the request finishes a step a crash interrupted (see engine.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import push_events, with_events
from services.settlement.chronic.domain.records import claims_from_lines, to_line_docs

POLICIES = "policies"
CLAIMS_PREFIX = "claims_"
BATCHES = "batches"
STATEMENTS = "statements"
SETTLEMENTS = "settlements"
PAYMENTS = "payments"
STATEMENT_DOCUMENTS = "statement_documents"

OUTBOX_COLLECTIONS = [POLICIES, STATEMENTS, SETTLEMENTS, PAYMENTS]

DUPLICATE_KEY = 11000


def _only_duplicates(exc: BulkWriteError) -> list[int]:
    """Indexes of the operations refused as duplicates; re-raises when anything else failed."""
    errors = exc.details.get("writeErrors", [])
    if any(e.get("code") != DUPLICATE_KEY for e in errors) or exc.details.get("writeConcernErrors"):
        raise exc
    return [e["index"] for e in errors]


class SettlementStore:
    def __init__(self, db: Any, writer: Any = None) -> None:
        self._db = db
        self._writer = writer  # writer.GroupWriter: inserts of claims go through the tenant's one writer

    def collection(self, name: str) -> Any:
        return self._db[name]

    async def ensure_indexes(self) -> None:
        for name in OUTBOX_COLLECTIONS:
            await self._db[name].create_index("_outbox_pending")
        await self._db[POLICIES].create_index([("program", 1), ("effective_from", 1)])
        await self._db[BATCHES].create_index("statement_id")
        await self._db[STATEMENTS].create_index("month")
        await self._db[SETTLEMENTS].create_index("statement_id")
        await self._db[PAYMENTS].create_index("month")
        await self._db[STATEMENT_DOCUMENTS].create_index("statement_id")

    # ---- unordered bulk inserts (FerretDB: inserts are the one O(1) write; see tests/integration) ------------

    async def insert_many_new(self, name: str, docs: Sequence[dict[str, Any]]) -> list[int]:
        """Insert, unordered; returns the indexes of documents that already existed (duplicate _id)."""
        if not docs:
            return []
        try:
            await self._db[name].insert_many(list(docs), ordered=False)
        except BulkWriteError as exc:
            return _only_duplicates(exc)
        return []

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
        """Claims paid under `version` dated after `after` (only statements of later months can hold them)."""
        months = [d["_id"] for d in await self._db[STATEMENTS].find({"month": {"$gte": after[:7]}}, {"_id": 1})
                  .to_list(None)]
        found = 0
        for sid in months:
            found += await self.claims_of(sid).count_documents({"policy_version": version, "date": {"$gt": after}},
                                                               limit=1)
        return found

    # ---- batches -------------------------------------------------------------------------------------------

    async def batch(self, batch_id: str) -> dict[str, Any] | None:
        return await self._db[BATCHES].find_one({"_id": batch_id})

    async def start_batch(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[BATCHES].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def take_over_batch(self, batch_id: str, previous_lease: str, lease: str, holder: str, at: str) -> bool:
        """Take a dead lease (instances.py): only if nobody took it since it was read (the lease token)."""
        result = await self._db[BATCHES].update_one({"_id": batch_id, "status": "processing", "lease": previous_lease},
                                                    {"$set": {"lease": lease, "holder": holder, "lease_at": at}})
        return result.modified_count == 1

    async def release_batch(self, batch_id: str, lease: str) -> None:
        """The batch's work stopped here: its lease is free for whoever sends it again."""
        await self._db[BATCHES].update_one({"_id": batch_id, "lease": lease}, {"$set": {"holder": ""}})

    async def finish_batch(self, batch_id: str, summary: dict[str, Any]) -> None:
        await self._db[BATCHES].update_one({"_id": batch_id}, {"$set": {**summary, "status": "done"}})

    # ---- statement documents (结算资料) ------------------------------------------------------------------------

    async def statement_documents(self, statement_id: str, with_content: bool = False) -> list[dict[str, Any]]:
        return await self._db[STATEMENT_DOCUMENTS].find(
            {"statement_id": statement_id}, None if with_content else {"content": 0}).sort(
            "uploaded_at", 1).to_list(None)

    async def statement_document(self, statement_id: str, document_id: str) -> dict[str, Any] | None:
        return await self._db[STATEMENT_DOCUMENTS].find_one({"statement_id": statement_id,
                                                             "document_id": document_id})

    async def add_statement_document(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert once: the same file again (same derived _id) is the document already stored."""
        try:
            await self._db[STATEMENT_DOCUMENTS].insert_one(doc)
            return doc
        except DuplicateKeyError:
            return await self._db[STATEMENT_DOCUMENTS].find_one({"_id": doc["_id"]}) or doc

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

    # ---- claims (one collection per statement, one document per line) ----------------------------------------

    def claims_of(self, sid: str) -> Any:
        """The statement's claim lines (see records.to_line_docs)."""
        return self._db[CLAIMS_PREFIX + sid]

    async def claim(self, sid: str, claim_key: str) -> dict[str, Any] | None:
        claim_id = claim_key.split("|", 1)[1]
        found = claims_from_lines(await self.claims_of(sid).find({"claim_id": claim_id}).to_list(None))
        return found[0] if found else None

    async def claims(self, sid: str, query: dict[str, Any], offset: int, limit: int) -> list[dict[str, Any]]:
        """Claims whose lines match `query`, by claim key; `offset`/`limit` count claims."""
        lines = await self.claims_of(sid).find(query).sort("_id", 1).to_list(None)
        return claims_from_lines(lines)[offset:offset + limit]

    async def claim_keys(self, sid: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored claims among `keys` (with their batch and source): one pass over the statement's lines."""
        wanted = set(keys)
        out: dict[str, dict[str, Any]] = {}
        if not wanted:
            return out
        async for d in self.claims_of(sid).find({}, {"batch_id": 1, "source": 1, "person_id": 1}):
            key = d["_id"].rsplit("|", 1)[0]
            if key in wanted and key not in out:
                out[key] = {"_id": key, **d}
        return out

    async def insert_claims(self, sid: str, claims: Sequence[dict[str, Any]]) -> list[int]:
        """Insert claims as lines; returns the indexes of the claims some line of which was already stored."""
        docs, owner = [], []
        for i, claim in enumerate(claims):
            lines = to_line_docs(claim)
            docs += lines
            owner += [i] * len(lines)
        if self._writer is not None:
            taken = await self._writer.insert(CLAIMS_PREFIX + sid, docs)
        else:
            taken = await self.insert_many_new(CLAIMS_PREFIX + sid, docs)
        return sorted({owner[i] for i in taken})

    async def replace_claims(self, sid: str, claims: Sequence[dict[str, Any]]) -> None:
        """Write claims anew (the rare repair paths): their stored lines are removed first."""
        if not claims:
            return
        ids = [c["claim_id"] for c in claims]
        for start in range(0, len(ids), 1000):
            await self.claims_of(sid).delete_many({"claim_id": {"$in": ids[start:start + 1000]}})
        await self.insert_many_new(CLAIMS_PREFIX + sid, [d for c in claims for d in to_line_docs(c)])

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


