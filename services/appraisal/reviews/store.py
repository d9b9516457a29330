"""The re-review room's fields of the case room's `cases` collection (one database per tenant): a qualification's
`review_due`, `review_notified`, `renewals` and `revocation` on the case that granted it (with the filing state the
change starts), and a re-review case's conclusion. Each write carries its events (outbox) and is guarded. Cases are
opened (and changes sealed) as the case room's store says (`CASE`, chassis/pii.py)."""

from __future__ import annotations

from typing import Any

from chassis.outbox import guarded_update
from chassis.pii import Sealer, sealer_of
from services.appraisal.cases.store import CASE

CASES = "cases"   # the case room's collection (cases/store.py)


class ReviewStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[CASES].create_index("review_due")

    async def case_of_qualification(self, qualification_id: str) -> dict[str, Any] | None:
        return CASE.open(self._pii, await self._db[CASES].find_one({"qualification_id": qualification_id},
                                                                   {"_outbox": 0}))

    async def case(self, case_id: str) -> dict[str, Any] | None:
        return CASE.open(self._pii, await self._db[CASES].find_one({"_id": case_id}, {"_outbox": 0}))

    async def due_by(self, horizon: str, limit: int = 5000) -> list[dict[str, Any]]:
        """Active qualifications whose re-review falls due by `horizon` (overdue ones included)."""
        return await self._find({"qualification.status": "active", "review_due": {"$gt": "", "$lte": horizon}}, limit)

    async def not_notified(self, limit: int = 10000) -> list[dict[str, Any]]:
        """Active qualifications with a review date whose notice was not raised yet."""
        return await self._find({"qualification.status": "active", "review_due": {"$gt": ""},
                                 "review_notified": {"$ne": True}}, limit)

    async def mark_notified(self, case_id: str, events: list[dict[str, Any]]) -> bool:
        return await self._update(case_id, {"review_notified": {"$ne": True}}, {"$set": {"review_notified": True}},
                                  events)

    async def revoke(self, case_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """The qualification revoked (with its filing's next state), only while it is active."""
        return await self._update(case_id, {"qualification.status": "active"},
                                  {"$set": CASE.seal(self._pii, changes)}, events)

    async def renew(self, case_id: str, review_case_id: str, changes: dict[str, Any], renewal: dict[str, Any],
                    events: list[dict[str, Any]]) -> bool:
        """The qualification's next review date and the renewal recorded, once per re-review case, while active."""
        return await self._update(
            case_id, {"qualification.status": "active", "renewals.review_case_id": {"$ne": review_case_id}},
            {"$set": CASE.seal(self._pii, changes), "$push": {"renewals": renewal}}, events)

    async def conclude(self, case_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """The re-review case's conclusion, only while it is ready."""
        return await self._update(case_id, {"status": "ready"}, {"$set": CASE.seal(self._pii, changes)}, events)

    async def _find(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        found = await self._db[CASES].find(query, {"_outbox": 0}).sort("opened_at", 1).to_list(limit)
        return CASE.open_all(self._pii, found)

    async def _update(self, case_id: str, guard: dict[str, Any], update: dict[str, Any],
                      events: list[dict[str, Any]] | None = None) -> bool:
        """One atomic write of the case and its events, only if `guard` still holds."""
        return await guarded_update(self._db[CASES], {"_id": case_id, **guard}, update, events)
