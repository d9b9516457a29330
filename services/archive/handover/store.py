"""The handover room's collections, one database per tenant: `exports` (handover archives, each carrying its pending
`archive.handover.ready`) and `imports` (the one import a tenant's empty archive may receive); and the zips
themselves, under `<data_dir>/exports/<tenant>/`, sealed with the tenant's key (they hold every person's file:
chassis/pii.py); read back opened, so their recorded sha256 is that of the zip handed over."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import with_events
from chassis.pii import sealer_of

EXPORTS = "exports"
IMPORTS = "imports"
IMPORT_MARKER = "import"  # _id of the single import record: its unique key is the lock against a second one
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class HandoverStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[EXPORTS].create_index("_outbox_pending")

    async def add_export(self, export: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[EXPORTS].insert_one(with_events(export, events))

    async def export(self, export_id: str) -> dict[str, Any] | None:
        return await self._db[EXPORTS].find_one({"_id": export_id}, HIDDEN)

    async def exports(self) -> list[dict[str, Any]]:
        return await self._db[EXPORTS].find({}, HIDDEN).sort("produced_at", 1).to_list(None)

    async def claim_import(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """Take the tenant's single import slot; the existing record when it is taken."""
        try:
            await self._db[IMPORTS].insert_one({**record, "_id": IMPORT_MARKER})
        except DuplicateKeyError:
            return await self._db[IMPORTS].find_one({"_id": IMPORT_MARKER}) or {}
        return None

    async def drop_running_import(self, import_id: str) -> None:
        """Free the slot of an import its process never finished (its entries undone first)."""
        await self._db[IMPORTS].delete_one({"_id": IMPORT_MARKER, "import_id": import_id, "status": "running"})

    async def release_import(self) -> None:
        await self._db[IMPORTS].delete_one({"_id": IMPORT_MARKER, "status": "running"})

    async def finish_import(self, changes: dict[str, Any]) -> None:
        await self._db[IMPORTS].update_one({"_id": IMPORT_MARKER}, {"$set": changes})

    async def import_record(self) -> dict[str, Any] | None:
        return await self._db[IMPORTS].find_one({"_id": IMPORT_MARKER})

    async def keep_zip(self, path: Path, content: bytes) -> None:
        """The export's zip, sealed with the tenant's key, written whole or not at all."""
        await asyncio.to_thread(write_zip, path, sealer_of(self._db).seal_bytes(content))

    async def zip(self, path: Path) -> bytes:
        """The export's zip as handed over (opened); FileNotFoundError when it is gone."""
        return bytes(sealer_of(self._db).open(await asyncio.to_thread(read_zip, path)))


def write_zip(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(content)
    os.replace(tmp, path)  # readers never see half a zip


def read_zip(path: Path) -> bytes:
    return path.read_bytes()
