"""The survey's use cases: the questions, an applicant's answers (once per decided application), a period's results
across the tenants the caller may read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict
from chassis.programs import program_of_tenant
from chassis.scope import TenantScope
from services.intake.applications import service as applications
from services.intake.surveys.domain.survey import (
    ALREADY_ANSWERED,
    SCORES,
    aggregate,
    check_answers,
    check_decided,
    period_bounds,
    survey_of,
)
from services.intake.surveys.store import SurveyStore


def questions(scope: TenantScope) -> dict[str, Any]:
    program, qs = survey_of(program_of_tenant(scope.tenant))
    return {"program": program.code, "scale": [SCORES.start, SCORES.stop - 1], "questions": qs}


async def answer(scope: TenantScope, application_id: str, answers: dict[str, Any], comment: str) -> dict[str, Any]:
    db = scope.db()
    app = await applications.own_application(db, application_id, scope.subject)
    program, qs = survey_of(program_of_tenant(scope.tenant))
    check_decided(app["status"])
    scores = check_answers(qs, answers)
    now, today = datetime.now(UTC).isoformat(), today_cn()
    doc = {"_id": application_id, "application_id": application_id, "person_id": scope.subject,
           "program": program.code, "answers": scores, "comment": comment.strip(), "answered_at": now,
           "answered_on": today.isoformat()}
    if not await SurveyStore(db).add_survey(doc):
        raise Conflict(f"{ALREADY_ANSWERED}: the survey of application {application_id} is answered already",
                       "survey", code=ALREADY_ANSWERED)
    return {k: doc[k] for k in ("application_id", "program", "answers", "comment", "answered_on")}


async def results(scope: TenantScope, period: str) -> dict[str, Any]:
    first, last = period_bounds(period)
    program, qs = survey_of(program_of_tenant(scope.tenant))
    responses: list[dict[str, Any]] = []
    for t in scope.readable:
        responses += await SurveyStore(scope.db(t)).survey_answers(program.code, first.isoformat(), last.isoformat())
    return {"program": program.code, "period": period, "from": first.isoformat(), "to": last.isoformat(),
            "tenants": list(scope.readable), **aggregate(qs, responses)}
