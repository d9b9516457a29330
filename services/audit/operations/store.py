"""The operations room's collection (one database per tenant): `operation_reports` (with their pending
`report.produced` in `_outbox`). The figures are computed from the read model's `benefits`, `cases`,
`ci_claims`, `ledger` and `fund_years` (read through the readmodel room)."""

from __future__ import annotations

from typing import Any

from chassis.outbox import with_events

OPERATION_REPORTS = "operation_reports"
OUTBOX = [OPERATION_REPORTS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class OperationsStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[OPERATION_REPORTS].create_index("_outbox_pending")

    async def add_report(self, report: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[OPERATION_REPORTS].insert_one(with_events(report, events))

    async def report(self, report_id: str) -> dict[str, Any] | None:
        return await self._db[OPERATION_REPORTS].find_one({"_id": report_id}, HIDDEN)

    async def reports(self, kind: str | None, period: str | None) -> list[dict[str, Any]]:
        query = {k: v for k, v in (("kind", kind), ("period", period)) if v}
        return await self._db[OPERATION_REPORTS].find(query, {**HIDDEN, "figures_json": 0}).sort(
            "produced_at", 1).to_list(None)
