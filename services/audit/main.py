"""audit wiring: records every event in the tenant's MAC-chained trail and folds it into the read model;
serves the trail, sampling plans, inspections, call-backs, findings, warnings and reports over HTTP;
publishes finding.raised, warning.issued, report.produced, carrier_score.assessed (the long-term care carrier's
yearly score), patrol.completed and status_survey.recorded (long-term care supervision) and trail.anchored (the
trail's signed checkpoints, anchored on their own by a background loop and after appends; checked against archive's
copies over gRPC)."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.events import CATALOGUE, Event
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from services.audit.anomalies import api as anomalies_api
from services.audit.dead_letters import api as dead_letters_api
from services.audit.operations import api as operations_api
from services.audit.operations import service as operations_service
from services.audit.patrols import api as patrols_api
from services.audit.patrols import handlers as patrols_handlers
from services.audit.patrols import service as patrols_service
from services.audit.readmodel import api as readmodel_api
from services.audit.readmodel import service as readmodel_service
from services.audit.reports import api as reports_api
from services.audit.reports import service as reports_service
from services.audit.sampling import api as sampling_api
from services.audit.sampling import service as sampling_service
from services.audit.scores import api as scores_api
from services.audit.scores import service as scores_service
from services.audit.trail import api as trail_api
from services.audit.trail import handlers as trail_handlers
from services.audit.trail import service as trail_service
from services.audit.warnings import api as warnings_api
from services.audit.warnings import service as warnings_service

ROUTERS = (trail_api, readmodel_api, sampling_api, warnings_api, reports_api, operations_api, anomalies_api,
           dead_letters_api, scores_api, patrols_api)
ROOMS_WITH_COLLECTIONS = (trail_service, readmodel_service, sampling_service, warnings_service, reports_service,
                          operations_service, scores_service, patrols_service)
# The collections whose documents carry pending events (`_outbox`), for the relay.
OUTBOX_COLLECTIONS = [*sampling_service.OUTBOX, *warnings_service.OUTBOX, *reports_service.OUTBOX,
                      *operations_service.OUTBOX, *trail_service.OUTBOX, *scores_service.OUTBOX,
                      *patrols_service.OUTBOX]


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

    async def record_batch(tenant: str, events: list[Event]) -> None:
        await trail_batch(tenant, events)   # in the trail (and the read model) before anything acts on them
        await patrol_batch(tenant, events)  # long-term care supervision's populations (idempotent by their keys)

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
