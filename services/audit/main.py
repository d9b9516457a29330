"""audit wiring: records every event in the tenant's MAC-chained trail and folds it into the read model;
serves the trail, sampling plans, inspections, call-backs, findings, warnings and reports over HTTP;
publishes finding.raised, warning.issued, report.produced, carrier_score.assessed (the long-term care carrier's
yearly score), patrol.completed and status_survey.recorded (long-term care supervision), claim_review.completed and
review_hit.decided (smart review of every upload, 智能审核, from claim_lines.submitted), case.opened, case.closed and
credit.evaluated (fund supervision's cases and credit, 基金监管) and trail.anchored (the
trail's signed checkpoints, anchored on their own by a background loop and after appends; checked against archive's
copies over gRPC)."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.events import CATALOGUE, Event
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from services.audit.agency_audit import api as agency_audit_api
from services.audit.agency_audit import service as agency_audit_service
from services.audit.anomalies import api as anomalies_api
from services.audit.cases import api as cases_api
from services.audit.cases import handlers as cases_handlers
from services.audit.cases import service as cases_service
from services.audit.credit import api as credit_api
from services.audit.credit import handlers as credit_handlers
from services.audit.credit import service as credit_service
from services.audit.dead_letters import api as dead_letters_api
from services.audit.inspections import api as inspections_api
from services.audit.inspections import handlers as inspections_handlers
from services.audit.inspections import service as inspections_service
from services.audit.operations import api as operations_api
from services.audit.operations import service as operations_service
from services.audit.patrols import api as patrols_api
from services.audit.patrols import handlers as patrols_handlers
from services.audit.patrols import service as patrols_service
from services.audit.readmodel import api as readmodel_api
from services.audit.readmodel import service as readmodel_service
from services.audit.record_sampling import api as record_sampling_api
from services.audit.record_sampling import service as record_sampling_service
from services.audit.reports import api as reports_api
from services.audit.reports import service as reports_service
from services.audit.sampling import api as sampling_api
from services.audit.sampling import service as sampling_service
from services.audit.scores import api as scores_api
from services.audit.scores import service as scores_service
from services.audit.smart_review import api as smart_review_api
from services.audit.smart_review import handlers as smart_review_handlers
from services.audit.smart_review import service as smart_review_service
from services.audit.trail import api as trail_api
from services.audit.trail import handlers as trail_handlers
from services.audit.trail import service as trail_service
from services.audit.trainings import api as trainings_api
from services.audit.trainings import service as trainings_service
from services.audit.warnings import api as warnings_api
from services.audit.warnings import service as warnings_service

ROUTERS = (trail_api, readmodel_api, sampling_api, warnings_api, reports_api, operations_api, anomalies_api,
           dead_letters_api, scores_api, patrols_api, smart_review_api, cases_api, agency_audit_api, credit_api,
           inspections_api, record_sampling_api, trainings_api)
ROOMS_WITH_COLLECTIONS = (trail_service, readmodel_service, sampling_service, warnings_service, reports_service,
                          operations_service, scores_service, patrols_service, smart_review_service, cases_service,
                          agency_audit_service, credit_service, inspections_service, record_sampling_service,
                          trainings_service)
# The collections whose documents carry pending events (`_outbox`), for the relay.
OUTBOX_COLLECTIONS = [*sampling_service.OUTBOX, *warnings_service.OUTBOX, *reports_service.OUTBOX,
                      *operations_service.OUTBOX, *trail_service.OUTBOX, *scores_service.OUTBOX,
                      *patrols_service.OUTBOX, *smart_review_service.OUTBOX, *cases_service.OUTBOX,
                      *credit_service.OUTBOX, *inspections_service.OUTBOX, *record_sampling_service.OUTBOX]


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("audit", "Jingban audit (稽核)", ctx.ready)
    for module in ROUTERS:
        app.include_router(module.router(ctx))

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            for room in ROOMS_WITH_COLLECTIONS:
                await room.ensure_indexes(ctx.db(tenant))

    async def trail_anchoring() -> None:
        await trail_service.anchoring_loop(ctx.settings.tenants, ctx.db, ctx.keys)

    trail_batch, patrol_batch = trail_handlers.record_batch(ctx), patrols_handlers.record_batch(ctx)
    review_batch = smart_review_handlers.record_batch(ctx)
    cases_batch, credit_batch = cases_handlers.record_batch(ctx), credit_handlers.record_batch(ctx)
    inspections_batch = inspections_handlers.record_batch(ctx)

    async def record_batch(tenant: str, events: list[Event]) -> None:
        await trail_batch(tenant, events)   # in the trail (and the read model) before anything acts on them
        await patrol_batch(tenant, events)  # long-term care supervision's populations (idempotent by their keys)
        await inspections_batch(tenant, events)  # 基金监管: the institutions inspected (by registry version)
        await review_batch(tenant, events)  # 智能审核: uploads reviewed (idempotent by their parts)
        await cases_batch(tenant, events)   # 基金监管: tips → leads, inspections reported (keyed by their ids)
        await credit_batch(tenant, events)  # 信用评价: the facts the credit rules count (keyed by hit, finding, sample)

    # The batch handler does all the work (one trail append and the read model's writes per tenant and poll batch,
    # then the supervision populations). Audit's own anchors are not trailed (each would be a new head to anchor):
    # archive keeps them.
    return ServiceParts(app=app, subscriptions=[Subscription(t) for t in CATALOGUE
                                                if t not in trail_service.NOT_TRAILED],
                        on_start=on_start, batch_handler=record_batch,
                        background=[trail_anchoring])


SPEC = ServiceSpec(name="audit", outbox_collections=OUTBOX_COLLECTIONS, build=build)

if __name__ == "__main__":
    run_process(SPEC)
