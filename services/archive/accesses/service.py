"""Access records' use cases: file an access event under its person (once), and the person's accesses as their file
shows them (the person file room reads them through here)."""

from __future__ import annotations

from typing import Any

from services.archive.accesses.domain.access_record import AccessEvent, access_record, access_view, in_order
from services.archive.accesses.store import AccessStore

SHOWN = 500  # the latest accesses a person's file shows (with the total, so nothing is hidden silently)


async def ensure_indexes(db: Any) -> None:
    await AccessStore(db).ensure_indexes()


async def file_access(db: Any, event: AccessEvent) -> bool:
    """File one access under its person; False when it was filed before (redelivery adds nothing)."""
    return await AccessStore(db).file(access_record(event))


async def of_person(db: Any, person_id: str, limit: int = SHOWN) -> tuple[list[dict[str, Any]], int]:
    """The person's accesses as their file shows them, oldest first: the latest `limit`, and how many in all."""
    store = AccessStore(db)
    records = in_order(await store.of_person(person_id, limit))
    total = len(records) if len(records) < limit else await store.count_of_person(person_id)
    return [access_view(r) for r in records], total
