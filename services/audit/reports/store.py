"""The reports room's storage: the `reports` collection (one database per tenant), carrying their pending
`report.produced` (`_outbox`), and the report files under `<data_dir>/reports/<tenant>/`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chassis.outbox import with_events

REPORTS = "reports"
OUTBOX = [REPORTS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class ReportStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[REPORTS].create_index("_outbox_pending")

    async def add_report(self, report: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[REPORTS].insert_one(with_events(report, events))

    async def report(self, report_id: str) -> dict[str, Any] | None:
        return await self._db[REPORTS].find_one({"_id": report_id}, HIDDEN)

    async def reports(self, kind: str | None, period: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if kind:
            query["kind"] = kind
        if period:
            query["period"] = period
        return await self._db[REPORTS].find(query, {**HIDDEN, "figures_json": 0}).sort("produced_at", 1).to_list(None)


def write_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(content)
    os.replace(tmp, path)  # readers never see half a file


def read_file(path: Path) -> bytes:
    return path.read_bytes()
