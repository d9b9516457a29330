"""audit's HTTP door for fund supervision's trainings (/v1/supervision/trainings): the offline courses
(《医疗保障基金合规使用》线下培训) and the flight-inspection trips of the agency's staff (外出飞行检查以干代训),
recorded once held, listed with the term's figures against the tender's counts.

The tenant comes from the token only; a tenant outside the fund-supervision program answers 404 before its body is
read. Inspectors (the carrier organises them) and the agency's supervisor record; ops reads too."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StringConstraints

from chassis.host import ServiceContext
from chassis.http import Scope, admit
from services.audit.trainings import service
from services.audit.trainings.domain.trainings import KINDS, REGIONS, TOPICS

WRITERS = ("inspector", "supervisor")
READERS = ("inspector", "supervisor", "ops")
ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"


class TrainingIn(BaseModel):
    """A course (线下培训) or a flight-inspection trip (以干代训), once held."""

    kind: Literal[KINDS] = Field(description=" | ".join(KINDS))  # type: ignore[valid-type]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    held_from: date
    held_to: date | None = Field(default=None, description="default: held_from (one day)")
    topics: list[Literal[tuple(TOPICS)]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(TOPICS), description="a course: " + " | ".join(TOPICS))
    attendees: int | None = Field(default=None, ge=0, le=100000, description="a course: how many attended")
    region: Literal[tuple(REGIONS)] | None = Field(  # type: ignore[valid-type]
        default=None, description="a trip: " + " | ".join(REGIONS))
    destination: str = Field(default="", max_length=100, description="a trip: where (e.g. 伊犁州)")
    staff: list[Annotated[str, Field(pattern=ID)]] = Field(
        default_factory=list, max_length=20, description="a trip: the agency's staff ids (at least two)")
    note: str = Field(default="", max_length=2000)


async def supervision(scope: Scope) -> None:
    """404 for a tenant outside the fund-supervision program, before roles, parameters or the body are looked at."""
    service.serves(scope.tenant)


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1/supervision", tags=["fund supervision: trainings"], dependencies=[Depends(supervision)])

    @r.post("/trainings", status_code=201, summary="Record a course (线下培训) or a flight-inspection trip (以干代训) "
                                                   "once held", dependencies=[admit(*WRITERS)],
            responses={422: {"description": "a rule broken (code and field named); nothing written"}})
    async def record(body: TrainingIn, scope: Scope) -> dict[str, Any]:
        return await service.record(scope.db(), {"role": scope.role, "subject": scope.subject}, body.model_dump())

    @r.get("/trainings", summary="Trainings recorded, with the term's figures against the tender's counts",
           dependencies=[admit(*READERS)])
    async def listing(scope: Scope, kind: str | None = Query(default=None, pattern=f"^({'|'.join(KINDS)})$")
                      ) -> dict[str, Any]:
        return await service.listing(scope.db(), kind)

    @r.get("/trainings/{training_id}", summary="One training", dependencies=[admit(*READERS)])
    async def read(training_id: str, scope: Scope) -> dict[str, Any]:
        return await service.training(scope.db(), training_id)

    return r
