"""Long-term care collections of settlement (护理服务, wz-ltc), one database per tenant.

Shaped for FerretDB 1.24 (SQLite), where every query and every update reads its whole collection and only an insert
is O(1) (see chronic/store/person_book.py): what grows with persons is insert-only and read whole once per process
(the care book, service/book.py), and what grows with service records is split so that no read or update ever walks
more than one institution's month.

- `ltc_person_log`: insert-only, one document per fact about a person's cover — a disability conclusion
  (disability.concluded), a death notice (死亡) or a status survey (status_survey.recorded) — `_id` the fact's own id
  (the event's, or the notice's), so a redelivery inserts nothing. The person sealed beside their blind index.
- `ltc_institution_log`: insert-only, one document per institution.changed (定点协议管理), `_id` the event id.
- `ltc_plans`: insert-only, one document per approval request carrying its plans (护理计划; the person and a family
  care agreement sealed) and their `care_plan.approved` events. A plan is never rewritten: which plan is in force
  is derived from the order of approvals (domain/plans.py `in_force_periods`).
- `ltc_state`: one document, `generation`, raised after every write to the three logs: a process whose book read an
  older generation reads the logs again (another replica wrote).
- `ltc_records_<institution>_<YYYY-MM>` (`FAMILY` for family care): one document per accepted service record
  (护理服务记录), `_id` the institution's record id; no personal data (the person is the plan's). Indexed on
  (caregiver_id, date) and plan_id — MongoDB proper answers the checks' query from them; FerretDB 1.24 reads the
  institution's month, which is all the checks need (and no index more than the query uses: each slows its inserts).
- `ltc_batches`: one document per accepted upload (`_id` a keyed digest of the upload) with the record ids it
  stored, carrying `care_services.recorded` (all its records in the payload).
- `ltc_statements`: one per institution and month (`LTC-<institution>-<YYYY-MM>`, `LTC-FAMILY-<YYYY-MM>`): the priced
  lines per person and plan (the person sealed), open → closed → paid.
- `ltc_payments`: one per statement paid (`PAY-<statement id>`), carrying `care_statement.paid`; the ledger entry
  that booked it is `payment:<payment id>` in the fund room's books.
- `ltc_assessment_fees`: insert-only, one per assessment with a fee (评估费用), `_id` the assessment id; the person
  sealed.
- `ltc_fee_statements`: one per month (`AF-<YYYY-MM>`): the fees it settles, their city-level shares, unpaid → paid,
  carrying `assessment_fees.paid`.

No transactions (FerretDB 1.x): each step is one single-document write or an insert of documents keyed so that a
retry finds what a crash left (service/records.py and service/statements.py give the order)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of

PERSON_LOG = "ltc_person_log"
INSTITUTION_LOG = "ltc_institution_log"
PLANS = "ltc_plans"
STATE = "ltc_state"
RECORDS_PREFIX = "ltc_records_"
BATCHES = "ltc_batches"
STATEMENTS = "ltc_statements"
PAYMENTS = "ltc_payments"
FEES = "ltc_assessment_fees"
FEE_STATEMENTS = "ltc_fee_statements"

CARE_OUTBOX_COLLECTIONS = [PLANS, BATCHES, PAYMENTS, FEE_STATEMENTS]
DUPLICATE_KEY = 11000
GENERATION = "generation"

# What of these documents is personal data (chassis/pii.py).
PERSON_ENTRY = Sealed(persons={"person_id": "person_bi"})
PLAN_APPROVAL = Sealed(text=("plans.*.person_id",), json=("plans.*.agreement",))
STATEMENT = Sealed(text=("lines.*.person_id",))
FEE = Sealed(text=("person_id",))
FEE_STATEMENT = Sealed(text=("lines.*.person_id",))


def records_collection(institution: str, month: str) -> str:
    return f"{RECORDS_PREFIX}{institution}_{month}"


class _Opener:
    """Opens the persons of many lines read together, each distinct sealed value once."""

    def __init__(self, pii: Sealer) -> None:
        self._pii = pii
        self._clear: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        if value not in self._clear:
            self._clear[value] = self._pii.open(value)
        return self._clear[value]


def _seal_lines(pii: Sealer, lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines as stored: each person sealed once for all their lines of this write."""
    sealed: dict[str, Any] = {}
    out = []
    for line in lines:
        person = line.get("person_id")
        if isinstance(person, str) and person:
            if person not in sealed:
                sealed[person] = pii.seal(person)
            line = {**line, "person_id": sealed[person]}
        out.append(line)
    return out


