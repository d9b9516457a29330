"""audit's fund operation collections (one database per tenant): `operation_reports` (with their pending
`report.produced` in `_outbox`), and the reads of the fund read model (`benefits`, `cases`, `ci_claims`,
`ledger`, `fund_years`) the operation reports and anomaly checks compute from."""

from __future__ import annotations

from typing import Any

from chassis.outbox import with_events
from services.audit.domain.readmodel import BENEFITS, CASES, CI_CLAIMS, FUND_YEARS, LEDGER
from services.audit.store import HIDDEN, OPERATION_REPORTS


class OperationsStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[OPERATION_REPORTS].create_index("_outbox_pending")
        await self._db[CI_CLAIMS].create_index("month")
        await self._db[CI_CLAIMS].create_index("person_id")
        await self._db[BENEFITS].create_index("month")
        await self._db[LEDGER].create_index("year")

    async def _find(self, collection: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._db[collection].find(query, HIDDEN).sort("_id", 1).to_list(None)

    async def benefits(self, months: list[str]) -> list[dict[str, Any]]:
        return await self._find(BENEFITS, {"month": {"$in": months}})

    async def cases(self, persons: list[str]) -> list[dict[str, Any]]:
        return await self._find(CASES, {"person_id": {"$in": persons}}) if persons else []

    async def ci_claims(self, months: list[str]) -> list[dict[str, Any]]:
        return await self._find(CI_CLAIMS, {"month": {"$in": months}})

    async def ci_reviews(self, start: str, end: str) -> list[dict[str, Any]]:
        # ISO dates compare as strings.
        return await self._find(CI_CLAIMS, {"reviewed_on": {"$gte": start, "$lte": end}})

    async def ledger(self, year: int) -> list[dict[str, Any]]:
        # The program year, and entries whose year was left empty (the figures then go by their date).
        return await self._find(LEDGER, {"year": {"$in": [year, 0]}})

    async def fund_years(self, year: int) -> list[dict[str, Any]]:
        return await self._find(FUND_YEARS, {"year": year})

    async def add_report(self, report: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[OPERATION_REPORTS].insert_one(with_events(report, events))

    async def report(self, report_id: str) -> dict[str, Any] | None:
        return await self._db[OPERATION_REPORTS].find_one({"_id": report_id}, HIDDEN)

    async def reports(self, kind: str | None, period: str | None) -> list[dict[str, Any]]:
        query = {k: v for k, v in (("kind", kind), ("period", period)) if v}
        return await self._db[OPERATION_REPORTS].find(query, {**HIDDEN, "figures_json": 0}).sort(
            "produced_at", 1).to_list(None)
