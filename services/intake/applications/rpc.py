"""intake's gRPC door: other services ask for an application (the tenant comes from the token)."""

from __future__ import annotations

import grpc

from chassis.host import ServiceContext
from chassis.rpc import access, current_scope
from contracts.v1 import common_pb2, intake_pb2, intake_pb2_grpc
from services.intake.applications import service
from services.intake.applications.domain.application import DOC_KEYS

# Who may call (chassis/rpc.py): appraisal opens a case from the application.
ACCESS = access(intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name, {
    "GetApplication": (("appraisal",), ("clerk", "reviewer", "supervisor", "ops")),
})


class IntakeRpc(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def GetApplication(self, request: intake_pb2.GetApplicationRequest,
                             context: grpc.aio.ServicerContext) -> intake_pb2.Application:
        app = await service.application_record(current_scope().db(), request.application_id)
        return intake_pb2.Application(
            application_id=app["_id"], person_id=app["person_id"], person_name=app["person_name"],
            disease_code=app["disease_code"], channel=app["channel"], status=app["status"],
            submitted_at=app["submitted_at"], program=app["program"],
            disease_codes=app.get("diseases") or [app["disease_code"]], kind=app.get("kind", "initial"),
            qualification_id=app.get("qualification_id", ""),
            insutype=(app.get("insurance") or {}).get("insutype", ""),
            documents=[common_pb2.DocumentRef(**{k: d[k] for k in DOC_KEYS}) for d in app["documents"]],
        )
