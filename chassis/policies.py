"""Reading a program's policy table from settlement, which owns it (gRPC GetPolicy), with a short
cache so intake and appraisal do not ask on every request."""

from __future__ import annotations

import time
from typing import Any

import grpc

from chassis.errors import InvalidInput, NotFound
from contracts.v1 import common_pb2, settlement_pb2, settlement_pb2_grpc

_TTL_S = 30.0


class PolicyReader:
    def __init__(self, peers: Any) -> None:
        self._peers = peers
        self._cache: dict[tuple[str, str, str], tuple[float, common_pb2.PolicyTable]] = {}

    async def table(self, tenant: str, program: str, on: str = "") -> common_pb2.PolicyTable:
        key = (tenant, program, on)
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < _TTL_S:
            return hit[1]
        stub = settlement_pb2_grpc.SettlementServiceStub(self._peers.channel("settlement"))
        try:
            table = await stub.GetPolicy(settlement_pb2.GetPolicyRequest(program=program, on_date=on),
                                         metadata=await self._peers.metadata(tenant), timeout=10)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(f"no policy table of {program} is in force{' on ' + on if on else ''}") from exc
            raise
        self._cache[key] = (time.monotonic(), table)
        return table

    async def disease(self, tenant: str, program: str, code: str, on: str = "") -> common_pb2.DiseasePolicy:
        table = await self.table(tenant, program, on)
        for d in table.diseases:
            if d.code == code:
                return d
        raise InvalidInput(f"disease {code!r} is not in the {program} policy table {table.version}", "disease_code")
