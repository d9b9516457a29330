"""audit wiring: records every event in the tenant's hash-chained trail and folds it into the read model;
serves the trail, sampling plans, inspections, call-backs, findings, warnings and reports over HTTP;
publishes finding.raised, warning.issued and report.produced."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.events import CATALOGUE
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from services.audit import api, api_anomalies, api_operations, api_reports, api_sampling, api_warnings, handlers
from services.audit import api_dead_letters as dead_letters
from services.audit.operations_store import OperationsStore
from services.audit.store import OUTBOX_COLLECTIONS, AuditStore


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("audit", "Jingban audit (稽核)", ctx.settings.jwt_secret, ctx.ready)
    for module in (api, api_sampling, api_warnings, api_reports, api_operations, api_anomalies, dead_letters):
        app.include_router(module.router(ctx))
    handle_batch = handlers.record_batch(ctx)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            await AuditStore(ctx.db(tenant)).ensure_indexes()
            await AuditStore(ctx.db(tenant)).heal_head()
            await OperationsStore(ctx.db(tenant)).ensure_indexes()

    # The batch handler does all the work (one trail append and the read model's writes per tenant and poll batch).
    return ServiceParts(app=app, subscriptions=[Subscription(t) for t in CATALOGUE], on_start=on_start,
                        batch_handler=handle_batch)


SPEC = ServiceSpec(name="audit", outbox_collections=OUTBOX_COLLECTIONS, build=build)

if __name__ == "__main__":
    run_process(SPEC)
