"""The record-sampling room's collections (one audit database per tenant; only fund supervision's tenants have any):

- `sv_record_populations`: a population's particulars — institution, kind, period, count, checksum (sha256 of the
  sorted ids), who uploaded it; `sv_record_population_chunks`: its record ids, 20,000 to a document, in upload order.
- `sv_record_samples`: a sample — its population, seed, rate, size, the records drawn with their ranks, each
  record's result and the figures — carrying its pending record_sample.completed (`_outbox`); every change one write
  guarded by the document's `version`. One sample per population.

Personal data sealed (chassis/pii.py): the results' notes (free text about a patient's record). Clear: record ids
(the hospital's case numbers, not a person's identity), codes, counts, dates."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update
from chassis.pii import Sealed, Sealer, sealer_of

POPULATIONS = "sv_record_populations"
CHUNKS = "sv_record_population_chunks"
SAMPLES = "sv_record_samples"
OUTBOX = [SAMPLES]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}

SAMPLE = Sealed(text=("results.*.note",))


class SamplingStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[SAMPLES].create_index("_outbox_pending")
        await self._db[SAMPLES].create_index("institution_id")
        await self._db[POPULATIONS].create_index("institution_id")
        await self._db[CHUNKS].create_index("population_id")

    # ---- populations ----

    async def add_population(self, doc: dict[str, Any], chunks: list[list[str]]) -> None:
        """The chunks first, then the particulars: a population is listed only once its ids are all kept."""
        for n, ids in enumerate(chunks):
            await self._db[CHUNKS].insert_one({"_id": f"{doc['_id']}|{n:05d}", "population_id": doc["_id"], "n": n,
                                               "ids": ids})
        await self._db[POPULATIONS].insert_one(doc)

    async def population(self, population_id: str) -> dict[str, Any] | None:
        return await self._db[POPULATIONS].find_one({"_id": population_id})

    async def populations(self, institution_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"institution_id": institution_id} if institution_id else {}
        return await self._db[POPULATIONS].find(query).sort("uploaded_at", 1).limit(limit).to_list(None)

    async def population_ids(self, population_id: str) -> list[str]:
        docs = await self._db[CHUNKS].find({"population_id": population_id}).sort("n", 1).to_list(None)
        return [i for d in docs for i in d["ids"]]

    # ---- samples ----

    async def add_sample(self, doc: dict[str, Any]) -> bool:
        """False when the population has its sample already (its id is the population's)."""
        try:
            await self._db[SAMPLES].insert_one(SAMPLE.seal(self._pii, doc))
        except DuplicateKeyError:
            return False
        return True

    async def sample(self, sample_id: str) -> dict[str, Any] | None:
        return SAMPLE.open(self._pii, await self._db[SAMPLES].find_one({"_id": sample_id}, HIDDEN))

    async def samples(self, institution_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"institution_id": institution_id} if institution_id else {}
        docs = await self._db[SAMPLES].find(query, HIDDEN).sort("created_at", 1).limit(limit).to_list(None)
        return SAMPLE.open_all(self._pii, docs)

    async def change(self, sample_id: str, version: int, changes: dict[str, Any],
                     events: list[dict[str, Any]] | None = None) -> bool:
        return await guarded_update(self._db[SAMPLES], {"_id": sample_id, "version": version},
                                    {"$set": {**SAMPLE.seal(self._pii, changes), "version": version + 1}}, events)
