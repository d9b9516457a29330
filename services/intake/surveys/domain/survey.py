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
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chassis.errors import Conflict, InvalidInput
from chassis.programs import Program

DECIDED = frozenset({"approved", "not_approved", "filed", "rejected", "revoked"})
SCORES = range(1, 6)
RESULT_READERS = ("clerk", "supervisor", "ops", "inspector")
NOT_DECIDED = "application_not_decided"       # reason codes
ALREADY_ANSWERED = "survey_already_answered"
NO_SURVEY = "program_runs_no_survey"
INVALID_ANSWERS = "survey_answers_invalid"
_PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a period may name (as the fund's years)


def questions_of(program: Program | None) -> list[dict[str, str]]:
    raw = (program.setting("survey", "questions") if program else None) or []
    return [{"code": str(q["code"]), "text": str(q.get("text", ""))} for q in raw if isinstance(q, dict)]


def survey_of(program: Program | None) -> tuple[Program, list[dict[str, str]]]:
    """The program's survey questions; refused where the program (or the tenant without one) runs none."""
    questions = questions_of(program)
    if program is None or not questions:
        raise Conflict(f"{NO_SURVEY}: this tenant's program runs no satisfaction survey", "survey", code=NO_SURVEY)
    return program, questions


def check_decided(status: str) -> None:
    """The survey is answered once the application is decided."""
    if status not in DECIDED:
        raise Conflict(f"{NOT_DECIDED}: the application is {status}; the survey is answered once it is decided",
                       "status", code=NOT_DECIDED)


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
                           fields=errors, code=INVALID_ANSWERS)
    return {c: int(answers[c]) for c in codes}


def period_bounds(value: str) -> tuple[date, date]:
    """2025-06, 2025-Q2 or 2025 → its first and last day."""
    m = _PERIOD.match(value or "")
    if not m:
        raise InvalidInput(f"period must be YYYY-MM, YYYY-Qn or YYYY, got {value!r}", "period")
    year = int(m.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:  # "0000" or "9999-12" names no period of a program
        raise InvalidInput(f"period {value!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}", "period")
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