def _open_lines(pii: Sealer, doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None or not isinstance(doc.get("lines"), list):
        return doc
    opener = _Opener(pii)
    return {**doc, "lines": [{**ln, "person_id": opener(ln.get("person_id"))} for ln in doc["lines"]]}


class CareStore:
    def __init__(self, db: Any) -> None:
        self._db = db
        self._indexed: set[str] = set()

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    def digest_key(self, text: str) -> str:
        """A keyed digest (the tenant's blind-index key) of content that may hold identity numbers: the ids of an
        upload and of a plan, which nobody can recompute by trying numbers."""
        return self._pii.id_index(text)

    async def ensure_indexes(self) -> None:
        for name in CARE_OUTBOX_COLLECTIONS:
            await self._db[name].create_index("_outbox_pending")
        await self._db[BATCHES].create_index([("month", 1), ("institution_id", 1)])
        await self._db[STATEMENTS].create_index("month")
        await self._db[PAYMENTS].create_index("month")
        await self._db[FEE_STATEMENTS].create_index("month")

    # ---- the logs the care book is read from ------------------------------------------------------------------

    async def generation(self) -> int:
        doc = await self._db[STATE].find_one({"_id": GENERATION})
        return int(doc["n"]) if doc else 0

    async def raise_generation(self) -> int:
        doc = await self._db[STATE].find_one_and_update({"_id": GENERATION}, {"$inc": {"n": 1}}, upsert=True,
                                                        return_document=ReturnDocument.AFTER)
        return int(doc["n"])

    async def append_person_entry(self, doc: dict[str, Any]) -> bool:
        """False when an entry of this id is there already (a redelivery)."""
        try:
            await self._db[PERSON_LOG].insert_one(PERSON_ENTRY.seal(self._pii, doc))
        except DuplicateKeyError:
            return False
        return True

    async def person_entries(self) -> list[dict[str, Any]]:
        docs = await self._db[PERSON_LOG].find({}).sort([("recorded_at", 1), ("_id", 1)]).to_list(None)
        pii = self._pii
        opener = _Opener(pii)
        return [{**{k: v for k, v in d.items() if k != "person_bi"}, "person_id": opener(d.get("person_id"))}
                for d in docs]

    async def append_institution_entry(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[INSTITUTION_LOG].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def institution_entries(self) -> list[dict[str, Any]]:
        return await self._db[INSTITUTION_LOG].find({}).sort([("occurred_at", 1), ("_id", 1)]).to_list(None)

    async def insert_plan_approval(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[PLANS].insert_one(with_events(PLAN_APPROVAL.seal(self._pii, doc), events))
        except DuplicateKeyError:
            return False
        return True

    async def plan_approvals(self) -> list[dict[str, Any]]:
        docs = await self._db[PLANS].find({}, {"_outbox": 0}).sort([("approved_at", 1), ("_id", 1)]).to_list(None)
        return PLAN_APPROVAL.open_all(self._pii, docs)

    # ---- service records ---------------------------------------------------------------------------------------

    async def _records(self, institution: str, month: str) -> Any:
        name = records_collection(institution, month)
        if name not in self._indexed:
            coll = self._db[name]
            await coll.create_index([("caregiver_id", 1), ("date", 1)])
            await coll.create_index("plan_id")
            self._indexed.add(name)
        return self._db[name]

    async def related_records(self, institution: str, month: str, plan_ids: Sequence[str],
                              caregivers: Sequence[str], record_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The stored records of the institution's month that an upload is checked against: those of its plans
        (frequency), of its caregivers (overlap) and under its record ids (a record sent again)."""
        coll = await self._records(institution, month)
        query = {"$or": [{"plan_id": {"$in": list(plan_ids)}}, {"caregiver_id": {"$in": list(caregivers)}},
                         {"_id": {"$in": list(record_ids)}}]}
        return await coll.find(query).to_list(None)

    async def insert_records(self, institution: str, month: str, docs: Sequence[dict[str, Any]]) -> None:
        """Insert new records; ones already there under the same id (a retry after a crash, checked identical by
        the caller under the month's lock) are left as they are."""
        if not docs:
            return
        coll = await self._records(institution, month)
        try:
            await coll.insert_many(list(docs), ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise

    async def month_records(self, institution: str, month: str) -> list[dict[str, Any]]:
        coll = await self._records(institution, month)
        return await coll.find({}).to_list(None)

    # ---- uploads -------------------------------------------------------------------------------------------

    async def batch(self, batch_id: str) -> dict[str, Any] | None:
        return await self._db[BATCHES].find_one({"_id": batch_id}, {"_outbox": 0})

    async def insert_batch(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[BATCHES].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    async def institutions_of_month(self, month: str) -> list[str]:
        """The institutions (and `FAMILY`) with an accepted upload in the month."""
        return sorted(await self._db[BATCHES].distinct("institution_id", {"month": month}))

    # ---- statements and payments --------------------------------------------------------------------------

    async def statement(self, statement_id: str) -> dict[str, Any] | None:
        return _open_lines(self._pii, await self._db[STATEMENTS].find_one({"_id": statement_id}))

    async def statement_status(self, statement_id: str) -> str | None:
        doc = await self._db[STATEMENTS].find_one({"_id": statement_id}, {"status": 1})
        return None if doc is None else str(doc["status"])

    async def statements(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        docs = await self._db[STATEMENTS].find(query).sort("_id", 1).to_list(limit)
        pii = self._pii
        return [d for d in (_open_lines(pii, doc) for doc in docs) if d is not None]

    async def put_open_statement(self, doc: dict[str, Any]) -> bool:
        """Write a statement while it is open (a new one, or the open one again priced); False when it is no longer
        open."""
        sealed = {**doc, "lines": _seal_lines(self._pii, doc["lines"])}
        try:
            await self._db[STATEMENTS].insert_one(sealed)
            return True
        except DuplicateKeyError:
            result = await self._db[STATEMENTS].replace_one({"_id": doc["_id"], "status": "open"}, sealed)
            return result.matched_count == 1

    async def transition_statement(self, statement_id: str, query: dict[str, Any], changes: dict[str, Any]) -> bool:
        return await guarded_update(self._db[STATEMENTS], {"_id": statement_id, **query}, {"$set": changes})

    async def payment(self, payment_id: str) -> dict[str, Any] | None:
        return await self._db[PAYMENTS].find_one({"_id": payment_id}, {"_outbox": 0})

    async def insert_payment(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        try:
            await self._db[PAYMENTS].insert_one(with_events(doc, events))
        except DuplicateKeyError:
            return False
        return True

    # ---- assessment fees ----------------------------------------------------------------------------------

    async def insert_fee(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[FEES].insert_one(FEE.seal(self._pii, doc))
        except DuplicateKeyError:
            return False
        return True

    async def fees(self) -> list[dict[str, Any]]:
        return FEE.open_all(self._pii, await self._db[FEES].find({}).sort("_id", 1).to_list(None))

    async def fee_statement(self, statement_id: str) -> dict[str, Any] | None:
        return _open_lines(self._pii, await self._db[FEE_STATEMENTS].find_one({"_id": statement_id},
                                                                              {"_outbox": 0}))

    async def fee_statements(self, query: dict[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
        docs = await self._db[FEE_STATEMENTS].find(query, {"_outbox": 0}).sort("_id", 1).to_list(limit)
        pii = self._pii
        return [d for d in (_open_lines(pii, doc) for doc in docs) if d is not None]

    async def put_unpaid_fee_statement(self, doc: dict[str, Any]) -> bool:
        sealed = {**doc, "lines": _seal_lines(self._pii, doc["lines"])}
        try:
            await self._db[FEE_STATEMENTS].insert_one(with_events(sealed, []))
            return True
        except DuplicateKeyError:
            result = await self._db[FEE_STATEMENTS].update_one(
                {"_id": doc["_id"], "status": "unpaid"}, {"$set": {k: v for k, v in sealed.items() if k != "_id"}})
            return result.matched_count == 1

    async def transition_fee_statement(self, statement_id: str, query: dict[str, Any], changes: dict[str, Any],
                                       events: list[dict[str, Any]]) -> bool:
        return await guarded_update(self._db[FEE_STATEMENTS], {"_id": statement_id, **query}, {"$set": changes},
                                    events)
