"""audit wiring: records every event in the tenant's hash-chained trail; serves it over HTTP."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.events import CATALOGUE
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from services.audit import api, handlers
from services.audit.store import AuditStore


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("audit", "Jingban audit (稽核)", ctx.settings.jwt_secret, ctx.ready)
    app.include_router(api.router(ctx))
    handle = handlers.record(ctx)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            await AuditStore(ctx.db(tenant)).ensure_indexes()

    return ServiceParts(app=app, subscriptions=[Subscription(t, handle) for t in CATALOGUE], on_start=on_start)


SPEC = ServiceSpec(name="audit", outbox_collections=[], build=build)

if __name__ == "__main__":
    run_process(SPEC)
