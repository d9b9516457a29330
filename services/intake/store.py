"""intake's own collections, one database per tenant: `applications` (each carrying its pending
events and its applicant-visible timeline), `documents` (the uploaded bytes), `complaints`,
`notifications` (the local notification outbox), `surveys` (satisfaction survey answers, 满意度测评: `_id` = the
application id, so one per application)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import push_events, with_events

APPLICATIONS = "applications"
DOCUMENTS = "documents"
COMPLAINTS = "complaints"
NOTIFICATIONS = "notifications"
SURVEYS = "surveys"


class IntakeStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[APPLICATIONS].create_index("person_id")
        await self._db[APPLICATIONS].create_index("status")
        await self._db[APPLICATIONS].create_index("_outbox_pending")
        await self._db[APPLICATIONS].create_index("qualification_id")
        await self._db[DOCUMENTS].create_index("application_id")
        await self._db[COMPLAINTS].create_index("status")
        await self._db[COMPLAINTS].create_index("_outbox_pending")
        await self._db[NOTIFICATIONS].create_index("person_id")
        # one answer per application is its _id; results are read per program and period
        await self._db[SURVEYS].create_index([("program", 1), ("answered_on", 1)])

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
                         timeline: dict[str, str], events: list[dict[str, Any]],
                         push: dict[str, Any] | None = None) -> bool:
        """Move an application on, with its timeline entry and events, only from the expected statuses."""
        update: dict[str, Any] = {"$set": changes, "$push": {"timeline": timeline, **(push or {})}}
        if events:
            update = push_events(update, events)
        result = await self._db[APPLICATIONS].update_one(
            {"_id": application_id, "status": {"$in": from_statuses}}, update)
        return result.modified_count == 1

    async def note_on_timeline(self, application_id: str, marker: str, changes: dict[str, Any],
                               timeline: dict[str, str], add_to_set: dict[str, list[str]] | None = None) -> bool:
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

    async def add_complaint(self, complaint: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[COMPLAINTS].insert_one(with_events(complaint, events))

    async def complaint(self, complaint_id: str) -> dict[str, Any] | None:
        return await self._db[COMPLAINTS].find_one({"_id": complaint_id}, {"_outbox": 0})

    async def complaints(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"status": status} if status else {}
        return await self._db[COMPLAINTS].find(query, {"_outbox": 0}).sort("due_on", 1).to_list(limit)

    async def resolve_complaint(self, complaint_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        result = await self._db[COMPLAINTS].update_one({"_id": complaint_id, "status": "open"},
                                                       push_events({"$set": changes}, events))
        return result.modified_count == 1

    async def add_notification(self, doc: dict[str, Any]) -> bool:
        """Queue a notification once: False when one with this _id (its dedupe key) is there already."""
        try:
            await self._db[NOTIFICATIONS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def notifications(self, person_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"person_id": person_id} if person_id else {}
        return await self._db[NOTIFICATIONS].find(query).sort("at", 1).to_list(limit)

    # satisfaction survey (满意度测评) ---------------------------------------------------------------------
    async def add_survey(self, doc: dict[str, Any]) -> bool:
        """The application's answers, once: False when it was answered already (its _id is the application id)."""
        try:
            await self._db[SURVEYS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def survey_answers(self, program: str, first: str, last: str) -> list[dict[str, Any]]:
        """The answers (scores and comment only: never who answered) of a program given between two ISO days."""
        return await self._db[SURVEYS].find({"answered_on": {"$gte": first, "$lte": last}, "program": program},
                                            {"answers": 1, "comment": 1}).to_list(None)
