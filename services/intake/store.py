"""intake's own collections, one database per tenant: `applications` (with their pending events)
and `documents` (the uploaded bytes)."""

from __future__ import annotations

from typing import Any

from chassis.outbox import with_events

APPLICATIONS = "applications"
DOCUMENTS = "documents"


class IntakeStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[APPLICATIONS].create_index("person_id")
        await self._db[APPLICATIONS].create_index("_outbox_pending")
        await self._db[DOCUMENTS].create_index("application_id")

    async def add_documents(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self._db[DOCUMENTS].insert_many(docs)

    async def add_application(self, application: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """The application and its `application.submitted` event in one atomic write."""
        await self._db[APPLICATIONS].insert_one(with_events(application, events))

    async def application(self, application_id: str) -> dict[str, Any] | None:
        return await self._db[APPLICATIONS].find_one({"_id": application_id}, {"_outbox": 0})

    async def document(self, application_id: str, document_id: str) -> dict[str, Any] | None:
        return await self._db[DOCUMENTS].find_one({"_id": document_id, "application_id": application_id})
