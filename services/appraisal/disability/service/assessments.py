"""Opening assessments and drawing their pairs (评定人员随机抽取): an accepted application (care_application.accepted)
opens the first assessment; an objection or a re-check opens the next round. Each is drawn at once from the active
pool — two assessors, at least one medical or nursing, none of the person's care institution, none barred
(`excluded`: an objection's previous pair) — the seed and candidate list recorded with the draw and on its
`disability.assessment_opened`. A pool too small leaves the assessment waiting (`pool_too_small`) until a clerk's
draw (or a pool import) finds a pair; nobody ever picks the assessors."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import Event, derived_event_id, new_event
from contracts.v1 import events_pb2
from services.appraisal.disability.domain.assessment import (
    BASES,
    POOL_TOO_SMALL,
    assessment_id_for,
    check_drawable,
    next_assessment,
    parse_day,
    view,
)
from services.appraisal.disability.domain.draw import draw_pair
from services.appraisal.disability.service.common import SERVICE, now, runs, serves
from services.appraisal.disability.store import DisabilityStore

log = logging.getLogger(__name__)
OPENED = "disability.assessment_opened"


def visible(assessment: dict[str, Any] | None, role: str, subject: str) -> dict[str, Any]:
    """An assessment as the caller may see it: an expert only those they were drawn for, an applicant only their
    own; any other is not found, as if absent."""
    if (assessment is None or (role == "expert" and subject not in (assessment.get("assessors") or ()))
            or (role == "applicant" and assessment["person_id"] != subject)):
        raise NotFound("assessment not found")
    return assessment


async def _with_draw(store: DisabilityStore, assessment: dict[str, Any], tenant: str,
                     reason: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The assessment with its pair drawn and `disability.assessment_opened` — or waiting, saying why."""
    at = now()
    seed = secrets.token_hex(16)
    pool = [m.for_draw() for m in await store.pool()]
    institution = assessment.get("care_institution_id", "")
    excluded = list(assessment.get("excluded") or [])
    try:
        drawn = draw_pair(pool, seed, institution, excluded)
    except Conflict as exc:
        return {**assessment, "status": "awaiting_assessors", "assessors": [],
                "awaiting": {"code": POOL_TOO_SMALL, "why": exc.code, "message": exc.message, "at": at,
                             "pool": len(pool)}}, []
    chosen = list(drawn.assessors)
    record = {"seed": seed, "candidates": list(drawn.candidates), "chosen": chosen, "at": at, "reason": reason,
              "care_institution_id": institution, "excluded": excluded}
    event = new_event(OPENED, tenant, assessment["person_id"], events_pb2.DisabilityAssessmentOpened(
        assessment_id=assessment["_id"], application_id=assessment["application_id"],
        person_id=assessment["person_id"], assessors=chosen, seed=seed, round=assessment["round"],
        kind=assessment["kind"], opened_at=at, candidates=list(drawn.candidates), care_institution_id=institution,
        excluded=excluded, previous_assessment_id=assessment.get("previous_assessment_id") or ""),
        source=SERVICE, trace_context=assessment.get("trace_context") or {},
        # one pair per assessment, ever: a retried write of the same draw is the same event
        event_id=derived_event_id(assessment["_id"], OPENED, "draw"))
    return {**assessment, "status": "open", "assessors": chosen, "awaiting": None,
            "draws": [*assessment.get("draws", []), record]}, [event]


def _opening(fields: dict[str, Any], by: str) -> dict[str, Any]:
    at = now()
    return {**fields, "status": "awaiting_assessors", "assessors": [], "draws": [], "opened_at": at,
            "opened_on": today_cn().isoformat(), "opened_by": by}


