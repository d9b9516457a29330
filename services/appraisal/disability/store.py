"""The disability room's collections, one database per tenant:

- `ltc_assessors`: the assessor pool (评定人员库), one document per assessor (its id stable across imports); the
  assessor's name is sealed.
- `ltc_assessments`: one document per assessment with its draws, visit record, conclusion, objection and pending
  events (outbox). The person is found by the blind index of their identity number (`person_bi`); the number, the
  visit's place, who was present and the notes, the evidence's file names and the objection's reason (and who
  objected: an applicant's subject is their identity number) are sealed.
- `ltc_evidence`: the visit's photos and recordings, the bytes and file name sealed; type, size and sha256 clear.

Every write of a state change is one guarded update carrying its events (chassis/outbox.py)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of
from services.appraisal.disability.domain.assessors import PoolMember

ASSESSORS = "ltc_assessors"
ASSESSMENTS = "ltc_assessments"
EVIDENCE = "ltc_evidence"

ASSESSOR = Sealed(text=("name",))
ASSESSMENT = Sealed(text=("visit.place", "visit.notes", "visit.evidence.*.filename", "objection.reason",
                          "objection.by"),
                    json=("visit.present",), persons={"person_id": "person_bi"})
EVIDENCE_DOC = Sealed(text=("filename",), data=("content",))
_NO_OUTBOX = {"_outbox": 0}


class DisabilityStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        for field in ("status", "person_bi", "assessors", "_outbox_pending", "conclusion.recheck_due"):
            await self._db[ASSESSMENTS].create_index(field)
        await self._db[EVIDENCE].create_index("assessment_id")

    # ---- the pool -------------------------------------------------------------------------------------------

    async def upsert_assessors(self, members: list[PoolMember], imported_at: str, by: str) -> None:
        for m in members:  # a pool is a few hundred rows: one update each (the memory adapter's bulk_write differs)
            doc = {"name": m.name, "background": m.background, "medical": m.medical,
                   "institution_id": m.institution_id, "degree": m.degree, "active": m.active,
                   "imported_at": imported_at, "imported_by": by}
            await self._db[ASSESSORS].update_one({"_id": m.assessor_id}, {"$set": ASSESSOR.seal(self._pii, doc)},
                                                 upsert=True)

    async def assessors(self, active_only: bool = False) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"active": {"$ne": False}} if active_only else {}
        return ASSESSOR.open_all(self._pii, await self._db[ASSESSORS].find(query).sort("_id", 1).to_list(None))

    async def pool(self) -> list[PoolMember]:
        """The active assessors as a draw takes them (names left sealed: a draw does not need them)."""
        found = await self._db[ASSESSORS].find({"active": {"$ne": False}}, {"name": 0}).to_list(None)
        return [PoolMember(d["_id"], "", d["background"], d.get("institution_id", ""), d.get("degree", ""))
                for d in found]

    # ---- assessments ----------------------------------------------------------------------------------------

    async def open_assessment(self, assessment: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """Insert a new assessment with its events; False when its id exists already (a redelivery, a retry)."""
        try:
            await self._db[ASSESSMENTS].insert_one(with_events(ASSESSMENT.seal(self._pii, assessment), events))
        except DuplicateKeyError:
            return False
        return True

    async def assessment(self, assessment_id: str) -> dict[str, Any] | None:
        return ASSESSMENT.open(self._pii, await self._db[ASSESSMENTS].find_one({"_id": assessment_id}, _NO_OUTBOX))

    async def assessments(self, limit: int, person_id: str | None = None, status: str | None = None,
                          assessor: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if person_id:
            query["person_bi"] = {"$in": self._pii.blind_indexes(person_id)}
        if status:
            query["status"] = status
        if assessor:
            query["assessors"] = assessor
        if kind:
            query["kind"] = kind
        return await self._find(query, limit)

    async def of_person(self, person_id: str) -> list[dict[str, Any]]:
        """Every assessment of the person, oldest first."""
        return await self._find({"person_bi": {"$in": self._pii.blind_indexes(person_id)}}, 1000)

    async def awaiting(self, limit: int = 1000) -> list[dict[str, Any]]:
        return await self._find({"status": "awaiting_assessors"}, limit)

    async def record_draw(self, assessment_id: str, assessors: list[str], draw: dict[str, Any],
                          events: list[dict[str, Any]]) -> bool:
        """The drawn pair, the draw's record and `disability.assessment_opened` in one write, only while the
        assessment still waits: two draws racing for one assessment cannot both win."""
        return await guarded_update(self._db[ASSESSMENTS], {"_id": assessment_id, "status": "awaiting_assessors"}, {
            "$set": {"status": "open", "assessors": assessors, "awaiting": None}, "$push": {"draws": draw}}, events)

    async def record_visit(self, assessment_id: str, visit: dict[str, Any]) -> bool:
        """The on-site visit record, once, only while the assessment is drawn and not visited."""
        return await guarded_update(self._db[ASSESSMENTS], {"_id": assessment_id, "status": "open"},
                                    {"$set": ASSESSMENT.seal(self._pii, {"status": "visited", "visit": visit})})

    async def conclude(self, assessment_id: str, conclusion: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """The conclusion with `disability.concluded`, only while the assessment is visited (concluded once)."""
        return await guarded_update(self._db[ASSESSMENTS], {"_id": assessment_id, "status": "visited"},
                                    {"$set": {"status": "concluded", "conclusion": conclusion}}, events)

    async def record_objection(self, assessment_id: str, objection: dict[str, Any], next_id: str,
                               events: list[dict[str, Any]]) -> bool:
        """The objection, the re-assessment it opened and `disability.objected`, once per conclusion."""
        return await guarded_update(
            self._db[ASSESSMENTS], {"_id": assessment_id, "status": "concluded", "objection": {"$exists": False},
                                    "next_assessment_id": {"$exists": False}},
            {"$set": ASSESSMENT.seal(self._pii, {"objection": objection, "next_assessment_id": next_id})}, events)

    async def link_next(self, assessment_id: str, next_id: str) -> bool:
        """The re-check that follows a conclusion, recorded on it once."""
        return await guarded_update(self._db[ASSESSMENTS], {"_id": assessment_id, "status": "concluded",
                                                            "next_assessment_id": {"$exists": False}},
                                    {"$set": {"next_assessment_id": next_id}})

    async def eligible_due(self, due_by: str, limit: int = 5000) -> list[dict[str, Any]]:
        """Eligible conclusions whose re-check falls due by `due_by` (overdue ones included), soonest first."""
        found = await self._db[ASSESSMENTS].find(
            {"status": "concluded", "conclusion.eligible": True, "conclusion.recheck_due": {"$gt": "", "$lte": due_by}},
            _NO_OUTBOX).sort("conclusion.recheck_due", 1).to_list(limit)
        return ASSESSMENT.open_all(self._pii, found)

    async def recheck_not_raised(self, on: str, limit: int = 10000) -> list[dict[str, Any]]:
        """Eligible conclusions due by `on` whose `disability.recheck_due` was not raised and that nothing followed."""
        return await self._find({"status": "concluded", "conclusion.eligible": True,
                                 "conclusion.recheck_due": {"$gt": "", "$lte": on},
                                 "recheck_notified": {"$ne": True}, "next_assessment_id": {"$exists": False}}, limit)

    async def mark_recheck_raised(self, assessment_id: str, events: list[dict[str, Any]]) -> bool:
        return await guarded_update(self._db[ASSESSMENTS], {"_id": assessment_id, "recheck_notified": {"$ne": True}},
                                    {"$set": {"recheck_notified": True}}, events)

    async def statuses(self, assessment_ids: list[str]) -> dict[str, str]:
        if not assessment_ids:
            return {}
        found = await self._db[ASSESSMENTS].find({"_id": {"$in": assessment_ids}}, {"status": 1}).to_list(None)
        return {d["_id"]: d["status"] for d in found}

    # ---- evidence -------------------------------------------------------------------------------------------

    async def add_evidence(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self._db[EVIDENCE].insert_many([EVIDENCE_DOC.seal(self._pii, d) for d in docs])

    async def drop_evidence(self, evidence_ids: list[str]) -> None:
        """Evidence of a visit that lost its write (recorded meanwhile by the other of the pair): not kept."""
        if evidence_ids:
            await self._db[EVIDENCE].delete_many({"_id": {"$in": evidence_ids}})

    async def evidence(self, assessment_id: str, evidence_id: str) -> dict[str, Any] | None:
        return EVIDENCE_DOC.open(self._pii, await self._db[EVIDENCE].find_one({"_id": evidence_id,
                                                                               "assessment_id": assessment_id}))

    async def _find(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        found = await self._db[ASSESSMENTS].find(query, _NO_OUTBOX).sort("opened_at", 1).to_list(limit)
        return ASSESSMENT.open_all(self._pii, found)
