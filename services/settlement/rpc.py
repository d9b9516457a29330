"""settlement's gRPC door: accumulators for other services (the tenant comes from the token)."""

from __future__ import annotations

import grpc

from chassis.errors import InvalidInput
from chassis.host import ServiceContext
from chassis.rpc import caller
from jingban.contracts.v1 import settlement_pb2, settlement_pb2_grpc
from services.settlement.store import SettlementStore


class SettlementRpc(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def GetAccumulators(self, request: settlement_pb2.GetAccumulatorsRequest,
                              context: grpc.aio.ServicerContext) -> settlement_pb2.Accumulators:
        if not request.person_id:
            raise InvalidInput("person_id is required", "person_id")
        if not 2000 <= request.year <= 2100:
            raise InvalidInput("year must be between 2000 and 2100", "year")
        accounts = await SettlementStore(self._ctx.db(caller().tenant)).accounts(request.person_id, request.year)
        return settlement_pb2.Accumulators(person_id=request.person_id, year=request.year, accounts=[
            settlement_pb2.BenefitAccount(disease_code=a["disease_code"], benefit_start=a["benefit_start"],
                                          paid_fen=a["paid_fen"], qualification_id=a["qualification_id"])
            for a in accounts])
