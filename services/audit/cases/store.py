"""The leads-and-cases room's collections, one database per tenant (audit's):

- `sv_leads`: leads (线索) from superiors, departments and tips — a tip's lead is `tip-<complaint id>`, written once
  however often complaint.filed comes —, each with its verification and the case opened from it.
- `sv_cases`: cases (案件) with their file (案卷): document references, findings, decisions, recoveries, the closing,
  a `version` every change is guarded by; each carrying its pending events (case.opened, case.closed).
- `sv_case_documents`: the documents' bytes with their sha256 (of the clear bytes).
- `sv_case_inspections`: the reported inspections (inspection.reported) a case may be opened from: institution,
  findings, the case opened from it.

Sealed (chassis/pii.py): a lead's summary, detail and verification note (a tip's words may name people), the case's
findings' descriptions, decisions' and recoveries' notes, the closing note, every file name, the documents' bytes.
Clear: ids, institutions, codes, amounts, states, dates, who acted."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import SealBroken, Sealed, Sealer, sealer_of

LEADS = "sv_leads"
CASES = "sv_cases"
DOCUMENTS = "sv_case_documents"
INSPECTIONS = "sv_case_inspections"
OUTBOX = [CASES]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}

LEAD = Sealed(text=("summary", "detail", "verification.note"))
CASE = Sealed(text=("findings.*.description", "decisions.*.note", "recoveries.*.note", "closing.note",
                    "documents.*.filename"))
DOCUMENT = Sealed(text=("filename",), data=("content",))
INSPECTION = Sealed(text=("findings.*.description",))


class CaseStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[LEADS].create_index("status")
        await self._db[LEADS].create_index("institution_id")
        await self._db[CASES].create_index("state")
        await self._db[CASES].create_index("institution_id")
        await self._db[CASES].create_index("_outbox_pending")
        await self._db[DOCUMENTS].create_index("case_id")

    # ---- leads ----

    async def add_lead(self, lead: dict[str, Any]) -> bool:
        """False when a lead of this id is there already (a tip's redelivered complaint.filed)."""
        try:
            await self._db[LEADS].insert_one(LEAD.seal(self._pii, lead))
        except DuplicateKeyError:
            return False
        return True

    async def lead(self, lead_id: str) -> dict[str, Any] | None:
        return LEAD.open(self._pii, await self._db[LEADS].find_one({"_id": lead_id}))

    async def leads(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        docs = await self._db[LEADS].find(query).sort("received_on", 1).limit(limit).to_list(None)
        return LEAD.open_all(self._pii, docs)

    async def verify_lead(self, lead_id: str, verification: dict[str, Any]) -> bool:
        """The verification, once: False when the lead was verified meanwhile."""
        sealed = LEAD.seal(self._pii, {"verification": verification})
        result = await self._db[LEADS].update_one({"_id": lead_id, "status": "open"},
                                                  {"$set": {**sealed, "status": "verified"}})
        return result.modified_count == 1

    async def link_case(self, lead_id: str, case_id: str) -> bool:
        """Take the lead for the case: False when another case took it first."""
        result = await self._db[LEADS].update_one({"_id": lead_id, "case_id": None}, {"$set": {"case_id": case_id}})
        return result.modified_count == 1

    async def unlink_case(self, lead_id: str, case_id: str) -> None:
        await self._db[LEADS].update_one({"_id": lead_id, "case_id": case_id}, {"$set": {"case_id": None}})

    # ---- inspections reported ----

    async def add_inspection(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[INSPECTIONS].insert_one(INSPECTION.seal(self._pii, doc))
        except DuplicateKeyError:
            return False
        return True

    async def replace_inspection(self, doc: dict[str, Any]) -> bool:
        """A later report of an inspection no case was opened from: its findings as reported last (the same event
        again changes nothing)."""
        sealed = INSPECTION.seal(self._pii, {k: v for k, v in doc.items() if k not in ("_id", "case_id")})
        result = await self._db[INSPECTIONS].update_one(
            {"_id": doc["_id"], "case_id": None, "event_id": {"$ne": doc["event_id"]}}, {"$set": sealed})
        return result.modified_count == 1

    async def inspection(self, inspection_id: str) -> dict[str, Any] | None:
        return INSPECTION.open(self._pii, await self._db[INSPECTIONS].find_one({"_id": inspection_id}))

    async def link_inspection(self, inspection_id: str, case_id: str) -> bool:
        result = await self._db[INSPECTIONS].update_one({"_id": inspection_id, "case_id": None},
                                                        {"$set": {"case_id": case_id}})
        return result.modified_count == 1

    async def unlink_inspection(self, inspection_id: str, case_id: str) -> None:
        await self._db[INSPECTIONS].update_one({"_id": inspection_id, "case_id": case_id},
                                               {"$set": {"case_id": None}})

    # ---- cases ----

    async def add_case(self, case: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[CASES].insert_one(with_events(CASE.seal(self._pii, case), events))

    async def case(self, case_id: str) -> dict[str, Any] | None:
        return CASE.open(self._pii, await self._db[CASES].find_one({"_id": case_id}, HIDDEN))

    async def cases(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        docs = await self._db[CASES].find(query, HIDDEN).sort("opened_at", 1).limit(limit).to_list(None)
        return CASE.open_all(self._pii, docs)

    async def change_case(self, case_id: str, version: int, changes: dict[str, Any],
                          events: list[dict[str, Any]] | None = None) -> bool:
        """The case after a change (and its events) in one write, only while it is still at `version`: False when it
        moved meanwhile (nothing written)."""
        return await guarded_update(self._db[CASES], {"_id": case_id, "version": version},
                                    {"$set": {**CASE.seal(self._pii, changes), "version": version + 1}}, events)

    # ---- documents' bytes ----

    async def add_documents(self, case_id: str, docs: list[dict[str, Any]]) -> None:
        """Keep each document once: the same file again (same id: kind and sha256) is the one already kept."""
        for doc in docs:
            sealed = DOCUMENT.seal(self._pii, {**doc, "_id": f"{case_id}|{doc['document_id']}", "case_id": case_id})
            try:
                await self._db[DOCUMENTS].insert_one(sealed)
            except DuplicateKeyError:
                pass

    async def document(self, case_id: str, document_id: str) -> dict[str, Any] | None:
        found = await self._db[DOCUMENTS].find_one({"_id": f"{case_id}|{document_id}"})
        if found is None:
            return None
        pii = self._pii
        try:
            return DOCUMENT.open(pii, found)
        except SealBroken:  # altered, or another tenant's: the bytes as stored (they no longer match their sha256)
            return {**found, "filename": pii.open(found.get("filename"))}
