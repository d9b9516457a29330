"""The chronic room's own collections (门诊慢特病 claims, statements and payments), one database per tenant.

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
(The policy tables are the policies room's (policies/store.py); the settlement documents handed in with a statement
the statement_documents room's.)

No transactions (FerretDB 1.x): every state change and its events are one single-document write; multi-document
steps are ordered so that repeating the request finishes a step a crash interrupted (see engine.py).

Personal data at rest (chassis/pii.py): a claim line's person is sealed (`person_id`) beside its blind index
(`person_bi`, what a query by person reads); so is each person of a `settlements` document (`persons.*.person_id`,
never queried). Batches, statements and payments name no person. Pending events (`_outbox`) carry their payload in
clear until the relay publishes them. This store seals on the way in and opens on the way out: the settler and the
doors see clear values only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of
from services.settlement.chronic.domain.records import claims_from_lines, to_line_docs

CLAIMS_PREFIX = "claims_"
BATCHES = "batches"
STATEMENTS = "statements"
SETTLEMENTS = "settlements"
PAYMENTS = "payments"

OUTBOX_COLLECTIONS = [STATEMENTS, SETTLEMENTS, PAYMENTS]

DUPLICATE_KEY = 11000
# What of these documents is personal data (chassis/pii.py).
CLAIM_LINE = Sealed(persons={"person_id": "person_bi"})
SETTLED_PERSONS = Sealed(text=("persons.*.person_id",))


def _only_duplicates(exc: BulkWriteError) -> list[int]:
    """Indexes of the operations refused as duplicates; re-raises when anything else failed."""
    errors = exc.details.get("writeErrors", [])
    if any(e.get("code") != DUPLICATE_KEY for e in errors) or exc.details.get("writeConcernErrors"):
        raise exc
    return [e["index"] for e in errors]


class _Opened:
    """Opens the persons of many lines read together: lines written together share one sealed value per person
    (`SettlementStore._sealed_lines`), so each is decrypted once."""

    def __init__(self, pii: Sealer) -> None:
        self._pii = pii
        self._clear: dict[Any, Any] = {}

    def __call__(self, doc: dict[str, Any]) -> dict[str, Any]:
        if "person_id" not in doc and "person_bi" not in doc:
            return doc
        out = {k: v for k, v in doc.items() if k != "person_bi"}
        if "person_id" in out:
            sealed = out["person_id"]
            if sealed not in self._clear:
                self._clear[sealed] = self._pii.open(sealed)
            out["person_id"] = self._clear[sealed]
        return out


class SettlementStore:
    def __init__(self, db: Any, writer: Any = None) -> None:
        self._db = db
        self._writer = writer  # writer.GroupWriter: inserts of claims go through the tenant's one writer

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    def pseudonym(self, person_id: str) -> str:
        """What an id derived from a person is derived from: the keyed pseudonym of their identity number
        (`Sealer.id_index`, newest blind-index key), never the number — a hash of the number and a little known
        context could be reversed by trying every number. Deterministic per tenant, different across tenants."""
        return self._pii.id_index(person_id)

    def keyed_digest(self, digest: str) -> str:
        """A digest of content holding identity numbers (an uploaded file's sha256) keyed the same way, so what is
        stored and shown (a batch's `sha256`, its derived id) cannot be matched against guessed content."""
        return self._pii.id_index(digest)

    def keyed_digests(self, digest: str) -> list[str]:
        """The keyed digest under every blind-index key version held, newest first (what a batch stored before a
        rotation was keyed with)."""
        return self._pii.id_indexes(digest)

    def _sealed_lines(self, docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Claim lines as stored: each person sealed once for all their lines of this write (the same sealed value,
        as if written by one `$set`), beside their blind index."""
        pii = self._pii
        sealed: dict[str, tuple[Any, str]] = {}
        out = []
        for d in docs:
            person = d.get("person_id")
            if not isinstance(person, str) or not person:
                out.append(d)
                continue
            if person not in sealed:
                sealed[person] = (pii.seal(person), pii.blind_index(person))
            value, index = sealed[person]
            out.append({**d, "person_id": value, "person_bi": index})
        return out

    def _person_query(self, query: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """A query on claim lines as stored: a person asked for (a plain value) is looked up by blind index; the
        number itself is returned to keep only their lines (the index is case-blind, the number is not)."""
        person = query.get("person_id")
        if not isinstance(person, str):
            return query, None
        rest = {k: v for k, v in query.items() if k != "person_id"}
        return {**rest, "person_bi": {"$in": self._pii.blind_indexes(person)}}, person

    async def ensure_indexes(self) -> None:
        for name in OUTBOX_COLLECTIONS:
            await self._db[name].create_index("_outbox_pending")
        await self._db[BATCHES].create_index("statement_id")
        await self._db[STATEMENTS].create_index("month")
        await self._db[SETTLEMENTS].create_index("statement_id")
        await self._db[PAYMENTS].create_index("month")
        # (claims_<statement>: one collection per statement, made as lines arrive; FerretDB scans them regardless)

    # ---- unordered bulk inserts (FerretDB: inserts are the one O(1) write; see tests/integration) ------------

    async def _insert_many_new(self, name: str, docs: Sequence[dict[str, Any]]) -> list[int]:
        """Insert, unordered; returns the indexes of documents that already existed (duplicate _id)."""
        if not docs:
            return []
        try:
            await self._db[name].insert_many(list(docs), ordered=False)
        except BulkWriteError as exc:
            return _only_duplicates(exc)
        return []

    # ---- what the policies room asks (policies.service.PolicyBook.paid_after) ------------------------------

    async def claims_of_version_after(self, version: str, after: str) -> int:
        """Claims paid under `version` dated after `after` (only statements of later months can hold them)."""
        months = [d["_id"] for d in await self._db[STATEMENTS].find({"month": {"$gte": after[:7]}}, {"_id": 1})
                  .to_list(None)]
        found = 0
        for sid in months:
            found += await self._claims(sid).count_documents({"policy_version": version, "date": {"$gt": after}},
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

    async def drop_batch(self, batch_id: str, lease: str) -> None:
        """A batch just started whose statement turned out closed: gone, as if never sent (only with our lease)."""
        await self._db[BATCHES].delete_one({"_id": batch_id, "lease": lease})

    # ---- statements ----------------------------------------------------------------------------------------

    async def statement(self, statement_id: str, with_outbox: bool = False) -> dict[str, Any] | None:
        return await self._db[STATEMENTS].find_one({"_id": statement_id}, None if with_outbox else {"_outbox": 0})

    async def statements(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return await self._db[STATEMENTS].find(query, {"_outbox": 0}).sort("_id", 1).to_list(limit)

    async def statements_in(self, statuses: Sequence[str]) -> list[dict[str, Any]]:
        """The statements in these states, by id (their status, active batches and who began closing them)."""
        return await self._db[STATEMENTS].find(
            {"status": {"$in": list(statuses)}},
            {"status": 1, "active_batches": 1, "closing_by": 1}).sort("_id", 1).to_list(None)

    async def statement_ids_of_month(self, month: str) -> list[str]:
        return [d["_id"] for d in await self._db[STATEMENTS].find({"month": month}, {"_id": 1}).sort(
            "_id", 1).to_list(None)]

    async def statements_by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Statements by id in the order asked (never their pending events)."""
        return await self._by_ids(STATEMENTS, ids)

    async def statement_events_pending(self, statement_id: str) -> bool:
        """Whether the statement still carries events the relay has not published."""
        doc = await self._db[STATEMENTS].find_one({"_id": statement_id}, {"_outbox_pending": 1})
        return doc is not None and bool(doc.get("_outbox_pending"))

    async def statements_with_events_pending(self, ids: Sequence[str]) -> list[str]:
        """Which of these statements still carry events the relay has not published (one query per 1,000 ids)."""
        wanted = sorted(set(ids))
        pending: list[str] = []
        for start in range(0, len(wanted), 1000):
            docs = await self._db[STATEMENTS].find({"_id": {"$in": wanted[start:start + 1000]},
                                                    "_outbox_pending": {"$gt": 0}}, {"_id": 1}).to_list(None)
            pending += [d["_id"] for d in docs]
        return pending

    async def _by_ids(self, collection: str, ids: Sequence[str],
                      only: dict[str, int] | None = None) -> list[dict[str, Any]]:
        """Documents by id in the order asked (`only`: the fields read), never their pending events."""
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), 1000):
            out += await self._db[collection].find({"_id": {"$in": list(ids[start:start + 1000])}},
                                                   only or {"_outbox": 0}).to_list(None)
        order = {x: i for i, x in enumerate(ids)}
        return sorted(out, key=lambda d: order[d["_id"]])

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
        return await guarded_update(self._db[STATEMENTS], {"_id": statement_id, **query}, {"$set": changes}, events)

    # ---- claims (one collection per statement, one document per line) ----------------------------------------

    def _claims(self, sid: str) -> Any:
        """The statement's claim lines (see records.to_line_docs)."""
        return self._db[CLAIMS_PREFIX + sid]

    async def claim(self, sid: str, claim_key: str) -> dict[str, Any] | None:
        claim_id = claim_key.split("|", 1)[1]
        opened = _Opened(self._pii)
        found = claims_from_lines([opened(d) for d in await self._claims(sid).find({"claim_id": claim_id})
                                   .to_list(None)])
        return found[0] if found else None

    async def claims(self, sid: str, query: dict[str, Any], offset: int, limit: int) -> list[dict[str, Any]]:
        """Claims whose lines match `query` (a person by their identity number), by claim key; `offset`/`limit`
        count claims."""
        stored_query, person = self._person_query(query)
        opened = _Opened(self._pii)
        lines = [opened(d) for d in await self._claims(sid).find(stored_query).sort("_id", 1).to_list(None)]
        if person is not None:
            lines = [d for d in lines if d.get("person_id") == person]
        return claims_from_lines(lines)[offset:offset + limit]

    async def claim_keys(self, sid: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored claims among `keys` (with their batch and source): one pass over the statement's lines."""
        wanted = set(keys)
        out: dict[str, dict[str, Any]] = {}
        if not wanted:
            return out
        opened = _Opened(self._pii)
        async for d in self._claims(sid).find({}, {"batch_id": 1, "source": 1, "person_id": 1}):
            key = d["_id"].rsplit("|", 1)[0]
            if key in wanted and key not in out:
                out[key] = {"_id": key, **opened(d)}
        return out

    async def claim_lines(self, sid: str, fields: Sequence[str], batch_id: str = "") -> AsyncIterator[dict[str, Any]]:
        """The statement's stored lines (those of one batch when named), only `fields` (and `_id`) read; the person
        opened when asked for."""
        query = {"batch_id": batch_id} if batch_id else {}
        opened = _Opened(self._pii)
        async for d in self._claims(sid).find(query, dict.fromkeys(fields, 1)):
            yield opened(d)

    async def count_claim_lines(self, sid: str) -> int:
        return await self._claims(sid).count_documents({})

    async def delete_batch_claims(self, sid: str, batch_id: str, person_ids: Sequence[str]) -> None:
        """Remove the lines a batch stored for these persons (an interrupted run's, written anew on resuming)."""
        ids = list(person_ids)
        pii = self._pii
        opened = _Opened(pii)
        for start in range(0, len(ids), 1000):
            part = ids[start:start + 1000]
            wanted = set(part)
            found = await self._claims(sid).find({"batch_id": batch_id,
                                                  "person_bi": {"$in": sorted({i for p in part
                                                                               for i in pii.blind_indexes(p)})}},
                                                 {"person_id": 1}).to_list(None)
            gone = [d["_id"] for d in found if opened(d).get("person_id") in wanted]
            for at in range(0, len(gone), 1000):
                await self._claims(sid).delete_many({"_id": {"$in": gone[at:at + 1000]}})

    async def insert_claims(self, sid: str, claims: Sequence[dict[str, Any]]) -> list[int]:
        """Insert claims as lines; returns the indexes of the claims some line of which was already stored."""
        docs, owner = [], []
        for i, claim in enumerate(claims):
            lines = to_line_docs(claim)
            docs += lines
            owner += [i] * len(lines)
        docs = self._sealed_lines(docs)
        if self._writer is not None:
            taken = await self._writer.insert(CLAIMS_PREFIX + sid, docs)
        else:
            taken = await self._insert_many_new(CLAIMS_PREFIX + sid, docs)
        return sorted({owner[i] for i in taken})

    async def replace_claims(self, sid: str, claims: Sequence[dict[str, Any]]) -> None:
        """Write claims anew (the rare repair paths): their stored lines are removed first."""
        if not claims:
            return
        ids = [c["claim_id"] for c in claims]
        for start in range(0, len(ids), 1000):
            await self._claims(sid).delete_many({"claim_id": {"$in": ids[start:start + 1000]}})
        await self._insert_many_new(CLAIMS_PREFIX + sid, self._sealed_lines([d for c in claims
                                                                             for d in to_line_docs(c)]))

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

    async def payment_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these payments were issued."""
        return {d["_id"] for d in await self._by_ids(PAYMENTS, ids, {"_id": 1})}

    async def insert_payments_new(self, docs: Sequence[dict[str, Any]]) -> None:
        """Insert payments keyed by their ids (with their events); those already there (a retry) are left."""
        await self._insert_many_new(PAYMENTS, docs)

    # ---- settlements (benefits.settled, written at close) ----------------------------------------------------

    async def insert_settlements(self, docs: Sequence[dict[str, Any]]) -> None:
        """A resumed close finds some of them there: those are left as they are."""
        pii = self._pii
        await self._insert_many_new(SETTLEMENTS, [SETTLED_PERSONS.seal(pii, d) for d in docs])

    async def settlements_of(self, statement_id: str) -> list[dict[str, Any]]:
        found = await self._db[SETTLEMENTS].find({"statement_id": statement_id}).to_list(None)
        return SETTLED_PERSONS.open_all(self._pii, found)

    async def settlements_pending(self) -> int:
        """How many settlements documents still carry events the relay has not published."""
        return await self._db[SETTLEMENTS].count_documents({"_outbox_pending": {"$gt": 0}})


