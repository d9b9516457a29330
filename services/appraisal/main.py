"""appraisal wiring: a complete application opens a case with experts drawn at random; opinions and the
conclusion come over HTTP; granted qualifications are filed with the provincial platform; re-reviews
are raised when due. Long-term care: an accepted application opens a disability assessment with its assessors drawn
at random; visits, conclusions, objections and re-checks come over HTTP; re-checks are raised when due."""

from __future__ import annotations

from chassis import access as access_records
from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from chassis.policies import PolicyReader
from contracts.v1 import appraisal_pb2, appraisal_pb2_grpc
from services.appraisal.cases import api as cases_api
from services.appraisal.cases import handlers as cases_handlers
from services.appraisal.cases import rpc as cases_rpc
from services.appraisal.cases.service.drawing import draw_waiting_cases
from services.appraisal.cases.store import CASES, CaseStore
from services.appraisal.disability import api as disability_api
from services.appraisal.disability import handlers as disability_handlers
from services.appraisal.disability.service.rechecks import recheck_loop
from services.appraisal.disability.store import ASSESSMENTS, DisabilityStore
from services.appraisal.experts import api as experts_api
from services.appraisal.experts.store import ExpertStore
from services.appraisal.filing import api as filing_api
from services.appraisal.filing.service.worker import FilingWorker
from services.appraisal.filing.store import FilingStore
from services.appraisal.institutions import api as institutions_api
from services.appraisal.institutions.store import INSTITUTIONS, InstitutionStore
from services.appraisal.reviews import api as reviews_api
from services.appraisal.reviews.service import review_loop
from services.appraisal.reviews.store import ReviewStore

STORES = (CaseStore, ExpertStore, FilingStore, ReviewStore, InstitutionStore, DisabilityStore)


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("appraisal", "Jingban appraisal (鉴定)", ctx.ready)
    policies = PolicyReader(ctx.peers)
    filing_worker = FilingWorker(ctx, policies)
    app.include_router(cases_api.router(ctx, policies, filing_worker.kick))
    app.include_router(experts_api.router(ctx, draw_waiting_cases))  # 专家库审核备案: an approval draws waiting cases
    app.include_router(filing_api.router(filing_worker.kick))
    app.include_router(reviews_api.router(ctx, filing_worker.kick))
    app.include_router(institutions_api.router(ctx))  # 定点协议管理: the one registry of designated institutions
    app.include_router(disability_api.router(ctx))  # 失能等级评定: assessor pool, draws, visits, conclusions
    servicer = cases_rpc.AppraisalRpc()

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            for store in STORES:
                await store(ctx.db(tenant)).ensure_indexes()
            await access_records.ensure_indexes(ctx.db(tenant))  # 查阅记录 of visit evidence

    async def filing_loop() -> None:
        await filing_worker.run()

    async def review_scanner() -> None:
        await review_loop(ctx)

    async def recheck_scanner() -> None:  # 待遇资格审查: disability.recheck_due when a conclusion's re-check comes
        await recheck_loop(ctx)

    return ServiceParts(
        app=app,
        grpc_servicers=[lambda server: appraisal_pb2_grpc.add_AppraisalServiceServicer_to_server(servicer, server)],
        grpc_access=cases_rpc.ACCESS,
        grpc_service_names=[appraisal_pb2.DESCRIPTOR.services_by_name["AppraisalService"].full_name],
        subscriptions=[Subscription("application.completed",
                                    cases_handlers.on_application_completed(ctx, policies)),
                       Subscription("care_application.accepted",
                                    disability_handlers.on_care_application_accepted(ctx))],
        on_start=on_start,
        background=[filing_loop, review_scanner, recheck_scanner],
    )


SPEC = ServiceSpec(name="appraisal",
                   outbox_collections=[CASES, INSTITUTIONS, ASSESSMENTS, access_records.ACCESS_LOG], build=build)

if __name__ == "__main__":
    run_process(SPEC)
