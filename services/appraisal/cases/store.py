"""The case room's collection, one database per tenant: `cases`, each carrying its draw, opinions, conclusion, the
qualification it granted and its pending events. The filing room (filing/store.py) and the re-review room
(reviews/store.py) write their own fields of the same documents; this store writes the case's.

The person is found by the blind index of their identity number (`person_bi`); the number, the name, the
provincial person number and the platform's errors are sealed (chassis/pii.py: `CASE`, which the other two stores
open with too)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of

CASES = "cases"
CASE = Sealed(text=("person_name", "psn_no", "qualification.person_id", "filing_error"),
              persons={"person_id": "person_bi"})
# Statuses of a case still being worked (not concluded).
OPEN_STATUSES = ["open", "ready", "awaiting_experts"]


class CaseStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        for field in ("status", "person_bi", "_outbox_pending", "qualification_id"):
            await self._db[CASES].create_index(field)

    async def open_case(self, case: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """Idempotent: a redelivered application.completed finds its case already open.
        (insert, not an upsert with $setOnInsert: FerretDB 1.24 drops empty arrays from the latter.)"""
        try:
            await self._db[CASES].insert_one(with_events(CASE.seal(self._pii, case), events))
        except DuplicateKeyError:
            return False
        return True

    async def case(self, case_id: str) -> dict[str, Any] | None:
        return CASE.open(self._pii, await self._db[CASES].find_one({"_id": case_id}, {"_outbox": 0}))

    async def cases(self, limit: int, status: str | None = None, application_id: str | None = None,
                    kind: str | None = None, assigned: str | None = None) -> list[dict[str, Any]]:
        """Cases oldest first; `kind` initial also finds the cases stored before kinds were."""
        query: dict[str, Any] = {"status": status} if status else {}
        if application_id:
            query["application_id"] = application_id
        if kind:
            query["kind"] = kind if kind == "review" else {"$ne": "review"}
        if assigned:
            query["assigned"] = assigned
        return await self._find(query, limit)

    async def open_cases(self, limit: int) -> list[dict[str, Any]]:
        return await self._find({"status": {"$in": OPEN_STATUSES}}, limit)

    async def cases_awaiting(self, reason_code: str, limit: int = 10000) -> list[dict[str, Any]]:
        """Cases waiting for experts for this reason (their `awaiting` starts with its code), oldest first."""
        return await self._find({"status": "awaiting_experts", "awaiting": {"$regex": f"^{reason_code}"}}, limit)

    async def count_awaiting(self) -> int:
        return await self._db[CASES].count_documents({"status": "awaiting_experts"})

    async def qualifications(self, person_id: str) -> list[dict[str, Any]]:
        pii = self._pii
        docs = await self._db[CASES].find({"person_bi": pii.blind_index(person_id),
                                           "qualification_id": {"$exists": True}}, {"qualification": 1}).to_list(None)
        return [d["qualification"] for d in CASE.open_all(pii, docs) if d.get("qualification")]

    # the draw -----------------------------------------------------------------------------------------
    async def keep_waiting(self, case_id: str, status: str, awaiting: str) -> bool:
        """The case waits for experts, `awaiting` saying why; only while it is still `status`."""
        return await self._update(case_id, {"status": status},
                                  {"$set": {"status": "awaiting_experts", "awaiting": awaiting}})

    async def assign_experts(self, case_id: str, status: str, chosen: list[str], draw: dict[str, Any],
                             events: list[dict[str, Any]]) -> bool:
        """The drawn experts, the draw's record and `experts.assigned` in one write, only while the case is still
        `status`: two draws racing for one case cannot both win."""
        return await self._update(case_id, {"status": status}, {
            "$set": {"status": "open", "awaiting": None},
            "$push": {"assigned": {"$each": chosen}, "draws": draw}}, events)

    # opinions and conclusion ------------------------------------------------------------------------------
    async def add_opinion(self, case_id: str, opinion: dict[str, Any]) -> bool:
        """The opinion, only while the case takes opinions and this expert has not answered yet."""
        expert = opinion["expert_id"]
        return await self._update(case_id, {"status": {"$in": ["open", "ready"]}, "opinion_experts": {"$ne": expert}},
                                  {"$push": {"opinions": opinion, "opinion_experts": expert}})

    async def mark_ready(self, case_id: str) -> bool:
        return await self._update(case_id, {"status": "open"}, {"$set": {"status": "ready"}})

    async def require_another_opinion(self, case_id: str) -> bool:
        return await self._update(case_id, {}, {"$inc": {"opinions_required": 1}})

    async def conclude(self, case_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """The conclusion (and what it grants) with its events, only while the case is ready."""
        return await self._update(case_id, {"status": "ready"}, {"$set": CASE.seal(self._pii, changes)}, events)

    async def _find(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        found = await self._db[CASES].find(query, {"_outbox": 0}).sort("opened_at", 1).to_list(limit)
        return CASE.open_all(self._pii, found)

    async def _update(self, case_id: str, guard: dict[str, Any], update: dict[str, Any],
                      events: list[dict[str, Any]] | None = None) -> bool:
        """One atomic write of the case and its events, only if `guard` still holds."""
        return await guarded_update(self._db[CASES], {"_id": case_id, **guard}, update, events)
