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
- `ltc_records_<institution>_<YYYY-MM>` (`FAMILY` for family care): the accepted service records (护理服务记录) of
  the institution's month, one document — a sheet — per upload that stored any: `_id` the upload's id, `count`, and
  `rows`, its records packed as zlib-compressed JSON rows (`ROW_FIELDS`: record id — the institution's own, unique
  in the month —, plan, caregiver, date, start, end, items, evidence); no personal data (the person is the plan's).
  Packed because nothing reads a record alone: the checks and the statement read the institution's month whole,
  and on FerretDB 1.24 storing 2,000 records as 2,000 documents costs ~110 ms, as one sheet ~5 ms (reading them
  back: ~220 ms against ~1 ms). `month_records` unpacks them into one dict per record (as earlier versions stored
  them, one document each, which it reads too).
- `ltc_batches`: one small document per accepted upload (`_id` a keyed digest of the upload; its records are its
  sheet's), carrying `care_services.recorded` (all its records in the payload) until the relay has published it.
  Kept small on purpose — no list of its record ids: the relay's query walks every document of the collection on
  FerretDB, and a list of 2,000 ids costs ~10 ms a read there.
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

import json
import zlib
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

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
GENERATION = "generation"

# What of these documents is personal data (chassis/pii.py).
PERSON_ENTRY = Sealed(persons={"person_id": "person_bi"})
PLAN_APPROVAL = Sealed(text=("plans.*.person_id",), json=("plans.*.agreement",))
STATEMENT = Sealed(text=("lines.*.person_id",))
FEE = Sealed(text=("person_id",))
FEE_STATEMENT = Sealed(text=("lines.*.person_id",))

# A sheet's rows (see the module's docstring): each record a JSON list of these, evidence as [kind, sha256] pairs.
ROW_FIELDS = ("record_id", "plan_id", "caregiver_id", "date", "start", "end", "items", "evidence")
ROWS_ENCODING = "json-rows+zlib"


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

    def _records(self, institution: str, month: str) -> Any:
        return self._db[records_collection(institution, month)]

    async def insert_records(self, institution: str, month: str, batch_id: str, rows: Sequence[Sequence[Any]]
                             ) -> None:
        """The new records of an upload, as its sheet (one insert): `rows` in ROW_FIELDS order (items a list of
        codes, evidence a list of (kind, sha256)). Sent again (a retry after a crash: the upload's id is a digest of
        its records, so the sheet there holds these very records) it is left as it is."""
        if not rows:
            return
        packed = zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode(), 1)
        try:
            await self._records(institution, month).insert_one(
                {"_id": batch_id, "count": len(rows), "encoding": ROWS_ENCODING, "rows": packed})
        except DuplicateKeyError:
            pass

    async def month_records(self, institution: str, month: str) -> list[dict[str, Any]]:
        """Every accepted record of the institution's month, one dict each: `_id` (the record id), `batch_id` (the
        upload that stored it), plan_id, caregiver_id, date, start, end, items and, when sent, evidence."""
        out: list[dict[str, Any]] = []
        for doc in await self._records(institution, month).find({}).to_list(None):
            if doc.get("encoding") != ROWS_ENCODING:
                out.append(doc)  # a record stored as its own document (before sheets)
                continue
            for rid, plan_id, caregiver, day, start, end, items, evidence in json.loads(zlib.decompress(doc["rows"])):
                rec = {"_id": rid, "batch_id": doc["_id"], "plan_id": plan_id, "caregiver_id": caregiver,
                       "date": day, "start": start, "end": end, "items": items}
                if evidence:
                    rec["evidence"] = [{"kind": k, "sha256": h} for k, h in evidence]
                out.append(rec)
        return out

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
