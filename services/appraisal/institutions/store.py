"""The institution registry's collections, one database per tenant (appraisal's):

- `institutions`: one document per institution — its file (一机构一档): particulars, every application round with
  its documents' references, every review step, agreement term, suspension, termination and interview, and its
  history — carrying its pending events (institution.changed, institution.interviewed). Every change is one
  atomic write guarded by the file's `version`.
- `institution_documents`: the bytes of the application's documents, the steps' evidence and the interviews'
  minutes, with their sha256 (of the clear bytes).

Personal data sealed (chassis/pii.py): the contact person's name and phone, the interviews' attendees and
violations (they may name people), every file name, and the documents' bytes. Clear: the particulars queried or
published (id, kind, name, district, modes, beds, staff counts), statuses, dates, staff's notes and reasons."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import SealBroken, Sealed, Sealer, sealer_of

INSTITUTIONS = "institutions"
INSTITUTION_DOCUMENTS = "institution_documents"

INSTITUTION = Sealed(text=("contact.name", "contact.phone", "applications.*.documents.*.filename",
                           "steps.*.evidence.*.filename", "interviews.*.minutes.filename"),
                     json=("interviews.*.attendees", "interviews.*.violations"))
DOCUMENT = Sealed(text=("filename",), data=("content",))
# What a listing reads of each institution (its file's long parts stay behind).
SUMMARY = ("institution_id", "kind", "name", "level", "district", "modes", "beds", "staff", "contact", "status", "step",
           "round", "agreements", "suspensions", "terminations", "version", "created_at", "updated_at")


class InstitutionStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[INSTITUTIONS].create_index("status")
        await self._db[INSTITUTIONS].create_index("kind")
        await self._db[INSTITUTIONS].create_index("_outbox_pending")
        await self._db[INSTITUTION_DOCUMENTS].create_index("institution_id")

    # ---- the institutions' files ----

    async def institution(self, institution_id: str) -> dict[str, Any] | None:
        found = await self._db[INSTITUTIONS].find_one({"_id": institution_id}, {"_outbox": 0, "_outbox_pending": 0})
        return INSTITUTION.open(self._pii, found)

    async def institutions(self, kind: str | None, status: str | None, district: str | None,
                           limit: int) -> list[dict[str, Any]]:
        query = {k: v for k, v in (("kind", kind), ("status", status), ("district", district)) if v}
        found = await self._db[INSTITUTIONS].find(query, {k: 1 for k in SUMMARY}).sort("_id", 1).to_list(limit)
        return INSTITUTION.open_all(self._pii, found)

    async def add_institution(self, record: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """A new institution's file and its events in one write; False when the id is taken (nothing written)."""
        try:
            await self._db[INSTITUTIONS].insert_one(with_events(INSTITUTION.seal(self._pii, record), events))
        except DuplicateKeyError:
            return False
        return True

    async def replace_state(self, institution_id: str, version: int, record: dict[str, Any],
                            events: list[dict[str, Any]]) -> bool:
        """The file after a change and its events in one write, only while it is still at `version` (the one the
        change was decided on): False when it moved meanwhile (nothing written)."""
        state = {k: v for k, v in record.items() if k != "_id"}
        return await guarded_update(self._db[INSTITUTIONS], {"_id": institution_id, "version": version},
                                    {"$set": INSTITUTION.seal(self._pii, state)}, events)

    # ---- the documents' bytes ----

    async def add_documents(self, institution_id: str, docs: list[dict[str, Any]]) -> None:
        """Keep each document once: the same file again (same id: kind and sha256) is the one already kept."""
        for doc in docs:
            sealed = DOCUMENT.seal(self._pii, {**doc, "_id": f"{institution_id}|{doc['document_id']}",
                                               "institution_id": institution_id})
            try:
                await self._db[INSTITUTION_DOCUMENTS].insert_one(sealed)
            except DuplicateKeyError:
                pass

    async def document(self, institution_id: str, document_id: str) -> dict[str, Any] | None:
        found = await self._db[INSTITUTION_DOCUMENTS].find_one({"_id": f"{institution_id}|{document_id}"})
        if found is None:
            return None
        pii = self._pii
        try:
            return DOCUMENT.open(pii, found)
        except SealBroken:  # altered, or another tenant's: the bytes as stored (they no longer match their sha256)
            return {**found, "filename": pii.open(found.get("filename"))}
