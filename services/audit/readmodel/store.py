"""The read model's collections (one database per tenant; see domain/readmodel.py): written only by folding events
(`apply`), read by sampling, warnings, anomaly checks, reports and operation reports. `findings` is written here too
when a `finding.raised` event is folded (the findings room files audit's own)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import BulkWriteError

from services.audit.readmodel.domain.readmodel import (
    BENEFITS,
    CASES,
    CI_CLAIMS,
    FINDINGS,
    FUND_YEARS,
    LEDGER,
    POLICIES,
    READ_MODEL,
    STATEMENTS,
    Upsert,
)

HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class ReadModelStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[CASES].create_index("person_id")
        await self._db[CI_CLAIMS].create_index("month")
        await self._db[CI_CLAIMS].create_index("person_id")
        await self._db[BENEFITS].create_index("month")
        await self._db[LEDGER].create_index("year")

    async def apply(self, upserts: list[Upsert]) -> None:
        """The read-model writes of a batch of events, with what one `$set` upsert after another would leave.

        Upserts of one document are merged in order (a later event's value of a field replaces an earlier one's,
        as its `$set` would), then each collection's documents are inserted at once: a new document is exactly
        the `_id` and the merged fields, and an insert costs the same at any size on FerretDB, where an update
        reads through the collection. Those that exist already are then `$set` one by one (upsert, in case one
        appeared meanwhile). `$set`, not `$setOnInsert` (which FerretDB 1.24 mishandles with arrays): re-applying
        an event writes the same values, so redelivery is harmless."""
        merged: dict[str, dict[str, dict[str, Any]]] = {}
        for u in upserts:
            merged.setdefault(u.collection, {}).setdefault(u.key, {}).update(u.fields)
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
        if collection not in (*READ_MODEL, FINDINGS):
            raise ValueError(f"unknown collection {collection}")
        return await self._db[collection].find(query or {}, HIDDEN).sort("_id", 1).to_list(None)

    async def cases_where(self, person_id: str | None = None, disease_code: str | None = None
                          ) -> list[dict[str, Any]]:
        return await self.all(CASES, {k: v for k, v in (("person_id", person_id), ("disease_code", disease_code)) if v})

    async def policies(self) -> list[dict[str, Any]]:
        return await self.all(POLICIES)

    async def benefits(self, months: list[str]) -> list[dict[str, Any]]:
        return await self.all(BENEFITS, {"month": {"$in": months}})

    async def statements(self, months: list[str]) -> list[dict[str, Any]]:
        return await self.all(STATEMENTS, {"month": {"$in": months}})

    async def cases_of(self, persons: list[str]) -> list[dict[str, Any]]:
        return await self.all(CASES, {"person_id": {"$in": persons}}) if persons else []

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
