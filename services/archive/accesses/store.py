"""The access records' collection, one database per tenant: `person_accesses`, one document per access (keyed by
its access id), read per person. The person is found by the blind index of their identity number (`person_bi`);
the number itself, the reader (an applicant reads as their own identity number) and the object's id are sealed
(chassis/pii.py) and opened on read."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.pii import Sealed, Sealer, sealer_of

PERSON_ACCESSES = "person_accesses"
ACCESS = Sealed(text=("subject", "object_id"), persons={"person_id": "person_bi"})


class AccessStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[PERSON_ACCESSES].create_index([("person_bi", 1), ("accessed_at", 1)])

    async def file(self, record: dict[str, Any]) -> bool:
        """Keep the record; False when it was kept before (a redelivered event)."""
        try:
            await self._db[PERSON_ACCESSES].insert_one(ACCESS.seal(self._pii, record))
        except DuplicateKeyError:
            return False
        return True

    async def of_person(self, person_id: str, limit: int) -> list[dict[str, Any]]:
        """The person's latest `limit` records."""
        pii = self._pii
        found = await self._db[PERSON_ACCESSES].find({"person_bi": pii.blind_index(person_id)}).sort(
            [("accessed_at", -1), ("_id", -1)]).limit(limit).to_list(None)
        return ACCESS.open_all(pii, found)

    async def count_of_person(self, person_id: str) -> int:
        return int(await self._db[PERSON_ACCESSES].count_documents({"person_bi": self._pii.blind_index(person_id)}))
