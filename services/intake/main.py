"""intake wiring: HTTP + gRPC doors over its own store; publishes application.submitted."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from contracts.v1 import intake_pb2, intake_pb2_grpc
from services.intake import api, handlers, rpc, survey
from services.intake.store import APPLICATIONS, COMPLAINTS, IntakeStore


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("intake", "Jingban intake (受理)", ctx.settings.jwt_secret, ctx.ready)
    app.include_router(api.router(ctx))
    app.include_router(survey.router(ctx))  # 满意度测评
    servicer = rpc.IntakeRpc(ctx)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            await IntakeStore(ctx.db(tenant)).ensure_indexes()

    return ServiceParts(
        app=app,
        grpc_servicers=[lambda server: intake_pb2_grpc.add_IntakeServiceServicer_to_server(servicer, server)],
        grpc_service_names=[intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name],
        subscriptions=[Subscription(t, handlers.on_appraisal_event(ctx)) for t in handlers.APPRAISAL_EVENTS],
        on_start=on_start,
    )


SPEC = ServiceSpec(name="intake", outbox_collections=[APPLICATIONS, COMPLAINTS], build=build)

if __name__ == "__main__":
    run_process(SPEC)
