"""appraisal wiring: a complete application opens a case with experts drawn at random; opinions and the
conclusion come over HTTP; granted qualifications are filed with the provincial platform; re-reviews
are raised when due."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from chassis.policies import PolicyReader
from contracts.v1 import appraisal_pb2, appraisal_pb2_grpc
from services.appraisal import api, expert_lists, handlers, rpc
from services.appraisal.filing import FilingWorker
from services.appraisal.reviews import review_loop
from services.appraisal.store import CASES, AppraisalStore


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("appraisal", "Jingban appraisal (鉴定)", ctx.settings.jwt_secret, ctx.ready)
    policies = PolicyReader(ctx.peers)
    filing = FilingWorker(ctx, policies)
    app.include_router(api.router(ctx, policies, filing))
    app.include_router(expert_lists.router(ctx))  # 专家库审核备案
    servicer = rpc.AppraisalRpc(ctx)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            await AppraisalStore(ctx.db(tenant)).ensure_indexes()

    async def filing_worker() -> None:
        await filing.run()

    async def review_scanner() -> None:
        await review_loop(ctx)

    return ServiceParts(
        app=app,
        grpc_servicers=[lambda server: appraisal_pb2_grpc.add_AppraisalServiceServicer_to_server(servicer, server)],
        grpc_service_names=[appraisal_pb2.DESCRIPTOR.services_by_name["AppraisalService"].full_name],
        subscriptions=[Subscription("application.completed", handlers.on_application_completed(ctx, policies))],
        on_start=on_start,
        background=[filing_worker, review_scanner],
    )


SPEC = ServiceSpec(name="appraisal", outbox_collections=[CASES], build=build)

if __name__ == "__main__":
    run_process(SPEC)
