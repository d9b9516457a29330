"""appraisal's gRPC door: who holds which disease status (the tenant comes from the token)."""

from __future__ import annotations

import grpc

from chassis.errors import InvalidInput
from chassis.rpc import access, current_scope
from contracts.v1 import appraisal_pb2, appraisal_pb2_grpc, common_pb2
from services.appraisal.cases import service

# Who may call (chassis/rpc.py): intake checks a person's qualifications when an application comes in.
ACCESS = access(appraisal_pb2.DESCRIPTOR.services_by_name["AppraisalService"].full_name, {
    "GetQualifications": (("intake",), ("clerk", "reviewer", "supervisor", "ops")),
})
QUAL_FIELDS = {f.name for f in common_pb2.Qualification.DESCRIPTOR.fields}


class AppraisalRpc(appraisal_pb2_grpc.AppraisalServiceServicer):
    async def GetQualifications(self, request: appraisal_pb2.GetQualificationsRequest,
                                context: grpc.aio.ServicerContext) -> appraisal_pb2.QualificationList:
        if not request.person_id:
            raise InvalidInput("person_id is required", "person_id")
        quals = await service.qualifications(current_scope().db(), request.person_id)
        return appraisal_pb2.QualificationList(qualifications=[
            common_pb2.Qualification(**{k: v for k, v in q.items() if k in QUAL_FIELDS}) for q in quals])
