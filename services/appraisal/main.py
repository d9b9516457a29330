"""appraisal wiring: consumes application.submitted, asks intake over gRPC, concludes over HTTP,
publishes appraisal.concluded and qualification.granted."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from jingban.contracts.v1 import appraisal_pb2, appraisal_pb2_grpc
from services.appraisal import api, handlers, rpc
from services.appraisal.store import CASES, AppraisalStore


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("appraisal", "Jingban appraisal (鉴定)", ctx.settings.jwt_secret, ctx.ready)
    app.include_router(api.router(ctx))
    servicer = rpc.AppraisalRpc(ctx)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            await AppraisalStore(ctx.db(tenant)).ensure_indexes()

    return ServiceParts(
        app=app,
        grpc_servicers=[lambda server: appraisal_pb2_grpc.add_AppraisalServiceServicer_to_server(servicer, server)],
        grpc_service_names=[appraisal_pb2.DESCRIPTOR.services_by_name["AppraisalService"].full_name],
        subscriptions=[Subscription("application.submitted", handlers.on_application_submitted(ctx))],
        on_start=on_start,
    )


SPEC = ServiceSpec(name="appraisal", outbox_collections=[CASES], build=build)

if __name__ == "__main__":
    run_process(SPEC)
