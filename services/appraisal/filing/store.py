"""The filing room's fields of the case room's `cases` collection (one database per tenant): a qualification's
provincial filing lives on the case that granted it — `filing_status` (domain/states.py), `filing_attempts`,
`filing_next_at`, `filing_error`, `filing_failed_step`, `filing_sent`, `filing_renew_revoked`, `filing_period` and
the qualification's `filing_serial`. Every write is guarded by the status it moves from. Cases are opened (and the
platform's errors sealed: they may quote the person's numbers) as the case room's store says (`CASE`,
chassis/pii.py)."""

from __future__ import annotations

from typing import Any

from chassis.outbox import guarded_update
from chassis.pii import Sealer, sealer_of
from services.appraisal.cases.store import CASE

CASES = "cases"   # the case room's collection (cases/store.py)


class FilingStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[CASES].create_index("filing_status")

    async def due(self, steps: tuple[str, ...], now: str, limit: int = 200) -> list[dict[str, Any]]:
        """Cases whose filing is at one of `steps` and due by `now` (chosen by the store: cases waiting out a backoff
        never hide those due behind the limit), oldest first."""
        return await self._find({"filing_status": {"$in": list(steps)}, "$or": [
            {"filing_next_at": {"$lte": now}}, {"filing_next_at": {"$exists": False}}]}, limit)

    async def filings(self, status: str | None, limit: int = 5000) -> list[dict[str, Any]]:
        """The cases with a filing (of `status`), oldest first."""
        return await self._find({"filing_status": status} if status else {"filing_status": {"$exists": True}}, limit)

    async def case(self, case_id: str) -> dict[str, Any] | None:
        return CASE.open(self._pii, await self._db[CASES].find_one({"_id": case_id}, {"_outbox": 0}))

    async def retry(self, case_id: str, from_statuses: tuple[str, ...], step: str, now: str) -> bool:
        return await self.update_case(case_id, {"filing_status": {"$in": list(from_statuses)}}, {"$set": {
            "filing_status": step, "filing_attempts": 0, "filing_next_at": now}})

    async def mark_sent(self, case_id: str, status: str, request: str, at: str) -> bool:
        """The request is marked sent before it leaves (a crash after it is recognised on the next attempt)."""
        return await self.update_case(case_id, {"filing_status": status}, {"$set": {"filing_sent": {
            "step": status, "request": request, "at": at}}})

    async def filed(self, case_id: str, status: str, serial: str, events: list[dict[str, Any]]) -> bool:
        return await self.update_case(case_id, {"filing_status": status}, {"$set": {
            "filing_status": "filed", "qualification.filing_serial": serial, "filing_error": "",
            "filing_failed_step": ""}, "$unset": {"filing_sent": ""}}, events)

    async def old_period_revoked(self, case_id: str) -> bool:
        """A renewal's first step done: the filing of the old period is revoked at the platform."""
        return await self.update_case(case_id, {"filing_status": "renewing"}, {"$set": {"filing_renew_revoked": True}})

    async def revoked(self, case_id: str) -> bool:
        return await self.update_case(case_id, {"filing_status": "revoking"},
                                      {"$set": {"filing_status": "revoked", "filing_error": ""},
                                       "$unset": {"filing_sent": ""}})

    async def refused(self, case_id: str, status: str, message: str) -> bool:
        """The platform judged the request: nothing of it stands there (a clerk's retry sends it anew)."""
        return await self.update_case(case_id, {"filing_status": status}, {"$set": {
            "filing_status": "rejected", "filing_error": self._pii.seal(message), "filing_failed_step": status},
            "$unset": {"filing_sent": ""}})

    async def retry_later(self, case_id: str, status: str, changes: dict[str, Any]) -> bool:
        return await self.update_case(case_id, {"filing_status": status}, {"$set": CASE.seal(self._pii, changes)})

    async def _find(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        found = await self._db[CASES].find(query, {"_outbox": 0}).sort("opened_at", 1).to_list(limit)
        return CASE.open_all(self._pii, found)

    async def update_case(self, case_id: str, guard: dict[str, Any], update: dict[str, Any],
                          events: list[dict[str, Any]] | None = None) -> bool:
        """One atomic write of the case and its events, only if `guard` still holds."""
        return await guarded_update(self._db[CASES], {"_id": case_id, **guard}, update, events)
