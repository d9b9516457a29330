"""The supervision room's collections (one audit database per tenant):

- `ltc_service_batches`: the sampling population as a compact index — one document per accepted upload of care
  service records (care_services.recorded) and quarter, with its `institution_id` (FAMILY for family care) and
  `month`: `records` [[record_id, date], …] in clear, `people` [[person_id, caregiver_id], …] beside them sealed whole
  as JSON (one seal per batch; opened only for the services drawn). A service is (institution, month, record id):
  a record id is only the institution's own within its month (domain/services.py). A redelivered upload is the same
  document (its id is the institution, batch and quarter).
- `ltc_institutions`: the care institutions known to the lot (institution.changed), each change in `history`.
- `ltc_disabled_persons`: the persons concluded (disability.concluded), id = the person's keyed pseudonym
  (`id_index`), the number sealed; `conclusions` (eligible or not, when).
- `ltc_patrol_plans`: the written patrol plans (巡查方案), one document per version (`<year>-v<n>`).
- `ltc_samples`: a quarter's sample: its seed and every planning round; `ltc_sample_entries`: one per service drawn
  (id = its service id `<institution>:<YYYY-MM>:<record id>`: a service is in one sample at most; `institution_id`,
  `month`, `record_id` beside it), its person and caregiver sealed.
- `ltc_patrols` (patrol.completed pending in `_outbox`), `ltc_status_surveys` (status_survey.recorded pending):
  findings' details, the surveyed person and the note sealed; a survey is counted by `person_key` (the id index).

Personal data (chassis/pii.py): every identity number is sealed; lookups and counts go by the keyed pseudonym."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.outbox import with_events
from chassis.pii import Sealed, Sealer, sealer_of
from services.audit.patrols.domain.surveys import LEFT

BATCHES = "ltc_patrol_batches"
INSTITUTIONS = "ltc_patrol_institutions"
PERSONS = "ltc_patrol_persons"
PLANS = "ltc_patrol_plans"
SAMPLES = "ltc_patrol_samples"
ENTRIES = "ltc_patrol_sample_entries"
PATROLS = "ltc_patrol_records"
SURVEYS = "ltc_patrol_surveys"
OUTBOX = [PATROLS, SURVEYS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}

BATCH = Sealed(json=("people",))
PERSON = Sealed(text=("person_id",))
ENTRY = Sealed(text=("person_id", "caregiver_id"))
PATROL = Sealed(text=("findings.*.detail",))
SURVEY = Sealed(text=("person_id", "note"))


def _duplicates_only(exc: BulkWriteError) -> bool:
    return all(err.get("code") == 11000 for err in exc.details.get("writeErrors", []))


class PatrolStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    def person_key(self, person_id: str) -> str:
        """The keyed pseudonym a person is counted and found by (never the number, never an unkeyed hash)."""
        return self._pii.id_index(person_id)

    async def ensure_indexes(self) -> None:
        for name in OUTBOX:
            await self._db[name].create_index("_outbox_pending")
        await self._db[BATCHES].create_index("year")
        await self._db[ENTRIES].create_index("year")
        await self._db[ENTRIES].create_index("record_id")
        await self._db[PATROLS].create_index("year")
        await self._db[SURVEYS].create_index("year")
        await self._db[PLANS].create_index("year")

    # ---- the populations, from events ----

    async def add_batch(self, doc: dict[str, Any]) -> bool:
        """False when this upload's quarter was indexed before (a redelivery)."""
        # FerretDB 1.x stores no nested arrays: each [record_id, date] pair is kept as {"r", "d"}.
        stored = {**doc, "records": [{"r": r, "d": d} for r, d in doc["records"]]}
        try:
            await self._db[BATCHES].insert_one(BATCH.seal(self._pii, stored))
        except DuplicateKeyError:
            return False
        return True

    async def services_of_year(self, year: int) -> list[dict[str, Any]]:
        """The year's indexed uploads without their people: `_id`, quarter, institution_id, records."""
        return [_pairs(d) for d in await self._db[BATCHES].find({"year": year}, {"people": 0}).to_list(None)]

    async def services_named(self, institution_ids: Iterable[str], months: Iterable[str]) -> list[dict[str, Any]]:
        """The indexed uploads of these institutions in these months (without their people): what a patrol's
        unsampled names are looked up in, to tell a service not sampled from one the lot never had."""
        found = await self._db[BATCHES].find(
            {"institution_id": {"$in": sorted(set(institution_ids))}, "month": {"$in": sorted(set(months))}},
            {"institution_id": 1, "month": 1, "records": 1}).to_list(None)
        return [_pairs(d) for d in found]

    async def people_of(self, batch_ids: Iterable[str]) -> dict[str, list[list[str]]]:
        """batch document id → its [[person_id, caregiver_id], …] opened (aligned with its records)."""
        docs = await self._db[BATCHES].find({"_id": {"$in": sorted(set(batch_ids))}}, {"people": 1}).to_list(None)
        return {d["_id"]: list(BATCH.open(self._pii, d).get("people") or []) for d in docs}

    async def add_conclusion(self, person_id: str, conclusion: dict[str, Any]) -> bool:
        key = self.person_key(person_id)
        doc = await self._db[PERSONS].find_one({"_id": key}, {"conclusions.assessment_id": 1})
        if doc is not None and any(c.get("assessment_id") == conclusion["assessment_id"]
                                   for c in doc.get("conclusions") or ()):
            return False
        await self._db[PERSONS].update_one(
            {"_id": key}, {"$push": {"conclusions": conclusion},
                           "$setOnInsert": PERSON.seal(self._pii, {"person_id": person_id})}, upsert=True)
        return True

    async def persons(self) -> list[dict[str, Any]]:
        """Every concluded person: `_id` (the person key) and conclusions; the number stays sealed (not needed)."""
        return await self._db[PERSONS].find({}, {"conclusions": 1}).to_list(None)

    async def person(self, person_id: str) -> dict[str, Any] | None:
        return PERSON.open(self._pii, await self._db[PERSONS].find_one({"_id": self.person_key(person_id)}))

    async def add_institution_change(self, institution_id: str, fields: dict[str, Any],
                                     change: dict[str, Any]) -> bool:
        doc = await self._db[INSTITUTIONS].find_one({"_id": institution_id}, {"history": 1})
        history = (doc or {}).get("history") or []
        if any(h.get("event_id") == change["event_id"] for h in history):
            return False
        await self._db[INSTITUTIONS].update_one(
            {"_id": institution_id},
            {"$set": fields, "$push": {"history": {**change, "seq": len(history)}},
             "$setOnInsert": {"institution_id": institution_id}}, upsert=True)
        return True

    async def institutions(self) -> list[dict[str, Any]]:
        return await self._db[INSTITUTIONS].find({}).sort("_id", 1).to_list(None)

    # ---- patrol plans ----

    async def plans(self, year: int) -> list[dict[str, Any]]:
        return await self._db[PLANS].find({"year": year}).sort("version", 1).to_list(None)

    async def add_plan(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[PLANS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    # ---- samples ----

    async def sample(self, quarter: str) -> dict[str, Any] | None:
        return await self._db[SAMPLES].find_one({"_id": quarter})

    async def samples(self, year: int) -> list[dict[str, Any]]:
        return await self._db[SAMPLES].find({"year": year}).sort("_id", 1).to_list(None)

    async def open_sample(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The quarter's sample document, created with its seed on the first planning (the seed then stays)."""
        try:
            await self._db[SAMPLES].insert_one(doc)
        except DuplicateKeyError:
            pass
        return await self._db[SAMPLES].find_one({"_id": doc["_id"]})

    async def add_round(self, quarter: str, rounds_before: int, summary: dict[str, Any]) -> bool:
        result = await self._db[SAMPLES].update_one({"_id": quarter, "round_count": rounds_before},
                                                    {"$push": {"rounds": summary}, "$inc": {"round_count": 1}})
        return result.modified_count == 1

    async def add_entries(self, entries: list[dict[str, Any]]) -> int:
        """Entries drawn; one already there (a service sampled meanwhile, a retried round) is left as it was."""
        if not entries:
            return 0
        pii = self._pii
        try:
            result = await self._db[ENTRIES].insert_many([ENTRY.seal(pii, e) for e in entries], ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            if not _duplicates_only(exc):
                raise
            return int(exc.details.get("nInserted", 0))

    async def sampled_of_year(self, year: int) -> dict[str, str]:
        """service id → the quarter whose sample holds it."""
        docs = await self._db[ENTRIES].find({"year": year}, {"quarter": 1}).to_list(None)
        return {d["_id"]: d["quarter"] for d in docs}

    async def entries(self, quarter: str, after: str | None, limit: int,
                      institution_id: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"quarter": quarter}
        if after:
            query["_id"] = {"$gt": after}
        if institution_id:
            query["institution_id"] = institution_id
        # limit(), not to_list(limit): the in-memory adapter's to_list ignores its length (a page would be everything)
        docs = await self._db[ENTRIES].find(query).sort("_id", 1).limit(limit).to_list(None)
        return ENTRY.open_all(self._pii, docs)

    async def entries_by_ids(self, service_ids: Iterable[str]) -> list[dict[str, Any]]:
        docs = await self._db[ENTRIES].find({"_id": {"$in": sorted(set(service_ids))}}).to_list(None)
        return ENTRY.open_all(self._pii, docs)

    async def entries_of_records(self, year: int, pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
        """The year's entries of these (institution, record id) pairs, whatever their month."""
        wanted = set(pairs)
        if not wanted:
            return []
        docs = await self._db[ENTRIES].find({"year": year, "record_id": {"$in": sorted({r for _, r in wanted})},
                                             "institution_id": {"$in": sorted({i for i, _ in wanted})}}).to_list(None)
        return ENTRY.open_all(self._pii, [d for d in docs if (d["institution_id"], d["record_id"]) in wanted])

    # ---- patrols and status surveys ----

    async def add_patrol(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[PATROLS].insert_one(with_events(PATROL.seal(self._pii, doc), events))

    async def patrols(self, year: int, quarter: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"year": year}
        if quarter:
            query["quarter"] = quarter
        docs = await self._db[PATROLS].find(query, HIDDEN).sort("recorded_at", 1).to_list(None)
        return PATROL.open_all(self._pii, docs)

    async def patrol(self, patrol_id: str) -> dict[str, Any] | None:
        return PATROL.open(self._pii, await self._db[PATROLS].find_one({"_id": patrol_id}, HIDDEN))

    async def add_survey(self, doc: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[SURVEYS].insert_one(with_events(SURVEY.seal(self._pii, doc), events))

    async def survey_counts(self, year: int) -> list[dict[str, Any]]:
        """The year's surveys as counted: person key, status and day (nothing sealed is opened)."""
        return await self._db[SURVEYS].find({"year": year}, {"person_key": 1, "status": 1,
                                                            "surveyed_on": 1}).to_list(None)

    async def surveys(self, year: int, limit: int) -> list[dict[str, Any]]:
        docs = await self._db[SURVEYS].find({"year": year}, HIDDEN).sort("recorded_at", 1).limit(limit).to_list(None)
        return SURVEY.open_all(self._pii, docs)

    async def left_before(self, year: int) -> set[str]:
        """Persons found deceased or moved away by a survey of an earlier year."""
        docs = await self._db[SURVEYS].find({"year": {"$lt": year}, "status": {"$in": sorted(LEFT)}},
                                            {"person_key": 1}).to_list(None)
        return {d["person_key"] for d in docs}


def _pairs(doc: dict[str, Any]) -> dict[str, Any]:
    """An indexed upload as the service reads it: `records` [[record_id, date], …] again."""
    return {**doc, "records": [[x["r"], x["d"]] for x in doc.get("records") or ()]}
