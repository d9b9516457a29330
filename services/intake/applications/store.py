"""The applications room's collections, one database per tenant: `applications` (each carrying its pending
events and its applicant-visible timeline) and `documents` (the uploaded bytes). intake's other collections are
their rooms' own: complaints/store.py, notifications/store.py, surveys/store.py."""

from __future__ import annotations

from typing import Any

from chassis.outbox import guarded_update, with_events

APPLICATIONS = "applications"
DOCUMENTS = "documents"


class ApplicationStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[APPLICATIONS].create_index("person_id")
        await self._db[APPLICATIONS].create_index("status")
        await self._db[APPLICATIONS].create_index("_outbox_pending")
        await self._db[APPLICATIONS].create_index("qualification_id")
        await self._db[DOCUMENTS].create_index("application_id")

    async def add_documents(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self._db[DOCUMENTS].insert_many(docs)

    async def add_application(self, application: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """The application and its `application.submitted` event in one atomic write."""
        await self._db[APPLICATIONS].insert_one(with_events(application, events))

    async def application(self, application_id: str) -> dict[str, Any] | None:
        return await self._db[APPLICATIONS].find_one({"_id": application_id}, {"_outbox": 0})

    async def applications(self, status: str | None, person_id: str | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if status:
            query["status"] = status
        if person_id:
            query["person_id"] = person_id
        return await self._db[APPLICATIONS].find(query, {"_outbox": 0}).sort("submitted_at", 1).to_list(limit)

    async def transition(self, application_id: str, from_statuses: list[str], changes: dict[str, Any],
                         timeline: dict[str, Any], events: list[dict[str, Any]],
                         documents: list[dict[str, Any]] | None = None) -> bool:
        """Move an application on, with its timeline entry, its events and any documents added, only from the
        expected statuses."""
        pushed: dict[str, Any] = {"timeline": timeline}
        if documents:
            pushed["documents"] = {"$each": documents}
        return await guarded_update(self._db[APPLICATIONS], {"_id": application_id, "status": {"$in": from_statuses}},
                                    {"$set": changes, "$push": pushed}, events)

    async def note_on_timeline(self, application_id: str, marker: str, changes: dict[str, Any],
                               timeline: dict[str, Any], add_to_set: dict[str, list[str]] | None = None) -> bool:
        """Record an outcome learnt from another service once (the marker guards redelivery)."""
        update: dict[str, Any] = {"$push": {"timeline": timeline, "seen_events": marker}}
        if changes:
            update["$set"] = changes
        if add_to_set:
            update["$addToSet"] = {k: {"$each": v} for k, v in add_to_set.items()}
        result = await self._db[APPLICATIONS].update_one(
            {"_id": application_id, "seen_events": {"$ne": marker}}, update)
        return result.modified_count == 1

    async def open_review(self, qualification_id: str) -> dict[str, Any] | None:
        """A re-review application of this qualification still under way (not yet decided or refused)."""
        return await self._db[APPLICATIONS].find_one(
            {"kind": "review", "qualification_id": qualification_id,
             "status": {"$in": ["submitted", "documents_missing", "complete", "in_appraisal"]}}, {"_id": 1})

    async def document(self, application_id: str, document_id: str) -> dict[str, Any] | None:
        return await self._db[DOCUMENTS].find_one({"_id": document_id, "application_id": application_id})
