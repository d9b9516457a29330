"""The read model's collections (one database per tenant; see domain/readmodel.py): written only by folding events
(`apply`), read by sampling, warnings, anomaly checks, reports and operation reports. `findings` is written here too
when a `finding.raised` event is folded (the findings room files audit's own).

Personal data at rest (chassis/pii.py; `SEALED` says how, per collection): the events carry identity numbers, and
sometimes text that may quote one (1101's rejection, a revocation's reason, an inspector's notes); this store seals
them as it folds and opens them as it reads, so the rooms above compute on clear values. A person is found by the
blind index of their number (`person_bi`), never by the number; a document whose id would carry the number (a
person's settled month in `benefits`) is kept under the person's pseudonym (`Sealer.id_index`) instead. Documents
folded before sealing are sealed (and re-keyed) when audit starts (`ensure_indexes`)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.pii import Sealed, Sealer, is_sealed, sealer_of
from services.audit.readmodel.domain.readmodel import (
    APPLICATIONS,
    APPRAISALS,
    BENEFITS,
    CASES,
    CI_CLAIMS,
    COMPLAINTS,
    FINDINGS,
    FUND_YEARS,
    LEDGER,
    LTC_APPLICATIONS,
    LTC_ASSESSMENTS,
    LTC_SURVEYS,
    POLICIES,
    READ_MODEL,
    STATEMENTS,
    Upsert,
)

HIDDEN = {"_outbox": 0, "_outbox_pending": 0}
PERSON = {"person_id": "person_bi"}
MIGRATIONS = "store_migrations"  # what a start did once (on FerretDB any query reads through a whole collection)
SEALED_ON_START = "readmodel-pii-sealed-1"
# What of each collection's documents is personal data. Findings are written by the sampling room as well (its store
# seals them with `FINDING` too).
FINDING = Sealed(text=("description",), persons=PERSON)
SEALED = {
    CASES: Sealed(text=("revoke_reason",), persons=PERSON),
    APPLICATIONS: Sealed(text=("reject_reason",), persons=PERSON),  # 1101's error may quote the number
    APPRAISALS: Sealed(persons=PERSON),
    COMPLAINTS: Sealed(persons=PERSON),
    BENEFITS: Sealed(persons=PERSON),
    CI_CLAIMS: Sealed(persons=PERSON),
    FINDINGS: FINDING,
    LTC_APPLICATIONS: Sealed(persons=PERSON),
    LTC_ASSESSMENTS: Sealed(persons=PERSON),
    LTC_SURVEYS: Sealed(persons=PERSON),
}


def person_query(pii: Sealer, person_id: str) -> dict[str, Any]:
    """Who a query by person asks for: their blind index under every blind-index key held."""
    return {"person_bi": {"$in": pii.blind_indexes(person_id)}}


class ReadModelStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[CASES].create_index("person_bi")
        await self._db[CI_CLAIMS].create_index("month")
        await self._db[CI_CLAIMS].create_index("person_bi")
        await self._db[BENEFITS].create_index("month")
        await self._db[LEDGER].create_index("year")
        await self._seal_stored_clear()

    async def _seal_stored_clear(self) -> None:
        """Documents folded before sealing (a person but no blind index): sealed in place; a `benefits` document
        whose id carries the number re-keyed (the new one inserted, then the old removed). Idempotent; noted as done,
        after which a start reads only that note."""
        if await self._db[MIGRATIONS].find_one({"_id": SEALED_ON_START}) is not None:
            return
        pii = self._pii
        for name, spec in SEALED.items():
            clear = await self._db[name].find({"person_bi": {"$exists": False}, "person_id": {"$gt": ""}},
                                              HIDDEN).to_list(None)
            for doc in clear:
                person = doc["person_id"]
                if is_sealed(person):
                    continue
                old_key = f"{doc.get('statement_id')}:{person}:{doc.get('institution_code')}:{doc.get('month')}"
                if name == BENEFITS and doc["_id"] == old_key:
                    new_key = self.stored_key(pii, Upsert(BENEFITS, old_key, {}, key_person=person))
                    try:
                        await self._db[name].insert_one(spec.seal(pii, {**doc, "_id": new_key}))
                    except DuplicateKeyError:
                        pass
                    await self._db[name].delete_one({"_id": doc["_id"], "person_bi": {"$exists": False}})
                    continue
                changes = spec.reseal(pii, doc)
                if changes:
                    await self._db[name].update_one({"_id": doc["_id"], "person_bi": {"$exists": False}},
                                                    {"$set": changes})
        await self._db[MIGRATIONS].replace_one({"_id": SEALED_ON_START}, {"_id": SEALED_ON_START}, upsert=True)

    @staticmethod
    def stored_key(pii: Sealer, u: Upsert) -> str:
        """The id an upsert's document is kept under: its key, the person's pseudonym in place of their number."""
        if not u.key_person:
            return u.key
        return u.key.replace(f":{u.key_person}:", f":{pii.id_index(u.key_person)}:", 1)

    async def apply(self, upserts: list[Upsert]) -> None:
        """The read-model writes of a batch of events, with what one `$set` upsert after another would leave.

        Upserts of one document are merged in order (a later event's value of a field replaces an earlier one's,
        as its `$set` would), then each collection's documents are inserted at once: a new document is exactly
        the `_id` and the merged fields, and an insert costs the same at any size on FerretDB, where an update
        reads through the collection. Those that exist already are then `$set` one by one (upsert, in case one
        appeared meanwhile). `$set`, not `$setOnInsert` (which FerretDB 1.24 mishandles with arrays): re-applying
        an event writes the same values, so redelivery is harmless. Personal fields are sealed on the way."""
        pii = self._pii
        merged: dict[str, dict[str, dict[str, Any]]] = {}
        for u in upserts:
            spec = SEALED.get(u.collection)
            fields = spec.seal(pii, u.fields) if spec is not None else u.fields
            merged.setdefault(u.collection, {}).setdefault(self.stored_key(pii, u), {}).update(fields)
        for collection, docs in merged.items():
            keys = list(docs)
            try:
                await self._db[collection].insert_many([{"_id": k, **docs[k]} for k in keys], ordered=False)
                continue
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors") or []
                if any(err.get("code") != 11000 for err in errors):
                    raise
                existing = [keys[err["index"]] for err in errors]
            # One update each: the in-memory adapter's bulk_write does not follow PyMongo 4.20's UpdateOne.
            for key in existing:
                await self._db[collection].update_one({"_id": key}, {"$set": docs[key]}, upsert=True)

    async def all(self, collection: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A collection's documents matching `query` (stored field names), by id, personal fields opened."""
        if collection not in (*READ_MODEL, FINDINGS):
            raise ValueError(f"unknown collection {collection}")
        found = await self._db[collection].find(query or {}, HIDDEN).sort("_id", 1).to_list(None)
        spec = SEALED.get(collection)
        return spec.open_all(self._pii, found) if spec is not None else found

    async def cases_where(self, person_id: str | None = None, disease_code: str | None = None
                          ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"disease_code": disease_code} if disease_code else {}
        if not person_id:
            return await self.all(CASES, query)
        found = await self.all(CASES, {**query, **person_query(self._pii, person_id)})
        return [c for c in found if c.get("person_id") == person_id]  # the index is case-blind, the number not

    async def policies(self) -> list[dict[str, Any]]:
        return await self.all(POLICIES)

    async def benefits(self, months: list[str]) -> list[dict[str, Any]]:
        return await self.all(BENEFITS, {"month": {"$in": months}})

    async def statements(self, months: list[str]) -> list[dict[str, Any]]:
        return await self.all(STATEMENTS, {"month": {"$in": months}})

    async def cases_of(self, persons: list[str]) -> list[dict[str, Any]]:
        if not persons:
            return []
        pii, wanted = self._pii, set(persons)
        out: list[dict[str, Any]] = []
        ordered = sorted(wanted)
        for start in range(0, len(ordered), 1000):
            indexes = sorted({i for p in ordered[start:start + 1000] for i in pii.blind_indexes(p)})
            out += [c for c in await self.all(CASES, {"person_bi": {"$in": indexes}}) if c.get("person_id") in wanted]
        return sorted(out, key=lambda c: c["_id"])

    async def ci_claims(self, months: list[str]) -> list[dict[str, Any]]:
        return await self.all(CI_CLAIMS, {"month": {"$in": months}})

    async def ci_reviews(self, start: str, end: str) -> list[dict[str, Any]]:
        # ISO dates compare as strings.
        return await self.all(CI_CLAIMS, {"reviewed_on": {"$gte": start, "$lte": end}})

    async def ledger(self, year: int) -> list[dict[str, Any]]:
        # The program year, and entries whose year was left empty (the figures then go by their date).
        return await self.all(LEDGER, {"year": {"$in": [year, 0]}})

    async def fund_years(self, year: int) -> list[dict[str, Any]]:
        return await self.all(FUND_YEARS, {"year": year})
