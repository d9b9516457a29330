"""The trainings room's collection (one audit database per tenant; only fund supervision's tenants have any):

- `sv_trainings`: one document per course (线下培训) or flight-inspection trip (以干代训): kind, days, title, topics
  and attendance, or region, destination and the agency's staff ids; who recorded it and when.

Personal data sealed (chassis/pii.py): the note (free text that may name a person). Clear: ids, kinds, days, titles,
topics, counts, regions, staff ids (staff, not insured persons)."""

from __future__ import annotations

from typing import Any

from chassis.pii import Sealed, Sealer, sealer_of

TRAININGS = "sv_trainings"
TRAINING = Sealed(text=("note",))


class TrainingStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[TRAININGS].create_index("held_from")

    async def add(self, doc: dict[str, Any]) -> None:
        await self._db[TRAININGS].insert_one(TRAINING.seal(self._pii, doc))

    async def training(self, training_id: str) -> dict[str, Any] | None:
        return TRAINING.open(self._pii, await self._db[TRAININGS].find_one({"_id": training_id}))

    async def trainings(self, kind: str | None) -> list[dict[str, Any]]:
        query = {"kind": kind} if kind else {}
        docs = await self._db[TRAININGS].find(query).sort([("held_from", 1), ("_id", 1)]).to_list(None)
        return TRAINING.open_all(self._pii, docs)
