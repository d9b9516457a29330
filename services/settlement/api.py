"""settlement's HTTP door (so far): a person's benefit accounts for a year."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from chassis.host import ServiceContext
from chassis.http import Caller, require_role
from chassis.money import fmt, from_fen
from services.settlement.store import SettlementStore

READERS = ("clerk", "finance", "reviewer", "supervisor", "ops", "institution")


def router(ctx: ServiceContext) -> APIRouter:
    r = APIRouter(prefix="/v1", tags=["accumulators"])

    @r.get("/persons/{person_id}/accumulators", summary="Benefit accounts (待遇累计) of one year")
    async def accumulators(person_id: str, caller: Caller, year: int = Query(ge=2000, le=2100)) -> dict[str, Any]:
        require_role(caller, *READERS)
        accounts = await SettlementStore(ctx.db(caller.tenant)).accounts(person_id, year)
        return {"person_id": person_id, "year": year, "accounts": [
            {"disease_code": a["disease_code"], "benefit_start": a["benefit_start"],
             "paid": fmt(from_fen(a["paid_fen"])), "qualification_id": a["qualification_id"]} for a in accounts]}

    return r