async def open_from_application(db: Any, tenant: str, event: Event) -> bool:
    """care_application.accepted → the application's first assessment, drawn. Idempotent: a redelivered event (or
    another acceptance of the same application) finds it open and changes nothing. True when opened."""
    if not runs(tenant):
        log.warning("care_application.accepted of tenant %s, whose program assesses no disability: ignored", tenant)
        return False
    p = event.payload
    if not p.application_id or not p.person_id:
        raise InvalidInput("care_application.accepted without an application or a person", "application_id")
    if p.basis not in BASES:
        raise InvalidInput(f"basis must be one of {list(BASES)}, got {p.basis!r}", "basis")
    disabled_since = parse_day(p.disabled_since, "disabled_since")
    store = DisabilityStore(db)
    assessment_id = assessment_id_for(p.application_id, 1)
    if await store.assessment(assessment_id):
        return False
    settings = serves(tenant)
    fields = {"_id": assessment_id, "kind": "initial", "round": 1, "application_id": p.application_id,
              "person_id": p.person_id, "lot": p.lot, "city_level": p.city_level, "district": p.district,
              "basis": p.basis, "disabled_since": disabled_since.isoformat() if disabled_since else "",
              "care_institution_id": p.care_institution_id, "insutype": p.insutype, "program": settings.program,
              "excluded": [], "source_event_id": event.id,
              # the application's trace continues through the assessment to its conclusion's events
              "trace_context": dict(event.envelope.trace_context)}
    doc, events = await _with_draw(store, _opening(fields, "care_application.accepted"), tenant, "initial")
    if not await store.open_assessment(doc, events):
        return False
    log.info("assessment %s opened (%s), assessors %s", assessment_id, doc["status"], doc["assessors"])
    return True


async def open_following(store: DisabilityStore, previous: dict[str, Any], kind: str, tenant: str, by: str,
                         excluded: list[str]) -> dict[str, Any]:
    """The next round after `previous` (an objection's re-assessment or a re-check), drawn; the one opened before
    when a retry meets it (its id is the application's and the round's)."""
    fields = next_assessment(previous, kind, excluded)
    doc, events = await _with_draw(store, _opening(fields, by), tenant, kind)
    if await store.open_assessment(doc, events):
        return doc
    existing = await store.assessment(fields["_id"])
    assert existing is not None
    return existing


async def draw(db: Any, tenant: str, assessment_id: str) -> dict[str, Any]:
    """A clerk's draw of a waiting assessment (the clerk triggers it, the seed chooses): 409 `already_drawn` when
    drawn, 409 `pool_too_small` when the pool still cannot give a pair (nothing written)."""
    store = DisabilityStore(db)
    assessment = await store.assessment(assessment_id)
    if assessment is None:
        raise NotFound("assessment not found")
    check_drawable(assessment)
    done, events = await _with_draw(store, assessment, tenant, "clerk's draw")
    if not events:
        why = done["awaiting"]
        raise Conflict(f"no pair can be drawn: {why['message']}", code=POOL_TOO_SMALL, params={"why": why["why"]})
    if not await store.record_draw(assessment_id, done["assessors"], done["draws"][-1], events):
        raise Conflict("the assessors of this assessment were drawn meanwhile", code="already_drawn")
    return view(done)


async def draw_waiting(db: Any, tenant: str) -> tuple[list[str], int]:
    """Every waiting assessment drawn as a clerk's draw would be (after the pool grew): (drawn ids, still waiting)."""
    store = DisabilityStore(db)
    drawn: list[str] = []
    waiting = 0
    for assessment in await store.awaiting():
        done, events = await _with_draw(store, assessment, tenant, "pool imported")
        if events and await store.record_draw(assessment["_id"], done["assessors"], done["draws"][-1], events):
            drawn.append(assessment["_id"])
        else:
            waiting += 1
    return drawn, waiting


async def listed(db: Any, role: str, subject: str, limit: int, person_id: str | None, status: str | None,
                 kind: str | None) -> list[dict[str, Any]]:
    """The tenant's assessments, oldest first; an expert's are those they were drawn for."""
    found = await DisabilityStore(db).assessments(limit, person_id, status, subject if role == "expert" else None,
                                                  kind)
    return [view(a) for a in found]


async def one(db: Any, role: str, subject: str, assessment_id: str) -> dict[str, Any]:
    return view(visible(await DisabilityStore(db).assessment(assessment_id), role, subject))
