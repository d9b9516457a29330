"""The person file room's collection, one database per tenant: `entries` of persons' files (一人一档), each keyed by
the event (or document) it came from. The handover room reads them and fills an empty archive through this room's
service (handover/service.py).

An entry's person is found by the blind index of their identity number (`person_bi`); the number, the title and
the attributes (names, file names, reasons) are sealed (chassis/pii.py) and opened on read.

A person's month of long-term care services is one entry (`care_services:<id index of the person>:<month>`, never the
number) holding a clear `tally` — counts of records, items and institutions, and the uploads already counted — that
each upload adds to once (domain/long_term_care.py); it is shown as the entry's title and attributes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.pii import Sealed, Sealer, sealer_of
from services.archive.person_files.domain.long_term_care import (
    CARE_SERVICES,
    care_month_entry,
    care_month_increment,
    shown,
)

ENTRIES = "entries"
ENTRY = Sealed(text=("title",), json=("attributes",), persons={"person_id": "person_bi"})


class EntryStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[ENTRIES].create_index([("person_bi", 1), ("occurred_at", 1)])

    async def file(self, entries: list[dict[str, Any]]) -> None:
        pii = self._pii
        for entry in entries:
            # Insert by the derived id: refiling the same event changes nothing. (Not an upsert with
            # $setOnInsert, which FerretDB 1.24 mishandles.)
            try:
                await self._db[ENTRIES].insert_one(ENTRY.seal(pii, entry))
            except DuplicateKeyError:
                pass

    async def tally(self, tallies: list[dict[str, Any]]) -> None:
        """Add an upload's care services to each person's month entry, once per upload: a month new to the person is
        filed with the upload's tally; an existing one gains the upload's counts unless it counted this upload
        already (a redelivered event changes nothing)."""
        if not tallies:
            return
        pii = self._pii
        # Each month's id under every blind-index key version held, newest first: a month filed before a key
        # rotation is found under its old id (ids are never rewritten, chassis/pii.py).
        candidates = {n: [f"{CARE_SERVICES}:{index}:{t['month']}" for index in pii.id_indexes(t["person_id"])]
                      for n, t in enumerate(tallies)}
        wanted = [i for ids in candidates.values() for i in ids]
        held = {d["_id"] for d in await self._db[ENTRIES].find({"_id": {"$in": wanted}}, {"_id": 1}).to_list(None)}
        by_id = {next((i for i in candidates[n] if i in held), candidates[n][0]): t for n, t in enumerate(tallies)}
        fresh = [ENTRY.seal(pii, care_month_entry(i, t)) for i, t in by_id.items() if i not in held]
        if fresh:
            try:
                await self._db[ENTRIES].insert_many(fresh, ordered=False)
            except BulkWriteError as exc:  # filed meanwhile: add to it instead
                errors = exc.details.get("writeErrors", [])
                if any(err.get("code") != 11000 for err in errors):
                    raise
                held |= {fresh[err["index"]]["_id"] for err in errors}
            except DuplicateKeyError:
                held |= {d["_id"] for d in fresh}
        for entry_id in sorted(held & by_id.keys()):
            t = by_id[entry_id]
            await self._db[ENTRIES].update_one(
                {"_id": entry_id, "tally.batches": {"$ne": t["batch"]}},
                {"$inc": care_month_increment(t), "$push": {"tally.batches": t["batch"]},
                 "$set": {"tally.last_at": t["occurred_at"]}})

    def _open(self, pii: Sealer, stored: dict[str, Any]) -> dict[str, Any]:
        return shown(ENTRY.open(pii, stored))  # type: ignore[arg-type]

    async def person_file(self, person_id: str) -> list[dict[str, Any]]:
        pii = self._pii
        found = await self._db[ENTRIES].find({"person_bi": pii.blind_index(person_id)}).sort("occurred_at", 1
                                                                                           ).to_list(None)
        return sorted((self._open(pii, d) for d in found), key=lambda e: (e["occurred_at"], e["_id"]))

    async def persons(self, batch: int = 2000) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
        """Every person's entries, person by person (in the order of their blind indexes: no order reveals who)."""
        pii = self._pii
        current: str | None = None
        bucket: list[dict[str, Any]] = []
        cursor = self._db[ENTRIES].find({}).sort([("person_bi", 1), ("occurred_at", 1), ("_id", 1)]).batch_size(batch)
        async for stored in cursor:
            person = stored.get("person_bi") or stored.get("person_id")  # (an entry filed before sealing: its id)
            if person != current and bucket:
                yield bucket[0]["person_id"], bucket
                bucket = []
            current = person
            bucket.append(self._open(pii, stored))
        if bucket:
            yield bucket[0]["person_id"], bucket

    async def count_entries(self) -> int:
        return await self._db[ENTRIES].count_documents({})

    async def insert_entries(self, entries: list[dict[str, Any]], chunk: int = 500) -> None:
        pii = self._pii
        for i in range(0, len(entries), chunk):
            await self._db[ENTRIES].insert_many([ENTRY.seal(pii, e) for e in entries[i : i + chunk]])

    async def remove_imported(self, import_id: str) -> int:
        """The entries an import brought (undone when its process died half-way)."""
        removed = await self._db[ENTRIES].delete_many({"imported_from.import_id": import_id})
        return int(removed.deleted_count)
