"""The warnings room's collection (one database per tenant): `warnings`, carrying their pending `warning.issued`
(`_outbox`).

Personal data at rest (chassis/pii.py): a warning's subject (for a person's pattern, their identity number), its
description and written report (free text) and its evidence (which names the person) are sealed, opened as read. A
warning about a person is identified by their pseudonym (`pseudonym`), never by a hash of the number."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import with_events
from chassis.pii import Sealed, Sealer, sealer_of

WARNINGS = "warnings"
OUTBOX = [WARNINGS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}
WARNING = Sealed(text=("subject", "description", "report"), json=("evidence",))  # (report: the written one)


class WarningStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    def pseudonym(self, subject: str) -> str:
        """What an id derived from a subject (a person's identity number) is derived from: its keyed pseudonym."""
        return self._pii.id_index(subject)

    async def ensure_indexes(self) -> None:
        await self._db[WARNINGS].create_index("_outbox_pending")

    async def add_warning(self, warning: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """False when a warning with this id exists (a check re-run for the same month)."""
        try:
            await self._db[WARNINGS].insert_one(with_events(WARNING.seal(self._pii, warning), events))
        except DuplicateKeyError:
            return False
        return True

    async def warning(self, warning_id: str) -> dict[str, Any] | None:
        return WARNING.open(self._pii, await self._db[WARNINGS].find_one({"_id": warning_id}, HIDDEN))

    async def warnings(self, status: str | None = None) -> list[dict[str, Any]]:
        query = {"status": status} if status else {}
        return WARNING.open_all(self._pii, await self._db[WARNINGS].find(query, HIDDEN).sort("_id", 1).to_list(None))

    async def file_warning_report(self, warning_id: str, changes: dict[str, Any]) -> bool:
        result = await self._db[WARNINGS].update_one({"_id": warning_id, "status": "open"},
                                                     {"$set": WARNING.seal(self._pii, changes)})
        return result.modified_count == 1
