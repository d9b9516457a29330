"""The inspections room's collections (one audit database per tenant; only fund supervision's tenants have any):

- `sv_institutions`: the designated institutions known to supervision (institution.changed from appraisal's
  registry): kind, level, name, district, status, agreement terms, suspensions, termination — the latest by the
  registry file's `version` (an older or repeated event changes nothing).
- `sv_coverage_plans`: the term's coverage plan (全覆盖检查计划), one document per version (`CP-v<n>`): the term and
  every institution's planned month.
- `sv_draws`: double-random draws (双随机), each with its seed, pools' checksums and what it drew.
- `sv_inspections`: one document per inspection — team, method, days, the dossier snapshot, the checklist, evidence
  references, findings, the report — carrying its pending inspection.reported (`_outbox`); every change one write
  guarded by the document's `version`.
- `sv_evidence`: the evidence files' bytes with their sha256 (of the clear bytes).

Personal data sealed (chassis/pii.py): the inspection's note, findings' descriptions, the report's text and the
checklist's notes (free text that may name an insured person or a doctor), the dossier's anomaly descriptions, every
file name and the evidence's bytes. Clear: ids, codes, amounts, days, staff ids, states (queried and published)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update
from chassis.pii import SealBroken, Sealed, Sealer, sealer_of

INSTITUTIONS = "sv_institutions"
PLANS = "sv_coverage_plans"
DRAWS = "sv_draws"
INSPECTIONS = "sv_inspections"
EVIDENCE = "sv_evidence"
OUTBOX = [INSPECTIONS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}

INSPECTION = Sealed(text=("note", "findings.*.description", "report.summary", "checklist.*.note", "evidence.*.filename",
                          "evidence.*.note", "dossier.anomalies.*.description"))
EVIDENCE_FILE = Sealed(text=("filename",), data=("content",))
# What a listing reads of each inspection (the dossier and the checklist stay behind).
SUMMARY = ("institution_id", "institution_kind", "institution_name", "level", "method", "draw_id", "team",
           "started_on", "ended_on", "due_on", "state", "findings", "checklist", "report", "created_at", "created_by",
           "version", "catalogue_version")


class InspectionStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[INSPECTIONS].create_index("_outbox_pending")
        await self._db[INSPECTIONS].create_index("institution_id")
        await self._db[INSPECTIONS].create_index("state")
        await self._db[INSTITUTIONS].create_index("kind")
        await self._db[EVIDENCE].create_index("inspection_id")

    # ---- the institutions, from events ----

    async def note_institution(self, doc: dict[str, Any]) -> bool:
        """The institution as the event states it, when its registry version is newer than the one kept (a repeated
        or older event changes nothing): True when it changed."""
        found = await self._db[INSTITUTIONS].find_one({"_id": doc["_id"]}, {"version": 1})
        if found is None:
            try:
                await self._db[INSTITUTIONS].insert_one(doc)
            except DuplicateKeyError:
                return await self.note_institution(doc)
            return True
        if int(found.get("version", -1)) >= int(doc["version"]):
            return False
        result = await self._db[INSTITUTIONS].update_one(
            {"_id": doc["_id"], "version": found.get("version")}, {"$set": {k: v for k, v in doc.items()
                                                                         if k != "_id"}})
        return bool(result.modified_count == 1) or await self.note_institution(doc)

    async def institution(self, institution_id: str) -> dict[str, Any] | None:
        return await self._db[INSTITUTIONS].find_one({"_id": institution_id})

    async def institutions(self, kind: str | None = None) -> list[dict[str, Any]]:
        query = {"kind": kind} if kind else {}
        return await self._db[INSTITUTIONS].find(query).sort("_id", 1).to_list(None)

    # ---- coverage plans ----

    async def plans(self) -> list[dict[str, Any]]:
        return await self._db[PLANS].find({}).sort("version", 1).to_list(None)

    async def add_plan(self, doc: dict[str, Any]) -> bool:
        try:
            await self._db[PLANS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    # ---- draws ----

    async def add_draw(self, doc: dict[str, Any]) -> None:
        await self._db[DRAWS].insert_one(doc)

    async def draw(self, draw_id: str) -> dict[str, Any] | None:
        return await self._db[DRAWS].find_one({"_id": draw_id})

    async def draws(self, limit: int) -> list[dict[str, Any]]:
        return await self._db[DRAWS].find({}).sort("created_at", -1).limit(limit).to_list(None)

    # ---- inspections ----

    async def add_inspection(self, doc: dict[str, Any]) -> None:
        await self._db[INSPECTIONS].insert_one(INSPECTION.seal(self._pii, doc))

    async def inspection(self, inspection_id: str) -> dict[str, Any] | None:
        return INSPECTION.open(self._pii, await self._db[INSPECTIONS].find_one({"_id": inspection_id}, HIDDEN))

    async def inspections(self, institution_id: str | None = None, state: str | None = None,
                          limit: int = 1000) -> list[dict[str, Any]]:
        query = {k: v for k, v in (("institution_id", institution_id), ("state", state)) if v}
        docs = await self._db[INSPECTIONS].find(query, {k: 1 for k in SUMMARY}).sort(
            "created_at", 1).limit(limit).to_list(None)
        return INSPECTION.open_all(self._pii, docs)

    async def ended_between(self, first: str, last: str) -> list[dict[str, Any]]:
        """Inspections ended within [first, last] (days as YYYY-MM-DD): institution, id and end day only."""
        return await self._db[INSPECTIONS].find({"ended_on": {"$gte": first, "$lte": last}},
                                                {"institution_id": 1, "ended_on": 1, "state": 1}).to_list(None)

    async def change(self, inspection_id: str, version: int, changes: dict[str, Any],
                     events: list[dict[str, Any]] | None = None) -> bool:
        """The inspection's changed fields (and the events they stage) in one write, only while it is still at
        `version`: False when it moved meanwhile (nothing written)."""
        return await guarded_update(self._db[INSPECTIONS], {"_id": inspection_id, "version": version},
                                    {"$set": {**INSPECTION.seal(self._pii, changes), "version": version + 1}},
                                    events)

    # ---- evidence files ----

    async def add_evidence(self, inspection_id: str, files: Iterable[dict[str, Any]]) -> None:
        """Keep each file once: the same bytes again (same evidence id) are the file already kept."""
        for f in files:
            try:
                await self._db[EVIDENCE].insert_one(EVIDENCE_FILE.seal(self._pii, {
                    **f, "_id": f"{inspection_id}|{f['evidence_id']}", "inspection_id": inspection_id}))
            except DuplicateKeyError:
                pass

    async def evidence(self, inspection_id: str, evidence_id: str) -> dict[str, Any] | None:
        found = await self._db[EVIDENCE].find_one({"_id": f"{inspection_id}|{evidence_id}"})
        if found is None:
            return None
        pii = self._pii
        try:
            return EVIDENCE_FILE.open(pii, found)
        except SealBroken:  # altered: the bytes as stored (they no longer match their sha256)
            return {**found, "filename": pii.open(found.get("filename"))}
