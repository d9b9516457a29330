"""The long-term care applications room's collections, one database per tenant: `care_applications` (each carrying
its pending events and its applicant-visible timeline) and `care_documents` (the uploaded bytes).

Personal data is sealed here on write and opened on read (chassis/pii.py): the person's identity number (found by
its blind index `person_bi`), their phone, the agent (name, phone, relation), who filed it (an applicant's subject is
their identity number), the notes and reasons of the timeline and the screening, the documents' file names and bytes.
Clear: status, lot, district, city_level, channel, basis, insutype, disabled_since, care_institution_id, dates,
deadlines, the documents' kinds, sizes and checksums, the assessors' ids, the timeline's `event` codes and `params`
(channel, lot, counts, document kinds, round, grade: codes and numbers, never a person's) — queried, or not
identifying alone."""

from __future__ import annotations

from typing import Any

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of

CARE_APPLICATIONS = "care_applications"
CARE_DOCUMENTS = "care_documents"

TIMELINE_ENTRY = Sealed(text=("note",), json=("reason_codes",))
DOCUMENT_REF = Sealed(text=("filename",))
APPLICATION = Sealed(text=("phone", "documents.*.filename", "timeline.*.note"),
                     json=("agent", "filed_by", "reason_codes", "screenings.*", "timeline.*.reason_codes"),
                     persons={"person_id": "person_bi"})
DOCUMENT = Sealed(text=("filename",), data=("content",))


class CareApplicationStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[CARE_APPLICATIONS].create_index("person_bi")
        await self._db[CARE_APPLICATIONS].create_index("status")
        await self._db[CARE_APPLICATIONS].create_index("_outbox_pending")
        await self._db[CARE_DOCUMENTS].create_index("application_id")

    async def add_documents(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self._db[CARE_DOCUMENTS].insert_many([DOCUMENT.seal(self._pii, d) for d in docs])

    async def add_application(self, application: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """The application and its `care_application.submitted` event in one atomic write."""
        await self._db[CARE_APPLICATIONS].insert_one(with_events(APPLICATION.seal(self._pii, application), events))

    async def application(self, application_id: str) -> dict[str, Any] | None:
        return APPLICATION.open(self._pii, await self._db[CARE_APPLICATIONS].find_one({"_id": application_id},
                                                                                     {"_outbox": 0}))

    async def applications(self, status: str | None, person_id: str | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if status:
            query["status"] = status
        if person_id:
            query["person_bi"] = self._pii.blind_index(person_id)
        found = await self._db[CARE_APPLICATIONS].find(query, {"_outbox": 0}).sort("submitted_at", 1).to_list(limit)
        return APPLICATION.open_all(self._pii, found)

    async def open_of_person(self, person_id: str, statuses: list[str]) -> list[dict[str, Any]]:
        """The person's applications in these statuses: id, status and when each was submitted."""
        return await self._db[CARE_APPLICATIONS].find(
            {"person_bi": self._pii.blind_index(person_id), "status": {"$in": statuses}},
            {"_id": 1, "status": 1, "submitted_at": 1}).to_list(None)

    async def transition(self, application_id: str, from_statuses: list[str], changes: dict[str, Any],
                         timeline: dict[str, Any], events: list[dict[str, Any]],
                         documents: list[dict[str, Any]] | None = None,
                         screening: dict[str, Any] | None = None) -> bool:
        """Move an application on — its timeline entry, its events, any documents added and the screening's record
        — only from the expected statuses; False when it was not in one of them."""
        pii = self._pii
        pushed: dict[str, Any] = {"timeline": TIMELINE_ENTRY.seal(pii, timeline)}
        if documents:
            pushed["documents"] = {"$each": [DOCUMENT_REF.seal(pii, d) for d in documents]}
        if screening:
            pushed["screenings"] = pii.seal_json(screening)
        return await guarded_update(self._db[CARE_APPLICATIONS],
                                    {"_id": application_id, "status": {"$in": from_statuses}},
                                    {"$set": APPLICATION.seal(pii, changes), "$push": pushed}, events)

    async def note_assessment(self, application_id: str, marker: str, changes: dict[str, Any],
                              timeline: dict[str, Any], assessors: list[str]) -> bool:
        """Record what appraisal's assessment event says once (the event id guards redelivery)."""
        update: dict[str, Any] = {"$push": {"timeline": TIMELINE_ENTRY.seal(self._pii, timeline),
                                            "seen_events": marker}}
        if changes:
            update["$set"] = APPLICATION.seal(self._pii, changes)
        if assessors:
            update["$addToSet"] = {"assessors": {"$each": assessors}}
        result = await self._db[CARE_APPLICATIONS].update_one(
            {"_id": application_id, "seen_events": {"$ne": marker}}, update)
        return result.modified_count == 1

    async def document(self, application_id: str, document_id: str) -> dict[str, Any] | None:
        return DOCUMENT.open(self._pii, await self._db[CARE_DOCUMENTS].find_one(
            {"_id": document_id, "application_id": application_id}))
