"""archive wiring: files every event about a person; serves the file over HTTP and gRPC; produces the
handover archive (publishing archive.handover.ready) and imports one into an empty tenant."""

from __future__ import annotations

from chassis.consumer import Subscription
from chassis.host import ServiceContext, ServiceParts, ServiceSpec, run_process
from chassis.http import create_app
from contracts.v1 import archive_pb2, archive_pb2_grpc
from services.archive.handover import api as handover_api
from services.archive.handover.store import EXPORTS, HandoverStore
from services.archive.person_files import api as person_files_api
from services.archive.person_files import handlers as person_files_handlers
from services.archive.person_files import rpc as person_files_rpc
from services.archive.person_files.domain.person_file import FILED_EVENTS
from services.archive.person_files.store import EntryStore

STORES = (EntryStore, HandoverStore)


def build(ctx: ServiceContext) -> ServiceParts:
    app = create_app("archive", "Jingban archive (档案)", ctx.settings.jwt_secret, ctx.ready)
    app.include_router(person_files_api.router())
    app.include_router(handover_api.router(ctx))
    servicer = person_files_rpc.ArchiveRpc()
    handle = person_files_handlers.file_event(ctx)

    async def on_start() -> None:
        for tenant in ctx.settings.tenants:
            for store in STORES:
                await store(ctx.db(tenant)).ensure_indexes()

    return ServiceParts(
        app=app,
        grpc_servicers=[lambda server: archive_pb2_grpc.add_ArchiveServiceServicer_to_server(servicer, server)],
        grpc_service_names=[archive_pb2.DESCRIPTOR.services_by_name["ArchiveService"].full_name],
        subscriptions=[Subscription(t, handle) for t in FILED_EVENTS],
        on_start=on_start,
    )


SPEC = ServiceSpec(name="archive", outbox_collections=[EXPORTS], build=build)

if __name__ == "__main__":
    run_process(SPEC)
