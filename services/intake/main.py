"""intake wiring: HTTP + gRPC doors of its rooms over their own stores; publishes application.*, care_application.*
and complaint.*, takes appraisal's decisions (and its disability assessments) to the applicant's timeline; records
each document read (intake.person.accessed)."""

from __future__ import annotations

from chassis import access as access_records
from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from contracts.v1 import intake_pb2, intake_pb2_grpc
from services.intake.applications import api as applications_api
from services.intake.applications import handlers as applications_handlers
from services.intake.applications import rpc as applications_rpc
from services.intake.applications.store import APPLICATIONS, ApplicationStore
from services.intake.care_applications import api as care_applications_api
from services.intake.care_applications import handlers as care_applications_handlers
from services.intake.care_applications.store import CARE_APPLICATIONS, CareApplicationStore
from services.intake.complaints import api as complaints_api
from services.intake.complaints.store import COMPLAINTS, ComplaintStore
from services.intake.notifications import api as notifications_api
from services.intake.notifications.service import OutboxNotifier
from services.intake.notifications.store import NotificationStore
from services.intake.surveys import api as surveys_api
from services.intake.surveys.store import SurveyStore

STORES = (ApplicationStore, CareApplicationStore, ComplaintStore, NotificationStore, SurveyStore)


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("intake", "Jingban intake (受理)", ctx.ready)
    notifier = OutboxNotifier(ctx.db)  # 结果告知: the local outbox adapter of the SMS/push port
    app.include_router(applications_api.router(ctx, notifier))  # 申请受理
    app.include_router(care_applications_api.router(ctx, notifier))  # 长护险失能等级评定申请, 初步筛查
    app.include_router(notifications_api.router())  # 结果告知
    app.include_router(complaints_api.router(ctx, notifier))  # 咨询投诉
    app.include_router(surveys_api.router())  # 满意度测评
    servicer = applications_rpc.IntakeRpc(ctx)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            for store in STORES:
                await store(ctx.db(tenant)).ensure_indexes()
            await access_records.ensure_indexes(ctx.db(tenant))  # 查阅记录 of documents (intake.person.accessed)

    handle = applications_handlers.on_appraisal_event(ctx, notifier)
    on_assessment = care_applications_handlers.on_assessment_event(ctx)  # 失能等级评定 on the LTC timeline
    return ServiceParts(
        app=app,
        grpc_servicers=[lambda server: intake_pb2_grpc.add_IntakeServiceServicer_to_server(servicer, server)],
        grpc_access=applications_rpc.ACCESS,
        grpc_service_names=[intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name],
        subscriptions=[*(Subscription(t, handle) for t in applications_handlers.APPRAISAL_EVENTS),
                       *(Subscription(t, on_assessment) for t in care_applications_handlers.ASSESSMENT_EVENTS)],
        on_start=on_start,
    )


SPEC = ServiceSpec(name="intake", outbox_collections=[APPLICATIONS, CARE_APPLICATIONS, COMPLAINTS,
                                                  access_records.ACCESS_LOG], build=build)

if __name__ == "__main__":
    run_process(SPEC)
