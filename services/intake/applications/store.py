"""The applications room's collections, one database per tenant: `applications` (each carrying its pending
events and its applicant-visible timeline) and `documents` (the uploaded bytes). intake's other collections are
their rooms' own: complaints/store.py, notifications/store.py, surveys/store.py.

Personal data is sealed here on write and opened on read (chassis/pii.py, whose table says which fields): the
person is found by the blind index of their identity number (`person_bi`), the documents' bytes are sealed. A timeline
entry's `event` code and `params` (channel, counts, document kinds, dates, the filing number) stay clear: codes and
dates, never a person's; what may quote one (the note: 1101's error, a clerk's words) is sealed."""

from __future__ import annotations

from typing import Any

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of

APPLICATIONS = "applications"
DOCUMENTS = "documents"

# What of an application is personal data (chassis/pii.py), and of the parts pushed onto it.
TIMELINE_ENTRY = Sealed(text=("note",), json=("reason_codes",))
DOCUMENT_REF = Sealed(text=("filename",))
APPLICATION = Sealed(text=("person_name", "phone", "rejection", "documents.*.filename", "timeline.*.note"),
                     json=("agent", "filed_by", "insurance", "reason_codes", "timeline.*.reason_codes"),
                     persons={"person_id": "person_bi"})
DOCUMENT = Sealed(text=("filename",), data=("content",))


class ApplicationStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    def _open(self, app: dict[str, Any] | None) -> dict[str, Any] | None:
        return APPLICATION.open(self._pii, app)

    async def ensure_indexes(self) -> None:
        await self._db[APPLICATIONS].create_index("person_bi")
        await self._db[APPLICATIONS].create_index("status")
        await self._db[APPLICATIONS].create_index("_outbox_pending")
        await self._db[APPLICATIONS].create_index("qualification_id")
        await self._db[DOCUMENTS].create_index("application_id")

    async def add_documents(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self._db[DOCUMENTS].insert_many([DOCUMENT.seal(self._pii, d) for d in docs])

    async def add_application(self, application: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """The application and its `application.submitted` event in one atomic write."""
        await self._db[APPLICATIONS].insert_one(with_events(APPLICATION.seal(self._pii, application), events))

    async def application(self, application_id: str) -> dict[str, Any] | None:
        return self._open(await self._db[APPLICATIONS].find_one({"_id": application_id}, {"_outbox": 0}))

    async def applications(self, status: str | None, person_id: str | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if status:
            query["status"] = status
        if person_id:
            query["person_bi"] = self._pii.blind_index(person_id)
        found = await self._db[APPLICATIONS].find(query, {"_outbox": 0}).sort("submitted_at", 1).to_list(limit)
        return APPLICATION.open_all(self._pii, found)

    async def transition(self, application_id: str, from_statuses: list[str], changes: dict[str, Any],
                         timeline: dict[str, Any], events: list[dict[str, Any]],
                         documents: list[dict[str, Any]] | None = None) -> bool:
        """Move an application on, with its timeline entry, its events and any documents added, only from the
        expected statuses."""
        pii = self._pii
        pushed: dict[str, Any] = {"timeline": TIMELINE_ENTRY.seal(pii, timeline)}
        if documents:
            pushed["documents"] = {"$each": [DOCUMENT_REF.seal(pii, d) for d in documents]}
        return await guarded_update(self._db[APPLICATIONS], {"_id": application_id, "status": {"$in": from_statuses}},
                                    {"$set": APPLICATION.seal(pii, changes), "$push": pushed}, events)

    async def note_on_timeline(self, application_id: str, marker: str, changes: dict[str, Any],
                               timeline: dict[str, Any], add_to_set: dict[str, list[str]] | None = None) -> bool:
        """Record an outcome learnt from another service once (the marker guards redelivery)."""
        update: dict[str, Any] = {"$push": {"timeline": TIMELINE_ENTRY.seal(self._pii, timeline),
                                            "seen_events": marker}}
        if changes:
            update["$set"] = APPLICATION.seal(self._pii, changes)
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
        return DOCUMENT.open(self._pii, await self._db[DOCUMENTS].find_one({"_id": document_id,
                                                                           "application_id": application_id}))
