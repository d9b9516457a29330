"""The carrier score room's collection, one database per tenant (the lot's carrier): `carrier_scores`, one document a
service year (`_id` the year) holding the score in force (`current`, with its `revision`), the scores it replaced
(`history`), the carrier's yearly report (`carrier_report`) and the pending `carrier_score.assessed` (`_outbox`).
Nothing personal: items, points, dates and staff subjects."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import push_events

CARRIER_SCORES = "carrier_scores"
OUTBOX = [CARRIER_SCORES]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class ScoreStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[CARRIER_SCORES].create_index("_outbox_pending")

    async def year(self, year: int) -> dict[str, Any] | None:
        return await self._db[CARRIER_SCORES].find_one({"_id": str(year)}, HIDDEN)

    async def years(self) -> list[dict[str, Any]]:
        return await self._db[CARRIER_SCORES].find({}, HIDDEN).sort("_id", 1).to_list(None)

    async def assess(self, year: int, previous: dict[str, Any] | None, current: dict[str, Any],
                     events: list[dict[str, Any]]) -> bool:
        """The year's score in force becomes `current` (revision one more than `previous`'s, which goes to the
        history) with its event, in one write; False when another score was written meanwhile."""
        revision = previous["revision"] if previous else 0
        update: dict[str, Any] = {"$set": {"year": year, "current": current, "revision": revision + 1}}
        if previous:
            update["$push"] = {"history": previous}
        try:
            result = await self._db[CARRIER_SCORES].update_one(
                {"_id": str(year), "revision": revision}, push_events(update, events), upsert=revision == 0)
        except DuplicateKeyError:  # the year's document holds a newer score than the one read
            return False
        return bool(result.modified_count == 1 or result.upserted_id is not None)

    async def submit_carrier_report(self, year: int, report: dict[str, Any]) -> bool:
        """The carrier's yearly report recorded once; False when it was recorded already."""
        try:
            result = await self._db[CARRIER_SCORES].update_one(
                {"_id": str(year), "carrier_report": None},
                {"$set": {"year": year, "carrier_report": report}, "$setOnInsert": {"revision": 0}}, upsert=True)
        except DuplicateKeyError:
            return False
        return bool(result.modified_count == 1 or result.upserted_id is not None)
