"""The conclusion (评定结论), its notice (评定结论通知书) and objections (异议): the drawn pair's scores on every item
of the program's scale → the grade with the scale's version → who is covered (severe, lasting six months or through
old age) → the re-check date and the fee → `disability.concluded`; the notice with its objection deadline; an
objection in time opens a re-assessment by a different pair (`disability.objected`, `disability.assessment_opened`).
Every refusal is precise and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput
from chassis.events import derived_event_id, new_event
from contracts.v1 import events_pb2
from services.appraisal.disability.domain.assessment import (
    check_objection,
    check_pair,
    check_scorable,
    conclusion,
    notice,
    parse_day,
    view,
)
from services.appraisal.disability.domain.eligibility import eligibility
from services.appraisal.disability.domain.scale import grade, item_scores
from services.appraisal.disability.service.assessments import open_following, visible
from services.appraisal.disability.service.common import SERVICE, scale_of, serves
from services.appraisal.disability.store import DisabilityStore

CONCLUDED = "disability.concluded"
OBJECTED = "disability.objected"
SCORE_FIELDS = ("assessors", "items", "disabled_since")


async def score(db: Any, tenant: str, assessor: str, assessment_id: str, body: Any) -> dict[str, Any]:
    """`body`: {assessors: [both of the pair], items: {item code: score} for every item, disabled_since?}."""
    settings = serves(tenant)
    store = DisabilityStore(db)
    assessment = visible(await store.assessment(assessment_id), "expert", assessor)
    if not isinstance(body, dict):
        raise InvalidInput("the body must be an object: assessors, items, disabled_since", "body")
    unknown = sorted(set(body) - set(SCORE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", unknown[0])
    check_scorable(assessment)
    pair = check_pair(assessment, body.get("assessors"))
    scale = scale_of(settings.program, settings.scale_file)
    items = item_scores(scale, body.get("items"))
    grading = grade(scale, items)
    concluded_on = today_cn()
    given = parse_day(body.get("disabled_since"), "disabled_since")
    disabled_since = given or parse_day(assessment.get("disabled_since"), "disabled_since")
    if disabled_since and disabled_since > concluded_on:
        raise InvalidInput(f"disabled_since {disabled_since.isoformat()} is after the assessment", "disabled_since")
    old_age = assessment.get("basis") == "old_age"
    covered = eligibility(grading, scale, concluded_on, None if old_age else disabled_since, through_old_age=old_age)
    at = datetime.now(UTC).isoformat()
    result = conclusion(scale, grading, covered, settings, items=items, assessors=pair, concluded_on=concluded_on,
                        concluded_at=at, by=assessor, basis=assessment.get("basis", ""), disabled_since=disabled_since,
                        disabled_since_from="assessors" if given else ("application" if disabled_since else ""))
    event = new_event(CONCLUDED, tenant, assessment["person_id"], events_pb2.DisabilityConcluded(
        assessment_id=assessment_id, application_id=assessment["application_id"], person_id=assessment["person_id"],
        grade=grading.grade, grade_name=grading.grade_name, adl_level=grading.levels["adl"],
        cognition_level=grading.levels["cognition"], perception_level=grading.levels["perception"],
        eligible=covered.eligible, scale_version=scale.version, reasons=[r["code"] for r in result["reason_codes"]],
        concluded_at=at, recheck_due=result["recheck_due"] or "", round=assessment["round"], assessors=list(pair),
        lot=assessment.get("lot", ""), city_level=bool(assessment.get("city_level")), kind=assessment["kind"],
        assessment_fee=result["assessment_fee"], concluded_on=concluded_on.isoformat()), source=SERVICE,
        trace_context=assessment.get("trace_context") or {},
        event_id=derived_event_id(assessment_id, CONCLUDED, "conclusion"))
    if not await store.conclude(assessment_id, result, [event]):
        raise Conflict("the assessment was concluded meanwhile", code="already_concluded")
    return view({**assessment, "status": "concluded", "conclusion": result})


async def conclusion_notice(db: Any, role: str, subject: str, assessment_id: str) -> dict[str, Any]:
    return notice(visible(await DisabilityStore(db).assessment(assessment_id), role, subject))


async def object_to(db: Any, tenant: str, role: str, subject: str, assessment_id: str,
                    reason: str) -> dict[str, Any]:
    """An objection (异议) by the person (their own conclusion) or a clerk for them, within the deadline: the
    re-assessment by a different pair is opened first (its id is the application's next round, so a retry meets
    it), then the objection is recorded with `disability.objected` — once per conclusion."""
    serves(tenant)
    store = DisabilityStore(db)
    assessment = visible(await store.assessment(assessment_id), role, subject)
    check_objection(assessment, today_cn())
    pair = list(assessment.get("assessors") or [])
    reassessment = await open_following(store, assessment, "objection", tenant, f"objection ({role})", pair)
    if reassessment.get("previous_assessment_id") != assessment_id:  # pragma: no cover - ids are per round
        raise Conflict("another assessment holds the next round", code="already_objected")
    at = datetime.now(UTC).isoformat()
    objection = {"reason": reason, "by": subject, "role": role, "at": at, "on": today_cn().isoformat(),
                 "reassessment_id": reassessment["_id"]}
    event = new_event(OBJECTED, tenant, assessment["person_id"], events_pb2.DisabilityObjected(
        assessment_id=assessment_id, person_id=assessment["person_id"], reason=reason, objected_at=at,
        reassessment_id=reassessment["_id"]), source=SERVICE, trace_context=assessment.get("trace_context") or {},
        event_id=derived_event_id(assessment_id, OBJECTED, reassessment["_id"]))
    if not await store.record_objection(assessment_id, objection, reassessment["_id"], [event]):
        raise Conflict("this conclusion was objected to meanwhile", code="already_objected")
    return {"objected": view({**assessment, "objection": objection, "next_assessment_id": reassessment["_id"]}),
            "reassessment": view(reassessment)}

