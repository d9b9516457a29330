"""The on-site visit (上门评定) and its information collection record (评定信息采集过程记录): recorded once by an
assessor of the drawn pair with its evidence — photos and recordings, each sniffed, its sha256 and size kept, the
bytes sealed — and read back by the pair and the carrier's staff, every read of the evidence recorded
(appraisal.person.accessed, 查阅记录)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from chassis.access import Access, Reader, record_access
from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from services.appraisal.disability.domain.assessment import check_visitable, view
from services.appraisal.disability.domain.visit import (
    MAX_EVIDENCE,
    Evidence,
    check_evidence,
    check_visited_on,
    evidence_kind,
)
from services.appraisal.disability.service.assessments import visible
from services.appraisal.disability.service.common import SERVICE, now
from services.appraisal.disability.store import DisabilityStore

Upload = tuple[str, str, str, bytes]  # (form field, file name, content type, bytes)


def _evidence(uploads: list[Upload], max_bytes: int) -> list[tuple[Evidence, bytes]]:
    """Every file checked before anything is stored: its field, type, size and the bytes' type."""
    if not uploads:
        raise InvalidInput("an on-site visit needs its evidence: at least one photo… or recording… file", "evidence",
                           code="evidence_required")
    if len(uploads) > MAX_EVIDENCE:
        raise InvalidInput(f"at most {MAX_EVIDENCE} evidence files a visit", "evidence")
    checked = []
    for field, filename, content_type, content in uploads:
        evidence_kind(field)
        e = Evidence(field, (filename or field)[:200], content_type, len(content))
        check_evidence(e, content[:16], max_bytes)
        checked.append((e, content))
    return checked


async def record_visit(db: Any, assessor: str, assessment_id: str, visit: dict[str, Any], uploads: list[Upload],
                       max_bytes: int) -> dict[str, Any]:
    """`visit`: visited_on (a date), place, present, notes — as the door checked their shapes."""
    store = DisabilityStore(db)
    assessment = visible(await store.assessment(assessment_id), "expert", assessor)
    check_visitable(assessment)
    visited_on: date = visit["visited_on"]
    check_visited_on(visited_on, date.fromisoformat(assessment["opened_on"]), today_cn())
    checked = _evidence(uploads, max_bytes)
    at = now()
    refs, blobs = [], []
    for e, content in checked:
        ref = {"evidence_id": str(uuid.uuid4()), "kind": e.kind, "field": e.field, "filename": e.filename,
               "content_type": e.content_type, "size": e.size, "sha256": hashlib.sha256(content).hexdigest()}
        refs.append(ref)
        blobs.append({"_id": ref["evidence_id"], "assessment_id": assessment_id, "content": content,
                      "uploaded_by": assessor, "uploaded_at": at, **ref})
    record = {"visited_on": visited_on.isoformat(), "place": visit["place"], "present": list(visit["present"]),
              "notes": visit["notes"], "recorded_by": assessor, "recorded_at": at, "evidence": refs}
    await store.add_evidence(blobs)
    if not await store.record_visit(assessment_id, record):
        await store.drop_evidence([r["evidence_id"] for r in refs])
        raise Conflict("the on-site visit of this assessment was recorded meanwhile", "visit",
                       code="visit_already_recorded")
    return view({**assessment, "status": "visited", "visit": record})


async def evidence(db: Any, reader: Reader, assessment_id: str, evidence_id: str) -> tuple[bytes, str, str]:
    """An evidence file's bytes, type and sha256, the read recorded before it is handed out. An expert opens the
    evidence of the assessments they were drawn for; any other is not found, as if absent."""
    store = DisabilityStore(db)
    assessment = visible(await store.assessment(assessment_id), reader.role, reader.subject)
    doc = await store.evidence(assessment_id, evidence_id)
    if doc is None:
        raise NotFound("evidence not found")
    await record_access(db, SERVICE, reader, Access(assessment["person_id"], "document", evidence_id, "download"))
    return bytes(doc["content"]), doc["content_type"], doc["sha256"]
