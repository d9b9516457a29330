"""The complaints room's collection, one database per tenant: `complaints` (consultations, complaints and tips,
咨询投诉举报, each carrying its pending events). The person, a tip-giver's name, their phone and what they wrote are
sealed (chassis/pii.py)."""

from __future__ import annotations

from typing import Any

from chassis.outbox import push_events, with_events
from chassis.pii import Sealed, Sealer, sealer_of

COMPLAINTS = "complaints"
# `filed_by` is the applicant's identity number when they file themselves; `name` a tip-giver's (举报人).
COMPLAINT = Sealed(text=("person_id", "phone", "detail", "filed_by", "name"))


class ComplaintStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[COMPLAINTS].create_index("status")
        await self._db[COMPLAINTS].create_index("_outbox_pending")

    async def add_complaint(self, complaint: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[COMPLAINTS].insert_one(with_events(COMPLAINT.seal(self._pii, complaint), events))

    async def complaint(self, complaint_id: str) -> dict[str, Any] | None:
        return COMPLAINT.open(self._pii, await self._db[COMPLAINTS].find_one({"_id": complaint_id}, {"_outbox": 0}))

    async def complaints(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"status": status} if status else {}
        found = await self._db[COMPLAINTS].find(query, {"_outbox": 0}).sort("due_on", 1).to_list(limit)
        return COMPLAINT.open_all(self._pii, found)

    async def resolve_complaint(self, complaint_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        result = await self._db[COMPLAINTS].update_one({"_id": complaint_id, "status": "open"},
                                                       push_events({"$set": COMPLAINT.seal(self._pii, changes)},
                                                                   events))
        return result.modified_count == 1
