"""settlement's gRPC door (the tenant comes from the token): accumulators, the policy in force, and real-time
adjudication of one visit (即时结算) — the same code path as POST /v1/visits/settle."""

from __future__ import annotations

from datetime import date

import grpc

from chassis.calendar import today_cn
from chassis.errors import Forbidden, InvalidInput
from chassis.host import ServiceContext
from chassis.rpc import access, current_scope
from contracts.v1 import common_pb2, settlement_pb2, settlement_pb2_grpc
from services.settlement.chronic.domain.records import CODE_RE, reason_codes, yuan
from services.settlement.chronic.domain.visits import parse_visit
from services.settlement.chronic.service.accounts import read_accumulators
from services.settlement.chronic.service.settler import Settler
from services.settlement.policies.service import PolicyBook, to_proto

# Who may call (chassis/rpc.py): intake and appraisal read the policy in force; an institution settles its own
# visits in real time (and sees nothing else of a person: accumulators are the staff's).
ACCESS = access(settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"].full_name, {
    "GetPolicy": (("intake", "appraisal"), ("clerk", "reviewer", "expert", "finance", "inspector", "supervisor",
                                            "ops")),
    "GetAccumulators": ((), ("finance", "clerk", "reviewer", "supervisor", "ops")),
    "Adjudicate": ((), ("institution",)),
})


class SettlementRpc(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, ctx: ServiceContext, book: PolicyBook, settler: Settler) -> None:
        self._ctx, self._book, self._settler = ctx, book, settler

    async def GetAccumulators(self, request: settlement_pb2.GetAccumulatorsRequest,
                              context: grpc.aio.ServicerContext) -> settlement_pb2.Accumulators:
        if not request.person_id:
            raise InvalidInput("person_id is required", "person_id")
        if not 2000 <= request.year <= 2100:
            raise InvalidInput("year must be between 2000 and 2100", "year")
        scope = current_scope()
        view = await read_accumulators(self._settler, scope.db(), scope, request.person_id, request.year,
                                       channel="grpc")  # the read is recorded (查阅记录)
        return settlement_pb2.Accumulators(
            person_id=request.person_id, year=request.year, year_cap=view["year_cap"] or "", paid=view["paid"],
            deductible_used=view["deductible_used"],
            accounts=[settlement_pb2.BenefitAccount(
                disease_code=a["disease_code"], benefit_start=a["benefit_start"],
                paid_fen=a["paid_fen"], qualification_id=a["qualification_id"])
                for a in view["accounts"]])

    async def GetPolicy(self, request: settlement_pb2.GetPolicyRequest,
                        context: grpc.aio.ServicerContext) -> common_pb2.PolicyTable:
        if not request.program:
            raise InvalidInput("program is required", "program")
        try:
            on = date.fromisoformat(request.on_date) if request.on_date else today_cn()
        except ValueError as exc:
            raise InvalidInput(f"on_date is not a date (YYYY-MM-DD): {request.on_date!r}", "on_date") from exc
        policy = await self._book.in_force(current_scope().tenant, request.program, on)
        return to_proto(policy)

    async def Adjudicate(self, request: settlement_pb2.AdjudicateRequest,
                         context: grpc.aio.ServicerContext) -> settlement_pb2.Adjudication:
        ident = current_scope()
        if ident.role == "institution":
            if not CODE_RE.match(ident.subject):
                raise Forbidden("an institution token's subject must be its institution code")
            if request.institution_code not in ("", ident.subject):
                raise Forbidden("an institution settles its own visits only", "institution_code")
            institution = ident.subject
        else:  # the access rule admits institutions only; kept as a second lock
            raise Forbidden(f"role {ident.role!r} may not adjudicate; needs institution")
        _, _, on, lines = parse_visit({
            "claim_id": request.claim_id, "person_id": request.person_id, "date": request.date,
            "lines": [{"disease": ln.disease, "amount": ln.amount, "covered": ln.covered, "item_code": ln.item_code,
                       "description": ln.description} for ln in request.lines]})
        doc, _ = await self._settler.settle_visit(ident.tenant, institution, request.claim_id.strip(),
                                                  request.person_id.strip(), on, lines, request.program)
        claimed = doc["claimed_fen"]
        payable = doc["payable_fen"]
        return settlement_pb2.Adjudication(
            claim_id=doc["claim_id"], payable=yuan(payable), patient_pays=yuan(claimed - payable),
            policy_version=doc["policy_version"],
            lines=[settlement_pb2.LineResult(
                payable=yuan(ln["payable_fen"]), reasons=ln["reasons"],
                reason_codes=[common_pb2.Reason(code=r["code"], detail=r["detail"], params=r["params"])
                              for r in reason_codes(ln)])
                   for ln in doc["lines"]])

