"""Applicants' satisfaction survey (满意度测评), when the program runs one (program.yaml `survey.questions`: a code
and the question's text each; Xunyang: "做好身份验证、处方审核、费用赔付、满意度测评等工作").

An applicant whose application is decided (approved, not approved, filed, rejected, revoked) answers once per
application: a score from 1 (very dissatisfied) to 5 (very satisfied) for every question, and an optional comment.
Clerks, inspectors, ops and the agency supervisor (across its program's tenants served here) read the results of a
period (2025-06, 2025-Q2 or 2025) as aggregates: responses, the mean and the spread of scores per question — never
who answered what. Collection `surveys` (intake's database of each tenant), `_id` = the application id."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.programs import Program, program_of_tenant, readable_tenants
from services.intake.store import IntakeStore  # surveys lives in store.py

DECIDED = frozenset({"approved", "not_approved", "filed", "rejected", "revoked"})
SCORES = range(1, 6)
RESULT_READERS = ("clerk", "supervisor", "ops", "inspector")
NOT_DECIDED = "application_not_decided"       # reason codes
ALREADY_ANSWERED = "survey_already_answered"
NO_SURVEY = "program_runs_no_survey"
_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")


class SurveyIn(BaseModel):
    answers: dict[str, Any] = Field(description="question code → score 1 (very dissatisfied) … 5 (very satisfied)")
    comment: str = Field(default="", max_length=500)


def questions_of(program: Program | None) -> list[dict[str, str]]:
    raw = (program.setting("survey", "questions") if program else None) or []
    return [{"code": str(q["code"]), "text": str(q.get("text", ""))} for q in raw if isinstance(q, dict)]


def check_answers(questions: list[dict[str, str]], answers: dict[str, Any]) -> dict[str, int]:
    """Every question answered with a whole score 1–5, nothing else: every problem named by its field."""
    codes = [q["code"] for q in questions]
    errors = [{"field": f"answers.{c}", "message": "not answered: a score 1–5 is required"}
              for c in codes if c not in answers]
    errors += [{"field": f"answers.{k}", "message": f"not a question of this survey; questions are {codes}"}
               for k in answers if k not in codes]
    for c in codes:
        v = answers.get(c)
        if c in answers and (isinstance(v, bool) or not isinstance(v, int) or v not in SCORES):
            errors.append({"field": f"answers.{c}", "message": f"score must be a whole number 1–5, got {v!r}"})
    if errors:
        raise InvalidInput("the survey is invalid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                           fields=errors)
    return {c: int(answers[c]) for c in codes}


def period_bounds(value: str) -> tuple[date, date]:
    """2025-06, 2025-Q2 or 2025 → its first and last day."""
    m = _PERIOD.match(value or "")
    if not m:
        raise InvalidInput(f"period must be YYYY-MM, YYYY-Qn or YYYY, got {value!r}", "period")
    year = int(m.group(1))
    if m.group(2):
        first, last = int(m.group(2)), int(m.group(2))
    elif m.group(3):
        first = 3 * int(m.group(3)) - 2
        last = first + 2
    else:
        first, last = 1, 12
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def aggregate(questions: list[dict[str, str]], responses: list[dict[str, Any]]) -> dict[str, Any]:
    """Per question: responses, mean (two decimals, half up) and the count of each score."""
    rows = []
    for q in questions:
        scores = [r["answers"][q["code"]] for r in responses if q["code"] in r.get("answers", {})]
        mean = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP) if scores else None
        rows.append({"code": q["code"], "text": q["text"], "responses": len(scores),
                     "mean": None if mean is None else str(mean),
                     "satisfied": sum(1 for s in scores if s >= 4),
                     "distribution": {str(s): scores.count(s) for s in SCORES}})
    return {"responses": len(responses), "comments": sum(1 for r in responses if r.get("comment")),
            "questions": rows}


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["survey"])
    served = tuple(ctx.settings.tenants)

    def survey_program(tenant: str) -> tuple[Program, list[dict[str, str]]]:
        program = program_of_tenant(tenant)
        questions = questions_of(program)
        if program is None or not questions:
            raise Conflict(f"{NO_SURVEY}: this tenant's program runs no satisfaction survey", "survey")
        return program, questions

    @r.get("/surveys/questions", summary="The satisfaction survey's questions (满意度测评)")
    async def questions(caller: Caller) -> dict[str, Any]:
        require_role(caller, "applicant", *RESULT_READERS)
        program, qs = survey_program(caller.tenant)
        return {"program": program.code, "scale": [SCORES.start, SCORES.stop - 1], "questions": qs}

    @r.post("/applications/{application_id}/survey", status_code=201,
            summary="The applicant answers the satisfaction survey of a decided application (once)")
    async def answer(application_id: str, body: SurveyIn, caller: Caller) -> dict[str, Any]:
        require_role(caller, "applicant")
        app = await IntakeStore(ctx.db(caller.tenant)).application(application_id)
        if app is None or app["person_id"] != caller.subject:
            raise NotFound(f"application {application_id} not found")
        program, qs = survey_program(caller.tenant)
        if app["status"] not in DECIDED:
            raise Conflict(f"{NOT_DECIDED}: the application is {app['status']}; the survey is answered once it is "
                           "decided", "status")
        scores = check_answers(qs, body.answers)
        now, today = datetime.now(UTC).isoformat(), today_cn()
        doc = {"_id": application_id, "application_id": application_id, "person_id": caller.subject,
               "program": program.code, "answers": scores, "comment": body.comment.strip(), "answered_at": now,
               "answered_on": today.isoformat()}
        if not await IntakeStore(ctx.db(caller.tenant)).add_survey(doc):
            raise Conflict(f"{ALREADY_ANSWERED}: the survey of application {application_id} is answered already",
                           "survey")
        return {k: doc[k] for k in ("application_id", "program", "answers", "comment", "answered_on")}

    @r.get("/surveys/results", summary="Aggregate survey results of a period (满意度测评结果)")
    async def results(caller: Caller, period: str = Query(description="2025-06, 2025-Q2 or 2025")) -> dict[str, Any]:
        require_role(caller, *RESULT_READERS)
        first, last = period_bounds(period)
        program, qs = survey_program(caller.tenant)
        tenants = readable_tenants(caller.tenant, caller.role, caller.program, served)
        responses: list[dict[str, Any]] = []
        for t in tenants:
            responses += await IntakeStore(ctx.db(t)).survey_answers(program.code, first.isoformat(),
                                                                     last.isoformat())
        return {"program": program.code, "period": period, "from": first.isoformat(), "to": last.isoformat(),
                "tenants": list(tenants), **aggregate(qs, responses)}

    return r
