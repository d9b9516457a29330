"""The survey's HTTP door (满意度测评): questions, an applicant's answers, a period's results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from chassis.http import Scope, admit
from services.intake.surveys import service
from services.intake.surveys.domain.survey import RESULT_READERS


class SurveyIn(BaseModel):
    answers: dict[str, Any] = Field(description="question code → score 1 (very dissatisfied) … 5 (very satisfied)")
    comment: str = Field(default="", max_length=500)


def router() -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["survey"])

    @r.get("/surveys/questions", summary="The satisfaction survey's questions (满意度测评)")
    async def questions(scope: Scope) -> dict[str, Any]:
        scope.require("applicant", *RESULT_READERS)
        return service.questions(scope)

    @r.post("/applications/{application_id}/survey", status_code=201,
            summary="The applicant answers the satisfaction survey of a decided application (once)",
            dependencies=[admit("applicant")])
    async def answer(application_id: str, body: SurveyIn, scope: Scope) -> dict[str, Any]:
        return await service.answer(scope, application_id, body.answers, body.comment)

    @r.get("/surveys/results", summary="Aggregate survey results of a period (满意度测评结果)")
    async def results(scope: Scope, period: str = Query(description="2025-06, 2025-Q2 or 2025")) -> dict[str, Any]:
        scope.require(*RESULT_READERS)
        return await service.results(scope, period)

    return r
